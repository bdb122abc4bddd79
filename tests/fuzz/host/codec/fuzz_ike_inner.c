/* Fuzzes the payloads found inside a decrypted SK payload. Input: octet 0 = the SK header's
 * Next Payload (first inner type); octet 1 = exchange (low 2 bits: IKE_SA_INIT + n) and the
 * response flag (0x04); the rest = the plaintext. Oracles as for the message target: accepted
 * payloads decode and the chain rebuilds to octets that parse the same and rebuild
 * identically. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fuzz_rebuild rb;

static size_t rebuild(const struct ike_chain *chain, uint8_t *buf, size_t cap, uint8_t *first) {
  size_t count = fuzz_decode_chain(chain, &rb);
  struct wire_writer w;
  wire_writer_init(&w, buf, cap);
  struct ike_build_info info;
  fuzz_check(ike_chain_build(&w, rb.out, count, first, &info, NULL) == IKE_OK);
  return info.length;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2)
    return 0;
  static struct ike_chain inner, again;
  struct ike_error err;
  if (ike_inner_parse(data[0], data + 2, size - 2, &inner, &err) != IKE_OK)
    return 0;
  for (size_t i = 0; i < inner.count; i++)
    fuzz_check(inner.payloads[i].type != IKE_PT_SK && inner.payloads[i].type != IKE_PT_SKF);
  struct ike_message msg = {.encrypted_index = -1};
  ike_header_init(&msg.hdr, (uint8_t)(IKE_EXCH_IKE_SA_INIT + (data[1] & 3)),
                  (data[1] & 4) ? IKE_FLAG_RESPONSE : 0, 1, 1, 1);
  enum ike_err verdict = ike_rules_check_inner(&msg, &inner, &err);
  uint8_t first;
  size_t len = rebuild(&inner, rb.first, sizeof rb.first, &first);
  fuzz_check(ike_inner_parse(first, rb.first, len, &again, NULL) == IKE_OK);
  fuzz_check(again.count == inner.count && again.unknown_skipped == 0);
  fuzz_check(ike_rules_check_inner(&msg, &again, NULL) == verdict);
  uint8_t first2;
  size_t len2 = rebuild(&again, rb.second, sizeof rb.second, &first2);
  fuzz_check(first2 == first && len2 == len && memcmp(rb.first, rb.second, len) == 0);
  return 0;
}
