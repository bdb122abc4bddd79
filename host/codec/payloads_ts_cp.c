/* Traffic Selector payloads (RFC 7296 3.13) and the Configuration payload (3.15): both are a
 * small header followed by a counted or length-delimited list. */
#include "codec_internal.h"

enum {
  TS_HEADER_LEN = 4,      /* TS Type (1) | IP Protocol ID (1) | Selector Length (2) */
  TS_IPV4_LEN = 16,       /* header + ports (4) + 2 x 4-octet address */
  TS_IPV6_LEN = 40,       /* header + ports (4) + 2 x 16-octet address */
  CP_ATTR_HEADER_LEN = 4, /* R + Attribute Type (2) | Length (2) */
  CP_ATTR_TYPE_MASK = 0x7fff,
};

/* Selector length for the address-range types; 0 for types we keep opaque. */
static size_t ts_fixed_len(uint8_t type) {
  switch (type) {
  case IKE_TS_IPV4_ADDR_RANGE:
    return TS_IPV4_LEN;
  case IKE_TS_IPV6_ADDR_RANGE:
    return TS_IPV6_LEN;
  default:
    return 0;
  }
}

static size_t ts_addr_len(uint8_t type) { return (ts_fixed_len(type) - TS_HEADER_LEN - 4) / 2; }

/* ---- TSi/TSr: Number of TSs (1) | RESERVED (3) | selectors ---------------------------------- */

static bool parse_selector(struct ike_parse_in *in, struct ike_ts *ts) {
  struct wire_reader *r = &in->body;
  size_t start = r->pos;
  if (wire_remaining(r) < TS_HEADER_LEN)
    return codec_parse_fail_at(in, IKE_ERR_LENGTH_MISMATCH, "Number of TSs", 0);
  *ts = (struct ike_ts){0};
  ts->type = wire_read_u8(r);
  ts->ip_protocol = wire_read_u8(r);
  uint16_t length = wire_read_be16(r);
  size_t fixed = ts_fixed_len(ts->type);
  if (length < TS_HEADER_LEN || (fixed && length != fixed) ||
      (size_t)length - TS_HEADER_LEN > wire_remaining(r))
    return codec_parse_fail_at(in, IKE_ERR_LENGTH_MISMATCH, "Selector Length", start + 2);
  if (!fixed) {
    wire_skip(r, length - TS_HEADER_LEN);
    ts->raw = (struct wire_view){r->data + start, length};
    return true;
  }
  size_t addr_len = ts_addr_len(ts->type);
  ts->start_port = wire_read_be16(r);
  ts->end_port = wire_read_be16(r);
  wire_read_bytes(r, ts->start_addr, addr_len);
  wire_read_bytes(r, ts->end_addr, addr_len);
  return true;
}

bool codec_parse_ts(struct ike_parse_in *in, union ike_payload_body *out) {
  struct ike_ts_payload *tsp = &out->ts;
  struct wire_reader *r = &in->body;
  uint8_t declared = wire_read_u8(r);
  wire_skip(r, 3);
  if (declared == 0)
    return codec_parse_fail_at(in, IKE_ERR_FIELD_VALUE, "Number of TSs", 0);
  if (declared > IKE_MAX_TS)
    return codec_parse_fail_at(in, IKE_ERR_TOO_MANY_ITEMS, "Number of TSs", 0);
  tsp->count = 0;
  while (tsp->count < declared)
    if (!parse_selector(in, &tsp->selectors[tsp->count++]))
      return false;
  if (wire_remaining(r) > 0)
    return codec_parse_fail_at(in, IKE_ERR_LENGTH_MISMATCH, "Number of TSs", 0);
  return true;
}

/* An opaque selector is written verbatim, so it must already be a well-formed selector. */
static bool raw_selector_ok(const struct ike_ts *ts) {
  const struct wire_view *raw = &ts->raw;
  if (raw->ptr == NULL || raw->len < TS_HEADER_LEN || raw->len > UINT16_MAX)
    return false;
  return raw->ptr[0] == ts->type && ((size_t)raw->ptr[2] << 8 | raw->ptr[3]) == raw->len;
}

static bool build_selector(struct ike_build_out *out, const struct ike_ts *ts) {
  struct wire_writer *w = out->w;
  size_t fixed = ts_fixed_len(ts->type);
  if (!fixed) {
    if (!raw_selector_ok(ts))
      return codec_build_fail(out, IKE_ERR_BUILD_INVALID, "Traffic Selector");
    wire_write_bytes(w, ts->raw.ptr, ts->raw.len);
    return true;
  }
  size_t addr_len = ts_addr_len(ts->type);
  wire_write_u8(w, ts->type);
  wire_write_u8(w, ts->ip_protocol);
  wire_write_be16(w, (uint16_t)fixed);
  wire_write_be16(w, ts->start_port);
  wire_write_be16(w, ts->end_port);
  wire_write_bytes(w, ts->start_addr, addr_len);
  wire_write_bytes(w, ts->end_addr, addr_len);
  return true;
}

bool codec_build_ts(struct ike_build_out *out, const union ike_payload_body *in) {
  const struct ike_ts_payload *tsp = &in->ts;
  if (tsp->count == 0 || tsp->count > IKE_MAX_TS)
    return codec_build_fail(out, IKE_ERR_BUILD_INVALID, "Number of TSs");
  wire_write_u8(out->w, (uint8_t)tsp->count);
  wire_write_zeros(out->w, 3);
  for (size_t i = 0; i < tsp->count; i++)
    if (!build_selector(out, &tsp->selectors[i]))
      return false;
  return true;
}

/* ---- CP: CFG Type (1) | RESERVED (3) | attributes ------------------------------------------- */

static bool cfg_type_ok(uint8_t cfg_type) {
  return cfg_type >= IKE_CFG_REQUEST && cfg_type <= IKE_CFG_ACK;
}

bool codec_parse_cp(struct ike_parse_in *in, union ike_payload_body *out) {
  struct ike_cp_payload *cp = &out->cp;
  struct wire_reader *r = &in->body;
  cp->cfg_type = wire_read_u8(r);
  wire_skip(r, 3);
  if (!cfg_type_ok(cp->cfg_type))
    return codec_parse_fail_at(in, IKE_ERR_FIELD_VALUE, "CFG Type", 0);
  cp->count = 0;
  while (wire_remaining(r) > 0) {
    size_t at = r->pos;
    if (wire_remaining(r) < CP_ATTR_HEADER_LEN)
      return codec_parse_fail_at(in, IKE_ERR_LENGTH_MISMATCH, "Configuration Attribute", at);
    if (cp->count >= IKE_MAX_CP_ATTRS)
      return codec_parse_fail_at(in, IKE_ERR_TOO_MANY_ITEMS, "Configuration Attribute", at);
    struct ike_cp_attr *attr = &cp->attrs[cp->count++];
    attr->type = wire_read_be16(r) & CP_ATTR_TYPE_MASK;
    uint16_t length = wire_read_be16(r);
    attr->value = wire_read_view(r, length);
    if (!wire_reader_ok(r))
      return codec_parse_fail_at(in, IKE_ERR_LENGTH_MISMATCH, "Attribute Length", at + 2);
  }
  return true;
}

bool codec_build_cp(struct ike_build_out *out, const union ike_payload_body *in) {
  const struct ike_cp_payload *cp = &in->cp;
  if (!cfg_type_ok(cp->cfg_type))
    return codec_build_fail(out, IKE_ERR_BUILD_INVALID, "CFG Type");
  if (cp->count > IKE_MAX_CP_ATTRS)
    return codec_build_fail(out, IKE_ERR_BUILD_INVALID, "Configuration Attribute");
  wire_write_u8(out->w, cp->cfg_type);
  wire_write_zeros(out->w, 3);
  for (size_t i = 0; i < cp->count; i++) {
    const struct ike_cp_attr *attr = &cp->attrs[i];
    if (attr->type > CP_ATTR_TYPE_MASK || attr->value.len > UINT16_MAX ||
        (attr->value.len > 0 && attr->value.ptr == NULL))
      return codec_build_fail(out, IKE_ERR_BUILD_INVALID, "Configuration Attribute");
    wire_write_be16(out->w, attr->type);
    wire_write_be16(out->w, (uint16_t)attr->value.len);
    wire_write_bytes(out->w, attr->value.ptr, attr->value.len);
  }
  return true;
}
