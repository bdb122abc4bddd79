/* IKE messages: the payload chain walk (generic payload headers, RFC 7296 3.2), parsing of the
 * unencrypted part of a message and of the payloads inside a decrypted SK payload, and building
 * a message from a list of payloads.
 *
 * Parsing validates every payload it understands through the payload table, so a handler can
 * decode any recorded payload with ike_chain_decode() without a second error path. Unknown
 * payloads are skipped unless critical (then IKE_ERR_UNSUPPORTED_CRITICAL). */
#ifndef NICSEC_IKECODEC_MESSAGE_H
#define NICSEC_IKECODEC_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bytebuf.h"
#include "ikecodec_errors.h"
#include "ikecodec_header.h"
#include "ikecodec_payloads.h"

/* One payload of a chain, found and validated but not yet decoded. */
struct ike_payload_ref {
  uint8_t type;
  uint8_t next_payload; /* for SK/SKF: the first inner payload */
  bool critical;
  size_t offset; /* of the generic header, from the start of the parsed buffer */
  struct wire_view body;
};

struct ike_chain {
  size_t count;           /* payloads recorded (understood ones only) */
  size_t unknown_skipped; /* unknown non-critical payloads stepped over */
  struct ike_payload_ref payloads[IKE_MAX_PAYLOADS];
};

struct ike_message {
  struct ike_header hdr;
  struct wire_view raw; /* the whole message */
  struct ike_chain clear;
  /* Index in `clear` of the SK or SKF payload ending the unencrypted chain, or -1. */
  int encrypted_index;
  /* For AEAD (RFC 5282 / RFC 7383): the octets authenticated as associated data, i.e. the
   * message from its first octet through the SK generic header (SKF: through Total
   * Fragments). Empty if there is no SK/SKF. */
  struct wire_view aad;
};

/* Parses a datagram (without the non-ESP marker): the header, then the unencrypted payload
 * chain up to and including an SK/SKF payload, which must end the message. On
 * IKE_ERR_MAJOR_VERSION_HIGH msg->hdr is valid (to answer INVALID_MAJOR_VERSION). */
enum ike_err ike_message_parse(const uint8_t *data, size_t len, struct ike_message *msg,
                               struct ike_error *err);

/* Parses the payloads inside a decrypted SK payload (plaintext without padding and Pad Length)
 * or a reassembled fragment set. first_type is the SK (or fragment 1 SKF) Next Payload. Error
 * offsets are relative to plaintext. SK/SKF inside is IKE_ERR_NESTED_ENCRYPTED. */
enum ike_err ike_inner_parse(uint8_t first_type, const uint8_t *plaintext, size_t len,
                             struct ike_chain *chain, struct ike_error *err);

/* ---- reading a parsed chain ----------------------------------------------------------------- */

/* Decodes a recorded payload into its typed form. Cannot fail for a chain produced by the
 * parsers above (they validated the same bytes); returns the error anyway for robustness. */
enum ike_err ike_chain_decode(const struct ike_payload_ref *ref, union ike_payload_body *out);
/* Index of the first payload of `type` at or after `from`, or -1. */
int ike_chain_find(const struct ike_chain *chain, uint8_t type, size_t from);
/* Number of payloads of `type`. */
size_t ike_chain_count(const struct ike_chain *chain, uint8_t type);
/* The Notify Message Type of a recorded Notify payload (0 for other payloads). */
uint16_t ike_ref_notify_type(const struct ike_payload_ref *ref);
/* Index of the first Notify payload of notify_type, or -1. */
int ike_chain_find_notify(const struct ike_chain *chain, uint16_t notify_type);

/* ---- building ------------------------------------------------------------------------------- */

/* A payload to emit. With body == NULL the `raw` octets are written as the body, whatever the
 * type: used to send payloads this codec does not model (and by tests to forge them). */
struct ike_payload_out {
  uint8_t type;
  bool critical;
  const union ike_payload_body *body;
  struct wire_view raw;
};

struct ike_build_info {
  size_t length;           /* octets written (the IKE header Length, for messages) */
  size_t encrypted_offset; /* writer offset of the SK/SKF IV|ciphertext|ICV, or SIZE_MAX */
};

/* Writes a payload chain: each generic header's Next Payload names the following payload (an
 * SK/SKF payload, which must be last, names its first inner payload instead) and each Payload
 * Length is patched in once the body is written. Used directly for the plaintext of an SK
 * payload; *first_type receives the type of the first payload (0 if count == 0). */
enum ike_err ike_chain_build(struct wire_writer *w, const struct ike_payload_out *payloads,
                             size_t count, uint8_t *first_type, struct ike_build_info *info,
                             struct ike_error *err);

/* Writes a message: the header (hdr->next_payload and hdr->length are computed, the rest is
 * taken as given) and the chain. To encrypt in place, give the SK/SKF body encrypted.ptr ==
 * NULL with the final IV|ciphertext|ICV length: the header Length and payload lengths (the
 * AAD) are then final and info->encrypted_offset says where to write. */
enum ike_err ike_message_build(struct wire_writer *w, const struct ike_header *hdr,
                               const struct ike_payload_out *payloads, size_t count,
                               struct ike_build_info *info, struct ike_error *err);

#endif
