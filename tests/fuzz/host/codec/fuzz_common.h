/* Oracles shared by the codec fuzz targets. Any input may be rejected, but whatever the parser
 * accepts must decode, rebuild, re-parse and rebuild to the same octets; a violation aborts. */
#ifndef NICSEC_FUZZ_CODEC_COMMON_H
#define NICSEC_FUZZ_CODEC_COMMON_H

#include <stdlib.h>
#include <string.h>

#include "ikecodec.h"

static inline void fuzz_check(int condition) {
  if (!condition)
    abort();
}

/* Decoded payloads of one chain, in a form the builder takes back. Static: one input at a
 * time, and far too big for the stack (IKE_MAX_PAYLOADS SA-sized unions). */
struct fuzz_rebuild {
  union ike_payload_body bodies[IKE_MAX_PAYLOADS];
  struct ike_payload_out out[IKE_MAX_PAYLOADS];
  uint8_t first[1 << 17];
  uint8_t second[1 << 17];
};

/* Every recorded payload must decode (the walk validated it) and the set must rebuild. */
static inline size_t fuzz_decode_chain(const struct ike_chain *chain, struct fuzz_rebuild *rb) {
  for (size_t i = 0; i < chain->count; i++) {
    const struct ike_payload_ref *ref = &chain->payloads[i];
    fuzz_check(ike_chain_decode(ref, &rb->bodies[i]) == IKE_OK);
    rb->out[i] = (struct ike_payload_out){.type = ref->type, .body = &rb->bodies[i]};
  }
  return chain->count;
}

#endif
