/* Configuration loading: a complete good file, and bad files whose errors must name the file,
 * the line and the field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ikecodec_consts.h"

static const char good[] =
    "daemon:\n"                                              /* 1 */
    "  retransmit_timeout_ms: 500\n"                         /* 2 */
    "  half_open_threshold: 10\n"                            /* 3 */
    "hal:\n"                                                 /* 4 */
    "  backend: soft\n"                                      /* 5 */
    "  args: \"max_sa=64\"\n"                                /* 6 */
    "connections:\n"                                         /* 7 */
    "  - name: peer\n"                                       /* 8 */
    "    local_addr: 192.0.2.2\n"                            /* 9 */
    "    remote_addr: 192.0.2.1\n"                           /* 10 */
    "    proposals: [aes256gcm16-prfsha256-x25519, aes128-sha256-modp2048]\n" /* 11 */
    "    encap: true\n"                                      /* 12 */
    "    dpd_delay: 30\n"                                    /* 13 */
    "    local: { id: right@example.test, auth: psk }\n"     /* 14 */
    "    remote: { id: \"@left.example.test\" }\n"           /* 15 */
    "    children:\n"                                        /* 16 */
    "      - name: net\n"                                    /* 17 */
    "        local_ts: [203.0.113.0/24, dynamic]\n"          /* 18 */
    "        remote_ts: [\"198.51.100.0/24[tcp/443]\"]\n"    /* 19 */
    "        esp_proposals: [aes256gcm16, chacha20poly1305-esn]\n" /* 20 */
    "        mode: transport\n"                              /* 21 */
    "        start_action: start\n"                          /* 22 */
    "  - name: road\n"                                       /* 23 */
    "    local_addr: 2001:db8::1\n"                          /* 24 */
    "    remote_addr: \"%any\"\n"                            /* 25 */
    "    proposals: [aes128gcm16-prfsha384-ecp384]\n"        /* 26 */
    "secrets:\n"                                             /* 27 */
    "  - ids: [right@example.test, \"@left.example.test\"]\n" /* 28 */
    "    secret: \"swordfish\"\n"                            /* 29 */
    "  - secret: 0x00ff10\n";                                /* 30 */

static void test_good_config(void **state) {
  (void)state;
  struct nd_config cfg;
  struct nd_config_error err;
  assert_int_equal(nd_config_load_text("good.yaml", good, strlen(good), &cfg, &err), 0);
  assert_int_equal(cfg.daemon.retransmit_timeout_ms, 500);
  assert_int_equal(cfg.daemon.retransmit_tries, 5); /* default */
  assert_int_equal(cfg.daemon.half_open_threshold, 10);
  assert_int_equal(cfg.daemon.ike_port, 500);
  assert_string_equal(cfg.hal.backend, "soft");
  assert_string_equal(cfg.hal.args, "max_sa=64");
  assert_int_equal(cfg.n_conns, 2);
  const struct nd_conn_cfg *c = nd_config_find_conn(&cfg, "peer");
  assert_non_null(c);
  assert_int_equal(c->local_addr.family, AF_INET);
  assert_int_equal(c->n_ike, 2);
  assert_string_equal(c->ike[1].text, "aes128-sha256-modp2048");
  assert_true(c->encap);
  assert_int_equal(c->dpd_delay_s, 30);
  assert_int_equal(c->local_id.type, IKE_ID_RFC822_ADDR);
  assert_int_equal(c->remote_id.type, IKE_ID_FQDN);
  assert_int_equal(c->remote_id.len, strlen("left.example.test"));
  assert_int_equal(c->n_children, 1);
  const struct nd_child_cfg *ch = &c->children[0];
  assert_int_equal(ch->n_local_ts, 2);
  assert_true(ch->local_ts[1].dynamic);
  assert_int_equal(ch->remote_ts[0].ts.proto, 6);
  assert_int_equal(ch->remote_ts[0].ts.start_port, 443);
  assert_int_equal(ch->n_esp, 2);
  assert_int_equal(ch->mode, ND_MODE_TRANSPORT);
  assert_int_equal(ch->start_action, ND_START_START);
  assert_int_equal(ch->replay_window, 32);
  const struct nd_conn_cfg *road = nd_config_find_conn(&cfg, "road");
  assert_int_equal(road->local_addr.family, AF_INET6);
  assert_int_equal(road->remote_addr.family, 0); /* %any */
  assert_int_equal(road->remote_id.type, ND_ID_ANY);
  assert_int_equal(cfg.n_secrets, 2);
  assert_int_equal(cfg.secrets[1].key_len, 3);
  assert_int_equal(cfg.secrets[1].key[1], 0xff);
  const struct nd_secret *s = nd_config_find_psk(&cfg, &c->local_id, &c->remote_id);
  assert_ptr_equal(s, &cfg.secrets[0]);
  struct nd_identity stranger;
  char e[64];
  assert_int_equal(nd_identity_parse("stranger@example.test", &stranger, e, sizeof e), 0);
  assert_ptr_equal(nd_config_find_psk(&cfg, &c->local_id, &stranger), &cfg.secrets[1]);
  nd_config_free(&cfg);
}

/* The good file with line `line` (1-based) replaced by `text`, in buf (4096 octets). */
static void substitute(unsigned line, const char *text, char *buf) {
  buf[0] = '\0';
  const char *p = good;
  for (unsigned n = 1; *p; n++) {
    const char *end = strchr(p, '\n');
    size_t len = end ? (size_t)(end - p + 1) : strlen(p);
    if (n == line)
      strcat(buf, text);
    else
      strncat(buf, p, len);
    p += len;
  }
}

/* Replaces line `line` (1-based) of the good file by `text` and expects a load error at
 * expect_line whose field contains expect_field and whose message contains expect_msg. */
static void expect_error(unsigned line, const char *text, unsigned expect_line,
                         const char *expect_field, const char *expect_msg) {
  char buf[4096];
  substitute(line, text, buf);
  struct nd_config cfg;
  struct nd_config_error err;
  assert_int_equal(nd_config_load_text("bad.yaml", buf, strlen(buf), &cfg, &err), -1);
  char formatted[600];
  nd_config_error_format(&err, formatted, sizeof formatted);
  if (err.line != expect_line || !strstr(err.field, expect_field) ||
      !strstr(err.message, expect_msg))
    fail_msg("unexpected error: %s", formatted);
  assert_string_equal(err.file, "bad.yaml");
  assert_non_null(strstr(formatted, "bad.yaml:"));
}

static void test_bad_proposal_keyword(void **state) {
  (void)state;
  expect_error(11, "    proposals: [aes256gcm16-prfsha256-x25519, aes128-sha256-modp1024]\n", 11,
               "connections[0].proposals[1]", "'modp1024' is not a known algorithm keyword");
}

static void test_incomplete_proposal(void **state) {
  (void)state;
  expect_error(11, "    proposals: [aes256gcm16-x25519]\n", 11, "connections[0].proposals[0]",
               "names no PRF");
  expect_error(20, "        esp_proposals: [aes128-sha256]\n", 20,
               "connections[0].children[0].esp_proposals[0]", "'aes128' is not usable");
}

static void test_bad_enum(void **state) {
  (void)state;
  expect_error(21, "        mode: beet\n", 21, "connections[0].children[0].mode", "beet");
}

static void test_unknown_key(void **state) {
  (void)state;
  expect_error(13, "    dpd_dealy: 30\n", 13, "connections[0]", "dpd_dealy");
}

static void test_bad_address(void **state) {
  (void)state;
  expect_error(9, "    local_addr: 192.0.2.300\n", 9, "connections[0].local_addr",
               "not an IPv4 or IPv6 address");
}

static void test_bad_selector(void **state) {
  (void)state;
  expect_error(19, "        remote_ts: [\"198.51.100.0/33\"]\n", 19,
               "connections[0].children[0].remote_ts[0]", "not an address");
  expect_error(19, "        remote_ts: [\"10.0.0.0/8[tcp/99999]\"]\n", 19,
               "connections[0].children[0].remote_ts[0]", "[proto/port]");
}

static void test_trap_not_available(void **state) {
  (void)state;
  expect_error(22, "        start_action: trap\n", 22,
               "connections[0].children[0].start_action", "acquire");
}

static void test_duplicate_name(void **state) {
  (void)state;
  expect_error(23, "  - name: peer\n", 23, "connections[1].name", "used twice");
}

static void test_missing_required(void **state) {
  (void)state;
  expect_error(5, "", 4, "hal", "backend");
}

static void test_syntax_error(void **state) {
  (void)state;
  expect_error(12, "    encap: true\n  stray: x\n", 13, "", "YAML syntax");
}

static void test_schema_error_in_second_entry(void **state) {
  (void)state;
  expect_error(25, "    remote_port: 99999\n", 25, "connections[1].remote_port", "");
}

static void test_bad_secret(void **state) {
  (void)state;
  expect_error(30, "  - secret: 0x0g\n", 30, "secrets[1].secret", "hex");
}

/* Optimized rekeys and child-pfs-info: off unless asked for; the draft notify types default to
 * the private-use values and must stay private-use status types, distinct. */
static void test_optimized_rekey_fields(void **state) {
  (void)state;
  struct nd_config cfg;
  struct nd_config_error err;
  assert_int_equal(nd_config_load_text("good.yaml", good, strlen(good), &cfg, &err), 0);
  assert_false(cfg.conns[0].optimized_rekey);
  assert_false(cfg.conns[0].child_pfs_info);
  assert_int_equal(cfg.daemon.notify_optimized_rekey_supported, 50400);
  assert_int_equal(cfg.daemon.notify_optimized_rekey, 50401);
  assert_int_equal(cfg.daemon.notify_child_pfs_info_supported, 50600);
  nd_config_free(&cfg);
  char buf[4096], text[4200];
  substitute(3, "  notify_optimized_rekey: 61234\n", buf);
  const char *encap = strstr(buf, "    encap: true\n");
  assert_non_null(encap);
  snprintf(text, sizeof text, "%.*s    optimized_rekey: true\n    child_pfs_info: true\n%s",
           (int)(encap - buf), buf, encap);
  assert_int_equal(nd_config_load_text("opt.yaml", text, strlen(text), &cfg, &err), 0);
  assert_true(cfg.conns[0].optimized_rekey);
  assert_true(cfg.conns[0].child_pfs_info);
  assert_false(cfg.conns[1].optimized_rekey);
  assert_int_equal(cfg.daemon.notify_optimized_rekey, 61234);
  nd_config_free(&cfg);
  expect_error(3, "  notify_optimized_rekey: 16393\n", 1, "daemon", "private-use");
  expect_error(3, "  notify_optimized_rekey: 50400\n", 1, "daemon", "distinct");
}

static void test_missing_file(void **state) {
  (void)state;
  struct nd_config cfg;
  struct nd_config_error err;
  assert_int_equal(nd_config_load_file("/nonexistent/nicsecd.yaml", &cfg, &err), -1);
  assert_string_equal(err.file, "/nonexistent/nicsecd.yaml");
  assert_int_equal(err.line, 0);
  assert_non_null(strstr(err.message, "cannot open"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_good_config),      cmocka_unit_test(test_bad_proposal_keyword),
      cmocka_unit_test(test_incomplete_proposal), cmocka_unit_test(test_bad_enum),
      cmocka_unit_test(test_unknown_key),      cmocka_unit_test(test_bad_address),
      cmocka_unit_test(test_bad_selector),     cmocka_unit_test(test_trap_not_available),
      cmocka_unit_test(test_duplicate_name),   cmocka_unit_test(test_missing_required),
      cmocka_unit_test(test_syntax_error),     cmocka_unit_test(test_bad_secret),
      cmocka_unit_test(test_schema_error_in_second_entry),
      cmocka_unit_test(test_missing_file),   cmocka_unit_test(test_optimized_rekey_fields),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
