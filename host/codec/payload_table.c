/* The payload table: one row per payload type we implement (RFC 7296 section 3, RFC 7383 2.5).
 * The chain walker and the message builder know nothing about individual payloads; they look
 * the type up here. EAP (48) is deliberately absent, so it is handled as an unknown payload. */
#include "codec_internal.h"

/* min_body is the fixed part of each body, so the parsers may assume it is there:
 *   SA       one 8-octet proposal header        KE     method(2) reserved(2)
 *   ID/AUTH  type(1) reserved(3)                CERT   encoding(1)
 *   Nonce    16 octets (RFC 7296 3.9)           N      protocol(1) SPI size(1) type(2)
 *   D        protocol(1) SPI size(1) count(2)   TS     count(1) reserved(3)
 *   CP       CFG type(1) reserved(3)            SKF    fragment number(2) total(2) */
/* clang-format off */
#define CODEC(name) codec_parse_##name, codec_build_##name
#define ENCRYPTED IKE_PD_ENCRYPTED
static const struct ike_payload_desc payload_table[] = {
    /* type          abbrev     name                            min flags      parse/build */
    {IKE_PT_SA,      "SA",      "Security Association",         8,  0,         CODEC(sa)},
    {IKE_PT_KE,      "KE",      "Key Exchange",                 4,  0,         CODEC(ke)},
    {IKE_PT_IDI,     "IDi",     "Identification - Initiator",   4,  0,         CODEC(id)},
    {IKE_PT_IDR,     "IDr",     "Identification - Responder",   4,  0,         CODEC(id)},
    {IKE_PT_CERT,    "CERT",    "Certificate",                  1,  0,         CODEC(cert)},
    {IKE_PT_CERTREQ, "CERTREQ", "Certificate Request",          1,  0,         CODEC(cert)},
    {IKE_PT_AUTH,    "AUTH",    "Authentication",               4,  0,         CODEC(auth)},
    {IKE_PT_NONCE,   "Nonce",   "Nonce",                        16, 0,         CODEC(nonce)},
    {IKE_PT_NOTIFY,  "N",       "Notify",                       4,  0,         CODEC(notify)},
    {IKE_PT_DELETE,  "D",       "Delete",                       4,  0,         CODEC(delete)},
    {IKE_PT_VENDOR,  "V",       "Vendor ID",                    0,  0,         CODEC(vendor)},
    {IKE_PT_TSI,     "TSi",     "Traffic Selector - Initiator", 4,  0,         CODEC(ts)},
    {IKE_PT_TSR,     "TSr",     "Traffic Selector - Responder", 4,  0,         CODEC(ts)},
    {IKE_PT_SK,      "SK",      "Encrypted and Authenticated",  0,  ENCRYPTED, CODEC(sk)},
    {IKE_PT_CP,      "CP",      "Configuration",                4,  0,         CODEC(cp)},
    {IKE_PT_SKF,     "SKF",     "Encrypted Fragment",           4,  ENCRYPTED, CODEC(skf)},
};
#undef CODEC
#undef ENCRYPTED
/* clang-format on */

enum { PAYLOAD_TABLE_ROWS = sizeof payload_table / sizeof payload_table[0] };

const struct ike_payload_desc *ike_payload_desc(uint8_t type) {
  for (size_t i = 0; i < PAYLOAD_TABLE_ROWS; i++)
    if (payload_table[i].type == type)
      return &payload_table[i];
  return NULL;
}

const char *ike_payload_abbrev(uint8_t type) {
  const struct ike_payload_desc *desc = ike_payload_desc(type);
  return desc ? desc->abbrev : "?";
}

size_t ike_payload_table_size(void) { return PAYLOAD_TABLE_ROWS; }

const struct ike_payload_desc *ike_payload_table_row(size_t index) {
  return index < PAYLOAD_TABLE_ROWS ? &payload_table[index] : NULL;
}

void codec_set_error(struct ike_error *err, enum ike_err code, uint8_t payload_type,
                     const char *field, size_t offset) {
  if (!err)
    return;
  err->code = code;
  err->payload_type = payload_type;
  err->field = field;
  err->offset = offset;
}

bool codec_parse_fail_at(struct ike_parse_in *in, enum ike_err code, const char *field,
                         size_t body_offset) {
  codec_set_error(in->err, code, in->type, field, in->base + body_offset);
  return false;
}

bool codec_parse_fail(struct ike_parse_in *in, enum ike_err code, const char *field) {
  return codec_parse_fail_at(in, code, field, in->body.pos);
}

bool codec_build_fail(struct ike_build_out *out, enum ike_err code, const char *field) {
  codec_set_error(out->err, code, out->type, field, wire_writer_len(out->w));
  return false;
}

enum ike_err ike_payload_parse(uint8_t type, uint8_t next_payload, struct wire_view body,
                               size_t base, union ike_payload_body *out, struct ike_error *err) {
  struct ike_error scratch;
  if (!err)
    err = &scratch;
  const struct ike_payload_desc *desc = ike_payload_desc(type);
  if (!desc) {
    codec_set_error(err, IKE_ERR_UNSUPPORTED_CRITICAL, type, "Payload Type", base);
    return err->code;
  }
  if (body.len < desc->min_body) {
    codec_set_error(err, IKE_ERR_BODY_TOO_SHORT, type, "Payload Length", base);
    return err->code;
  }
  struct ike_parse_in in = {.base = base, .type = type, .next_payload = next_payload, .err = err};
  wire_reader_init(&in.body, body.ptr, body.len);
  if (!desc->parse(&in, out))
    return err->code;
  return IKE_OK;
}

enum ike_err ike_payload_build_body(struct wire_writer *w, uint8_t type,
                                    const union ike_payload_body *in, size_t *encrypted_offset,
                                    struct ike_error *err) {
  struct ike_error scratch;
  if (!err)
    err = &scratch;
  const struct ike_payload_desc *desc = ike_payload_desc(type);
  if (!desc) {
    codec_set_error(err, IKE_ERR_BUILD_INVALID, type, "Payload Type", wire_writer_len(w));
    return err->code;
  }
  struct ike_build_out out = {.w = w, .type = type, .encrypted_offset = SIZE_MAX, .err = err};
  if (!desc->build(&out, in))
    return err->code;
  if (!wire_writer_ok(w)) {
    codec_set_error(err, IKE_ERR_BUILD_SPACE, type, desc->name, wire_writer_len(w));
    return err->code;
  }
  if (encrypted_offset)
    *encrypted_offset = out.encrypted_offset;
  return IKE_OK;
}
