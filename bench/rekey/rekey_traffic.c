/* Sequence-numbered traffic through the soft devices of a rekeying pair (see rekey_traffic.h). */
#include "rekey_traffic.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { IPV4_HDR = 20, UDP_HDR = 8, PAYLOAD = SEQFLOW_HEADER_LEN };

static const uint8_t inner_ip[2][4] = {{198, 51, 100, 1}, {203, 0, 113, 1}};

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

bool rk_traffic_init(struct rk_traffic *t, struct nicsec_hal_dev *hal0,
                     struct nicsec_hal_dev *hal1, unsigned burst, unsigned depth) {
  memset(t, 0, sizeof *t);
  t->burst = burst;
  t->depth = depth;
  struct nicsec_hal_dev *hal[2] = {hal0, hal1};
  for (int d = 0; d < 2; d++) {
    t->dir[d].tx = hal[d];
    t->dir[d].rx = hal[1 - d];
    t->dir[d].flight = calloc(RK_MAX_FLIGHT, sizeof *t->dir[d].flight);
    seqflow_stats_init(&t->dir[d].rx_stats);
    if (!t->dir[d].flight)
      return false;
  }
  return true;
}

void rk_traffic_free(struct rk_traffic *t) {
  for (int d = 0; d < 2; d++) {
    free(t->dir[d].flight);
    seqflow_stats_free(&t->dir[d].rx_stats);
  }
}

/* ---- the sender's view of its outbound SAs ------------------------------------------------- */

struct out_scan {
  struct rk_traffic *t;
  struct rk_direction *d;
  bool present[RK_MAX_OUT];
};

static int note_out_sa(const struct nicsec_hal_sa_info *info, void *ctx) {
  struct out_scan *s = ctx;
  struct rk_direction *d = s->d;
  if (info->sa.dir != NICSEC_HAL_DIR_OUT)
    return 0;
  size_t i = 0;
  while (i < d->n_out && d->out[i].id != info->id)
    i++;
  if (i == d->n_out) {
    if (d->n_out == RK_MAX_OUT)
      return 0;
    d->out[d->n_out++].id = info->id;
    d->out[i].order = ++s->t->order;
  }
  d->out[i].active = info->state == NICSEC_HAL_SA_ACTIVE;
  s->present[i] = true;
  return 0;
}

static void refresh_outbound(struct rk_traffic *t, struct rk_direction *d) {
  struct out_scan s = {.t = t, .d = d};
  nicsec_hal_dump(d->tx, note_out_sa, &s);
  size_t kept = 0;
  for (size_t i = 0; i < d->n_out; i++)
    if (s.present[i])
      d->out[kept++] = d->out[i];
  d->n_out = kept;
}

static bool newest_outbound(const struct rk_direction *d, nicsec_hal_sa_id *id) {
  uint64_t best = 0;
  for (size_t i = 0; i < d->n_out; i++)
    if (d->out[i].active && d->out[i].order > best) {
      best = d->out[i].order;
      *id = d->out[i].id;
    }
  return best != 0;
}

/* ---- packets ------------------------------------------------------------------------------- */

static uint16_t ipv4_checksum(const uint8_t *hdr) {
  uint32_t sum = 0;
  for (int i = 0; i < IPV4_HDR; i += 2)
    sum += (uint32_t)hdr[i] << 8 | hdr[i + 1];
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

/* IPv4/UDP from side `from`'s inner address to the other's, port 5001, seqflow payload. */
static size_t build_inner(uint8_t *pkt, int from, uint64_t run_id, uint64_t seq) {
  size_t total = IPV4_HDR + UDP_HDR + PAYLOAD;
  memset(pkt, 0, IPV4_HDR + UDP_HDR);
  pkt[0] = 0x45;
  pkt[2] = (uint8_t)(total >> 8);
  pkt[3] = (uint8_t)total;
  pkt[8] = 64;
  pkt[9] = 17;
  memcpy(pkt + 12, inner_ip[from], 4);
  memcpy(pkt + 16, inner_ip[1 - from], 4);
  uint16_t csum = ipv4_checksum(pkt);
  pkt[10] = (uint8_t)(csum >> 8);
  pkt[11] = (uint8_t)csum;
  uint8_t *udp = pkt + IPV4_HDR;
  udp[0] = udp[2] = 0x13;
  udp[1] = udp[3] = 0x89;
  udp[5] = UDP_HDR + PAYLOAD;
  struct seqflow_packet sp = {.kind = SEQFLOW_DATA, .run_id = run_id, .value = seq};
  seqflow_encode(&sp, udp + UDP_HDR, PAYLOAD);
  return total;
}

static void send_one(struct rk_traffic *t, int from) {
  struct rk_direction *d = &t->dir[from];
  uint8_t inner[RK_PKT_MAX];
  size_t len = build_inner(inner, from, 1, d->next_seq++);
  nicsec_hal_sa_id id;
  if (!newest_outbound(d, &id)) {
    d->no_outbound++;
    return;
  }
  if (d->count == RK_MAX_FLIGHT) {
    d->overflow++;
    return;
  }
  struct rk_flight *f = &d->flight[(d->head + d->count) % RK_MAX_FLIGHT];
  size_t out_len;
  if (nicsec_hal_encap(d->tx, id, inner, len, f->wire, sizeof f->wire, &out_len) !=
      NICSEC_HAL_OK) {
    d->encap_errors++;
    return;
  }
  f->len = (uint16_t)out_len;
  f->sent_event = t->events;
  f->sent_ms = now_ms();
  d->count++;
}

/* The first few refusals are described: which SPI, how long the packet was in flight. */
static void describe_refusal(const struct rk_traffic *t, const struct rk_direction *d,
                             const struct rk_flight *f, enum nicsec_hal_err err) {
  enum { SHOWN = 5, ESP_SPI_AT = 20 };
  uint64_t refused = 0;
  for (int e = 0; e < NICSEC_HAL_E__COUNT; e++)
    refused += d->decap_errors[e];
  if (refused > SHOWN || f->len < ESP_SPI_AT + 4)
    return;
  const uint8_t *spi = f->wire + ESP_SPI_AT;
  fprintf(stderr, "side %d -> %d: packet on SPI %02x%02x%02x%02x refused (%s) after %llu events"
          " and %llu ms in flight\n", d == &t->dir[0] ? 0 : 1, d == &t->dir[0] ? 1 : 0, spi[0],
          spi[1], spi[2], spi[3], nicsec_hal_strerror(err),
          (unsigned long long)(t->events - f->sent_event),
          (unsigned long long)(now_ms() - f->sent_ms));
}

static void arrive(struct rk_traffic *t, struct rk_direction *d, const struct rk_flight *f) {
  uint8_t plain[RK_PKT_MAX + NICSEC_HAL_ENCAP_OVERHEAD];
  size_t len;
  enum nicsec_hal_err err = nicsec_hal_decap(d->rx, f->wire, f->len, plain, sizeof plain, &len,
                                             NULL);
  if (err != NICSEC_HAL_OK) {
    describe_refusal(t, d, f, err);
    d->decap_errors[err < NICSEC_HAL_E__COUNT ? err : NICSEC_HAL_E_DEVICE]++;
    return;
  }
  if (len > IPV4_HDR + UDP_HDR)
    seqflow_stats_add(&d->rx_stats, plain + IPV4_HDR + UDP_HDR, len - IPV4_HDR - UDP_HDR);
}

/* Packets sent at least `min_age` events or RK_WIRE_MAX_MS ago reach the receiver, oldest
 * first. The time bound keeps the wire shorter than the drain period while the pair idles. */
static void deliver_due(struct rk_traffic *t, struct rk_direction *d, uint64_t min_age) {
  uint64_t now = now_ms();
  while (d->count && (t->events - d->flight[d->head].sent_event >= min_age ||
                      now - d->flight[d->head].sent_ms >= RK_WIRE_MAX_MS)) {
    arrive(t, d, &d->flight[d->head]);
    d->head = (d->head + 1) % RK_MAX_FLIGHT;
    d->count--;
  }
}

void rk_traffic_on_event(void *ctx) {
  struct rk_traffic *t = ctx;
  if (!t->enabled || t->burst == 0)
    return;
  t->events++;
  for (int from = 0; from < 2; from++) {
    struct rk_direction *d = &t->dir[from];
    refresh_outbound(t, d);
    deliver_due(t, d, t->depth);
    for (unsigned k = 0; k < t->burst; k++)
      send_one(t, from);
  }
}

void rk_traffic_finish(struct rk_traffic *t) {
  for (int from = 0; from < 2; from++) {
    struct rk_direction *d = &t->dir[from];
    deliver_due(t, d, 0);
    uint8_t end[SEQFLOW_HEADER_LEN];
    struct seqflow_packet sp = {.kind = SEQFLOW_END, .run_id = 1, .value = d->next_seq};
    seqflow_encode(&sp, end, sizeof end);
    seqflow_stats_add(&d->rx_stats, end, sizeof end);
  }
  t->enabled = false;
}

void rk_traffic_summary(const struct rk_traffic *t, int dir, struct seqflow_summary *out) {
  seqflow_stats_summarize(&t->dir[dir].rx_stats, out);
}
