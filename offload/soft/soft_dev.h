/* What the soft device (soft_backend.c) offers its datapath I/O (soft_io.c): the two packet
 * paths, each taking the device lock itself. */
#ifndef NICSEC_SOFT_DEV_H
#define NICSEC_SOFT_DEV_H

#include <stddef.h>
#include <stdint.h>

#include "nicsec/hal.h"

struct soft_dev;

/* What became of a plaintext packet offered to soft_dev_encap_routed. */
enum soft_out_verdict {
  SOFT_OUT_ENCAPPED,    /* out holds the outer packet (IP [+ UDP] + ESP), ready to send */
  SOFT_OUT_NO_POLICY,   /* no OUT policy and no outbound SA selector matched */
  SOFT_OUT_POLICY_DROP, /* a DISCARD or BYPASS policy matched */
  SOFT_OUT_NO_SA,       /* the PROTECT policy's reqid has no active outbound SA */
  SOFT_OUT_ENCAP_ERROR, /* malformed plaintext, or encap refused (counted per SA) */
};

/* Chooses the outbound SA for the plaintext IP packet `in` (policies, then SA selectors; see
 * hal.h "datapath I/O") and encapsulates it into out. Drops are counted in the device's drop
 * counters (malformed, no SA, policy) or the SA's. */
enum soft_out_verdict soft_dev_encap_routed(struct soft_dev *d, const uint8_t *in, size_t in_len,
                                            uint8_t *out, size_t out_cap, size_t *out_len);

/* nicsec_hal_decap on this device. */
enum nicsec_hal_err soft_dev_decap(struct soft_dev *d, const uint8_t *in, size_t in_len,
                                   uint8_t *out, size_t out_cap, size_t *out_len);

#endif
