/* Datapath I/O of a soft device: the descriptors behind nicsec_hal_dp_* (contract in hal.h,
 * "datapath I/O"). Plaintext on a TUN device, bare ESP on raw IPv4/IPv6 sockets of protocol 50
 * (IP_HDRINCL / IPV6_HDRINCL: the engine's outer header goes out byte for byte), ESP-in-UDP on
 * the caller's NAT-T sockets. Every descriptor is non-blocking; nothing runs unless called. */
#ifndef NICSEC_SOFT_IO_H
#define NICSEC_SOFT_IO_H

#include <stddef.h>
#include <stdint.h>

#include "nicsec/hal.h"
#include "soft_config.h"

struct soft_dev;
struct soft_io;

/* Opens the TUN device (or adopts cfg->tun_fd, owned from then on) and, with cfg->raw_esp, the
 * raw ESP sockets (IPv6 is left out when the host has none). NICSEC_HAL_E_DEVICE when the TUN
 * device or the IPv4 raw socket cannot be opened (no root / CAP_NET_ADMIN / CAP_NET_RAW). */
enum nicsec_hal_err soft_io_open(const struct soft_io_config *cfg, struct soft_dev *dev,
                                 struct soft_io **out);
/* Closes what soft_io_open opened (not the attached UDP sockets). NULL is fine. */
void soft_io_close(struct soft_io *io);

enum nicsec_hal_err soft_io_fds(struct soft_io *io, int *fds, size_t max, size_t *n);
enum nicsec_hal_err soft_io_poll_in(struct soft_io *io, int fd, size_t budget, size_t *done);
enum nicsec_hal_err soft_io_attach_udp(struct soft_io *io, int fd);
enum nicsec_hal_err soft_io_deliver_udp(struct soft_io *io, const uint8_t *data, size_t len,
                                        const struct nicsec_hal_endpoint *from,
                                        const struct nicsec_hal_endpoint *to);
void soft_io_stats(const struct soft_io *io, struct nicsec_hal_dp_stats *out);

#endif
