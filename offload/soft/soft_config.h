/* Options of a soft device, from the open() argument string: capabilities narrowed so tests and
 * operators can emulate a smaller NIC (e.g. "max_sa=64,spi_min=256,spi_max=511" mimics a table
 * indexed by SPI), and the datapath I/O (e.g. "tun=nsec0": plaintext on that TUN device, ESP on
 * raw sockets). */
#ifndef NICSEC_SOFT_CONFIG_H
#define NICSEC_SOFT_CONFIG_H

#include <stdbool.h>

#include "nicsec/hal.h"

enum { SOFT_IFNAME_MAX = 16 }; /* IFNAMSIZ, with the terminating NUL */

/* Datapath I/O: enabled when tun or tun_fd is given. */
struct soft_io_config {
  char tun[SOFT_IFNAME_MAX]; /* "tun=<name>": TUN device to create or attach to; "" = none */
  int tun_fd;                /* "tun_fd=<n>": an open TUN-like packet descriptor (handed over
                                by a privileged parent, or a test's socketpair); -1 = none.
                                The device owns it from then on and closes it. */
  bool raw_esp;              /* "raw_esp=0" leaves out the raw ESP sockets (ESP-in-UDP only,
                                no CAP_NET_RAW needed); default 1 */
};

/* Parses comma-separated key=value options. Capability keys: max_sa, max_sa_in, max_sa_out,
 * spi_min, spi_max, max_batch, max_policies. I/O keys: tun, tun_fd, raw_esp (tun and tun_fd
 * exclude each other). NICSEC_HAL_E_INVAL for unknown keys or bad values. */
enum nicsec_hal_err soft_config_parse(const char *args, struct nicsec_hal_caps *caps,
                                      struct soft_io_config *io);

#endif
