/* A HAL backend for tests that records what the daemon installs, keys included, so a test can
 * check that two engines agree on SPIs and keys. It has no datapath. Registered as "record". */
#ifndef NICSEC_TEST_RECORD_BACKEND_H
#define NICSEC_TEST_RECORD_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

#include "nicsec/hal.h"

enum { REC_MAX_SAS = 64, REC_MAX_DEVICES = 8 };

struct rec_entry {
  bool used;
  nicsec_hal_sa_id id;
  enum nicsec_hal_sa_state state;
  struct nicsec_hal_sa sa; /* as given, key and salt included */
};

struct rec_device {
  struct rec_entry entries[REC_MAX_SAS];
  nicsec_hal_sa_id next_id;
  unsigned adds, frees;
  bool fail_next_add; /* the next sa_add fails with NICSEC_HAL_E_TABLE_FULL */
};

/* Registers the backend once (idempotent). */
void rec_register(void);
/* Devices in the order they were opened (since the last rec_reset). */
struct rec_device *rec_device(size_t index);
void rec_reset(void);
/* Active entries of a device in one direction; returns how many (up to max). */
size_t rec_active(const struct rec_device *d, enum nicsec_hal_dir dir, const struct rec_entry **out,
                  size_t max);

#endif
