#include "esp_engine.h"

#include <stddef.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "esp_beet.h"
#include "soft_policy.h"

enum { NON_ESP_MARKER_LEN = 4, NATT_KEEPALIVE = 0xff };

/* ---- SA state ----------------------------------------------------------------------------- */

enum nicsec_hal_err soft_sa_init(struct soft_sa *sa, const struct nicsec_hal_sa *desc) {
  memset(sa, 0, sizeof *sa);
  enum nicsec_hal_err err =
      esp_aead_check(desc->alg, desc->key_len, desc->icv_len); /* refused at install, not later */
  if (err != NICSEC_HAL_OK)
    return err;
  bool inbound = desc->dir == NICSEC_HAL_DIR_IN;
  if (inbound && !esp_replay_init(&sa->replay, desc->replay_window, desc->esn, desc->initial_seq))
    return NICSEC_HAL_E_REPLAY_WINDOW;
  sa->desc = *desc; /* the key waits here (wiped on delete) until the first packet */
  sa->seq_out = inbound ? 0 : desc->initial_seq;
  sa->stats.seq = inbound ? sa->replay.top : sa->seq_out;
  return NICSEC_HAL_OK;
}

/* The EVP context (about 1 KB: key schedule and GHASH tables) is made at the SA's first packet,
 * so the many idle SAs of a busy gateway cost only their raw key. From then on only the context
 * holds the key: the copy in desc is wiped. */
static enum nicsec_hal_err sa_keyed(struct soft_sa *sa) {
  if (sa->aead.ctx)
    return NICSEC_HAL_OK;
  enum nicsec_hal_err err =
      esp_aead_init(&sa->aead, sa->desc.alg, sa->desc.key, sa->desc.key_len, sa->desc.salt,
                    sa->desc.icv_len, sa->desc.dir == NICSEC_HAL_DIR_OUT);
  if (err == NICSEC_HAL_OK) {
    OPENSSL_cleanse(sa->desc.key, sizeof sa->desc.key);
    OPENSSL_cleanse(sa->desc.salt, sizeof sa->desc.salt);
  }
  return err;
}

void soft_sa_wipe(struct soft_sa *sa) {
  esp_aead_free(&sa->aead);
  esp_replay_free(&sa->replay);
  OPENSSL_cleanse(sa, sizeof *sa);
}

/* ---- counters, limits, drop reasons ------------------------------------------------------- */

/* Which counter each limit watches and which event its crossing raises. */
static const struct limit_rule {
  enum nicsec_hal_event_type event;
  size_t limit_off; /* offset in struct nicsec_hal_limits */
  bool bytes;       /* compares stats.bytes, else stats.packets */
  bool hard;
} limit_rules[] = {
    {NICSEC_HAL_EV_SOFT_PACKETS, offsetof(struct nicsec_hal_limits, soft_packets), false, false},
    {NICSEC_HAL_EV_HARD_PACKETS, offsetof(struct nicsec_hal_limits, hard_packets), false, true},
    {NICSEC_HAL_EV_SOFT_BYTES, offsetof(struct nicsec_hal_limits, soft_bytes), true, false},
    {NICSEC_HAL_EV_HARD_BYTES, offsetof(struct nicsec_hal_limits, hard_bytes), true, true},
};

static uint64_t limit_value(const struct nicsec_hal_limits *l, const struct limit_rule *r) {
  uint64_t v;
  memcpy(&v, (const uint8_t *)l + r->limit_off, sizeof v);
  return v;
}

static uint64_t counter_for(const struct soft_sa *sa, const struct limit_rule *r) {
  return r->bytes ? sa->stats.bytes : sa->stats.packets;
}

static bool any_limit(const struct nicsec_hal_limits *l) {
  return (l->soft_packets | l->hard_packets | l->soft_bytes | l->hard_bytes) != 0;
}

/* A hard limit reached by earlier packets refuses this one. */
static bool hard_expired(const struct soft_sa *sa) {
  if (!any_limit(&sa->desc.limits)) /* the common case, per packet */
    return false;
  for (size_t i = 0; i < sizeof limit_rules / sizeof limit_rules[0]; i++) {
    const struct limit_rule *r = &limit_rules[i];
    uint64_t limit = limit_value(&sa->desc.limits, r);
    if (r->hard && limit && counter_for(sa, r) >= limit)
      return true;
  }
  return false;
}

static uint32_t account_packet(struct soft_sa *sa, size_t bytes) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME_COARSE, &now);
  sa->stats.packets++;
  sa->stats.bytes += bytes;
  sa->stats.last_use_s = (uint64_t)now.tv_sec;
  uint32_t events = 0;
  if (!any_limit(&sa->desc.limits))
    return events;
  for (size_t i = 0; i < sizeof limit_rules / sizeof limit_rules[0]; i++) {
    const struct limit_rule *r = &limit_rules[i];
    uint64_t limit = limit_value(&sa->desc.limits, r);
    uint32_t bit = SOFT_EV_BIT(r->event);
    if (limit && counter_for(sa, r) >= limit && !(sa->fired & bit)) {
      sa->fired |= bit;
      events |= bit;
    }
  }
  return events;
}

static const struct {
  enum nicsec_hal_err err;
  enum nicsec_hal_drop drop;
} drop_map[] = {
    {NICSEC_HAL_E_PKT_MALFORMED, NICSEC_HAL_DROP_MALFORMED},
    {NICSEC_HAL_E_PKT_UNSUPPORTED, NICSEC_HAL_DROP_UNSUPPORTED},
    {NICSEC_HAL_E_PKT_NO_SA, NICSEC_HAL_DROP_NO_SA},
    {NICSEC_HAL_E_PKT_REPLAY, NICSEC_HAL_DROP_REPLAY},
    {NICSEC_HAL_E_PKT_AUTH, NICSEC_HAL_DROP_AUTH},
    {NICSEC_HAL_E_PKT_TRAILER, NICSEC_HAL_DROP_TRAILER},
    {NICSEC_HAL_E_PKT_DUMMY, NICSEC_HAL_DROP_DUMMY},
    {NICSEC_HAL_E_PKT_POLICY, NICSEC_HAL_DROP_POLICY},
    {NICSEC_HAL_E_PKT_EXPIRED, NICSEC_HAL_DROP_EXPIRED},
    {NICSEC_HAL_E_PKT_SN_EXHAUSTED, NICSEC_HAL_DROP_SN_EXHAUSTED},
    {NICSEC_HAL_E_PKT_TOO_BIG, NICSEC_HAL_DROP_TOO_BIG},
};

enum nicsec_hal_drop soft_drop_reason(enum nicsec_hal_err err) {
  for (size_t i = 0; i < sizeof drop_map / sizeof drop_map[0]; i++)
    if (drop_map[i].err == err)
      return drop_map[i].drop;
  return NICSEC_HAL_DROP_MALFORMED; /* crypto library failures: count somewhere visible */
}

void soft_sa_count_drop(struct nicsec_hal_sa_stats *stats, enum nicsec_hal_err err) {
  enum nicsec_hal_drop reason = soft_drop_reason(err);
  stats->drops[reason]++;
  stats->replay_drops = stats->drops[NICSEC_HAL_DROP_REPLAY];
  stats->auth_failures = stats->drops[NICSEC_HAL_DROP_AUTH];
}

/* ---- ESP layer ---------------------------------------------------------------------------- */

/* RFC 4106 5 / RFC 7634 2.1: SPI | SN, or SPI | SN high | SN low with ESN. */
static size_t build_aad(uint8_t aad[ESP_MAX_AAD], uint32_t spi, uint64_t seq, bool esn) {
  put_be32(aad, spi);
  if (!esn) {
    put_be32(aad + 4, (uint32_t)seq);
    return 8;
  }
  put_be64(aad + 4, seq);
  return 12;
}

/* Writes the ESP header and seals payload || tail behind it; *esp_len = whole ESP packet. */
static enum nicsec_hal_err seal_esp(struct soft_sa *sa, uint64_t seq, const uint8_t iv[ESP_IV_LEN],
                                    uint8_t *esp, const uint8_t *payload, size_t payload_len,
                                    const uint8_t *tail, size_t tail_len, size_t *esp_len) {
  enum nicsec_hal_err err = sa_keyed(sa);
  if (err != NICSEC_HAL_OK)
    return err;
  uint8_t aad[ESP_MAX_AAD];
  size_t aad_len = build_aad(aad, sa->desc.spi, seq, sa->desc.esn);
  put_be32(esp + ESP_SPI, sa->desc.spi);
  put_be32(esp + ESP_SEQ, (uint32_t)seq);
  memcpy(esp + ESP_IV, iv, ESP_IV_LEN);
  size_t pt_len = payload_len + tail_len;
  *esp_len = ESP_HDR + pt_len + sa->desc.icv_len;
  return esp_aead_seal_from(&sa->aead, aad, aad_len, iv, payload, payload_len, tail, tail_len,
                            esp + ESP_HDR, esp + ESP_HDR + pt_len);
}

enum nicsec_hal_err soft_esp_seal(struct soft_sa *sa, uint64_t seq, const uint8_t iv[ESP_IV_LEN],
                                  uint8_t *esp, size_t pt_len, size_t *esp_len) {
  return seal_esp(sa, seq, iv, esp, esp + ESP_HDR, pt_len, NULL, 0, esp_len);
}

enum nicsec_hal_err soft_esp_open(struct soft_sa *sa, const uint8_t *esp, size_t esp_len,
                                  uint8_t *pt, size_t pt_cap, size_t *pt_len, uint64_t *seq,
                                  uint32_t *events) {
  size_t icv_len = sa->desc.icv_len;
  if (esp_len < ESP_HDR + ESP_ALIGN + icv_len)
    return NICSEC_HAL_E_PKT_MALFORMED;
  size_t ct_len = esp_len - ESP_HDR - icv_len;
  if (ct_len % ESP_ALIGN != 0) /* the sender must align the ICV to 4 octets (RFC 4303 2.4) */
    return NICSEC_HAL_E_PKT_MALFORMED;
  if (ct_len > pt_cap)
    return NICSEC_HAL_E_PKT_TOO_BIG;
  if (get_be32(esp + ESP_SPI) != sa->desc.spi) /* callers look up by SPI; guard the layer anyway */
    return NICSEC_HAL_E_PKT_NO_SA;
  enum nicsec_hal_err err = esp_replay_check(&sa->replay, get_be32(esp + ESP_SEQ), seq);
  if (err == NICSEC_HAL_OK)
    err = sa_keyed(sa);
  if (err != NICSEC_HAL_OK)
    return err;
  uint8_t aad[ESP_MAX_AAD];
  size_t aad_len = build_aad(aad, sa->desc.spi, *seq, sa->desc.esn);
  err = esp_aead_open(&sa->aead, aad, aad_len, esp + ESP_IV, esp + ESP_HDR, ct_len,
                      esp + ESP_HDR + ct_len, pt);
  if (err != NICSEC_HAL_OK) {
    memset(pt, 0, ct_len); /* never leave unauthenticated plaintext behind */
    return err;
  }
  if (esp_replay_update(&sa->replay, *seq))
    *events |= SOFT_EV_BIT(NICSEC_HAL_EV_ESN_WRAP);
  sa->stats.seq = sa->replay.top;
  sa->stats.replay_seen = sa->replay.seen;
  *pt_len = ct_len;
  return NICSEC_HAL_OK;
}

/* ---- outbound ----------------------------------------------------------------------------- */

/* What encap takes from the plaintext packet, by mode. */
struct encap_plan {
  const uint8_t *payload; /* protected bytes */
  size_t payload_len;
  uint8_t next_header;
  size_t outer_hdr_len;   /* outer IP header (tunnel, BEET: fresh; transport: the packet's own) */
  enum nicsec_hal_family family;
  uint8_t tos;
  const uint8_t *beet_ph; /* BEET: pseudo header protected before the payload */
  size_t beet_ph_len;
};

static enum nicsec_hal_err plan_beet(const struct soft_sa *sa, const uint8_t *in,
                                     const struct ip_view *v, struct beet_out *beet,
                                     struct encap_plan *plan) {
  enum nicsec_hal_err err = beet_plan_out(&sa->desc, v, in, beet);
  if (err != NICSEC_HAL_OK)
    return err;
  plan->payload = beet->payload;
  plan->payload_len = beet->payload_len;
  plan->next_header = beet->next_header;
  plan->family = sa->desc.src.family;
  plan->outer_hdr_len = plan->family == NICSEC_HAL_AF_INET ? IPV4_MIN_HDR : IPV6_HDR;
  plan->tos = v->tos;
  plan->beet_ph = beet->ph;
  plan->beet_ph_len = beet->ph_len;
  return NICSEC_HAL_OK;
}

static enum nicsec_hal_err plan_encap(const struct soft_sa *sa, const uint8_t *in,
                                      const struct ip_view *v, struct beet_out *beet,
                                      struct encap_plan *plan) {
  plan->beet_ph_len = 0;
  if (sa->desc.mode == NICSEC_HAL_MODE_BEET)
    return plan_beet(sa, in, v, beet, plan);
  if (sa->desc.mode == NICSEC_HAL_MODE_TUNNEL) {
    plan->payload = in;
    plan->payload_len = v->total_len;
    plan->next_header = v->family == NICSEC_HAL_AF_INET ? IPPROTO_NUM_IPV4 : IPPROTO_NUM_IPV6;
    plan->family = sa->desc.src.family;
    plan->outer_hdr_len = plan->family == NICSEC_HAL_AF_INET ? IPV4_MIN_HDR : IPV6_HDR;
    plan->tos = v->tos; /* copy DSCP and ECN to the outer header (RFC 4301 5.1.2, RFC 6040) */
    return NICSEC_HAL_OK;
  }
  /* Transport: ESP goes right after the IP header; reassembly and extension-header walking
   * are the host stack's business, not the engine's. */
  if (v->fragment || v->ext_hdr)
    return NICSEC_HAL_E_PKT_UNSUPPORTED;
  if (v->proto == IPPROTO_NUM_NONE) /* the peer would take it for a TFC dummy and drop it */
    return NICSEC_HAL_E_PKT_UNSUPPORTED;
  if (v->family != sa->desc.src.family)
    return NICSEC_HAL_E_PKT_POLICY;
  plan->payload = in + v->hdr_len;
  plan->payload_len = v->total_len - v->hdr_len;
  plan->next_header = v->proto;
  plan->family = v->family;
  plan->outer_hdr_len = v->hdr_len;
  plan->tos = v->tos;
  return NICSEC_HAL_OK;
}

static size_t addr_len_of(enum nicsec_hal_family f) { return f == NICSEC_HAL_AF_INET ? 4 : 16; }

static void write_outer_ip(struct soft_sa *sa, const struct encap_plan *plan, const uint8_t *in,
                           uint8_t *out, size_t total, uint8_t proto) {
  if (sa->desc.mode == NICSEC_HAL_MODE_BEET) {
    beet_write_outer(&sa->desc, in, out, total, proto);
  } else if (sa->desc.mode == NICSEC_HAL_MODE_TRANSPORT) {
    memcpy(out, in, plan->outer_hdr_len);
    ip_set_proto_len(out, plan->family, plan->outer_hdr_len, proto, total);
  } else if (plan->family == NICSEC_HAL_AF_INET) {
    ipv4_write(out, plan->tos, (uint16_t)total, sa->ip_id++, proto, sa->desc.src.bytes,
               sa->desc.dst.bytes);
  } else {
    ipv6_write(out, plan->tos, (uint16_t)(total - IPV6_HDR), proto, sa->desc.src.bytes,
               sa->desc.dst.bytes);
  }
}

/* The ESP trailer: RFC 4303 default padding 1, 2, 3, ... (pad octets bring the ICV to a
 * 4-octet boundary; AEADs here are stream modes), pad length and next header. Returns its
 * length. */
static size_t write_esp_trailer(uint8_t tail[ESP_ALIGN - 1 + ESP_TRAILER], size_t pad,
                                uint8_t next_header) {
  for (size_t i = 0; i < pad; i++)
    tail[i] = (uint8_t)(i + 1);
  tail[pad] = (uint8_t)pad;
  tail[pad + 1] = next_header;
  return pad + ESP_TRAILER;
}

/* Seals the planned payload with its trailer into the ESP packet at esp. */
static enum nicsec_hal_err seal_plan(struct soft_sa *sa, uint64_t seq, const uint8_t iv[ESP_IV_LEN],
                                     const struct encap_plan *plan, size_t pad, uint8_t *esp,
                                     size_t *esp_len) {
  uint8_t tail[ESP_ALIGN - 1 + ESP_TRAILER];
  size_t tail_len = write_esp_trailer(tail, pad, plan->next_header);
  const uint8_t *src = plan->payload;
  size_t src_len = plan->payload_len;
  if (plan->beet_ph_len) { /* rare (IPv4 options): assemble pseudo header + payload in place */
    memcpy(esp + ESP_HDR, plan->beet_ph, plan->beet_ph_len);
    memcpy(esp + ESP_HDR + plan->beet_ph_len, plan->payload, plan->payload_len);
    src = esp + ESP_HDR;
    src_len += plan->beet_ph_len;
  }
  /* Otherwise sealed straight from the caller's packet: no copy of the payload. */
  return seal_esp(sa, seq, iv, esp, src, src_len, tail, tail_len, esp_len);
}

enum nicsec_hal_err soft_esp_build(struct soft_sa *sa, uint64_t seq, const uint8_t iv[ESP_IV_LEN],
                                   const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
                                   size_t *out_len) {
  struct ip_view v;
  struct encap_plan plan;
  struct beet_out beet;
  enum nicsec_hal_err err = ip_parse(in, in_len, &v);
  if (err == NICSEC_HAL_OK)
    err = plan_encap(sa, in, &v, &beet, &plan);
  if (err != NICSEC_HAL_OK)
    return err;
  size_t udp_len = sa->desc.encap.enabled ? UDP_HDR : 0;
  size_t protected_len = plan.beet_ph_len + plan.payload_len;
  size_t pad = (ESP_ALIGN - (protected_len + ESP_TRAILER) % ESP_ALIGN) % ESP_ALIGN;
  size_t esp_len = ESP_HDR + protected_len + pad + ESP_TRAILER + sa->desc.icv_len;
  size_t total = plan.outer_hdr_len + udp_len + esp_len;
  size_t ip_max = IP_MAX_TOTAL + (plan.family == NICSEC_HAL_AF_INET6 ? IPV6_HDR : 0);
  if (total > out_cap || total > ip_max)
    return NICSEC_HAL_E_PKT_TOO_BIG;
  err = seal_plan(sa, seq, iv, &plan, pad, out + plan.outer_hdr_len + udp_len, &esp_len);
  if (err != NICSEC_HAL_OK)
    return err;
  uint8_t proto = udp_len ? IPPROTO_NUM_UDP : IPPROTO_NUM_ESP;
  write_outer_ip(sa, &plan, in, out, total, proto);
  if (udp_len) {
    size_t addr_off = plan.family == NICSEC_HAL_AF_INET ? IPV4_SRC : IPV6_SRC;
    udp_write(out + plan.outer_hdr_len, udp_len + esp_len, sa->desc.encap.sport,
              sa->desc.encap.dport, plan.family, out + addr_off,
              out + addr_off + addr_len_of(plan.family));
  }
  *out_len = total;
  return NICSEC_HAL_OK;
}

enum nicsec_hal_err soft_esp_encap(struct soft_sa *sa, const uint8_t *in, size_t in_len,
                                   uint8_t *out, size_t out_cap, size_t *out_len,
                                   uint32_t *events) {
  uint64_t last_sn = sa->desc.esn ? UINT64_MAX : UINT32_MAX;
  if (hard_expired(sa))
    return NICSEC_HAL_E_PKT_EXPIRED;
  if (sa->seq_out >= last_sn) /* never wrap: the IV (= SN) would repeat under the same key */
    return NICSEC_HAL_E_PKT_SN_EXHAUSTED;
  uint64_t seq = sa->seq_out + 1;
  uint8_t iv[ESP_IV_LEN];
  put_be64(iv, seq);
  enum nicsec_hal_err err = soft_esp_build(sa, seq, iv, in, in_len, out, out_cap, out_len);
  if (err != NICSEC_HAL_OK)
    return err;
  sa->seq_out = seq;
  sa->stats.seq = seq;
  if (sa->desc.esn && (uint32_t)seq == 0)
    *events |= SOFT_EV_BIT(NICSEC_HAL_EV_ESN_WRAP);
  if (seq == last_sn)
    *events |= SOFT_EV_BIT(NICSEC_HAL_EV_SN_EXHAUSTED);
  *events |= account_packet(sa, in_len);
  return NICSEC_HAL_OK;
}

/* ---- inbound ------------------------------------------------------------------------------ */

enum nicsec_hal_err soft_esp_parse_outer(const uint8_t *in, size_t in_len, struct esp_outer *o) {
  memset(o, 0, sizeof *o);
  enum nicsec_hal_err err = ip_parse(in, in_len, &o->ip);
  if (err != NICSEC_HAL_OK)
    return err;
  if (o->ip.fragment || o->ip.ext_hdr)
    return NICSEC_HAL_E_PKT_UNSUPPORTED; /* the host stack reassembles before decap */
  size_t off = o->ip.hdr_len, end = o->ip.total_len;
  if (o->ip.proto == IPPROTO_NUM_UDP) {
    if (end - off < UDP_HDR)
      return NICSEC_HAL_E_PKT_MALFORMED;
    size_t udp_len = get_be16(in + off + UDP_LEN);
    if (udp_len < UDP_HDR || udp_len > end - off)
      return NICSEC_HAL_E_PKT_MALFORMED;
    end = off + udp_len;
    off += UDP_HDR;
    o->udp = true;
    /* RFC 3948 2.2/2.3: a lone 0xff is a NAT keepalive, four zero octets mark IKE. */
    if (end - off == 1 && in[off] == NATT_KEEPALIVE)
      return NICSEC_HAL_E_PKT_NOT_ESP;
    if (end - off >= NON_ESP_MARKER_LEN && get_be32(in + off) == 0)
      return NICSEC_HAL_E_PKT_NOT_ESP;
  } else if (o->ip.proto != IPPROTO_NUM_ESP) {
    return NICSEC_HAL_E_PKT_NOT_ESP;
  }
  if (end - off < ESP_HDR)
    return NICSEC_HAL_E_PKT_MALFORMED;
  o->esp_off = off;
  o->esp_len = end - off;
  o->spi = get_be32(in + off + ESP_SPI);
  return NICSEC_HAL_OK;
}

/* RFC 4303 2.4-2.6: strips padding (checking the 1, 2, 3, ... pattern) and the trailer. */
static enum nicsec_hal_err parse_trailer(const uint8_t *pt, size_t pt_len, size_t *payload_len,
                                         uint8_t *next_header) {
  if (pt_len < ESP_TRAILER)
    return NICSEC_HAL_E_PKT_TRAILER;
  size_t pad = pt[pt_len - 2];
  *next_header = pt[pt_len - 1];
  if (pad + ESP_TRAILER > pt_len)
    return NICSEC_HAL_E_PKT_TRAILER;
  *payload_len = pt_len - ESP_TRAILER - pad;
  for (size_t i = 0; i < pad; i++)
    if (pt[*payload_len + i] != (uint8_t)(i + 1))
      return NICSEC_HAL_E_PKT_TRAILER;
  if (*next_header == IPPROTO_NUM_NONE)
    return NICSEC_HAL_E_PKT_DUMMY;
  return NICSEC_HAL_OK;
}

/* RFC 4301 5.2: after decap, the inner packet must match the SA's selector. */
static bool selector_match(const struct soft_sa *sa, const struct ip_view *v, const uint8_t *pkt) {
  return !sa->desc.has_sel || soft_selector_match(&sa->desc.sel, v, pkt);
}

/* Tunnel mode: the payload is the inner packet, possibly followed by TFC padding. */
static enum nicsec_hal_err finish_tunnel(const struct soft_sa *sa, const uint8_t *pt,
                                         size_t payload_len, uint8_t next_header,
                                         size_t *out_len) {
  if (next_header != IPPROTO_NUM_IPV4 && next_header != IPPROTO_NUM_IPV6)
    return NICSEC_HAL_E_PKT_TRAILER;
  struct ip_view inner;
  enum nicsec_hal_err err = ip_parse(pt, payload_len, &inner);
  if (err != NICSEC_HAL_OK)
    return err;
  bool version_ok = (inner.family == NICSEC_HAL_AF_INET) == (next_header == IPPROTO_NUM_IPV4);
  if (!version_ok)
    return NICSEC_HAL_E_PKT_MALFORMED;
  if (!selector_match(sa, &inner, pt))
    return NICSEC_HAL_E_PKT_POLICY;
  *out_len = inner.total_len;
  return NICSEC_HAL_OK;
}

/* Transport mode: rebuild the IP header in front of the payload. */
static enum nicsec_hal_err finish_transport(const struct esp_outer *o, const uint8_t *in,
                                            uint8_t *out, size_t payload_len, uint8_t next_header,
                                            size_t *out_len) {
  size_t total = o->ip.hdr_len + payload_len;
  if (total > IP_MAX_TOTAL + (o->ip.family == NICSEC_HAL_AF_INET6 ? IPV6_HDR : 0))
    return NICSEC_HAL_E_PKT_MALFORMED;
  memcpy(out, in, o->ip.hdr_len);
  ip_set_proto_len(out, o->ip.family, o->ip.hdr_len, next_header, total);
  *out_len = total;
  return NICSEC_HAL_OK;
}

/* BEET: rebuild the inner header from the outer one and the SA's inner addresses. */
static enum nicsec_hal_err finish_beet(const struct soft_sa *sa, const uint8_t *in, uint8_t *out,
                                       size_t payload_len, uint8_t next_header,
                                       size_t *out_len) {
  enum nicsec_hal_err err = beet_finish_in(&sa->desc, in, out, payload_len, next_header, out_len);
  struct ip_view inner;
  if (err == NICSEC_HAL_OK)
    err = ip_parse(out, *out_len, &inner);
  if (err == NICSEC_HAL_OK && !selector_match(sa, &inner, out))
    err = NICSEC_HAL_E_PKT_POLICY;
  return err;
}

enum nicsec_hal_err soft_esp_decap(struct soft_sa *sa, const struct esp_outer *o,
                                   const uint8_t *in, uint8_t *out, size_t out_cap,
                                   size_t *out_len, uint32_t *events) {
  if (sa->desc.encap.enabled != o->udp) /* ESP-in-UDP SA must not accept bare ESP, and back */
    return NICSEC_HAL_E_PKT_NO_SA;
  if (hard_expired(sa))
    return NICSEC_HAL_E_PKT_EXPIRED;
  enum nicsec_hal_mode mode = sa->desc.mode;
  size_t pt_off = mode == NICSEC_HAL_MODE_TUNNEL   ? 0
                  : mode == NICSEC_HAL_MODE_BEET ? beet_inner_base_len(&sa->desc)
                                                 : o->ip.hdr_len;
  if (out_cap < pt_off)
    return NICSEC_HAL_E_PKT_TOO_BIG;
  size_t pt_len, payload_len;
  uint64_t seq;
  uint8_t next_header;
  uint8_t *pt = out + pt_off;
  enum nicsec_hal_err err = soft_esp_open(sa, in + o->esp_off, o->esp_len, pt, out_cap - pt_off,
                                          &pt_len, &seq, events);
  if (err == NICSEC_HAL_OK)
    err = parse_trailer(pt, pt_len, &payload_len, &next_header);
  if (err == NICSEC_HAL_OK && mode == NICSEC_HAL_MODE_TUNNEL)
    err = finish_tunnel(sa, pt, payload_len, next_header, out_len);
  else if (err == NICSEC_HAL_OK && mode == NICSEC_HAL_MODE_BEET)
    err = finish_beet(sa, in, out, payload_len, next_header, out_len);
  else if (err == NICSEC_HAL_OK)
    err = finish_transport(o, in, out, payload_len, next_header, out_len);
  if (err != NICSEC_HAL_OK)
    return err;
  *events |= account_packet(sa, *out_len);
  return NICSEC_HAL_OK;
}
