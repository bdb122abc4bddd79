/* Host side of the SA descriptor ring: fill free slots, then one release store of `posted` (the
 * doorbell); take completions up to the device's acquire-loaded `completed`, then one release
 * store of `reaped`, which hands their descriptor slots back. */
#include "nicsim_desc_ring.h"

#include <string.h>

size_t nicsim_ring_post(struct nicsim_desc_ring *ring, const uint8_t *descs, size_t n) {
  uint32_t posted = __atomic_load_n(&ring->posted, __ATOMIC_RELAXED); /* ours */
  uint32_t reaped = __atomic_load_n(&ring->reaped, __ATOMIC_RELAXED); /* ours */
  size_t room = NICSIM_DESC_RING - (uint32_t)(posted - reaped);
  size_t k = n < room ? n : room;
  for (size_t i = 0; i < k; i++)
    memcpy(ring->desc[(posted + i) % NICSIM_DESC_RING], descs + i * NICSIM_SA_DESC_OCTETS,
           NICSIM_SA_DESC_OCTETS);
  if (k)
    __atomic_store_n(&ring->posted, posted + (uint32_t)k, __ATOMIC_RELEASE);
  return k;
}

size_t nicsim_ring_reap(struct nicsim_desc_ring *ring, struct nicsim_desc_cpl *cpls, size_t max) {
  uint32_t reaped = __atomic_load_n(&ring->reaped, __ATOMIC_RELAXED);
  uint32_t completed = __atomic_load_n(&ring->completed, __ATOMIC_ACQUIRE);
  size_t ready = (uint32_t)(completed - reaped);
  size_t k = max < ready ? max : ready;
  for (size_t i = 0; i < k; i++)
    cpls[i] = ring->cpl[(reaped + i) % NICSIM_DESC_RING];
  if (k)
    __atomic_store_n(&ring->reaped, reaped + (uint32_t)k, __ATOMIC_RELEASE);
  return k;
}

size_t nicsim_ring_pending(const struct nicsim_desc_ring *ring) {
  uint32_t posted = __atomic_load_n(&ring->posted, __ATOMIC_ACQUIRE);
  uint32_t completed = __atomic_load_n(&ring->completed, __ATOMIC_ACQUIRE);
  return (uint32_t)(posted - completed);
}
