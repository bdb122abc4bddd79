/* The two-engine test harness. */
#include "harness.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* The unit tests build the harness with the timer queue check (timer_check.h) after every
 * event; the benchmark that shares it builds it without (the check walks every SA). */
#ifdef NICSEC_HARNESS_CHECKS_TIMERS
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "timer_check.h"
#endif

struct h_side {
  struct harness *h;
  int side;
};
static struct h_side sides[2];

static int h_send(void *ctx, const struct nd_addr *local, const struct nd_addr *remote,
                  const uint8_t *msg, size_t len) {
  struct h_side *s = ctx;
  struct harness *h = s->h;
  h->sent[s->side]++;
  free(h->last[s->side].msg);
  h->last[s->side] = (struct h_packet){s->side, *local, *remote, malloc(len), len};
  memcpy(h->last[s->side].msg, msg, len);
  if (h->drop[s->side]) {
    h->drop[s->side]--;
    return 0;
  }
  if (h->n_queued == H_QUEUE)
    return -1;
  struct h_packet *p = &h->queue[h->n_queued++];
  *p = (struct h_packet){s->side, *local, *remote, malloc(len), len};
  memcpy(p->msg, msg, len);
  return 0;
}

/* Parsing YAML dominates a short test or fuzz run: the last text of each side is kept parsed
 * and cloned while it repeats. */
static bool load_config(int side, const char *yaml, struct nd_config *out) {
  static char *cached_text[2];
  static struct nd_config cached[2];
  if (cached_text[side] && strcmp(cached_text[side], yaml) == 0)
    return nd_config_clone(&cached[side], out) == 0;
  struct nd_config_error err;
  if (nd_config_load_text(side ? "side1.yaml" : "side0.yaml", yaml, strlen(yaml), out, &err) !=
      0) {
    char text[512];
    nd_config_error_format(&err, text, sizeof text);
    fprintf(stderr, "config of side %d: %s\n", side, text);
    return false;
  }
  free(cached_text[side]);
  nd_config_free(&cached[side]);
  cached_text[side] = strdup(yaml);
  if (nd_config_clone(out, &cached[side]) != 0) {
    free(cached_text[side]);
    cached_text[side] = NULL;
  }
  return true;
}

bool h_init(struct harness *h, const char *yaml0, const char *yaml1) {
  memset(h, 0, sizeof *h);
  h->trace = getenv("NICSEC_TEST_LOG") != NULL;
  nd_log_set_stream(h->trace ? stderr : NULL);
  nd_log_set_level(ND_LOG_DEBUG);
  rec_register();
  rec_reset();
  const char *yaml[2] = {yaml0, yaml1};
  h->now = 1000;
  for (int i = 0; i < 2; i++) {
    struct nd_config cfg;
    if (!load_config(i, yaml[i], &cfg))
      return false;
    if (nicsec_hal_open("record", "", &h->hal[i]) != NICSEC_HAL_OK)
      return false;
    sides[i] = (struct h_side){h, i};
    struct nd_engine_io io = {.ctx = &sides[i], .send = h_send};
    h->eng[i] = nd_engine_new(&io, h->hal[i]);
    nd_engine_load(h->eng[i], &cfg, h->now);
  }
  return true;
}

void h_free(struct harness *h) {
  for (int i = 0; i < 2; i++) {
    nd_engine_free(h->eng[i]);
    nicsec_hal_close(h->hal[i]);
    free(h->last[i].msg);
  }
  for (size_t i = 0; i < h->n_queued; i++)
    free(h->queue[i].msg);
  memset(h, 0, sizeof *h);
}

/* IKE header fields (RFC 7296 3.1) of a delivered message, for reading a failing run's log. */
static void trace_delivery(const struct harness *h, const struct h_packet *p) {
  enum { EXCH = 18, FLAGS = 19, MID = 20, HDR = 28 };
  if (p->len < HDR)
    return;
  const uint8_t *m = p->msg;
  unsigned mid =
      (unsigned)m[MID] << 24 | (unsigned)m[MID + 1] << 16 | (unsigned)m[MID + 2] << 8 | m[MID + 3];
  fprintf(stderr, "== t=%llu side %d -> side %d: exchange %u %s mid %u (%zu octets)\n",
          (unsigned long long)h->now, p->from, 1 - p->from, m[EXCH],
          m[FLAGS] & 0x20 ? "response" : "request", mid, p->len);
}

static void check_timers(const struct nd_engine *e) {
#ifdef NICSEC_HARNESS_CHECKS_TIMERS
  char why[200];
  if (!timer_queue_consistent(e, why, sizeof why))
    fail_msg("timer queue: %s", why);
#else
  (void)e;
#endif
}

static void deliver(struct harness *h, struct h_packet *p) {
  if (h->trace)
    trace_delivery(h, p);
  nd_engine_receive(h->eng[1 - p->from], h->now, &p->dst, &p->src, p->msg, p->len);
  check_timers(h->eng[1 - p->from]);
}

size_t h_run(struct harness *h, size_t max) {
  size_t delivered = 0;
  while (h->n_queued && delivered < max) {
    struct h_packet p = h->queue[0];
    memmove(h->queue, h->queue + 1, --h->n_queued * sizeof h->queue[0]);
    deliver(h, &p);
    free(p.msg);
    delivered++;
  }
  return delivered;
}

void h_advance(struct harness *h, uint64_t t) {
  h->now = t;
  nd_engine_tick(h->eng[0], t);
  nd_engine_tick(h->eng[1], t);
  check_timers(h->eng[0]);
  check_timers(h->eng[1]);
}

void h_check_timers(const struct harness *h) {
  check_timers(h->eng[0]);
  check_timers(h->eng[1]);
}

void h_replay_last(struct harness *h, int side) {
  struct h_packet *p = &h->last[side];
  if (p->msg)
    deliver(h, p);
}

struct list_ctx {
  struct h_ike *out;
  size_t max, n;
};

static void collect(void *ctx, const struct nd_ike_view *ike, const struct nd_child_view *children,
                    size_t n_children) {
  struct list_ctx *l = ctx;
  if (l->n == l->max)
    return;
  struct h_ike *o = &l->out[l->n++];
  o->ike = *ike;
  o->n_children = n_children < 8 ? n_children : 8;
  memcpy(o->child, children, o->n_children * sizeof children[0]);
}

size_t h_list(const struct harness *h, int side, struct h_ike *out, size_t max) {
  struct list_ctx l = {out, max, 0};
  nd_engine_visit(h->eng[side], collect, &l);
  return l.n;
}

void h_config(char *buf, size_t cap, int side, const char *ike, const char *esp,
              const char *extra_conn, const char *extra_daemon, const char *psk) {
  const char *me = side ? "192.0.2.2" : "192.0.2.1", *peer = side ? "192.0.2.1" : "192.0.2.2";
  const char *my_id = side ? "right@example.test" : "left@example.test";
  const char *peer_id = side ? "left@example.test" : "right@example.test";
  const char *my_net = side ? "203.0.113.0/24" : "198.51.100.0/24";
  const char *peer_net = side ? "198.51.100.0/24" : "203.0.113.0/24";
  snprintf(buf, cap,
           "daemon:\n"
           "  retransmit_timeout_ms: 1000\n"
           "  retransmit_tries: 3\n"
           "%s"
           "hal:\n"
           "  backend: record\n"
           "connections:\n"
           "  - name: peer\n"
           "    local_addr: %s\n"
           "    remote_addr: %s\n"
           "    proposals: [%s]\n"
           "%s"
           "    local: { id: %s }\n"
           "    remote: { id: %s }\n"
           "    children:\n"
           "      - name: net\n"
           "        local_ts: [%s]\n"
           "        remote_ts: [%s]\n"
           "        esp_proposals: [%s]\n"
           "secrets:\n"
           "  - ids: [left@example.test, right@example.test]\n"
           "    secret: \"%s\"\n",
           extra_daemon ? extra_daemon : "", me, peer, ike, extra_conn ? extra_conn : "", my_id,
           peer_id, my_net, peer_net, esp, psk ? psk : "a pre-shared key of some length");
}

size_t h_pending(const struct harness *h) {
  return h->n_queued;
}

const struct h_packet *h_peek(const struct harness *h, size_t i) {
  return i < h->n_queued ? &h->queue[i] : NULL;
}

static bool take(struct harness *h, size_t i, struct h_packet *out) {
  if (i >= h->n_queued)
    return false;
  *out = h->queue[i];
  memmove(h->queue + i, h->queue + i + 1, (h->n_queued - i - 1) * sizeof h->queue[0]);
  h->n_queued--;
  return true;
}

bool h_deliver_at(struct harness *h, size_t i) {
  struct h_packet p;
  if (!take(h, i, &p))
    return false;
  deliver(h, &p);
  free(p.msg);
  return true;
}

bool h_drop_at(struct harness *h, size_t i) {
  struct h_packet p;
  if (!take(h, i, &p))
    return false;
  free(p.msg);
  return true;
}

bool h_duplicate_at(struct harness *h, size_t i) {
  if (i >= h->n_queued)
    return false;
  struct h_packet copy = h->queue[i];
  copy.msg = malloc(copy.len);
  memcpy(copy.msg, h->queue[i].msg, copy.len);
  deliver(h, &copy);
  free(copy.msg);
  return true;
}
