/* Child SA rekeys back to back between two nicsecd engines in one process, over real UDP
 * sockets on the loopback, with soft HAL devices doing the ESP, under constant traffic.
 *
 *   rekey_loop [--rekeys N] [--burst B] [--depth D] [--no-pfs] [--drain-ms MS] [--port P]
 *
 * Rekeys alternate between the sides (even: side 0 initiates). The next rekey is asked for as
 * soon as both engines list exactly one INSTALLED Child SA with the new, crossed SPIs (the
 * responder has processed the Delete of the old one). Traffic: see rekey_traffic.h. At the end,
 * after the drain period, each device must hold exactly the two SAs of the live Child SA.
 * Exit 1 when a packet was lost, a rekey stalled or an SA leaked.
 * Last line:
 *   rekey_loop: rekeys=... rekeys_per_s=... engine_cpu_us_per_rekey=... packets=... lost=... */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rekey_pair.h"
#include "rekey_traffic.h"

enum {
  SETTLE_MS = 5000,
  /* engine_internal.h: ND_MAX_CHILDREN (16) per IKE SA, draining ones included; above that a
   * rekey is refused with NO_ADDITIONAL_SAS, so the loop waits for drains below this. */
  CHILD_ROOM = 12,
};

struct loop_opts {
  unsigned long rekeys;
  unsigned burst, depth;
  bool pfs;
  uint32_t drain_ms;
  uint16_t port;
};

static double clock_s(clockid_t clk) {
  struct timespec ts;
  clock_gettime(clk, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static bool parse_opts(int argc, char **argv, struct loop_opts *o) {
  static const struct option longopts[] = {
      {"rekeys", required_argument, NULL, 'n'}, {"burst", required_argument, NULL, 'b'},
      {"depth", required_argument, NULL, 'd'},  {"no-pfs", no_argument, NULL, 'P'},
      {"drain-ms", required_argument, NULL, 'm'}, {"port", required_argument, NULL, 'p'},
      {NULL, 0, NULL, 0}};
  *o = (struct loop_opts){.rekeys = 10000, .burst = 2, .depth = 3, .pfs = true, .drain_ms = 20,
                          .port = (uint16_t)(20000 + getpid() % 20000)};
  int c;
  while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
    switch (c) {
    case 'n': o->rekeys = strtoul(optarg, NULL, 10); break;
    case 'b': o->burst = (unsigned)strtoul(optarg, NULL, 10); break;
    case 'd': o->depth = (unsigned)strtoul(optarg, NULL, 10); break;
    case 'P': o->pfs = false; break;
    case 'm': o->drain_ms = (uint32_t)strtoul(optarg, NULL, 10); break;
    case 'p': o->port = (uint16_t)strtoul(optarg, NULL, 10); break;
    default: return false;
    }
  }
  return optind == argc && o->rekeys > 0 && o->port > 1024 && o->port < 65535;
}

/* Pumps until both sides agree on one Child SA whose side-0 inbound SPI is not `old`. */
static bool settle(struct rk_pair *p, uint32_t old, uint32_t *now_spi) {
  uint64_t give_up = rk_now_ms() + SETTLE_MS;
  bool changed = true;
  while (rk_now_ms() < give_up) {
    /* Listing the SAs costs more than an IKE message: only look when something arrived. */
    if (changed && rk_pair_agree(p, now_spi) && *now_spi != old)
      return true;
    changed = rk_pair_pump(p, 10) > 0;
  }
  return false;
}

/* Waits until neither IKE SA is near its Child SA limit; returns false when that never
 * happens. Counts the waits in *throttled. */
static bool wait_for_room(struct rk_pair *p, unsigned long *throttled) {
  uint64_t give_up = rk_now_ms() + SETTLE_MS;
  bool waited = false;
  for (;;) {
    struct rk_child c0, c1;
    rk_pair_child(p, 0, &c0);
    rk_pair_child(p, 1, &c1);
    if (c0.n_children < CHILD_ROOM && c1.n_children < CHILD_ROOM)
      break;
    if (rk_now_ms() >= give_up)
      return false;
    waited = true;
    rk_pair_pump(p, 1);
  }
  *throttled += waited;
  return true;
}

static bool run_rekeys(struct rk_pair *p, const struct loop_opts *o, uint32_t spi,
                       unsigned long *throttled) {
  char err[160];
  for (unsigned long r = 0; r < o->rekeys; r++) {
    int side = (int)(r % 2);
    if (!wait_for_room(p, throttled)) {
      fputs("the draining Child SAs never went away\n", stderr);
      return false;
    }
    if (rk_pair_rekey(p, side, err, sizeof err) < 0) {
      fprintf(stderr, "rekey %lu: %s\n", r, err);
      return false;
    }
    if (!settle(p, spi, &spi)) {
      fprintf(stderr, "rekey %lu (side %d) did not complete within %d ms\n", r, side, SETTLE_MS);
      return false;
    }
  }
  return true;
}

static int count_sa(const struct nicsec_hal_sa_info *info, void *ctx) {
  (void)info;
  ++*(size_t *)ctx;
  return 0;
}

/* After the drain period only the live Child SA's inbound and outbound may remain. */
static bool no_leaks(struct rk_pair *p, uint32_t drain_ms) {
  uint64_t until = rk_now_ms() + drain_ms * 3 + 200;
  while (rk_now_ms() < until)
    rk_pair_pump(p, 10);
  bool ok = true;
  for (int i = 0; i < 2; i++) {
    size_t n = 0;
    nicsec_hal_dump(p->hal[i], count_sa, &n);
    if (n != 2) {
      fprintf(stderr, "side %d: the device holds %zu SAs, expected 2\n", i, n);
      ok = false;
    }
  }
  return ok;
}

static uint64_t report_direction(const struct rk_traffic *t, int dir) {
  const struct rk_direction *d = &t->dir[dir];
  struct seqflow_summary s;
  rk_traffic_summary(t, dir, &s);
  printf("side %d -> %d: sent=%" PRIu64 " received=%" PRIu64 " lost=%" PRIu64
         " max_gap=%" PRIu64 " duplicates=%" PRIu64 " reordered=%" PRIu64
         " no_outbound=%" PRIu64 " encap_errors=%" PRIu64 " overflow=%" PRIu64 "\n",
         dir, 1 - dir, s.expected, s.received, s.lost, s.max_gap, s.duplicates, s.reordered,
         d->no_outbound, d->encap_errors, d->overflow);
  for (int e = 0; e < NICSEC_HAL_E__COUNT; e++)
    if (d->decap_errors[e])
      printf("  decap refused %" PRIu64 ": %s\n", d->decap_errors[e],
             nicsec_hal_strerror((enum nicsec_hal_err)e));
  return s.lost;
}

static bool establish(struct rk_pair *p, uint32_t *spi) {
  char err[160];
  if (nd_engine_initiate(p->eng[0], rk_now_ms(), "peer", NULL, err, sizeof err) != 0) {
    fprintf(stderr, "initiate: %s\n", err);
    return false;
  }
  return settle(p, 0, spi);
}

int main(int argc, char **argv) {
  struct loop_opts o;
  if (!parse_opts(argc, argv, &o)) {
    fputs("usage: rekey_loop [--rekeys N] [--burst B] [--depth D] [--no-pfs] [--drain-ms MS]"
          " [--port P]\n", stderr);
    return 2;
  }
  struct rk_pair p;
  struct rk_traffic t;
  uint32_t spi = 0;
  if (!rk_pair_open(&p, o.port, o.pfs ? "aes256gcm16-x25519" : "aes256gcm16", o.drain_ms) ||
      !rk_traffic_init(&t, p.hal[0], p.hal[1], o.burst, o.depth) || !establish(&p, &spi))
    return 1;
  p.on_event = rk_traffic_on_event;
  p.event_ctx = &t;
  t.enabled = true;
  uint64_t msgs0 = p.ike_messages;
  double engine_cpu0 = p.engine_cpu_s;
  double wall0 = clock_s(CLOCK_MONOTONIC), cpu0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
  unsigned long throttled = 0;
  bool ok = run_rekeys(&p, &o, spi, &throttled);
  double wall = clock_s(CLOCK_MONOTONIC) - wall0, cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
  uint64_t msgs = p.ike_messages - msgs0;
  double engine_cpu = p.engine_cpu_s - engine_cpu0;
  ok = no_leaks(&p, o.drain_ms) && ok;
  rk_traffic_finish(&t);
  printf("%lu Child SA rekeys (%s, alternating initiator) in %.3f s over loopback UDP: "
         "%.1f IKE messages per rekey, %u packets each way per IKE event, in flight for %u "
         "events; drain %u ms (%lu rekeys waited for a drain to free a Child SA slot)\n",
         o.rekeys, o.pfs ? "PFS X25519" : "no PFS", wall, (double)msgs / (double)o.rekeys,
         o.burst, o.depth, o.drain_ms, throttled);
  uint64_t lost = report_direction(&t, 0) + report_direction(&t, 1);
  struct seqflow_summary s0, s1;
  rk_traffic_summary(&t, 0, &s0);
  rk_traffic_summary(&t, 1, &s1);
  printf("CPU per rekey: %.1f us in the two engines (both ends), %.1f us for the whole process "
         "(traffic, SA listings and the loop included)\n", engine_cpu / (double)o.rekeys * 1e6,
         cpu / (double)o.rekeys * 1e6);
  printf("rekey_loop: rekeys=%lu rekeys_per_s=%.1f engine_cpu_us_per_rekey=%.1f packets=%" PRIu64
         " lost=%" PRIu64 " pfs=%s\n", o.rekeys, (double)o.rekeys / wall,
         engine_cpu / (double)o.rekeys * 1e6, s0.expected + s1.expected, lost,
         o.pfs ? "x25519" : "none");
  rk_traffic_free(&t);
  rk_pair_close(&p);
  return ok && lost == 0 ? 0 : 1;
}
