/* The shared-memory BAR between a nicsim process (which owns the Verilated engine) and a driver
 * in another process (nicsim_attach). One MMIO request at a time, like a posted-then-waited PCIe
 * access: the driver fills op/addr/value and bumps `req`; nicsim performs the AXI4-Lite access
 * on the engine, fills value/status and sets `done` = req. Plus the host-side TX steering table
 * nicsim uses to put an outbound SA slot into the TX metadata of each packet from its TAP.
 * Fields shared across processes are accessed with the __atomic builtins (C and C++ alike). */
#ifndef NICSEC_NICSIM_SHM_H
#define NICSEC_NICSIM_SHM_H

#include <stdint.h>

enum {
  NICSIM_SHM_MAGIC = 0x4e53424du, /* "NSBM" */
  NICSIM_SHM_VERSION = 1,
  NICSIM_SHM_OP_READ = 1,
  NICSIM_SHM_OP_WRITE = 2,
  NICSIM_STEER_ENTRIES = 64,
};

struct nicsim_steer_entry {
  uint32_t valid; /* written last (release) when adding, first when removing */
  uint32_t sa;    /* outbound slot */
  uint8_t dst[4]; /* inner IPv4 destination prefix */
  uint32_t prefix_len;
};

struct nicsim_shm {
  uint32_t magic, version;
  uint32_t pid; /* the nicsim process */
  uint32_t req, done;
  uint32_t op, addr, value, status;
  uint64_t cycles;    /* engine cycles, updated by nicsim */
  uint64_t in_flight; /* packets inside the engine without their verdict yet */
  struct nicsim_steer_entry steer[NICSIM_STEER_ENTRIES];
};

#endif
