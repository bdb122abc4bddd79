/* Host side of the SA descriptor ring (nicsim_shm.h): the same code posts into a ring of the
 * harness (in process) and into the one of a nicsim BAR (attached). */
#ifndef NICSEC_NICSIM_DESC_RING_H
#define NICSEC_NICSIM_DESC_RING_H

#include <stddef.h>
#include <stdint.h>

#include "nicsim_shm.h"

#ifdef __cplusplus
extern "C" {
#endif

size_t nicsim_ring_post(struct nicsim_desc_ring *ring, const uint8_t *descs, size_t n);
size_t nicsim_ring_reap(struct nicsim_desc_ring *ring, struct nicsim_desc_cpl *cpls, size_t max);
size_t nicsim_ring_pending(const struct nicsim_desc_ring *ring);

#ifdef __cplusplus
}
#endif

#endif
