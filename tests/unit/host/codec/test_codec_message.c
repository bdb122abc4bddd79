/* Message-level tests: the IKE header, the payload chain walk and message building, against an
 * IKE_SA_INIT request written out byte by byte from the RFC 7296 layouts (3.1-3.12), and the
 * public RFC 7634 Appendix B INFORMATIONAL message. */
#include <stdlib.h>

#include <jansson.h>

#include "codec_test_util.h"
#include "ike_samples.h"

/* HDR, SAi1, KEi, Ni, N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP),
 * N(IKEV2_FRAGMENTATION_SUPPORTED), V. Offsets: SA 28, KE 120, Ni 160, N 196/224/252, V 260. */
/* clang-format off */
static const uint8_t ike_sa_init_request[280] = {
    /* IKE header: SPIi, SPIr = 0, Next Payload SA (33), version 2.0, IKE_SA_INIT (34),
     * flags I, Message ID 0, Length 280 */
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x21, 0x20, 0x22, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x18,
    /* SA: next KE (34), length 92 */
    0x22, 0x00, 0x00, 0x5c,
    /* Proposal 1 (more follow: 2), length 44, IKE, SPI size 0, 4 transforms */
    0x02, 0x00, 0x00, 0x2c, 0x01, 0x01, 0x00, 0x04,
    0x03, 0x00, 0x00, 0x0c, 0x01, 0x00, 0x00, 0x14, 0x80, 0x0e, 0x01, 0x00, /* ENCR AES-GCM-16, 256 */
    0x03, 0x00, 0x00, 0x08, 0x02, 0x00, 0x00, 0x07,                         /* PRF HMAC-SHA2-512 */
    0x03, 0x00, 0x00, 0x08, 0x04, 0x00, 0x00, 0x1f,                         /* KE 31 (X25519) */
    0x00, 0x00, 0x00, 0x08, 0x04, 0x00, 0x00, 0x13,                         /* KE 19 (P-256), last */
    /* Proposal 2 (last: 0), length 44, IKE, SPI size 0, 4 transforms */
    0x00, 0x00, 0x00, 0x2c, 0x02, 0x01, 0x00, 0x04,
    0x03, 0x00, 0x00, 0x0c, 0x01, 0x00, 0x00, 0x0c, 0x80, 0x0e, 0x01, 0x00, /* ENCR AES-CBC, 256 */
    0x03, 0x00, 0x00, 0x08, 0x03, 0x00, 0x00, 0x0c,                         /* INTEG SHA2-256-128 */
    0x03, 0x00, 0x00, 0x08, 0x02, 0x00, 0x00, 0x05,                         /* PRF HMAC-SHA2-256 */
    0x00, 0x00, 0x00, 0x08, 0x04, 0x00, 0x00, 0x0e,                         /* KE 14, last */
    /* KE: next Nonce (40), length 40, method 31, reserved */
    0x28, 0x00, 0x00, 0x28, 0x00, 0x1f, 0x00, 0x00,
    0x85, 0x20, 0xf0, 0x09, 0x89, 0x30, 0xa7, 0x54, 0x74, 0x8b, 0x7d, 0xdc, 0xb4, 0x3e, 0xf7, 0x5a,
    0x0d, 0xbf, 0x3a, 0x0d, 0x26, 0x38, 0x1a, 0xf4, 0xeb, 0xa4, 0xa9, 0x8e, 0xaa, 0x9b, 0x4e, 0x6a,
    /* Nonce: next N (41), length 36 */
    0x29, 0x00, 0x00, 0x24,
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
    /* N: next N, length 28, protocol 0, SPI size 0, NAT_DETECTION_SOURCE_IP (16388) */
    0x29, 0x00, 0x00, 0x1c, 0x00, 0x00, 0x40, 0x04,
    0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f,
    0x50, 0x51, 0x52, 0x53,
    /* N: next N, length 28, NAT_DETECTION_DESTINATION_IP (16389) */
    0x29, 0x00, 0x00, 0x1c, 0x00, 0x00, 0x40, 0x05,
    0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f,
    0x70, 0x71, 0x72, 0x73,
    /* N: next V (43), length 8, IKEV2_FRAGMENTATION_SUPPORTED (16430), no data */
    0x2b, 0x00, 0x00, 0x08, 0x00, 0x00, 0x40, 0x2e,
    /* V: last (0), length 20 */
    0x00, 0x00, 0x00, 0x14,
    0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
};

/* HDR(SPIi, 0, R), N(COOKIE) with a 16-octet cookie. */
static const uint8_t cookie_response[52] = {
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x29, 0x20, 0x22, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x34,
    0x00, 0x00, 0x00, 0x18, 0x00, 0x00, 0x40, 0x06, /* N: last, length 24, COOKIE (16390) */
    0x00, 0x00, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80,
};
/* clang-format on */

enum { OFF_SA = 28, OFF_KE = 120, OFF_NONCE = 160, OFF_N_FRAG = 252, OFF_V = 260 };

static uint8_t work[4096];

/* A writable copy of the golden request, to corrupt. */
static uint8_t *mutable_request(void) {
  memcpy(work, ike_sa_init_request, sizeof ike_sa_init_request);
  return work;
}

static void set_be16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static void set_length(uint8_t *msg, uint32_t len) {
  msg[24] = (uint8_t)(len >> 24);
  msg[25] = (uint8_t)(len >> 16);
  msg[26] = (uint8_t)(len >> 8);
  msg[27] = (uint8_t)len;
}

/* ---- the golden IKE_SA_INIT request --------------------------------------------------------- */

static void golden_request_parses_field_by_field(void **state) {
  (void)state;
  struct ike_message msg;
  struct ike_error err;
  enum ike_err rc = ike_message_parse(ike_sa_init_request, sizeof ike_sa_init_request, &msg, &err);
  assert_codec_ok(rc, &err);
  assert_true(msg.hdr.spi_i == SAMPLE_SPI_I64);
  assert_true(msg.hdr.spi_r == 0);
  assert_int_equal(msg.hdr.exchange, IKE_EXCH_IKE_SA_INIT);
  assert_true(ike_header_is_initiator(&msg.hdr));
  assert_false(ike_header_is_response(&msg.hdr));
  assert_int_equal(msg.hdr.length, 280);
  assert_int_equal(msg.encrypted_index, -1);
  const uint8_t types[] = {IKE_PT_SA,     IKE_PT_KE,     IKE_PT_NONCE, IKE_PT_NOTIFY,
                           IKE_PT_NOTIFY, IKE_PT_NOTIFY, IKE_PT_VENDOR};
  const size_t offsets[] = {OFF_SA, OFF_KE, OFF_NONCE, 196, 224, OFF_N_FRAG, OFF_V};
  assert_int_equal(msg.clear.count, ARRAY_LEN(types));
  for (size_t i = 0; i < ARRAY_LEN(types); i++) {
    assert_int_equal(msg.clear.payloads[i].type, types[i]);
    assert_int_equal(msg.clear.payloads[i].offset, offsets[i]);
  }
  union ike_payload_body body;
  assert_int_equal(ike_chain_decode(&msg.clear.payloads[1], &body), IKE_OK);
  assert_int_equal(body.ke.ke_method, 31);
  assert_view_equal(body.ke.data, ike_sa_init_request + OFF_KE + 8, 32);
  assert_int_equal(ike_chain_decode(&msg.clear.payloads[2], &body), IKE_OK);
  assert_view_equal(body.nonce.data, ike_sa_init_request + OFF_NONCE + 4, 32);
  assert_int_equal(ike_chain_decode(&msg.clear.payloads[3], &body), IKE_OK);
  assert_int_equal(body.notify.type, IKE_N_NAT_DETECTION_SOURCE_IP);
  assert_int_equal(body.notify.protocol, 0);
  assert_int_equal(body.notify.spi.len, 0);
  assert_int_equal(body.notify.data.len, 20);
  assert_int_equal(ike_chain_find_notify(&msg.clear, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED), 5);
  assert_int_equal(ike_chain_find_notify(&msg.clear, IKE_N_COOKIE), -1);
  assert_int_equal(ike_chain_find(&msg.clear, IKE_PT_NOTIFY, 0), 3);
  assert_int_equal(ike_chain_find(&msg.clear, IKE_PT_NOTIFY, 4), 4);
  assert_int_equal(ike_chain_find(&msg.clear, IKE_PT_NOTIFY, 6), -1);
  assert_int_equal(ike_chain_count(&msg.clear, IKE_PT_NOTIFY), 3);
  assert_int_equal(ike_rules_check_clear(&msg, &err), IKE_OK);
}

static void golden_request_sa_decodes(void **state) {
  (void)state;
  struct ike_message msg;
  assert_int_equal(ike_message_parse(ike_sa_init_request, 280, &msg, NULL), IKE_OK);
  union ike_payload_body body;
  assert_int_equal(ike_chain_decode(&msg.clear.payloads[0], &body), IKE_OK);
  const struct ike_sa_payload *sa = &body.sa;
  assert_int_equal(sa->proposal_count, 2);
  assert_int_equal(sa->proposals[0].number, 1);
  assert_int_equal(sa->proposals[1].number, 2);
  assert_int_equal(sa->proposals[1].protocol, IKE_PROTO_IKE);
  assert_int_equal(sa->proposals[1].spi.len, 0);
  assert_int_equal(sa->proposals[1].transform_count, 4);
  const struct ike_transform *encr = ike_proposal_transform(sa, &sa->proposals[1], 0);
  assert_int_equal(encr->type, IKE_TRANSFORM_ENCR);
  assert_int_equal(encr->id, 12);
  assert_true(encr->has_key_length);
  assert_int_equal(encr->key_length, 256);
  const struct ike_transform *ke = ike_proposal_transform(sa, &sa->proposals[0], 3);
  assert_int_equal(ke->type, IKE_TRANSFORM_KE);
  assert_int_equal(ke->id, 19);
  assert_false(ke->has_key_length);
}

static void builder_reproduces_golden_request(void **state) {
  (void)state;
  size_t len = sample_ike_sa_init_request(work, sizeof work);
  assert_int_equal(len, sizeof ike_sa_init_request);
  assert_memory_equal(work, ike_sa_init_request, len);
  len = sample_cookie_response(work, sizeof work);
  assert_int_equal(len, sizeof cookie_response);
  assert_memory_equal(work, cookie_response, len);
}

static void cookie_and_init_responses_pass_rules(void **state) {
  (void)state;
  struct ike_message msg;
  struct ike_error err;
  assert_int_equal(ike_message_parse(cookie_response, sizeof cookie_response, &msg, &err), IKE_OK);
  assert_codec_ok(ike_rules_check_clear(&msg, &err), &err);
  size_t len = sample_ike_sa_init_response(work, sizeof work);
  assert_true(len > 0);
  assert_codec_ok(ike_message_parse(work, len, &msg, &err), &err);
  assert_true(ike_header_is_response(&msg.hdr));
  assert_int_equal(ike_chain_count(&msg.clear, IKE_PT_CERTREQ), 1);
  assert_codec_ok(ike_rules_check_clear(&msg, &err), &err);
}

/* ---- header --------------------------------------------------------------------------------- */

static void header_version_checks(void **state) {
  (void)state;
  struct ike_message msg;
  struct ike_error err;
  uint8_t *m = mutable_request();
  m[17] = 0x30; /* major 3 */
  enum ike_err rc = ike_message_parse(m, 280, &msg, &err);
  assert_codec_error(rc, &err, IKE_ERR_MAJOR_VERSION_HIGH, IKE_PT_NONE, "MjVer");
  assert_int_equal(ike_err_notify(rc), IKE_N_INVALID_MAJOR_VERSION);
  /* The header is still available to build the INVALID_MAJOR_VERSION answer. */
  assert_true(msg.hdr.spi_i == SAMPLE_SPI_I64);
  assert_int_equal(msg.hdr.major_version, 3);
  m[17] = 0x10; /* IKEv1 */
  rc = ike_message_parse(m, 280, &msg, &err);
  assert_codec_error(rc, &err, IKE_ERR_MAJOR_VERSION_LOW, IKE_PT_NONE, "MjVer");
  assert_int_equal(ike_err_notify(rc), 0);
  m[17] = 0x2f; /* minor versions are ignored */
  assert_int_equal(ike_message_parse(m, 280, &msg, &err), IKE_OK);
  assert_int_equal(msg.hdr.minor_version, 15);
}

static void header_flags_and_zero_spi(void **state) {
  (void)state;
  struct ike_message msg;
  struct ike_error err;
  uint8_t *m = mutable_request();
  m[19] = 0xff; /* undefined flag bits are ignored */
  assert_int_equal(ike_message_parse(m, 280, &msg, &err), IKE_OK);
  assert_int_equal(msg.hdr.flags, IKE_FLAG_INITIATOR | IKE_FLAG_VERSION | IKE_FLAG_RESPONSE);
  memset(m, 0, 8);
  enum ike_err rc = ike_message_parse(m, 280, &msg, &err);
  assert_codec_error(rc, &err, IKE_ERR_ZERO_SPI, IKE_PT_NONE, NULL);
}

static void header_length_must_match_datagram(void **state) {
  (void)state;
  struct ike_message msg;
  struct ike_error err;
  enum ike_err rc = ike_message_parse(ike_sa_init_request, 27, &msg, &err);
  assert_codec_error(rc, &err, IKE_ERR_SHORT_HEADER, IKE_PT_NONE, NULL);
  assert_int_equal(ike_err_notify(rc), 0);
  assert_codec_error(ike_message_parse(NULL, 0, &msg, &err), &err, IKE_ERR_SHORT_HEADER,
                     IKE_PT_NONE, NULL);
  rc = ike_message_parse(ike_sa_init_request, 279, &msg, &err); /* truncated datagram */
  assert_codec_error(rc, &err, IKE_ERR_MESSAGE_LENGTH, IKE_PT_NONE, "Length");
  assert_int_equal(err.offset, 24);
  uint8_t *m = mutable_request();
  set_length(m, 281); /* header claims more than arrived */
  rc = ike_message_parse(m, 280, &msg, &err);
  assert_codec_error(rc, &err, IKE_ERR_MESSAGE_LENGTH, IKE_PT_NONE, "Length");
  set_length(m, 279); /* ... or less */
  rc = ike_message_parse(m, 280, &msg, &err);
  assert_codec_error(rc, &err, IKE_ERR_MESSAGE_LENGTH, IKE_PT_NONE, "Length");
}

/* ---- chain walk ----------------------------------------------------------------------------- */

static void truncated_message_with_consistent_header(void **state) {
  (void)state;
  struct ike_message msg;
  struct ike_error err;
  uint8_t *m = mutable_request();
  set_length(m, 279); /* V payload (length 20) now runs past the end */
  enum ike_err rc = ike_message_parse(m, 279, &msg, &err);
  assert_codec_error(rc, &err, IKE_ERR_PAYLOAD_LENGTH, IKE_PT_VENDOR, "Payload Length");
  assert_int_equal(err.offset, OFF_V + 2);
  assert_int_equal(ike_err_notify(rc), IKE_N_INVALID_SYNTAX);
}

static void overlong_and_undersized_payload_lengths(void **state) {
  (void)state;
  struct ike_message msg;
  struct ike_error err;
  uint8_t *m = mutable_request();
  set_be16(m + OFF_SA + 2, 0xffff);
  enum ike_err rc = ike_message_parse(m, 280, &msg, &err);
  assert_codec_error(rc, &err, IKE_ERR_PAYLOAD_LENGTH, IKE_PT_SA, "Payload Length");
  assert_int_equal(err.offset, OFF_SA + 2);
  for (uint16_t bad = 0; bad < 4; bad++) {
    m = mutable_request();
    set_be16(m + OFF_KE + 2, bad);
    rc = ike_message_parse(m, 280, &msg, &err);
    assert_codec_error(rc, &err, IKE_ERR_PAYLOAD_LENGTH, IKE_PT_KE, "Payload Length");
  }
}

static void zero_length_bodies(void **state) {
  (void)state;
  struct ike_message msg;
  struct ike_error err;
  /* Nonce with an empty body: below the 16-octet minimum. The rest no longer lines up, but
   * the walk stops at the first bad payload. */
  uint8_t *m = mutable_request();
  set_be16(m + OFF_NONCE + 2, 4);
  enum ike_err rc = ike_message_parse(m, 280, &msg, &err);
  assert_codec_error(rc, &err, IKE_ERR_BODY_TOO_SHORT, IKE_PT_NONCE, NULL);
  /* A Vendor ID may be empty: shorten V to its header and the message to match. */
  m = mutable_request();
  set_be16(m + OFF_V + 2, 4);
  set_length(m, OFF_V + 4);
  assert_codec_ok(ike_message_parse(m, OFF_V + 4, &msg, &err), &err);
  union ike_payload_body body;
  assert_int_equal(ike_chain_decode(&msg.clear.payloads[6], &body), IKE_OK);
  assert_int_equal(body.vendor.data.len, 0);
}

static void generic_header_truncated_and_trailing_data(void **state) {
  (void)state;
  struct ike_message msg;
  struct ike_error err;
  /* V says another V follows, but only 2 octets remain. */
  uint8_t *m = mutable_request();
  m[OFF_V] = IKE_PT_VENDOR;
  m[280] = m[281] = 0;
  set_length(m, 282);
  enum ike_err rc = ike_message_parse(m, 282, &msg, &err);
  assert_codec_error(rc, &err, IKE_ERR_PAYLOAD_TRUNCATED, IKE_PT_VENDOR, NULL);
  assert_int_equal(err.offset, 280);
  /* The chain ends (Next Payload 0) but 4 octets follow. */
  m = mutable_request();
  memset(m + 280, 0, 4);
  set_length(m, 284);
  rc = ike_message_parse(m, 284, &msg, &err);
  assert_codec_error(rc, &err, IKE_ERR_TRAILING_DATA, IKE_PT_VENDOR, NULL);
  assert_int_equal(err.offset, 280);
}

static void unknown_payloads_critical_and_not(void **state) {
  (void)state;
  struct ike_message msg;
  struct ike_error err;
  uint8_t *m = mutable_request();
  m[OFF_N_FRAG] = 200; /* the last payload becomes private-use type 200 */
  assert_codec_ok(ike_message_parse(m, 280, &msg, &err), &err);
  assert_int_equal(msg.clear.count, 6);
  assert_int_equal(msg.clear.unknown_skipped, 1);
  assert_codec_ok(ike_rules_check_clear(&msg, &err), &err);
  m[OFF_V + 1] = IKE_PAYLOAD_CRITICAL;
  enum ike_err rc = ike_message_parse(m, 280, &msg, &err);
  assert_codec_error(rc, &err, IKE_ERR_UNSUPPORTED_CRITICAL, 200, "Critical");
  assert_int_equal(ike_err_notify(rc), IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD);
  /* EAP is not implemented: non-critical it is skipped like any unknown payload. */
  m[OFF_N_FRAG] = IKE_PT_EAP;
  m[OFF_V + 1] = 0;
  assert_int_equal(ike_message_parse(m, 280, &msg, &err), IKE_OK);
  assert_int_equal(msg.clear.unknown_skipped, 1);
  /* For understood payloads the critical bit changes nothing (RFC 7296 2.5). */
  m = mutable_request();
  m[OFF_KE + 1] = 0xff;
  assert_int_equal(ike_message_parse(m, 280, &msg, &err), IKE_OK);
  assert_true(msg.clear.payloads[1].critical);
}

/* Builds a message of n empty Vendor ID payloads. */
static size_t vendor_flood(size_t n) {
  struct ike_payload_out payloads[IKE_MAX_PAYLOADS + 1];
  for (size_t i = 0; i < n; i++)
    payloads[i] = (struct ike_payload_out){.type = IKE_PT_VENDOR, .raw = {NULL, 0}};
  struct ike_header hdr;
  ike_header_init(&hdr, IKE_EXCH_IKE_SA_INIT, IKE_FLAG_INITIATOR, 0, SAMPLE_SPI_I64, 0);
  struct wire_writer w;
  wire_writer_init(&w, work, sizeof work);
  struct ike_build_info info;
  assert_int_equal(ike_message_build(&w, &hdr, payloads, n, &info, NULL), IKE_OK);
  return info.length;
}

static void too_many_payloads(void **state) {
  (void)state;
  struct ike_message msg;
  struct ike_error err;
  size_t len = vendor_flood(IKE_MAX_PAYLOADS);
  assert_codec_ok(ike_message_parse(work, len, &msg, &err), &err);
  assert_int_equal(msg.clear.count, IKE_MAX_PAYLOADS);
  len = vendor_flood(IKE_MAX_PAYLOADS + 1);
  enum ike_err rc = ike_message_parse(work, len, &msg, &err);
  assert_codec_error(rc, &err, IKE_ERR_TOO_MANY_PAYLOADS, IKE_PT_VENDOR, NULL);
  assert_int_equal(err.offset, IKE_HEADER_LEN + 4 * IKE_MAX_PAYLOADS);
}

static void nested_sa_lengths_in_a_message(void **state) {
  (void)state;
  struct ike_message msg;
  struct ike_error err;
  /* SA payload 8 octets shorter than its proposals: proposal 2 overruns the payload (the SA is
   * rejected before the walk would trip over the octets that no longer line up). */
  uint8_t *m = mutable_request();
  set_be16(m + OFF_SA + 2, 92 - 8);
  enum ike_err rc = ike_message_parse(m, 280, &msg, &err);
  assert_codec_error(rc, &err, IKE_ERR_LENGTH_MISMATCH, IKE_PT_SA, "Proposal Length");
  assert_int_equal(err.offset, OFF_SA + 4 + 44 + 2);
  /* Proposal 1 claims 4 octets more than its transforms: they swallow proposal 2's header. */
  m = mutable_request();
  set_be16(m + OFF_SA + 4 + 2, 44 + 4);
  rc = ike_message_parse(m, 280, &msg, &err);
  assert_int_equal(rc, IKE_ERR_LENGTH_MISMATCH);
  assert_int_equal(err.payload_type, IKE_PT_SA);
  /* A transform longer than its proposal. */
  m = mutable_request();
  set_be16(m + OFF_SA + 4 + 8 + 2, 0x40);
  rc = ike_message_parse(m, 280, &msg, &err);
  assert_codec_error(rc, &err, IKE_ERR_LENGTH_MISMATCH, IKE_PT_SA, "Transform Length");
  assert_int_equal(err.offset, OFF_SA + 4 + 8 + 2);
}

/* ---- protected messages --------------------------------------------------------------------- */

static void protected_message_exposes_encrypted_view(void **state) {
  (void)state;
  struct ike_message msg;
  struct ike_error err;
  size_t len = sample_protected_message(work, sizeof work, IKE_EXCH_IKE_AUTH, IKE_FLAG_INITIATOR, 1,
                                        IKE_PT_IDI, 100);
  assert_int_equal(len, 28 + 4 + 100);
  assert_codec_ok(ike_message_parse(work, len, &msg, &err), &err);
  assert_int_equal(msg.encrypted_index, 0);
  const struct ike_payload_ref *sk = &msg.clear.payloads[0];
  assert_int_equal(sk->type, IKE_PT_SK);
  assert_int_equal(sk->next_payload, IKE_PT_IDI);
  assert_ptr_equal(msg.aad.ptr, work);
  assert_int_equal(msg.aad.len, 32);
  union ike_payload_body body;
  assert_int_equal(ike_chain_decode(sk, &body), IKE_OK);
  assert_int_equal(body.sk.first_inner, IKE_PT_IDI);
  assert_ptr_equal(body.sk.encrypted.ptr, work + 32);
  struct wire_view iv, ct, icv;
  assert_true(ike_encrypted_split(body.sk.encrypted, 16, 16, &iv, &ct, &icv));
  assert_int_equal(ct.len, 68);
  assert_ptr_equal(icv.ptr, work + len - 16);
  assert_false(ike_encrypted_split(body.sk.encrypted, 90, 16, &iv, &ct, &icv));
  assert_codec_ok(ike_rules_check_clear(&msg, &err), &err);
}

static void sk_must_end_the_message(void **state) {
  (void)state;
  struct ike_message msg;
  struct ike_error err;
  size_t len = sample_protected_message(work, sizeof work, IKE_EXCH_INFORMATIONAL, 0, 2, 0, 40);
  set_be16(work + 28 + 2, 4 + 36); /* SK ends 4 octets before the message does */
  enum ike_err rc = ike_message_parse(work, len, &msg, &err);
  assert_codec_error(rc, &err, IKE_ERR_TRAILING_DATA, IKE_PT_SK, NULL);
}

static void builder_reserves_space_for_in_place_encryption(void **state) {
  (void)state;
  union ike_payload_body sk = {.sk = {.first_inner = IKE_PT_NOTIFY, .encrypted = {NULL, 61}}};
  struct ike_payload_out payloads[] = {{.type = IKE_PT_SK, .body = &sk}};
  struct ike_header hdr;
  ike_header_init(&hdr, IKE_EXCH_INFORMATIONAL, IKE_FLAG_RESPONSE, 7, SAMPLE_SPI_I64,
                  SAMPLE_SPI_R64);
  struct wire_writer w;
  wire_writer_init(&w, work, sizeof work);
  wire_write_zeros(&w, 4); /* a non-ESP marker: offsets count from the writer's start */
  struct ike_build_info info;
  struct ike_error err;
  assert_codec_ok(ike_message_build(&w, &hdr, payloads, 1, &info, &err), &err);
  assert_int_equal(info.length, 28 + 4 + 61);
  assert_int_equal(info.encrypted_offset, 4 + 32);
  struct ike_message msg;
  assert_codec_ok(ike_message_parse(work + 4, info.length, &msg, &err), &err);
  assert_int_equal(msg.hdr.message_id, 7);
  assert_int_equal(msg.aad.len, info.encrypted_offset - 4);
  /* An encrypted payload that is not last cannot be built. */
  struct ike_payload_out two[] = {{.type = IKE_PT_SK, .body = &sk}, {.type = IKE_PT_VENDOR}};
  wire_writer_init(&w, work, sizeof work);
  enum ike_err rc = ike_message_build(&w, &hdr, two, 2, &info, &err);
  assert_codec_error(rc, &err, IKE_ERR_BUILD_INVALID, IKE_PT_SK, NULL);
}

static void builder_reports_short_buffer_and_oversized_payload(void **state) {
  (void)state;
  struct ike_error err;
  struct ike_build_info info;
  struct ike_header hdr;
  ike_header_init(&hdr, IKE_EXCH_IKE_SA_INIT, IKE_FLAG_INITIATOR, 0, SAMPLE_SPI_I64, 0);
  union ike_payload_body v = {.vendor = {.data = {work + 1024, 100}}};
  struct ike_payload_out payloads[] = {{.type = IKE_PT_VENDOR, .body = &v}};
  uint8_t small[64];
  struct wire_writer w;
  wire_writer_init(&w, small, sizeof small);
  assert_int_equal(ike_message_build(&w, &hdr, payloads, 1, &info, &err), IKE_ERR_BUILD_SPACE);
  /* A body of 65532 octets makes a 65536-octet payload: beyond the 16-bit Payload Length. */
  static uint8_t source[65532], output[70000];
  v.vendor.data = VIEW(source);
  wire_writer_init(&w, output, sizeof output);
  enum ike_err rc = ike_message_build(&w, &hdr, payloads, 1, &info, &err);
  assert_codec_error(rc, &err, IKE_ERR_BUILD_INVALID, IKE_PT_VENDOR, "Payload Length");
  v.vendor.data.len = 65531;
  wire_writer_init(&w, output, sizeof output);
  assert_codec_ok(ike_message_build(&w, &hdr, payloads, 1, &info, &err), &err);
  assert_int_equal(info.length, 28 + 65535);
}

static void fragments_parse_and_bad_numbering_is_dropped(void **state) {
  (void)state;
  struct ike_message msg;
  struct ike_error err;
  size_t len = sample_fragment_message(work, sizeof work, 1, 3, IKE_PT_IDI);
  assert_codec_ok(ike_message_parse(work, len, &msg, &err), &err);
  assert_int_equal(msg.aad.len, 28 + 8);
  union ike_payload_body body;
  assert_int_equal(ike_chain_decode(&msg.clear.payloads[0], &body), IKE_OK);
  assert_int_equal(body.skf.fragment_number, 1);
  assert_int_equal(body.skf.total_fragments, 3);
  assert_int_equal(body.skf.first_inner, IKE_PT_IDI);
  assert_int_equal(body.skf.encrypted.len, 96);
  assert_codec_ok(ike_rules_check_clear(&msg, &err), &err);
  len = sample_fragment_message(work, sizeof work, 3, 3, IKE_PT_IDI);
  assert_codec_ok(ike_message_parse(work, len, &msg, &err), &err);
  assert_int_equal(msg.clear.payloads[0].next_payload, 0);
  len = sample_fragment_message(work, sizeof work, 2, 3, IKE_PT_IDI);
  assert_codec_ok(ike_message_parse(work, len, &msg, &err), &err);
  work[28] = IKE_PT_IDI; /* a later fragment naming an inner payload */
  enum ike_err rc = ike_message_parse(work, len, &msg, &err);
  assert_codec_error(rc, &err, IKE_ERR_FRAGMENT, IKE_PT_SKF, "Next Payload");
  assert_int_equal(ike_err_notify(rc), 0);
  work[28] = 0;
  set_be16(work + 32, 4); /* fragment 4 of 3 */
  set_be16(work + 34, 3);
  rc = ike_message_parse(work, len, &msg, &err);
  assert_codec_error(rc, &err, IKE_ERR_FRAGMENT, IKE_PT_SKF, "Fragment Number");
  set_be16(work + 32, 0);
  assert_int_equal(ike_message_parse(work, len, &msg, &err), IKE_ERR_FRAGMENT);
}

/* ---- inner chains --------------------------------------------------------------------------- */

static void inner_chains_parse_and_reject_nested_sk(void **state) {
  (void)state;
  struct ike_chain inner;
  struct ike_error err;
  uint8_t first;
  size_t len = sample_ike_auth_request_inner(work, sizeof work, &first);
  assert_true(len > 0);
  assert_int_equal(first, IKE_PT_IDI);
  assert_codec_ok(ike_inner_parse(first, work, len, &inner, &err), &err);
  assert_int_equal(inner.count, 10);
  assert_int_equal(inner.payloads[0].offset, 0);
  /* Plaintext that carries an SK payload itself. */
  union ike_payload_body sk = {.sk = {.first_inner = 0, .encrypted = {work, 8}}};
  struct ike_payload_out nested[] = {{.type = IKE_PT_SK, .body = &sk}};
  uint8_t plain[64];
  struct wire_writer w;
  wire_writer_init(&w, plain, sizeof plain);
  assert_int_equal(ike_chain_build(&w, nested, 1, &first, NULL, NULL), IKE_OK);
  enum ike_err rc = ike_inner_parse(first, plain, wire_writer_len(&w), &inner, &err);
  assert_codec_error(rc, &err, IKE_ERR_NESTED_ENCRYPTED, IKE_PT_SK, NULL);
  /* An empty plaintext with no first payload is an empty INFORMATIONAL (liveness check). */
  assert_int_equal(ike_inner_parse(IKE_PT_NONE, plain, 0, &inner, &err), IKE_OK);
  assert_int_equal(inner.count, 0);
  assert_int_equal(ike_inner_parse(IKE_PT_NONE, plain, 1, &inner, &err), IKE_ERR_TRAILING_DATA);
}

/* ---- RFC 7634 Appendix B: a real protected INFORMATIONAL message ----------------------------- */

static size_t hex_field(json_t *vector, const char *key, uint8_t *out, size_t cap) {
  const char *hex = json_string_value(json_object_get(vector, key));
  assert_non_null(hex);
  size_t n = strlen(hex) / 2;
  assert_true(n <= cap);
  for (size_t i = 0; i < n; i++) {
    unsigned byte;
    assert_int_equal(sscanf(hex + 2 * i, "%2x", &byte), 1);
    out[i] = (uint8_t)byte;
  }
  return n;
}

static json_t *load_rfc7634_ike_vector(void) {
  const char *dir = getenv("NICSEC_VECTORS");
  assert_non_null(dir);
  char path[1024];
  snprintf(path, sizeof path, "%s/chacha20poly1305_rfc.json", dir);
  json_error_t jerr;
  json_t *root = json_load_file(path, 0, &jerr);
  if (!root)
    fail_msg("cannot load %s: %s", path, jerr.text);
  json_t *vectors = json_object_get(root, "vectors");
  for (size_t i = 0; i < json_array_size(vectors); i++) {
    json_t *v = json_array_get(vectors, i);
    if (json_object_get(v, "ike_message")) {
      json_incref(v);
      json_decref(root);
      return v;
    }
  }
  fail_msg("no IKEv2 vector in %s", path);
  return NULL;
}

static void rfc7634_informational_message(void **state) {
  (void)state;
  json_t *v = load_rfc7634_ike_vector();
  uint8_t message[256], aad[64], iv[16], ct[64], tag[16], plain[64];
  size_t len = hex_field(v, "ike_message", message, sizeof message);
  size_t aad_len = hex_field(v, "aad", aad, sizeof aad);
  size_t iv_len = hex_field(v, "iv", iv, sizeof iv);
  size_t ct_len = hex_field(v, "ciphertext", ct, sizeof ct);
  size_t tag_len = hex_field(v, "tag", tag, sizeof tag);
  size_t plain_len = hex_field(v, "plaintext", plain, sizeof plain);
  json_decref(v);
  struct ike_message msg;
  struct ike_error err;
  assert_codec_ok(ike_message_parse(message, len, &msg, &err), &err);
  assert_int_equal(msg.hdr.exchange, IKE_EXCH_INFORMATIONAL);
  assert_int_equal(msg.hdr.message_id, 9);
  assert_false(ike_header_is_response(&msg.hdr));
  assert_view_equal(msg.aad, aad, aad_len);
  assert_codec_ok(ike_rules_check_clear(&msg, &err), &err);
  union ike_payload_body body;
  assert_int_equal(ike_chain_decode(&msg.clear.payloads[msg.encrypted_index], &body), IKE_OK);
  struct wire_view v_iv, v_ct, v_icv;
  assert_true(ike_encrypted_split(body.sk.encrypted, iv_len, tag_len, &v_iv, &v_ct, &v_icv));
  assert_view_equal(v_iv, iv, iv_len);
  assert_view_equal(v_ct, ct, ct_len);
  assert_view_equal(v_icv, tag, tag_len);
  /* The published plaintext: inner payloads | padding | Pad Length. */
  size_t pad = plain[plain_len - 1];
  struct ike_chain inner;
  assert_codec_ok(ike_inner_parse(body.sk.first_inner, plain, plain_len - 1 - pad, &inner, &err),
                  &err);
  assert_int_equal(inner.count, 1);
  assert_int_equal(ike_ref_notify_type(&inner.payloads[0]), IKE_N_SET_WINDOW_SIZE);
  assert_int_equal(ike_chain_decode(&inner.payloads[0], &body), IKE_OK);
  const uint8_t window[4] = {0, 0, 0, 10};
  assert_view_equal(body.notify.data, window, 4);
  assert_codec_ok(ike_rules_check_inner(&msg, &inner, &err), &err);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(golden_request_parses_field_by_field),
      cmocka_unit_test(golden_request_sa_decodes),
      cmocka_unit_test(builder_reproduces_golden_request),
      cmocka_unit_test(cookie_and_init_responses_pass_rules),
      cmocka_unit_test(header_version_checks),
      cmocka_unit_test(header_flags_and_zero_spi),
      cmocka_unit_test(header_length_must_match_datagram),
      cmocka_unit_test(truncated_message_with_consistent_header),
      cmocka_unit_test(overlong_and_undersized_payload_lengths),
      cmocka_unit_test(zero_length_bodies),
      cmocka_unit_test(generic_header_truncated_and_trailing_data),
      cmocka_unit_test(unknown_payloads_critical_and_not),
      cmocka_unit_test(too_many_payloads),
      cmocka_unit_test(nested_sa_lengths_in_a_message),
      cmocka_unit_test(protected_message_exposes_encrypted_view),
      cmocka_unit_test(sk_must_end_the_message),
      cmocka_unit_test(builder_reserves_space_for_in_place_encryption),
      cmocka_unit_test(builder_reports_short_buffer_and_oversized_payload),
      cmocka_unit_test(fragments_parse_and_bad_numbering_is_dropped),
      cmocka_unit_test(inner_chains_parse_and_reject_nested_sk),
      cmocka_unit_test(rfc7634_informational_message),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
