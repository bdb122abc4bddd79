/* How fast can nicsecd install Child SAs through the HAL? Installs N_SAS SAs (N_SAS / 2 Child
 * SAs: one inbound and one outbound SA each, AES-256-GCM, ICV 16, tunnel mode, ESP-in-UDP,
 * anti-replay window 128) into a `soft` device through nicsec_hal_sa_add in batches of
 * caps.max_batch, then deletes them the way the daemon does (stop, drain, free: key wipe).
 * The anchor is the same SAs installed one nicsec_hal_sa_add call per SA (batch of 1), so the
 * ratio says what batching buys over the call-per-SA path.
 *
 * Each round opens a fresh device (so both variants start from an empty table), installs all
 * SAs, times the installs (CLOCK_MONOTONIC), checks every SA by dumping the device, then
 * deletes them all, timed too, and closes the device. Deletion runs oldest first on one
 * device and newest first on the other, swapping every round: a table whose unlink walks a
 * list shows up as a gap between the two orders. The variants alternate round by round and
 * each metric keeps its best round: on a shared 2-core machine that is the least disturbed
 * sample, for all alike.
 *   usage: bench_hal_sa_add [rounds, default 4]
 * Last line: hal_sa_add: batched_per_s=... single_per_s=... delete_oldest_first_per_s=...
 * delete_newest_first_per_s=... anchor=<single_per_s> ratio=...
 * where ratio = batched_per_s / single_per_s. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nicsec/hal.h"

enum { N_SAS = 100000, SPI_BASE = 0x10000 };
/* Each direction holds N_SAS / 2; the table gets exactly that room, so a lost free would show
 * up as NICSEC_HAL_E_TABLE_FULL in the next round. */
static const char DEVICE_ARGS[] = "max_sa=50000";

static struct nicsec_hal_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return (struct nicsec_hal_addr){.family = NICSEC_HAL_AF_INET, .bytes = {a, b, c, d}};
}

/* SA i: even i inbound, odd i outbound; Child SA i/2 uses SPI SPI_BASE + i/2 both ways (the
 * two directions live in separate lookup keys) and its own key and salt. */
static void describe_sa(struct nicsec_hal_sa *sa, uint32_t i) {
  uint32_t child = i / 2;
  bool in = (i & 1) == 0;
  *sa = (struct nicsec_hal_sa){
      .dir = in ? NICSEC_HAL_DIR_IN : NICSEC_HAL_DIR_OUT,
      .offload = NICSEC_HAL_OFFLOAD_PACKET,
      .mode = NICSEC_HAL_MODE_TUNNEL,
      .spi = SPI_BASE + child,
      .reqid = child + 1,
      .src = in ? v4(192, 0, 2, 1) : v4(192, 0, 2, 2),
      .dst = in ? v4(192, 0, 2, 2) : v4(192, 0, 2, 1),
      .encap = {.enabled = true, .sport = 4500, .dport = 4500},
      .alg = NICSEC_HAL_ALG_AES_GCM_256,
      .key_len = 32,
      .icv_len = 16,
      .replay_window = in ? 128 : 0,
      .limits = {.soft_packets = 1u << 30, .hard_packets = 1u << 31},
  };
  for (uint32_t k = 0; k < 32; k++)
    sa->key[k] = (uint8_t)(i * 31u + k);
  memcpy(sa->salt, &i, sizeof sa->salt);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Installs all SAs in calls of `batch`; returns the seconds it took, or -1 on any failure. */
static double install_all(struct nicsec_hal_dev *dev, const struct nicsec_hal_sa *sas,
                          size_t batch, nicsec_hal_sa_id *ids) {
  double t0 = now_s();
  for (size_t done = 0; done < N_SAS; done += batch) {
    size_t n = N_SAS - done < batch ? N_SAS - done : batch;
    enum nicsec_hal_err err = nicsec_hal_sa_add(dev, sas + done, n, ids + done, NULL);
    if (err != NICSEC_HAL_OK) {
      fprintf(stderr, "sa_add at %zu (batch %zu): %s\n", done, batch, nicsec_hal_strerror(err));
      return -1;
    }
  }
  return now_s() - t0;
}

struct dump_count {
  size_t active, in, out;
};

static int count_sa(const struct nicsec_hal_sa_info *info, void *ctx) {
  struct dump_count *c = ctx;
  c->active += info->state == NICSEC_HAL_SA_ACTIVE;
  c->in += info->sa.dir == NICSEC_HAL_DIR_IN;
  c->out += info->sa.dir == NICSEC_HAL_DIR_OUT;
  return 0;
}

/* The device must hold exactly what was installed: N_SAS active SAs, half per direction. */
static int check_installed(struct nicsec_hal_dev *dev) {
  struct dump_count c = {0};
  if (nicsec_hal_dump(dev, count_sa, &c) != NICSEC_HAL_OK || c.active != N_SAS ||
      c.in != N_SAS / 2 || c.out != N_SAS / 2) {
    fprintf(stderr, "dump: %zu active (%zu in, %zu out), want %d\n", c.active, c.in, c.out,
            N_SAS);
    return -1;
  }
  return 0;
}

enum delete_order { OLDEST_FIRST, NEWEST_FIRST };

/* The daemon's three-phase delete for every SA, in install order or its reverse; returns the
 * seconds it took, or -1. Afterwards the device must be empty. */
static double delete_all(struct nicsec_hal_dev *dev, const nicsec_hal_sa_id *ids,
                         enum delete_order order) {
  double t0 = now_s();
  for (size_t k = 0; k < N_SAS; k++) {
    size_t i = order == OLDEST_FIRST ? k : N_SAS - 1 - k;
    enum nicsec_hal_err err = nicsec_hal_sa_stop(dev, ids[i]);
    if (err == NICSEC_HAL_OK)
      err = nicsec_hal_sa_drain(dev, ids[i]);
    if (err == NICSEC_HAL_OK)
      err = nicsec_hal_sa_free(dev, ids[i]);
    if (err != NICSEC_HAL_OK) {
      fprintf(stderr, "delete of SA %zu: %s\n", i, nicsec_hal_strerror(err));
      return -1;
    }
  }
  double secs = now_s() - t0;
  struct dump_count c = {0};
  if (nicsec_hal_dump(dev, count_sa, &c) != NICSEC_HAL_OK || c.in + c.out != 0) {
    fprintf(stderr, "device still holds %zu SAs after freeing all\n", c.in + c.out);
    return -1;
  }
  return secs;
}

struct round_times {
  double install_s, delete_s;
};

/* One round on a fresh device; batch 0 means caps.max_batch. Returns 0 or -1. */
static int round_on_fresh_device(const struct nicsec_hal_sa *sas, size_t batch,
                                 enum delete_order order, nicsec_hal_sa_id *ids,
                                 size_t *used_batch, struct round_times *t) {
  struct nicsec_hal_dev *dev;
  enum nicsec_hal_err err = nicsec_hal_open("soft", DEVICE_ARGS, &dev);
  if (err != NICSEC_HAL_OK) {
    fprintf(stderr, "open soft (%s): %s\n", DEVICE_ARGS, nicsec_hal_strerror(err));
    return -1;
  }
  *used_batch = batch ? batch : nicsec_hal_caps(dev)->max_batch;
  t->install_s = install_all(dev, sas, *used_batch, ids);
  t->delete_s = -1;
  if (t->install_s >= 0 && check_installed(dev) == 0)
    t->delete_s = delete_all(dev, ids, order);
  nicsec_hal_close(dev);
  return t->install_s >= 0 && t->delete_s >= 0 ? 0 : -1;
}

static void keep_min(double *best, double v) {
  if (v < *best)
    *best = v;
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 4;
  if (rounds < 2) { /* each delete order needs a round */
    fprintf(stderr, "usage: %s [rounds >= 2]\n", argv[0]);
    return 2;
  }
  struct nicsec_hal_sa *sas = malloc(N_SAS * sizeof *sas);
  nicsec_hal_sa_id *ids = malloc(N_SAS * sizeof *ids);
  if (!sas || !ids)
    return 1;
  for (uint32_t i = 0; i < N_SAS; i++)
    describe_sa(&sas[i], i);
  double best_batched = 1e30, best_single = 1e30, best_delete[2] = {1e30, 1e30};
  size_t max_batch = 0, one = 0;
  for (int r = 0; r < rounds; r++) {
    /* Alternating which variant runs first, and which deletes oldest first, cancels any bias
     * from the heap's state. */
    enum delete_order batched_order = r % 2 == 0 ? OLDEST_FIRST : NEWEST_FIRST;
    enum delete_order single_order = batched_order == OLDEST_FIRST ? NEWEST_FIRST : OLDEST_FIRST;
    struct round_times batched, single;
    int rc;
    if (r % 2 == 0)
      rc = round_on_fresh_device(sas, 0, batched_order, ids, &max_batch, &batched) |
           round_on_fresh_device(sas, 1, single_order, ids, &one, &single);
    else
      rc = round_on_fresh_device(sas, 1, single_order, ids, &one, &single) |
           round_on_fresh_device(sas, 0, batched_order, ids, &max_batch, &batched);
    if (rc != 0)
      return 1;
    printf("round %d: install batched %.3f s, single %.3f s; delete %s first %.3f s, "
           "%s first %.3f s\n",
           r + 1, batched.install_s, single.install_s,
           batched_order == OLDEST_FIRST ? "oldest" : "newest", batched.delete_s,
           single_order == OLDEST_FIRST ? "oldest" : "newest", single.delete_s);
    keep_min(&best_batched, batched.install_s);
    keep_min(&best_single, single.install_s);
    keep_min(&best_delete[batched_order], batched.delete_s);
    keep_min(&best_delete[single_order], single.delete_s);
  }
  free(sas);
  free(ids);
  double batched_per_s = N_SAS / best_batched, single_per_s = N_SAS / best_single;
  printf("%d SAs (AES-256-GCM, tunnel, ESP-in-UDP), batch %zu vs 1, best of %d rounds\n", N_SAS,
         max_batch, rounds);
  printf("hal_sa_delete: oldest_first_per_s=%.0f newest_first_per_s=%.0f (stop+drain+free)\n",
         N_SAS / best_delete[OLDEST_FIRST], N_SAS / best_delete[NEWEST_FIRST]);
  printf("hal_sa_add: batched_per_s=%.0f single_per_s=%.0f delete_oldest_first_per_s=%.0f "
         "delete_newest_first_per_s=%.0f anchor=%.0f ratio=%.3f\n",
         batched_per_s, single_per_s, N_SAS / best_delete[OLDEST_FIRST],
         N_SAS / best_delete[NEWEST_FIRST], single_per_s, batched_per_s / single_per_s);
  return 0;
}
