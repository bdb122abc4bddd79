/* The single-threaded event loop: UDP 500 and 4500 (IPv4 and IPv6), the control socket,
 * signals and the HAL device's datapath descriptors (TUN, raw ESP sockets) on one epoll set;
 * engine timers as the epoll timeout. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "nicsec/hal.h"

enum { TAG_IKE = 1, TAG_CONTROL = 2, TAG_CLIENT = 3, TAG_SIGNAL = 4, TAG_DATAPATH = 5 };
enum { BATCH = 16, MAX_DATAGRAM = 65535, NON_ESP_MARKER = 4, SOCKET_BUFFER = 4 << 20 };
/* recvmmsg batches taken per readiness event: enough to empty a burst in one wake-up, bounded
 * so timers and the control socket still get their turn under a flood. */
enum { BATCHES_PER_EVENT = 8 };

static uint64_t tag(uint32_t type, uint32_t index) {
  return (uint64_t)type << 32 | index;
}

uint64_t nd_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int watch(struct nd_daemon *d, int fd, uint64_t data) {
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = data};
  return epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
}

/* ---- UDP sockets ---------------------------------------------------------------------------- */

static int open_udp(int family, uint16_t port) {
  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  int one = 1, size = SOCKET_BUFFER;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  /* Bursts of handshakes must not be lost in our own socket buffer. Plain SO_RCVBUF is capped
   * at net.core.rmem_max (often 208 KiB, a few hundred requests); as root the FORCE variants
   * get the size we ask for. */
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0)
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  struct sockaddr_storage ss = {0};
  socklen_t len;
  if (family == AF_INET) {
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    len = sizeof *sin;
    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
  } else {
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
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

/* ---- host datapath (HAL devices with datapath I/O) ------------------------------------------ */

/* Lends the device our NAT-T sockets (ESP-in-UDP shares the port with IKE) and watches its
 * descriptors. A device without datapath I/O answers NOT_SUPPORTED: IKE only, as before. */
static int open_datapath(struct nd_daemon *d) {
  int fds[NICSEC_HAL_DP_MAX_FDS];
  size_t n = 0;
  enum nicsec_hal_err rc = d->hal ? nicsec_hal_dp_fds(d->hal, fds, NICSEC_HAL_DP_MAX_FDS, &n)
                                  : NICSEC_HAL_E_NOT_SUPPORTED;
  if (rc == NICSEC_HAL_E_NOT_SUPPORTED)
    return 0;
  if (rc != NICSEC_HAL_OK) {
    ND_ERROR("HAL datapath descriptors: %s", nicsec_hal_strerror(rc));
    return -1;
  }
  for (int i = 0; i < d->n_ike_fds; i++) {
    if (d->ike_ports[i] != d->natt_port)
      continue;
    rc = nicsec_hal_dp_attach_udp(d->hal, d->ike_fds[i]);
    if (rc != NICSEC_HAL_OK) {
      ND_ERROR("HAL datapath: cannot attach the NAT-T socket: %s", nicsec_hal_strerror(rc));
      return -1;
    }
  }
  for (size_t i = 0; i < n; i++)
    if (watch(d, fds[i], tag(TAG_DATAPATH, (uint32_t)fds[i])) != 0)
      return -1;
  ND_INFO("HAL datapath: %zu descriptors in the event loop, ESP-in-UDP on port %u", n,
          d->natt_port);
  return 0;
}

static void on_datapath(struct nd_daemon *d, int fd) {
  enum nicsec_hal_err rc = nicsec_hal_dp_poll_in(d->hal, fd, 0, NULL);
  if (rc != NICSEC_HAL_OK) {
    /* Level-triggered: a descriptor that keeps failing would spin the loop. */
    ND_ERROR("HAL datapath descriptor %d failed (%s): no longer watched", fd,
             nicsec_hal_strerror(rc));
    epoll_ctl(d->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
  }
}

static void to_endpoint(const struct nd_addr *a, struct nicsec_hal_endpoint *out) {
  memset(out, 0, sizeof *out);
  out->addr.family = a->family == AF_INET6 ? NICSEC_HAL_AF_INET6 : NICSEC_HAL_AF_INET;
  memcpy(out->addr.bytes, a->ip, a->family == AF_INET6 ? 16 : 4);
  out->port = a->port;
}

/* True when the device took the datagram as ESP (decapsulated or dropped and counted); false
 * when it is not ESP or the device has no datapath I/O: then it is ours. */
static bool datapath_took(struct nd_daemon *d, const struct nd_addr *local,
                          const struct nd_addr *remote, const uint8_t *data, size_t len) {
  if (!d->hal)
    return false;
  struct nicsec_hal_endpoint from, to;
  to_endpoint(remote, &from);
  to_endpoint(local, &to);
  enum nicsec_hal_err rc = nicsec_hal_dp_deliver_udp(d->hal, data, len, &from, &to);
  return rc != NICSEC_HAL_E_PKT_NOT_ESP && rc != NICSEC_HAL_E_NOT_SUPPORTED;
}

int nd_daemon_open_sockets(struct nd_daemon *d, uint16_t ike_port, uint16_t natt_port) {
  const int families[2] = {AF_INET, AF_INET6};
  const uint16_t ports[2] = {ike_port, natt_port};
  d->natt_port = natt_port;
  for (int f = 0; f < 2; f++)
    for (int p = 0; p < 2; p++) {
      int fd = open_udp(families[f], ports[p]);
      if (fd < 0) {
        if (families[f] == AF_INET6 && errno == EAFNOSUPPORT)
          continue; /* no IPv6 in this namespace: IPv4 still works */
        ND_ERROR("cannot bind UDP %s port %u: %s", families[f] == AF_INET ? "IPv4" : "IPv6",
                 ports[p], strerror(errno));
        return -1;
      }
      d->ike_ports[d->n_ike_fds] = ports[p];
      d->ike_families[d->n_ike_fds] = families[f];
      d->ike_fds[d->n_ike_fds] = fd;
      if (watch(d, fd, tag(TAG_IKE, (uint32_t)d->n_ike_fds)) != 0)
        return -1;
      d->n_ike_fds++;
    }
  return open_datapath(d);
}

static int ike_send(void *ctx, const struct nd_addr *local, const struct nd_addr *remote,
                    const uint8_t *msg, size_t len) {
  struct nd_daemon *d = ctx;
  int fd = -1;
  for (int i = 0; i < d->n_ike_fds && fd < 0; i++)
    if (d->ike_ports[i] == local->port && d->ike_families[i] == local->family)
      fd = d->ike_fds[i];
  if (fd < 0)
    return -1;
  static const uint8_t marker[NON_ESP_MARKER] = {0};
  struct iovec iov[2] = {{(void *)marker, NON_ESP_MARKER}, {(void *)msg, len}};
  bool natt = local->port == d->natt_port;
  struct sockaddr_storage to = {0};
  union {
    char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof control);
  struct msghdr mh = {.msg_name = &to, .msg_iov = natt ? iov : iov + 1, .msg_iovlen = natt ? 2 : 1,
                      .msg_control = control.buf};
  struct cmsghdr *cm = (struct cmsghdr *)control.buf;
  if (remote->family == AF_INET) {
    struct sockaddr_in *sin = (struct sockaddr_in *)&to;
    sin->sin_family = AF_INET;
    sin->sin_port = htons(remote->port);
    memcpy(&sin->sin_addr, remote->ip, 4);
    mh.msg_namelen = sizeof *sin;
    /* Send from the address the SA uses, whatever the routing table would pick. */
    struct in_pktinfo pi = {0};
    memcpy(&pi.ipi_spec_dst, local->ip, 4);
    *cm = (struct cmsghdr){.cmsg_len = CMSG_LEN(sizeof pi), .cmsg_level = IPPROTO_IP,
                           .cmsg_type = IP_PKTINFO};
    memcpy(CMSG_DATA(cm), &pi, sizeof pi);
    mh.msg_controllen = CMSG_SPACE(sizeof pi);
  } else {
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&to;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(remote->port);
    memcpy(&sin6->sin6_addr, remote->ip, 16);
    mh.msg_namelen = sizeof *sin6;
    struct in6_pktinfo pi = {0};
    memcpy(&pi.ipi6_addr, local->ip, 16);
    *cm = (struct cmsghdr){.cmsg_len = CMSG_LEN(sizeof pi), .cmsg_level = IPPROTO_IPV6,
                           .cmsg_type = IPV6_PKTINFO};
    memcpy(CMSG_DATA(cm), &pi, sizeof pi);
    mh.msg_controllen = CMSG_SPACE(sizeof pi);
  }
  return sendmsg(fd, &mh, 0) < 0 ? -1 : 0;
}

static void sockaddr_to_addr(const struct sockaddr_storage *ss, struct nd_addr *out) {
  memset(out, 0, sizeof *out);
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
    out->family = AF_INET;
    memcpy(out->ip, &sin->sin_addr, 4);
    out->port = ntohs(sin->sin_port);
  } else if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
    out->family = AF_INET6;
    memcpy(out->ip, &sin6->sin6_addr, 16);
    out->port = ntohs(sin6->sin6_port);
  }
}

/* The local address a datagram was sent to, from IP_PKTINFO / IPV6_PKTINFO. */
static void local_address(struct msghdr *mh, int family, uint16_t port, struct nd_addr *out) {
  memset(out, 0, sizeof *out);
  out->family = family;
  out->port = port;
  for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
    if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
      struct in_pktinfo pi;
      memcpy(&pi, CMSG_DATA(cm), sizeof pi);
      memcpy(out->ip, &pi.ipi_addr, 4);
    } else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
      struct in6_pktinfo pi;
      memcpy(&pi, CMSG_DATA(cm), sizeof pi);
      memcpy(out->ip, &pi.ipi6_addr, 16);
    }
  }
}

/* RFC 3948: on the NAT-T port IKE carries a zero marker, a lone 0xff is a keepalive, and
 * anything else is ESP: the HAL device's datapath sees every datagram first, and ESP it has no
 * datapath for is counted and dropped here. */
static void deliver(struct nd_daemon *d, uint16_t port, const struct nd_addr *local,
                    const struct nd_addr *remote, const uint8_t *data, size_t len) {
  if (port == d->natt_port) {
    if (datapath_took(d, local, remote, data, len))
      return;
    if (len == 1 && data[0] == 0xff) {
      d->natt_keepalives++;
      return;
    }
    if (len < NON_ESP_MARKER || memcmp(data, "\0\0\0\0", NON_ESP_MARKER) != 0) {
      d->esp_unhandled++;
      return;
    }
    data += NON_ESP_MARKER;
    len -= NON_ESP_MARKER;
  }
  nd_engine_receive(d->engine, nd_now_ms(), local, remote, data, len);
}

/* A new IKE_SA_INIT request by its header (RFC 7296 3.1: Exchange Type at octet 18, Flags at
 * 19); the engine parses it properly later. */
static bool is_new_init_request(const uint8_t *data, size_t len) {
  enum { EXCHANGE_OFFSET = 18, FLAGS_OFFSET = 19 };
  return len >= IKE_HEADER_LEN && data[EXCHANGE_OFFSET] == IKE_EXCH_IKE_SA_INIT &&
         !(data[FLAGS_OFFSET] & IKE_FLAG_RESPONSE);
}

/* One recvmmsg batch from the socket; returns the number of datagrams received. On the IKE
 * port the batch's IKE_AUTH and other exchanges of admitted SAs go before its new IKE_SA_INIT
 * requests: a handshake under way finishes before new ones add to the queue (each new one costs
 * two X25519 operations). On the NAT-T port ESP shares the socket: its order is kept. */
static int receive_batch(struct nd_daemon *d, int index) {
  static uint8_t bufs[BATCH][MAX_DATAGRAM];
  static struct sockaddr_storage from[BATCH];
  static union {
    char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + 64];
    struct cmsghdr align;
  } controls[BATCH];
  struct mmsghdr msgs[BATCH];
  struct iovec iovs[BATCH];
  int fd = d->ike_fds[index], family = d->ike_families[index];
  uint16_t port = d->ike_ports[index];
  for (int i = 0; i < BATCH; i++) {
    iovs[i] = (struct iovec){bufs[i], MAX_DATAGRAM};
    msgs[i].msg_hdr = (struct msghdr){.msg_name = &from[i], .msg_namelen = sizeof from[i],
                                      .msg_iov = &iovs[i], .msg_iovlen = 1,
                                      .msg_control = controls[i].buf,
                                      .msg_controllen = sizeof controls[i].buf};
  }
  int n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
  bool reorder = port != d->natt_port;
  for (int pass = 0; pass < (reorder ? 2 : 1); pass++)
    for (int i = 0; i < n; i++) {
      if (reorder && is_new_init_request(bufs[i], msgs[i].msg_len) != (pass == 1))
        continue;
      struct nd_addr local, remote;
      sockaddr_to_addr(&from[i], &remote);
      local_address(&msgs[i].msg_hdr, family, port, &local);
      deliver(d, port, &local, &remote, bufs[i], msgs[i].msg_len);
    }
  return n;
}

/* The IKE sockets epoll reported ready, served in rounds of one batch each, NAT-T sockets first
 * (IKE_AUTH and established SAs of peers behind a NAT), for at most BATCHES_PER_EVENT rounds:
 * a flood of IKE_SA_INIT on one socket delays the others by one batch, not by the flood. */
static void serve_ike(struct nd_daemon *d, int *ready, int n_ready) {
  for (int round = 0; round < BATCHES_PER_EVENT && n_ready > 0; round++) {
    int still_full = 0;
    for (int i = 0; i < n_ready; i++)
      if (receive_batch(d, ready[i]) == BATCH)
        ready[still_full++] = ready[i];
    n_ready = still_full;
  }
}

/* ---- control socket ------------------------------------------------------------------------- */

int nd_daemon_open_control(struct nd_daemon *d) {
  struct sockaddr_un sun = {.sun_family = AF_UNIX};
  if (strlen(d->control_path) >= sizeof sun.sun_path) {
    ND_ERROR("control socket path too long: %s", d->control_path);
    return -1;
  }
  memcpy(sun.sun_path, d->control_path, strlen(d->control_path) + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  unlink(d->control_path);
  mode_t old = umask(0177); /* the socket is born 0600: no window where others may connect */
  int rc = bind(fd, (struct sockaddr *)&sun, sizeof sun);
  umask(old);
  if (rc != 0 || chmod(d->control_path, 0600) != 0 || listen(fd, 8) != 0) {
    ND_ERROR("control socket %s: %s", d->control_path, strerror(errno));
    close(fd);
    return -1;
  }
  d->control_fd = fd;
  return watch(d, fd, tag(TAG_CONTROL, 0));
}

static void close_client(struct nd_daemon *d, int i) {
  epoll_ctl(d->epoll_fd, EPOLL_CTL_DEL, d->clients[i].fd, NULL);
  close(d->clients[i].fd);
  d->clients[i].fd = -1;
  nd_ctl_stream_free(d->clients[i].out);
  d->clients[i].out = NULL;
}

/* Only root (or the user nicsecd runs as) may use the control socket. */
static bool peer_allowed(int fd) {
  struct ucred cred;
  socklen_t len = sizeof cred;
  return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
         (cred.uid == 0 || cred.uid == geteuid());
}

enum { CONTROL_SNDBUF = 4 << 20 };

static void on_control(struct nd_daemon *d) {
  int fd = accept4(d->control_fd, NULL, NULL, SOCK_CLOEXEC);
  if (fd < 0)
    return;
  int slot = -1;
  for (int i = 0; i < ND_MAX_CLIENTS && slot < 0; i++)
    if (d->clients[i].fd < 0)
      slot = i;
  if (slot < 0 || !peer_allowed(fd)) {
    close(fd);
    return;
  }
  /* A listing leaves in big steps: each time the buffer fills, nicsecctl must run before
   * nicsecd can go on, and on a busy machine every such hand-off waits for the scheduler. */
  int size = CONTROL_SNDBUF;
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0)
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  d->clients[slot].fd = fd;
  d->clients[slot].len = 0;
  watch(d, fd, tag(TAG_CLIENT, (uint32_t)slot));
}

/* A client is either sending requests (EPOLLIN) or receiving an answer (EPOLLOUT), never both:
 * the next request waits until the answer is out, so answers stay in order. */
static void want(struct nd_daemon *d, int i, uint32_t events) {
  struct epoll_event ev = {.events = events, .data.u64 = tag(TAG_CLIENT, (uint32_t)i)};
  epoll_ctl(d->epoll_fd, EPOLL_CTL_MOD, d->clients[i].fd, &ev);
}

/* Moves the answer on; false when the client is gone. */
static bool pump_answer(struct nd_daemon *d, int i) {
  struct nd_client *c = &d->clients[i];
  switch (nd_ctl_stream_pump(c->out, c->fd)) {
  case ND_CTL_SENT:
    nd_ctl_stream_free(c->out);
    c->out = NULL;
    want(d, i, EPOLLIN);
    return true;
  case ND_CTL_MORE:
    c->out_progress_ms = nd_now_ms();
    want(d, i, EPOLLOUT);
    return true;
  case ND_CTL_BROKEN:
    break;
  }
  return false;
}

/* Answers the complete request lines in the buffer, one at a time: after a line whose answer
 * could not leave at once, the rest wait for it. */
static void answer_lines(struct nd_daemon *d, int i) {
  struct nd_client *c = &d->clients[i];
  char *nl;
  while (c->fd >= 0 && !c->out && (nl = strchr(c->buf, '\n'))) {
    *nl = '\0';
    c->out = nd_control_start(d, c->fd, c->buf);
    size_t used = (size_t)(nl + 1 - c->buf);
    memmove(c->buf, nl + 1, c->len - used + 1);
    c->len -= used;
    if (!c->out || !pump_answer(d, i))
      close_client(d, i);
  }
}

static void on_client(struct nd_daemon *d, int i) {
  struct nd_client *c = &d->clients[i];
  if (c->out) { /* writable (or hung up) while an answer is on its way */
    if (!pump_answer(d, i))
      close_client(d, i);
    else if (!c->out)
      answer_lines(d, i); /* requests that arrived meanwhile */
    return;
  }
  ssize_t n = read(c->fd, c->buf + c->len, sizeof c->buf - 1 - c->len);
  if (n <= 0) {
    close_client(d, i);
    return;
  }
  c->len += (size_t)n;
  c->buf[c->len] = '\0';
  answer_lines(d, i);
  if (c->fd >= 0 && !c->out && c->len == sizeof c->buf - 1)
    close_client(d, i); /* a request longer than the buffer: not ours to guess */
}

/* A client that has not taken any of its answer for this long is dropped with it. */
enum { CLIENT_STALL_MS = 30000 };

static void drop_stalled_clients(struct nd_daemon *d) {
  uint64_t now = nd_now_ms();
  for (int i = 0; i < ND_MAX_CLIENTS; i++)
    if (d->clients[i].fd >= 0 && d->clients[i].out &&
        now - d->clients[i].out_progress_ms > CLIENT_STALL_MS) {
      ND_WARN("control client stopped reading its answer for %d s: dropped",
              CLIENT_STALL_MS / 1000);
      close_client(d, i);
    }
}

/* ---- signals and the loop ------------------------------------------------------------------- */

static int open_signals(struct nd_daemon *d) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  sigprocmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  d->signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  return d->signal_fd < 0 ? -1 : watch(d, d->signal_fd, tag(TAG_SIGNAL, 0));
}

static void on_signal(struct nd_daemon *d) {
  struct signalfd_siginfo si;
  while (read(d->signal_fd, &si, sizeof si) == sizeof si) {
    if (si.ssi_signo == SIGHUP) {
      char err[600];
      if (nd_daemon_reload(d, d->config_path, err, sizeof err) != 0)
        ND_ERROR("reload failed: %s", err);
      else
        ND_INFO("configuration reloaded from %s", d->config_path);
    } else {
      ND_INFO("signal %u: stopping", si.ssi_signo);
      d->stop = true;
    }
  }
}

/* Milliseconds until the engine's next timer (a heap read), -1 for none. */
static int timeout_ms(const struct nd_daemon *d) {
  uint64_t now = nd_now_ms(), next = nd_engine_next_timer(d->engine);
  if (next == UINT64_MAX)
    return -1;
  return next <= now ? 0 : next - now > INT_MAX ? INT_MAX : (int)(next - now);
}

/* The engine's next timer, but at most a second while answers are on their way, so stalled
 * readers are noticed. */
static int wait_ms(const struct nd_daemon *d) {
  int ms = timeout_ms(d);
  for (int i = 0; i < ND_MAX_CLIENTS; i++)
    if (d->clients[i].fd >= 0 && d->clients[i].out && (ms < 0 || ms > 1000))
      ms = 1000;
  return ms;
}

static void dispatch(struct nd_daemon *d, uint64_t data) {
  uint32_t type = (uint32_t)(data >> 32), index = (uint32_t)data;
  switch (type) {
  case TAG_CONTROL:
    on_control(d);
    break;
  case TAG_CLIENT:
    on_client(d, (int)index);
    break;
  case TAG_SIGNAL:
    on_signal(d);
    break;
  case TAG_DATAPATH:
    on_datapath(d, (int)index);
    break;
  default:
    break;
  }
}

/* Handles one epoll_wait's events, the IKE sockets last and together (serve_ike). */
static void dispatch_all(struct nd_daemon *d, const struct epoll_event *evs, int n) {
  int ready[ND_MAX_SOCKETS], n_ready = 0;
  for (int i = 0; i < n; i++) {
    uint64_t data = evs[i].data.u64;
    int index = (int)(uint32_t)data;
    uint32_t type = (uint32_t)(data >> 32);
    if (type != TAG_IKE) {
      dispatch(d, data);
    } else if (n_ready < ND_MAX_SOCKETS && d->ike_ports[index] == d->natt_port) {
      memmove(ready + 1, ready, (size_t)n_ready * sizeof *ready);
      ready[0] = index;
      n_ready++;
    } else if (n_ready < ND_MAX_SOCKETS) {
      ready[n_ready++] = index;
    }
  }
  serve_ike(d, ready, n_ready);
}

int nd_daemon_run(struct nd_daemon *d) {
  if (open_signals(d) != 0)
    return -1;
  while (!d->stop) {
    struct epoll_event evs[32];
    int n = epoll_wait(d->epoll_fd, evs, 32, wait_ms(d));
    if (n < 0 && errno != EINTR) {
      ND_ERROR("epoll_wait: %s", strerror(errno));
      return -1;
    }
    dispatch_all(d, evs, n);
    drop_stalled_clients(d);
    uint64_t now = nd_now_ms();
    if (nd_engine_next_timer(d->engine) <= now)
      nd_engine_tick(d->engine, now);
  }
  return 0;
}

void nd_daemon_close(struct nd_daemon *d) {
  for (int i = 0; i < ND_MAX_CLIENTS; i++)
    if (d->clients[i].fd >= 0)
      close_client(d, i);
  for (int i = 0; i < d->n_ike_fds; i++)
    close(d->ike_fds[i]);
  if (d->control_fd >= 0) {
    close(d->control_fd);
    unlink(d->control_path);
  }
  if (d->signal_fd >= 0)
    close(d->signal_fd);
  if (d->epoll_fd >= 0)
    close(d->epoll_fd);
}

int nd_daemon_send(void *ctx, const struct nd_addr *local, const struct nd_addr *remote,
                   const uint8_t *msg, size_t len) {
  return ike_send(ctx, local, remote, msg, len);
}
