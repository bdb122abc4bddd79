/* Private to the HAL core (offload/src). */
#ifndef NICSEC_HAL_INTERNAL_H
#define NICSEC_HAL_INTERNAL_H

#include "nicsec/hal_backend.h"

/* Built-in backends, defined in their own libraries (offload/soft, ...). */
extern const struct nicsec_hal_backend nicsec_soft_backend;

const struct nicsec_hal_backend *nicsec_hal_find_backend(const char *name);

#endif
