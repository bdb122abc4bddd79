/* nicsim: a NIC you can ping through. The Verilated ESP engine sits between a TUN device (the
 * host side: plaintext IP packets) and a UDP socket (the wire: one outer IP packet per
 * datagram, so two nicsims on a veth pair or in two namespaces form a link). Its BAR is a POSIX
 * shared-memory object a driver maps (nicsim_attach; the "sim" HAL backend's attach=<name>);
 * the wire can be recorded to a pcap file.
 *
 *   nicsim --shm NAME --tun IFNAME --wire-bind ADDR:PORT --wire-peer ADDR:PORT [--pcap FILE]
 *
 * The clock runs only while the engine has work (an MMIO request or packets in flight), so the
 * cycle counter measures work, not wall time. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "nicsim.h"
#include "nicsim_pcap.h"
#include "nicsim_shm.h"
#include "nicsec_regs.h"

enum {
  BATCH = 32,
  STEP_CYCLES = 32,
  BUSY_SPIN_MS = 20, /* after an MMIO request, poll without sleeping for this long */
  PKT_MAX = NICSIM_MAX_PKT,
};

struct nicsim_opts {
  const char *shm, *tun, *pcap;
  struct sockaddr_in bind_addr, peer_addr;
};

struct counters {
  uint64_t tun_in, tun_out, wire_in, wire_out, unsteered, tx_refused, rx_refused;
};

static volatile sig_atomic_t stop_requested;
static void on_signal(int sig) { (void)sig; stop_requested = 1; }

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- setup -------------------------------------------------------------------------------- */

static int parse_endpoint(const char *text, struct sockaddr_in *sa) {
  char host[64];
  const char *colon = strrchr(text, ':');
  if (!colon || (size_t)(colon - text) >= sizeof host)
    return -1;
  memcpy(host, text, (size_t)(colon - text));
  host[colon - text] = '\0';
  char *end = NULL;
  long port = strtol(colon + 1, &end, 10);
  memset(sa, 0, sizeof *sa);
  sa->sin_family = AF_INET;
  sa->sin_port = htons((uint16_t)port);
  return (*end || port <= 0 || port > 65535 || inet_pton(AF_INET, host, &sa->sin_addr) != 1)
             ? -1
             : 0;
}

static int parse_opts(int argc, char **argv, struct nicsim_opts *o) {
  static const struct option longopts[] = {
      {"shm", required_argument, NULL, 's'},       {"tun", required_argument, NULL, 't'},
      {"wire-bind", required_argument, NULL, 'b'}, {"wire-peer", required_argument, NULL, 'p'},
      {"pcap", required_argument, NULL, 'w'},      {NULL, 0, NULL, 0}};
  int have_bind = 0, have_peer = 0, c;
  memset(o, 0, sizeof *o);
  while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
    switch (c) {
    case 's': o->shm = optarg; break;
    case 't': o->tun = optarg; break;
    case 'w': o->pcap = optarg; break;
    case 'b': have_bind = parse_endpoint(optarg, &o->bind_addr) == 0; break;
    case 'p': have_peer = parse_endpoint(optarg, &o->peer_addr) == 0; break;
    default: return -1;
    }
  }
  bool shm_ok = o->shm && o->shm[0] && strlen(o->shm) <= 64 && !strchr(o->shm, '/');
  return shm_ok && o->tun && strlen(o->tun) < IFNAMSIZ && have_bind && have_peer ? 0 : -1;
}

static int open_tun(const char *name) {
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return -1;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  memcpy(ifr.ifr_name, name, strlen(name));
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static int open_wire(const struct sockaddr_in *bind_addr) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  if (bind(fd, (const struct sockaddr *)bind_addr, sizeof *bind_addr) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static struct nicsim_shm *create_bar(const char *name, char *path, size_t cap) {
  snprintf(path, cap, "/%s", name);
  int fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
  if (fd < 0)
    return NULL;
  struct nicsim_shm *bar = NULL;
  if (ftruncate(fd, sizeof *bar) == 0) {
    void *map = mmap(NULL, sizeof *bar, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    bar = map == MAP_FAILED ? NULL : map;
  }
  close(fd);
  if (!bar) {
    shm_unlink(path);
    return NULL;
  }
  memset(bar, 0, sizeof *bar);
  bar->version = NICSIM_SHM_VERSION;
  bar->pid = (uint32_t)getpid();
  __atomic_store_n(&bar->magic, NICSIM_SHM_MAGIC, __ATOMIC_RELEASE);
  return bar;
}

/* ---- the loop ----------------------------------------------------------------------------- */

struct nicsim_run {
  struct nicsim *sim;
  struct nicsim_shm *bar;
  int tun_fd, wire_fd;
  struct sockaddr_in peer;
  struct nicsim_pcap *pcap;
  struct counters n;
  uint8_t buf[PKT_MAX];
};

static bool serve_mmio(struct nicsim_run *r) {
  struct nicsim_shm *bar = r->bar;
  uint32_t req = __atomic_load_n(&bar->req, __ATOMIC_ACQUIRE);
  if (req == bar->done)
    return false;
  uint32_t value = bar->value;
  enum nicsim_status st = bar->op == NICSIM_SHM_OP_WRITE
                              ? nicsim_mmio_write32(r->sim, bar->addr, value)
                              : bar->op == NICSIM_SHM_OP_READ
                                    ? nicsim_mmio_read32(r->sim, bar->addr, &value)
                                    : NICSIM_DECERR;
  bar->value = value;
  bar->status = (uint32_t)st;
  __atomic_store_n(&bar->done, req, __ATOMIC_RELEASE);
  return true;
}

/* The outbound slot for a plaintext packet: longest matching destination prefix. */
static int steer(const struct nicsim_shm *bar, const uint8_t *pkt, size_t len) {
  if (len < 20 || pkt[0] >> 4 != 4)
    return -1;
  uint32_t dst = (uint32_t)pkt[16] << 24 | (uint32_t)pkt[17] << 16 | (uint32_t)pkt[18] << 8 | pkt[19];
  int best = -1, best_len = -1;
  for (int i = 0; i < NICSIM_STEER_ENTRIES; i++) {
    const struct nicsim_steer_entry *e = &bar->steer[i];
    if (!__atomic_load_n(&e->valid, __ATOMIC_ACQUIRE))
      continue;
    uint32_t net = (uint32_t)e->dst[0] << 24 | (uint32_t)e->dst[1] << 16 |
                   (uint32_t)e->dst[2] << 8 | e->dst[3];
    uint32_t mask = e->prefix_len ? ~0u << (32 - e->prefix_len) : 0;
    if ((dst & mask) == (net & mask) && (int)e->prefix_len > best_len) {
      best = (int)e->sa;
      best_len = (int)e->prefix_len;
    }
  }
  return best;
}

static bool take_inputs(struct nicsim_run *r) {
  bool any = false;
  for (int i = 0; i < BATCH; i++) {
    ssize_t got = read(r->tun_fd, r->buf, sizeof r->buf);
    if (got <= 0)
      break;
    any = true;
    r->n.tun_in++;
    int slot = steer(r->bar, r->buf, (size_t)got);
    if (slot < 0 || nicsim_tx_push(r->sim, (uint16_t)slot, r->buf, (size_t)got) != NICSIM_OK)
      r->n.unsteered++;
  }
  for (int i = 0; i < BATCH; i++) {
    ssize_t got = recv(r->wire_fd, r->buf, sizeof r->buf, 0);
    if (got <= 0)
      break;
    any = true;
    r->n.wire_in++;
    nicsim_pcap_write(r->pcap, r->buf, (size_t)got);
    (void)nicsim_wire_rx_push(r->sim, r->buf, (size_t)got);
  }
  return any;
}

static void move_outputs(struct nicsim_run *r) {
  size_t len = 0;
  while (nicsim_wire_tx_pull(r->sim, r->buf, sizeof r->buf, &len)) {
    nicsim_pcap_write(r->pcap, r->buf, len);
    if (sendto(r->wire_fd, r->buf, len, 0, (const struct sockaddr *)&r->peer, sizeof r->peer) > 0)
      r->n.wire_out++;
  }
  uint8_t code = 0;
  uint16_t sa = 0;
  while (nicsim_rx_pull(r->sim, r->buf, sizeof r->buf, &len, &code, &sa)) {
    if (code == NICSEC_PKT_STATUS_OK && write(r->tun_fd, r->buf, len) > 0)
      r->n.tun_out++;
    else if (code != NICSEC_PKT_STATUS_OK)
      r->n.rx_refused++;
  }
  while (nicsim_txc_pull(r->sim, &sa, &code))
    if (code != NICSEC_PKT_STATUS_OK)
      r->n.tx_refused++;
}

static void run(struct nicsim_run *r) {
  struct pollfd fds[2] = {{.fd = r->tun_fd, .events = POLLIN}, {.fd = r->wire_fd, .events = POLLIN}};
  uint64_t last_mmio = 0;
  while (!stop_requested) {
    bool worked = false;
    while (serve_mmio(r)) {
      worked = true;
      last_mmio = now_ms();
    }
    worked |= take_inputs(r);
    if (nicsim_in_flight(r->sim) > 0) {
      nicsim_step(r->sim, STEP_CYCLES);
      worked = true;
    }
    move_outputs(r);
    __atomic_store_n(&r->bar->cycles, nicsim_cycles(r->sim), __ATOMIC_RELEASE);
    __atomic_store_n(&r->bar->in_flight, (uint64_t)nicsim_in_flight(r->sim), __ATOMIC_RELEASE);
    if (!worked)
      (void)poll(fds, 2, now_ms() - last_mmio < BUSY_SPIN_MS ? 0 : 1);
  }
}

int main(int argc, char **argv) {
  struct nicsim_opts o;
  if (parse_opts(argc, argv, &o)) {
    fprintf(stderr, "usage: nicsim --shm NAME --tun IFNAME --wire-bind ADDR:PORT "
                    "--wire-peer ADDR:PORT [--pcap FILE]\n");
    return 2;
  }
  static struct nicsim_run r;
  char shm_path[80];
  r.peer = o.peer_addr;
  r.tun_fd = open_tun(o.tun);
  r.wire_fd = open_wire(&o.bind_addr);
  r.sim = nicsim_create();
  r.bar = create_bar(o.shm, shm_path, sizeof shm_path);
  r.pcap = o.pcap ? nicsim_pcap_open(o.pcap) : NULL;
  if (r.tun_fd < 0 || r.wire_fd < 0 || !r.sim || !r.bar || (o.pcap && !r.pcap)) {
    fprintf(stderr, "nicsim: setup failed (tun %d, wire %d, engine %s, bar %s, pcap %s): %s\n",
            r.tun_fd, r.wire_fd, r.sim ? "ok" : "no", r.bar ? "ok" : "no",
            !o.pcap || r.pcap ? "ok" : "no", strerror(errno));
    if (r.bar)
      shm_unlink(shm_path);
    return 1;
  }
  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  run(&r);
  fprintf(stderr,
          "nicsim %s: cycles=%llu tun_in=%llu tun_out=%llu wire_in=%llu wire_out=%llu "
          "unsteered=%llu tx_refused=%llu rx_refused=%llu\n",
          o.shm, (unsigned long long)nicsim_cycles(r.sim), (unsigned long long)r.n.tun_in,
          (unsigned long long)r.n.tun_out, (unsigned long long)r.n.wire_in,
          (unsigned long long)r.n.wire_out, (unsigned long long)r.n.unsteered,
          (unsigned long long)r.n.tx_refused, (unsigned long long)r.n.rx_refused);
  shm_unlink(shm_path);
  nicsim_pcap_close(r.pcap);
  nicsim_destroy(r.sim);
  return 0;
}
