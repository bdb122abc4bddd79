/* hal_conformance [backend [args]]: runs the conformance suite on one backend (default soft). */
#include "conformance.h"

int main(int argc, char **argv) {
  return nicsec_hal_conformance_run(argc > 1 ? argv[1] : "soft", argc > 2 ? argv[2] : "");
}
