/* The shared-memory BAR between a nicsim process (which owns the Verilated engine) and a driver
 * in another process (nicsim_attach). One MMIO request at a time, like a posted-then-waited PCIe
 * access: the driver fills op/addr/value and bumps `req`; nicsim performs the AXI4-Lite access
 * on the engine, fills value/status and sets `done` = req. (TX steering is the engine's own
 * table, programmed through MMIO like every other register.)
 * Fields shared across processes are accessed with the __atomic builtins (C and C++ alike). */
#ifndef NICSEC_NICSIM_SHM_H
#define NICSEC_NICSIM_SHM_H

#include <stdint.h>

#include "nicsim.h"

enum {
  NICSIM_SHM_MAGIC = 0x4e53424du, /* "NSBM" */
  NICSIM_SHM_VERSION = 3, /* 2: SA descriptor ring; 3: no host-side steering table */
  NICSIM_SHM_OP_READ = 1,
  NICSIM_SHM_OP_WRITE = 2,
};

/* SA descriptor ring and its completion ring (nicsim.h). Free-running 32-bit counters, slot =
 * counter % NICSIM_DESC_RING; each counter has one writer, which stores it with release after
 * filling the slots it covers, and the other side loads it with acquire. The host may post
 * while posted - reaped < NICSIM_DESC_RING, so a descriptor slot is never rewritten before its
 * completion was taken. */
struct nicsim_desc_ring {
  uint32_t posted;    /* host: descriptors written (the doorbell) */
  uint32_t fetched;   /* device: descriptors streamed into the engine */
  uint32_t completed; /* device: completions written */
  uint32_t reaped;    /* host: completions taken */
  uint8_t desc[NICSIM_DESC_RING][NICSIM_SA_DESC_OCTETS];
  struct nicsim_desc_cpl cpl[NICSIM_DESC_RING];
};

struct nicsim_shm {
  uint32_t magic, version;
  uint32_t pid; /* the nicsim process */
  uint32_t req, done;
  uint32_t op, addr, value, status;
  uint64_t cycles;    /* engine cycles, updated by nicsim */
  uint64_t in_flight; /* packets inside the engine without their verdict yet */
  /* Host-TX progress (struct nicsim_tx_progress), stored by nicsim at the end of every loop,
   * tx_loops last. */
  uint64_t tx_pushed, tx_completed, tx_loops;
  struct nicsim_desc_ring desc; /* SA descriptors (nicsim.h), served by nicsim's loop */
};

#endif
