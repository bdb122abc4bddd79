/* Payload chains and whole messages. The walk follows Next Payload from the IKE header (or
 * from the SK header for decrypted payloads) through the generic payload headers
 * (Next Payload (1) | C + RESERVED (1) | Payload Length (2), RFC 7296 3.2), checking each
 * Payload Length against what is left, and validates every understood body through the payload
 * table before recording it. */
#include "ikecodec_message.h"

#include "codec_internal.h"

static void clear_error(struct ike_error *err) {
  codec_set_error(err, IKE_OK, IKE_PT_NONE, NULL, 0);
}

static enum ike_err chain_fail(struct ike_error *err, enum ike_err code, uint8_t type,
                               const char *field, size_t offset) {
  codec_set_error(err, code, type, field, offset);
  return code;
}

static void chain_reset(struct ike_chain *chain) {
  chain->count = 0;
  chain->unknown_skipped = 0;
}

/* Reads one generic payload header and the body it delimits. */
static enum ike_err read_generic(struct wire_reader *r, uint8_t type, struct ike_payload_ref *ref,
                                 struct ike_error *err) {
  size_t at = r->pos;
  if (wire_remaining(r) < IKE_GENERIC_HEADER_LEN)
    return chain_fail(err, IKE_ERR_PAYLOAD_TRUNCATED, type, "Generic Payload Header", at);
  ref->type = type;
  ref->offset = at;
  ref->next_payload = wire_read_u8(r);
  ref->critical = (wire_read_u8(r) & IKE_PAYLOAD_CRITICAL) != 0;
  uint16_t length = wire_read_be16(r);
  if (length < IKE_GENERIC_HEADER_LEN ||
      (size_t)length - IKE_GENERIC_HEADER_LEN > wire_remaining(r))
    return chain_fail(err, IKE_ERR_PAYLOAD_LENGTH, type, "Payload Length", at + 2);
  ref->body = wire_read_view(r, length - IKE_GENERIC_HEADER_LEN);
  return IKE_OK;
}

/* Walks the chain starting with payload `type` at the reader's position. Stops after an
 * SK/SKF payload (not allowed when `inner`), which must then be the last octets. */
static enum ike_err walk_chain(struct wire_reader *r, uint8_t type, bool inner,
                               struct ike_chain *chain, int *encrypted_index,
                               struct ike_error *err) {
  union ike_payload_body scratch; /* parse target for validation only */
  size_t walked = 0;
  chain_reset(chain);
  *encrypted_index = -1;
  while (type != IKE_PT_NONE) {
    if (walked++ == IKE_MAX_PAYLOADS)
      return chain_fail(err, IKE_ERR_TOO_MANY_PAYLOADS, type, "Next Payload", r->pos);
    struct ike_payload_ref ref;
    enum ike_err rc = read_generic(r, type, &ref, err);
    if (rc != IKE_OK)
      return rc;
    const struct ike_payload_desc *desc = ike_payload_desc(type);
    if (!desc) {
      if (ref.critical)
        return chain_fail(err, IKE_ERR_UNSUPPORTED_CRITICAL, type, "Critical", ref.offset + 1);
      chain->unknown_skipped++;
      type = ref.next_payload;
      continue;
    }
    bool encrypted = (desc->flags & IKE_PD_ENCRYPTED) != 0;
    if (encrypted && inner)
      return chain_fail(err, IKE_ERR_NESTED_ENCRYPTED, type, "Payload Type", ref.offset);
    rc = ike_payload_parse(type, ref.next_payload, ref.body, ref.offset + IKE_GENERIC_HEADER_LEN,
                           &scratch, err);
    if (rc != IKE_OK)
      return rc;
    chain->payloads[chain->count++] = ref;
    if (encrypted) {
      /* RFC 7296 3.14: the Encrypted payload is the last one; its Next Payload is inside. */
      *encrypted_index = (int)chain->count - 1;
      break;
    }
    type = ref.next_payload;
  }
  if (wire_remaining(r) > 0)
    return chain_fail(err, IKE_ERR_TRAILING_DATA,
                      chain->count ? chain->payloads[chain->count - 1].type : IKE_PT_NONE,
                      "Next Payload", r->pos);
  return IKE_OK;
}

/* Associated data of an AEAD-protected message: everything before the IV. */
static struct wire_view aad_view(const struct ike_message *msg) {
  const struct ike_payload_ref *ref = &msg->clear.payloads[msg->encrypted_index];
  size_t fixed = ref->type == IKE_PT_SKF ? 4 : 0; /* Fragment Number, Total Fragments */
  return (struct wire_view){msg->raw.ptr, ref->offset + IKE_GENERIC_HEADER_LEN + fixed};
}

enum ike_err ike_message_parse(const uint8_t *data, size_t len, struct ike_message *msg,
                               struct ike_error *err) {
  struct ike_error scratch;
  if (!err)
    err = &scratch;
  clear_error(err);
  struct wire_reader r;
  wire_reader_init(&r, data, len);
  msg->raw = (struct wire_view){r.data, r.len};
  msg->encrypted_index = -1;
  msg->aad = (struct wire_view){r.data, 0};
  chain_reset(&msg->clear);
  enum ike_err rc = ike_header_parse(&r, len, &msg->hdr, err);
  if (rc != IKE_OK)
    return rc;
  rc = walk_chain(&r, msg->hdr.next_payload, false, &msg->clear, &msg->encrypted_index, err);
  if (rc != IKE_OK)
    return rc;
  if (msg->encrypted_index >= 0)
    msg->aad = aad_view(msg);
  return IKE_OK;
}

enum ike_err ike_inner_parse(uint8_t first_type, const uint8_t *plaintext, size_t len,
                             struct ike_chain *chain, struct ike_error *err) {
  struct ike_error scratch;
  if (!err)
    err = &scratch;
  clear_error(err);
  struct wire_reader r;
  wire_reader_init(&r, plaintext, len);
  int encrypted_index;
  return walk_chain(&r, first_type, true, chain, &encrypted_index, err);
}

/* ---- reading a parsed chain ----------------------------------------------------------------- */

enum ike_err ike_chain_decode(const struct ike_payload_ref *ref, union ike_payload_body *out) {
  return ike_payload_parse(ref->type, ref->next_payload, ref->body,
                           ref->offset + IKE_GENERIC_HEADER_LEN, out, NULL);
}

int ike_chain_find(const struct ike_chain *chain, uint8_t type, size_t from) {
  for (size_t i = from; i < chain->count; i++)
    if (chain->payloads[i].type == type)
      return (int)i;
  return -1;
}

size_t ike_chain_count(const struct ike_chain *chain, uint8_t type) {
  size_t n = 0;
  for (size_t i = 0; i < chain->count; i++)
    n += chain->payloads[i].type == type;
  return n;
}

uint16_t ike_ref_notify_type(const struct ike_payload_ref *ref) {
  if (ref->type != IKE_PT_NOTIFY || ref->body.len < 4)
    return 0;
  return (uint16_t)(ref->body.ptr[2] << 8 | ref->body.ptr[3]);
}

int ike_chain_find_notify(const struct ike_chain *chain, uint16_t notify_type) {
  for (size_t i = 0; i < chain->count; i++)
    if (chain->payloads[i].type == IKE_PT_NOTIFY &&
        ike_ref_notify_type(&chain->payloads[i]) == notify_type)
      return (int)i;
  return -1;
}

/* ---- building ------------------------------------------------------------------------------- */

static bool is_encrypted_out(const struct ike_payload_out *p) {
  const struct ike_payload_desc *desc = ike_payload_desc(p->type);
  return p->body && desc && (desc->flags & IKE_PD_ENCRYPTED);
}

/* The Next Payload of payload i: the following payload, or for SK/SKF the first inner one. */
static uint8_t next_payload_of(const struct ike_payload_out *payloads, size_t count, size_t i) {
  const struct ike_payload_out *p = &payloads[i];
  if (is_encrypted_out(p))
    return p->type == IKE_PT_SK ? p->body->sk.first_inner : p->body->skf.first_inner;
  return i + 1 < count ? payloads[i + 1].type : IKE_PT_NONE;
}

static enum ike_err build_one(struct wire_writer *w, const struct ike_payload_out *p, uint8_t next,
                              size_t *encrypted_offset, struct ike_error *err) {
  size_t start = wire_writer_len(w);
  wire_write_u8(w, next);
  wire_write_u8(w, p->critical ? IKE_PAYLOAD_CRITICAL : 0);
  size_t length_at = wire_reserve(w, 2);
  if (p->body) {
    enum ike_err rc = ike_payload_build_body(w, p->type, p->body, encrypted_offset, err);
    if (rc != IKE_OK)
      return rc;
  } else if (p->raw.len > 0 && p->raw.ptr == NULL) {
    return chain_fail(err, IKE_ERR_BUILD_INVALID, p->type, "raw body", start);
  } else {
    wire_write_bytes(w, p->raw.ptr, p->raw.len);
  }
  if (!wire_writer_ok(w))
    return chain_fail(err, IKE_ERR_BUILD_SPACE, p->type, "Payload", start);
  size_t length = wire_writer_len(w) - start;
  if (length > IKE_MAX_PAYLOAD_LEN)
    return chain_fail(err, IKE_ERR_BUILD_INVALID, p->type, "Payload Length", start + 2);
  wire_patch_be16(w, length_at, (uint16_t)length);
  return IKE_OK;
}

enum ike_err ike_chain_build(struct wire_writer *w, const struct ike_payload_out *payloads,
                             size_t count, uint8_t *first_type, struct ike_build_info *info,
                             struct ike_error *err) {
  struct ike_error scratch;
  struct ike_build_info info_scratch;
  if (!err)
    err = &scratch;
  if (!info)
    info = &info_scratch;
  clear_error(err);
  size_t start = wire_writer_len(w);
  info->encrypted_offset = SIZE_MAX;
  for (size_t i = 0; i < count; i++) {
    if (is_encrypted_out(&payloads[i]) && i + 1 != count)
      return chain_fail(err, IKE_ERR_BUILD_INVALID, payloads[i].type, "SK must be last",
                        wire_writer_len(w));
    size_t encrypted_offset = SIZE_MAX;
    enum ike_err rc =
        build_one(w, &payloads[i], next_payload_of(payloads, count, i), &encrypted_offset, err);
    if (rc != IKE_OK)
      return rc;
    if (encrypted_offset != SIZE_MAX)
      info->encrypted_offset = encrypted_offset;
  }
  if (first_type)
    *first_type = count ? payloads[0].type : IKE_PT_NONE;
  info->length = wire_writer_len(w) - start;
  return IKE_OK;
}

enum ike_err ike_message_build(struct wire_writer *w, const struct ike_header *hdr,
                               const struct ike_payload_out *payloads, size_t count,
                               struct ike_build_info *info, struct ike_error *err) {
  struct ike_error scratch;
  struct ike_build_info info_scratch;
  if (!err)
    err = &scratch;
  if (!info)
    info = &info_scratch;
  clear_error(err);
  size_t start = wire_writer_len(w);
  struct ike_header first = *hdr;
  first.next_payload = count ? payloads[0].type : IKE_PT_NONE;
  first.length = 0; /* patched below, once the chain is written */
  if (!ike_header_build(w, &first))
    return chain_fail(err, IKE_ERR_BUILD_SPACE, IKE_PT_NONE, "IKE header", start);
  enum ike_err rc = ike_chain_build(w, payloads, count, NULL, info, err);
  if (rc != IKE_OK)
    return rc;
  info->length = wire_writer_len(w) - start;
  if (info->length > UINT32_MAX)
    return chain_fail(err, IKE_ERR_BUILD_INVALID, IKE_PT_NONE, "Length", start + 24);
  wire_patch_be32(w, start + 24, (uint32_t)info->length);
  return IKE_OK;
}
