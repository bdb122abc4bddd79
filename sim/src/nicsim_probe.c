/* nicsim-probe: what a driver does first with a NIC — map the BAR, check the identity and the
 * register-map version, read the capabilities, exercise the bus — done against the simulated
 * engine. Prints every register; exits non-zero with a sentence if the device is not a nicsec
 * engine of a known major version or the bus misbehaves. */
#include <stdio.h>
#include <stdlib.h>

#include "nicsec_regs.h"
#include "nicsim.h"

enum { KNOWN_MAJOR = 2 }; /* the register-map major this driver is written for */

static int read_reg(struct nicsim *sim, const char *name, uint32_t addr, uint32_t *value) {
  enum nicsim_status st = nicsim_mmio_read32(sim, addr, value);
  if (st != NICSIM_OK)
    fprintf(stderr, "nicsim-probe: reading %s at 0x%03x failed: %s\n", name, addr,
            nicsim_status_str(st));
  return st == NICSIM_OK;
}

static unsigned field(uint32_t value, uint32_t mask, unsigned lsb) {
  return (unsigned)((value & mask) >> lsb);
}

static int check_identity(struct nicsim *sim) {
  uint32_t id = 0, version = 0;
  if (!read_reg(sim, "ID", NICSEC_REG_ID, &id) ||
      !read_reg(sim, "VERSION", NICSEC_REG_VERSION, &version))
    return 0;
  if (id != NICSEC_REG_ID_RESET) {
    fprintf(stderr, "nicsim-probe: ID reads 0x%08x, not \"NSEC\": not a nicsec engine\n", id);
    return 0;
  }
  unsigned major = field(version, NICSEC_VERSION_MAJOR_MASK, NICSEC_VERSION_MAJOR_LSB);
  unsigned minor = field(version, NICSEC_VERSION_MINOR_MASK, NICSEC_VERSION_MINOR_LSB);
  if (major != KNOWN_MAJOR) {
    fprintf(stderr, "nicsim-probe: register map %u.%u; this driver knows major %d only\n", major,
            minor, KNOWN_MAJOR);
    return 0;
  }
  printf("device      nicsec ESP engine (ID \"NSEC\"), register map %u.%u\n", major, minor);
  return 1;
}

static int show_capabilities(struct nicsim *sim) {
  uint32_t caps = 0;
  if (!read_reg(sim, "CAPS", NICSEC_REG_CAPS, &caps))
    return 0;
  printf("lanes       %u x 128-bit AES per direction\n",
         field(caps, NICSEC_CAPS_LANES_MASK, NICSEC_CAPS_LANES_LSB));
  printf("SA table    %lu entries per direction\n",
         1UL << field(caps, NICSEC_CAPS_SA_DEPTH_LOG2_MASK, NICSEC_CAPS_SA_DEPTH_LOG2_LSB));
  printf("replay      window up to %lu packets\n",
         1UL << field(caps, NICSEC_CAPS_REPLAY_WIN_LOG2_MASK, NICSEC_CAPS_REPLAY_WIN_LOG2_LSB));
  return 1;
}

/* A bus check a driver can trust: patterns through SCRATCH, then enable the engine. */
static int exercise_bus(struct nicsim *sim) {
  static const uint32_t patterns[] = {0x00000000u, 0xffffffffu, 0xa5a5a5a5u, 0x5a5a5a5au};
  for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
    uint32_t back = 0;
    if (nicsim_mmio_write32(sim, NICSEC_REG_SCRATCH, patterns[i]) != NICSIM_OK ||
        !read_reg(sim, "SCRATCH", NICSEC_REG_SCRATCH, &back) || back != patterns[i]) {
      fprintf(stderr, "nicsim-probe: SCRATCH wrote 0x%08x, read 0x%08x\n", patterns[i], back);
      return 0;
    }
  }
  uint64_t before = nicsim_cycles(sim);
  if (nicsim_mmio_write32(sim, NICSEC_REG_CONTROL, NICSEC_CONTROL_ENABLE_MASK) != NICSIM_OK)
    return 0;
  printf("bus         SCRATCH patterns ok; one register write takes %llu cycles\n",
         (unsigned long long)(nicsim_cycles(sim) - before));
  return 1;
}

static int dump_registers(struct nicsim *sim) {
  printf("registers\n");
#define SHOW_REGISTER(name, offset, access)                                                        \
  do {                                                                                             \
    uint32_t value = 0;                                                                            \
    if (!read_reg(sim, #name, offset, &value))                                                     \
      return 0;                                                                                    \
    printf("  0x%03x %-16s %-3s 0x%08x\n", offset, #name, #access, value);                         \
  } while (0);
  NICSEC_REG_LIST(SHOW_REGISTER)
#undef SHOW_REGISTER
  return 1;
}

int main(void) {
  struct nicsim *sim = nicsim_create();
  if (!sim) {
    fprintf(stderr, "nicsim-probe: out of memory creating the simulated engine\n");
    return 1;
  }
  int ok =
      check_identity(sim) && show_capabilities(sim) && exercise_bus(sim) && dump_registers(sim);
  printf("cycles      %llu simulated clock cycles\n", (unsigned long long)nicsim_cycles(sim));
  nicsim_destroy(sim);
  return ok ? 0 : 1;
}
