#include "esp_ip.h"

#include <string.h>

enum { IPV4_MF = 0x2000, IPV4_OFFSET_MASK = 0x1fff, IPV6_FRAGMENT = 44 };

/* IPv6 next-header values that are extension headers (RFC 8200 4.1, RFC 7045), not payload. */
static const uint8_t ipv6_ext_headers[] = {0, 43, 44, 51, 60, 135, 139, 140, 253, 254};

/* RFC 1071 one's-complement sum, folded at the end. Adding 32-bit big-endian words and folding
 * later gives the same sum as 16-bit words (RFC 1071 2(B)) in half the steps; every header
 * parse of the datapath verifies one. */
static uint64_t sum16(const uint8_t *p, size_t len, uint64_t acc) {
  size_t i = 0;
  for (; i + 4 <= len; i += 4)
    acc += get_be32(p + i);
  for (; i + 1 < len; i += 2)
    acc += get_be16(p + i);
  if (len & 1)
    acc += (uint32_t)p[len - 1] << 8;
  return acc;
}

static uint16_t fold(uint64_t acc) {
  while (acc >> 16)
    acc = (acc & 0xffff) + (acc >> 16);
  return (uint16_t)~acc;
}

static bool is_ipv6_ext(uint8_t next) {
  for (size_t i = 0; i < sizeof ipv6_ext_headers; i++)
    if (ipv6_ext_headers[i] == next)
      return true;
  return false;
}

static enum nicsec_hal_err parse_v4(const uint8_t *p, size_t len, struct ip_view *v) {
  if (len < IPV4_MIN_HDR)
    return NICSEC_HAL_E_PKT_MALFORMED;
  v->hdr_len = (size_t)(p[IPV4_VER_IHL] & 0x0f) * 4;
  v->total_len = get_be16(p + IPV4_TOTAL_LEN);
  if (v->hdr_len < IPV4_MIN_HDR || v->total_len < v->hdr_len || v->total_len > len)
    return NICSEC_HAL_E_PKT_MALFORMED;
  if (fold(sum16(p, v->hdr_len, 0)) != 0)
    return NICSEC_HAL_E_PKT_MALFORMED;
  uint16_t frag = get_be16(p + IPV4_FLAGS_FRAG);
  v->family = NICSEC_HAL_AF_INET;
  v->fragment = (frag & (IPV4_MF | IPV4_OFFSET_MASK)) != 0;
  v->ext_hdr = false;
  v->proto = p[IPV4_PROTO];
  v->tos = p[IPV4_TOS];
  v->src = p + IPV4_SRC;
  v->dst = p + IPV4_DST;
  v->addr_len = 4;
  return NICSEC_HAL_OK;
}

static enum nicsec_hal_err parse_v6(const uint8_t *p, size_t len, struct ip_view *v) {
  if (len < IPV6_HDR)
    return NICSEC_HAL_E_PKT_MALFORMED;
  v->hdr_len = IPV6_HDR;
  v->total_len = IPV6_HDR + (size_t)get_be16(p + IPV6_PAYLOAD_LEN);
  if (v->total_len > len)
    return NICSEC_HAL_E_PKT_MALFORMED;
  v->family = NICSEC_HAL_AF_INET6;
  v->proto = p[IPV6_NEXT];
  v->fragment = v->proto == IPV6_FRAGMENT;
  v->ext_hdr = is_ipv6_ext(v->proto);
  v->tos = (uint8_t)(get_be16(p) >> 4);
  v->src = p + IPV6_SRC;
  v->dst = p + IPV6_DST;
  v->addr_len = 16;
  return NICSEC_HAL_OK;
}

enum nicsec_hal_err ip_parse(const uint8_t *p, size_t len, struct ip_view *v) {
  if (len < 1)
    return NICSEC_HAL_E_PKT_MALFORMED;
  switch (p[0] >> 4) {
  case 4: return parse_v4(p, len, v);
  case 6: return parse_v6(p, len, v);
  default: return NICSEC_HAL_E_PKT_MALFORMED;
  }
}

static void ipv4_fix_csum(uint8_t *p, size_t hdr_len) {
  put_be16(p + IPV4_CSUM, 0);
  put_be16(p + IPV4_CSUM, fold(sum16(p, hdr_len, 0)));
}

void ipv4_write(uint8_t *p, uint8_t tos, uint16_t total_len, uint16_t id, uint8_t proto,
                const uint8_t src[4], const uint8_t dst[4]) {
  p[IPV4_VER_IHL] = 0x45;
  p[IPV4_TOS] = tos;
  put_be16(p + IPV4_TOTAL_LEN, total_len);
  put_be16(p + IPV4_ID, id);
  put_be16(p + IPV4_FLAGS_FRAG, 0);
  p[IPV4_TTL] = IP_DEFAULT_TTL;
  p[IPV4_PROTO] = proto;
  memcpy(p + IPV4_SRC, src, 4);
  memcpy(p + IPV4_DST, dst, 4);
  ipv4_fix_csum(p, IPV4_MIN_HDR);
}

void ipv6_write(uint8_t *p, uint8_t tclass, uint16_t payload_len, uint8_t next,
                const uint8_t src[16], const uint8_t dst[16]) {
  put_be32(p + IPV6_VER_TC_FLOW, (uint32_t)6 << 28 | (uint32_t)tclass << 20);
  put_be16(p + IPV6_PAYLOAD_LEN, payload_len);
  p[IPV6_NEXT] = next;
  p[IPV6_HOP_LIMIT] = IP_DEFAULT_TTL;
  memcpy(p + IPV6_SRC, src, 16);
  memcpy(p + IPV6_DST, dst, 16);
}

void ip_set_proto_len(uint8_t *hdr, enum nicsec_hal_family family, size_t hdr_len, uint8_t proto,
                      size_t total_len) {
  if (family == NICSEC_HAL_AF_INET) {
    hdr[IPV4_PROTO] = proto;
    put_be16(hdr + IPV4_TOTAL_LEN, (uint16_t)total_len);
    ipv4_fix_csum(hdr, hdr_len);
  } else {
    hdr[IPV6_NEXT] = proto;
    put_be16(hdr + IPV6_PAYLOAD_LEN, (uint16_t)(total_len - IPV6_HDR));
  }
}

void udp_write(uint8_t *udp, size_t udp_len, uint16_t sport, uint16_t dport,
               enum nicsec_hal_family family, const uint8_t *src, const uint8_t *dst) {
  put_be16(udp + UDP_SPORT, sport);
  put_be16(udp + UDP_DPORT, dport);
  put_be16(udp + UDP_LEN, (uint16_t)udp_len);
  put_be16(udp + UDP_CSUM, 0);
  if (family != NICSEC_HAL_AF_INET6)
    return;
  /* IPv6 pseudo-header: addresses, upper-layer length, next header (RFC 8200 8.1). */
  uint64_t acc = sum16(src, 16, 0);
  acc = sum16(dst, 16, acc);
  acc += (uint64_t)(udp_len >> 16) + (uint64_t)(udp_len & 0xffff) + IPPROTO_NUM_UDP;
  uint16_t csum = fold(sum16(udp, udp_len, acc));
  put_be16(udp + UDP_CSUM, csum == 0 ? 0xffff : csum);
}

bool addr_in_prefix(const uint8_t *addr, const uint8_t *prefix, unsigned bits) {
  size_t whole = bits / 8;
  if (memcmp(addr, prefix, whole) != 0)
    return false;
  unsigned rest = bits % 8;
  if (rest == 0)
    return true;
  uint8_t mask = (uint8_t)(0xff << (8 - rest));
  return (addr[whole] & mask) == (prefix[whole] & mask);
}
