/* The engine's TX steering table (register map STEER_*) as the "sim" backend programs it from
 * the selectors of its outbound SAs: packet offload, the engine picks the SA of each plaintext
 * packet the host sends for a lookup.
 *
 * The engine's priority is the entry index (lowest wins); the driver keeps a shadow copy and
 * orders it: more specific selectors first (longer prefixes in total, then a protocol, then
 * ports), among equals the newest first, so a rekey's new SA takes the traffic as soon as it is
 * installed. Inserting and removing shift the entries below with the engine's own READ/WRITE
 * commands, one entry at a time and always copying before overwriting, so every lookup in
 * between sees each selector at least once. Not thread-safe (callers lock). */
#ifndef NICSEC_SIM_STEER_H
#define NICSEC_SIM_STEER_H

#include <stddef.h>
#include <stdint.h>

#include "nicsec/hal.h"
#include "nicsim.h"
#include "sim_dev.h"

enum { SIM_STEER_MAX = 1024 };

struct sim_steer_rule {
  struct nicsec_hal_selector sel;
  uint32_t slot; /* outbound SA slot */
};

struct sim_steer {
  uint32_t depth; /* engine entries in use at most; 0 = the engine has no steering table */
  size_t count;
  struct sim_steer_rule rules[SIM_STEER_MAX]; /* rules[i] is engine entry i */
};

/* Reads the table's depth (FEATURES.TX_STEER, STEER_STATUS.DEPTH) and clears every entry. */
enum nicsec_hal_err sim_steer_init(struct nicsim *sim, const struct sim_dev_info *info,
                                   struct sim_steer *t);
/* Steers packets matching sel to outbound slot `slot`. NICSEC_HAL_E_TABLE_FULL when no entry
 * is free, NICSEC_HAL_E_UNSUPPORTED_FAMILY for a selector that is not IPv4 or IPv6. */
enum nicsec_hal_err sim_steer_add(struct nicsim *sim, struct sim_steer *t,
                                  const struct nicsec_hal_selector *sel, uint32_t slot);
/* Removes every entry of outbound slot `slot` (zeroed in the engine). */
enum nicsec_hal_err sim_steer_remove(struct nicsim *sim, struct sim_steer *t, uint32_t slot);

#endif
