/* Per-payload tests: each payload type is built from its typed form, compared with golden body
 * octets written from the RFC 7296 / RFC 7383 layouts, parsed back and rebuilt (identical),
 * then fed malformed bodies. The SA payload has its own file (test_codec_sa.c). */
#include "codec_test_util.h"

static uint8_t built[1024];
static uint8_t rebuilt[1024];

/* Build in -> must equal golden; parse golden -> *out; build *out -> must equal golden again. */
static void round_trip(uint8_t type, const union ike_payload_body *in, const uint8_t *golden,
                       size_t golden_len, union ike_payload_body *out) {
  size_t len = build_body(type, in, built, sizeof built);
  assert_int_equal(len, golden_len);
  assert_memory_equal(built, golden, golden_len);
  struct ike_error err;
  assert_codec_ok(parse_body(type, golden, golden_len, out, &err), &err);
  len = build_body(type, out, rebuilt, sizeof rebuilt);
  assert_int_equal(len, golden_len);
  assert_memory_equal(rebuilt, golden, golden_len);
}

static void expect_parse_error(uint8_t type, const uint8_t *body, size_t len, enum ike_err code,
                               const char *field) {
  union ike_payload_body out;
  struct ike_error err;
  enum ike_err rc = parse_body(type, body, len, &out, &err);
  assert_codec_error(rc, &err, code, type, field);
}

static void expect_build_error(uint8_t type, const union ike_payload_body *in, const char *field) {
  struct wire_writer w;
  wire_writer_init(&w, built, sizeof built);
  struct ike_error err;
  enum ike_err rc = ike_payload_build_body(&w, type, in, NULL, &err);
  assert_codec_error(rc, &err, IKE_ERR_BUILD_INVALID, type, field);
}

/* ---- KE ------------------------------------------------------------------------------------- */

static void ke_round_trip_and_errors(void **state) {
  (void)state;
  static const uint8_t key[] = {0x01, 0x02, 0x03, 0x04, 0x05};
  static const uint8_t golden[] = {0x00, 0x13, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05};
  union ike_payload_body in = {.ke = {.ke_method = 19, .data = VIEW(key)}}, out;
  round_trip(IKE_PT_KE, &in, golden, sizeof golden, &out);
  assert_int_equal(out.ke.ke_method, 19);
  assert_view_equal(out.ke.data, key, sizeof key);
  expect_parse_error(IKE_PT_KE, golden, 4, IKE_ERR_FIELD_VALUE, "Key Exchange Data");
  expect_parse_error(IKE_PT_KE, golden, 3, IKE_ERR_BODY_TOO_SHORT, NULL);
  in.ke.data.len = 0;
  expect_build_error(IKE_PT_KE, &in, "Key Exchange Data");
}

/* ---- IDi / IDr ------------------------------------------------------------------------------ */

static void id_round_trip_and_address_lengths(void **state) {
  (void)state;
  static const uint8_t addr[] = {192, 0, 2, 1};
  static const uint8_t golden_v4[] = {0x01, 0x00, 0x00, 0x00, 192, 0, 2, 1};
  union ike_payload_body in = {.id = {.id_type = IKE_ID_IPV4_ADDR, .data = VIEW(addr)}}, out;
  round_trip(IKE_PT_IDI, &in, golden_v4, sizeof golden_v4, &out);
  assert_int_equal(out.id.id_type, IKE_ID_IPV4_ADDR);
  static const uint8_t golden_fqdn[] = {0x02, 0x00, 0x00, 0x00, 'v', 'p', 'n', '.', 'e', 'x'};
  in.id = (struct ike_id_payload){IKE_ID_FQDN, view_of("vpn.ex", 6)};
  round_trip(IKE_PT_IDR, &in, golden_fqdn, sizeof golden_fqdn, &out);
  assert_view_equal(out.id.data, "vpn.ex", 6);
  static const uint8_t bad_v4[] = {0x01, 0x00, 0x00, 0x00, 192, 0, 2, 1, 7};
  expect_parse_error(IKE_PT_IDI, bad_v4, sizeof bad_v4, IKE_ERR_LENGTH_MISMATCH,
                     "Identification Data");
  static const uint8_t bad_v6[] = {0x05, 0x00, 0x00, 0x00, 0x20, 0x01};
  expect_parse_error(IKE_PT_IDR, bad_v6, sizeof bad_v6, IKE_ERR_LENGTH_MISMATCH,
                     "Identification Data");
  in.id = (struct ike_id_payload){IKE_ID_IPV6_ADDR, VIEW(addr)};
  expect_build_error(IKE_PT_IDI, &in, "Identification Data");
}

/* ---- CERT / CERTREQ / AUTH ------------------------------------------------------------------ */

static void cert_certreq_auth_round_trip(void **state) {
  (void)state;
  static const uint8_t der[] = {0x30, 0x03, 0x02, 0x01, 0x05};
  static const uint8_t golden_cert[] = {0x04, 0x30, 0x03, 0x02, 0x01, 0x05};
  union ike_payload_body in = {.cert = {IKE_CERT_X509_SIGNATURE, VIEW(der)}}, out;
  round_trip(IKE_PT_CERT, &in, golden_cert, sizeof golden_cert, &out);
  assert_int_equal(out.cert.encoding, IKE_CERT_X509_SIGNATURE);
  uint8_t golden_req[1 + 40];
  golden_req[0] = 0x04;
  for (size_t i = 1; i < sizeof golden_req; i++)
    golden_req[i] = (uint8_t)i;
  in.cert = (struct ike_cert_payload){IKE_CERT_X509_SIGNATURE, view_of(golden_req + 1, 40)};
  round_trip(IKE_PT_CERTREQ, &in, golden_req, sizeof golden_req, &out);
  assert_view_equal(out.cert.data, golden_req + 1, 40);
  static const uint8_t mac[] = {0xaa, 0xbb, 0xcc};
  static const uint8_t golden_auth[] = {0x02, 0x00, 0x00, 0x00, 0xaa, 0xbb, 0xcc};
  in.auth = (struct ike_auth_payload){.method = 2, .data = VIEW(mac)};
  round_trip(IKE_PT_AUTH, &in, golden_auth, sizeof golden_auth, &out);
  assert_int_equal(out.auth.method, 2);
  expect_parse_error(IKE_PT_AUTH, golden_auth, 3, IKE_ERR_BODY_TOO_SHORT, NULL);
  expect_parse_error(IKE_PT_CERT, golden_cert, 0, IKE_ERR_BODY_TOO_SHORT, NULL);
  in.auth.data = (struct wire_view){NULL, 3};
  expect_build_error(IKE_PT_AUTH, &in, "Authentication Data");
}

/* ---- Nonce ---------------------------------------------------------------------------------- */

static void nonce_bounds(void **state) {
  (void)state;
  static uint8_t data[IKE_NONCE_MAX + 1];
  for (size_t i = 0; i < sizeof data; i++)
    data[i] = (uint8_t)(i * 7);
  union ike_payload_body in = {.nonce = {view_of(data, IKE_NONCE_MIN)}}, out;
  round_trip(IKE_PT_NONCE, &in, data, IKE_NONCE_MIN, &out);
  in.nonce.data.len = IKE_NONCE_MAX;
  round_trip(IKE_PT_NONCE, &in, data, IKE_NONCE_MAX, &out);
  assert_int_equal(out.nonce.data.len, IKE_NONCE_MAX);
  expect_parse_error(IKE_PT_NONCE, data, IKE_NONCE_MIN - 1, IKE_ERR_BODY_TOO_SHORT, NULL);
  expect_parse_error(IKE_PT_NONCE, data, IKE_NONCE_MAX + 1, IKE_ERR_FIELD_VALUE, "Nonce Data");
  in.nonce.data.len = IKE_NONCE_MIN - 1;
  expect_build_error(IKE_PT_NONCE, &in, "Nonce Data");
  in.nonce.data.len = IKE_NONCE_MAX + 1;
  expect_build_error(IKE_PT_NONCE, &in, "Nonce Data");
}

/* ---- Notify --------------------------------------------------------------------------------- */

static void notify_round_trip(void **state) {
  (void)state;
  static const uint8_t spi[] = {0xc0, 0x01, 0x02, 0x03};
  /* REKEY_SA: protocol ESP, SPI size 4, type 16393, the SPI, no data. */
  static const uint8_t golden_rekey[] = {0x03, 0x04, 0x40, 0x09, 0xc0, 0x01, 0x02, 0x03};
  union ike_payload_body in = {.notify = {.protocol = IKE_PROTO_ESP,
                                          .type = IKE_N_REKEY_SA,
                                          .spi = VIEW(spi)}},
                         out;
  round_trip(IKE_PT_NOTIFY, &in, golden_rekey, sizeof golden_rekey, &out);
  assert_int_equal(out.notify.protocol, IKE_PROTO_ESP);
  assert_int_equal(out.notify.type, IKE_N_REKEY_SA);
  assert_view_equal(out.notify.spi, spi, 4);
  assert_int_equal(out.notify.data.len, 0);
  /* INVALID_KE_PAYLOAD: no SPI, data = the wanted KE method (2 octets). */
  static const uint8_t group[] = {0x00, 0x1f};
  static const uint8_t golden_ke[] = {0x00, 0x00, 0x00, 0x11, 0x00, 0x1f};
  in.notify = (struct ike_notify_payload){.type = IKE_N_INVALID_KE_PAYLOAD, .data = VIEW(group)};
  round_trip(IKE_PT_NOTIFY, &in, golden_ke, sizeof golden_ke, &out);
  assert_view_equal(out.notify.data, group, 2);
}

static void notify_malformed(void **state) {
  (void)state;
  static const uint8_t spi_overrun[] = {0x03, 0x08, 0x40, 0x09, 0xc0, 0x01, 0x02, 0x03};
  expect_parse_error(IKE_PT_NOTIFY, spi_overrun, sizeof spi_overrun, IKE_ERR_LENGTH_MISMATCH,
                     "SPI Size");
  /* NAT detection data is a 20-octet SHA-1 digest; COOKIE is 1..64 octets. */
  uint8_t nat[4 + 19] = {0x00, 0x00, 0x40, 0x04};
  expect_parse_error(IKE_PT_NOTIFY, nat, sizeof nat, IKE_ERR_FIELD_VALUE, "Notification Data");
  uint8_t nat_dst[4 + 21] = {0x00, 0x00, 0x40, 0x05};
  expect_parse_error(IKE_PT_NOTIFY, nat_dst, sizeof nat_dst, IKE_ERR_FIELD_VALUE,
                     "Notification Data");
  uint8_t cookie[4 + 65] = {0x00, 0x00, 0x40, 0x06};
  expect_parse_error(IKE_PT_NOTIFY, cookie, sizeof cookie, IKE_ERR_FIELD_VALUE,
                     "Notification Data");
  expect_parse_error(IKE_PT_NOTIFY, cookie, 4, IKE_ERR_FIELD_VALUE, "Notification Data");
  union ike_payload_body out;
  assert_int_equal(parse_body(IKE_PT_NOTIFY, cookie, 4 + 64, &out, NULL), IKE_OK);
  /* Types without a fixed length, and types we do not know, take any data. */
  uint8_t unknown[4 + 3] = {0x00, 0x00, 0xc3, 0x50};
  assert_int_equal(parse_body(IKE_PT_NOTIFY, unknown, sizeof unknown, &out, NULL), IKE_OK);
  assert_int_equal(out.notify.type, 50000);
  union ike_payload_body in = {.notify = {.type = IKE_N_INITIAL_CONTACT, .data = VIEW(nat)}};
  expect_build_error(IKE_PT_NOTIFY, &in, "Notification Data");
}

/* Every registry row with a fixed data length: the bounds pass, one octet either side fails. */
static void notify_data_lengths_follow_registry(void **state) {
  (void)state;
  static uint8_t body[4 + 80];
  size_t checked = 0;
  for (size_t i = 0; i < ike_notify_table_size(); i++) {
    const struct ike_notify_info *row = ike_notify_table_row(i);
    if (row->data_min == IKE_N_DATA_UNCHECKED)
      continue;
    body[2] = (uint8_t)(row->type >> 8);
    body[3] = (uint8_t)row->type;
    union ike_payload_body out;
    assert_int_equal(parse_body(IKE_PT_NOTIFY, body, 4 + (size_t)row->data_min, &out, NULL),
                     IKE_OK);
    assert_int_equal(parse_body(IKE_PT_NOTIFY, body, 4 + (size_t)row->data_max, &out, NULL),
                     IKE_OK);
    expect_parse_error(IKE_PT_NOTIFY, body, 4 + (size_t)row->data_max + 1, IKE_ERR_FIELD_VALUE,
                       "Notification Data");
    if (row->data_min > 0)
      expect_parse_error(IKE_PT_NOTIFY, body, 4 + (size_t)row->data_min - 1, IKE_ERR_FIELD_VALUE,
                         "Notification Data");
    checked++;
  }
  assert_int_equal(checked, 12);
}

/* ---- Delete --------------------------------------------------------------------------------- */

static void delete_round_trip_and_shapes(void **state) {
  (void)state;
  static const uint8_t spis[] = {0xc0, 0x01, 0x02, 0x03, 0xc0, 0x0a, 0x0b, 0x0c};
  static const uint8_t golden_esp[] = {0x03, 0x04, 0x00, 0x02, 0xc0, 0x01,
                                       0x02, 0x03, 0xc0, 0x0a, 0x0b, 0x0c};
  union ike_payload_body in = {.del = {IKE_PROTO_ESP, 4, 2, VIEW(spis)}}, out;
  round_trip(IKE_PT_DELETE, &in, golden_esp, sizeof golden_esp, &out);
  assert_int_equal(out.del.spi_count, 2);
  assert_int_equal(ike_delete_spi32(&out.del, 0), 0xc0010203);
  assert_int_equal(ike_delete_spi32(&out.del, 1), 0xc00a0b0c);
  assert_int_equal(ike_delete_spi32(&out.del, 2), 0);
  static const uint8_t golden_ike[] = {0x01, 0x00, 0x00, 0x00};
  in.del = (struct ike_delete_payload){.protocol = IKE_PROTO_IKE};
  round_trip(IKE_PT_DELETE, &in, golden_ike, sizeof golden_ike, &out);
  assert_int_equal(out.del.protocol, IKE_PROTO_IKE);
  /* Count disagreeing with the SPI octets, either way. */
  static const uint8_t short_spis[] = {0x03, 0x04, 0x00, 0x03, 0xc0, 0x01, 0x02, 0x03};
  expect_parse_error(IKE_PT_DELETE, short_spis, sizeof short_spis, IKE_ERR_LENGTH_MISMATCH,
                     "Num of SPIs");
  expect_parse_error(IKE_PT_DELETE, golden_esp, sizeof golden_esp - 1, IKE_ERR_LENGTH_MISMATCH,
                     "Num of SPIs");
  static const uint8_t ike_with_spi[] = {0x01, 0x04, 0x00, 0x01, 1, 2, 3, 4};
  expect_parse_error(IKE_PT_DELETE, ike_with_spi, sizeof ike_with_spi, IKE_ERR_FIELD_VALUE, NULL);
  static const uint8_t ike_with_count[] = {0x01, 0x00, 0x00, 0x01};
  expect_parse_error(IKE_PT_DELETE, ike_with_count, sizeof ike_with_count, IKE_ERR_FIELD_VALUE,
                     NULL);
  static const uint8_t esp_spi8[] = {0x03, 0x08, 0x00, 0x01, 1, 2, 3, 4, 5, 6, 7, 8};
  expect_parse_error(IKE_PT_DELETE, esp_spi8, sizeof esp_spi8, IKE_ERR_FIELD_VALUE, NULL);
  static const uint8_t proto0[] = {0x00, 0x00, 0x00, 0x00};
  expect_parse_error(IKE_PT_DELETE, proto0, sizeof proto0, IKE_ERR_FIELD_VALUE, NULL);
  in.del = (struct ike_delete_payload){IKE_PROTO_ESP, 4, 3, VIEW(spis)};
  expect_build_error(IKE_PT_DELETE, &in, "Num of SPIs");
}

/* ---- Vendor ID, SK, SKF --------------------------------------------------------------------- */

static void vendor_round_trip(void **state) {
  (void)state;
  static const uint8_t vid[] = {0x88, 0x2f, 0xe5, 0x6d};
  union ike_payload_body in = {.vendor = {VIEW(vid)}}, out;
  round_trip(IKE_PT_VENDOR, &in, vid, sizeof vid, &out);
  assert_view_equal(out.vendor.data, vid, sizeof vid);
  in.vendor.data = (struct wire_view){NULL, 0}; /* an empty Vendor ID is legal */
  round_trip(IKE_PT_VENDOR, &in, vid, 0, &out);
  assert_int_equal(out.vendor.data.len, 0);
}

static void sk_and_skf_round_trip(void **state) {
  (void)state;
  static const uint8_t enc[] = {0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0xee, 0xff};
  union ike_payload_body in = {.sk = {.first_inner = IKE_PT_IDI, .encrypted = VIEW(enc)}}, out;
  round_trip(IKE_PT_SK, &in, enc, sizeof enc, &out);
  static const uint8_t golden_skf[] = {0x00, 0x02, 0x00, 0x05, 0x10, 0x11, 0x12,
                                       0x13, 0x14, 0x15, 0x16, 0x17, 0xee, 0xff};
  in.skf =
      (struct ike_skf_payload){.fragment_number = 2, .total_fragments = 5, .encrypted = VIEW(enc)};
  round_trip(IKE_PT_SKF, &in, golden_skf, sizeof golden_skf, &out);
  assert_int_equal(out.skf.fragment_number, 2);
  assert_int_equal(out.skf.total_fragments, 5);
  assert_view_equal(out.skf.encrypted, enc, sizeof enc);
  expect_parse_error(IKE_PT_SKF, golden_skf, 3, IKE_ERR_BODY_TOO_SHORT, NULL);
  in.skf.fragment_number = 6;
  expect_build_error(IKE_PT_SKF, &in, "Fragment Number");
  /* In-place mode: the builder reserves the space and says where it is. */
  in.sk = (struct ike_sk_payload){.first_inner = IKE_PT_NOTIFY, .encrypted = {NULL, 24}};
  struct wire_writer w;
  wire_writer_init(&w, built, sizeof built);
  wire_write_zeros(&w, 10);
  size_t offset = 0;
  assert_int_equal(ike_payload_build_body(&w, IKE_PT_SK, &in, &offset, NULL), IKE_OK);
  assert_int_equal(offset, 10);
  assert_int_equal(wire_writer_len(&w), 34);
}

/* ---- TSi / TSr ------------------------------------------------------------------------------ */

/* clang-format off */
static const uint8_t golden_ts[] = {
    0x03, 0x00, 0x00, 0x00,                         /* 3 selectors */
    0x07, 0x06, 0x00, 0x10, 0x00, 0x50, 0x00, 0x50, /* IPv4, TCP, length 16, port 80..80 */
    10, 0, 0, 1, 10, 0, 0, 254,
    0x08, 0x00, 0x00, 0x28, 0x00, 0x00, 0xff, 0xff, /* IPv6, any, length 40, ports 0..65535 */
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x0a, 0x00, 0x00, 0x08, 0x73, 0x79, 0x73, 0x00, /* type 10 (TS_SECLABEL): kept opaque */
};
/* clang-format on */

static void ts_round_trip(void **state) {
  (void)state;
  union ike_payload_body in = {.ts = {.count = 3}}, out;
  struct ike_ts *v4 = &in.ts.selectors[0];
  *v4 = (struct ike_ts){
      .type = IKE_TS_IPV4_ADDR_RANGE, .ip_protocol = 6, .start_port = 80, .end_port = 80};
  memcpy(v4->start_addr, (const uint8_t[]){10, 0, 0, 1}, 4);
  memcpy(v4->end_addr, (const uint8_t[]){10, 0, 0, 254}, 4);
  struct ike_ts *v6 = &in.ts.selectors[1];
  *v6 = (struct ike_ts){.type = IKE_TS_IPV6_ADDR_RANGE, .end_port = 0xffff};
  memcpy(v6->start_addr, golden_ts + 28, 16);
  memcpy(v6->end_addr, golden_ts + 44, 16);
  in.ts.selectors[2] = (struct ike_ts){.type = 10, .raw = view_of(golden_ts + 60, 8)};
  round_trip(IKE_PT_TSI, &in, golden_ts, sizeof golden_ts, &out);
  assert_int_equal(out.ts.count, 3);
  assert_int_equal(out.ts.selectors[0].ip_protocol, 6);
  assert_int_equal(out.ts.selectors[0].end_port, 80);
  assert_memory_equal(out.ts.selectors[0].end_addr, ((const uint8_t[]){10, 0, 0, 254}), 4);
  assert_memory_equal(out.ts.selectors[1].end_addr, golden_ts + 44, 16);
  assert_int_equal(out.ts.selectors[2].type, 10);
  assert_view_equal(out.ts.selectors[2].raw, golden_ts + 60, 8);
  round_trip(IKE_PT_TSR, &in, golden_ts, sizeof golden_ts, &out);
}

static void ts_malformed(void **state) {
  (void)state;
  uint8_t m[sizeof golden_ts + 4];
  memcpy(m, golden_ts, sizeof golden_ts);
  m[0] = 0;
  expect_parse_error(IKE_PT_TSI, m, sizeof golden_ts, IKE_ERR_FIELD_VALUE, "Number of TSs");
  m[0] = 4; /* one more selector than present */
  expect_parse_error(IKE_PT_TSI, m, sizeof golden_ts, IKE_ERR_LENGTH_MISMATCH, "Number of TSs");
  m[0] = 2; /* fewer: the third selector becomes trailing octets */
  expect_parse_error(IKE_PT_TSI, m, sizeof golden_ts, IKE_ERR_LENGTH_MISMATCH, "Number of TSs");
  m[0] = IKE_MAX_TS + 1;
  expect_parse_error(IKE_PT_TSI, m, sizeof golden_ts, IKE_ERR_TOO_MANY_ITEMS, "Number of TSs");
  m[0] = 3;
  m[7] = 0x11; /* IPv4 selector claiming 17 octets */
  expect_parse_error(IKE_PT_TSR, m, sizeof golden_ts, IKE_ERR_LENGTH_MISMATCH, "Selector Length");
  memcpy(m, golden_ts, sizeof golden_ts);
  m[63] = 0x0c; /* opaque selector overrunning the payload */
  expect_parse_error(IKE_PT_TSR, m, sizeof golden_ts, IKE_ERR_LENGTH_MISMATCH, "Selector Length");
  m[63] = 0x03; /* below its own header */
  expect_parse_error(IKE_PT_TSR, m, sizeof golden_ts, IKE_ERR_LENGTH_MISMATCH, "Selector Length");
  union ike_payload_body in = {.ts = {.count = 0}};
  expect_build_error(IKE_PT_TSI, &in, "Number of TSs");
  in.ts = (struct ike_ts_payload){.count = 1};
  in.ts.selectors[0] = (struct ike_ts){.type = 10, .raw = view_of(golden_ts + 60, 7)};
  expect_build_error(IKE_PT_TSI, &in, "Traffic Selector");
}

/* ---- CP ------------------------------------------------------------------------------------- */

static void cp_round_trip_and_errors(void **state) {
  (void)state;
  static const uint8_t ip[] = {10, 1, 0, 7};
  static const uint8_t golden[] = {
      0x02, 0x00, 0x00, 0x00,              /* CFG_REPLY */
      0x00, 0x01, 0x00, 0x04, 10, 1, 0, 7, /* INTERNAL_IP4_ADDRESS 10.1.0.7 */
      0x00, 0x03, 0x00, 0x00,              /* INTERNAL_IP4_DNS, empty */
  };
  union ike_payload_body in = {.cp = {.cfg_type = IKE_CFG_REPLY, .count = 2}}, out;
  in.cp.attrs[0] = (struct ike_cp_attr){1, VIEW(ip)};
  in.cp.attrs[1] = (struct ike_cp_attr){3, {NULL, 0}};
  round_trip(IKE_PT_CP, &in, golden, sizeof golden, &out);
  assert_int_equal(out.cp.cfg_type, IKE_CFG_REPLY);
  assert_int_equal(out.cp.count, 2);
  assert_int_equal(out.cp.attrs[1].type, 3);
  uint8_t m[sizeof golden];
  memcpy(m, golden, sizeof m);
  m[4] = 0x80; /* the reserved bit is ignored */
  union ike_payload_body parsed;
  assert_int_equal(parse_body(IKE_PT_CP, m, sizeof m, &parsed, NULL), IKE_OK);
  assert_int_equal(parsed.cp.attrs[0].type, 1);
  m[0] = 5;
  expect_parse_error(IKE_PT_CP, m, sizeof m, IKE_ERR_FIELD_VALUE, "CFG Type");
  m[0] = 2;
  m[7] = 0x09; /* attribute value overruns the payload */
  expect_parse_error(IKE_PT_CP, m, sizeof m, IKE_ERR_LENGTH_MISMATCH, "Attribute Length");
  expect_parse_error(IKE_PT_CP, golden, sizeof golden - 1, IKE_ERR_LENGTH_MISMATCH,
                     "Configuration Attribute");
  static uint8_t many[4 + 4 * (IKE_MAX_CP_ATTRS + 1)] = {0x01};
  expect_parse_error(IKE_PT_CP, many, sizeof many, IKE_ERR_TOO_MANY_ITEMS,
                     "Configuration Attribute");
  assert_int_equal(parse_body(IKE_PT_CP, many, sizeof many - 4, &parsed, NULL), IKE_OK);
  in.cp.cfg_type = 0;
  expect_build_error(IKE_PT_CP, &in, "CFG Type");
}

/* ---- the table itself ----------------------------------------------------------------------- */

static void table_is_complete_and_consistent(void **state) {
  (void)state;
  const uint8_t expected[] = {IKE_PT_SA,     IKE_PT_KE,      IKE_PT_IDI,    IKE_PT_IDR,
                              IKE_PT_CERT,   IKE_PT_CERTREQ, IKE_PT_AUTH,   IKE_PT_NONCE,
                              IKE_PT_NOTIFY, IKE_PT_DELETE,  IKE_PT_VENDOR, IKE_PT_TSI,
                              IKE_PT_TSR,    IKE_PT_SK,      IKE_PT_CP,     IKE_PT_SKF};
  assert_int_equal(ike_payload_table_size(), ARRAY_LEN(expected));
  for (size_t i = 0; i < ARRAY_LEN(expected); i++) {
    const struct ike_payload_desc *d = ike_payload_desc(expected[i]);
    assert_non_null(d);
    assert_non_null(d->parse);
    assert_non_null(d->build);
    assert_non_null(d->name);
    assert_string_not_equal(d->abbrev, "?");
  }
  for (size_t i = 0; i < ike_payload_table_size(); i++)
    assert_ptr_equal(ike_payload_desc(ike_payload_table_row(i)->type), ike_payload_table_row(i));
  assert_null(ike_payload_table_row(ike_payload_table_size()));
  assert_null(ike_payload_desc(IKE_PT_EAP));
  assert_null(ike_payload_desc(0));
  assert_string_equal(ike_payload_abbrev(IKE_PT_NOTIFY), "N");
  assert_string_equal(ike_payload_abbrev(200), "?");
  assert_true(ike_payload_desc(IKE_PT_SK)->flags & IKE_PD_ENCRYPTED);
  assert_true(ike_payload_desc(IKE_PT_SKF)->flags & IKE_PD_ENCRYPTED);
  assert_false(ike_payload_desc(IKE_PT_NOTIFY)->flags & IKE_PD_ENCRYPTED);
  union ike_payload_body out;
  struct ike_error err;
  static const uint8_t body[4];
  assert_codec_error(parse_body(IKE_PT_EAP, body, 4, &out, &err), &err,
                     IKE_ERR_UNSUPPORTED_CRITICAL, IKE_PT_EAP, NULL);
  struct wire_writer w;
  wire_writer_init(&w, built, sizeof built);
  assert_int_equal(ike_payload_build_body(&w, IKE_PT_EAP, &out, NULL, &err), IKE_ERR_BUILD_INVALID);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(ke_round_trip_and_errors),
      cmocka_unit_test(id_round_trip_and_address_lengths),
      cmocka_unit_test(cert_certreq_auth_round_trip),
      cmocka_unit_test(nonce_bounds),
      cmocka_unit_test(notify_round_trip),
      cmocka_unit_test(notify_malformed),
      cmocka_unit_test(notify_data_lengths_follow_registry),
      cmocka_unit_test(delete_round_trip_and_shapes),
      cmocka_unit_test(vendor_round_trip),
      cmocka_unit_test(sk_and_skf_round_trip),
      cmocka_unit_test(ts_round_trip),
      cmocka_unit_test(ts_malformed),
      cmocka_unit_test(cp_round_trip_and_errors),
      cmocka_unit_test(table_is_complete_and_consistent),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
