/* Driver side of the shared-memory BAR (nicsim_shm.h): what nicsim_attach handles use. */
#ifndef NICSEC_NICSIM_REMOTE_H
#define NICSEC_NICSIM_REMOTE_H

#include <stdint.h>

#include "nicsim.h"

#ifdef __cplusplus
extern "C" {
#endif

struct nicsim_remote;

struct nicsim_remote *nicsim_remote_open(const char *shm_name);
void nicsim_remote_close(struct nicsim_remote *r);
/* One MMIO access through the BAR; *value in (write) or out (read). */
enum nicsim_status nicsim_remote_access(struct nicsim_remote *r, uint32_t op, uint32_t addr,
                                        uint32_t *value);
uint64_t nicsim_remote_cycles(const struct nicsim_remote *r);
uint64_t nicsim_remote_in_flight(const struct nicsim_remote *r);
void nicsim_remote_tx_progress(const struct nicsim_remote *r, struct nicsim_tx_progress *out);
/* The SA descriptor ring inside the BAR (nicsim_shm.h). */
struct nicsim_desc_ring *nicsim_remote_desc_ring(struct nicsim_remote *r);

#ifdef __cplusplus
}
#endif

#endif
