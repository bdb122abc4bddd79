/* The shared HAL conformance suite on the "sim" backend: the same cases as "soft", run through
 * the registers and packet ports of the Verilated ESP engine. Cases whose capabilities the
 * engine lacks are skipped by the suite itself from caps (policies: no steering table).
 * argv[1] (optional) is the backend's args string, e.g. "spi_base=65536". */
#include <stdio.h>

#include "conformance.h"
#include "sim_backend.h"

int main(int argc, char **argv) {
  enum nicsec_hal_err err = nicsec_hal_sim_register();
  if (err != NICSEC_HAL_OK) {
    fprintf(stderr, "registering the sim backend: %s\n", nicsec_hal_strerror(err));
    return 1;
  }
  return nicsec_hal_conformance_run("sim", argc > 1 ? argv[1] : "");
}
