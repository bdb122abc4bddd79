/* SA payload tests (RFC 7296 3.3): proposals, transforms, attributes, and every way the three
 * nested lengths, the counts and the Last Substruc markers can disagree. */
#include "codec_test_util.h"

/* One ESP proposal (SPI c0010203) with ENCR AES-GCM-16/256 and SN 0, then one IKE rekey
 * proposal (8-octet SPI) with ENCR AES-CBC/128, INTEG, PRF, KE. */
/* clang-format off */
static const uint8_t golden_sa[] = {
    0x02, 0x00, 0x00, 0x20, 0x01, 0x03, 0x04, 0x02, /* more, len 32, #1 ESP, SPI 4, 2 xforms */
    0xc0, 0x01, 0x02, 0x03,
    0x03, 0x00, 0x00, 0x0c, 0x01, 0x00, 0x00, 0x14, 0x80, 0x0e, 0x01, 0x00, /* ENCR 20, 256 */
    0x00, 0x00, 0x00, 0x08, 0x05, 0x00, 0x00, 0x00,                         /* SN 0, last */
    0x00, 0x00, 0x00, 0x34, 0x02, 0x01, 0x08, 0x04, /* last, len 52, #2 IKE, SPI 8, 4 xforms */
    0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
    0x03, 0x00, 0x00, 0x0c, 0x01, 0x00, 0x00, 0x0c, 0x80, 0x0e, 0x00, 0x80, /* ENCR 12, 128 */
    0x03, 0x00, 0x00, 0x08, 0x03, 0x00, 0x00, 0x0c,                         /* INTEG 12 */
    0x03, 0x00, 0x00, 0x08, 0x02, 0x00, 0x00, 0x05,                         /* PRF 5 */
    0x00, 0x00, 0x00, 0x08, 0x04, 0x00, 0x00, 0x1f,                         /* KE 31, last */
};
/* clang-format on */

/* Offsets inside golden_sa. */
enum {
  P1 = 0,
  P1_T1 = 12,
  P1_T2 = 24,
  P2 = 32,
  P2_T1 = 48,
  P2_T4 = 76,
};

static uint8_t m[256];

static const uint8_t *mutated(size_t offset, uint8_t value) {
  memcpy(m, golden_sa, sizeof golden_sa);
  m[offset] = value;
  return m;
}

static void expect_sa_error(const uint8_t *body, size_t len, enum ike_err code, const char *field,
                            size_t offset) {
  union ike_payload_body out;
  struct ike_error err;
  enum ike_err rc = parse_body(IKE_PT_SA, body, len, &out, &err);
  assert_codec_error(rc, &err, code, IKE_PT_SA, field);
  assert_int_equal(err.offset, offset);
}

static void sa_round_trip(void **state) {
  (void)state;
  static const uint8_t esp_spi[] = {0xc0, 0x01, 0x02, 0x03};
  static const uint8_t ike_spi[] = {0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18};
  static union ike_payload_body in, out;
  in.sa.proposal_count = in.sa.transform_count = 0;
  assert_true(ike_sa_add_proposal(&in.sa, 1, IKE_PROTO_ESP, VIEW(esp_spi)));
  assert_true(ike_sa_add_transform(&in.sa, IKE_TRANSFORM_ENCR, 20, 256));
  assert_true(ike_sa_add_transform(&in.sa, IKE_TRANSFORM_SN, 0, 0));
  assert_true(ike_sa_add_proposal(&in.sa, 2, IKE_PROTO_IKE, VIEW(ike_spi)));
  assert_true(ike_sa_add_transform(&in.sa, IKE_TRANSFORM_ENCR, 12, 128));
  assert_true(ike_sa_add_transform(&in.sa, IKE_TRANSFORM_INTEG, 12, 0));
  assert_true(ike_sa_add_transform(&in.sa, IKE_TRANSFORM_PRF, 5, 0));
  assert_true(ike_sa_add_transform(&in.sa, IKE_TRANSFORM_KE, 31, 0));
  uint8_t built[256];
  size_t len = build_body(IKE_PT_SA, &in, built, sizeof built);
  assert_int_equal(len, sizeof golden_sa);
  assert_memory_equal(built, golden_sa, len);
  struct ike_error err;
  assert_codec_ok(parse_body(IKE_PT_SA, golden_sa, sizeof golden_sa, &out, &err), &err);
  const struct ike_sa_payload *sa = &out.sa;
  assert_int_equal(sa->proposal_count, 2);
  assert_int_equal(sa->transform_count, 6);
  assert_int_equal(sa->proposals[0].protocol, IKE_PROTO_ESP);
  assert_view_equal(sa->proposals[0].spi, esp_spi, 4);
  assert_view_equal(sa->proposals[1].spi, ike_spi, 8);
  assert_int_equal(sa->proposals[1].first_transform, 2);
  const struct ike_transform *t = ike_proposal_transform(sa, &sa->proposals[1], 0);
  assert_int_equal(t->id, 12);
  assert_int_equal(t->key_length, 128);
  assert_int_equal(t->unknown_attrs, 0);
  t = ike_proposal_transform(sa, &sa->proposals[0], 1);
  assert_int_equal(t->type, IKE_TRANSFORM_SN);
  assert_false(t->has_key_length);
  len = build_body(IKE_PT_SA, &out, built, sizeof built);
  assert_memory_equal(built, golden_sa, sizeof golden_sa);
}

static void unknown_attributes_are_counted(void **state) {
  (void)state;
  /* One proposal, one transform with a TV attribute of type 15 and a TLV attribute of type 16
   * (3 octets), besides the Key Length. */
  static const uint8_t body[] = {
      0x00, 0x00, 0x00, 0x1f, 0x01, 0x01, 0x00, 0x01, 0x00, 0x00,
      0x00, 0x17, 0x01, 0x00, 0x00, 0x14, 0x80, 0x0f, 0x12, 0x34, /* TV type 15 */
      0x80, 0x0e, 0x01, 0x00,                                     /* Key Length 256 */
      0x00, 0x10, 0x00, 0x03, 0xaa, 0xbb, 0xcc,                   /* TLV type 16, 3 octets */
  };
  union ike_payload_body out;
  struct ike_error err;
  assert_codec_ok(parse_body(IKE_PT_SA, body, sizeof body, &out, &err), &err);
  assert_int_equal(out.sa.transforms[0].unknown_attrs, 2);
  assert_int_equal(out.sa.transforms[0].key_length, 256);
}

static void malformed_attributes(void **state) {
  (void)state;
  /* Key Length given twice. */
  static const uint8_t twice[] = {
      0x00, 0x00, 0x00, 0x18, 0x01, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x10,
      0x01, 0x00, 0x00, 0x14, 0x80, 0x0e, 0x01, 0x00, 0x80, 0x0e, 0x00, 0x80,
  };
  expect_sa_error(twice, sizeof twice, IKE_ERR_FIELD_VALUE, "Key Length (repeated)", 20);
  /* Key Length in TLV form. */
  static const uint8_t tlv_key_length[] = {
      0x00, 0x00, 0x00, 0x16, 0x01, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00,
      0x0e, 0x01, 0x00, 0x00, 0x14, 0x00, 0x0e, 0x00, 0x02, 0x01, 0x00,
  };
  expect_sa_error(tlv_key_length, sizeof tlv_key_length, IKE_ERR_FIELD_VALUE, "Attribute Format",
                  16);
  /* TLV value longer than the transform. */
  static const uint8_t tlv_overrun[] = {
      0x00, 0x00, 0x00, 0x16, 0x01, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00,
      0x0e, 0x01, 0x00, 0x00, 0x14, 0x00, 0x10, 0x00, 0x09, 0x01, 0x00,
  };
  expect_sa_error(tlv_overrun, sizeof tlv_overrun, IKE_ERR_LENGTH_MISMATCH, "Attribute Length", 18);
  /* Two octets of attribute: less than an attribute header. */
  static const uint8_t half_attr[] = {
      0x00, 0x00, 0x00, 0x12, 0x01, 0x01, 0x00, 0x01, 0x00,
      0x00, 0x00, 0x0a, 0x01, 0x00, 0x00, 0x14, 0x80, 0x0e,
  };
  expect_sa_error(half_attr, sizeof half_attr, IKE_ERR_LENGTH_MISMATCH, "Transform Attribute", 16);
}

static void proposal_lengths_inconsistent(void **state) {
  (void)state;
  /* Proposal Length beyond the SA payload. */
  expect_sa_error(mutated(P2 + 3, 0x40), sizeof golden_sa, IKE_ERR_LENGTH_MISMATCH,
                  "Proposal Length", P2 + 2);
  /* Proposal Length below its own 8-octet header. */
  expect_sa_error(mutated(P1 + 3, 0x07), sizeof golden_sa, IKE_ERR_LENGTH_MISMATCH,
                  "Proposal Length", P1 + 2);
  /* SA payload ends inside proposal 2's header. */
  expect_sa_error(golden_sa, P2 + 5, IKE_ERR_LENGTH_MISMATCH, "Proposal Length", P2);
  /* Proposal 1 shorter by 8: transform 2 falls outside, becoming a malformed proposal. */
  union ike_payload_body out;
  assert_int_equal(parse_body(IKE_PT_SA, mutated(P1 + 3, 0x18), sizeof golden_sa, &out, NULL),
                   IKE_ERR_LENGTH_MISMATCH);
  /* The SA payload stops after proposal 1, which says more follow. */
  expect_sa_error(golden_sa, P2, IKE_ERR_LENGTH_MISMATCH, "Last Substruc (proposal)", P2);
  /* Proposal 2 is marked "more" but nothing follows; proposal 1 marked "last" but 2 follows. */
  expect_sa_error(mutated(P2, 0x02), sizeof golden_sa, IKE_ERR_LENGTH_MISMATCH,
                  "Last Substruc (proposal)", sizeof golden_sa);
  expect_sa_error(mutated(P1, 0x00), sizeof golden_sa, IKE_ERR_LENGTH_MISMATCH,
                  "Last Substruc (proposal)", P2);
  expect_sa_error(mutated(P1, 0x03), sizeof golden_sa, IKE_ERR_FIELD_VALUE,
                  "Last Substruc (proposal)", P1);
}

static void transform_lengths_and_counts_inconsistent(void **state) {
  (void)state;
  /* Num Transforms says 3, the proposal holds 2. */
  expect_sa_error(mutated(P1 + 7, 3), sizeof golden_sa, IKE_ERR_LENGTH_MISMATCH, "Num Transforms",
                  P1 + 7);
  /* Transform Length beyond the proposal. */
  expect_sa_error(mutated(P1_T2 + 3, 0x10), sizeof golden_sa, IKE_ERR_LENGTH_MISMATCH,
                  "Transform Length", P1_T2 + 2);
  /* Transform Length below the 8-octet transform header. */
  expect_sa_error(mutated(P2_T1 + 3, 0x04), sizeof golden_sa, IKE_ERR_LENGTH_MISMATCH,
                  "Transform Length", P2_T1 + 2);
  /* First transform marked last while the second follows. */
  expect_sa_error(mutated(P1_T1, 0x00), sizeof golden_sa, IKE_ERR_LENGTH_MISMATCH,
                  "Last Substruc (transform)", P1_T2);
  /* Last transform marked "more". */
  expect_sa_error(mutated(P2_T4, 0x03), sizeof golden_sa, IKE_ERR_LENGTH_MISMATCH,
                  "Last Substruc (transform)", sizeof golden_sa);
  expect_sa_error(mutated(P2_T4, 0x02), sizeof golden_sa, IKE_ERR_FIELD_VALUE,
                  "Last Substruc (transform)", P2_T4);
}

static void proposal_fields(void **state) {
  (void)state;
  /* Proposal numbers must start at 1 and grow by one. */
  expect_sa_error(mutated(P1 + 4, 0), sizeof golden_sa, IKE_ERR_FIELD_VALUE, "Proposal Num",
                  P1 + 4);
  expect_sa_error(mutated(P2 + 4, 3), sizeof golden_sa, IKE_ERR_FIELD_VALUE, "Proposal Num",
                  P2 + 4);
  /* A response echoes the chosen number, which need not be 1. */
  union ike_payload_body out;
  assert_int_equal(parse_body(IKE_PT_SA, golden_sa + P2, sizeof golden_sa - P2, &out, NULL),
                   IKE_OK);
  assert_int_equal(out.sa.proposals[0].number, 2);
  /* ESP needs a 4-octet SPI, IKE 0 or 8. */
  expect_sa_error(mutated(P1 + 6, 8), sizeof golden_sa, IKE_ERR_FIELD_VALUE, "SPI Size", P1 + 6);
  expect_sa_error(mutated(P2 + 6, 4), sizeof golden_sa, IKE_ERR_FIELD_VALUE, "SPI Size", P2 + 6);
  /* An SPI longer than the proposal (unknown protocol 9, so any size is structural only). */
  static const uint8_t spi_overrun[] = {0x00, 0x00, 0x00, 0x0a, 0x01, 0x09, 0x20, 0x00, 1, 2};
  expect_sa_error(spi_overrun, sizeof spi_overrun, IKE_ERR_LENGTH_MISMATCH, "SPI Size", 6);
}

static void limits_on_proposals_and_transforms(void **state) {
  (void)state;
  /* IKE_MAX_PROPOSALS + 1 minimal proposals (no transforms). */
  static uint8_t many[8 * (IKE_MAX_PROPOSALS + 1)];
  for (size_t i = 0; i <= IKE_MAX_PROPOSALS; i++) {
    uint8_t *p = many + 8 * i;
    const uint8_t proposal[] = {i == IKE_MAX_PROPOSALS ? 0 : 2, 0, 0, 8, (uint8_t)(i + 1), 1, 0, 0};
    memcpy(p, proposal, sizeof proposal);
  }
  expect_sa_error(many, sizeof many, IKE_ERR_TOO_MANY_ITEMS, "Proposal", 8 * IKE_MAX_PROPOSALS);
  many[8 * (IKE_MAX_PROPOSALS - 1)] = 0;
  union ike_payload_body out;
  assert_int_equal(parse_body(IKE_PT_SA, many, 8 * IKE_MAX_PROPOSALS, &out, NULL), IKE_OK);
  assert_int_equal(out.sa.proposal_count, IKE_MAX_PROPOSALS);
  /* More than IKE_MAX_TRANSFORMS transforms over two proposals of 255 and 2. */
  static uint8_t wide[2 * 8 + 8 * 257];
  size_t at = 0;
  const size_t counts[] = {255, 2};
  for (size_t p = 0; p < 2; p++) {
    size_t len = 8 + 8 * counts[p];
    const uint8_t header[] = {
        p == 0 ? 2 : 0,    0, (uint8_t)(len >> 8), (uint8_t)len, (uint8_t)(p + 1), 1, 0,
        (uint8_t)counts[p]};
    memcpy(wide + at, header, 8);
    at += 8;
    for (size_t t = 0; t < counts[p]; t++, at += 8) {
      const uint8_t xform[] = {t + 1 == counts[p] ? 0 : 3, 0, 0, 8, 4, 0, 0, (uint8_t)t};
      memcpy(wide + at, xform, 8);
    }
  }
  struct ike_error err;
  enum ike_err rc = parse_body(IKE_PT_SA, wide, at, &out, &err);
  assert_codec_error(rc, &err, IKE_ERR_TOO_MANY_ITEMS, IKE_PT_SA, "Transform");
  assert_int_equal(err.offset, 8 + 8 * 255 + 8 + 8);
}

static void build_refuses_inconsistent_sa(void **state) {
  (void)state;
  static union ike_payload_body in;
  in.sa.proposal_count = in.sa.transform_count = 0;
  struct wire_writer w;
  uint8_t buf[128];
  wire_writer_init(&w, buf, sizeof buf);
  struct ike_error err;
  assert_codec_error(ike_payload_build_body(&w, IKE_PT_SA, &in, NULL, &err), &err,
                     IKE_ERR_BUILD_INVALID, IKE_PT_SA, "Proposal");
  static const uint8_t spi8[8] = {1};
  ike_sa_add_proposal(&in.sa, 1, IKE_PROTO_ESP, VIEW(spi8));
  assert_codec_error(ike_payload_build_body(&w, IKE_PT_SA, &in, NULL, &err), &err,
                     IKE_ERR_BUILD_INVALID, IKE_PT_SA, "SPI Size");
  in.sa.proposals[0] =
      (struct ike_proposal){.number = 1, .protocol = IKE_PROTO_IKE, .transform_count = 3};
  assert_codec_error(ike_payload_build_body(&w, IKE_PT_SA, &in, NULL, &err), &err,
                     IKE_ERR_BUILD_INVALID, IKE_PT_SA, "Num Transforms");
  assert_false(ike_sa_add_transform(&(struct ike_sa_payload){0}, 1, 1, 0));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(sa_round_trip),
      cmocka_unit_test(unknown_attributes_are_counted),
      cmocka_unit_test(malformed_attributes),
      cmocka_unit_test(proposal_lengths_inconsistent),
      cmocka_unit_test(transform_lengths_and_counts_inconsistent),
      cmocka_unit_test(proposal_fields),
      cmocka_unit_test(limits_on_proposals_and_transforms),
      cmocka_unit_test(build_refuses_inconsistent_sa),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
