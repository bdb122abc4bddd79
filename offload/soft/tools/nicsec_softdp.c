/* nicsec-softdp: the soft datapath with one manually keyed SA pair, for tests and the demo until
 * nicsecd drives the same HAL calls with IKEv2-negotiated SAs. It plays the daemon's part of
 * the contract in hal.h ("datapath I/O"): one epoll loop over the device's descriptors, its own
 * NAT-T socket whose datagrams go to nicsec_hal_dp_deliver_udp first, and signals.
 *   nicsec-softdp --tun nsec0 --local 192.0.2.1 --remote 192.0.2.2 --local-net 10.1.0.0/16
 *                 --remote-net 10.2.0.0/16 --keys keyfile [--encap udp]
 * Prints "nicsec-softdp: ready" once traffic can flow, and a stats line when SIGINT/SIGTERM
 * stops it. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "nicsec/hal.h"
#include "softdp_config.h"

enum { BUDGET = 64, MAX_EVENTS = 16, MAX_DATAGRAM = 65535, SOCKET_BUFFER = 4 << 20 };

struct softdp {
  struct nicsec_hal_dev *dev;
  int epoll_fd, signal_fd, udp_fd;
  uint16_t port;
  nicsec_hal_sa_id out_id, in_id;
  uint64_t not_esp; /* IKE / keepalives on the NAT-T port: a daemon's, ignored here */
};

static int watch(struct softdp *s, int fd) {
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
  return epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
}

/* ---- setup -------------------------------------------------------------------------------- */

static int open_udp(enum nicsec_hal_family family, uint16_t port) {
  int af = family == NICSEC_HAL_AF_INET ? AF_INET : AF_INET6;
  int fd = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  int one = 1, size = SOCKET_BUFFER;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  struct sockaddr_storage ss = {0};
  socklen_t len;
  if (af == AF_INET) {
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    *sin = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(port)};
    len = sizeof *sin;
    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
  } else {
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
    *sin6 = (struct sockaddr_in6){.sin6_family = AF_INET6, .sin6_port = htons(port)};
    len = sizeof *sin6;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one);
  }
  if (bind(fd, (struct sockaddr *)&ss, len) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static int fail(const char *what, enum nicsec_hal_err err) {
  fprintf(stderr, "nicsec-softdp: %s: %s\n", what, nicsec_hal_strerror(err));
  return -1;
}

static int install(struct softdp *s, const struct softdp_config *cfg) {
  struct nicsec_hal_sa sas[2];
  softdp_sas(cfg, &sas[0], &sas[1]);
  nicsec_hal_sa_id ids[2];
  enum nicsec_hal_err errs[2];
  enum nicsec_hal_err err = nicsec_hal_sa_add(s->dev, sas, 2, ids, errs);
  OPENSSL_cleanse(sas, sizeof sas);
  if (err != NICSEC_HAL_OK)
    return fail(errs[0] != NICSEC_HAL_E_ABORTED ? "outbound SA" : "inbound SA", err);
  s->out_id = ids[0];
  s->in_id = ids[1];
  struct nicsec_hal_policy pol = softdp_policy(cfg);
  nicsec_hal_policy_id pol_id;
  err = nicsec_hal_policy_add(s->dev, &pol, &pol_id);
  return err == NICSEC_HAL_OK ? 0 : fail("policy", err);
}

static int setup(struct softdp *s, const struct softdp_config *cfg) {
  char args[64];
  snprintf(args, sizeof args, "tun=%s%s", cfg->tun, cfg->raw_esp ? "" : ",raw_esp=0");
  enum nicsec_hal_err err = nicsec_hal_open("soft", args, &s->dev);
  if (err != NICSEC_HAL_OK)
    return fail(args, err);
  if (install(s, cfg) != 0)
    return -1;
  if (cfg->udp_encap) {
    s->port = cfg->port;
    s->udp_fd = open_udp(cfg->local.family, cfg->port);
    if (s->udp_fd < 0) {
      fprintf(stderr, "nicsec-softdp: UDP port %u: %s\n", cfg->port, strerror(errno));
      return -1;
    }
    if ((err = nicsec_hal_dp_attach_udp(s->dev, s->udp_fd)) != NICSEC_HAL_OK)
      return fail("attach UDP socket", err);
  }
  return 0;
}

static int setup_loop(struct softdp *s) {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  s->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC);
  s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (s->signal_fd < 0 || s->epoll_fd < 0 || watch(s, s->signal_fd) != 0 ||
      (s->udp_fd >= 0 && watch(s, s->udp_fd) != 0))
    return -1;
  int fds[NICSEC_HAL_DP_MAX_FDS];
  size_t n = 0;
  enum nicsec_hal_err err = nicsec_hal_dp_fds(s->dev, fds, NICSEC_HAL_DP_MAX_FDS, &n);
  if (err != NICSEC_HAL_OK)
    return fail("datapath descriptors", err);
  for (size_t i = 0; i < n; i++)
    if (watch(s, fds[i]) != 0)
      return -1;
  return 0;
}

/* ---- the NAT-T socket ----------------------------------------------------------------------- */

static void to_endpoint(const struct sockaddr_storage *ss, struct nicsec_hal_endpoint *e) {
  memset(e, 0, sizeof *e);
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
    e->addr.family = NICSEC_HAL_AF_INET;
    memcpy(e->addr.bytes, &sin->sin_addr, 4);
    e->port = ntohs(sin->sin_port);
  } else {
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
    e->addr.family = NICSEC_HAL_AF_INET6;
    memcpy(e->addr.bytes, &sin6->sin6_addr, 16);
    e->port = ntohs(sin6->sin6_port);
  }
}

/* The local address the datagram arrived on (IP_PKTINFO / IPV6_PKTINFO). */
static void local_endpoint(struct msghdr *mh, const struct softdp *s,
                           const struct nicsec_hal_endpoint *from,
                           struct nicsec_hal_endpoint *to) {
  memset(to, 0, sizeof *to);
  to->addr.family = from->addr.family;
  to->port = s->port;
  for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
    if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
      struct in_pktinfo pi;
      memcpy(&pi, CMSG_DATA(cm), sizeof pi);
      memcpy(to->addr.bytes, &pi.ipi_addr, 4);
    } else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
      struct in6_pktinfo pi;
      memcpy(&pi, CMSG_DATA(cm), sizeof pi);
      memcpy(to->addr.bytes, &pi.ipi6_addr, 16);
    }
  }
}

static void on_udp(struct softdp *s) {
  static uint8_t buf[MAX_DATAGRAM];
  for (int i = 0; i < BUDGET; i++) {
    struct sockaddr_storage from_ss;
    union {
      char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
      struct cmsghdr align;
    } control;
    struct iovec iov = {buf, sizeof buf};
    struct msghdr mh = {.msg_name = &from_ss, .msg_namelen = sizeof from_ss, .msg_iov = &iov,
                        .msg_iovlen = 1, .msg_control = control.buf,
                        .msg_controllen = sizeof control.buf};
    ssize_t n = recvmsg(s->udp_fd, &mh, 0);
    if (n < 0)
      return; /* EAGAIN: drained; other errors: the next readiness tries again */
    struct nicsec_hal_endpoint from, to;
    to_endpoint(&from_ss, &from);
    local_endpoint(&mh, s, &from, &to);
    if (nicsec_hal_dp_deliver_udp(s->dev, buf, (size_t)n, &from, &to) == NICSEC_HAL_E_PKT_NOT_ESP)
      s->not_esp++;
  }
}

/* ---- loop and report ------------------------------------------------------------------------ */

static int run(struct softdp *s) {
  struct epoll_event evs[MAX_EVENTS];
  for (;;) {
    int n = epoll_wait(s->epoll_fd, evs, MAX_EVENTS, -1);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -1;
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (fd == s->signal_fd)
        return 0;
      if (fd == s->udp_fd) {
        on_udp(s);
        continue;
      }
      enum nicsec_hal_err err = nicsec_hal_dp_poll_in(s->dev, fd, BUDGET, NULL);
      if (err != NICSEC_HAL_OK)
        return fail("datapath", err);
    }
  }
}

static void print_stats(const struct softdp *s) {
  struct nicsec_hal_dp_stats dp = {0};
  struct nicsec_hal_sa_stats out = {0}, in = {0};
  uint64_t drops[NICSEC_HAL_DROP__COUNT] = {0};
  nicsec_hal_dp_stats(s->dev, &dp);
  nicsec_hal_sa_stats(s->dev, s->out_id, &out);
  nicsec_hal_sa_stats(s->dev, s->in_id, &in);
  nicsec_hal_dev_drops(s->dev, drops);
  uint64_t dev_drops = 0;
  for (int i = 0; i < NICSEC_HAL_DROP__COUNT; i++)
    dev_drops += drops[i];
  printf("nicsec-softdp: stats plain_in=%llu plain_out=%llu esp_in=%llu esp_out=%llu "
         "udp_in=%llu udp_out=%llu no_policy=%llu no_sa=%llu encap_errors=%llu "
         "decap_errors=%llu io_errors=%llu sa_out_packets=%llu sa_in_packets=%llu "
         "sa_in_auth_failures=%llu sa_in_replay_drops=%llu dev_drops=%llu not_esp=%llu\n",
         (unsigned long long)dp.plain_in, (unsigned long long)dp.plain_out,
         (unsigned long long)dp.esp_in, (unsigned long long)dp.esp_out,
         (unsigned long long)dp.udp_in, (unsigned long long)dp.udp_out,
         (unsigned long long)dp.no_policy, (unsigned long long)dp.no_sa,
         (unsigned long long)dp.encap_errors, (unsigned long long)dp.decap_errors,
         (unsigned long long)dp.io_errors, (unsigned long long)out.packets,
         (unsigned long long)in.packets, (unsigned long long)in.auth_failures,
         (unsigned long long)in.replay_drops, (unsigned long long)dev_drops,
         (unsigned long long)s->not_esp);
}

int main(int argc, char **argv) {
  struct softdp_config cfg;
  if (argc < 2 || softdp_parse(argc, argv, &cfg) != 0) {
    softdp_usage(argv[0]);
    softdp_config_wipe(&cfg);
    return 2;
  }
  struct softdp s = {.epoll_fd = -1, .signal_fd = -1, .udp_fd = -1};
  int rc = setup(&s, &cfg);
  softdp_config_wipe(&cfg); /* the device holds the keys now */
  if (rc == 0)
    rc = setup_loop(&s);
  if (rc == 0) {
    printf("nicsec-softdp: ready\n");
    fflush(stdout);
    rc = run(&s);
    print_stats(&s);
  }
  nicsec_hal_close(s.dev); /* before the UDP socket it borrowed */
  const int fds[] = {s.udp_fd, s.epoll_fd, s.signal_fd};
  for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
    if (fds[i] >= 0)
      close(fds[i]);
  return rc == 0 ? 0 : 1;
}
