/* nicsim's two Ethernet ports: the host side is a TAP device (the host configures it with its
 * address, like a NIC's netdev); the wire side is an AF_PACKET socket on an existing interface
 * (a veth end without an address), in promiscuous mode, frames moved in batches
 * (recvmmsg/sendmmsg).
 *
 * The wire socket asks for a virtio-net header with each frame so that a frame whose checksum
 * the sending kernel left to "hardware" (CHECKSUM_PARTIAL on a veth) is completed here, as the
 * peer's NIC would have done before the frame reached a real cable. */
#ifndef NICSEC_NICSIM_L2_H
#define NICSEC_NICSIM_L2_H

#include <stddef.h>
#include <stdint.h>

#include "nicsim_classify.h"

enum {
  NICSIM_L2_BATCH = 32,
  /* An Ethernet header plus the largest IPv4 packet: the engine's limit, and larger than any
   * frame a veth or TAP carries. */
  NICSIM_FRAME_MAX = NICSIM_ETH_HLEN + 65535,
};

struct nicsim_frame {
  size_t len;
  uint8_t data[NICSIM_FRAME_MAX];
};

/* Frames in and out of one port, up to NICSIM_L2_BATCH at a time. */
struct nicsim_batch {
  size_t count;
  struct nicsim_frame frame[NICSIM_L2_BATCH];
};

struct nicsim_wire_stats {
  uint64_t csum_completed; /* frames whose checksum the sender left partial */
  uint64_t gso_dropped;    /* super-frames (GSO) larger than a wire carries */
  uint64_t send_errors;    /* frames the interface refused (e.g. above its MTU) */
};

struct nicsim_wire {
  int fd;
  int ifindex;
  struct nicsim_wire_stats stats;
};

/* A TAP device named `name` (created if missing), non-blocking; `mac` (NULL: keep the kernel's)
 * becomes the interface's address. The fd, or -1 with errno set. */
int nicsim_tap_open(const char *name, const uint8_t *mac);
/* The TAP interface's current MAC address (the host may change it). 0 or -1. */
int nicsim_tap_mac(int tap_fd, uint8_t mac[NICSIM_MAC_LEN]);
/* Up to NICSIM_L2_BATCH - b->count frames from the TAP appended to b; the number read. */
size_t nicsim_tap_read(int tap_fd, struct nicsim_batch *b);
/* 0 if the kernel took the frame. */
int nicsim_tap_write(int tap_fd, const uint8_t *frame, size_t len);

/* An AF_PACKET socket bound to interface `ifname`, promiscuous, not seeing its own output.
 * 0, or -1 with errno set. */
int nicsim_wire_open(const char *ifname, struct nicsim_wire *w);
void nicsim_wire_close(struct nicsim_wire *w);
/* Keeps the host's stack off the wire interface (its namespace's sysctls): never answer ARP on
 * it (arp_ignore=8), no IPv6 on it. 0, or -1 if a setting could not be written. */
int nicsim_wire_isolate(const char *ifname);
/* Receives up to NICSIM_L2_BATCH - b->count frames appended to b (checksums completed, GSO
 * super-frames dropped and counted); the number appended. */
size_t nicsim_wire_recv(struct nicsim_wire *w, struct nicsim_batch *b);
/* Sends every frame of b (sendmmsg) and empties it; frames refused are counted. */
void nicsim_wire_flush(struct nicsim_wire *w, struct nicsim_batch *b);

/* The next free frame of b, or NULL when b is full (the caller flushes first). */
struct nicsim_frame *nicsim_batch_slot(struct nicsim_batch *b);

#endif
