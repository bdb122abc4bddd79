/* The HAL conformance suite, callable for any registered backend (register out-of-tree ones
 * with nicsec_hal_register first). Returns the number of failed tests (0 = conformant). */
#ifndef NICSEC_HAL_CONFORMANCE_H
#define NICSEC_HAL_CONFORMANCE_H

int nicsec_hal_conformance_run(const char *backend, const char *args);

#endif
