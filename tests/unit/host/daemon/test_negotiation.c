/* Proposal strings and selection, traffic selectors, identities. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <string.h>

#include "ident.h"
#include "ikecodec_consts.h"
#include "proposal.h"
#include "ts.h"

static struct nd_proposal parse_ok(const char *text, uint8_t proto) {
  struct nd_proposal p;
  char err[200];
  if (nd_proposal_parse(text, proto, &p, err, sizeof err) != 0)
    fail_msg("%s: %s", text, err);
  return p;
}

static void test_parse_aead_ike(void **state) {
  (void)state;
  struct nd_proposal p = parse_ok("aes256gcm16-prfsha256-x25519", IKE_PROTO_IKE);
  assert_int_equal(p.count, 3);
  assert_int_equal(p.xforms[0].type, IKE_TRANSFORM_ENCR);
  assert_int_equal(p.xforms[0].id, 20);
  assert_int_equal(p.xforms[0].key_bits, 256);
  assert_int_equal(p.xforms[1].id, 5);
  assert_int_equal(p.xforms[2].type, IKE_TRANSFORM_KE);
  assert_int_equal(p.xforms[2].id, 31);
}

static void test_integ_implies_prf(void **state) {
  (void)state;
  struct nd_proposal p = parse_ok("aes128-sha256-modp2048", IKE_PROTO_IKE);
  assert_int_equal(p.count, 4); /* ENCR, INTEG, KE + the implied PRF */
  assert_int_equal(p.xforms[3].type, IKE_TRANSFORM_PRF);
  assert_int_equal(p.xforms[3].id, 5);
  p = parse_ok("aes128-sha256-prfsha384-modp2048", IKE_PROTO_IKE);
  assert_int_equal(p.count, 4);
  assert_int_equal(p.xforms[2].id, 6); /* the named PRF only */
}

static void test_esp_defaults_noesn(void **state) {
  (void)state;
  struct nd_proposal p = parse_ok("aes256gcm16", IKE_PROTO_ESP);
  assert_int_equal(p.count, 2);
  assert_int_equal(p.xforms[1].type, IKE_TRANSFORM_SN);
  assert_int_equal(p.xforms[1].id, 0);
  p = parse_ok("aes256gcm16-x25519-esn", IKE_PROTO_ESP);
  struct nd_proposal no_ke;
  nd_proposal_without_ke(&p, &no_ke);
  assert_int_equal(no_ke.count, 2);
}

static void test_parse_errors(void **state) {
  (void)state;
  const char *bad[][2] = {
      {"aes256gcm16-sha256-prfsha256-x25519", "AEAD"},
      {"aes128-prfsha256-x25519", "integrity"},
      {"aes256gcm16-prfsha256", "key exchange"},
      {"aes256gcm16--x25519", "empty keyword"},
      {"des-sha1-modp1024", "not a known"},
      {"", "empty"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    struct nd_proposal p;
    char err[200];
    assert_int_equal(nd_proposal_parse(bad[i][0], IKE_PROTO_IKE, &p, err, sizeof err), -1);
    if (!strstr(err, bad[i][1]))
      fail_msg("'%s' gave '%s'", bad[i][0], err);
  }
}

static void test_select_prefers_our_order(void **state) {
  (void)state;
  struct nd_proposal ours[2] = {parse_ok("aes256gcm16-prfsha384-ecp384", IKE_PROTO_IKE),
                                parse_ok("aes128gcm16-prfsha256-x25519-ecp256", IKE_PROTO_IKE)};
  struct nd_proposal peer = parse_ok("aes128gcm16-aes256gcm16-prfsha256-ecp256-x25519",
                                     IKE_PROTO_IKE);
  struct ike_sa_payload sa;
  memset(&sa, 0, sizeof sa);
  assert_true(nd_proposals_to_sa(&peer, 1, NULL, 0, &sa));
  struct nd_selected sel;
  assert_true(nd_proposal_select(ours, 2, &sa, false, &sel));
  assert_int_equal(sel.encr_bits, 128);
  assert_int_equal(sel.ke, 31); /* our first KE the peer offers */
  assert_int_equal(sel.proposal_number, 1);
  /* The answer round-trips through the initiator's check. */
  struct ike_sa_payload answer;
  memset(&answer, 0, sizeof answer);
  assert_true(nd_selected_to_sa(&sel, NULL, 0, &answer));
  struct nd_selected checked;
  assert_true(nd_proposal_check_answer(&peer, 1, &answer, false, &checked));
  assert_int_equal(checked.ke, 31);
  /* An answer we never offered is refused. */
  assert_false(nd_proposal_check_answer(&ours[0], 1, &answer, false, &checked));
}

static void test_select_esp_with_spi(void **state) {
  (void)state;
  struct nd_proposal ours = parse_ok("aes256gcm16", IKE_PROTO_ESP);
  struct nd_proposal peer = parse_ok("aes128gcm16-aes256gcm16-esn-noesn", IKE_PROTO_ESP);
  uint8_t spi[4] = {0xc0, 0x01, 0x02, 0x03};
  struct ike_sa_payload sa;
  memset(&sa, 0, sizeof sa);
  assert_true(nd_proposals_to_sa(&peer, 1, spi, 4, &sa));
  struct nd_selected sel;
  assert_true(nd_proposal_select(&ours, 1, &sa, true, &sel));
  assert_int_equal(sel.peer_spi, 0xc0010203);
  assert_int_equal(sel.esn, 0);
  assert_true(sel.has_esn);
  struct nd_proposal esn_only = parse_ok("aes256gcm16-esn", IKE_PROTO_ESP);
  memset(&sa, 0, sizeof sa);
  assert_true(nd_proposals_to_sa(&ours, 1, spi, 4, &sa));
  assert_false(nd_proposal_select(&esn_only, 1, &sa, true, &sel));
}

static struct nd_ts ts_ok(const char *text) {
  struct nd_ts_cfg cfg;
  char err[200];
  if (nd_ts_parse(text, &cfg, err, sizeof err) != 0)
    fail_msg("%s: %s", text, err);
  return cfg.ts;
}

static void test_ts_parse_and_format(void **state) {
  (void)state;
  char out[80];
  struct nd_ts ts = ts_ok("10.1.2.3/16");
  nd_ts_format(&ts, out, sizeof out);
  assert_string_equal(out, "10.1.0.0/16");
  ts = ts_ok("10.0.0.1-10.0.0.9[udp/500-4500]");
  nd_ts_format(&ts, out, sizeof out);
  assert_string_equal(out, "10.0.0.1-10.0.0.9[17/500-4500]");
  ts = ts_ok("2001:db8::/32[tcp/443]");
  nd_ts_format(&ts, out, sizeof out);
  assert_string_equal(out, "2001:db8::/32[6/443]");
  struct nd_ts_cfg cfg;
  char err[200];
  assert_int_equal(nd_ts_parse("10.0.0.9-10.0.0.1", &cfg, err, sizeof err), -1);
  assert_int_equal(nd_ts_parse("10.0.0.0/8[tcp", &cfg, err, sizeof err), -1);
  assert_int_equal(nd_ts_parse("dynamic[tcp/22]", &cfg, err, sizeof err), 0);
  assert_true(cfg.dynamic);
}

static void test_ts_narrow(void **state) {
  (void)state;
  struct nd_ts_list ours = {.count = 2, .ts = {ts_ok("10.0.0.0/24"), ts_ok("10.9.0.0/16[tcp]")}};
  struct ike_ts_payload peer;
  struct nd_ts_list peer_list = {.count = 2, .ts = {ts_ok("10.0.0.128/25[udp/53]"),
                                                    ts_ok("10.0.0.0/8")}};
  nd_ts_to_payload(&peer_list, &peer);
  struct nd_ts_list out;
  assert_true(nd_ts_narrow(&ours, &peer, &out));
  assert_int_equal(out.count, 3);
  char text[80];
  nd_ts_format(&out.ts[0], text, sizeof text);
  assert_string_equal(text, "10.0.0.128/25[17/53]");
  nd_ts_format(&out.ts[1], text, sizeof text);
  assert_string_equal(text, "10.0.0.0/24");
  nd_ts_format(&out.ts[2], text, sizeof text);
  assert_string_equal(text, "10.9.0.0/16[6]");
  struct nd_ts_list other = {.count = 1, .ts = {ts_ok("192.168.0.0/16")}};
  assert_false(nd_ts_narrow(&other, &peer, &out));
  /* The initiator accepts a narrowed answer but not a widened one. */
  struct nd_ts_list got;
  assert_true(nd_ts_answer_ok(&peer_list, &peer, &got));
  assert_false(nd_ts_answer_ok(&other, &peer, &got));
}

static void test_identities(void **state) {
  (void)state;
  struct nd_identity id;
  char err[200], text[128];
  const struct {
    const char *in;
    uint8_t type;
    const char *out;
  } cases[] = {
      {"left@example.test", IKE_ID_RFC822_ADDR, "left@example.test"},
      {"@gw.example.test", IKE_ID_FQDN, "gw.example.test"},
      {"gw.example.test", IKE_ID_FQDN, "gw.example.test"},
      {"192.0.2.1", IKE_ID_IPV4_ADDR, "192.0.2.1"},
      {"2001:db8::1", IKE_ID_IPV6_ADDR, "2001:db8::1"},
      {"keyid:0a0b", IKE_ID_KEY_ID, "\\x0a\\x0b"},
      {"email:x", IKE_ID_RFC822_ADDR, "x"},
      {"%any", ND_ID_ANY, "%any"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    assert_int_equal(nd_identity_parse(cases[i].in, &id, err, sizeof err), 0);
    assert_int_equal(id.type, cases[i].type);
    nd_identity_format(&id, text, sizeof text);
    assert_string_equal(text, cases[i].out);
  }
  assert_int_equal(nd_identity_parse("CN=x, O=y", &id, err, sizeof err), -1);
  assert_int_equal(nd_identity_parse("keyid:0g", &id, err, sizeof err), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_aead_ike),         cmocka_unit_test(test_integ_implies_prf),
      cmocka_unit_test(test_esp_defaults_noesn),     cmocka_unit_test(test_parse_errors),
      cmocka_unit_test(test_select_prefers_our_order), cmocka_unit_test(test_select_esp_with_spi),
      cmocka_unit_test(test_ts_parse_and_format),    cmocka_unit_test(test_ts_narrow),
      cmocka_unit_test(test_identities),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
