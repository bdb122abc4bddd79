#include "esp_beet.h"

#include <string.h>

static size_t addr_len(enum nicsec_hal_family f) { return f == NICSEC_HAL_AF_INET ? 4 : 16; }

static size_t base_hdr_len(enum nicsec_hal_family f) {
  return f == NICSEC_HAL_AF_INET ? IPV4_MIN_HDR : IPV6_HDR;
}

/* A header of hdr_len octets at out (options, if any, already in place after the base): the
 * base fields of `fields` (TOS/traffic class, ID and flags, TTL/hop limit, flow label), the
 * given addresses, protocol and length; IPv4 checksum last. */
static void write_header(uint8_t *out, enum nicsec_hal_family f, const uint8_t *fields,
                         size_t hdr_len, const uint8_t *src, const uint8_t *dst, size_t total,
                         uint8_t proto) {
  size_t alen = addr_len(f);
  memcpy(out, fields, base_hdr_len(f));
  if (f == NICSEC_HAL_AF_INET)
    out[IPV4_VER_IHL] = (uint8_t)(0x40 | hdr_len / 4);
  memcpy(out + (f == NICSEC_HAL_AF_INET ? IPV4_SRC : IPV6_SRC), src, alen);
  memcpy(out + (f == NICSEC_HAL_AF_INET ? IPV4_DST : IPV6_DST), dst, alen);
  ip_set_proto_len(out, f, hdr_len, proto, total);
}

static bool same_bytes(const uint8_t *a, const struct nicsec_hal_addr *b, size_t len) {
  return memcmp(a, b->bytes, len) == 0;
}

/* The pseudo header for `opt_len` octets of IPv4 options at opts: NOP padding brings it to a
 * multiple of 8 octets. */
static size_t write_pseudo_header(uint8_t *ph, uint8_t next_header, const uint8_t *opts,
                                  size_t opt_len) {
  size_t pad = (BEET_PH_UNIT - (BEET_PH_FIXED + opt_len) % BEET_PH_UNIT) % BEET_PH_UNIT;
  size_t len = BEET_PH_FIXED + pad + opt_len;
  ph[BEET_PH_NEXT] = next_header;
  ph[BEET_PH_HDRLEN] = (uint8_t)(len / BEET_PH_UNIT - 1);
  ph[BEET_PH_PADLEN] = (uint8_t)pad;
  ph[BEET_PH_RESERVED] = 0;
  memset(ph + BEET_PH_FIXED, IPV4_OPT_NOP, pad);
  memcpy(ph + BEET_PH_FIXED + pad, opts, opt_len);
  return len;
}

enum nicsec_hal_err beet_plan_out(const struct nicsec_hal_sa *sa, const struct ip_view *inner,
                                  const uint8_t *pkt, struct beet_out *plan) {
  if (inner->fragment || inner->ext_hdr || inner->proto == IPPROTO_NUM_NONE)
    return NICSEC_HAL_E_PKT_UNSUPPORTED;
  if (inner->family != sa->beet.src.family ||
      !same_bytes(inner->src, &sa->beet.src, inner->addr_len) ||
      !same_bytes(inner->dst, &sa->beet.dst, inner->addr_len))
    return NICSEC_HAL_E_PKT_POLICY; /* BEET carries one address pair: the SA's */
  size_t base = base_hdr_len(inner->family);
  plan->payload = pkt + inner->hdr_len;
  plan->payload_len = inner->total_len - inner->hdr_len;
  plan->next_header = inner->proto;
  plan->ph_len = 0;
  if (inner->hdr_len > base) { /* IPv4 options */
    plan->ph_len = write_pseudo_header(plan->ph, inner->proto, pkt + base, inner->hdr_len - base);
    plan->next_header = IPPROTO_NUM_BEETPH;
  }
  return NICSEC_HAL_OK;
}

void beet_write_outer(const struct nicsec_hal_sa *sa, const uint8_t *inner_hdr, uint8_t *out,
                      size_t total, uint8_t proto) {
  enum nicsec_hal_family f = sa->src.family;
  write_header(out, f, inner_hdr, base_hdr_len(f), sa->src.bytes, sa->dst.bytes, total, proto);
}

size_t beet_inner_base_len(const struct nicsec_hal_sa *sa) {
  return base_hdr_len(sa->beet.src.family);
}

/* Validates the pseudo header at ph (avail octets of payload) and returns its option length
 * and its own length; false when it is inconsistent. */
static bool parse_pseudo_header(const uint8_t *ph, size_t avail, size_t *opt_len, size_t *ph_len) {
  if (avail < BEET_PH_UNIT)
    return false;
  size_t len = ((size_t)ph[BEET_PH_HDRLEN] + 1) * BEET_PH_UNIT;
  size_t pad = ph[BEET_PH_PADLEN];
  if (len > avail || pad >= BEET_PH_UNIT || BEET_PH_FIXED + pad >= len)
    return false;
  *opt_len = len - BEET_PH_FIXED - pad;
  if (*opt_len % 4 != 0 || *opt_len > IPV4_MIN_HDR * 2 /* IHL is 4 bits: 40 octets */)
    return false;
  for (size_t i = 0; i < pad; i++)
    if (ph[BEET_PH_FIXED + i] != IPV4_OPT_NOP)
      return false;
  *ph_len = len;
  return true;
}

enum nicsec_hal_err beet_finish_in(const struct nicsec_hal_sa *sa, const uint8_t *outer_hdr,
                                   uint8_t *out, size_t payload_len, uint8_t next_header,
                                   size_t *out_len) {
  enum nicsec_hal_family f = sa->beet.src.family;
  size_t base = base_hdr_len(f), opt_len = 0, ph_len = 0;
  uint8_t *payload = out + base;
  if (next_header == IPPROTO_NUM_BEETPH) {
    if (f != NICSEC_HAL_AF_INET || !parse_pseudo_header(payload, payload_len, &opt_len, &ph_len))
      return NICSEC_HAL_E_PKT_MALFORMED;
    next_header = payload[BEET_PH_NEXT];
  }
  size_t hdr_len = base + opt_len;
  size_t total = hdr_len + payload_len - ph_len;
  if (total > IP_MAX_TOTAL + (f == NICSEC_HAL_AF_INET6 ? IPV6_HDR : 0))
    return NICSEC_HAL_E_PKT_MALFORMED;
  /* The options end where the payload starts, so the header goes right in front of them; the
   * packet then moves down to out (a copy only packets with IPv4 options pay). */
  uint8_t *hdr = payload + ph_len - hdr_len;
  write_header(hdr, f, outer_hdr, hdr_len, sa->beet.src.bytes, sa->beet.dst.bytes, total,
               next_header);
  if (hdr != out)
    memmove(out, hdr, total);
  *out_len = total;
  return NICSEC_HAL_OK;
}
