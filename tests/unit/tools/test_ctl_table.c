/* nicsecctl's span scanner and fast sa-table join (ctl_scan.h, ctl_table.h): the scanner agrees
 * with jansson on what is JSON, and the fast join yields exactly the document and the table that
 * the jansson path (ctl_join, ctl_print_sa_list) yields for the same answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctl_model.h"
#include "ctl_scan.h"
#include "ctl_table.h"
#include "ctl_text.h"

/* Texts the scanner must accept or refuse, as RFC 8259 (and jansson) would. */
static const char *const scan_cases[] = {
    "{}", "[]", " [1, -0.5e+3, 0, true, false, null] ", "{\"a\":{\"b\":[\"\\u00e9\\n\"]}}",
    "\"\\ud83d\\ude00\"", "-0", "1E5", "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"",
    /* refused */
    "{", "[1,]", "{\"a\"}", "{\"a\":}", "01", "1.", "-", "\"\\x\"", "\"a\nb\"", "tru", "nul",
    "[1 2]", "{,}", "{\"a\":1,}", "\"\\u12g4\"", "[", "+1", ".5",
    "\"\xc3\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", /* bad UTF-8 */
};

static void scanner_agrees_with_jansson(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof scan_cases / sizeof scan_cases[0]; i++) {
    const char *text = scan_cases[i], *end = text + strlen(text);
    const char *stop = ctl_scan_value(text, end);
    bool ours = stop && ctl_scan_ws(stop, end) == end;
    json_t *theirs = json_loads(text, JSON_DECODE_ANY, NULL);
    if (ours != (theirs != NULL))
      fail_msg("'%s': scanner says %d, jansson %d", text, ours, theirs != NULL);
    json_decref(theirs);
  }
}

static void deep_nesting_refused(void **state) {
  (void)state;
  char text[2 * (CTL_SCAN_MAX_DEPTH + 2) + 1];
  size_t n = CTL_SCAN_MAX_DEPTH + 2;
  memset(text, '[', n);
  memset(text + n, ']', n);
  text[2 * n] = '\0';
  assert_null(ctl_scan_value(text, text + 2 * n));
  assert_non_null(ctl_scan_value(text + 2, text + 2 * n - 2)); /* 32 levels are fine */
}

static struct ctl_span span(const char *text) {
  return (struct ctl_span){text, strlen(text)};
}

static void values_decode(void **state) {
  (void)state;
  char out[16];
  assert_true(ctl_span_str(span("\"a\\\"\\u00e9\\ud83d\\ude00\""), out, sizeof out));
  assert_string_equal(out, "a\"\xc3\xa9\xf0\x9f\x98\x80");
  assert_false(ctl_span_str(span("\"0123456789abcdef\""), out, sizeof out)); /* no room */
  assert_false(ctl_span_str(span("\"a\\u0000\""), out, sizeof out));         /* NUL */
  assert_false(ctl_span_str(span("12"), out, sizeof out));
  uint64_t v = 0;
  assert_true(ctl_span_u64(span("18446744073709551615"), &v));
  assert_true(v == UINT64_MAX);
  assert_false(ctl_span_u64(span("18446744073709551616"), &v));
  assert_false(ctl_span_u64(span("-1"), &v));
  assert_false(ctl_span_u64(span("1.5"), &v));
  assert_true(ctl_span_present(span("{}")));
  assert_false(ctl_span_present(span("null")));
}

static void iterators_walk_members(void **state) {
  (void)state;
  struct ctl_iter it;
  struct ctl_span k, v;
  assert_true(ctl_obj_begin(&it, span(" { \"a\" : [1,2] , \"b\":null } ")));
  assert_true(ctl_obj_next(&it, &k, &v));
  assert_true(ctl_key_is(k, "a") && v.len == 5);
  assert_true(ctl_obj_next(&it, &k, &v));
  assert_true(ctl_key_is(k, "b") && ctl_span_is(v, "null"));
  assert_false(ctl_obj_next(&it, &k, &v));
  assert_false(it.bad);
  assert_true(ctl_arr_begin(&it, span("[1,,2]")));
  assert_true(ctl_arr_next(&it, &v));
  assert_false(ctl_arr_next(&it, &v));
  assert_true(it.bad);
  assert_false(ctl_arr_begin(&it, span("{}")));
}

/* ---- the join against the jansson path -------------------------------------------------------- */

static json_t *sa_side(const char *dir, const char *spi, const char *dst, bool device) {
  json_t *s = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:o}", "dir", dir, "spi", spi,
                        "dst", dst, "src", "198.51.100.\"7\"", "mode", "tunnel", "alg",
                        "aes-gcm-256", "esn", strcmp(dir, "out") == 0, "handle",
                        (json_int_t)(spi[7] - '0'), "encap",
                        strcmp(spi, "00000002") == 0 ? json_pack("{s:i}", "dport", 4500)
                                                     : json_null());
  if (device)
    json_object_set_new(s, "drops", json_pack("{s:i, s:i}", "replay", 3, "auth", 1200));
  else
    json_object_set_new(s, "conn", json_string("peer\\one"));
  json_object_set_new(s, device ? "packets" : "child", device ? json_integer(1234567)
                                                             : json_string("net"));
  json_object_set_new(s, "bytes", json_integer(99));
  return s;
}

/* Both sides, with SAs on one side only, an element that is no SA, one without an SPI, and
 * a device SA listed twice (the later one wins on both paths). */
static char *answer_text(void) {
  json_t *dev = json_pack("[o, o, o, i, o, o]", sa_side("in", "00000001", "192.0.2.1", true),
                          sa_side("out", "00000002", "192.0.2.2", true),
                          sa_side("in", "00000003", "192.0.2.1", true), 7,
                          json_pack("{s:s}", "dir", "in"),
                          sa_side("in", "00000001", "192.0.2.1", true));
  json_object_set_new(json_array_get(dev, 5), "bytes", json_integer(100));
  json_t *own = json_pack("[o, o, o]", sa_side("in", "00000001", "192.0.2.1", false),
                          sa_side("out", "00000002", "192.0.2.2", false),
                          sa_side("out", "00000004", "192.0.2.9", false));
  json_t *doc = json_pack("{s:b, s:[{s:s}], s:o, s:o}", "ok", 1, "devices", "backend", "soft",
                          "device_sas", dev, "daemon_sas", own);
  char *text = json_dumps(doc, JSON_INDENT(1)); /* whitespace everywhere */
  json_decref(doc);
  return text;
}

static char *captured(void (*print)(FILE *, const void *), const void *what) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  print(f, what);
  fclose(f);
  return buf;
}

static void print_table_json(FILE *f, const void *t) {
  ctl_table_write_json(f, t);
}

static void print_table_text(FILE *f, const void *t) {
  ctl_table_print(f, t);
}

static void print_list_text(FILE *f, const void *list) {
  ctl_print_sa_list(f, list);
}

static void join_equals_tree_path(void **state) {
  (void)state;
  char *text = answer_text(), err[200];
  json_t *answer = json_loads(text, 0, NULL), *expected = ctl_join(answer);
  json_decref(answer);
  struct ctl_table t;
  assert_int_equal(ctl_table_parse(&t, text, strlen(text), err, sizeof err), 0);
  assert_int_equal(t.n_rows, 4);
  char *ours = captured(print_table_json, &t);
  json_t *got = json_loads(ours, 0, NULL);
  assert_non_null(got);
  if (!json_equal(got, expected))
    fail_msg("fast join differs:\n%s", ours);
  json_t *tree = ctl_table_to_json(&t, NULL);
  assert_true(json_equal(tree, expected));
  json_decref(tree);
  tree = ctl_table_to_json(&t, "00000002");
  assert_int_equal(json_array_size(json_object_get(tree, "sas")), 1);
  json_decref(tree);
  char *fast_text = captured(print_table_text, &t), *tree_text = captured(print_list_text, expected);
  assert_string_equal(fast_text, tree_text);
  assert_non_null(strstr(fast_text, "1.2M")); /* the later duplicate's packets, drops 1.2k */
  assert_non_null(strstr(fast_text, "peer\\one/net"));
  free(fast_text);
  free(tree_text);
  free(ours);
  json_decref(got);
  json_decref(expected);
  ctl_table_free(&t);
  free(text);
}

/* The span audit (ctl_table_audit) says exactly what the tree audit (ctl_audit) says: here
 * every device SA lacks "state", one daemon SA names another mode, and one encap object is
 * written in another member order (equal, though its text differs). */
static void audit_equals_tree_path(void **state) {
  (void)state;
  char *text = answer_text(), err[200];
  json_t *answer = json_loads(text, 0, NULL);
  free(text);
  json_t *own = json_object_get(answer, "daemon_sas"), *dev = json_object_get(answer, "device_sas");
  json_object_set_new(json_array_get(own, 0), "mode", json_string("transport"));
  json_object_set_new(json_array_get(dev, 1), "encap", json_pack("{s:i, s:i}", "dport", 4500, "sport", 1));
  json_object_set_new(json_array_get(own, 1), "encap", json_pack("{s:i, s:i}", "sport", 1, "dport", 4500));
  json_object_set_new(json_array_get(dev, 2), "state", json_string("active"));
  text = json_dumps(answer, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_t *list = ctl_join(answer), *expected = ctl_audit(list);
  struct ctl_table t;
  assert_int_equal(ctl_table_parse(&t, text, strlen(text), err, sizeof err), 0);
  json_t *got = ctl_table_audit(&t);
  if (!json_equal(got, expected))
    fail_msg("span audit differs:\n%s\ntree:\n%s", json_dumps(got, 0), json_dumps(expected, 0));
  assert_int_equal(json_array_size(json_object_get(got, "mismatches")), 3); /* 2 states, 1 mode */
  json_decref(got);
  json_decref(expected);
  json_decref(list);
  json_decref(answer);
  ctl_table_free(&t);
  free(text);
}

static void bad_answers_say_why(void **state) {
  (void)state;
  static const struct {
    const char *text, *sentence;
  } cases[] = {
      {"{\"ok\":false,\"error\":\"nicsecd has no HAL device\"}", "nicsecd says: nicsecd has no HAL"},
      {"{\"ok\":true,\"device_sas\":[]}", "lacks the SA lists"},
      {"{\"ok\":true,\"device_sas\":{},\"daemon_sas\":[]}", "lacks the SA lists"},
      {"{\"ok\":true,\"device_sas\":[{\"dir\":\"in\"},],\"daemon_sas\":[]}", "no valid answer"},
      {"{\"ok\":true,\"device_sas\":[],\"daemon_sas\":[]} x", "no valid answer"},
      {"", "no valid answer"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct ctl_table t;
    char err[200] = "";
    assert_int_equal(ctl_table_parse(&t, cases[i].text, strlen(cases[i].text), err, sizeof err),
                     -1);
    if (!strstr(err, cases[i].sentence))
      fail_msg("'%s': said '%s'", cases[i].text, err);
    assert_null(t.rows);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(scanner_agrees_with_jansson),
      cmocka_unit_test(deep_nesting_refused),
      cmocka_unit_test(values_decode),
      cmocka_unit_test(iterators_walk_members),
      cmocka_unit_test(join_equals_tree_path),
      cmocka_unit_test(audit_equals_tree_path),
      cmocka_unit_test(bad_answers_say_why),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
