/* nicsim: a NIC you can ping through, at layer 2. The Verilated ESP engine sits between a TAP
 * device (the host side: the host gives it its address, as it would a NIC's netdev) and an
 * existing interface used as the wire (a veth end without an address, opened with AF_PACKET in
 * promiscuous mode), so any Ethernet peer — another nicsim, or strongSwan in a namespace — is on
 * the other end. Plaintext the engine's TX steering table covers is encrypted; inbound ESP
 * and ESP-in-UDP go through the engine; everything else (ARP, IKE, other IP, ESP for SAs the
 * engine does not hold) passes unchanged. Its BAR is a POSIX shared-memory object a driver maps
 * (nicsim_attach; the "sim" HAL backend's attach=<name>); the wire can be recorded to a pcap
 * file (Ethernet link type).
 *
 *   nicsim --shm NAME --tap IFNAME --wire-dev IFNAME [--pcap FILE] [--mac xx:xx:xx:xx:xx:xx]
 *   nicsim --shm NAME --no-net
 *
 * --no-net runs the engine behind its BAR only (MMIO and the SA descriptor ring; no packets):
 * for drivers' control-path tests and benchmarks without TAP or veth.
 * --mac sets the TAP interface's address. The clock runs only while the engine has work (an
 * MMIO request or packets in flight), so the cycle counter measures work, not wall time.
 * Counters of every verdict are printed on exit (SIGINT/SIGTERM). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nicsim.h"
#include "nicsim_datapath.h"
#include "nicsim_shm.h"

struct nicsim_opts {
  const char *shm, *tap, *wire, *pcap;
  bool has_mac, no_net;
  uint8_t mac[NICSIM_MAC_LEN];
};

static volatile sig_atomic_t stop_requested;
static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

/* ---- setup -------------------------------------------------------------------------------- */

static int parse_mac(const char *text, uint8_t mac[NICSIM_MAC_LEN]) {
  unsigned v[NICSIM_MAC_LEN];
  char tail;
  if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) !=
      NICSIM_MAC_LEN)
    return -1;
  for (int i = 0; i < NICSIM_MAC_LEN; i++)
    mac[i] = (uint8_t)v[i];
  /* A station address: unicast. */
  return mac[0] & 1 ? -1 : 0;
}

static bool ifname_ok(const char *name) { return name && name[0] && strlen(name) < IFNAMSIZ; }

static int parse_opts(int argc, char **argv, struct nicsim_opts *o) {
  static const struct option longopts[] = {
      {"shm", required_argument, NULL, 's'},      {"tap", required_argument, NULL, 't'},
      {"wire-dev", required_argument, NULL, 'd'}, {"pcap", required_argument, NULL, 'w'},
      {"mac", required_argument, NULL, 'm'},      {"no-net", no_argument, NULL, 'n'},
      {NULL, 0, NULL, 0}};
  int c;
  memset(o, 0, sizeof *o);
  while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
    switch (c) {
    case 's':
      o->shm = optarg;
      break;
    case 't':
      o->tap = optarg;
      break;
    case 'd':
      o->wire = optarg;
      break;
    case 'w':
      o->pcap = optarg;
      break;
    case 'n':
      o->no_net = true;
      break;
    case 'm':
      if (parse_mac(optarg, o->mac))
        return -1;
      o->has_mac = true;
      break;
    default:
      return -1;
    }
  }
  bool shm_ok = o->shm && o->shm[0] && strlen(o->shm) <= 64 && !strchr(o->shm, '/');
  bool net_ok = o->no_net ? !o->tap && !o->wire && !o->pcap
                          : ifname_ok(o->tap) && ifname_ok(o->wire);
  return optind == argc && shm_ok && net_ok ? 0 : -1;
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

/* Opens every part; on failure says which one and why. */
static bool setup(struct nicsim_dp *dp, const struct nicsim_opts *o, char *shm_path, size_t cap) {
  const char *failed = NULL;
  dp->wire.fd = -1;
  dp->tap_fd = -1; /* --no-net: no TAP, no wire; the loop's reads and poll skip fd -1 */
  if (!o->no_net && (dp->tap_fd = nicsim_tap_open(o->tap, o->has_mac ? o->mac : NULL)) < 0)
    failed = "TAP device";
  else if (!o->no_net && nicsim_wire_open(o->wire, &dp->wire))
    failed = "wire interface (AF_PACKET)";
  else if (!(dp->sim = nicsim_create()))
    failed = "engine";
  else if (o->pcap && !(dp->pcap = nicsim_pcap_open(o->pcap)))
    failed = "pcap file";
  else if (!(dp->bar = create_bar(o->shm, shm_path, cap)))
    failed = "shared-memory BAR";
  else
    nicsim_desc_bind(dp->sim, &dp->bar->desc); /* drivers post SA descriptors into the BAR */
  if (failed)
    fprintf(stderr, "nicsim: cannot open the %s: %s\n", failed, strerror(errno));
  else if (!o->no_net && nicsim_wire_isolate(o->wire))
    fprintf(stderr,
            "nicsim: warning: could not keep the host's stack off %s (arp_ignore, "
            "disable_ipv6): %s\n",
            o->wire, strerror(errno));
  return !failed;
}

static void teardown(struct nicsim_dp *dp, const char *shm_path) {
  if (dp->bar)
    shm_unlink(shm_path);
  nicsim_pcap_close(dp->pcap);
  nicsim_destroy(dp->sim);
  nicsim_wire_close(&dp->wire);
  if (dp->tap_fd >= 0)
    close(dp->tap_fd);
  nicsim_dp_release(dp);
}

int main(int argc, char **argv) {
  struct nicsim_opts o;
  if (parse_opts(argc, argv, &o)) {
    fprintf(stderr, "usage: nicsim --shm NAME --tap IFNAME --wire-dev IFNAME [--pcap FILE] "
                    "[--mac xx:xx:xx:xx:xx:xx]\n"
                    "       nicsim --shm NAME --no-net\n");
    return 2;
  }
  static struct nicsim_dp dp; /* large (frame batches): not on the stack */
  char shm_path[80];
  if (!setup(&dp, &o, shm_path, sizeof shm_path)) {
    teardown(&dp, shm_path);
    return 1;
  }
  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  nicsim_dp_run(&dp, &stop_requested);
  nicsim_dp_report(&dp, o.shm, stderr);
  teardown(&dp, shm_path);
  return 0;
}
