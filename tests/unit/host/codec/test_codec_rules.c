/* Exchange rule tests: the sample messages of every exchange pass, and each kind of violation
 * (missing, forbidden, repeated, partial group, wrong protection, unknown exchange) is reported
 * with the payload concerned. Also the notify registry and the error table. */
#include "codec_test_util.h"
#include "ike_samples.h"

static uint8_t buf[4096];
static uint8_t notify_bodies[IKE_MAX_PAYLOADS][4];

static void add(struct ike_chain *c, uint8_t type) {
  c->payloads[c->count] = (struct ike_payload_ref){
      .type = type, .offset = 100 + c->count * 8, .body = {notify_bodies[c->count], 0}};
  c->count++;
}

static void add_notify(struct ike_chain *c, uint16_t notify_type) {
  uint8_t *body = notify_bodies[c->count];
  body[0] = body[1] = 0;
  body[2] = (uint8_t)(notify_type >> 8);
  body[3] = (uint8_t)notify_type;
  add(c, IKE_PT_NOTIFY);
  c->payloads[c->count - 1].body.len = 4;
}

static struct ike_chain chain_of(const uint8_t *types, size_t n) {
  struct ike_chain c = {0};
  for (size_t i = 0; i < n; i++)
    add(&c, types[i]);
  return c;
}
#define CHAIN(...) chain_of((const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

/* A message header plus a clear chain; protected when the chain ends in SK/SKF. */
static struct ike_message message(uint8_t exchange, bool response, struct ike_chain clear) {
  struct ike_message msg = {.clear = clear, .encrypted_index = -1};
  ike_header_init(&msg.hdr, exchange, response ? IKE_FLAG_RESPONSE : IKE_FLAG_INITIATOR, 1,
                  SAMPLE_SPI_I64, SAMPLE_SPI_R64);
  if (clear.count && (clear.payloads[clear.count - 1].type == IKE_PT_SK ||
                      clear.payloads[clear.count - 1].type == IKE_PT_SKF))
    msg.encrypted_index = (int)clear.count - 1;
  return msg;
}

static void expect_inner(uint8_t exchange, bool response, struct ike_chain inner, enum ike_err code,
                         uint8_t payload_type) {
  struct ike_message msg = message(exchange, response, CHAIN(IKE_PT_SK));
  struct ike_error err;
  enum ike_err rc = ike_rules_check_inner(&msg, &inner, &err);
  if (code == IKE_OK) {
    assert_codec_ok(rc, &err);
    return;
  }
  const struct ike_exchange_rules *rules = ike_rules_lookup(exchange, response, true);
  assert_codec_error(rc, &err, code, payload_type, rules->name);
}

static void expect_clear(struct ike_message msg, enum ike_err code, uint8_t payload_type) {
  struct ike_error err;
  enum ike_err rc = ike_rules_check_clear(&msg, &err);
  if (code == IKE_OK)
    assert_codec_ok(rc, &err);
  else
    assert_codec_error(rc, &err, code, payload_type, NULL);
}

/* ---- the sample messages pass --------------------------------------------------------------- */

static void inner_samples_pass(uint8_t exchange, bool response,
                               size_t (*sample)(uint8_t *, size_t, uint8_t *)) {
  uint8_t first;
  size_t len = sample(buf, sizeof buf, &first);
  assert_true(len > 0);
  struct ike_chain inner;
  struct ike_error err;
  assert_codec_ok(ike_inner_parse(first, buf, len, &inner, &err), &err);
  expect_inner(exchange, response, inner, IKE_OK, 0);
}

static void every_sample_passes_its_rules(void **state) {
  (void)state;
  size_t (*clear_samples[])(uint8_t *, size_t) = {
      sample_ike_sa_init_request, sample_ike_sa_init_response, sample_cookie_response};
  for (size_t i = 0; i < ARRAY_LEN(clear_samples); i++) {
    size_t len = clear_samples[i](buf, sizeof buf);
    struct ike_message msg;
    struct ike_error err;
    assert_codec_ok(ike_message_parse(buf, len, &msg, &err), &err);
    assert_codec_ok(ike_rules_check_clear(&msg, &err), &err);
  }
  inner_samples_pass(IKE_EXCH_IKE_AUTH, false, sample_ike_auth_request_inner);
  inner_samples_pass(IKE_EXCH_IKE_AUTH, true, sample_ike_auth_response_inner);
  inner_samples_pass(IKE_EXCH_CREATE_CHILD_SA, false, sample_create_child_request_inner);
  inner_samples_pass(IKE_EXCH_INFORMATIONAL, false, sample_informational_delete_inner);
  inner_samples_pass(IKE_EXCH_INFORMATIONAL, true, sample_informational_delete_inner);
  /* Liveness check: an empty INFORMATIONAL both ways. */
  expect_inner(IKE_EXCH_INFORMATIONAL, false, (struct ike_chain){0}, IKE_OK, 0);
  expect_inner(IKE_EXCH_INFORMATIONAL, true, (struct ike_chain){0}, IKE_OK, 0);
}

/* ---- IKE_SA_INIT ---------------------------------------------------------------------------- */

static void ike_sa_init_violations(void **state) {
  (void)state;
  const uint8_t init = IKE_EXCH_IKE_SA_INIT;
  expect_clear(message(init, false, CHAIN(IKE_PT_SA, IKE_PT_NONCE, IKE_PT_NOTIFY)),
               IKE_ERR_RULE_MISSING, IKE_PT_KE);
  expect_clear(message(init, false, CHAIN(IKE_PT_SA, IKE_PT_KE, IKE_PT_NONCE, IKE_PT_CERTREQ)),
               IKE_ERR_RULE_FORBIDDEN, IKE_PT_CERTREQ);
  expect_clear(message(init, false, CHAIN(IKE_PT_SA, IKE_PT_KE, IKE_PT_NONCE, IKE_PT_NONCE)),
               IKE_ERR_RULE_REPEATED, IKE_PT_NONCE);
  expect_clear(message(init, false, CHAIN(IKE_PT_SA, IKE_PT_KE, IKE_PT_NONCE, IKE_PT_IDI)),
               IKE_ERR_RULE_FORBIDDEN, IKE_PT_IDI);
  /* IKE_SA_INIT is never encrypted. */
  expect_clear(message(init, false, CHAIN(IKE_PT_SK)), IKE_ERR_RULE_FORBIDDEN, IKE_PT_SK);
  /* Offsets point at the offending payload. */
  struct ike_message msg =
      message(init, false, CHAIN(IKE_PT_SA, IKE_PT_KE, IKE_PT_NONCE, IKE_PT_VENDOR, IKE_PT_AUTH));
  struct ike_error err;
  assert_int_equal(ike_rules_check_clear(&msg, &err), IKE_ERR_RULE_FORBIDDEN);
  assert_int_equal(err.offset, 100 + 4 * 8);
  assert_string_equal(err.field, "IKE_SA_INIT request");
}

static void ike_sa_init_error_responses(void **state) {
  (void)state;
  struct ike_chain c = {0};
  add_notify(&c, IKE_N_NO_PROPOSAL_CHOSEN);
  expect_clear(message(IKE_EXCH_IKE_SA_INIT, true, c), IKE_OK, 0);
  c = (struct ike_chain){0};
  add_notify(&c, IKE_N_INVALID_KE_PAYLOAD);
  expect_clear(message(IKE_EXCH_IKE_SA_INIT, true, c), IKE_OK, 0);
  /* A status notify other than COOKIE does not replace SA, KE and Nr. */
  c = (struct ike_chain){0};
  add_notify(&c, IKE_N_NAT_DETECTION_SOURCE_IP);
  expect_clear(message(IKE_EXCH_IKE_SA_INIT, true, c), IKE_ERR_RULE_MISSING, IKE_PT_SA);
  /* Nor does an error notify in a request. */
  c = (struct ike_chain){0};
  add_notify(&c, IKE_N_NO_PROPOSAL_CHOSEN);
  expect_clear(message(IKE_EXCH_IKE_SA_INIT, false, c), IKE_ERR_RULE_MISSING, IKE_PT_SA);
  /* The retried request: N(COOKIE) first, then the full payload set. */
  c = (struct ike_chain){0};
  add_notify(&c, IKE_N_COOKIE);
  add(&c, IKE_PT_SA);
  add(&c, IKE_PT_KE);
  add(&c, IKE_PT_NONCE);
  expect_clear(message(IKE_EXCH_IKE_SA_INIT, false, c), IKE_OK, 0);
  /* A waiver never lifts the limits: two KE payloads stay wrong. */
  add(&c, IKE_PT_KE);
  expect_clear(message(IKE_EXCH_IKE_SA_INIT, false, c), IKE_ERR_RULE_REPEATED, IKE_PT_KE);
}

/* ---- IKE_AUTH ------------------------------------------------------------------------------- */

static void ike_auth_protection(void **state) {
  (void)state;
  const uint8_t auth = IKE_EXCH_IKE_AUTH;
  expect_clear(message(auth, false, CHAIN(IKE_PT_SK)), IKE_OK, 0);
  expect_clear(message(auth, false, CHAIN(IKE_PT_SKF)), IKE_OK, 0);
  expect_clear(message(auth, false, CHAIN(IKE_PT_IDI, IKE_PT_AUTH)), IKE_ERR_RULE_MISSING,
               IKE_PT_SK);
  expect_clear(message(auth, true, CHAIN(IKE_PT_VENDOR, IKE_PT_SK)), IKE_ERR_RULE_FORBIDDEN,
               IKE_PT_VENDOR);
}

static void ike_auth_inner_violations(void **state) {
  (void)state;
  const uint8_t auth = IKE_EXCH_IKE_AUTH;
  expect_inner(auth, false, CHAIN(IKE_PT_IDI, IKE_PT_SA, IKE_PT_TSI, IKE_PT_TSR),
               IKE_ERR_RULE_MISSING, IKE_PT_AUTH);
  expect_inner(auth, false, CHAIN(IKE_PT_IDI, IKE_PT_AUTH, IKE_PT_SA, IKE_PT_TSI),
               IKE_ERR_RULE_GROUP, IKE_PT_TSR);
  expect_inner(auth, false, CHAIN(IKE_PT_IDI, IKE_PT_AUTH, IKE_PT_TSI, IKE_PT_TSR),
               IKE_ERR_RULE_GROUP, IKE_PT_SA);
  /* Childless IKE_AUTH (RFC 6023): none of SA, TSi, TSr. */
  expect_inner(auth, false, CHAIN(IKE_PT_IDI, IKE_PT_AUTH), IKE_OK, 0);
  expect_inner(auth, false, CHAIN(IKE_PT_IDI, IKE_PT_IDI, IKE_PT_AUTH), IKE_ERR_RULE_REPEATED,
               IKE_PT_IDI);
  expect_inner(auth, false, CHAIN(IKE_PT_IDI, IKE_PT_AUTH, IKE_PT_KE), IKE_ERR_RULE_FORBIDDEN,
               IKE_PT_KE);
  expect_inner(auth, false, CHAIN(IKE_PT_IDI, IKE_PT_AUTH, IKE_PT_CP, IKE_PT_CP),
               IKE_ERR_RULE_REPEATED, IKE_PT_CP);
  expect_inner(auth, true, CHAIN(IKE_PT_IDR, IKE_PT_AUTH, IKE_PT_CERTREQ), IKE_ERR_RULE_FORBIDDEN,
               IKE_PT_CERTREQ);
  expect_inner(auth, true, CHAIN(IKE_PT_AUTH), IKE_ERR_RULE_MISSING, IKE_PT_IDR);
  /* Error answers: AUTHENTICATION_FAILED alone; or IKE SA up but the Child refused. */
  struct ike_chain c = {0};
  add_notify(&c, IKE_N_AUTHENTICATION_FAILED);
  expect_inner(auth, true, c, IKE_OK, 0);
  c = CHAIN(IKE_PT_IDR, IKE_PT_AUTH);
  add_notify(&c, IKE_N_TS_UNACCEPTABLE);
  expect_inner(auth, true, c, IKE_OK, 0);
  c = (struct ike_chain){0};
  add_notify(&c, IKE_N_INITIAL_CONTACT);
  expect_inner(auth, true, c, IKE_ERR_RULE_MISSING, IKE_PT_IDR);
}

/* ---- CREATE_CHILD_SA and INFORMATIONAL ------------------------------------------------------ */

static void create_child_sa_violations(void **state) {
  (void)state;
  const uint8_t ccs = IKE_EXCH_CREATE_CHILD_SA;
  /* IKE SA rekey: SA, Ni, KEi and no traffic selectors. */
  expect_inner(ccs, false, CHAIN(IKE_PT_SA, IKE_PT_NONCE, IKE_PT_KE), IKE_OK, 0);
  expect_inner(ccs, true, CHAIN(IKE_PT_SA, IKE_PT_NONCE, IKE_PT_KE), IKE_OK, 0);
  expect_inner(ccs, false, CHAIN(IKE_PT_SA, IKE_PT_TSI, IKE_PT_TSR), IKE_ERR_RULE_MISSING,
               IKE_PT_NONCE);
  expect_inner(ccs, false, CHAIN(IKE_PT_SA, IKE_PT_NONCE, IKE_PT_TSI), IKE_ERR_RULE_GROUP,
               IKE_PT_TSR);
  expect_inner(ccs, false, CHAIN(IKE_PT_SA, IKE_PT_NONCE, IKE_PT_IDI), IKE_ERR_RULE_FORBIDDEN,
               IKE_PT_IDI);
  expect_inner(ccs, true, CHAIN(IKE_PT_SA, IKE_PT_NONCE, IKE_PT_KE, IKE_PT_KE),
               IKE_ERR_RULE_REPEATED, IKE_PT_KE);
  struct ike_chain c = {0};
  add_notify(&c, IKE_N_NO_ADDITIONAL_SAS);
  expect_inner(ccs, true, c, IKE_OK, 0);
  expect_inner(ccs, false, c, IKE_ERR_RULE_MISSING, IKE_PT_NONCE);
  /* Optimized rekey: no SA, no TS; only the nonce (and KE) are required. */
  expect_inner(ccs, false, CHAIN(IKE_PT_NOTIFY, IKE_PT_NONCE), IKE_OK, 0);
}

static void informational_violations(void **state) {
  (void)state;
  const uint8_t info = IKE_EXCH_INFORMATIONAL;
  expect_inner(info, false, CHAIN(IKE_PT_DELETE, IKE_PT_DELETE, IKE_PT_NOTIFY), IKE_OK, 0);
  expect_inner(info, false, CHAIN(IKE_PT_SA), IKE_ERR_RULE_FORBIDDEN, IKE_PT_SA);
  expect_inner(info, true, CHAIN(IKE_PT_CP, IKE_PT_CP), IKE_ERR_RULE_REPEATED, IKE_PT_CP);
  /* RFC 7296 1.5: an unprotected notification is acceptable (as a hint) on its own. */
  struct ike_chain c = {0};
  add_notify(&c, IKE_N_INVALID_IKE_SPI);
  expect_clear(message(info, true, c), IKE_OK, 0);
  expect_clear(message(info, true, (struct ike_chain){0}), IKE_ERR_RULE_MISSING, IKE_PT_NOTIFY);
  expect_clear(message(info, false, CHAIN(IKE_PT_DELETE)), IKE_ERR_RULE_FORBIDDEN, IKE_PT_DELETE);
}

static void unknown_exchange_is_dropped(void **state) {
  (void)state;
  struct ike_message msg =
      message(43 /* IKE_INTERMEDIATE: no rules here */, false, CHAIN(IKE_PT_SK));
  struct ike_error err;
  enum ike_err rc = ike_rules_check_clear(&msg, &err);
  assert_codec_error(rc, &err, IKE_ERR_UNKNOWN_EXCHANGE, IKE_PT_NONE, "Exchange Type");
  assert_int_equal(ike_err_notify(rc), 0);
  struct ike_chain inner = CHAIN(IKE_PT_NOTIFY);
  assert_int_equal(ike_rules_check_inner(&msg, &inner, &err), IKE_ERR_UNKNOWN_EXCHANGE);
  assert_string_equal(ike_exchange_name(43), "UNKNOWN");
  assert_string_equal(ike_exchange_name(IKE_EXCH_CREATE_CHILD_SA), "CREATE_CHILD_SA");
}

/* ---- tables --------------------------------------------------------------------------------- */

static void rule_table_is_well_formed(void **state) {
  (void)state;
  const uint8_t exchanges[] = {IKE_EXCH_IKE_SA_INIT, IKE_EXCH_IKE_AUTH, IKE_EXCH_CREATE_CHILD_SA,
                               IKE_EXCH_INFORMATIONAL};
  for (size_t i = 0; i < ARRAY_LEN(exchanges); i++)
    for (int response = 0; response < 2; response++)
      assert_non_null(
          ike_rules_lookup(exchanges[i], response, exchanges[i] != IKE_EXCH_IKE_SA_INIT));
  for (size_t i = 0; i < ike_rules_table_size(); i++) {
    const struct ike_exchange_rules *r = ike_rules_table_row(i);
    assert_non_null(r->name);
    assert_non_null(r->diagram);
    assert_int_not_equal(r->payloads[0].occurs, IKE_OCC_END);
    /* Each listed payload is one the codec implements, listed once, and never SK/SKF. */
    for (size_t j = 0; r->payloads[j].occurs != IKE_OCC_END; j++) {
      assert_non_null(ike_payload_desc(r->payloads[j].type));
      assert_false(ike_payload_desc(r->payloads[j].type)->flags & IKE_PD_ENCRYPTED);
      for (size_t k = 0; k < j; k++)
        assert_int_not_equal(r->payloads[k].type, r->payloads[j].type);
    }
    assert_ptr_equal(
        ike_rules_lookup(r->exchange, r->response, r->protection == IKE_RULES_PROTECTED), r);
  }
  assert_null(ike_rules_table_row(ike_rules_table_size()));
}

static void notify_registry(void **state) {
  (void)state;
  for (size_t i = 0; i < ike_notify_table_size(); i++) {
    const struct ike_notify_info *row = ike_notify_table_row(i);
    if (i > 0)
      assert_true(ike_notify_table_row(i - 1)->type < row->type); /* sorted, unique */
    assert_ptr_equal(ike_notify_lookup(row->type), row);
    assert_int_equal(row->cls == IKE_NOTIFY_ERROR, ike_notify_is_error(row->type));
    assert_true(row->data_min <= row->data_max);
  }
  assert_string_equal(ike_notify_name(IKE_N_INVALID_SYNTAX), "INVALID_SYNTAX");
  assert_string_equal(ike_notify_name(IKE_N_NAT_DETECTION_DESTINATION_IP),
                      "NAT_DETECTION_DESTINATION_IP");
  assert_string_equal(ike_notify_name(16430), "IKEV2_FRAGMENTATION_SUPPORTED");
  assert_string_equal(ike_notify_name(8200), "UNKNOWN_ERROR");
  assert_string_equal(ike_notify_name(50000), "UNKNOWN_STATUS");
  assert_null(ike_notify_lookup(2));
  assert_true(ike_notify_is_error(16383));
  assert_false(ike_notify_is_error(16384));
  assert_true(ike_notify_data_len_ok(IKE_N_COOKIE, 64));
  assert_false(ike_notify_data_len_ok(IKE_N_COOKIE, 0));
  assert_true(ike_notify_data_len_ok(IKE_N_NO_PROPOSAL_CHOSEN, 1000));
  assert_true(ike_notify_data_len_ok(60000, 3));
}

static void error_table(void **state) {
  (void)state;
  for (int code = 0; code < IKE_ERR_COUNT; code++) {
    assert_string_not_equal(ike_err_name(code), "IKE_ERR_?");
    assert_string_not_equal(ike_strerror(code), "unknown error");
  }
  assert_string_equal(ike_err_name(IKE_ERR_COUNT), "IKE_ERR_?");
  assert_int_equal(ike_err_notify(IKE_ERR_LENGTH_MISMATCH), IKE_N_INVALID_SYNTAX);
  assert_int_equal(ike_err_notify(IKE_ERR_UNSUPPORTED_CRITICAL),
                   IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD);
  struct ike_error err = {IKE_ERR_LENGTH_MISMATCH, IKE_PT_SA, "Transform Length", 52};
  char text[200];
  ike_error_format(&err, text, sizeof text);
  assert_string_equal(text, "SA payload (type 33), Transform Length at offset 52: an inner "
                            "length or count disagrees with its container "
                            "(IKE_ERR_LENGTH_MISMATCH)");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_sample_passes_its_rules),
      cmocka_unit_test(ike_sa_init_violations),
      cmocka_unit_test(ike_sa_init_error_responses),
      cmocka_unit_test(ike_auth_protection),
      cmocka_unit_test(ike_auth_inner_violations),
      cmocka_unit_test(create_child_sa_violations),
      cmocka_unit_test(informational_violations),
      cmocka_unit_test(unknown_exchange_is_dropped),
      cmocka_unit_test(rule_table_is_well_formed),
      cmocka_unit_test(notify_registry),
      cmocka_unit_test(error_table),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
