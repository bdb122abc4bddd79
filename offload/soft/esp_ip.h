/* IPv4 / IPv6 / UDP header layouts and the few operations the ESP engine needs on them.
 * Every parser checks lengths against the buffer before reading. */
#ifndef NICSEC_SOFT_ESP_IP_H
#define NICSEC_SOFT_ESP_IP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nicsec/hal.h"

/* IPv4 header, RFC 791 (offsets in octets). */
enum {
  IPV4_VER_IHL = 0,
  IPV4_TOS = 1,
  IPV4_TOTAL_LEN = 2,
  IPV4_ID = 4,
  IPV4_FLAGS_FRAG = 6, /* 3 flag bits, 13-bit fragment offset */
  IPV4_TTL = 8,
  IPV4_PROTO = 9,
  IPV4_CSUM = 10,
  IPV4_SRC = 12,
  IPV4_DST = 16,
  IPV4_MIN_HDR = 20,
};

/* IPv6 fixed header, RFC 8200. */
enum {
  IPV6_VER_TC_FLOW = 0, /* version 4 bits, traffic class 8, flow label 20 */
  IPV6_PAYLOAD_LEN = 4,
  IPV6_NEXT = 6,
  IPV6_HOP_LIMIT = 7,
  IPV6_SRC = 8,
  IPV6_DST = 24,
  IPV6_HDR = 40,
};

/* UDP header, RFC 768. */
enum { UDP_SPORT = 0, UDP_DPORT = 2, UDP_LEN = 4, UDP_CSUM = 6, UDP_HDR = 8 };

/* IP protocol numbers the engine cares about. */
enum {
  IPPROTO_NUM_IPV4 = 4,
  IPPROTO_NUM_TCP = 6,
  IPPROTO_NUM_UDP = 17,
  IPPROTO_NUM_IPV6 = 41,
  IPPROTO_NUM_ESP = 50,
  IPPROTO_NUM_NONE = 59, /* "no next header": ESP TFC dummy packet */
};

enum { IP_DEFAULT_TTL = 64, IP_MAX_TOTAL = 65535 };

/* A parsed IP header (pointers into the caller's buffer). */
struct ip_view {
  enum nicsec_hal_family family;
  size_t hdr_len;     /* IPv4 IHL*4; IPv6 40 (extension headers are not walked) */
  size_t total_len;   /* from the header; <= buffer length */
  uint8_t proto;      /* IPv4 protocol / IPv6 next header */
  uint8_t tos;        /* IPv4 TOS / IPv6 traffic class */
  bool fragment;      /* IPv4 MF or offset set, IPv6 next header = fragment */
  bool ext_hdr;       /* IPv6 next header is an extension header */
  const uint8_t *src, *dst;
  size_t addr_len;    /* 4 or 16 */
};

/* Parses the IP header at p. NICSEC_HAL_E_PKT_MALFORMED for bad version/lengths/IPv4 checksum. */
enum nicsec_hal_err ip_parse(const uint8_t *p, size_t len, struct ip_view *v);

/* Big-endian field access, inline: every header field of every packet goes through these. */
static inline uint16_t get_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static inline uint32_t get_be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void put_be16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static inline void put_be32(uint8_t *p, uint32_t v) {
  put_be16(p, (uint16_t)(v >> 16));
  put_be16(p + 2, (uint16_t)v);
}

static inline void put_be64(uint8_t *p, uint64_t v) {
  put_be32(p, (uint32_t)(v >> 32));
  put_be32(p + 4, (uint32_t)v);
}

/* Writes a fresh outer header for a tunnel (TTL/hop limit 64, no options, DF clear). */
void ipv4_write(uint8_t *p, uint8_t tos, uint16_t total_len, uint16_t id, uint8_t proto,
                const uint8_t src[4], const uint8_t dst[4]);
void ipv6_write(uint8_t *p, uint8_t tclass, uint16_t payload_len, uint8_t next,
                const uint8_t src[16], const uint8_t dst[16]);

/* Rewrites protocol and length of an existing header of hdr_len octets (transport mode) and
 * fixes the IPv4 header checksum. total_len is the whole packet's length. */
void ip_set_proto_len(uint8_t *hdr, enum nicsec_hal_family family, size_t hdr_len, uint8_t proto,
                      size_t total_len);

/* Writes a UDP header; checksum 0 for IPv4 (RFC 3948 allows it), computed for IPv6 where a zero
 * checksum is not allowed (RFC 8200). The payload must already be in place after the header. */
void udp_write(uint8_t *udp, size_t udp_len, uint16_t sport, uint16_t dport,
               enum nicsec_hal_family family, const uint8_t *src, const uint8_t *dst);

/* True if addr (len octets) lies in prefix/bits. */
bool addr_in_prefix(const uint8_t *addr, const uint8_t *prefix, unsigned bits);

#endif
