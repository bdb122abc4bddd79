/* seqflow datagram format and receiver accounting (no I/O; unit-tested and fuzzed). */
#include "seqflow.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const uint8_t seqflow_magic[4] = {'S', 'Q', 'F', '1'};

static void put_be64(uint8_t *p, uint64_t v) {
  for (int i = 7; i >= 0; i--) {
    p[i] = (uint8_t)v;
    v >>= 8;
  }
}

static uint64_t get_be64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) {
    v = v << 8 | p[i];
  }
  return v;
}

void seqflow_encode(const struct seqflow_packet *pkt, uint8_t *buf, size_t len) {
  memset(buf, 0, len);
  memcpy(buf, seqflow_magic, sizeof seqflow_magic);
  buf[4] = (uint8_t)pkt->kind;
  put_be64(buf + 8, pkt->run_id);
  put_be64(buf + 16, pkt->value);
  put_be64(buf + 24, pkt->sent_ns);
}

enum seqflow_parse_status seqflow_parse(const uint8_t *buf, size_t len,
                                        struct seqflow_packet *out) {
  if (len < SEQFLOW_HEADER_LEN) {
    return SEQFLOW_PARSE_SHORT;
  }
  if (memcmp(buf, seqflow_magic, sizeof seqflow_magic) != 0) {
    return SEQFLOW_PARSE_MAGIC;
  }
  if ((buf[4] != SEQFLOW_DATA && buf[4] != SEQFLOW_END) || buf[5] || buf[6] || buf[7]) {
    return SEQFLOW_PARSE_KIND;
  }
  out->kind = (enum seqflow_kind)buf[4];
  out->run_id = get_be64(buf + 8);
  out->value = get_be64(buf + 16);
  out->sent_ns = get_be64(buf + 24);
  return SEQFLOW_PARSE_OK;
}

void seqflow_stats_init(struct seqflow_stats *st) { memset(st, 0, sizeof *st); }

void seqflow_stats_free(struct seqflow_stats *st) {
  free(st->seen);
  memset(st, 0, sizeof *st);
}

/* Doubles the bitmap until bit seq fits. */
static bool stats_reserve(struct seqflow_stats *st, uint64_t seq) {
  if (seq < st->seen_bits) {
    return true;
  }
  uint64_t bits = st->seen_bits ? st->seen_bits : 1u << 16;
  while (bits <= seq) {
    bits *= 2;
  }
  uint8_t *grown = realloc(st->seen, bits / 8);
  if (!grown) {
    return false;
  }
  memset(grown + st->seen_bits / 8, 0, (bits - st->seen_bits) / 8);
  st->seen = grown;
  st->seen_bits = bits;
  return true;
}

static bool stats_seen(const struct seqflow_stats *st, uint64_t seq) {
  return seq < st->seen_bits && (st->seen[seq / 8] >> (seq % 8) & 1u);
}

static bool stats_add_data(struct seqflow_stats *st, uint64_t seq) {
  if (!stats_reserve(st, seq)) {
    return false;
  }
  if (stats_seen(st, seq)) {
    st->duplicates++;
    return true;
  }
  st->seen[seq / 8] |= (uint8_t)(1u << (seq % 8));
  if (st->received > 0 && seq < st->highest) {
    st->reordered++;
  }
  if (st->received == 0 || seq > st->highest) {
    st->highest = seq;
  }
  st->received++;
  return true;
}

bool seqflow_stats_add(struct seqflow_stats *st, const uint8_t *buf, size_t len) {
  struct seqflow_packet pkt;
  if (seqflow_parse(buf, len, &pkt) != SEQFLOW_PARSE_OK) {
    st->foreign++;
    return true;
  }
  if (!st->have_run) {
    st->run_id = pkt.run_id;
    st->have_run = true;
  }
  bool in_range = pkt.kind == SEQFLOW_END ? pkt.value <= SEQFLOW_MAX_SEQ
                                          : pkt.value < SEQFLOW_MAX_SEQ;
  if (pkt.run_id != st->run_id || !in_range) {
    st->foreign++;
    return true;
  }
  if (pkt.kind == SEQFLOW_END) {
    st->end_seen = true;
    st->sent_by_peer = pkt.value;
    return true;
  }
  return stats_add_data(st, pkt.value);
}

void seqflow_stats_summarize(const struct seqflow_stats *st, struct seqflow_summary *sum) {
  memset(sum, 0, sizeof *sum);
  sum->expected = st->received ? st->highest + 1 : 0;
  if (st->end_seen && st->sent_by_peer > sum->expected) {
    sum->expected = st->sent_by_peer;
  }
  uint64_t run = 0;
  for (uint64_t seq = 0; seq < sum->expected; seq++) {
    if (stats_seen(st, seq)) {
      run = 0;
      continue;
    }
    sum->lost++;
    if (++run > sum->max_gap) {
      sum->max_gap = run;
      sum->max_gap_at = seq + 1 - run;
    }
  }
  sum->received = st->received;
  sum->duplicates = st->duplicates;
  sum->reordered = st->reordered;
  sum->foreign = st->foreign;
  sum->end_seen = st->end_seen;
}

bool seqflow_parse_endpoint(const char *text, struct sockaddr_storage *out, unsigned *out_len) {
  char host[64];
  const char *colon = strrchr(text, ':');
  if (!colon || colon == text || (size_t)(colon - text) >= sizeof host) {
    return false;
  }
  memcpy(host, text, (size_t)(colon - text));
  host[colon - text] = '\0';
  char *end;
  unsigned long port = strtoul(colon + 1, &end, 10);
  if (*end != '\0' || colon[1] == '\0' || port > 65535) {
    return false;
  }
  memset(out, 0, sizeof *out);
  size_t hlen = strlen(host);
  if (host[0] == '[' && hlen > 2 && host[hlen - 1] == ']') {
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;
    host[hlen - 1] = '\0';
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons((uint16_t)port);
    *out_len = sizeof *sin6;
    return inet_pton(AF_INET6, host + 1, &sin6->sin6_addr) == 1;
  }
  struct sockaddr_in *sin = (struct sockaddr_in *)out;
  sin->sin_family = AF_INET;
  sin->sin_port = htons((uint16_t)port);
  *out_len = sizeof *sin;
  return inet_pton(AF_INET, host, &sin->sin_addr) == 1;
}
