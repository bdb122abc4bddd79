/* What does bounds checking cost the IKE codec? Walks a buffer of IKE-style payload chains
 * (generic payload header: next payload, flags, 16-bit length) with the bounded reader, and as
 * the anchor with unchecked pointer arithmetic, the way a careless parser would. The ratio is
 * bounded time / unchecked time: the price of never reading out of bounds.
 *   usage: bench_wire_reader [iterations]   (default 2000 walks of a 64 KiB buffer) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bytebuf.h"

enum { BUFFER_BYTES = 64 * 1024, PAYLOAD_MAX = 200, REPEATS = 5 };

static size_t fill_chain(uint8_t *buf, size_t cap) {
  uint64_t seed = 42;
  size_t len = 0;
  while (len + 4 + PAYLOAD_MAX <= cap) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    size_t body = 4 + (size_t)(seed >> 33) % (PAYLOAD_MAX - 4);
    buf[len] = (uint8_t)(33 + seed % 16); /* next payload */
    buf[len + 1] = 0;
    buf[len + 2] = (uint8_t)((body + 4) >> 8);
    buf[len + 3] = (uint8_t)(body + 4);
    memset(buf + len + 4, (int)(seed >> 8), body);
    len += body + 4;
  }
  return len;
}

/* Returns a checksum so the compiler cannot drop the walk. */
static uint64_t walk_bounded(const uint8_t *buf, size_t len) {
  struct wire_reader r;
  wire_reader_init(&r, buf, len);
  uint64_t sum = 0;
  while (wire_remaining(&r) >= 4) {
    uint8_t next = wire_read_u8(&r);
    (void)wire_read_u8(&r);
    uint16_t plen = wire_read_be16(&r);
    struct wire_reader body;
    if (plen < 4 || !wire_read_sub(&r, plen - 4u, &body))
      break;
    sum += next + wire_read_u8(&body) + plen;
  }
  return sum;
}

static uint64_t walk_unchecked(const uint8_t *buf, size_t len) {
  const uint8_t *p = buf, *end = buf + len;
  uint64_t sum = 0;
  while (end - p >= 4) {
    uint8_t next = p[0];
    uint16_t plen = (uint16_t)(p[2] << 8 | p[3]);
    if (plen < 4)
      break;
    sum += next + p[4] + plen;
    p += plen;
  }
  return sum;
}

static double seconds_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Best of REPEATS runs: the least disturbed by the other core's load. */
static double best_time(uint64_t (*walk)(const uint8_t *, size_t), const uint8_t *buf, size_t len,
                        long iterations, uint64_t *checksum) {
  double best = 1e30;
  for (int rep = 0; rep < REPEATS; rep++) {
    double start = seconds_now();
    uint64_t sum = 0;
    for (long i = 0; i < iterations; i++)
      sum += walk(buf, len);
    double elapsed = seconds_now() - start;
    *checksum = sum;
    if (elapsed < best)
      best = elapsed;
  }
  return best;
}

int main(int argc, char **argv) {
  long iterations = argc > 1 ? strtol(argv[1], NULL, 10) : 2000;
  if (iterations <= 0) {
    fprintf(stderr, "bench_wire_reader: iterations must be a positive number\n");
    return 2;
  }
  static uint8_t buf[BUFFER_BYTES];
  size_t len = fill_chain(buf, sizeof buf);
  uint64_t sum_bounded = 0, sum_unchecked = 0;
  double t_bounded = best_time(walk_bounded, buf, len, iterations, &sum_bounded);
  double t_unchecked = best_time(walk_unchecked, buf, len, iterations, &sum_unchecked);
  if (sum_bounded != sum_unchecked) {
    fprintf(stderr, "bench_wire_reader: walks disagree (%llu vs %llu)\n",
            (unsigned long long)sum_bounded, (unsigned long long)sum_unchecked);
    return 1;
  }
  double mb = (double)len * (double)iterations / 1e6;
  printf(
      "wire_reader: bounded_MBps=%.0f unchecked_MBps=%.0f iterations=%ld anchor=%.0f ratio=%.2f\n",
      mb / t_bounded, mb / t_unchecked, iterations, mb / t_unchecked, t_bounded / t_unchecked);
  return 0;
}
