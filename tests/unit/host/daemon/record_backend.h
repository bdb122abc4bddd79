/* A HAL backend for tests that records what the daemon installs, keys included, so a test can
 * check that two engines agree on SPIs and keys. It has no datapath. Registered as "record". */
#ifndef NICSEC_TEST_RECORD_BACKEND_H
#define NICSEC_TEST_RECORD_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

#include "nicsec/hal.h"

enum { REC_MAX_SAS = 64, REC_MAX_DEVICES = 8, REC_MAX_HISTORY = 1024, REC_MAX_EVENTS = 16 };

/* Every SA ever added, keys included, so a test can prove no SPI or key was used twice. */
struct rec_added {
  enum nicsec_hal_dir dir;
  uint32_t spi;
  uint8_t key[NICSEC_HAL_MAX_KEY], salt[NICSEC_HAL_SALT_LEN];
  uint8_t key_len;
};

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
  struct rec_added history[REC_MAX_HISTORY];
  size_t n_history;
  struct nicsec_hal_event events[REC_MAX_EVENTS]; /* handed out by poll_events */
  size_t n_events;
};

/* Registers the backend once (idempotent). */
void rec_register(void);
/* Devices in the order they were opened (since the last rec_reset). */
struct rec_device *rec_device(size_t index);
void rec_reset(void);
/* Active entries of a device in one direction; returns how many (up to max). */
size_t rec_active(const struct rec_device *d, enum nicsec_hal_dir dir, const struct rec_entry **out,
                  size_t max);
/* Entries in any state (active, stopped, drained): what the device still holds. */
size_t rec_held(const struct rec_device *d);
/* Queues a limit event for the SA with handle id (as a device counting packets would). */
bool rec_inject_event(struct rec_device *d, enum nicsec_hal_event_type type, nicsec_hal_sa_id id);

#endif
