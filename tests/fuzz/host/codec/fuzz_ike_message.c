/* Fuzzes the receive path of nicsecd up to the handlers: IKE header, unencrypted payload chain,
 * exchange rules. Oracles (beyond ASan/UBSan): every accepted payload decodes; the decoded
 * message rebuilds; the rebuilt message parses to the same payload types with the same
 * rule-check verdict; rebuilding that again gives identical octets. The SK/SKF contents are
 * also walked as if they were decrypted plaintext. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fuzz_rebuild rb;

static size_t rebuild(const struct ike_message *msg, uint8_t *buf, size_t cap) {
  size_t count = fuzz_decode_chain(&msg->clear, &rb);
  struct wire_writer w;
  wire_writer_init(&w, buf, cap);
  struct ike_build_info info;
  fuzz_check(ike_message_build(&w, &msg->hdr, rb.out, count, &info, NULL) == IKE_OK);
  return info.length;
}

static void check_round_trip(const struct ike_message *msg, enum ike_err verdict) {
  size_t len = rebuild(msg, rb.first, sizeof rb.first);
  static struct ike_message again;
  fuzz_check(ike_message_parse(rb.first, len, &again, NULL) == IKE_OK);
  fuzz_check(again.clear.count == msg->clear.count && again.clear.unknown_skipped == 0);
  for (size_t i = 0; i < msg->clear.count; i++)
    fuzz_check(again.clear.payloads[i].type == msg->clear.payloads[i].type);
  fuzz_check(ike_rules_check_clear(&again, NULL) == verdict);
  size_t len2 = rebuild(&again, rb.second, sizeof rb.second);
  fuzz_check(len2 == len && memcmp(rb.first, rb.second, len) == 0);
}

/* The encrypted octets, walked as plaintext, exercise the inner parser on message shapes. */
static void walk_encrypted_as_plaintext(const struct ike_message *msg) {
  union ike_payload_body body;
  fuzz_check(ike_chain_decode(&msg->clear.payloads[msg->encrypted_index], &body) == IKE_OK);
  struct wire_view enc = msg->clear.payloads[msg->encrypted_index].type == IKE_PT_SK
                             ? body.sk.encrypted
                             : body.skf.encrypted;
  uint8_t first = msg->clear.payloads[msg->encrypted_index].next_payload;
  static struct ike_chain inner;
  if (ike_inner_parse(first, enc.ptr, enc.len, &inner, NULL) != IKE_OK)
    return;
  (void)ike_rules_check_inner(msg, &inner, NULL);
  for (size_t i = 0; i < inner.count; i++)
    fuzz_check(ike_chain_decode(&inner.payloads[i], &body) == IKE_OK);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static struct ike_message msg;
  struct ike_error err;
  enum ike_err rc = ike_message_parse(data, size, &msg, &err);
  char text[256];
  fuzz_check(ike_error_format(&err, text, sizeof text) > 0);
  if (rc != IKE_OK)
    return 0;
  fuzz_check(msg.hdr.length == size);
  enum ike_err verdict = ike_rules_check_clear(&msg, &err);
  check_round_trip(&msg, verdict);
  if (msg.encrypted_index >= 0) {
    fuzz_check(msg.aad.ptr == data && msg.aad.len <= size);
    walk_encrypted_as_plaintext(&msg);
  }
  return 0;
}
