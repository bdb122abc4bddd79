/* Helpers shared by the offload tests: vector files, hex, hand-built IP packets, SA templates.
 * Packets are built here independently of the engine, so the tests check it, not themselves. */
#ifndef NICSEC_TEST_OFFLOAD_UTIL_H
#define NICSEC_TEST_OFFLOAD_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "nicsec/hal.h"
#include "vectors.h"

/* Vector files and their hex fields, through the shared reader (tests/lib/vectors.h) under the
 * names the offload and sim tests use. */
/* Loads $NICSEC_VECTORS/<name>; fails the test if missing. Free with json_decref. */
static inline json_t *tu_load_vectors(const char *name) { return vectors_load_root(name); }
/* Decodes the hex string field `key` of obj into buf (capacity cap); returns its length. */
static inline size_t tu_hex_field(const json_t *obj, const char *key, uint8_t *buf, size_t cap) {
  return vec_hex_into(obj, key, buf, cap);
}
/* Parses a hex field as a big-endian unsigned number (up to 8 octets). */
static inline uint64_t tu_hex_number(const json_t *obj, const char *key) {
  return vec_hex_number(obj, key);
}

/* IPv4 / IPv6 packet carrying UDP with `payload_len` bytes of a pattern; returns its length. */
size_t tu_udp4_packet(uint8_t *buf, const char *src, const char *dst, uint16_t sport,
                      uint16_t dport, size_t payload_len, uint8_t tos);
size_t tu_udp6_packet(uint8_t *buf, const char *src, const char *dst, uint16_t sport,
                      uint16_t dport, size_t payload_len);
/* Wraps an ESP packet in an IPv4 header (protocol 50) or IPv4+UDP (when udp_port != 0). */
size_t tu_wrap_esp4(uint8_t *buf, const uint8_t *esp, size_t esp_len, const char *src,
                    const char *dst, uint16_t udp_port);
/* RFC 1071 checksum over len bytes (0 when the embedded checksum is correct). */
uint16_t tu_checksum(const uint8_t *p, size_t len, uint32_t initial);

struct nicsec_hal_addr tu_addr(const char *text);

/* A valid SA for the device (first offered algorithm, ICV, mode, family, window). */
struct nicsec_hal_sa tu_sa_for(const struct nicsec_hal_caps *caps, enum nicsec_hal_dir dir,
                               uint32_t spi);

#endif
