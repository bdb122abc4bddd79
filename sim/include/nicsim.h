/* The simulated NIC as a C library: one Verilated nicsec_engine per handle, driven cycle by
 * cycle. Tests use it in-process (deterministic: nothing runs unless a call steps the clock);
 * nicsim (the NIC you can ping through) wraps the same calls behind a shared-memory BAR.
 *
 * MMIO accesses are AXI4-Lite transactions on the engine's CSR port; they take simulated clock
 * cycles, which nicsim_cycles() counts. */
#ifndef NICSEC_NICSIM_H
#define NICSEC_NICSIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct nicsim;

enum nicsim_status {
  NICSIM_OK = 0,
  NICSIM_SLVERR = 1,  /* the register refused the access (e.g. write to a read-only register) */
  NICSIM_DECERR = 2,  /* no register at that address */
  NICSIM_TIMEOUT = 3, /* the bus did not answer within NICSIM_BUS_TIMEOUT_CYCLES */
};

enum { NICSIM_BUS_TIMEOUT_CYCLES = 1000 };

/* Creates an engine held in reset for a few cycles, then released. NULL if out of memory. */
struct nicsim *nicsim_create(void);
void nicsim_destroy(struct nicsim *sim);
/* Applies reset again: every register returns to its reset value. */
void nicsim_reset(struct nicsim *sim);

enum nicsim_status nicsim_mmio_read32(struct nicsim *sim, uint32_t addr, uint32_t *value);
enum nicsim_status nicsim_mmio_write32(struct nicsim *sim, uint32_t addr, uint32_t value);

/* Advances the clock by `cycles` rising edges. */
void nicsim_step(struct nicsim *sim, uint64_t cycles);
/* Rising edges since nicsim_create (not reset by nicsim_reset). */
uint64_t nicsim_cycles(const struct nicsim *sim);
/* Level of the engine's interrupt line. */
int nicsim_irq(const struct nicsim *sim);

const char *nicsim_status_str(enum nicsim_status status);

#ifdef __cplusplus
}
#endif

#endif
