#include "soft_io.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "esp_ip.h"
#include "soft_dev.h"

enum {
  FAM_V4 = 0,
  FAM_V6 = 1,
  N_FAMILIES = 2,
  NON_ESP_MARKER_LEN = 4,
  NATT_KEEPALIVE = 0xff,
  /* Room for the largest IP packet plus a synthesized outer IPv6 + UDP header in front. */
  IN_BUF = IP_MAX_TOTAL + IPV6_HDR + UDP_HDR,
  OUT_BUF = IN_BUF + NICSEC_HAL_ENCAP_OVERHEAD,
  SOCKET_BUFFER = 4 << 20, /* bursts of a TCP flow must not overflow the raw socket */
};

struct soft_io {
  struct soft_dev *dev;
  int tun_fd;
  int esp_fd[N_FAMILIES]; /* raw protocol-50 sockets, owned; -1 = none */
  int udp_fd[N_FAMILIES]; /* the caller's NAT-T sockets, borrowed; -1 = none */
  uint8_t *in_buf, *out_buf;
  struct nicsec_hal_dp_stats stats;
};

static int family_index(enum nicsec_hal_family family) {
  return family == NICSEC_HAL_AF_INET ? FAM_V4 : FAM_V6;
}

/* ---- opening ------------------------------------------------------------------------------ */

/* Creates the TUN device, or attaches to it when it exists (`ip tuntap add` made it persistent
 * and the operator configured addresses and routes beforehand). */
static int open_tun(const char *name) {
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return -1;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI; /* bare IP packets, the family from the version nibble */
  memcpy(ifr.ifr_name, name, strnlen(name, IFNAMSIZ - 1));
  if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static void grow_buffers(int fd) {
  int size = SOCKET_BUFFER;
  /* The FORCE variants pass the sysctl caps (we hold CAP_NET_ADMIN for the TUN device anyway). */
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0)
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
}

/* A raw socket receiving every ESP packet for this host (the kernel has no ESP handler of its
 * own here) and sending packets whose outer header the engine wrote. */
static int open_raw_esp(int family) {
  int fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ESP);
  if (fd < 0)
    return -1;
  int one = 1;
  bool ok = family == AF_INET
                ? setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof one) == 0
                : setsockopt(fd, IPPROTO_IPV6, IPV6_HDRINCL, &one, sizeof one) == 0 &&
                      /* IPv6 raw sockets deliver no header: rebuild it from these */
                      setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one) == 0 &&
                      setsockopt(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, &one, sizeof one) == 0;
  if (!ok) {
    close(fd);
    return -1;
  }
  grow_buffers(fd);
  return fd;
}

static enum nicsec_hal_err open_descriptors(const struct soft_io_config *cfg, struct soft_io *io) {
  io->tun_fd = cfg->tun_fd >= 0 ? cfg->tun_fd : open_tun(cfg->tun);
  if (io->tun_fd < 0)
    return NICSEC_HAL_E_DEVICE;
  if (cfg->tun_fd >= 0 && fcntl(io->tun_fd, F_SETFL, fcntl(io->tun_fd, F_GETFL) | O_NONBLOCK) != 0)
    return NICSEC_HAL_E_DEVICE;
  if (!cfg->raw_esp)
    return NICSEC_HAL_OK;
  io->esp_fd[FAM_V4] = open_raw_esp(AF_INET);
  if (io->esp_fd[FAM_V4] < 0)
    return NICSEC_HAL_E_DEVICE;
  io->esp_fd[FAM_V6] = open_raw_esp(AF_INET6); /* optional: hosts without IPv6 still work */
  return NICSEC_HAL_OK;
}

enum nicsec_hal_err soft_io_open(const struct soft_io_config *cfg, struct soft_dev *dev,
                                 struct soft_io **out) {
  struct soft_io *io = calloc(1, sizeof *io);
  if (!io)
    return NICSEC_HAL_E_NOMEM;
  *io = (struct soft_io){.dev = dev, .tun_fd = -1, .esp_fd = {-1, -1}, .udp_fd = {-1, -1}};
  io->in_buf = malloc(IN_BUF);
  io->out_buf = malloc(OUT_BUF);
  enum nicsec_hal_err err = io->in_buf && io->out_buf ? open_descriptors(cfg, io)
                                                      : NICSEC_HAL_E_NOMEM;
  if (err != NICSEC_HAL_OK) {
    if (io->tun_fd == cfg->tun_fd)
      io->tun_fd = -1; /* not ours until open succeeds */
    soft_io_close(io);
    return err;
  }
  *out = io;
  return NICSEC_HAL_OK;
}

void soft_io_close(struct soft_io *io) {
  if (!io)
    return;
  if (io->tun_fd >= 0)
    close(io->tun_fd);
  for (int f = 0; f < N_FAMILIES; f++)
    if (io->esp_fd[f] >= 0)
      close(io->esp_fd[f]);
  free(io->in_buf);
  free(io->out_buf);
  free(io);
}

enum nicsec_hal_err soft_io_fds(struct soft_io *io, int *fds, size_t max, size_t *n) {
  const int all[] = {io->tun_fd, io->esp_fd[FAM_V4], io->esp_fd[FAM_V6]};
  *n = 0;
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
    if (all[i] < 0)
      continue;
    if (*n == max)
      return NICSEC_HAL_E_INVAL;
    fds[(*n)++] = all[i];
  }
  return NICSEC_HAL_OK;
}

enum nicsec_hal_err soft_io_attach_udp(struct soft_io *io, int fd) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  int type = 0;
  socklen_t type_len = sizeof type;
  if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0 ||
      getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_len) != 0 || type != SOCK_DGRAM ||
      (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
    return NICSEC_HAL_E_INVAL;
  io->udp_fd[ss.ss_family == AF_INET ? FAM_V4 : FAM_V6] = fd;
  return NICSEC_HAL_OK;
}

void soft_io_stats(const struct soft_io *io, struct nicsec_hal_dp_stats *out) {
  *out = io->stats;
}

/* ---- sending ------------------------------------------------------------------------------ */

static socklen_t to_sockaddr(const struct ip_view *v, const uint8_t *addr, uint16_t port,
                             struct sockaddr_storage *ss) {
  memset(ss, 0, sizeof *ss);
  if (v->family == NICSEC_HAL_AF_INET) {
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    memcpy(&sin->sin_addr, addr, 4);
    return sizeof *sin;
  }
  struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(port);
  memcpy(&sin6->sin6_addr, addr, 16);
  return sizeof *sin6;
}

/* Control messages for a UDP send: the SA's source address (the socket is bound to the
 * wildcard address) and the outer TOS / traffic class the engine chose (DSCP and ECN copied
 * from the inner packet). */
union send_control {
  char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int))];
  struct cmsghdr align;
};

static size_t fill_control(union send_control *c, const struct ip_view *v) {
  memset(c, 0, sizeof *c);
  struct msghdr mh = {.msg_control = c->buf, .msg_controllen = sizeof c->buf};
  struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
  int tos = v->tos;
  if (v->family == NICSEC_HAL_AF_INET) {
    struct in_pktinfo pi = {0};
    memcpy(&pi.ipi_spec_dst, v->src, 4);
    *cm = (struct cmsghdr){.cmsg_len = CMSG_LEN(sizeof pi), .cmsg_level = IPPROTO_IP,
                           .cmsg_type = IP_PKTINFO};
    memcpy(CMSG_DATA(cm), &pi, sizeof pi);
    cm = CMSG_NXTHDR(&mh, cm);
    *cm = (struct cmsghdr){.cmsg_len = CMSG_LEN(sizeof tos), .cmsg_level = IPPROTO_IP,
                           .cmsg_type = IP_TOS};
  } else {
    struct in6_pktinfo pi = {0};
    memcpy(&pi.ipi6_addr, v->src, 16);
    *cm = (struct cmsghdr){.cmsg_len = CMSG_LEN(sizeof pi), .cmsg_level = IPPROTO_IPV6,
                           .cmsg_type = IPV6_PKTINFO};
    memcpy(CMSG_DATA(cm), &pi, sizeof pi);
    cm = CMSG_NXTHDR(&mh, cm);
    *cm = (struct cmsghdr){.cmsg_len = CMSG_LEN(sizeof tos), .cmsg_level = IPPROTO_IPV6,
                           .cmsg_type = IPV6_TCLASS};
  }
  memcpy(CMSG_DATA(cm), &tos, sizeof tos);
  return (size_t)((char *)cm - c->buf) + CMSG_SPACE(sizeof tos);
}

/* ESP-in-UDP leaves through the caller's socket: the kernel writes IP and UDP headers again,
 * so only the ESP part of the engine's packet is handed over. */
static bool send_udp(struct soft_io *io, const uint8_t *pkt, const struct ip_view *v) {
  int fd = io->udp_fd[family_index(v->family)];
  size_t udp_len = v->total_len - v->hdr_len;
  if (fd < 0 || udp_len < UDP_HDR)
    return false;
  const uint8_t *udp = pkt + v->hdr_len;
  struct sockaddr_storage to;
  socklen_t to_len = to_sockaddr(v, v->dst, get_be16(udp + UDP_DPORT), &to);
  struct iovec iov = {(void *)(udp + UDP_HDR), udp_len - UDP_HDR};
  union send_control control;
  struct msghdr mh = {.msg_name = &to, .msg_namelen = to_len, .msg_iov = &iov, .msg_iovlen = 1,
                      .msg_control = control.buf};
  mh.msg_controllen = fill_control(&control, v);
  if (sendmsg(fd, &mh, 0) < 0)
    return false;
  io->stats.udp_out++;
  return true;
}

static bool send_raw(struct soft_io *io, const uint8_t *pkt, const struct ip_view *v) {
  int fd = io->esp_fd[family_index(v->family)];
  if (fd < 0)
    return false;
  struct sockaddr_storage to;
  socklen_t to_len = to_sockaddr(v, v->dst, 0, &to);
  return sendto(fd, pkt, v->total_len, 0, (struct sockaddr *)&to, to_len) ==
         (ssize_t)v->total_len;
}

static void send_esp(struct soft_io *io, const uint8_t *pkt, size_t len) {
  struct ip_view v;
  bool sent = ip_parse(pkt, len, &v) == NICSEC_HAL_OK &&
              (v.proto == IPPROTO_NUM_UDP ? send_udp(io, pkt, &v) : send_raw(io, pkt, &v));
  if (sent)
    io->stats.esp_out++;
  else
    io->stats.io_errors++; /* socket queue full, packet above the path MTU, no UDP socket */
}

/* ---- plaintext in (TUN) ------------------------------------------------------------------- */

static void count_verdict(struct nicsec_hal_dp_stats *st, enum soft_out_verdict verdict) {
  switch (verdict) {
  case SOFT_OUT_ENCAPPED: break;
  case SOFT_OUT_NO_POLICY: st->no_policy++; break;
  case SOFT_OUT_POLICY_DROP: st->policy_drops++; break;
  case SOFT_OUT_NO_SA: st->no_sa++; break;
  case SOFT_OUT_ENCAP_ERROR: st->encap_errors++; break;
  }
}

static enum nicsec_hal_err pump_tun(struct soft_io *io, size_t budget, size_t *done) {
  while (*done < budget) {
    ssize_t n = read(io->tun_fd, io->in_buf, IP_MAX_TOTAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return errno == EAGAIN || errno == EWOULDBLOCK ? NICSEC_HAL_OK : NICSEC_HAL_E_DEVICE;
    ++*done;
    io->stats.plain_in++;
    size_t out_len = 0;
    enum soft_out_verdict verdict =
        soft_dev_encap_routed(io->dev, io->in_buf, (size_t)n, io->out_buf, OUT_BUF, &out_len);
    count_verdict(&io->stats, verdict);
    if (verdict == SOFT_OUT_ENCAPPED)
      send_esp(io, io->out_buf, out_len);
  }
  return NICSEC_HAL_OK;
}

/* ---- ESP in -------------------------------------------------------------------------------- */

/* Decapsulates one outer packet and writes the plaintext to the TUN device. */
static enum nicsec_hal_err decap_to_tun(struct soft_io *io, const uint8_t *pkt, size_t len) {
  size_t out_len = 0;
  enum nicsec_hal_err err = soft_dev_decap(io->dev, pkt, len, io->out_buf, OUT_BUF, &out_len);
  if (err == NICSEC_HAL_E_PKT_NOT_ESP)
    return err;
  if (err != NICSEC_HAL_OK) {
    io->stats.decap_errors++;
    return err;
  }
  if (write(io->tun_fd, io->out_buf, out_len) == (ssize_t)out_len)
    io->stats.plain_out++;
  else
    io->stats.io_errors++;
  return NICSEC_HAL_OK;
}

/* IPv6 raw sockets hand over the payload only: put back the header the engine parses, from the
 * source address, the destination (IPV6_PKTINFO) and the traffic class (IPV6_TCLASS). */
static bool rebuild_ipv6_header(uint8_t *hdr, struct msghdr *mh, size_t payload_len) {
  const struct sockaddr_in6 *from = mh->msg_name;
  const uint8_t *dst = NULL;
  int tclass = 0;
  for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
    if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO)
      dst = ((const struct in6_pktinfo *)(const void *)CMSG_DATA(cm))->ipi6_addr.s6_addr;
    else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_TCLASS)
      memcpy(&tclass, CMSG_DATA(cm), sizeof tclass);
  }
  if (!dst || payload_len > UINT16_MAX)
    return false;
  ipv6_write(hdr, (uint8_t)tclass, (uint16_t)payload_len, IPPROTO_NUM_ESP, from->sin6_addr.s6_addr,
             dst);
  return true;
}

enum raw_read { RAW_PACKET, RAW_EMPTY, RAW_BAD, RAW_ERROR };

/* Reads one packet from a raw ESP socket into in_buf as a complete outer IP packet:
 * RAW_PACKET (*len set), RAW_EMPTY (would block), RAW_BAD (truncated or unusable: dropped),
 * RAW_ERROR (the socket failed). */
static enum raw_read read_raw(struct soft_io *io, int f, size_t *len) {
  size_t room = f == FAM_V4 ? 0 : IPV6_HDR;
  struct sockaddr_in6 from;
  union {
    char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  struct iovec iov = {io->in_buf + room, IP_MAX_TOTAL};
  struct msghdr mh = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov,
                      .msg_iovlen = 1, .msg_control = control.buf,
                      .msg_controllen = sizeof control.buf};
  ssize_t n;
  do
    n = recvmsg(io->esp_fd[f], &mh, MSG_TRUNC);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return errno == EAGAIN || errno == EWOULDBLOCK ? RAW_EMPTY : RAW_ERROR;
  if ((size_t)n > IP_MAX_TOTAL || (mh.msg_flags & MSG_TRUNC) ||
      (f == FAM_V6 && !rebuild_ipv6_header(io->in_buf, &mh, (size_t)n)))
    return RAW_BAD;
  *len = (size_t)n + room;
  return RAW_PACKET;
}

static enum nicsec_hal_err pump_esp(struct soft_io *io, int f, size_t budget, size_t *done) {
  while (*done < budget) {
    size_t len = 0;
    enum raw_read r = read_raw(io, f, &len);
    if (r == RAW_EMPTY)
      return NICSEC_HAL_OK;
    if (r == RAW_ERROR)
      return NICSEC_HAL_E_DEVICE;
    ++*done;
    io->stats.esp_in++;
    if (r == RAW_BAD)
      io->stats.decap_errors++;
    else
      (void)decap_to_tun(io, io->in_buf, len);
  }
  return NICSEC_HAL_OK;
}

enum nicsec_hal_err soft_io_poll_in(struct soft_io *io, int fd, size_t budget, size_t *done) {
  if (fd == io->tun_fd)
    return pump_tun(io, budget, done);
  for (int f = 0; f < N_FAMILIES; f++)
    if (fd == io->esp_fd[f])
      return pump_esp(io, f, budget, done);
  return NICSEC_HAL_E_INVAL;
}

/* ---- ESP-in-UDP from the caller's socket ---------------------------------------------------- */

/* RFC 3948 2.2/2.3, checked before copying anything: IKE and keepalives stay the caller's. */
static bool is_esp_datagram(const uint8_t *data, size_t len) {
  if (len == 1 && data[0] == NATT_KEEPALIVE)
    return false;
  return !(len >= NON_ESP_MARKER_LEN && get_be32(data) == 0);
}

enum nicsec_hal_err soft_io_deliver_udp(struct soft_io *io, const uint8_t *data, size_t len,
                                        const struct nicsec_hal_endpoint *from,
                                        const struct nicsec_hal_endpoint *to) {
  enum nicsec_hal_family family = from->addr.family;
  if ((family != NICSEC_HAL_AF_INET && family != NICSEC_HAL_AF_INET6) ||
      to->addr.family != family)
    return NICSEC_HAL_E_INVAL;
  if (!is_esp_datagram(data, len))
    return NICSEC_HAL_E_PKT_NOT_ESP;
  io->stats.esp_in++;
  io->stats.udp_in++;
  /* The engine decapsulates whole outer packets: rebuild IP + UDP around the payload. */
  size_t hdr = family == NICSEC_HAL_AF_INET ? IPV4_MIN_HDR : IPV6_HDR;
  if (len > IP_MAX_TOTAL - (family == NICSEC_HAL_AF_INET ? hdr : 0) - UDP_HDR) {
    io->stats.decap_errors++;
    return NICSEC_HAL_E_PKT_MALFORMED;
  }
  uint8_t *pkt = io->in_buf;
  size_t udp_len = UDP_HDR + len;
  if (family == NICSEC_HAL_AF_INET)
    ipv4_write(pkt, 0, (uint16_t)(hdr + udp_len), 0, IPPROTO_NUM_UDP, from->addr.bytes,
               to->addr.bytes);
  else
    ipv6_write(pkt, 0, (uint16_t)udp_len, IPPROTO_NUM_UDP, from->addr.bytes, to->addr.bytes);
  put_be16(pkt + hdr + UDP_SPORT, from->port);
  put_be16(pkt + hdr + UDP_DPORT, to->port);
  put_be16(pkt + hdr + UDP_LEN, (uint16_t)udp_len);
  put_be16(pkt + hdr + UDP_CSUM, 0); /* the kernel checked it on the way in */
  memcpy(pkt + hdr + UDP_HDR, data, len);
  return decap_to_tun(io, pkt, hdr + udp_len);
}
