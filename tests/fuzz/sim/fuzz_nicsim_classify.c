/* Fuzzer for nicsim's frame classifier. Input: one Ethernet frame; both directions classify it.
 * The offsets a verdict hands to the engine must lie
 * inside the frame; the sanitizers catch any read outside it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nicsim_classify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_offsets(const struct nicsim_class *c, size_t size) {
  if (c->verdict != NICSIM_ENGINE_EGRESS && c->verdict != NICSIM_ENGINE_INGRESS)
    return;
  if (c->l3_off < NICSIM_ETH_HLEN || (size_t)c->l3_off + c->l3_len > size || c->l3_len == 0)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const uint8_t host_mac[NICSIM_MAC_LEN] = {0x02, 0, 0, 0, 0, 1};
  /* A copy of exactly `size` octets, so reading past the input is caught with or without
   * libFuzzer's own buffer. */
  uint8_t *frame = malloc(size ? size : 1);
  if (!frame)
    return 0;
  memcpy(frame, data, size);
  struct nicsim_class c;
  nicsim_classify_egress(frame, size, &c);
  check_offsets(&c, size);
  nicsim_classify_ingress(frame, size, host_mac, &c);
  check_offsets(&c, size);
  free(frame);
  return 0;
}
