/* Fuzzer for the soft datapath I/O: hostile plaintext from the TUN side (IP parsing, policy and
 * SA-selector matching incl. ports, encap, send) and hostile datagrams from the NAT-T socket
 * (marker checks, the rebuilt outer header, decap, TUN write). The device runs as in the unit
 * test: a socketpair stands in for the TUN device, ESP-in-UDP goes over loopback.
 * Input: first octet bit 0 picks the path (0 = TUN, 1 = UDP), the rest is the packet. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nicsec/hal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { SPI_OUT = 0x1001, SPI_IN = 0x2002, DRAIN = 65536 };

static struct {
  struct nicsec_hal_dev *dev;
  int tun_dev, tun_peer, udp, udp_peer;
  uint16_t port, peer_port;
} g;

static struct nicsec_hal_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return (struct nicsec_hal_addr){.family = NICSEC_HAL_AF_INET, .bytes = {a, b, c, d}};
}

static int loopback_udp(uint16_t *port) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof sin;
  if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0 ||
      getsockname(fd, (struct sockaddr *)&sin, &len) != 0)
    abort();
  *port = ntohs(sin.sin_port);
  return fd;
}

static struct nicsec_hal_sa base_sa(enum nicsec_hal_dir dir, uint32_t spi) {
  struct nicsec_hal_sa sa = {
      .dir = dir, .offload = NICSEC_HAL_OFFLOAD_PACKET, .mode = NICSEC_HAL_MODE_TUNNEL,
      .spi = spi, .reqid = 1, .src = v4(127, 0, 0, 1), .dst = v4(127, 0, 0, 1),
      .encap = {true, g.port, g.peer_port}, .alg = NICSEC_HAL_ALG_AES_GCM_128, .key_len = 16,
      .icv_len = 16, .replay_window = 64, .has_sel = true,
      .sel = {.src = v4(10, 1, 0, 0), .dst = v4(10, 2, 0, 0), .src_prefix = 16, .dst_prefix = 16}};
  memset(sa.key, 0x5a, 16);
  return sa;
}

static void install(void) {
  struct nicsec_hal_sa sas[3] = {base_sa(NICSEC_HAL_DIR_OUT, SPI_OUT),
                                 base_sa(NICSEC_HAL_DIR_IN, SPI_IN),
                                 base_sa(NICSEC_HAL_DIR_OUT, SPI_OUT + 1)};
  /* A second outbound SA found by its selector alone, with ports (no policy covers it). */
  sas[2].reqid = 2;
  sas[2].sel = (struct nicsec_hal_selector){.src = v4(10, 1, 0, 0), .dst = v4(10, 3, 0, 0),
                                            .src_prefix = 16, .dst_prefix = 16, .proto = 17,
                                            .dport = 53};
  nicsec_hal_sa_id ids[3];
  if (nicsec_hal_sa_add(g.dev, sas, 3, ids, NULL) != NICSEC_HAL_OK)
    abort();
  const struct nicsec_hal_policy pols[] = {
      {.dir = NICSEC_HAL_DIR_OUT, .sel = sas[0].sel, .action = NICSEC_HAL_POLICY_PROTECT,
       .reqid = 1, .priority = 10},
      {.dir = NICSEC_HAL_DIR_OUT,
       .sel = {.src = v4(10, 1, 0, 0), .dst = v4(10, 2, 9, 0), .src_prefix = 16,
               .dst_prefix = 24},
       .action = NICSEC_HAL_POLICY_DISCARD, .priority = 10},
  };
  for (size_t i = 0; i < sizeof pols / sizeof pols[0]; i++) {
    nicsec_hal_policy_id id;
    if (nicsec_hal_policy_add(g.dev, &pols[i], &id) != NICSEC_HAL_OK)
      abort();
  }
}

static void setup(void) {
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_DGRAM, 0, pair) != 0)
    abort();
  g.tun_dev = pair[0];
  g.tun_peer = pair[1];
  g.udp = loopback_udp(&g.port);
  g.udp_peer = loopback_udp(&g.peer_port);
  char args[64];
  snprintf(args, sizeof args, "tun_fd=%d,raw_esp=0", g.tun_dev);
  if (nicsec_hal_open("soft", args, &g.dev) != NICSEC_HAL_OK ||
      nicsec_hal_dp_attach_udp(g.dev, g.udp) != NICSEC_HAL_OK)
    abort();
  install();
}

/* Empties a non-blocking descriptor so queues never fill across inputs. */
static void drain(int fd) {
  static uint8_t sink[DRAIN];
  while (recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0)
    ;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!g.dev)
    setup();
  if (size < 1)
    return 0;
  const uint8_t *pkt = data + 1;
  size_t len = size - 1;
  if (data[0] & 1) {
    struct nicsec_hal_endpoint from = {.addr = v4(127, 0, 0, 1), .port = g.peer_port};
    struct nicsec_hal_endpoint to = {.addr = v4(127, 0, 0, 1), .port = g.port};
    (void)nicsec_hal_dp_deliver_udp(g.dev, pkt, len, &from, &to);
  } else if (len > 0 && send(g.tun_peer, pkt, len, MSG_DONTWAIT) == (ssize_t)len) {
    size_t done;
    if (nicsec_hal_dp_poll_in(g.dev, g.tun_dev, 1, &done) != NICSEC_HAL_OK || done != 1)
      abort();
  }
  drain(g.udp_peer);
  drain(g.tun_peer);
  return 0;
}
