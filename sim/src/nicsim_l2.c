#include "nicsim_l2.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

enum { TAP_QUEUE_LEN = 8192 };

/* ---- TAP ---------------------------------------------------------------------------------- */

/* The host queues frames for the NIC in the TAP's qdisc while the engine is busy: the length of
 * the NIC's TX ring, in effect. Best effort: the default (1,000) works, only with less slack. */
static void set_txqueuelen(const char *name, int len) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  ifr.ifr_qlen = len;
  (void)ioctl(fd, SIOCSIFTXQLEN, &ifr);
  close(fd);
}

int nicsim_tap_open(const char *name, const uint8_t *mac) {
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return -1;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  int failed = ioctl(fd, TUNSETIFF, &ifr) < 0;
  if (!failed)
    set_txqueuelen(name, TAP_QUEUE_LEN);
  if (!failed && mac) {
    ifr.ifr_hwaddr.sa_family = 1; /* ARPHRD_ETHER */
    memcpy(ifr.ifr_hwaddr.sa_data, mac, NICSIM_MAC_LEN);
    failed = ioctl(fd, SIOCSIFHWADDR, &ifr) < 0;
  }
  if (failed) {
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

int nicsim_tap_mac(int tap_fd, uint8_t mac[NICSIM_MAC_LEN]) {
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  if (ioctl(tap_fd, SIOCGIFHWADDR, &ifr) < 0)
    return -1;
  memcpy(mac, ifr.ifr_hwaddr.sa_data, NICSIM_MAC_LEN);
  return 0;
}

size_t nicsim_tap_read(int tap_fd, struct nicsim_batch *b) {
  size_t got = 0;
  struct nicsim_frame *f;
  while ((f = nicsim_batch_slot(b)) != NULL) {
    ssize_t n = read(tap_fd, f->data, sizeof f->data);
    if (n <= 0)
      break;
    f->len = (size_t)n;
    b->count++;
    got++;
  }
  return got;
}

int nicsim_tap_write(int tap_fd, const uint8_t *frame, size_t len) {
  return write(tap_fd, frame, len) == (ssize_t)len ? 0 : -1;
}

enum { SEND_WAIT_MS = 10, WIRE_SOCKET_BUF = 16 << 20 };

/* ---- wire --------------------------------------------------------------------------------- */

static int set_opt(int fd, int level, int name, const void *value, socklen_t len) {
  return setsockopt(fd, level, name, value, len);
}

static int write_sysctl(const char *family, const char *ifname, const char *key,
                        const char *value) {
  char path[128];
  snprintf(path, sizeof path, "/proc/sys/net/%s/conf/%s/%s", family, ifname, key);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = write(fd, value, strlen(value));
  close(fd);
  return n == (ssize_t)strlen(value) ? 0 : -1;
}

/* The wire interface is the NIC's port, not one of the host's: without this the host kernel
 * answers ARP for its TAP address on the wire too (Linux replies for any local address on any
 * interface), the peer learns the veth's MAC, and the traffic bypasses nicsim. */
int nicsim_wire_isolate(const char *ifname) {
  int arp = write_sysctl("ipv4", ifname, "arp_ignore", "8");
  int v6 = write_sysctl("ipv6", ifname, "disable_ipv6", "1");
  return arp || v6 ? -1 : 0;
}

int nicsim_wire_open(const char *ifname, struct nicsim_wire *w) {
  memset(w, 0, sizeof *w);
  w->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
  if (w->fd < 0)
    return -1;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
  if (ioctl(w->fd, SIOCGIFINDEX, &ifr) < 0) {
    int saved = errno;
    nicsim_wire_close(w);
    errno = saved;
    return -1;
  }
  w->ifindex = ifr.ifr_ifindex;
  struct sockaddr_ll sll = {
      .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = w->ifindex};
  struct packet_mreq promisc = {.mr_ifindex = w->ifindex, .mr_type = PACKET_MR_PROMISC};
  int one = 1, buf = WIRE_SOCKET_BUF;
  /* The engine is slower than the link: bursts wait in the socket, not on the floor. FORCE
   * (root) goes past net.core.rmem_max; without it the kernel caps the plain request. */
  if (set_opt(w->fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf))
    (void)set_opt(w->fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  if (set_opt(w->fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof buf))
    (void)set_opt(w->fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
  if (set_opt(w->fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one) ||
      set_opt(w->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) ||
      set_opt(w->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &promisc, sizeof promisc) ||
      bind(w->fd, (struct sockaddr *)&sll, sizeof sll)) {
    int saved = errno;
    nicsim_wire_close(w);
    errno = saved;
    return -1;
  }
  return 0;
}

void nicsim_wire_close(struct nicsim_wire *w) {
  if (w->fd > 0)
    close(w->fd);
  w->fd = -1;
}

/* RFC 1071 one's-complement sum over [p, p + len), folded. */
static uint16_t inet_sum(const uint8_t *p, size_t len) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2)
    sum += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (len & 1)
    sum += (uint32_t)p[len - 1] << 8;
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)sum;
}

/* The sender's kernel put the pseudo-header sum in the checksum field and left the rest to the
 * NIC: summing from csum_start to the end, that field included, gives the final value. */
static bool finish_frame(struct nicsim_wire *w, const struct virtio_net_hdr *vh,
                         struct nicsim_frame *f) {
  if (vh->gso_type != VIRTIO_NET_HDR_GSO_NONE) {
    w->stats.gso_dropped++;
    return false;
  }
  if (!(vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
    return true;
  size_t start = vh->csum_start, field = start + vh->csum_offset;
  if (start >= f->len || field + 2 > f->len)
    return true; /* nothing sensible to complete: the receiver's check decides */
  uint16_t csum = (uint16_t)~inet_sum(f->data + start, f->len - start);
  f->data[field] = (uint8_t)(csum >> 8);
  f->data[field + 1] = (uint8_t)csum;
  w->stats.csum_completed++;
  return true;
}

size_t nicsim_wire_recv(struct nicsim_wire *w, struct nicsim_batch *b) {
  size_t room = NICSIM_L2_BATCH - b->count;
  struct virtio_net_hdr vh[NICSIM_L2_BATCH];
  struct iovec iov[NICSIM_L2_BATCH][2];
  struct mmsghdr msgs[NICSIM_L2_BATCH];
  memset(msgs, 0, sizeof msgs);
  for (size_t i = 0; i < room; i++) {
    struct nicsim_frame *f = &b->frame[b->count + i];
    iov[i][0] = (struct iovec){&vh[i], sizeof vh[i]};
    iov[i][1] = (struct iovec){f->data, sizeof f->data};
    msgs[i].msg_hdr.msg_iov = iov[i];
    msgs[i].msg_hdr.msg_iovlen = 2;
  }
  int got = room ? recvmmsg(w->fd, msgs, (unsigned)room, MSG_DONTWAIT, NULL) : 0;
  size_t kept = 0;
  for (int i = 0; i < got; i++) {
    struct nicsim_frame *f = &b->frame[b->count + kept];
    if (msgs[i].msg_len < sizeof vh[i])
      continue;
    if ((size_t)i != kept) /* an earlier frame was dropped: close the gap */
      memmove(f->data, b->frame[b->count + (size_t)i].data, msgs[i].msg_len - sizeof vh[i]);
    f->len = msgs[i].msg_len - sizeof vh[i];
    if (finish_frame(w, &vh[i], f))
      kept++;
  }
  b->count += kept;
  return kept;
}

void nicsim_wire_flush(struct nicsim_wire *w, struct nicsim_batch *b) {
  static const struct virtio_net_hdr no_offload; /* complete frames: nothing for the kernel */
  struct sockaddr_ll to = {
      .sll_family = AF_PACKET, .sll_ifindex = w->ifindex, .sll_halen = ETH_ALEN};
  struct iovec iov[NICSIM_L2_BATCH][2];
  struct mmsghdr msgs[NICSIM_L2_BATCH];
  memset(msgs, 0, sizeof msgs);
  for (size_t i = 0; i < b->count; i++) {
    iov[i][0] = (struct iovec){(void *)&no_offload, sizeof no_offload};
    iov[i][1] = (struct iovec){b->frame[i].data, b->frame[i].len};
    msgs[i].msg_hdr = (struct msghdr){
        .msg_name = &to, .msg_namelen = sizeof to, .msg_iov = iov[i], .msg_iovlen = 2};
  }
  size_t done = 0;
  bool waited = false;
  while (done < b->count) {
    int sent = sendmmsg(w->fd, msgs + done, (unsigned)(b->count - done), 0);
    if (sent > 0) {
      done += (size_t)sent;
      waited = false;
      continue;
    }
    if (sent < 0 && errno == EINTR)
      continue;
    if (sent < 0 && (errno == EAGAIN || errno == ENOBUFS) && !waited) {
      /* The socket's send buffer is full: wait for the interface once, then give up on this
       * frame rather than stall the engine's clock. */
      struct pollfd out = {.fd = w->fd, .events = POLLOUT};
      (void)poll(&out, 1, SEND_WAIT_MS);
      waited = true;
      continue;
    }
    waited = false;
    w->stats.send_errors++; /* this frame is refused (e.g. EMSGSIZE): skip it */
    done++;
  }
  b->count = 0;
}

struct nicsim_frame *nicsim_batch_slot(struct nicsim_batch *b) {
  return b->count < NICSIM_L2_BATCH ? &b->frame[b->count] : NULL;
}
