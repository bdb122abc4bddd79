/* The soft datapath I/O (nicsec_hal_dp_*) without root: each device's "TUN device" is one end
 * of a datagram socketpair (device argument tun_fd=, raw_esp=0) whose other end the test reads
 * and writes like the kernel would, and ESP-in-UDP runs over loopback UDP sockets the test
 * owns, as nicsecd owns its NAT-T socket. The raw-socket path needs root: tests/e2e covers it.
 * Checked here: a plaintext packet crosses from one device to its peer byte for byte; the
 * outbound SA choice (policy specificity, priority, DISCARD, SA-selector fallback, newest SA of
 * a reqid, stopped SAs); IKE and keepalives are left to the caller; forged ESP never reaches
 * the TUN side; argument and descriptor errors. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "nicsec/hal.h"
#include "test_util.h"

enum { BUF = 2048, SPI_AB = 0x1001, SPI_BA = 0x2002 };

/* One host: a soft device, the kernel's end of its TUN stand-in, its NAT-T socket. */
struct host {
  struct nicsec_hal_dev *dev;
  int tun_peer; /* the test's end of the socketpair */
  int tun_dev;  /* the device's end (owned by the device once opened) */
  int udp;
  uint16_t port;
  nicsec_hal_sa_id out, in;
};

static int udp_socket(uint16_t *port) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  assert_true(fd >= 0);
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
  socklen_t len = sizeof sin;
  assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
  *port = ntohs(sin.sin_port);
  return fd;
}

static void open_host(struct host *h) {
  int pair[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, pair), 0);
  h->tun_dev = pair[0];
  h->tun_peer = pair[1];
  char args[64];
  snprintf(args, sizeof args, "tun_fd=%d,raw_esp=0", h->tun_dev);
  assert_int_equal(nicsec_hal_open("soft", args, &h->dev), NICSEC_HAL_OK);
  h->udp = udp_socket(&h->port);
  assert_int_equal(nicsec_hal_dp_attach_udp(h->dev, h->udp), NICSEC_HAL_OK);
}

static void close_host(struct host *h) {
  nicsec_hal_close(h->dev); /* closes tun_dev */
  close(h->tun_peer);
  close(h->udp);
}

/* An ESP-in-UDP SA over loopback between two hosts' NAT-T ports. */
static struct nicsec_hal_sa udp_sa(const struct host *h, enum nicsec_hal_dir dir, uint32_t spi,
                                   uint16_t sport, uint16_t dport) {
  struct nicsec_hal_sa sa = tu_sa_for(nicsec_hal_caps(h->dev), dir, spi);
  sa.src = tu_addr("127.0.0.1");
  sa.dst = tu_addr("127.0.0.1");
  sa.encap.enabled = true;
  sa.encap.sport = sport;
  sa.encap.dport = dport;
  return sa;
}

static struct nicsec_hal_selector sel(const char *src, uint8_t src_bits, const char *dst,
                                      uint8_t dst_bits) {
  return (struct nicsec_hal_selector){.src = tu_addr(src), .dst = tu_addr(dst),
                                      .src_prefix = src_bits, .dst_prefix = dst_bits};
}

static nicsec_hal_sa_id add_sa(struct host *h, const struct nicsec_hal_sa *sa) {
  nicsec_hal_sa_id id = 0;
  assert_int_equal(nicsec_hal_sa_add(h->dev, sa, 1, &id, NULL), NICSEC_HAL_OK);
  return id;
}

static void add_policy(struct host *h, struct nicsec_hal_selector s,
                       enum nicsec_hal_policy_action action, uint32_t reqid, uint32_t priority) {
  struct nicsec_hal_policy pol = {.dir = NICSEC_HAL_DIR_OUT, .sel = s, .action = action,
                                  .reqid = reqid, .priority = priority};
  nicsec_hal_policy_id id;
  assert_int_equal(nicsec_hal_policy_add(h->dev, &pol, &id), NICSEC_HAL_OK);
}

/* A <-> B: 10.1.0.0/16 behind A, 10.2.0.0/16 behind B, ESP-in-UDP over loopback. */
static void open_pair(struct host *a, struct host *b) {
  open_host(a);
  open_host(b);
  struct nicsec_hal_sa sa = udp_sa(a, NICSEC_HAL_DIR_OUT, SPI_AB, a->port, b->port);
  sa.reqid = 1;
  sa.sel = sel("10.1.0.0", 16, "10.2.0.0", 16);
  sa.has_sel = true;
  a->out = add_sa(a, &sa);
  sa.dir = NICSEC_HAL_DIR_IN;
  sa.sel = sel("10.1.0.0", 16, "10.2.0.0", 16);
  b->in = add_sa(b, &sa);
  add_policy(a, sel("10.1.0.0", 16, "10.2.0.0", 16), NICSEC_HAL_POLICY_PROTECT, 1, 100);
}

static void tun_inject(struct host *h, const uint8_t *pkt, size_t len) {
  assert_int_equal(write(h->tun_peer, pkt, len), (ssize_t)len);
  size_t done = 0;
  assert_int_equal(nicsec_hal_dp_poll_in(h->dev, h->tun_dev, 0, &done), NICSEC_HAL_OK);
  assert_int_equal(done, 1);
}

/* Next datagram on fd within a second; 0 when none came. */
static size_t recv_within(int fd, uint8_t *buf, size_t cap, struct sockaddr_in *from) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  if (poll(&p, 1, 1000) != 1)
    return 0;
  socklen_t len = sizeof *from;
  ssize_t n = recvfrom(fd, buf, cap, 0, (struct sockaddr *)from, &len);
  assert_true(n > 0);
  return (size_t)n;
}

static bool nothing_waiting(int fd) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  return poll(&p, 1, 50) == 0;
}

static struct nicsec_hal_endpoint loopback(uint16_t port) {
  return (struct nicsec_hal_endpoint){.addr = tu_addr("127.0.0.1"), .port = port};
}

static uint64_t esp_sent(struct host *h) {
  struct nicsec_hal_dp_stats st;
  assert_int_equal(nicsec_hal_dp_stats(h->dev, &st), NICSEC_HAL_OK);
  return st.esp_out;
}

/* Sends a plaintext packet into `h` and returns the SPI of the ESP datagram it sent to `to`;
 * 0 when it sent nothing (its counters say so at once: sending is synchronous). */
static uint32_t spi_used(struct host *h, int to_fd, const char *dst) {
  uint8_t pkt[BUF], esp[BUF];
  size_t len = tu_udp4_packet(pkt, "10.1.0.1", dst, 1000, 2000, 64, 0);
  uint64_t sent_before = esp_sent(h);
  tun_inject(h, pkt, len);
  if (esp_sent(h) == sent_before) {
    assert_true(nothing_waiting(to_fd));
    return 0;
  }
  struct sockaddr_in from;
  size_t n = recv_within(to_fd, esp, sizeof esp, &from);
  if (n == 0)
    return 0;
  assert_true(n >= 8);
  return (uint32_t)esp[0] << 24 | (uint32_t)esp[1] << 16 | (uint32_t)esp[2] << 8 | esp[3];
}

/* ---- tests ---------------------------------------------------------------------------------- */

static void test_udp_round_trip(void **state) {
  (void)state;
  struct host a, b;
  open_pair(&a, &b);
  uint8_t pkt[BUF], esp[BUF], back[BUF];
  size_t len = tu_udp4_packet(pkt, "10.1.0.1", "10.2.0.1", 1000, 2000, 300, 0xb8);
  tun_inject(&a, pkt, len);
  struct sockaddr_in from;
  size_t n = recv_within(b.udp, esp, sizeof esp, &from);
  assert_true(n > len); /* SPI | SN | IV | ciphertext | ICV, not the plaintext */
  assert_int_equal(ntohs(from.sin_port), a.port);
  uint8_t spi_be[4] = {0, 0, SPI_AB >> 8, SPI_AB & 0xff};
  assert_memory_equal(esp, spi_be, 4);
  assert_null(memmem(esp, n, pkt + 28, 300)); /* the payload is not in the clear */

  struct nicsec_hal_endpoint src = loopback(a.port), dst = loopback(b.port);
  assert_int_equal(nicsec_hal_dp_deliver_udp(b.dev, esp, n, &src, &dst), NICSEC_HAL_OK);
  assert_int_equal(read(b.tun_peer, back, sizeof back), (ssize_t)len);
  assert_memory_equal(back, pkt, len);
  /* The same datagram again is a replay: dropped, nothing written. */
  assert_int_equal(nicsec_hal_dp_deliver_udp(b.dev, esp, n, &src, &dst), NICSEC_HAL_E_PKT_REPLAY);
  assert_true(nothing_waiting(b.tun_peer));

  struct nicsec_hal_dp_stats sa_st, sb_st;
  assert_int_equal(nicsec_hal_dp_stats(a.dev, &sa_st), NICSEC_HAL_OK);
  assert_int_equal(nicsec_hal_dp_stats(b.dev, &sb_st), NICSEC_HAL_OK);
  assert_int_equal(sa_st.plain_in, 1);
  assert_int_equal(sa_st.esp_out, 1);
  assert_int_equal(sa_st.udp_out, 1);
  assert_int_equal(sb_st.esp_in, 2);
  assert_int_equal(sb_st.udp_in, 2);
  assert_int_equal(sb_st.plain_out, 1);
  assert_int_equal(sb_st.decap_errors, 1);
  struct nicsec_hal_sa_stats in;
  assert_int_equal(nicsec_hal_sa_stats(b.dev, b.in, &in), NICSEC_HAL_OK);
  assert_int_equal(in.packets, 1);
  assert_int_equal(in.replay_drops, 1);
  close_host(&a);
  close_host(&b);
}

static void test_not_esp_is_the_callers(void **state) {
  (void)state;
  struct host a, b;
  open_pair(&a, &b);
  struct nicsec_hal_endpoint src = loopback(a.port), dst = loopback(b.port);
  const uint8_t ike[] = {0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
  const uint8_t keepalive[] = {0xff};
  assert_int_equal(nicsec_hal_dp_deliver_udp(b.dev, ike, sizeof ike, &src, &dst),
                   NICSEC_HAL_E_PKT_NOT_ESP);
  assert_int_equal(nicsec_hal_dp_deliver_udp(b.dev, keepalive, 1, &src, &dst),
                   NICSEC_HAL_E_PKT_NOT_ESP);
  struct nicsec_hal_dp_stats st;
  assert_int_equal(nicsec_hal_dp_stats(b.dev, &st), NICSEC_HAL_OK);
  assert_int_equal(st.esp_in, 0);
  assert_int_equal(st.decap_errors, 0);
  assert_true(nothing_waiting(b.tun_peer));
  close_host(&a);
  close_host(&b);
}

static void test_forged_esp_never_reaches_tun(void **state) {
  (void)state;
  struct host a, b;
  open_pair(&a, &b);
  uint8_t pkt[BUF], esp[BUF];
  size_t len = tu_udp4_packet(pkt, "10.1.0.1", "10.2.0.1", 1000, 2000, 100, 0);
  tun_inject(&a, pkt, len);
  struct sockaddr_in from;
  size_t n = recv_within(b.udp, esp, sizeof esp, &from);
  assert_true(n > 0);
  esp[n / 2] ^= 0x01; /* one ciphertext bit */
  struct nicsec_hal_endpoint src = loopback(a.port), dst = loopback(b.port);
  assert_int_equal(nicsec_hal_dp_deliver_udp(b.dev, esp, n, &src, &dst), NICSEC_HAL_E_PKT_AUTH);
  const uint8_t short_esp[] = {0, 0, 0x10, 0x01, 0, 0};
  assert_int_equal(nicsec_hal_dp_deliver_udp(b.dev, short_esp, sizeof short_esp, &src, &dst),
                   NICSEC_HAL_E_PKT_MALFORMED);
  assert_true(nothing_waiting(b.tun_peer));
  struct nicsec_hal_sa_stats in;
  assert_int_equal(nicsec_hal_sa_stats(b.dev, b.in, &in), NICSEC_HAL_OK);
  assert_int_equal(in.auth_failures, 1);
  assert_int_equal(in.packets, 0);
  close_host(&a);
  close_host(&b);
}

/* Outbound SAs 0x3001.. on host a, all towards b's NAT-T port, with reqid = spi & 0xff. */
static nicsec_hal_sa_id add_out(struct host *a, const struct host *b, uint32_t spi) {
  struct nicsec_hal_sa sa = udp_sa(a, NICSEC_HAL_DIR_OUT, spi, a->port, b->port);
  sa.reqid = spi & 0xff;
  return add_sa(a, &sa);
}

static void test_policy_choice(void **state) {
  (void)state;
  struct host a, b;
  open_host(&a);
  open_host(&b);
  add_out(&a, &b, 0x3001);
  add_out(&a, &b, 0x3002);
  add_out(&a, &b, 0x3003);
  add_policy(&a, sel("10.1.0.0", 16, "10.2.0.0", 16), NICSEC_HAL_POLICY_PROTECT, 1, 100);
  add_policy(&a, sel("10.1.0.0", 16, "10.2.3.0", 24), NICSEC_HAL_POLICY_PROTECT, 2, 200);
  add_policy(&a, sel("10.1.0.0", 16, "10.2.4.0", 24), NICSEC_HAL_POLICY_DISCARD, 0, 100);
  add_policy(&a, sel("10.1.0.0", 16, "10.2.5.0", 24), NICSEC_HAL_POLICY_PROTECT, 0x44, 100);
  /* The longer destination prefix wins despite its worse priority. */
  assert_int_equal(spi_used(&a, b.udp, "10.2.3.4"), 0x3002);
  assert_int_equal(spi_used(&a, b.udp, "10.2.9.9"), 0x3001);
  /* Equally specific: the lower priority value wins. */
  add_policy(&a, sel("10.1.0.0", 16, "10.2.0.0", 16), NICSEC_HAL_POLICY_PROTECT, 3, 50);
  assert_int_equal(spi_used(&a, b.udp, "10.2.9.9"), 0x3003);
  /* DISCARD, PROTECT without an SA, and no policy at all: nothing leaves. */
  assert_int_equal(spi_used(&a, b.udp, "10.2.4.1"), 0);
  assert_int_equal(spi_used(&a, b.udp, "10.2.5.1"), 0);
  assert_int_equal(spi_used(&a, b.udp, "10.8.0.1"), 0);
  struct nicsec_hal_dp_stats st;
  assert_int_equal(nicsec_hal_dp_stats(a.dev, &st), NICSEC_HAL_OK);
  assert_int_equal(st.policy_drops, 1);
  assert_int_equal(st.no_sa, 1);
  assert_int_equal(st.no_policy, 1);
  assert_int_equal(st.esp_out, 3);
  uint64_t drops[NICSEC_HAL_DROP__COUNT];
  assert_int_equal(nicsec_hal_dev_drops(a.dev, drops), NICSEC_HAL_OK);
  assert_int_equal(drops[NICSEC_HAL_DROP_POLICY], 1);
  assert_int_equal(drops[NICSEC_HAL_DROP_NO_SA], 2);
  close_host(&a);
  close_host(&b);
}

static void test_newest_sa_of_reqid(void **state) {
  (void)state;
  struct host a, b;
  open_host(&a);
  open_host(&b);
  add_out(&a, &b, 0x4001);
  add_policy(&a, sel("10.1.0.0", 16, "10.2.0.0", 16), NICSEC_HAL_POLICY_PROTECT, 1, 100);
  assert_int_equal(spi_used(&a, b.udp, "10.2.0.1"), 0x4001);
  /* A rekey installs a new SA with the same reqid: it takes over at once. */
  nicsec_hal_sa_id rekeyed = add_out(&a, &b, 0x5001);
  assert_int_equal(spi_used(&a, b.udp, "10.2.0.1"), 0x5001);
  /* Stopped (first delete phase): no longer used; the older SA carries the traffic again. */
  assert_int_equal(nicsec_hal_sa_stop(a.dev, rekeyed), NICSEC_HAL_OK);
  assert_int_equal(spi_used(&a, b.udp, "10.2.0.1"), 0x4001);
  assert_int_equal(nicsec_hal_sa_drain(a.dev, rekeyed), NICSEC_HAL_OK);
  assert_int_equal(nicsec_hal_sa_free(a.dev, rekeyed), NICSEC_HAL_OK);
  assert_int_equal(spi_used(&a, b.udp, "10.2.0.1"), 0x4001);
  close_host(&a);
  close_host(&b);
}

static void test_sa_selector_fallback(void **state) {
  (void)state;
  struct host a, b;
  open_host(&a);
  open_host(&b);
  struct nicsec_hal_sa wide = udp_sa(&a, NICSEC_HAL_DIR_OUT, 0x6001, a.port, b.port);
  wide.sel = sel("10.1.0.0", 16, "10.0.0.0", 8);
  wide.has_sel = true;
  struct nicsec_hal_sa narrow = wide;
  narrow.spi = 0x6002;
  narrow.sel = sel("10.1.0.0", 16, "10.9.0.0", 16);
  add_sa(&a, &narrow);
  add_sa(&a, &wide); /* newer, but less specific */
  assert_int_equal(spi_used(&a, b.udp, "10.9.1.1"), 0x6002);
  assert_int_equal(spi_used(&a, b.udp, "10.7.1.1"), 0x6001);
  assert_int_equal(spi_used(&a, b.udp, "192.168.0.1"), 0);
  /* A matching policy overrides the selectors. */
  add_out(&a, &b, 0x6003);
  add_policy(&a, sel("10.1.0.0", 16, "10.9.0.0", 16), NICSEC_HAL_POLICY_PROTECT, 3, 100);
  assert_int_equal(spi_used(&a, b.udp, "10.9.1.1"), 0x6003);
  close_host(&a);
  close_host(&b);
}

static void test_descriptors_and_errors(void **state) {
  (void)state;
  struct host a;
  open_host(&a);
  int fds[NICSEC_HAL_DP_MAX_FDS];
  size_t n = 0;
  assert_int_equal(nicsec_hal_dp_fds(a.dev, fds, NICSEC_HAL_DP_MAX_FDS, &n), NICSEC_HAL_OK);
  assert_int_equal(n, 1); /* raw_esp=0: the TUN side only; the UDP socket is the caller's */
  assert_int_equal(fds[0], a.tun_dev);
  assert_int_equal(nicsec_hal_dp_fds(a.dev, fds, 0, &n), NICSEC_HAL_E_INVAL);
  assert_int_equal(nicsec_hal_dp_poll_in(a.dev, a.udp, 0, NULL), NICSEC_HAL_E_INVAL);
  size_t done = 7;
  assert_int_equal(nicsec_hal_dp_poll_in(a.dev, a.tun_dev, 0, &done), NICSEC_HAL_OK);
  assert_int_equal(done, 0); /* nothing waiting */
  assert_int_equal(nicsec_hal_dp_attach_udp(a.dev, a.tun_peer), NICSEC_HAL_E_INVAL);
  struct nicsec_hal_endpoint v4 = loopback(1), v6 = {.addr = tu_addr("::1"), .port = 1};
  const uint8_t esp[20] = {0, 0, 0x10, 0x01};
  assert_int_equal(nicsec_hal_dp_deliver_udp(a.dev, esp, sizeof esp, &v4, &v6),
                   NICSEC_HAL_E_INVAL);
  close_host(&a);

  /* Without a TUN device the soft device has no I/O. */
  struct nicsec_hal_dev *dev;
  assert_int_equal(nicsec_hal_open("soft", NULL, &dev), NICSEC_HAL_OK);
  assert_int_equal(nicsec_hal_dp_fds(dev, fds, NICSEC_HAL_DP_MAX_FDS, &n),
                   NICSEC_HAL_E_NOT_SUPPORTED);
  assert_int_equal(nicsec_hal_dp_poll_in(dev, 0, 0, NULL), NICSEC_HAL_E_NOT_SUPPORTED);
  assert_int_equal(nicsec_hal_dp_deliver_udp(dev, esp, sizeof esp, &v4, &v4),
                   NICSEC_HAL_E_NOT_SUPPORTED);
  struct nicsec_hal_dp_stats st;
  assert_int_equal(nicsec_hal_dp_stats(dev, &st), NICSEC_HAL_E_NOT_SUPPORTED);
  nicsec_hal_close(dev);
  const char *bad[] = {"tun=a,tun_fd=3", "raw_esp=2", "tun=", "tun=abcdefghijklmnopq",
                       "tun_fd=-1", "tun=a/b"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_int_equal(nicsec_hal_open("soft", bad[i], &dev), NICSEC_HAL_E_INVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_udp_round_trip),
      cmocka_unit_test(test_not_esp_is_the_callers),
      cmocka_unit_test(test_forged_esp_never_reaches_tun),
      cmocka_unit_test(test_policy_choice),
      cmocka_unit_test(test_newest_sa_of_reqid),
      cmocka_unit_test(test_sa_selector_fallback),
      cmocka_unit_test(test_descriptors_and_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
