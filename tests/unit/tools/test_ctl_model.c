/* nicsecctl's pure logic: joining the two SA tables, the audit's diff rules, SPI parsing, watch
 * rates. Inputs are the daemon's documented sa-table shape, built here field by field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ctl_model.h"

/* One side of an SA as nicsecd's sa-table carries it (only the fields the audit reads). */
static json_t *side(const char *dir, const char *spi, const char *dst, json_int_t handle) {
  return json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:n, s:s, s:i, s:i, s:b, s:i, "
                   "s:{s:i, s:i, s:i, s:i}, s:s, s:I}",
                   "dir", dir, "spi", spi, "dst", dst, "src", "192.0.2.9", "handle", handle,
                   "offload", "packet", "mode", "tunnel", "encap", "alg", "aes-gcm-256",
                   "key_bits", 256, "icv_bytes", 16, "esn", 0, "reqid", 1, "limits",
                   "soft_packets", 0, "hard_packets", 0, "soft_bytes", 0, "hard_bytes", 0,
                   "state", "active", "packets", (json_int_t)0);
}

static json_t *device_side(const char *dir, const char *spi, const char *dst, json_int_t handle) {
  json_t *s = side(dir, spi, dst, handle);
  json_object_set_new(s, "replay", strcmp(dir, "in") == 0
                                       ? json_pack("{s:i, s:i, s:i}", "window", 64,
                                                   "highest_seq", 0, "seen", 0)
                                       : json_null());
  return s;
}

static json_t *daemon_side(const char *dir, const char *spi, const char *dst, json_int_t handle) {
  json_t *s = side(dir, spi, dst, handle);
  json_object_set_new(s, "state", json_string("INSTALLED"));
  json_object_set_new(s, "replay_window", strcmp(dir, "in") == 0 ? json_integer(64) : json_null());
  return s;
}

static json_t *table(json_t *device_sas, json_t *daemon_sas) {
  return json_pack("{s:[{s:s, s:i}], s:o, s:o}", "devices", "backend", "soft",
                   "stats_freshness_ms", 0, "device_sas", device_sas, "daemon_sas", daemon_sas);
}

static json_t *audit_of(json_t *t) {
  json_t *list = ctl_join(t);
  json_decref(t);
  assert_non_null(list);
  json_t *a = ctl_audit(list);
  json_decref(list);
  return a;
}

static void join_pairs_by_dir_spi_dst(void **state) {
  (void)state;
  json_t *t = table(json_pack("[o, o]", device_side("out", "0000beef", "192.0.2.2", 2),
                              device_side("in", "0000abcd", "192.0.2.1", 1)),
                    json_pack("[o, o]", daemon_side("in", "0000abcd", "192.0.2.1", 1),
                              daemon_side("out", "0000beef", "192.0.2.3", 2)));
  json_t *list = ctl_join(t);
  json_decref(t);
  const json_t *sas = json_object_get(list, "sas");
  /* The outbound SAs differ in destination: two entries, each seen by one side only. */
  assert_int_equal(json_array_size(sas), 3);
  assert_string_equal(json_string_value(json_object_get(json_array_get(sas, 0), "key")),
                      "in/0000abcd/192.0.2.1");
  assert_true(json_is_object(json_object_get(json_array_get(sas, 0), "device")));
  assert_true(json_is_object(json_object_get(json_array_get(sas, 0), "daemon")));
  assert_true(json_is_null(json_object_get(json_array_get(sas, 1), "daemon"))); /* .2 */
  assert_true(json_is_null(json_object_get(json_array_get(sas, 2), "device"))); /* .3 */
  assert_string_equal(json_string_value(json_object_get(list, "schema")), CTL_SCHEMA_SA_LIST);
  json_decref(list);
}

static void join_refuses_answers_without_lists(void **state) {
  (void)state;
  json_t *t = json_pack("{s:b}", "ok", 1);
  assert_null(ctl_join(t));
  json_decref(t);
}

static void audit_of_equal_tables_is_consistent(void **state) {
  (void)state;
  json_t *a = audit_of(table(json_pack("[o]", device_side("in", "0000abcd", "192.0.2.1", 7)),
                             json_pack("[o]", daemon_side("in", "0000abcd", "192.0.2.1", 7))));
  assert_true(json_is_true(json_object_get(a, "consistent")));
  assert_int_equal(json_integer_value(json_object_get(a, "compared")), 1);
  json_decref(a);
}

static void audit_reports_one_sided_sas(void **state) {
  (void)state;
  json_t *a = audit_of(table(json_pack("[o]", device_side("in", "00000101", "192.0.2.1", 1)),
                             json_pack("[o]", daemon_side("out", "00000202", "192.0.2.2", 2))));
  assert_false(json_is_true(json_object_get(a, "consistent")));
  assert_string_equal(json_string_value(json_array_get(json_object_get(a, "device_only"), 0)),
                      "in/00000101/192.0.2.1");
  assert_string_equal(json_string_value(json_array_get(json_object_get(a, "daemon_only"), 0)),
                      "out/00000202/192.0.2.2");
  assert_int_equal(json_array_size(json_object_get(a, "mismatches")), 0);
  json_decref(a);
}

/* Each rule of the audit, one changed field at a time: (field to change, value, expected name). */
static void audit_names_each_mismatched_field(void **state) {
  (void)state;
  static const struct {
    const char *field;
    const char *reported;
  } cases[] = {{"handle", "handle"}, {"mode", "mode"},     {"src", "src"},
               {"alg", "alg"},       {"key_bits", "key_bits"}, {"esn", "esn"},
               {"reqid", "reqid"},   {"limits", "limits"}, {"encap", "encap"},
               {"state", "state"}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    json_t *dev = device_side("in", "0000abcd", "192.0.2.1", 1);
    json_t *changed = strcmp(cases[i].field, "limits") == 0
                          ? json_pack("{s:i, s:i, s:i, s:i}", "soft_packets", 0, "hard_packets",
                                      99, "soft_bytes", 0, "hard_bytes", 0)
                      : strcmp(cases[i].field, "encap") == 0
                          ? json_pack("{s:i, s:i}", "sport", 4500, "dport", 4500)
                      : strcmp(cases[i].field, "esn") == 0 ? json_true()
                      : strcmp(cases[i].field, "state") == 0 ? json_string("stopped")
                      : json_is_string(json_object_get(dev, cases[i].field))
                          ? json_string("something else")
                          : json_integer(12345);
    json_object_set_new(dev, cases[i].field, changed);
    json_t *a = audit_of(table(json_pack("[o]", dev),
                               json_pack("[o]", daemon_side("in", "0000abcd", "192.0.2.1", 1))));
    const json_t *m = json_object_get(a, "mismatches");
    assert_int_equal(json_array_size(m), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(m, 0), "field")),
                        cases[i].reported);
    assert_false(json_is_true(json_object_get(a, "consistent")));
    json_decref(a);
  }
}

static void audit_compares_replay_window_across_shapes(void **state) {
  (void)state;
  json_t *own = daemon_side("in", "0000abcd", "192.0.2.1", 1);
  json_object_set_new(own, "replay_window", json_integer(128));
  json_t *a = audit_of(table(json_pack("[o]", device_side("in", "0000abcd", "192.0.2.1", 1)),
                             json_pack("[o]", own)));
  const json_t *m = json_array_get(json_object_get(a, "mismatches"), 0);
  assert_string_equal(json_string_value(json_object_get(m, "field")), "replay_window");
  assert_int_equal(json_integer_value(json_object_get(m, "device")), 64);
  assert_int_equal(json_integer_value(json_object_get(m, "daemon")), 128);
  json_decref(a);
}

static void spi_parsing(void **state) {
  (void)state;
  char out[9];
  assert_true(ctl_parse_spi("0xC0FFEE01", out));
  assert_string_equal(out, "c0ffee01");
  assert_true(ctl_parse_spi("100", out));
  assert_string_equal(out, "00000100");
  assert_false(ctl_parse_spi("", out));
  assert_false(ctl_parse_spi("0x", out));
  assert_false(ctl_parse_spi("123456789", out));
  assert_false(ctl_parse_spi("12g4", out));
  assert_false(ctl_parse_spi("-1", out));
}

static json_t *list_with_packets(json_int_t packets, json_int_t bytes) {
  json_t *dev = device_side("in", "0000abcd", "192.0.2.1", 1);
  json_object_set_new(dev, "packets", json_integer(packets));
  json_object_set_new(dev, "bytes", json_integer(bytes));
  json_object_set_new(dev, "drops", json_pack("{s:i, s:i}", "replay", 2, "auth", 3));
  json_object_set_new(dev, "idle_s", json_null());
  json_t *t = table(json_pack("[o]", dev), json_array());
  json_t *list = ctl_join(t);
  json_decref(t);
  return list;
}

static void watch_rates_from_two_frames(void **state) {
  (void)state;
  json_t *a = list_with_packets(100, 10000), *b = list_with_packets(300, 50000);
  json_t *first = ctl_watch_frame(NULL, a, 0, 1.0);
  json_t *row = json_array_get(json_object_get(first, "sas"), 0);
  assert_true(json_is_null(json_object_get(row, "packets_per_s")));
  assert_true(json_is_null(json_object_get(first, "interval_s")));
  json_t *second = ctl_watch_frame(a, b, 2.0, 3.0);
  row = json_array_get(json_object_get(second, "sas"), 0);
  assert_float_equal(json_real_value(json_object_get(row, "packets_per_s")), 100.0, 1e-9);
  assert_float_equal(json_real_value(json_object_get(row, "bytes_per_s")), 20000.0, 1e-9);
  assert_int_equal(json_integer_value(json_object_get(row, "drops")), 5);
  assert_string_equal(json_string_value(json_object_get(row, "peer")), "192.0.2.9");
  /* A counter that went backwards is a new SA under the same key: no rate. */
  json_t *reset = ctl_watch_frame(b, a, 1.0, 4.0);
  assert_true(json_is_null(
      json_object_get(json_array_get(json_object_get(reset, "sas"), 0), "packets_per_s")));
  json_decref(first);
  json_decref(second);
  json_decref(reset);
  json_decref(a);
  json_decref(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(join_pairs_by_dir_spi_dst),
      cmocka_unit_test(join_refuses_answers_without_lists),
      cmocka_unit_test(audit_of_equal_tables_is_consistent),
      cmocka_unit_test(audit_reports_one_sided_sas),
      cmocka_unit_test(audit_names_each_mismatched_field),
      cmocka_unit_test(audit_compares_replay_window_across_shapes),
      cmocka_unit_test(spi_parsing),
      cmocka_unit_test(watch_rates_from_two_frames),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
