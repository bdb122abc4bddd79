/* Shared by the RTL ESP tests: the SA a draft-mcgrew-gcm-test vector describes, the soft
 * engine's verdict on one wire packet (the golden model), and the IPv4 header checksum the
 * tests build packets with. */
#ifndef NICSEC_TEST_ESP_KAT_COMMON_H
#define NICSEC_TEST_ESP_KAT_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "esp_engine.h"
#include "test_util.h"

enum { KAT_BUF = 2048 };

/* The vectors the engine can take: AES-GCM-ESP with 128- or 256-bit keys (no AES-192, no
 * GMAC). */
static inline bool kat_engine_vector(const json_t *v) {
  json_int_t bits = json_integer_value(json_object_get(v, "key_bits"));
  return strcmp(json_string_value(json_object_get(v, "algorithm")), "AES-GCM-ESP") == 0 &&
         (bits == 128 || bits == 256);
}

/* The draft-mcgrew-gcm-test vectors the engine can take, in file order (15 of them): a new
 * array the caller json_decref()s. */
static inline json_t *kat_engine_vectors(void) {
  json_t *root = tu_load_vectors("esp_aes_gcm_mcgrew.json"), *taken = json_array(), *v;
  size_t idx;
  json_array_foreach(json_object_get(root, "vectors"), idx, v) {
    if (kat_engine_vector(v))
      json_array_append(taken, v);
  }
  json_decref(root);
  assert_int_equal(json_array_size(taken), 15);
  return taken;
}

/* Inbound SA of vector v in the given mode; the window edge `top` sits below the packet. */
static inline struct nicsec_hal_sa kat_vector_sa(const json_t *v, enum nicsec_hal_mode mode,
                                                 bool esn, uint64_t top) {
  struct nicsec_hal_sa sa = {.dir = NICSEC_HAL_DIR_IN, .offload = NICSEC_HAL_OFFLOAD_PACKET,
                             .mode = mode, .replay_window = 64};
  sa.src = tu_addr("192.0.2.1");
  sa.dst = tu_addr("192.0.2.2");
  sa.spi = (uint32_t)tu_hex_number(v, "spi");
  sa.key_len = (uint8_t)tu_hex_field(v, "key", sa.key, sizeof sa.key);
  sa.alg = sa.key_len == 32 ? NICSEC_HAL_ALG_AES_GCM_256 : NICSEC_HAL_ALG_AES_GCM_128;
  tu_hex_field(v, "salt", sa.salt, sizeof sa.salt);
  sa.icv_len = (uint8_t)tu_hex_field(v, "icv", (uint8_t[16]){0}, 16);
  sa.esn = esn;
  sa.initial_seq = top;
  return sa;
}

/* The golden model's verdict on a wire packet, with a fresh SA; out gets KAT_BUF octets. */
static inline enum nicsec_hal_err kat_soft_ingress(const struct nicsec_hal_sa *desc,
                                                   const uint8_t *wire, size_t len, uint8_t *out,
                                                   size_t *out_len) {
  struct soft_sa sa;
  assert_int_equal(soft_sa_init(&sa, desc), NICSEC_HAL_OK);
  struct esp_outer o;
  uint32_t events = 0;
  enum nicsec_hal_err err = soft_esp_parse_outer(wire, len, &o);
  if (err == NICSEC_HAL_OK)
    err = soft_esp_decap(&sa, &o, wire, out, KAT_BUF, out_len, &events);
  soft_sa_wipe(&sa);
  return err;
}

/* RFC 791 header checksum over len octets (the checksum field as it is). */
static inline uint16_t kat_ipv4_checksum(const uint8_t *hdr, size_t len) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2)
    sum += (uint32_t)(hdr[i] << 8 | hdr[i + 1]);
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

#endif
