/* The engine's SA descriptor path (register map FEATURES.SA_DESC) from the driver's side:
 * SA_DESC-layout descriptors posted into nicsim's descriptor ring, completions reaped from it.
 * In process the caller's thread runs the clock while it waits; attached, nicsim's loop does and
 * the caller only polls the completion ring. Not thread-safe (callers lock). */
#ifndef NICSEC_SIM_DESC_H
#define NICSEC_SIM_DESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nicsec/hal.h"
#include "nicsim.h"

/* Fills one descriptor: command `op` (NICSEC_SA_OP_*) for slot idx of sa->dir's table, with
 * the SA's record, limits, initial SN and key (INSTALL takes them all; DELETE, STOP ignore
 * them). tag comes back in the completion. */
void sim_desc_encode(uint8_t desc[NICSIM_SA_DESC_OCTETS], uint32_t op, uint32_t idx, uint32_t tag,
                     const struct nicsec_hal_sa *sa, bool active);

/* Runs n descriptors (tags 0..n-1, in order) and waits for every completion: status[i] =
 * DESC_STATUS of descriptor i. NICSEC_HAL_E_DEVICE when the engine does not answer in time or
 * a completion is out of order; the statuses are then incomplete. */
enum nicsec_hal_err sim_desc_run(struct nicsim *sim, bool attached, const uint8_t *descs, size_t n,
                                 uint32_t *status);

/* Installs sas[0..n-1] into slots[] (active) with one descriptor each. All or none: when one
 * fails, every entry of the batch is deleted again (keys zeroized) and the index of the first
 * failed one is returned with *err set; n when all are in. */
size_t sim_desc_install_batch(struct nicsim *sim, bool attached, const struct nicsec_hal_sa *sas,
                              size_t n, const uint32_t *slots, enum nicsec_hal_err *err);

#endif
