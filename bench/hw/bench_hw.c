/* How fast is the RTL ESP engine, in simulated clocks and in host time?
 *
 *   bytes per cycle   back-to-back plaintext IPv4 packets of 64 / 512 / 1,500 / 9,000 octets
 *                     pushed into egress (and the resulting ESP packets into ingress); octets of
 *                     input per clock between the first and the last packet leaving the engine
 *                     (steady state: the pipeline fill is excluded), against the lane limit of
 *                     16 octets per clock per lane
 *   packets per cycle at 64 octets (egress), against one packet per clock
 *   SA spread         1,500-octet egress over 1 SA vs round-robin over 4,096 installed SAs
 *   SA installs       through the HAL `sim` backend in batches (nicsec_hal_sa_add), which
 *                     posts SA descriptors into the engine's descriptor ring: headline run
 *                     against a `nicsim --no-net` child process (attach mode: nicsim's loop runs
 *                     the engine, so the caller's CPU time is the host's cost), as installs per
 *                     CPU-second of the calling thread and per wall-clock second, simulated
 *                     clocks per install (BAR cycle counter) and the rate that implies at
 *                     250 MHz; plus the in-process figure (the caller also runs the model) and
 *                     the CSR mailbox's clocks per install for comparison
 *   model speed       simulated clocks per wall-clock second, idle and with back-to-back traffic
 *
 *   usage: bench_hw [packets per size, default 400] [path of the nicsim program, default
 *          ../sim/nicsim next to this binary]
 * Last line: hw: egress_bpc_1500=... anchor=16 ratio=<egress_bpc_1500 / (16 * lanes)> ... */
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "nicsec/hal.h"
#include "nicsec_regs.h"
#include "nicsim.h"
#include "sim_backend.h"
#include "sim_dev.h"
#include "test_util.h" /* tu_udp4_packet: plain IPv4/UDP packets */

enum { LANE_OCTETS = 16, MAX_PKT = 9000, MANY_SAS = 4096, INSTALLS = 4096, SPI_BASE = 256 };
enum { NICSIM_START_MS = 10000 };
#define CLOCK_HZ 250e6 /* the engine's target clock (offload-notes.md) */

extern char **environ;

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

/* What n installs through the HAL took. cycles < 0: no cycle counter to read. */
struct hal_install_cost {
  double host_per_s, wall_per_s, cycles;
};

/* SA installs through the public HAL on the `sim` backend, in batches of caps.max_batch:
 * half outbound, half inbound (SPIs inside the reset inbound window). `args` selects an
 * in-process engine ("") or a nicsim BAR ("attach=NAME"); `bar` (may be NULL) reads the
 * engine's cycle counter. */
static int hal_installs(const char *args, struct nicsim *bar, uint32_t n,
                        struct hal_install_cost *cost) {
  struct nicsec_hal_dev *dev = NULL;
  if (nicsec_hal_sim_register() || nicsec_hal_open("sim", args, &dev))
    return -1;
  uint32_t batch = nicsec_hal_caps(dev)->max_batch;
  struct nicsec_hal_sa *sas = calloc(n, sizeof *sas);
  nicsec_hal_sa_id *ids = calloc(n, sizeof *ids);
  int rc = -1;
  if (sas && ids) {
    for (uint32_t k = 0; k < n; k++) {
      describe_sa(&sas[k], k, k % 2 ? NICSEC_HAL_DIR_IN : NICSEC_HAL_DIR_OUT);
      sas[k].spi = SPI_BASE + k / 2;
    }
    uint64_t c0 = bar ? nicsim_cycles(bar) : 0;
    double t0 = now_s(), h0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
    uint32_t done = 0;
    while (done < n) {
      uint32_t m = n - done < batch ? n - done : batch;
      if (nicsec_hal_sa_add(dev, sas + done, m, ids + done, NULL))
        break;
      done += m;
    }
    double host = clock_s(CLOCK_THREAD_CPUTIME_ID) - h0, wall = now_s() - t0;
    if (done == n) {
      cost->host_per_s = n / host;
      cost->wall_per_s = n / wall;
      cost->cycles = bar ? (double)(nicsim_cycles(bar) - c0) / n : -1;
      rc = 0;
    }
  }
  if (sas)
    for (uint32_t k = 0; k < n; k++)
      OPENSSL_cleanse(&sas[k], sizeof sas[k]); /* the keys */
  free(sas);
  free(ids);
  nicsec_hal_close(dev);
  return rc;
}

/* `nicsim --shm NAME --no-net` as a child process; its BAR is attached (NULL on failure). */
static struct nicsim *start_nicsim(const char *bin, const char *name, pid_t *pid) {
  char *const argv[] = {(char *)bin, "--shm", (char *)name, "--no-net", NULL};
  posix_spawn_file_actions_t quiet; /* nicsim's exit report would clutter the figures */
  posix_spawn_file_actions_init(&quiet);
  posix_spawn_file_actions_addopen(&quiet, 2, "/dev/null", O_WRONLY, 0);
  int err = posix_spawn(pid, bin, &quiet, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&quiet);
  if (err)
    return NULL;
  const struct timespec nap = {0, 10 * 1000 * 1000};
  for (int waited = 0; waited < NICSIM_START_MS; waited += 10) {
    struct nicsim *bar = nicsim_attach(name);
    if (bar)
      return bar;
    if (waitpid(*pid, NULL, WNOHANG) == *pid)
      return NULL; /* it exited */
    nanosleep(&nap, NULL);
  }
  kill(*pid, SIGTERM);
  waitpid(*pid, NULL, 0);
  return NULL;
}

static void stop_nicsim(struct nicsim *bar, pid_t pid) {
  nicsim_destroy(bar);
  kill(pid, SIGTERM);
  waitpid(pid, NULL, 0);
}

/* The headline install figure: the HAL attached to a separate nicsim process. */
static int attached_installs(const char *nicsim_bin, struct hal_install_cost *cost) {
  char name[32], args[48];
  snprintf(name, sizeof name, "bench_hw_%d", (int)getpid());
  snprintf(args, sizeof args, "attach=%s", name);
  pid_t pid;
  struct nicsim *bar = start_nicsim(nicsim_bin, name, &pid);
  if (!bar)
    return -1;
  int rc = hal_installs(args, bar, INSTALLS, cost);
  stop_nicsim(bar, pid);
  return rc;
}

/* ../sim/nicsim next to this program (the build tree's layout). */
static void default_nicsim(char *out, size_t cap) {
  char self[PATH_MAX];
  ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  self[len > 0 ? len : 0] = '\0';
  snprintf(out, cap, "%s/../sim/nicsim", dirname(self));
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

/* Install figures: attached (headline, *att; -1 fields when nicsim could not be run),
 * in process, and the CSR mailbox's clocks. */
static void report_installs(const char *nicsim_bin, const struct install_cost *reg,
                            struct hal_install_cost *att) {
  printf("SA install, CSR mailbox (register-level driver, in process): %.0f per wall second, "
         "%.0f cycles each\n", reg->per_s, reg->cycles);
  struct hal_install_cost in = {-1, -1, -1};
  if (hal_installs("", NULL, INSTALLS, &in) == 0)
    printf("SA install, HAL batched over the descriptor ring, in process (the caller also runs "
           "the model): %.0f per CPU-second, %.0f per wall second\n", in.host_per_s,
           in.wall_per_s);
  *att = (struct hal_install_cost){-1, -1, -1};
  if (attached_installs(nicsim_bin, att)) {
    fprintf(stderr, "bench_hw: no attached install figure (cannot run %s --no-net)\n",
            nicsim_bin);
    return;
  }
  printf("SA install, HAL batched over the descriptor ring, nicsim attached: %.0f per CPU-second "
         "of the calling thread, %.0f per wall second; %.1f simulated cycles each (%.0f per "
         "second at 250 MHz)\n", att->host_per_s, att->wall_per_s, att->cycles,
         CLOCK_HZ / att->cycles);
}

int main(int argc, char **argv) {
  size_t n = argc > 1 ? (size_t)strtoul(argv[1], NULL, 0) : 400;
  if (n < 8 || n > 100000) {
    fprintf(stderr, "usage: bench_hw [packets per size 8..100000] [nicsim program]\n");
    return 2;
  }
  char nicsim_bin[PATH_MAX];
  if (argc > 2)
    snprintf(nicsim_bin, sizeof nicsim_bin, "%s", argv[2]);
  else
    default_nicsim(nicsim_bin, sizeof nicsim_bin);
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
  struct hal_install_cost att;
  report_installs(nicsim_bin, &reg, &att);

  double limit = (double)(LANE_OCTETS * (lanes ? lanes : 1));
  printf("hw: egress_bpc_64=%.2f egress_bpc_512=%.2f egress_bpc_1500=%.2f egress_bpc_9000=%.2f "
         "pkt_per_cycle_64=%.4f spread_ratio_4096=%.3f hal_installs_per_s_host=%.0f "
         "hal_installs_per_s_wall=%.0f cycles_per_install=%.1f installs_per_s_250mhz=%.0f "
         "csr_cycles_per_install=%.0f cycles_per_s=%.0f anchor=%.0f ratio=%.3f\n",
         tx[0].octets_per_cycle, tx[1].octets_per_cycle, tx[2].octets_per_cycle,
         tx[3].octets_per_cycle, tx[0].packets_per_cycle,
         spread.octets_per_cycle / tx[2].octets_per_cycle, att.host_per_s, att.wall_per_s,
         att.cycles, att.cycles > 0 ? CLOCK_HZ / att.cycles : -1, reg.cycles, idle, limit,
         tx[2].octets_per_cycle / limit);
  free(esp);
  free(esp_len);
  return 0;
}
