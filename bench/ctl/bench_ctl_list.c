/* ctl_list: how long nicsecd takes to answer `sa-table` for 100k SAs — the HAL dump walk plus
 * the JSON text writers the daemon uses (host/daemon/control_fmt.c) — on a soft device holding
 * 100k SAs installed through nicsec_hal_sa_add. Target: under one second.
 *
 * Anchor: the bare nicsec_hal_dump walk over the same table with a callback that only reads
 * the counters; ratio = seconds / anchor is the cost of formatting relative to reading.
 * Also reported (not in the summary line, measured once): nicsecctl's side, parsing the answer
 * with jansson and joining it (ctl_join), which every SA verb of nicsecctl adds on top.
 *
 *   bench_ctl_list [n_sas]     (default 100000) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control_fmt.h"
#include "ctl_model.h"

enum { ROUNDS = 5, SPI_BASE = 0x10000 };

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Installs n inbound SAs in batches of the device's max_batch. */
static int install(struct nicsec_hal_dev *dev, size_t n) {
  uint32_t batch = nicsec_hal_caps(dev)->max_batch;
  struct nicsec_hal_sa *sas = calloc(batch, sizeof *sas);
  nicsec_hal_sa_id *ids = calloc(batch, sizeof *ids);
  int rc = sas && ids ? 0 : -1;
  for (size_t done = 0; rc == 0 && done < n;) {
    size_t k = n - done < batch ? n - done : batch;
    for (size_t i = 0; i < k; i++) {
      struct nicsec_hal_sa *sa = &sas[i];
      *sa = (struct nicsec_hal_sa){.dir = NICSEC_HAL_DIR_IN, .offload = NICSEC_HAL_OFFLOAD_PACKET,
                                   .mode = NICSEC_HAL_MODE_TUNNEL,
                                   .spi = (uint32_t)(SPI_BASE + done + i), .reqid = 1,
                                   .alg = NICSEC_HAL_ALG_AES_GCM_256, .key_len = 32,
                                   .icv_len = 16, .replay_window = 64};
      sa->src.family = sa->dst.family = NICSEC_HAL_AF_INET;
      memcpy(sa->src.bytes, (uint8_t[]){198, 18, (uint8_t)(i >> 8), (uint8_t)i}, 4);
      memcpy(sa->dst.bytes, (uint8_t[]){192, 0, 2, 1}, 4);
      memset(sa->key, (int)(i & 0xff), sizeof sa->key);
    }
    enum nicsec_hal_err err = nicsec_hal_sa_add(dev, sas, k, ids, NULL);
    if (err != NICSEC_HAL_OK) {
      fprintf(stderr, "bench_ctl_list: install: %s\n", nicsec_hal_strerror(err));
      rc = -1;
    }
    done += k;
  }
  free(sas);
  free(ids);
  return rc;
}

static int read_counters(const struct nicsec_hal_sa_info *info, void *ctx) {
  *(uint64_t *)ctx += info->stats.packets + info->id;
  return 0;
}

static double median(double *v) {
  qsort(v, ROUNDS, sizeof *v, cmp_double);
  return v[ROUNDS / 2];
}

int main(int argc, char **argv) {
  size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
  char args[64];
  snprintf(args, sizeof args, "max_sa=%zu", n);
  struct nicsec_hal_dev *dev;
  if (n == 0 || nicsec_hal_open("soft", args, &dev) != NICSEC_HAL_OK) {
    fprintf(stderr, "bench_ctl_list: cannot open a soft device with %s\n", args);
    return 1;
  }
  if (install(dev, n) != 0)
    return 1;
  double anchor[ROUNDS], fmt[ROUNDS], client = 0;
  size_t bytes = 0, listed = 0;
  uint64_t sink = 0;
  for (int r = 0; r < ROUNDS; r++) {
    double t0 = now_s();
    nicsec_hal_dump(dev, read_counters, &sink);
    double t1 = now_s();
    struct nd_sb sb = {0};
    nd_sb_lit(&sb, "{\"ok\":true,\"devices\":[],");
    nd_fmt_device_table(&sb, dev, (uint64_t)time(NULL), &listed);
    nd_sb_lit(&sb, ",\"daemon_sas\":[]}\n");
    bytes = sb.len;
    char *text = nd_sb_take(&sb);
    double t2 = now_s();
    anchor[r] = t1 - t0;
    fmt[r] = t2 - t1 + anchor[r]; /* the daemon's path: the walk and the formatting */
    if (r == 0) { /* the client side is slow: once is enough to report it */
      json_t *table = json_loads(text, JSON_DISABLE_EOF_CHECK, NULL);
      json_t *list = ctl_join(table);
      client = now_s() - t2;
      if (!list || listed != n || json_array_size(json_object_get(list, "sas")) != n) {
        fprintf(stderr, "bench_ctl_list: listed %zu of %zu SAs\n", listed, n);
        return 1;
      }
      json_decref(list);
      json_decref(table);
    }
    free(text);
  }
  nicsec_hal_close(dev);
  double a = median(anchor), s = median(fmt), c = client;
  printf("answer %zu bytes (%.0f bytes/SA); nicsecctl parse+join %.3f s; counters %llu\n", bytes,
         (double)bytes / (double)n, c, (unsigned long long)(sink % 10));
  printf("ctl_list: sas=%zu seconds=%.4f anchor=%.4f ratio=%.1f\n", n, s, a, s / a);
  return s < 1.0 ? 0 : 1;
}
