/* The payloads with a small fixed part and one opaque field: KE, IDi/IDr, CERT/CERTREQ, AUTH,
 * Nonce, Notify, Delete, Vendor ID, SK and SKF (RFC 7296 3.4-3.12, 3.14; RFC 7383 2.5).
 * The table guarantees each body's fixed part (min_body) is present before a parser runs. */
#include "codec_internal.h"
#include "ikecodec_notify.h"

static struct wire_view read_rest(struct wire_reader *r) {
  return wire_read_view(r, wire_remaining(r));
}

/* A view with a length but no bytes is a caller bug we refuse rather than dereference. */
static bool write_view(struct ike_build_out *out, struct wire_view v, const char *field) {
  if (v.len > 0 && v.ptr == NULL)
    return codec_build_fail(out, IKE_ERR_BUILD_INVALID, field);
  wire_write_bytes(out->w, v.ptr, v.len);
  return true;
}

/* ---- KE: KE Method (2) | RESERVED (2) | Key Exchange Data ---------------------------------- */

bool codec_parse_ke(struct ike_parse_in *in, union ike_payload_body *out) {
  struct wire_reader *r = &in->body;
  out->ke.ke_method = wire_read_be16(r);
  wire_skip(r, 2);
  if (wire_remaining(r) == 0)
    return codec_parse_fail(in, IKE_ERR_FIELD_VALUE, "Key Exchange Data");
  out->ke.data = read_rest(r);
  return true;
}

bool codec_build_ke(struct ike_build_out *out, const union ike_payload_body *in) {
  if (in->ke.data.len == 0)
    return codec_build_fail(out, IKE_ERR_BUILD_INVALID, "Key Exchange Data");
  wire_write_be16(out->w, in->ke.ke_method);
  wire_write_zeros(out->w, 2);
  return write_view(out, in->ke.data, "Key Exchange Data");
}

/* ---- IDi/IDr: ID Type (1) | RESERVED (3) | Identification Data ------------------------------ */

/* Address IDs have a fixed size; other types are free-form. */
static bool id_data_len_ok(uint8_t id_type, size_t len) {
  switch (id_type) {
  case IKE_ID_IPV4_ADDR:
    return len == 4;
  case IKE_ID_IPV6_ADDR:
    return len == 16;
  default:
    return true;
  }
}

bool codec_parse_id(struct ike_parse_in *in, union ike_payload_body *out) {
  struct wire_reader *r = &in->body;
  out->id.id_type = wire_read_u8(r);
  wire_skip(r, 3);
  if (!id_data_len_ok(out->id.id_type, wire_remaining(r)))
    return codec_parse_fail(in, IKE_ERR_LENGTH_MISMATCH, "Identification Data");
  out->id.data = read_rest(r);
  return true;
}

bool codec_build_id(struct ike_build_out *out, const union ike_payload_body *in) {
  if (!id_data_len_ok(in->id.id_type, in->id.data.len))
    return codec_build_fail(out, IKE_ERR_BUILD_INVALID, "Identification Data");
  wire_write_u8(out->w, in->id.id_type);
  wire_write_zeros(out->w, 3);
  return write_view(out, in->id.data, "Identification Data");
}

/* ---- CERT/CERTREQ: Encoding (1) | data ------------------------------------------------------ */

bool codec_parse_cert(struct ike_parse_in *in, union ike_payload_body *out) {
  struct wire_reader *r = &in->body;
  out->cert.encoding = wire_read_u8(r);
  out->cert.data = read_rest(r);
  return true;
}

bool codec_build_cert(struct ike_build_out *out, const union ike_payload_body *in) {
  wire_write_u8(out->w, in->cert.encoding);
  return write_view(out, in->cert.data, "Certificate Data");
}

/* ---- AUTH: Auth Method (1) | RESERVED (3) | Authentication Data ----------------------------- */

bool codec_parse_auth(struct ike_parse_in *in, union ike_payload_body *out) {
  struct wire_reader *r = &in->body;
  out->auth.method = wire_read_u8(r);
  wire_skip(r, 3);
  out->auth.data = read_rest(r);
  return true;
}

bool codec_build_auth(struct ike_build_out *out, const union ike_payload_body *in) {
  wire_write_u8(out->w, in->auth.method);
  wire_write_zeros(out->w, 3);
  return write_view(out, in->auth.data, "Authentication Data");
}

/* ---- Nonce: 16..256 octets ------------------------------------------------------------------ */

bool codec_parse_nonce(struct ike_parse_in *in, union ike_payload_body *out) {
  struct wire_reader *r = &in->body;
  if (wire_remaining(r) > IKE_NONCE_MAX)
    return codec_parse_fail(in, IKE_ERR_FIELD_VALUE, "Nonce Data");
  out->nonce.data = read_rest(r);
  return true;
}

bool codec_build_nonce(struct ike_build_out *out, const union ike_payload_body *in) {
  if (in->nonce.data.len < IKE_NONCE_MIN || in->nonce.data.len > IKE_NONCE_MAX)
    return codec_build_fail(out, IKE_ERR_BUILD_INVALID, "Nonce Data");
  return write_view(out, in->nonce.data, "Nonce Data");
}

/* ---- Notify: Protocol (1) | SPI Size (1) | Type (2) | SPI | Notification Data --------------- */

bool codec_parse_notify(struct ike_parse_in *in, union ike_payload_body *out) {
  struct wire_reader *r = &in->body;
  out->notify.protocol = wire_read_u8(r);
  uint8_t spi_size = wire_read_u8(r);
  out->notify.type = wire_read_be16(r);
  if (spi_size > wire_remaining(r))
    return codec_parse_fail_at(in, IKE_ERR_LENGTH_MISMATCH, "SPI Size", 1);
  out->notify.spi = wire_read_view(r, spi_size);
  if (!ike_notify_data_len_ok(out->notify.type, wire_remaining(r)))
    return codec_parse_fail(in, IKE_ERR_FIELD_VALUE, "Notification Data");
  out->notify.data = read_rest(r);
  return true;
}

bool codec_build_notify(struct ike_build_out *out, const union ike_payload_body *in) {
  const struct ike_notify_payload *n = &in->notify;
  if (n->spi.len > UINT8_MAX)
    return codec_build_fail(out, IKE_ERR_BUILD_INVALID, "SPI Size");
  if (!ike_notify_data_len_ok(n->type, n->data.len))
    return codec_build_fail(out, IKE_ERR_BUILD_INVALID, "Notification Data");
  wire_write_u8(out->w, n->protocol);
  wire_write_u8(out->w, (uint8_t)n->spi.len);
  wire_write_be16(out->w, n->type);
  return write_view(out, n->spi, "SPI") && write_view(out, n->data, "Notification Data");
}

/* ---- Delete: Protocol (1) | SPI Size (1) | Num of SPIs (2) | SPIs --------------------------- */

/* RFC 7296 3.11: the IKE SA is deleted with no SPI (its SPIs are in the header); AH and ESP
 * SAs are named by 4-octet SPIs. Other protocols cannot be deleted. */
static bool delete_shape_ok(uint8_t protocol, uint8_t spi_size, uint16_t count) {
  switch (protocol) {
  case IKE_PROTO_IKE:
    return spi_size == 0 && count == 0;
  case IKE_PROTO_AH:
  case IKE_PROTO_ESP:
    return spi_size == 4;
  default:
    return false;
  }
}

bool codec_parse_delete(struct ike_parse_in *in, union ike_payload_body *out) {
  struct wire_reader *r = &in->body;
  struct ike_delete_payload *d = &out->del;
  d->protocol = wire_read_u8(r);
  d->spi_size = wire_read_u8(r);
  d->spi_count = wire_read_be16(r);
  if (!delete_shape_ok(d->protocol, d->spi_size, d->spi_count))
    return codec_parse_fail_at(in, IKE_ERR_FIELD_VALUE, "Protocol ID / SPI Size", 0);
  if ((size_t)d->spi_count * d->spi_size != wire_remaining(r))
    return codec_parse_fail_at(in, IKE_ERR_LENGTH_MISMATCH, "Num of SPIs", 2);
  d->spis = read_rest(r);
  return true;
}

bool codec_build_delete(struct ike_build_out *out, const union ike_payload_body *in) {
  const struct ike_delete_payload *d = &in->del;
  if (!delete_shape_ok(d->protocol, d->spi_size, d->spi_count))
    return codec_build_fail(out, IKE_ERR_BUILD_INVALID, "Protocol ID / SPI Size");
  if ((size_t)d->spi_count * d->spi_size != d->spis.len)
    return codec_build_fail(out, IKE_ERR_BUILD_INVALID, "Num of SPIs");
  wire_write_u8(out->w, d->protocol);
  wire_write_u8(out->w, d->spi_size);
  wire_write_be16(out->w, d->spi_count);
  return write_view(out, d->spis, "SPIs");
}

uint32_t ike_delete_spi32(const struct ike_delete_payload *del, size_t i) {
  if (del->spi_size != 4 || i >= del->spi_count || (i + 1) * 4 > del->spis.len)
    return 0;
  struct wire_reader r;
  wire_reader_init(&r, del->spis.ptr + i * 4, 4);
  return wire_read_be32(&r);
}

/* ---- Vendor ID: opaque ---------------------------------------------------------------------- */

bool codec_parse_vendor(struct ike_parse_in *in, union ike_payload_body *out) {
  out->vendor.data = read_rest(&in->body);
  return true;
}

bool codec_build_vendor(struct ike_build_out *out, const union ike_payload_body *in) {
  return write_view(out, in->vendor.data, "Vendor ID");
}

/* ---- SK: IV | ciphertext | ICV, all opaque here --------------------------------------------- */

/* Building with encrypted.ptr == NULL reserves the space so the crypto layer can encrypt in
 * place once the lengths (part of the AAD) are final. */
static bool write_encrypted(struct ike_build_out *out, struct wire_view encrypted) {
  out->encrypted_offset = wire_writer_len(out->w);
  if (encrypted.ptr != NULL)
    return write_view(out, encrypted, "Encrypted Data");
  if (wire_reserve(out->w, encrypted.len) == SIZE_MAX)
    return codec_build_fail(out, IKE_ERR_BUILD_SPACE, "Encrypted Data");
  return true;
}

bool codec_parse_sk(struct ike_parse_in *in, union ike_payload_body *out) {
  out->sk.first_inner = in->next_payload;
  out->sk.encrypted = read_rest(&in->body);
  return true;
}

bool codec_build_sk(struct ike_build_out *out, const union ike_payload_body *in) {
  return write_encrypted(out, in->sk.encrypted);
}

/* ---- SKF: Fragment Number (2) | Total Fragments (2) | IV | ciphertext | ICV ----------------- */

/* RFC 7383 2.5: numbers start at 1, never exceed the total, and only fragment 1 names the first
 * inner payload. A fragment breaking this is discarded (IKE_ERR_FRAGMENT maps to a drop). */
static const char *fragment_fault(uint16_t number, uint16_t total, uint8_t next_payload) {
  if (number == 0 || number > total)
    return "Fragment Number";
  if (number > 1 && next_payload != IKE_PT_NONE)
    return "Next Payload";
  return NULL;
}

bool codec_parse_skf(struct ike_parse_in *in, union ike_payload_body *out) {
  struct wire_reader *r = &in->body;
  struct ike_skf_payload *f = &out->skf;
  f->first_inner = in->next_payload;
  f->fragment_number = wire_read_be16(r);
  f->total_fragments = wire_read_be16(r);
  const char *fault = fragment_fault(f->fragment_number, f->total_fragments, f->first_inner);
  if (fault)
    return codec_parse_fail_at(in, IKE_ERR_FRAGMENT, fault, 0);
  f->encrypted = read_rest(r);
  return true;
}

bool codec_build_skf(struct ike_build_out *out, const union ike_payload_body *in) {
  const struct ike_skf_payload *f = &in->skf;
  const char *fault = fragment_fault(f->fragment_number, f->total_fragments, f->first_inner);
  if (fault)
    return codec_build_fail(out, IKE_ERR_BUILD_INVALID, fault);
  wire_write_be16(out->w, f->fragment_number);
  wire_write_be16(out->w, f->total_fragments);
  return write_encrypted(out, f->encrypted);
}

bool ike_encrypted_split(struct wire_view encrypted, size_t iv_len, size_t icv_len,
                         struct wire_view *iv, struct wire_view *ciphertext,
                         struct wire_view *icv) {
  struct wire_reader r;
  wire_reader_init(&r, encrypted.ptr, encrypted.len);
  if (iv_len > encrypted.len || icv_len > encrypted.len - iv_len)
    return false;
  *iv = wire_read_view(&r, iv_len);
  *ciphertext = wire_read_view(&r, encrypted.len - iv_len - icv_len);
  *icv = wire_read_view(&r, icv_len);
  return wire_reader_ok(&r);
}
