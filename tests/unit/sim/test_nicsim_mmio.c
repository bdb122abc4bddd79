/* The simulated NIC's C ABI against the real RTL: MMIO reads and writes reach the CSR block,
 * bus errors come back as status codes, the clock and the interrupt line are observable, and two
 * simulated NICs in one process are independent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "nicsec_regs.h"
#include "nicsim.h"

static int create_sim(void **state) {
  *state = nicsim_create();
  return *state ? 0 : -1;
}

static int destroy_sim(void **state) {
  nicsim_destroy(*state);
  return 0;
}

static void identity_registers_read_back(void **state) {
  struct nicsim *sim = *state;
  uint32_t value = 0;
  assert_int_equal(nicsim_mmio_read32(sim, NICSEC_REG_ID, &value), NICSIM_OK);
  assert_int_equal(value, NICSEC_REG_ID_RESET);
  assert_int_equal(nicsim_mmio_read32(sim, NICSEC_REG_VERSION, &value), NICSIM_OK);
  assert_int_equal(value, NICSEC_REG_VERSION_RESET);
}

static void writes_reach_registers_and_reset_clears_them(void **state) {
  struct nicsim *sim = *state;
  uint32_t value = 0;
  assert_int_equal(nicsim_mmio_write32(sim, NICSEC_REG_SCRATCH, 0x12345678), NICSIM_OK);
  assert_int_equal(nicsim_mmio_read32(sim, NICSEC_REG_SCRATCH, &value), NICSIM_OK);
  assert_int_equal(value, 0x12345678);
  nicsim_reset(sim);
  assert_int_equal(nicsim_mmio_read32(sim, NICSEC_REG_SCRATCH, &value), NICSIM_OK);
  assert_int_equal(value, NICSEC_REG_SCRATCH_RESET);
}

static void bus_errors_are_reported(void **state) {
  struct nicsim *sim = *state;
  uint32_t value = 0xffffffff;
  assert_int_equal(nicsim_mmio_write32(sim, NICSEC_REG_ID, 0), NICSIM_SLVERR);
  assert_int_equal(nicsim_mmio_read32(sim, 0xff0, &value), NICSIM_DECERR);
  assert_int_equal(value, 0);
  assert_string_equal(nicsim_status_str(NICSIM_DECERR), "no register at that address (DECERR)");
}

static void clock_advances_and_cycle_register_follows(void **state) {
  struct nicsim *sim = *state;
  uint32_t lo1 = 0, lo2 = 0;
  assert_int_equal(nicsim_mmio_read32(sim, NICSEC_REG_CYCLE_LO, &lo1), NICSIM_OK);
  uint64_t before = nicsim_cycles(sim);
  nicsim_step(sim, 1000);
  assert_int_equal(nicsim_cycles(sim) - before, 1000);
  assert_int_equal(nicsim_mmio_read32(sim, NICSEC_REG_CYCLE_LO, &lo2), NICSIM_OK);
  /* The hardware counter saw the 1000 stepped cycles plus the bus cycles of one read. */
  assert_in_range(lo2 - lo1, 1000, 1010);
}

static void irq_line_follows_enable(void **state) {
  struct nicsim *sim = *state;
  /* No datapath raises events yet, so enabling every cause must leave the line low. */
  assert_int_equal(nicsim_mmio_write32(sim, NICSEC_REG_IRQ_ENABLE, 0xffffffff), NICSIM_OK);
  assert_int_equal(nicsim_irq(sim), 0);
}

static void two_nics_are_independent(void **state) {
  struct nicsim *first = *state;
  struct nicsim *second = nicsim_create();
  assert_non_null(second);
  assert_int_equal(nicsim_mmio_write32(first, NICSEC_REG_SCRATCH, 1), NICSIM_OK);
  assert_int_equal(nicsim_mmio_write32(second, NICSEC_REG_SCRATCH, 2), NICSIM_OK);
  uint32_t value = 0;
  assert_int_equal(nicsim_mmio_read32(first, NICSEC_REG_SCRATCH, &value), NICSIM_OK);
  assert_int_equal(value, 1);
  nicsim_destroy(second);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(identity_registers_read_back, create_sim, destroy_sim),
      cmocka_unit_test_setup_teardown(writes_reach_registers_and_reset_clears_them, create_sim,
                                      destroy_sim),
      cmocka_unit_test_setup_teardown(bus_errors_are_reported, create_sim, destroy_sim),
      cmocka_unit_test_setup_teardown(clock_advances_and_cycle_register_follows, create_sim,
                                      destroy_sim),
      cmocka_unit_test_setup_teardown(irq_line_follows_enable, create_sim, destroy_sim),
      cmocka_unit_test_setup_teardown(two_nics_are_independent, create_sim, destroy_sim),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
