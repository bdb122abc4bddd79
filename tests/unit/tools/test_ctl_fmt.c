/* nicsecd's sa-table writers (host/daemon/control_fmt.c) against a real soft HAL device: SAs
 * installed through nicsec_hal_sa_add, listed by nd_fmt_device_table, read back with jansson
 * and joined/audited by nicsecctl's model. With a directory argument the joined sa-list and
 * audit documents are also written there, for the schema check (ctl_schema_fixtures). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control_fmt.h"
#include "ctl_model.h"

static const char *out_dir;

static struct nicsec_hal_sa sa_template(enum nicsec_hal_dir dir, uint32_t spi) {
  struct nicsec_hal_sa sa = {
      .dir = dir, .offload = NICSEC_HAL_OFFLOAD_PACKET, .mode = NICSEC_HAL_MODE_TUNNEL,
      .spi = spi, .reqid = 7, .alg = NICSEC_HAL_ALG_AES_GCM_256, .key_len = 32, .icv_len = 16,
      .replay_window = dir == NICSEC_HAL_DIR_IN ? 64 : 0,
  };
  sa.src.family = sa.dst.family = NICSEC_HAL_AF_INET;
  memcpy(sa.src.bytes, (uint8_t[]){192, 0, 2, 2}, 4);
  memcpy(sa.dst.bytes, (uint8_t[]){192, 0, 2, 1}, 4);
  memset(sa.key, 0x5a, sizeof sa.key);
  return sa;
}

struct fixture {
  struct nicsec_hal_dev *dev;
  struct nicsec_hal_sa sas[3];
  nicsec_hal_sa_id ids[3];
};

static int setup(void **state) {
  struct fixture *f = calloc(1, sizeof *f);
  assert_int_equal(nicsec_hal_open("soft", NULL, &f->dev), NICSEC_HAL_OK);
  f->sas[0] = sa_template(NICSEC_HAL_DIR_IN, 0xc0ffee01);
  f->sas[0].encap.enabled = true;
  f->sas[0].encap.sport = f->sas[0].encap.dport = 4500;
  f->sas[1] = sa_template(NICSEC_HAL_DIR_OUT, 0xc0ffee02);
  f->sas[1].limits.hard_packets = 1000;
  f->sas[1].esn = true;
  f->sas[2] = sa_template(NICSEC_HAL_DIR_IN, 0xc0ffee03);
  assert_int_equal(nicsec_hal_sa_add(f->dev, f->sas, 3, f->ids, NULL), NICSEC_HAL_OK);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  struct fixture *f = *state;
  nicsec_hal_close(f->dev);
  free(f);
  return 0;
}

/* An sa-table answer as nicsecd builds it; nicsecd believes in SAs 0 and 1 only, and believes
 * SA 1 has no packet limit. */
static json_t *table_answer(struct fixture *f) {
  struct nd_sb sb = {0};
  size_t n = 0;
  nd_sb_lit(&sb, "{\"devices\":[{\"backend\":\"soft\",\"stats_freshness_ms\":0}],");
  assert_int_equal(nd_fmt_device_table(&sb, f->dev, 1700000000, &n), NICSEC_HAL_OK);
  assert_int_equal(n, 3);
  struct nicsec_hal_sa believed[2] = {f->sas[0], f->sas[1]};
  believed[1].limits.hard_packets = 0;
  nd_sb_lit(&sb, ",\"daemon_sas\":[");
  for (int i = 0; i < 2; i++) {
    memset(believed[i].key, 0, sizeof believed[i].key);
    struct nd_sa_belief b = {1, 1, "peer", "net", "INSTALLED", f->ids[i], &believed[i], 1000};
    if (i)
      nd_sb_raw(&sb, ",", 1);
    nd_fmt_daemon_sa(&sb, &b, 61000);
  }
  nd_sb_lit(&sb, "]}");
  char *text = nd_sb_take(&sb);
  assert_non_null(text);
  json_error_t err;
  json_t *doc = json_loads(text, 0, &err);
  if (!doc)
    fail_msg("not JSON: %s at %d: %.200s", err.text, err.position, text);
  assert_null(strstr(text, "5a5a")); /* never a key */
  free(text);
  return doc;
}

static const json_t *find_dev(const json_t *table, const char *spi) {
  size_t i;
  json_t *sa;
  json_array_foreach(json_object_get(table, "device_sas"), i, sa) if (
      strcmp(json_string_value(json_object_get(sa, "spi")), spi) == 0) return sa;
  fail_msg("no device SA %s", spi);
  return NULL;
}

static void device_fields(void **state) {
  json_t *t = table_answer(*state);
  const json_t *in = find_dev(t, "c0ffee01"), *out = find_dev(t, "c0ffee02");
  assert_string_equal(json_string_value(json_object_get(in, "dir")), "in");
  assert_string_equal(json_string_value(json_object_get(in, "src")), "192.0.2.2");
  assert_string_equal(json_string_value(json_object_get(in, "alg")), "aes-gcm-256");
  assert_int_equal(json_integer_value(json_object_get(in, "key_bits")), 256);
  assert_int_equal(json_integer_value(json_object_get(json_object_get(in, "encap"), "dport")),
                   4500);
  assert_int_equal(
      json_integer_value(json_object_get(json_object_get(in, "replay"), "window")), 64);
  assert_true(json_is_null(json_object_get(out, "replay")));
  assert_true(json_is_null(json_object_get(out, "encap")));
  assert_true(json_is_true(json_object_get(out, "esn")));
  const json_t *left = json_object_get(out, "lifetime_left");
  assert_int_equal(json_integer_value(json_object_get(left, "hard_packets")), 1000);
  assert_true(json_is_null(json_object_get(left, "soft_packets")));
  assert_true(json_is_null(json_object_get(in, "idle_s"))); /* never used */
  assert_int_equal(json_object_size(json_object_get(in, "drops")), NICSEC_HAL_DROP__COUNT);
  assert_string_equal(json_string_value(json_object_get(in, "state")), "active");
  json_decref(t);
}

static void write_doc(const char *name, const json_t *doc) {
  if (!out_dir)
    return;
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", out_dir, name);
  assert_int_equal(json_dump_file(doc, path, JSON_COMPACT), 0);
}

static void join_and_audit(void **state) {
  json_t *t = table_answer(*state);
  json_t *list = ctl_join(t);
  json_t *audit = ctl_audit(list);
  assert_int_equal(json_array_size(json_object_get(list, "sas")), 3);
  assert_int_equal(json_integer_value(json_object_get(audit, "compared")), 2);
  assert_string_equal(json_string_value(json_array_get(json_object_get(audit, "device_only"), 0)),
                      "in/c0ffee03/192.0.2.1");
  const json_t *m = json_array_get(json_object_get(audit, "mismatches"), 0);
  assert_int_equal(json_array_size(json_object_get(audit, "mismatches")), 1);
  assert_string_equal(json_string_value(json_object_get(m, "field")), "limits");
  const json_t *own = json_object_get(json_array_get(json_object_get(list, "sas"), 0), "daemon");
  assert_int_equal(json_integer_value(json_object_get(own, "age_s")), 60);
  write_doc("sa-list.json", list);
  write_doc("audit.json", audit);
  json_decref(audit);
  json_decref(list);
  json_decref(t);
}

static void string_escapes(void **state) {
  (void)state;
  struct nd_sb sb = {0};
  nd_sb_jstr(&sb, "a\"b\\c\n\x01");
  nd_sb_u64(&sb, 0);
  nd_sb_u64(&sb, UINT64_MAX);
  char *text = nd_sb_take(&sb);
  assert_string_equal(text, "\"a\\\"b\\\\c\\u000a\\u0001\"018446744073709551615");
  free(text);
}

/* Integers as printf writes them, at every digit count and at the two-digit table's edges. */
static void integers_in_decimal(void **state) {
  (void)state;
  static const uint64_t values[] = {0, 1, 9, 10, 11, 42, 99, 100, 101, 199, 999, 1000, 4500,
                                    99999, 100000, 4294967297ull, 18446744073709551615ull};
  for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
    struct nd_sb sb = {0};
    char want[24];
    nd_sb_u64(&sb, values[i]);
    snprintf(want, sizeof want, "%llu", (unsigned long long)values[i]);
    char *got = nd_sb_take(&sb);
    assert_string_equal(got, want);
    free(got);
  }
  for (uint64_t v = 1; v < 100000; v = v * 3 + 7) { /* every digit pair somewhere */
    struct nd_sb sb = {0};
    char want[24];
    nd_sb_u64(&sb, v);
    snprintf(want, sizeof want, "%llu", (unsigned long long)v);
    char *got = nd_sb_take(&sb);
    assert_string_equal(got, want);
    free(got);
  }
}

static void secret_buffer_grows_intact(void **state) {
  (void)state;
  struct nd_sb sb = {.secret = true};
  uint8_t bytes[3000];
  for (size_t i = 0; i < sizeof bytes; i++)
    bytes[i] = (uint8_t)i;
  nd_sb_jhex(&sb, bytes, sizeof bytes); /* grows past the first 4 KiB by copy-and-wipe */
  assert_int_equal(sb.len, 2 * sizeof bytes + 2);
  assert_memory_equal(sb.buf + 1 + 2 * 2999, "b7", 2);
  nd_sb_wipe_free(&sb);
  assert_null(sb.buf);
}

int main(int argc, char **argv) {
  out_dir = argc > 1 ? argv[1] : NULL;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(device_fields, setup, teardown),
      cmocka_unit_test_setup_teardown(join_and_audit, setup, teardown),
      cmocka_unit_test(string_escapes),
      cmocka_unit_test(integers_in_decimal),
      cmocka_unit_test(secret_buffer_grows_intact),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
