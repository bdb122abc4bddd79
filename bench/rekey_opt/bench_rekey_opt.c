/* What optimized rekeys (draft-ietf-ipsecme-ikev2-sa-ts-payloads-opt) save per Child SA rekey:
 * octets on the wire and CPU time, regular vs optimized, with and without PFS (X25519).
 *
 *   bench_rekey_opt [rekeys]      (default 400 per case)
 *
 * The two-engine harness of the daemon's unit tests (tests/unit/host/daemon/harness.h: datagrams
 * handed over through memory, virtual time, the recording HAL), so the CPU time is the engines'
 * own: IKE encode/decode, SK encryption, KE, KEYMAT, HAL bookkeeping. Both sides enable
 * child-pfs-info, so even the first rekey of the IKE_AUTH child can be optimized. One rekey is
 * the whole make-before-break sequence: CREATE_CHILD_SA request and response, the Delete of the
 * old Child SA and its response. Octets are IPv4 datagrams (IKE message + 8 UDP + 20 IP).
 *
 * One line per case, then the summary line:
 *   rekey_opt: bytes_regular=... bytes_optimized=... ... anchor=regular ratio=<optimized/regular
 *   octets per rekey, without PFS> */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "log.h"

enum { UDP_IP_OVERHEAD = 28, DRAIN_MS = 10, CCS_EXCHANGE = 36, IKE_EXCHANGE_OCTET = 18 };

/* Octets of the datagrams exchanged since the last reset. */
struct wire_count {
  uint64_t octets, ccs_octets, datagrams;
};

/* Delivers everything queued, counting each datagram as it goes. */
static void deliver_counted(struct harness *h, struct wire_count *w) {
  while (h_pending(h)) {
    const struct h_packet *p = h_peek(h, 0);
    w->octets += p->len + UDP_IP_OVERHEAD;
    w->datagrams++;
    if (p->len > IKE_EXCHANGE_OCTET && p->msg[IKE_EXCHANGE_OCTET] == CCS_EXCHANGE)
      w->ccs_octets += p->len + UDP_IP_OVERHEAD;
    h_deliver_at(h, 0);
  }
}

static bool pair_open(struct harness *h, const char *esp, bool optimized) {
  char yaml[2][4096];
  const char *conn = optimized ? "    rekey_time: 0\n    optimized_rekey: true\n    child_pfs_info: true\n"
                               : "    rekey_time: 0\n    child_pfs_info: true\n";
  for (int s = 0; s < 2; s++)
    h_config(yaml[s], sizeof yaml[s], s, "aes256gcm16-prfsha256-x25519", esp, conn,
             "  inbound_drain_ms: 10\n", NULL);
  if (!h_init(h, yaml[0], yaml[1]))
    return false;
  nd_log_set_level(ND_LOG_ERROR);
  char err[160];
  if (nd_engine_initiate(h->eng[0], h->now, "peer", NULL, err, sizeof err) != 0)
    return false;
  struct wire_count setup = {0, 0, 0};
  deliver_counted(h, &setup);
  return true;
}

struct child_check {
  size_t installed;
  const char *rekey;
};

static void count_installed(void *ctx, const struct nd_ike_view *ike,
                            const struct nd_child_view *children, size_t n) {
  struct child_check *c = ctx;
  (void)ike;
  for (size_t i = 0; i < n; i++)
    if (strcmp(children[i].state, "INSTALLED") == 0) {
      c->installed++;
      c->rekey = children[i].rekey;
    }
}

/* After a rekey: exactly one installed Child SA per side, made the expected way. */
static bool rekey_ok(const struct harness *h, const char *expected) {
  for (int s = 0; s < 2; s++) {
    struct child_check c = {0, NULL};
    nd_engine_visit(h->eng[s], count_installed, &c);
    if (c.installed != 1 || strcmp(c.rekey, expected) != 0)
      return false;
  }
  return true;
}

struct result {
  double octets, ccs_octets, datagrams, cpu_us;
};

static double cpu_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool run_case(const char *esp, bool optimized, unsigned rekeys, struct result *out) {
  struct harness h;
  bool ok = pair_open(&h, esp, optimized);
  const char *expected = optimized ? "optimized" : "regular";
  struct wire_count w = {0, 0, 0};
  double start = cpu_s();
  for (unsigned i = 0; ok && i < rekeys; i++) {
    char err[160];
    ok = nd_engine_rekey_child(h.eng[i % 2], h.now, "peer", "net", err, sizeof err) > 0;
    deliver_counted(&h, &w);
    h_advance(&h, h.now + DRAIN_MS + 1); /* the old inbound SA leaves the HAL */
    deliver_counted(&h, &w);
    ok = ok && rekey_ok(&h, expected);
  }
  double cpu = cpu_s() - start;
  if (ok)
    *out = (struct result){(double)w.octets / rekeys, (double)w.ccs_octets / rekeys,
                           (double)w.datagrams / rekeys, cpu * 1e6 / rekeys};
  h_free(&h);
  return ok;
}

int main(int argc, char **argv) {
  unsigned rekeys = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 400;
  if (rekeys == 0)
    rekeys = 400;
  static const char *const esp[2] = {"aes256gcm16", "aes256gcm16-x25519"};
  struct result r[2][2]; /* [pfs][optimized] */
  for (int pfs = 0; pfs < 2; pfs++)
    for (int opt = 0; opt < 2; opt++) {
      if (!run_case(esp[pfs], opt, rekeys, &r[pfs][opt])) {
        fprintf(stderr, "rekey_opt: %s%s case failed\n", opt ? "optimized" : "regular",
                pfs ? " PFS" : "");
        return 1;
      }
      printf("%-9s %-6s octets/rekey=%.0f create_child_sa_octets=%.0f datagrams=%.0f "
             "cpu_us/rekey=%.1f\n",
             opt ? "optimized" : "regular", pfs ? "PFS" : "no-PFS", r[pfs][opt].octets,
             r[pfs][opt].ccs_octets, r[pfs][opt].datagrams, r[pfs][opt].cpu_us);
    }
  printf("rekey_opt: rekeys=%u bytes_regular=%.0f bytes_optimized=%.0f bytes_regular_pfs=%.0f "
         "bytes_optimized_pfs=%.0f bytes_ratio_pfs=%.3f cpu_us_regular=%.1f cpu_us_optimized=%.1f "
         "cpu_ratio=%.3f cpu_us_regular_pfs=%.1f cpu_us_optimized_pfs=%.1f cpu_ratio_pfs=%.3f "
         "anchor=regular ratio=%.3f\n",
         rekeys, r[0][0].octets, r[0][1].octets, r[1][0].octets, r[1][1].octets,
         r[1][1].octets / r[1][0].octets, r[0][0].cpu_us, r[0][1].cpu_us,
         r[0][1].cpu_us / r[0][0].cpu_us, r[1][0].cpu_us, r[1][1].cpu_us,
         r[1][1].cpu_us / r[1][0].cpu_us, r[0][1].octets / r[0][0].octets);
  return 0;
}
