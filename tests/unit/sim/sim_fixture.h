/* cmocka setup/teardown shared by the RTL tests that drive one in-process engine: a fresh,
 * enabled nicsim per test. */
#ifndef NICSEC_TEST_SIM_FIXTURE_H
#define NICSEC_TEST_SIM_FIXTURE_H

#include "nicsec_regs.h"
#include "nicsim.h"

static inline int create_sim(void **state) {
  struct nicsim *sim = nicsim_create();
  if (!sim || nicsim_mmio_write32(sim, NICSEC_REG_CONTROL, NICSEC_CONTROL_ENABLE_MASK))
    return -1;
  *state = sim;
  return 0;
}

static inline int destroy_sim(void **state) {
  nicsim_destroy(*state);
  return 0;
}

#endif
