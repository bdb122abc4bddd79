#include "nicsim_datapath.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nicsec_regs.h"

enum {
  STEP_CYCLES = 64, /* then the loop looks at the ports again */
  STEP_CHUNK = 4,
  BUSY_SPIN_MS = 20,        /* after an MMIO request, poll without sleeping for this long */
  TAP_MAC_REFRESH_MS = 500, /* the host may change the TAP's address at any time */
  ETH_TYPE_OFF = 12,
  ETHERTYPE_IPV4 = 0x0800,
  ETHERTYPE_IPV6 = 0x86dd,
  IP_MAX = NICSIM_FRAME_MAX - NICSIM_ETH_HLEN,
};

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- per-packet contexts ------------------------------------------------------------------ */

static bool ctx_push(struct nicsim_ctx_ring *r, const uint8_t *data, size_t len) {
  if (r->count == NICSIM_CTX_RING)
    return false;
  struct nicsim_ctx *c = &r->slot[(r->head + r->count) % NICSIM_CTX_RING];
  if (c->cap < len) {
    uint8_t *grown = realloc(c->data, len);
    if (!grown)
      return false;
    c->data = grown;
    c->cap = len;
  }
  memcpy(c->data, data, len);
  c->len = len;
  r->count++;
  return true;
}

/* The oldest context (NULL if none); valid until the next push. */
static const struct nicsim_ctx *ctx_pop(struct nicsim_ctx_ring *r) {
  if (!r->count)
    return NULL;
  const struct nicsim_ctx *c = &r->slot[r->head];
  r->head = (r->head + 1) % NICSIM_CTX_RING;
  r->count--;
  return c;
}

/* Takes back the context just pushed (the engine refused its packet). */
static void ctx_unpush(struct nicsim_ctx_ring *r) {
  if (r->count)
    r->count--;
}

static bool ctx_room(const struct nicsim_ctx_ring *r) {
  return NICSIM_CTX_RING - r->count >= NICSIM_L2_BATCH;
}

static void ctx_free(struct nicsim_ctx_ring *r) {
  for (size_t i = 0; i < NICSIM_CTX_RING; i++)
    free(r->slot[i].data);
  memset(r, 0, sizeof *r);
}

/* ---- frames ------------------------------------------------------------------------------- */

/* The Ethernet header in front of the IP packet already at frame + NICSIM_ETH_HLEN: dst and src
 * MACs, the ethertype the packet's version calls for. The frame's length. */
static size_t put_eth_header(uint8_t *frame, const uint8_t *dst, const uint8_t *src,
                             size_t ip_len) {
  uint16_t type = ip_len && frame[NICSIM_ETH_HLEN] >> 4 == 6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4;
  memcpy(frame, dst, NICSIM_MAC_LEN);
  memcpy(frame + NICSIM_MAC_LEN, src, NICSIM_MAC_LEN);
  frame[ETH_TYPE_OFF] = (uint8_t)(type >> 8);
  frame[ETH_TYPE_OFF + 1] = (uint8_t)type;
  return NICSIM_ETH_HLEN + ip_len;
}

static void to_tap(struct nicsim_dp *dp, const uint8_t *frame, size_t len) {
  if (nicsim_tap_write(dp->tap_fd, frame, len) == 0) {
    dp->n.tap_out++;
  } else {
    dp->n.tap_write_errors++; /* EIO while the host has the TAP down */
    dp->n.tap_last_errno = errno;
  }
}

/* Sends the frames waiting for the wire (and records them); wire_out counts those the
 * interface took. */
static void flush_wire(struct nicsim_dp *dp) {
  uint64_t refused = dp->wire.stats.send_errors;
  size_t count = dp->wire_out.count;
  for (size_t i = 0; i < count; i++)
    nicsim_pcap_write(dp->pcap, dp->wire_out.frame[i].data, dp->wire_out.frame[i].len);
  nicsim_wire_flush(&dp->wire, &dp->wire_out);
  dp->n.wire_out += count - (dp->wire.stats.send_errors - refused);
}

/* The next frame to fill for the wire: the batch is sent when full. */
static struct nicsim_frame *wire_slot(struct nicsim_dp *dp) {
  struct nicsim_frame *f = nicsim_batch_slot(&dp->wire_out);
  if (!f) {
    flush_wire(dp);
    f = nicsim_batch_slot(&dp->wire_out);
  }
  return f;
}

static void to_wire(struct nicsim_dp *dp, const uint8_t *frame, size_t len) {
  struct nicsim_frame *f = wire_slot(dp);
  memcpy(f->data, frame, len);
  f->len = len;
  dp->wire_out.count++;
}

/* ---- host -> wire ------------------------------------------------------------------------- */

static void egress_frame(struct nicsim_dp *dp, const struct nicsim_frame *f) {
  struct nicsim_class c;
  nicsim_classify_egress(f->data, f->len, &c);
  dp->n.egress[c.reason]++;
  if (c.verdict == NICSIM_BYPASS) {
    to_wire(dp, f->data, f->len);
  } else if (c.verdict == NICSIM_ENGINE_EGRESS && !dp->engine_enabled) {
    /* No driver has started the engine, so no steering entry exists: a NIC without offload. */
    dp->n.engine_off++;
    to_wire(dp, f->data, f->len);
  } else if (c.verdict == NICSIM_ENGINE_EGRESS) {
    /* The frame is kept (the host's TX buffer until the completion): an encrypted packet takes
     * its MAC pair, a bypassed one leaves as it is. */
    if (!ctx_push(&dp->tx_ctx, f->data, f->len)) {
      dp->n.engine_refused++;
    } else if (nicsim_tx_push_lookup(dp->sim, f->data + c.l3_off, c.l3_len) != NICSIM_OK) {
      ctx_unpush(&dp->tx_ctx);
      dp->n.engine_refused++;
    }
  }
}

static bool take_tap(struct nicsim_dp *dp) {
  if (!ctx_room(&dp->tx_ctx))
    return false; /* the TAP's queue holds the rest until the engine catches up */
  dp->tap_in.count = 0;
  size_t got = nicsim_tap_read(dp->tap_fd, &dp->tap_in);
  dp->n.tap_in += got;
  for (size_t i = 0; i < got; i++)
    egress_frame(dp, &dp->tap_in.frame[i]);
  return got > 0;
}

/* ---- wire -> host ------------------------------------------------------------------------- */

static void ingress_frame(struct nicsim_dp *dp, const struct nicsim_frame *f) {
  struct nicsim_class c;
  nicsim_classify_ingress(f->data, f->len, dp->tap_mac, &c);
  dp->n.ingress[c.reason]++;
  if (c.verdict == NICSIM_BYPASS) {
    to_tap(dp, f->data, f->len);
  } else if (c.verdict == NICSIM_ENGINE_INGRESS && !dp->engine_enabled) {
    dp->n.engine_off++; /* no driver has started the engine: the host's, like any unknown SPI */
    to_tap(dp, f->data, f->len);
  } else if (c.verdict == NICSIM_ENGINE_INGRESS) {
    if (!ctx_push(&dp->rx_ctx, f->data, f->len))
      dp->n.engine_refused++;
    else if (nicsim_wire_rx_push(dp->sim, f->data + c.l3_off, c.l3_len) != NICSIM_OK) {
      ctx_unpush(&dp->rx_ctx);
      dp->n.engine_refused++;
    }
  }
}

static bool take_wire(struct nicsim_dp *dp) {
  if (!ctx_room(&dp->rx_ctx))
    return false;
  dp->wire_in.count = 0;
  size_t got = nicsim_wire_recv(&dp->wire, &dp->wire_in);
  dp->n.wire_in += got;
  for (size_t i = 0; i < got; i++) {
    nicsim_pcap_write(dp->pcap, dp->wire_in.frame[i].data, dp->wire_in.frame[i].len);
    ingress_frame(dp, &dp->wire_in.frame[i]);
  }
  return got > 0;
}

/* ---- engine outputs ----------------------------------------------------------------------- */

static void count_code(uint64_t *codes, uint8_t code) {
  codes[code < NICSIM_CODES ? code : NICSIM_CODES - 1]++;
}

/* Codes that mean "not mine": the frame is the host's, as a real NIC leaves it to software. */
static bool left_to_host(uint8_t code) {
  return code == NICSEC_PKT_STATUS_NO_SA || code == NICSEC_PKT_STATUS_NOT_ESP ||
         code == NICSEC_PKT_STATUS_UNSUPPORTED;
}

/* What the engine's steering table made of a looked-up packet. */
static enum nicsim_reason steer_outcome(uint8_t code) {
  if (code == NICSEC_PKT_STATUS_STEER_BYPASS)
    return NICSIM_R_UNSTEERED;
  return code == NICSEC_PKT_STATUS_STEER_DROP ? NICSIM_R_STEER_DROP : NICSIM_R_STEERED;
}

static void collect_tx(struct nicsim_dp *dp) {
  uint8_t code = 0;
  uint16_t sa = 0;
  /* Completions first: the engine reports a packet's completion no later than its ESP packet. */
  while (nicsim_txc_pull(dp->sim, &sa, &code)) {
    const struct nicsim_ctx *orig = ctx_pop(&dp->tx_ctx);
    count_code(dp->n.tx_code, code);
    dp->n.egress[steer_outcome(code)]++;
    if (!orig)
      continue;
    if (code == NICSEC_PKT_STATUS_OK)
      (void)ctx_push(&dp->esp_ctx, orig->data, 2 * NICSIM_MAC_LEN);
    else if (code == NICSEC_PKT_STATUS_STEER_BYPASS)
      to_wire(dp, orig->data, orig->len);
  }
  size_t len = 0;
  struct nicsim_frame *f = wire_slot(dp);
  while (nicsim_wire_tx_pull(dp->sim, f->data + NICSIM_ETH_HLEN, IP_MAX, &len)) {
    const struct nicsim_ctx *macs = ctx_pop(&dp->esp_ctx);
    if (!macs || len > IP_MAX)
      continue; /* cannot happen with an engine that keeps its order; never guess a MAC */
    f->len = put_eth_header(f->data, macs->data, macs->data + NICSIM_MAC_LEN, len);
    dp->wire_out.count++;
    f = wire_slot(dp);
  }
}

static void collect_rx(struct nicsim_dp *dp) {
  size_t len = 0;
  uint8_t code = 0;
  uint16_t sa = 0;
  while (nicsim_rx_pull(dp->sim, dp->buf + NICSIM_ETH_HLEN, IP_MAX, &len, &code, &sa)) {
    const struct nicsim_ctx *orig = ctx_pop(&dp->rx_ctx);
    count_code(dp->n.rx_code, code);
    if (!orig)
      continue;
    if (code == NICSEC_PKT_STATUS_OK && len <= IP_MAX) {
      to_tap(dp, dp->buf, put_eth_header(dp->buf, dp->tap_mac, orig->data + NICSIM_MAC_LEN, len));
    } else if (left_to_host(code)) {
      dp->n.rx_to_host++;
      to_tap(dp, orig->data, orig->len);
    }
  }
}

/* ---- the loop ----------------------------------------------------------------------------- */

static bool serve_mmio(struct nicsim_dp *dp) {
  struct nicsim_shm *bar = dp->bar;
  uint32_t req = __atomic_load_n(&bar->req, __ATOMIC_ACQUIRE);
  if (req == bar->done)
    return false;
  uint32_t value = bar->value;
  enum nicsim_status st =
      bar->op == NICSIM_SHM_OP_WRITE  ? nicsim_mmio_write32(dp->sim, bar->addr, value)
      : bar->op == NICSIM_SHM_OP_READ ? nicsim_mmio_read32(dp->sim, bar->addr, &value)
                                      : NICSIM_DECERR;
  /* The datapath follows the driver's enable bit: a disabled engine holds packets forever. */
  if (bar->op == NICSIM_SHM_OP_WRITE && bar->addr == NICSEC_REG_CONTROL && st == NICSIM_OK)
    dp->engine_enabled = (value & NICSEC_CONTROL_ENABLE_MASK) != 0;
  bar->value = value;
  bar->status = (uint32_t)st;
  __atomic_store_n(&bar->done, req, __ATOMIC_RELEASE);
  return true;
}

/* Runs the clock while packets are in flight or SA descriptors wait in the BAR's ring, up to
 * STEP_CYCLES: cycles count work, so the clock stops as soon as the last verdict is out. */
static bool step_engine(struct nicsim *sim) {
  int stepped = 0;
  while (stepped < STEP_CYCLES && (nicsim_in_flight(sim) > 0 || nicsim_desc_pending(sim) > 0)) {
    nicsim_step(sim, STEP_CHUNK);
    stepped += STEP_CHUNK;
  }
  return stepped > 0;
}

static void refresh_tap_mac(struct nicsim_dp *dp, uint64_t now) {
  if (now - dp->tap_mac_read_ms < TAP_MAC_REFRESH_MS)
    return;
  (void)nicsim_tap_mac(dp->tap_fd, dp->tap_mac);
  dp->tap_mac_read_ms = now;
}

/* What a driver's outbound stop waits on (nicsim_tx_progress): the loop count goes last. */
static void publish_tx_progress(struct nicsim_dp *dp) {
  struct nicsim_tx_progress p;
  nicsim_tx_progress(dp->sim, &p);
  __atomic_store_n(&dp->bar->tx_pushed, p.pushed, __ATOMIC_RELEASE);
  __atomic_store_n(&dp->bar->tx_completed, p.completed, __ATOMIC_RELEASE);
  __atomic_store_n(&dp->bar->tx_loops, ++dp->loops, __ATOMIC_RELEASE);
}

void nicsim_dp_run(struct nicsim_dp *dp, const volatile sig_atomic_t *stop) {
  struct pollfd fds[2] = {{.fd = dp->tap_fd, .events = POLLIN},
                          {.fd = dp->wire.fd, .events = POLLIN}};
  uint64_t last_mmio = 0;
  dp->tap_mac_read_ms = 0;
  refresh_tap_mac(dp, TAP_MAC_REFRESH_MS);
  while (!*stop) {
    bool worked = false;
    while (serve_mmio(dp)) {
      worked = true;
      last_mmio = now_ms();
    }
    refresh_tap_mac(dp, now_ms());
    worked |= take_tap(dp);
    worked |= take_wire(dp);
    /* a driver posting SA descriptors keeps the loop spinning like one doing MMIO */
    if (nicsim_desc_pending(dp->sim) > 0)
      last_mmio = now_ms();
    worked |= step_engine(dp->sim);
    collect_tx(dp);
    collect_rx(dp);
    flush_wire(dp);
    __atomic_store_n(&dp->bar->cycles, nicsim_cycles(dp->sim), __ATOMIC_RELEASE);
    __atomic_store_n(&dp->bar->in_flight, (uint64_t)nicsim_in_flight(dp->sim), __ATOMIC_RELEASE);
    publish_tx_progress(dp);
    if (!worked)
      (void)poll(fds, 2, now_ms() - last_mmio < BUSY_SPIN_MS ? 0 : 1);
  }
}

/* ---- counters ----------------------------------------------------------------------------- */

static const char *const code_names[NICSIM_CODES] = {
    [NICSEC_PKT_STATUS_OK] = "ok",
    [NICSEC_PKT_STATUS_NO_SA] = "no_sa",
    [NICSEC_PKT_STATUS_MALFORMED] = "malformed",
    [NICSEC_PKT_STATUS_UNSUPPORTED] = "unsupported",
    [NICSEC_PKT_STATUS_NOT_ESP] = "not_esp",
    [NICSEC_PKT_STATUS_REPLAY] = "replay",
    [NICSEC_PKT_STATUS_AUTH] = "auth",
    [NICSEC_PKT_STATUS_TRAILER] = "trailer",
    [NICSEC_PKT_STATUS_DUMMY] = "dummy",
    [NICSEC_PKT_STATUS_EXPIRED] = "expired",
    [NICSEC_PKT_STATUS_SN_EXHAUSTED] = "sn_exhausted",
    [NICSEC_PKT_STATUS_TOO_BIG] = "too_big",
    [NICSEC_PKT_STATUS_STEER_BYPASS] = "steer_bypass",
    [NICSEC_PKT_STATUS_STEER_DROP] = "steer_drop",
};

static void print_reasons(FILE *out, const char *what, const uint64_t *by_reason) {
  fprintf(out, "  %s:", what);
  for (int r = 0; r < NICSIM_R_COUNT; r++)
    if (by_reason[r])
      fprintf(out, " %s=%llu", nicsim_reason_name((enum nicsim_reason)r),
              (unsigned long long)by_reason[r]);
  fputc('\n', out);
}

static void print_codes(FILE *out, const char *what, const uint64_t *by_code) {
  fprintf(out, "  %s:", what);
  for (int c = 0; c < NICSIM_CODES; c++)
    if (by_code[c])
      fprintf(out, " %s=%llu", code_names[c] ? code_names[c] : "other",
              (unsigned long long)by_code[c]);
  fputc('\n', out);
}

void nicsim_dp_report(const struct nicsim_dp *dp, const char *name, FILE *out) {
  const struct nicsim_counters *n = &dp->n;
  fprintf(out,
          "nicsim %s: cycles=%llu tap_in=%llu tap_out=%llu wire_in=%llu wire_out=%llu "
          "rx_to_host=%llu engine_off=%llu engine_refused=%llu tap_write_errors=%llu (%s) "
          "wire_send_errors=%llu "
          "wire_csum_completed=%llu wire_gso_dropped=%llu\n",
          name, (unsigned long long)nicsim_cycles(dp->sim), (unsigned long long)n->tap_in,
          (unsigned long long)n->tap_out, (unsigned long long)n->wire_in,
          (unsigned long long)n->wire_out, (unsigned long long)n->rx_to_host,
          (unsigned long long)n->engine_off, (unsigned long long)n->engine_refused,
          (unsigned long long)n->tap_write_errors,
          n->tap_write_errors ? strerror(n->tap_last_errno) : "-",
          (unsigned long long)dp->wire.stats.send_errors,
          (unsigned long long)dp->wire.stats.csum_completed,
          (unsigned long long)dp->wire.stats.gso_dropped);
  print_reasons(out, "egress (host->wire)", n->egress);
  print_reasons(out, "ingress (wire->host)", n->ingress);
  print_codes(out, "engine tx", n->tx_code);
  print_codes(out, "engine rx", n->rx_code);
}

void nicsim_dp_release(struct nicsim_dp *dp) {
  ctx_free(&dp->tx_ctx);
  ctx_free(&dp->esp_ctx);
  ctx_free(&dp->rx_ctx);
}
