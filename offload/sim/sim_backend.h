/* The "sim" HAL backend: the offload HAL on the Verilated ESP engine (sim/, hw/esp), driven
 * through the engine's registers only (sim_dev.h). Programs that want it call
 * nicsec_hal_sim_register() once before nicsec_hal_open("sim", args).
 *
 * args (comma-separated key=value, "" for defaults):
 *   spi_base=<n>   inbound SPI window start written to IN_SPI_BASE (>= 256; default: the
 *                  register's reset value); the window is [spi_base, spi_base + depth - 1]
 *   attach=<name>  drive the engine of a running nicsim process through its shared-memory BAR
 *                  (/dev/shm/<name>) instead of creating an engine in this process; the packets
 *                  then flow between nicsim's TAP device and its wire, so caps.host_datapath
 *                  is false and encap/decap answer NICSEC_HAL_E_NOT_SUPPORTED */
#ifndef NICSEC_SIM_BACKEND_H
#define NICSEC_SIM_BACKEND_H

#include "nicsec/hal_backend.h"

extern const struct nicsec_hal_backend nicsec_sim_backend;

/* Registers nicsec_sim_backend; NICSEC_HAL_OK also when it already was. */
enum nicsec_hal_err nicsec_hal_sim_register(void);

#endif
