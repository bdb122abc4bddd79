/* Traffic selector parsing, narrowing and formatting. */
#include "ts.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t addr_len(int family) {
  return family == AF_INET ? 4 : 16;
}

/* Sets the host bits of a prefix: bits below prefix_len to `fill` (0x00 or 0xff). */
static void apply_prefix(uint8_t *addr, size_t len, unsigned prefix_len, uint8_t fill) {
  for (size_t i = 0; i < len; i++) {
    unsigned first_bit = (unsigned)i * 8;
    if (first_bit >= prefix_len) {
      addr[i] = fill;
    } else if (prefix_len - first_bit < 8) {
      uint8_t host_mask = (uint8_t)(0xff >> (prefix_len - first_bit));
      addr[i] = fill ? (uint8_t)(addr[i] | host_mask) : (uint8_t)(addr[i] & ~host_mask);
    }
  }
}

static int parse_addr(const char *text, uint8_t *family, uint8_t *out) {
  if (inet_pton(AF_INET, text, out) == 1) {
    *family = AF_INET;
    return 0;
  }
  if (inet_pton(AF_INET6, text, out) == 1) {
    *family = AF_INET6;
    return 0;
  }
  return -1;
}

static int parse_number(const char *text, unsigned long max, unsigned long *out) {
  char *end;
  if (!text[0])
    return -1;
  unsigned long v = strtoul(text, &end, 10);
  if (*end || v > max)
    return -1;
  *out = v;
  return 0;
}

static const struct {
  const char *name;
  uint8_t number;
} protocols[] = {{"any", 0}, {"icmp", 1}, {"tcp", 6}, {"udp", 17}, {"icmp6", 58}, {"sctp", 132}};

static int parse_proto_port(char *spec, struct nd_ts *ts) {
  char *slash = strchr(spec, '/');
  if (slash)
    *slash = '\0';
  unsigned long num;
  bool known = false;
  for (size_t i = 0; i < sizeof protocols / sizeof protocols[0]; i++)
    if (strcmp(spec, protocols[i].name) == 0) {
      ts->proto = protocols[i].number;
      known = true;
    }
  if (!known) {
    if (parse_number(spec, 255, &num) != 0)
      return -1;
    ts->proto = (uint8_t)num;
  }
  if (!slash || strcmp(slash + 1, "%any") == 0)
    return 0;
  char *port = slash + 1, *dash = strchr(port, '-');
  unsigned long lo, hi;
  if (dash)
    *dash = '\0';
  if (parse_number(port, 65535, &lo) != 0 || (dash && parse_number(dash + 1, 65535, &hi) != 0))
    return -1;
  ts->start_port = (uint16_t)lo;
  ts->end_port = (uint16_t)(dash ? hi : lo);
  return ts->start_port <= ts->end_port ? 0 : -1;
}

static int parse_range(char *spec, struct nd_ts *ts) {
  char *slash = strchr(spec, '/'), *dash = strchr(spec, '-');
  if (slash) {
    *slash = '\0';
    unsigned long prefix;
    if (parse_addr(spec, &ts->family, ts->start) != 0 ||
        parse_number(slash + 1, addr_len(ts->family) * 8, &prefix) != 0)
      return -1;
    memcpy(ts->end, ts->start, 16);
    apply_prefix(ts->start, addr_len(ts->family), (unsigned)prefix, 0x00);
    apply_prefix(ts->end, addr_len(ts->family), (unsigned)prefix, 0xff);
    return 0;
  }
  if (dash) {
    *dash = '\0';
    uint8_t end_family;
    if (parse_addr(spec, &ts->family, ts->start) != 0 ||
        parse_addr(dash + 1, &end_family, ts->end) != 0 || end_family != ts->family)
      return -1;
    return memcmp(ts->start, ts->end, addr_len(ts->family)) <= 0 ? 0 : -1;
  }
  if (parse_addr(spec, &ts->family, ts->start) != 0)
    return -1;
  memcpy(ts->end, ts->start, 16);
  return 0;
}

int nd_ts_parse(const char *text, struct nd_ts_cfg *out, char *err, size_t err_len) {
  memset(out, 0, sizeof *out);
  out->ts.end_port = 65535;
  char buf[128];
  if (strlen(text) >= sizeof buf) {
    snprintf(err, err_len, "traffic selector '%.40s...' is too long", text);
    return -1;
  }
  snprintf(buf, sizeof buf, "%s", text);
  char *bracket = strchr(buf, '[');
  if (bracket) {
    size_t blen = strlen(bracket);
    bool closed = bracket[blen - 1] == ']';
    bracket[blen - 1] = '\0';
    *bracket = '\0';
    if (!closed || parse_proto_port(bracket + 1, &out->ts) != 0) {
      snprintf(err, err_len, "traffic selector '%s': expected [proto/port] such as [tcp/443]",
               text);
      return -1;
    }
  }
  if (strcmp(buf, "dynamic") == 0) {
    out->dynamic = true;
    return 0;
  }
  if (parse_range(buf, &out->ts) != 0) {
    snprintf(err, err_len, "traffic selector '%s' is not an address, prefix (a/n) or range (a-b)",
             text);
    return -1;
  }
  return 0;
}

void nd_ts_resolve(const struct nd_ts_cfg *cfg, size_t n, int family, const uint8_t *addr,
                   struct nd_ts_list *out) {
  out->count = 0;
  for (size_t i = 0; i < n && out->count < ND_MAX_TS; i++) {
    struct nd_ts ts = cfg[i].ts;
    if (cfg[i].dynamic) {
      ts.family = family;
      memset(ts.start, 0, 16);
      memcpy(ts.start, addr, addr_len(family));
      memcpy(ts.end, ts.start, 16);
    }
    out->ts[out->count++] = ts;
  }
}

bool nd_ts_intersect(const struct nd_ts *a, const struct nd_ts *b, struct nd_ts *out) {
  if (a->family != b->family)
    return false;
  if (a->proto && b->proto && a->proto != b->proto)
    return false;
  size_t len = addr_len(a->family);
  *out = *a;
  out->proto = a->proto ? a->proto : b->proto;
  out->start_port = a->start_port > b->start_port ? a->start_port : b->start_port;
  out->end_port = a->end_port < b->end_port ? a->end_port : b->end_port;
  memcpy(out->start, memcmp(a->start, b->start, len) > 0 ? a->start : b->start, len);
  memcpy(out->end, memcmp(a->end, b->end, len) < 0 ? a->end : b->end, len);
  return out->start_port <= out->end_port && memcmp(out->start, out->end, len) <= 0;
}

static bool from_wire(const struct ike_ts *w, struct nd_ts *out) {
  if (w->type != IKE_TS_IPV4_ADDR_RANGE && w->type != IKE_TS_IPV6_ADDR_RANGE)
    return false;
  memset(out, 0, sizeof *out);
  out->family = w->type == IKE_TS_IPV4_ADDR_RANGE ? AF_INET : AF_INET6;
  out->proto = w->ip_protocol;
  out->start_port = w->start_port;
  out->end_port = w->end_port;
  memcpy(out->start, w->start_addr, 16);
  memcpy(out->end, w->end_addr, 16);
  return true;
}

static bool list_add_unique(struct nd_ts_list *list, const struct nd_ts *ts) {
  for (size_t i = 0; i < list->count; i++)
    if (memcmp(&list->ts[i], ts, sizeof *ts) == 0)
      return true;
  if (list->count == ND_MAX_TS)
    return false;
  list->ts[list->count++] = *ts;
  return true;
}

bool nd_ts_narrow(const struct nd_ts_list *ours, const struct ike_ts_payload *peer,
                  struct nd_ts_list *out) {
  out->count = 0;
  for (size_t o = 0; o < ours->count; o++)
    for (size_t p = 0; p < peer->count; p++) {
      struct nd_ts theirs, both;
      if (from_wire(&peer->selectors[p], &theirs) && nd_ts_intersect(&ours->ts[o], &theirs, &both))
        (void)list_add_unique(out, &both);
    }
  return out->count > 0;
}

bool nd_ts_answer_ok(const struct nd_ts_list *proposed, const struct ike_ts_payload *answer,
                     struct nd_ts_list *out) {
  out->count = 0;
  if (answer->count == 0 || answer->count > ND_MAX_TS)
    return false;
  for (size_t a = 0; a < answer->count; a++) {
    struct nd_ts got, both;
    bool inside = false;
    if (!from_wire(&answer->selectors[a], &got))
      return false;
    for (size_t p = 0; p < proposed->count && !inside; p++)
      inside = nd_ts_intersect(&proposed->ts[p], &got, &both) &&
               memcmp(&both, &got, sizeof got) == 0;
    if (!inside)
      return false;
    out->ts[out->count++] = got;
  }
  return true;
}

void nd_ts_to_payload(const struct nd_ts_list *list, struct ike_ts_payload *out) {
  memset(out, 0, sizeof *out);
  for (size_t i = 0; i < list->count && i < IKE_MAX_TS; i++) {
    const struct nd_ts *ts = &list->ts[i];
    struct ike_ts *w = &out->selectors[out->count++];
    w->type = ts->family == AF_INET ? IKE_TS_IPV4_ADDR_RANGE : IKE_TS_IPV6_ADDR_RANGE;
    w->ip_protocol = ts->proto;
    w->start_port = ts->start_port;
    w->end_port = ts->end_port;
    memcpy(w->start_addr, ts->start, 16);
    memcpy(w->end_addr, ts->end, 16);
  }
}

bool nd_ts_is_prefix(const struct nd_ts *ts, uint8_t *prefix_len) {
  size_t len = addr_len(ts->family);
  for (unsigned bits = 0; bits <= len * 8; bits++) {
    uint8_t lo[16] = {0}, hi[16] = {0};
    memcpy(lo, ts->start, len);
    memcpy(hi, ts->start, len);
    apply_prefix(lo, len, bits, 0x00);
    apply_prefix(hi, len, bits, 0xff);
    if (memcmp(lo, ts->start, len) == 0 && memcmp(hi, ts->end, len) == 0) {
      *prefix_len = (uint8_t)bits;
      return true;
    }
  }
  return false;
}

void nd_ts_format(const struct nd_ts *ts, char *out, size_t len) {
  char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
  inet_ntop(ts->family, ts->start, a, sizeof a);
  uint8_t prefix;
  int n;
  if (nd_ts_is_prefix(ts, &prefix)) {
    n = snprintf(out, len, "%s/%u", a, prefix);
  } else {
    inet_ntop(ts->family, ts->end, b, sizeof b);
    n = snprintf(out, len, "%s-%s", a, b);
  }
  bool all_ports = ts->start_port == 0 && ts->end_port == 65535;
  if (n < 0 || (size_t)n >= len || (ts->proto == 0 && all_ports))
    return;
  if (all_ports)
    snprintf(out + n, len - (size_t)n, "[%u]", ts->proto);
  else if (ts->start_port == ts->end_port)
    snprintf(out + n, len - (size_t)n, "[%u/%u]", ts->proto, ts->start_port);
  else
    snprintf(out + n, len - (size_t)n, "[%u/%u-%u]", ts->proto, ts->start_port, ts->end_port);
}
