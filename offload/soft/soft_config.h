/* Capabilities of a soft device: defaults, narrowed by the open() argument string so tests and
 * operators can emulate a smaller NIC (e.g. "max_sa=64,spi_min=256,spi_max=511" mimics a table
 * indexed by SPI). */
#ifndef NICSEC_SOFT_CONFIG_H
#define NICSEC_SOFT_CONFIG_H

#include "nicsec/hal.h"

/* Parses comma-separated key=value options (keys: max_sa, max_sa_in, max_sa_out, spi_min,
 * spi_max, max_batch, max_policies). NICSEC_HAL_E_INVAL for unknown keys or bad values. */
enum nicsec_hal_err soft_config_caps(const char *args, struct nicsec_hal_caps *caps);

#endif
