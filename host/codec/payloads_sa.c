/* SA payload (RFC 7296 3.3): a list of proposals, each a list of transforms, each with optional
 * attributes. Three nested length fields must agree with each other (SA payload > Proposal
 * Length > Transform Length > attribute lengths) and the counts and "Last Substruc" markers
 * must agree with what the lengths enclose; any disagreement is IKE_ERR_LENGTH_MISMATCH. */
#include "codec_internal.h"

enum {
  SUBSTRUC_PREFIX_LEN = 4, /* Last Substruc, RESERVED, Length: read before the sub-reader */
  PROPOSAL_HEADER_LEN = 8,
  TRANSFORM_HEADER_LEN = 8,
  ATTR_HEADER_LEN = 4,
  LAST_SUBSTRUC = 0,
  MORE_PROPOSALS = 2,
  MORE_TRANSFORMS = 3,
};

/* RFC 7296 3.3.1: IKE proposals carry no SPI in IKE_SA_INIT and the 8-octet new SPI when
 * rekeying; AH and ESP SPIs are 4 octets. Unknown protocols are left to the negotiator. */
static bool spi_size_ok(uint8_t protocol, size_t spi_size) {
  switch (protocol) {
  case IKE_PROTO_IKE:
    return spi_size == 0 || spi_size == 8;
  case IKE_PROTO_AH:
  case IKE_PROTO_ESP:
    return spi_size == 4;
  default:
    return spi_size <= UINT8_MAX;
  }
}

/* ---- parsing -------------------------------------------------------------------------------- */

/* Transform attributes. `base` is the body offset of the reader's first octet. */
static bool parse_attributes(struct ike_parse_in *in, struct wire_reader *attrs, size_t base,
                             struct ike_transform *t) {
  while (wire_remaining(attrs) > 0) {
    size_t at = base + attrs->pos;
    if (wire_remaining(attrs) < ATTR_HEADER_LEN)
      return codec_parse_fail_at(in, IKE_ERR_LENGTH_MISMATCH, "Transform Attribute", at);
    uint16_t format_and_type = wire_read_be16(attrs);
    uint16_t attr_type = format_and_type & ~IKE_ATTR_FORMAT_TV;
    if (format_and_type & IKE_ATTR_FORMAT_TV) {
      uint16_t value = wire_read_be16(attrs);
      if (attr_type != IKE_ATTR_KEY_LENGTH) {
        t->unknown_attrs += t->unknown_attrs < UINT8_MAX;
      } else if (t->has_key_length) {
        return codec_parse_fail_at(in, IKE_ERR_FIELD_VALUE, "Key Length (repeated)", at);
      } else {
        t->has_key_length = true;
        t->key_length = value;
      }
      continue;
    }
    /* TLV: the Key Length attribute is only ever TV (RFC 7296 3.3.5). */
    if (attr_type == IKE_ATTR_KEY_LENGTH)
      return codec_parse_fail_at(in, IKE_ERR_FIELD_VALUE, "Attribute Format", at);
    uint16_t value_len = wire_read_be16(attrs);
    if (!wire_skip(attrs, value_len))
      return codec_parse_fail_at(in, IKE_ERR_LENGTH_MISMATCH, "Attribute Length", at + 2);
    t->unknown_attrs += t->unknown_attrs < UINT8_MAX;
  }
  return true;
}

/* One transform from the proposal reader; `base` is the body offset of the proposal reader's
 * first octet. Reports the transform's Last Substruc value in *last. */
static bool parse_transform(struct ike_parse_in *in, struct wire_reader *prop, size_t base,
                            struct ike_sa_payload *sa, uint8_t *last) {
  size_t start = base + prop->pos;
  if (wire_remaining(prop) < TRANSFORM_HEADER_LEN)
    return codec_parse_fail_at(in, IKE_ERR_LENGTH_MISMATCH, "Transform Length", start);
  *last = wire_read_u8(prop);
  wire_skip(prop, 1);
  uint16_t length = wire_read_be16(prop);
  if (*last != LAST_SUBSTRUC && *last != MORE_TRANSFORMS)
    return codec_parse_fail_at(in, IKE_ERR_FIELD_VALUE, "Last Substruc (transform)", start);
  if (length < TRANSFORM_HEADER_LEN || (size_t)length - SUBSTRUC_PREFIX_LEN > wire_remaining(prop))
    return codec_parse_fail_at(in, IKE_ERR_LENGTH_MISMATCH, "Transform Length", start + 2);
  if (sa->transform_count >= IKE_MAX_TRANSFORMS)
    return codec_parse_fail_at(in, IKE_ERR_TOO_MANY_ITEMS, "Transform", start);
  struct wire_reader body;
  wire_read_sub(prop, length - SUBSTRUC_PREFIX_LEN, &body);
  struct ike_transform *t = &sa->transforms[sa->transform_count++];
  *t = (struct ike_transform){0};
  t->type = wire_read_u8(&body);
  wire_skip(&body, 1);
  t->id = wire_read_be16(&body);
  return parse_attributes(in, &body, start + SUBSTRUC_PREFIX_LEN, t);
}

/* The transforms of proposal p, up to the end of the proposal; the caller checks the count. */
static bool parse_transforms(struct ike_parse_in *in, struct wire_reader *prop, size_t base,
                             struct ike_sa_payload *sa, size_t *parsed) {
  uint8_t last = MORE_TRANSFORMS;
  *parsed = 0;
  while (wire_remaining(prop) > 0) {
    if (last == LAST_SUBSTRUC)
      return codec_parse_fail_at(in, IKE_ERR_LENGTH_MISMATCH, "Last Substruc (transform)",
                                 base + prop->pos);
    if (!parse_transform(in, prop, base, sa, &last))
      return false;
    ++*parsed;
  }
  if (*parsed > 0 && last != LAST_SUBSTRUC)
    return codec_parse_fail_at(in, IKE_ERR_LENGTH_MISMATCH, "Last Substruc (transform)",
                               base + prop->pos);
  return true;
}

static bool parse_proposal(struct ike_parse_in *in, struct ike_sa_payload *sa, uint8_t *last) {
  struct wire_reader *r = &in->body;
  size_t start = r->pos;
  if (wire_remaining(r) < PROPOSAL_HEADER_LEN)
    return codec_parse_fail_at(in, IKE_ERR_LENGTH_MISMATCH, "Proposal Length", start);
  *last = wire_read_u8(r);
  wire_skip(r, 1);
  uint16_t length = wire_read_be16(r);
  if (*last != LAST_SUBSTRUC && *last != MORE_PROPOSALS)
    return codec_parse_fail_at(in, IKE_ERR_FIELD_VALUE, "Last Substruc (proposal)", start);
  if (length < PROPOSAL_HEADER_LEN || (size_t)length - SUBSTRUC_PREFIX_LEN > wire_remaining(r))
    return codec_parse_fail_at(in, IKE_ERR_LENGTH_MISMATCH, "Proposal Length", start + 2);
  if (sa->proposal_count >= IKE_MAX_PROPOSALS)
    return codec_parse_fail_at(in, IKE_ERR_TOO_MANY_ITEMS, "Proposal", start);
  struct wire_reader prop;
  wire_read_sub(r, length - SUBSTRUC_PREFIX_LEN, &prop);
  struct ike_proposal *p = &sa->proposals[sa->proposal_count];
  *p = (struct ike_proposal){.first_transform = (uint16_t)sa->transform_count};
  p->number = wire_read_u8(&prop);
  p->protocol = wire_read_u8(&prop);
  uint8_t spi_size = wire_read_u8(&prop);
  uint8_t declared = wire_read_u8(&prop);
  /* RFC 7296 3.3.1: numbers start at 1 and each next proposal is one more. */
  uint8_t expected = sa->proposal_count ? sa->proposals[sa->proposal_count - 1].number + 1 : 0;
  if (p->number == 0 || (sa->proposal_count > 0 && p->number != expected))
    return codec_parse_fail_at(in, IKE_ERR_FIELD_VALUE, "Proposal Num", start + 4);
  if (!spi_size_ok(p->protocol, spi_size))
    return codec_parse_fail_at(in, IKE_ERR_FIELD_VALUE, "SPI Size", start + 6);
  if (spi_size > wire_remaining(&prop))
    return codec_parse_fail_at(in, IKE_ERR_LENGTH_MISMATCH, "SPI Size", start + 6);
  p->spi = wire_read_view(&prop, spi_size);
  sa->proposal_count++;
  size_t parsed;
  if (!parse_transforms(in, &prop, start + SUBSTRUC_PREFIX_LEN, sa, &parsed))
    return false;
  if (parsed != declared)
    return codec_parse_fail_at(in, IKE_ERR_LENGTH_MISMATCH, "Num Transforms", start + 7);
  p->transform_count = declared;
  return true;
}

bool codec_parse_sa(struct ike_parse_in *in, union ike_payload_body *out) {
  struct ike_sa_payload *sa = &out->sa;
  sa->proposal_count = 0;
  sa->transform_count = 0;
  uint8_t last = MORE_PROPOSALS;
  while (wire_remaining(&in->body) > 0) {
    if (last == LAST_SUBSTRUC)
      return codec_parse_fail(in, IKE_ERR_LENGTH_MISMATCH, "Last Substruc (proposal)");
    if (!parse_proposal(in, sa, &last))
      return false;
  }
  if (last != LAST_SUBSTRUC)
    return codec_parse_fail(in, IKE_ERR_LENGTH_MISMATCH, "Last Substruc (proposal)");
  return true;
}

/* ---- building ------------------------------------------------------------------------------- */

static void build_transform(struct wire_writer *w, const struct ike_transform *t, bool is_last) {
  size_t start = wire_writer_len(w);
  wire_write_u8(w, is_last ? LAST_SUBSTRUC : MORE_TRANSFORMS);
  wire_write_u8(w, 0);
  size_t length_at = wire_reserve(w, 2);
  wire_write_u8(w, t->type);
  wire_write_u8(w, 0);
  wire_write_be16(w, t->id);
  if (t->has_key_length) {
    wire_write_be16(w, IKE_ATTR_FORMAT_TV | IKE_ATTR_KEY_LENGTH);
    wire_write_be16(w, t->key_length);
  }
  wire_patch_be16(w, length_at, (uint16_t)(wire_writer_len(w) - start));
}

static bool proposal_buildable(struct ike_build_out *out, const struct ike_sa_payload *sa,
                               const struct ike_proposal *p) {
  if ((size_t)p->first_transform + p->transform_count > sa->transform_count)
    return codec_build_fail(out, IKE_ERR_BUILD_INVALID, "Num Transforms");
  if (!spi_size_ok(p->protocol, p->spi.len) || (p->spi.len > 0 && p->spi.ptr == NULL))
    return codec_build_fail(out, IKE_ERR_BUILD_INVALID, "SPI Size");
  return true;
}

static bool build_proposal(struct ike_build_out *out, const struct ike_sa_payload *sa,
                           const struct ike_proposal *p, bool is_last) {
  if (!proposal_buildable(out, sa, p))
    return false;
  struct wire_writer *w = out->w;
  size_t start = wire_writer_len(w);
  wire_write_u8(w, is_last ? LAST_SUBSTRUC : MORE_PROPOSALS);
  wire_write_u8(w, 0);
  size_t length_at = wire_reserve(w, 2);
  wire_write_u8(w, p->number);
  wire_write_u8(w, p->protocol);
  wire_write_u8(w, (uint8_t)p->spi.len);
  wire_write_u8(w, p->transform_count);
  wire_write_bytes(w, p->spi.ptr, p->spi.len);
  for (size_t i = 0; i < p->transform_count; i++)
    build_transform(w, ike_proposal_transform(sa, p, i), i + 1 == p->transform_count);
  /* At most 255 transforms of 12 octets: the length always fits 16 bits. */
  wire_patch_be16(w, length_at, (uint16_t)(wire_writer_len(w) - start));
  return true;
}

bool codec_build_sa(struct ike_build_out *out, const union ike_payload_body *in) {
  const struct ike_sa_payload *sa = &in->sa;
  if (sa->proposal_count == 0 || sa->proposal_count > IKE_MAX_PROPOSALS ||
      sa->transform_count > IKE_MAX_TRANSFORMS)
    return codec_build_fail(out, IKE_ERR_BUILD_INVALID, "Proposal");
  for (size_t i = 0; i < sa->proposal_count; i++)
    if (!build_proposal(out, sa, &sa->proposals[i], i + 1 == sa->proposal_count))
      return false;
  return true;
}

/* ---- helpers for preparing an SA ------------------------------------------------------------ */

bool ike_sa_add_proposal(struct ike_sa_payload *sa, uint8_t number, uint8_t protocol,
                         struct wire_view spi) {
  if (sa->proposal_count >= IKE_MAX_PROPOSALS)
    return false;
  sa->proposals[sa->proposal_count++] = (struct ike_proposal){
      .number = number,
      .protocol = protocol,
      .spi = spi,
      .first_transform = (uint16_t)sa->transform_count,
  };
  return true;
}

bool ike_sa_add_transform(struct ike_sa_payload *sa, uint8_t type, uint16_t id,
                          uint16_t key_length_bits) {
  if (sa->proposal_count == 0 || sa->transform_count >= IKE_MAX_TRANSFORMS)
    return false;
  struct ike_proposal *p = &sa->proposals[sa->proposal_count - 1];
  if (p->transform_count == UINT8_MAX)
    return false;
  sa->transforms[sa->transform_count++] = (struct ike_transform){
      .type = type,
      .id = id,
      .has_key_length = key_length_bits != 0,
      .key_length = key_length_bits,
  };
  p->transform_count++;
  return true;
}
