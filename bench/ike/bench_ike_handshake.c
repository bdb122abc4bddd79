/* CPU cost of one IKEv2 handshake in nicsecd's engine, without sockets: two engines in one
 * process (the unit-test harness: a simulated network and clock, each side installing on a
 * "record" HAL device) run IKE_SA_INIT + IKE_AUTH + the first Child SA, PSK, X25519,
 * aes256gcm16-prfsha256 for IKE and ESP. Each round builds a fresh pair of engines, then times
 * only initiate + delivery of the four messages with CLOCK_PROCESS_CPUTIME_ID, so the figure is
 * the CPU both ends spend together on one handshake (initiator + responder). The run fails if a
 * round does not end with both sides holding the established IKE SA and its Child SA.
 *   usage: bench_ike_handshake [rounds, default 2000]
 * Last line: ike_handshake: cpu_us_per_handshake=... handshakes_per_cpu_s=... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "log.h"

static double cpu_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int compare_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static bool established_both(const struct harness *h) {
  for (int side = 0; side < 2; side++) {
    struct h_ike ike[2];
    if (h_list(h, side, ike, 2) != 1 || strcmp(ike[0].ike.state, "ESTABLISHED") != 0 ||
        ike[0].n_children != 1)
      return false;
  }
  return true;
}

/* One handshake on fresh engines; returns its CPU seconds, or a negative value on failure. */
static double one_round(const char *yaml0, const char *yaml1) {
  struct harness h;
  if (!h_init(&h, yaml0, yaml1))
    return -1;
  char err[128];
  double start = cpu_s();
  int rc = nd_engine_initiate(h.eng[0], h.now, "peer", NULL, err, sizeof err);
  size_t delivered = rc == 0 ? h_run(&h, 16) : 0;
  double spent = cpu_s() - start;
  bool ok = delivered == 4 && established_both(&h);
  h_free(&h);
  return ok ? spent : -1;
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 2000;
  if (rounds < 10)
    rounds = 10;
  static char yaml0[4096], yaml1[4096];
  h_config(yaml0, sizeof yaml0, 0, "aes256gcm16-prfsha256-x25519", "aes256gcm16", NULL, NULL, NULL);
  h_config(yaml1, sizeof yaml1, 1, "aes256gcm16-prfsha256-x25519", "aes256gcm16", NULL, NULL, NULL);
  double *samples = calloc((size_t)rounds, sizeof *samples);
  if (!samples)
    return 1;
  double total = 0;
  for (int i = 0; i < rounds; i++) {
    samples[i] = one_round(yaml0, yaml1);
    if (samples[i] < 0) {
      fprintf(stderr, "round %d: handshake did not complete\n", i);
      free(samples);
      return 1;
    }
    total += samples[i];
  }
  qsort(samples, (size_t)rounds, sizeof *samples, compare_double);
  double mean_us = total / rounds * 1e6, p50_us = samples[rounds / 2] * 1e6;
  printf("rounds=%d mean=%.1f us p50=%.1f us p99=%.1f us (both ends, CPU time)\n", rounds, mean_us,
         p50_us, samples[rounds * 99 / 100] * 1e6);
  printf("ike_handshake: cpu_us_per_handshake=%.1f handshakes_per_cpu_s=%.0f\n", p50_us,
         1e6 / p50_us);
  free(samples);
  return 0;
}
