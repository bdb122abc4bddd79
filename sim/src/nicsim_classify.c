/* The classifier's rules are two ordered tables (first match wins) over a parsed view of the
 * frame; parsing only ever looks at octets the frame has. */
#include "nicsim_classify.h"

#include <stdbool.h>
#include <string.h>

enum {
  ETHERTYPE_IPV4 = 0x0800,
  ETHERTYPE_IPV6 = 0x86dd,
  IPV4_MIN_HLEN = 20,
  IPV6_HLEN = 40,
  UDP_HLEN = 8,
  PROTO_UDP = 17,
  PROTO_ESP = 50,
  PORT_IKE = 500,
  PORT_NATT = 4500,
  ESP_MIN = 8, /* SPI and sequence number */
  NON_ESP_MARKER_LEN = 4,
  IPV4_FRAG_MASK = 0x3fff, /* MF and the fragment offset */
};

/* What the rules look at, filled by parse(). */
struct view {
  const uint8_t *frame;
  uint16_t ethertype;
  bool ip, ipv4, ip_ok, fragment, udp;
  uint8_t proto;
  uint16_t sport, dport;
  uint16_t l3_off, l3_len, l4_off;
  const uint8_t *payload; /* after the UDP header, or the IP payload for ESP */
  size_t payload_len;
};

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void parse_l4(struct view *v) {
  const uint8_t *l4 = v->frame + v->l4_off;
  size_t l4_len = (size_t)v->l3_off + v->l3_len - v->l4_off;
  v->payload = l4;
  v->payload_len = l4_len;
  if (v->proto != PROTO_UDP || v->fragment || l4_len < UDP_HLEN)
    return;
  v->udp = true;
  v->sport = get16(l4);
  v->dport = get16(l4 + 2);
  v->payload = l4 + UDP_HLEN;
  v->payload_len = l4_len - UDP_HLEN;
}

static void parse_ipv4(struct view *v, size_t avail) {
  const uint8_t *ip = v->frame + v->l3_off;
  if (avail < IPV4_MIN_HLEN || ip[0] >> 4 != 4)
    return;
  size_t hlen = (size_t)(ip[0] & 0x0f) * 4, total = get16(ip + 2);
  if (hlen < IPV4_MIN_HLEN || total < hlen || total > avail)
    return;
  v->ip_ok = true;
  v->l3_len = (uint16_t)total;
  v->l4_off = (uint16_t)(v->l3_off + hlen);
  v->proto = ip[9];
  v->fragment = (get16(ip + 6) & IPV4_FRAG_MASK) != 0;
  parse_l4(v);
}

/* Only the fixed header: a packet with extension headers is left to the host. */
static void parse_ipv6(struct view *v, size_t avail) {
  const uint8_t *ip = v->frame + v->l3_off;
  if (avail < IPV6_HLEN || ip[0] >> 4 != 6 || (size_t)get16(ip + 4) + IPV6_HLEN > avail)
    return;
  v->ip_ok = true;
  v->l3_len = (uint16_t)(get16(ip + 4) + IPV6_HLEN);
  v->l4_off = (uint16_t)(v->l3_off + IPV6_HLEN);
  v->proto = ip[6];
  parse_l4(v);
}

static void parse(const uint8_t *frame, size_t len, struct view *v) {
  memset(v, 0, sizeof *v);
  v->frame = frame;
  v->ethertype = get16(frame + 12);
  v->l3_off = NICSIM_ETH_HLEN;
  /* An IPv4 packet is at most 65,535 octets: whatever a longer frame holds beyond that is not
   * part of it, and the offsets stay within uint16_t. */
  size_t avail = len - NICSIM_ETH_HLEN;
  if (avail > UINT16_MAX)
    avail = UINT16_MAX;
  v->ipv4 = v->ethertype == ETHERTYPE_IPV4;
  v->ip = v->ipv4 || v->ethertype == ETHERTYPE_IPV6;
  if (v->ipv4)
    parse_ipv4(v, avail);
  else if (v->ip)
    parse_ipv6(v, avail);
}

/* ---- predicates the tables use ------------------------------------------------------------ */

static bool not_ip(const struct view *v) { return !v->ip; }
static bool bad_ip(const struct view *v) { return !v->ip_ok; }
static bool fragment(const struct view *v) { return v->fragment; }
static bool esp(const struct view *v) { return v->proto == PROTO_ESP && v->payload_len >= ESP_MIN; }
static bool any_esp(const struct view *v) { return v->proto == PROTO_ESP; }
static bool ike_port(const struct view *v) {
  return v->udp && (v->sport == PORT_IKE || v->dport == PORT_IKE);
}
static bool natt_port(const struct view *v) {
  return v->udp && (v->sport == PORT_NATT || v->dport == PORT_NATT);
}
static bool to_natt(const struct view *v) { return v->udp && v->dport == PORT_NATT; }
static bool keepalive(const struct view *v) { return v->payload_len == 1 && v->payload[0] == 0xff; }
static bool marker(const struct view *v) {
  return v->payload_len >= NON_ESP_MARKER_LEN && get32(v->payload) == 0;
}
static bool natt_esp(const struct view *v) { return v->payload_len >= ESP_MIN; }
static bool always(const struct view *v) {
  (void)v;
  return true;
}

/* ---- the rule tables ---------------------------------------------------------------------- */

struct rule {
  bool (*when)(const struct view *v);
  bool (*and_when)(const struct view *v); /* NULL: no second condition */
  enum nicsim_verdict verdict;
  enum nicsim_reason reason;
};

/* Host -> wire. IKE and NAT-T ports come before the engine's steering table so that a selector
 * covering the peer's own address never turns IKE into ESP. */
static const struct rule egress_rules[] = {
    {not_ip, NULL, NICSIM_BYPASS, NICSIM_R_NON_IP},
    {bad_ip, NULL, NICSIM_DROP, NICSIM_R_MALFORMED_IP},
    {ike_port, NULL, NICSIM_BYPASS, NICSIM_R_IKE},
    {natt_port, keepalive, NICSIM_BYPASS, NICSIM_R_NATT_KEEPALIVE},
    {natt_port, marker, NICSIM_BYPASS, NICSIM_R_IKE},
    {natt_port, NULL, NICSIM_BYPASS, NICSIM_R_HOST_ESP},
    {any_esp, NULL, NICSIM_BYPASS, NICSIM_R_HOST_ESP},
    {always, NULL, NICSIM_ENGINE_EGRESS, NICSIM_R_LOOKUP},
};

/* Wire -> host. Anything the NIC cannot or need not handle is the host's: a real NIC leaves it
 * to software. */
static const struct rule ingress_rules[] = {
    {not_ip, NULL, NICSIM_BYPASS, NICSIM_R_NON_IP},
    {bad_ip, NULL, NICSIM_BYPASS, NICSIM_R_MALFORMED_IP},
    {fragment, NULL, NICSIM_BYPASS, NICSIM_R_FRAGMENT},
    {esp, NULL, NICSIM_ENGINE_INGRESS, NICSIM_R_ESP},
    {any_esp, NULL, NICSIM_BYPASS, NICSIM_R_SHORT_ESP},
    {to_natt, keepalive, NICSIM_BYPASS, NICSIM_R_NATT_KEEPALIVE},
    {to_natt, marker, NICSIM_BYPASS, NICSIM_R_IKE},
    {to_natt, natt_esp, NICSIM_ENGINE_INGRESS, NICSIM_R_ESP_IN_UDP},
    {to_natt, NULL, NICSIM_BYPASS, NICSIM_R_SHORT_ESP},
    {ike_port, NULL, NICSIM_BYPASS, NICSIM_R_IKE},
    {always, NULL, NICSIM_BYPASS, NICSIM_R_OTHER_IP},
};

static const struct rule *first_match(const struct rule *rules, size_t n, const struct view *v) {
  for (size_t i = 0; i < n; i++)
    if (rules[i].when(v) && (!rules[i].and_when || rules[i].and_when(v)))
      return &rules[i];
  return &rules[n - 1]; /* unreachable: every table ends with `always` */
}

static void fill(const struct view *v, const struct rule *r, struct nicsim_class *out) {
  out->verdict = r->verdict;
  out->reason = r->reason;
  out->ethertype = v->ethertype;
  out->l3_off = v->ip_ok ? v->l3_off : 0;
  out->l3_len = v->l3_len;
  out->l4_off = v->ip_ok ? v->l4_off : 0;
  out->proto = v->proto;
  if (r->verdict == NICSIM_ENGINE_INGRESS)
    out->spi = get32(v->payload);
}

static bool runt(size_t len, struct nicsim_class *out) {
  memset(out, 0, sizeof *out);
  if (len >= NICSIM_ETH_HLEN)
    return false;
  out->verdict = NICSIM_DROP;
  out->reason = NICSIM_R_RUNT;
  return true;
}

void nicsim_classify_egress(const uint8_t *frame, size_t len, struct nicsim_class *out) {
  if (runt(len, out))
    return;
  struct view v;
  parse(frame, len, &v);
  fill(&v, first_match(egress_rules, sizeof egress_rules / sizeof *egress_rules, &v), out);
}

void nicsim_classify_ingress(const uint8_t *frame, size_t len,
                             const uint8_t host_mac[NICSIM_MAC_LEN], struct nicsim_class *out) {
  if (runt(len, out))
    return;
  bool group = frame[0] & 1; /* broadcast and multicast */
  if (!group && memcmp(frame, host_mac, NICSIM_MAC_LEN) != 0) {
    out->verdict = NICSIM_DROP;
    out->reason = NICSIM_R_NOT_FOR_US;
    out->ethertype = get16(frame + 12);
    return;
  }
  struct view v;
  parse(frame, len, &v);
  fill(&v, first_match(ingress_rules, sizeof ingress_rules / sizeof *ingress_rules, &v), out);
}

const char *nicsim_reason_name(enum nicsim_reason reason) {
  static const char *const names[NICSIM_R_COUNT] = {
      [NICSIM_R_RUNT] = "runt",
      [NICSIM_R_NOT_FOR_US] = "not_for_us",
      [NICSIM_R_MALFORMED_IP] = "malformed_ip",
      [NICSIM_R_NON_IP] = "non_ip",
      [NICSIM_R_FRAGMENT] = "fragment",
      [NICSIM_R_IKE] = "ike",
      [NICSIM_R_NATT_KEEPALIVE] = "natt_keepalive",
      [NICSIM_R_HOST_ESP] = "host_esp",
      [NICSIM_R_SHORT_ESP] = "short_esp",
      [NICSIM_R_LOOKUP] = "lookup",
      [NICSIM_R_UNSTEERED] = "unsteered",
      [NICSIM_R_STEER_DROP] = "steer_drop",
      [NICSIM_R_OTHER_IP] = "other_ip",
      [NICSIM_R_STEERED] = "steered",
      [NICSIM_R_ESP] = "esp",
      [NICSIM_R_ESP_IN_UDP] = "esp_in_udp",
  };
  return (unsigned)reason < NICSIM_R_COUNT ? names[reason] : "unknown";
}
