/* How fast is the RTL ESP engine, in simulated clocks and in host time?
 *
 *   bytes per cycle   back-to-back plaintext IPv4 packets of 64 / 512 / 1,500 / 9,000 octets
 *                     pushed into egress (and the resulting ESP packets into ingress); octets of
 *                     input per clock between the first and the last packet leaving the engine
 *                     (steady state: the pipeline fill is excluded), against the lane limit of
 *                     16 octets per clock per lane
 *   packets per cycle at 64 octets (egress), against one packet per clock
 *   SA spread         1,500-octet egress over 1 SA vs round-robin over 4,096 installed SAs
 *   SA installs       through the HAL `sim` backend in batches (nicsec_hal_sa_add), host time,
 *                     and simulated clocks per install
 *   model speed       simulated clocks per wall-clock second, idle and with back-to-back traffic
 *
 *   usage: bench_hw [packets per size, default 400]
 * Last line: hw: egress_bpc_1500=... anchor=16 ratio=<egress_bpc_1500 / (16 * lanes)> ... */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "nicsec/hal.h"
#include "nicsec_regs.h"
#include "nicsim.h"
#include "sim_backend.h"
#include "sim_dev.h"
#include "test_util.h" /* tu_udp4_packet: plain IPv4/UDP packets */

enum { LANE_OCTETS = 16, MAX_PKT = 9000, MANY_SAS = 4096, INSTALLS = 4096, SPI_BASE = 256 };

static double clock_s(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
static double now_s(void) { return clock_s(CLOCK_MONOTONIC); }
/* The model's own speed: on a shared machine the wall clock also counts other programs. */
static double cpu_s(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }

static struct nicsec_hal_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return (struct nicsec_hal_addr){.family = NICSEC_HAL_AF_INET, .bytes = {a, b, c, d}};
}

static void describe_sa(struct nicsec_hal_sa *sa, uint32_t k, enum nicsec_hal_dir dir) {
  *sa = (struct nicsec_hal_sa){
      .dir = dir,
      .offload = NICSEC_HAL_OFFLOAD_PACKET,
      .mode = NICSEC_HAL_MODE_TUNNEL,
      .spi = SPI_BASE + k,
      .reqid = k + 1,
      .src = v4(192, 0, 2, 1),
      .dst = v4(198, 51, 100, 1),
      .alg = NICSEC_HAL_ALG_AES_GCM_256,
      .key_len = 32,
      .icv_len = 16,
      .replay_window = dir == NICSEC_HAL_DIR_IN ? 128 : 0,
      .initial_seq = 0,
  };
  for (uint32_t i = 0; i < 32; i++)
    sa->key[i] = (uint8_t)(k * 7u + i);
  memcpy(sa->salt, &k, sizeof sa->salt);
}

struct install_cost {
  double per_s;  /* host time */
  double cycles; /* simulated clocks per install */
};

/* An enabled engine with outbound SAs 0..n_out-1 and inbound SAs 0..n_in-1, installed through
 * the register-level driver the `sim` backend uses; *cost = what the outbound installs took. */
static struct nicsim *engine(uint32_t n_out, uint32_t n_in, struct install_cost *cost) {
  struct nicsim *sim = nicsim_create();
  if (!sim)
    return NULL;
  nicsim_mmio_write32(sim, NICSEC_REG_CONTROL, NICSEC_CONTROL_ENABLE_MASK);
  nicsim_mmio_write32(sim, NICSEC_REG_IN_SPI_BASE, SPI_BASE);
  struct nicsec_hal_sa sa;
  double t0 = now_s();
  uint64_t c0 = nicsim_cycles(sim);
  for (uint32_t k = 0; k < n_out; k++) {
    describe_sa(&sa, k, NICSEC_HAL_DIR_OUT);
    if (sim_sa_install(sim, k, &sa, true))
      goto fail;
  }
  if (cost) {
    cost->per_s = n_out / (now_s() - t0);
    cost->cycles = (double)(nicsim_cycles(sim) - c0) / n_out;
  }
  for (uint32_t k = 0; k < n_in; k++) {
    describe_sa(&sa, k, NICSEC_HAL_DIR_IN);
    if (sim_sa_install(sim, k, &sa, true))
      goto fail;
  }
  return sim;
fail:
  nicsim_destroy(sim);
  return NULL;
}

/* SA installs through the public HAL on the `sim` backend, in batches of caps.max_batch. */
static double hal_installs_per_s(uint32_t n) {
  struct nicsec_hal_dev *dev = NULL;
  if (nicsec_hal_sim_register() || nicsec_hal_open("sim", "", &dev))
    return -1;
  uint32_t batch = nicsec_hal_caps(dev)->max_batch;
  struct nicsec_hal_sa *sas = calloc(n, sizeof *sas);
  nicsec_hal_sa_id *ids = calloc(n, sizeof *ids);
  double rate = -1;
  if (sas && ids) {
    for (uint32_t k = 0; k < n; k++)
      describe_sa(&sas[k], k, k % 2 ? NICSEC_HAL_DIR_IN : NICSEC_HAL_DIR_OUT);
    for (uint32_t k = 0; k < n; k++)
      sas[k].spi = SPI_BASE + k / 2; /* inside the inbound SPI window (reset IN_SPI_BASE) */
    double t0 = now_s();
    uint32_t done = 0;
    while (done < n) {
      uint32_t m = n - done < batch ? n - done : batch;
      if (nicsec_hal_sa_add(dev, sas + done, m, ids + done, NULL))
        break;
      done += m;
    }
    if (done == n)
      rate = n / (now_s() - t0);
  }
  if (sas)
    for (uint32_t k = 0; k < n; k++)
      OPENSSL_cleanse(&sas[k], sizeof sas[k]); /* the keys */
  free(sas);
  free(ids);
  nicsec_hal_close(dev);
  return rate;
}

struct run {
  double octets_per_cycle, packets_per_cycle, cycles_per_s;
  size_t ok;
};

/* Steps until `n` outputs came out of one direction; counts the clocks from the first output
 * to the last one (n - 1 packet intervals). */
static int drain(struct nicsim *sim, size_t n, int wire_tx, uint8_t (*keep)[MAX_PKT + 64],
                 size_t *keep_len, uint64_t *first, uint64_t *last) {
  static uint8_t buf[MAX_PKT + 64];
  size_t got = 0, len = 0;
  uint64_t idle = 0;
  while (got < n && idle < 200000) {
    nicsim_step(sim, 1);
    uint16_t sa = 0;
    uint8_t code = 0;
    int have = wire_tx ? nicsim_wire_tx_pull(sim, buf, sizeof buf, &len)
                       : nicsim_rx_pull(sim, buf, sizeof buf, &len, &code, &sa);
    while (wire_tx && nicsim_txc_pull(sim, &sa, &code))
      ;
    if (!have) {
      idle++;
      continue;
    }
    idle = 0;
    if (got == 0)
      *first = nicsim_cycles(sim);
    *last = nicsim_cycles(sim);
    if (keep && len <= sizeof buf) {
      memcpy(keep[got], buf, len);
      keep_len[got] = len;
    }
    got++;
  }
  return got == n ? 0 : -1;
}

static uint8_t (*esp)[MAX_PKT + 64];
static size_t *esp_len;

/* n packets of `size` octets over SA slots 0..spread-1, egress then the ESP back through
 * ingress. */
static int stream(struct nicsim *sim, size_t size, size_t n, uint32_t spread, struct run *tx,
                  struct run *rx) {
  static uint8_t plain[MAX_PKT];
  for (size_t i = 0; i < n; i++) {
    size_t len = tu_udp4_packet(plain, "10.1.0.1", "10.2.0.1", 5000, 2000, size - 28,
                                (uint8_t)i);
    nicsim_tx_push(sim, (uint16_t)(i % spread), plain, len);
  }
  uint64_t first = 0, last = 0;
  double t0 = cpu_s();
  uint64_t c0 = nicsim_cycles(sim);
  if (drain(sim, n, 1, esp, esp_len, &first, &last))
    return -1;
  tx->cycles_per_s = (double)(nicsim_cycles(sim) - c0) / (cpu_s() - t0);
  tx->octets_per_cycle = (double)(size * (n - 1)) / (double)(last - first);
  tx->packets_per_cycle = (double)(n - 1) / (double)(last - first);
  if (!rx)
    return 0;
  for (size_t i = 0; i < n; i++)
    nicsim_wire_rx_push(sim, esp[i], esp_len[i]);
  t0 = cpu_s();
  c0 = nicsim_cycles(sim);
  if (drain(sim, n, 0, NULL, NULL, &first, &last))
    return -1;
  rx->cycles_per_s = (double)(nicsim_cycles(sim) - c0) / (cpu_s() - t0);
  rx->octets_per_cycle = (double)(size * (n - 1)) / (double)(last - first);
  rx->packets_per_cycle = (double)(n - 1) / (double)(last - first);
  return 0;
}

static double idle_cycles_per_s(struct nicsim *sim, double *wall) {
  uint64_t cycles = 50000;
  double t0 = now_s(), c0 = cpu_s();
  nicsim_step(sim, cycles);
  *wall = (double)cycles / (now_s() - t0);
  return (double)cycles / (cpu_s() - c0);
}

static void print_run(size_t size, const struct run *tx, const struct run *rx) {
  printf("%5zu B: egress %.2f B/cycle (%.4f pkt/cycle), ingress %.2f B/cycle; "
         "model %.0f (egress) / %.0f (ingress) cycles per CPU-second\n",
         size, tx->octets_per_cycle, tx->packets_per_cycle, rx->octets_per_cycle,
         tx->cycles_per_s, rx->cycles_per_s);
}

int main(int argc, char **argv) {
  size_t n = argc > 1 ? (size_t)strtoul(argv[1], NULL, 0) : 400;
  if (n < 8 || n > 100000) {
    fprintf(stderr, "usage: bench_hw [packets per size 8..100000]\n");
    return 2;
  }
  esp = calloc(n, sizeof *esp);
  esp_len = calloc(n, sizeof *esp_len);
  struct nicsim *sim = engine(1, 1, NULL);
  if (!esp || !esp_len || !sim) {
    fprintf(stderr, "bench_hw: cannot set up the engine\n");
    return 1;
  }
  uint32_t caps = 0;
  nicsim_mmio_read32(sim, NICSEC_REG_CAPS, &caps);
  unsigned lanes = (caps & NICSEC_CAPS_LANES_MASK) >> NICSEC_CAPS_LANES_LSB;
  double idle_wall = 0, idle = idle_cycles_per_s(sim, &idle_wall);
  printf("model idle: %.0f cycles per CPU-second (%.0f per wall-clock second)\n", idle,
         idle_wall);
  static const size_t sizes[] = {64, 512, 1500, 9000};
  struct run tx[4], rx[4];
  for (size_t i = 0; i < 4; i++) {
    if (stream(sim, sizes[i], n, 1, &tx[i], &rx[i])) {
      fprintf(stderr, "bench_hw: packets lost at %zu octets\n", sizes[i]);
      return 1;
    }
    print_run(sizes[i], &tx[i], &rx[i]);
  }
  nicsim_destroy(sim);

  struct install_cost reg;
  struct run spread;
  sim = engine(MANY_SAS, 0, &reg);
  if (!sim || stream(sim, 1500, n, MANY_SAS, &spread, NULL)) {
    fprintf(stderr, "bench_hw: %d-SA run failed\n", MANY_SAS);
    return 1;
  }
  nicsim_destroy(sim);
  printf("1500 B over %d SAs: egress %.2f B/cycle (1 SA: %.2f)\n", MANY_SAS,
         spread.octets_per_cycle, tx[2].octets_per_cycle);
  printf("SA install, register-level driver: %.0f per host second, %.0f cycles each\n",
         reg.per_s, reg.cycles);
  double hal_rate = hal_installs_per_s(INSTALLS);
  printf("SA install, HAL sim backend batched: %.0f per host second\n", hal_rate);

  double limit = (double)(LANE_OCTETS * (lanes ? lanes : 1));
  printf("hw: egress_bpc_64=%.2f egress_bpc_512=%.2f egress_bpc_1500=%.2f egress_bpc_9000=%.2f "
         "pkt_per_cycle_64=%.4f spread_ratio_4096=%.3f hal_installs_per_s=%.0f "
         "cycles_per_install=%.0f cycles_per_s=%.0f anchor=%.0f ratio=%.3f\n",
         tx[0].octets_per_cycle, tx[1].octets_per_cycle, tx[2].octets_per_cycle,
         tx[3].octets_per_cycle, tx[0].packets_per_cycle,
         spread.octets_per_cycle / tx[2].octets_per_cycle, hal_rate, reg.cycles, idle, limit,
         tx[2].octets_per_cycle / limit);
  free(esp);
  free(esp_len);
  return 0;
}
