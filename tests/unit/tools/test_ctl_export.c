/* Prometheus exposition and Wireshark tables, and the human number format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctl_export.h"
#include "ctl_text.h"

static char *capture(void (*write)(FILE *f, const json_t *a, const json_t *b), const json_t *a,
                     const json_t *b) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  write(f, a, b);
  fclose(f);
  return text;
}

static void prom(FILE *f, const json_t *list, const json_t *metrics) {
  ctl_prom_write(f, list, metrics);
}

static void wireshark(FILE *f, const json_t *keys, const json_t *unused) {
  (void)unused;
  ctl_wireshark_write(f, keys);
}

static void prom_escapes_label_values(void **state) {
  (void)state;
  char out[64];
  ctl_prom_escape("a\"b\\c\nd", out, sizeof out);
  assert_string_equal(out, "a\\\"b\\\\c\\nd");
  ctl_prom_escape("abcdefgh", out, 6); /* truncates, never overflows */
  assert_true(strlen(out) < 6);
}

static void prom_exposition_lines(void **state) {
  (void)state;
  json_t *list = json_pack(
      "{s:[{s:s, s:s, s:s, s:{s:s, s:i, s:i, s:i, s:i, s:{s:i, s:i}}, s:{s:s, s:s}}]}", "sas",
      "key", "in/0000abcd/192.0.2.1", "dir", "in", "spi", "0000abcd", "device", "backend",
      "soft", "packets", 42, "bytes", 4200, "seq", 42, "stats_age_ms", 0, "drops", "replay", 3,
      "auth", 0, "daemon", "conn", "we\"ird", "child", "net");
  json_t *metrics = json_pack("{s:{s:i, s:i, s:i, s:i}, s:[{s:s, s:{s:i}, s:n}]}", "stats",
                              "ike_established", 5, "auth_failures", 2, "rx", 10, "tx", 11,
                              "devices", "backend", "soft", "drops", "no-sa", 9, "datapath");
  char *text = capture(prom, list, metrics);
  const char *expected[] = {
      "# TYPE nicsec_handshakes_total counter\n",
      "nicsec_handshakes_total{result=\"established\"} 5\n",
      "nicsec_handshakes_total{result=\"auth_failed\"} 2\n",
      "nicsec_ike_messages_total{dir=\"tx\"} 11\n",
      "nicsec_device_drops_total{backend=\"soft\",reason=\"no-sa\"} 9\n",
      "nicsec_sas 1\n",
      "nicsec_sa_packets_total{dir=\"in\",spi=\"0x0000abcd\",backend=\"soft\",conn=\"we\\\"ird\","
      "child=\"net\"} 42\n",
      "nicsec_sa_drops_total{dir=\"in\",spi=\"0x0000abcd\",backend=\"soft\",conn=\"we\\\"ird\","
      "child=\"net\",reason=\"replay\"} 3\n",
  };
  for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
    if (!strstr(text, expected[i]))
      fail_msg("missing line: %s\nin:\n%s", expected[i], text);
  /* Counters nicsecd did not send get a TYPE line but no sample. */
  assert_null(strstr(text, "\nnicsec_cookies_sent_total "));
  assert_non_null(strstr(text, "# TYPE nicsec_cookies_sent_total counter\n"));
  free(text);
  json_decref(list);
  json_decref(metrics);
}

static void wireshark_tables(void **state) {
  (void)state;
  json_t *keys = json_pack(
      "{s:[{s:s, s:s, s:s, s:i, s:i, s:i, s:s, s:s, s:s, s:s},"
      "    {s:s, s:s, s:s, s:i, s:i, s:i, s:s, s:s, s:s, s:s}],"
      " s:[{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:b, s:s},"
      "    {s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:b, s:s}, {s:s, s:s, s:b}]}",
      "ike_sas", "conn", "gcm", "spi_i", "0102030405060708", "spi_r", "1112131415161718",
      "encr", 20, "encr_bits", 256, "integ", 0, "sk_ei", "aa", "sk_er", "bb", "sk_ai", "",
      "sk_ar", "", "conn", "cbc", "spi_i", "01", "spi_r", "02", "encr", 12, "encr_bits", 128,
      "integ", 12, "sk_ei", "cc", "sk_er", "dd", "sk_ai", "ee", "sk_ar", "ff", "esp_sas", "dir",
      "in", "spi", "0000abcd", "family", "IPv4", "src", "192.0.2.2", "dst", "192.0.2.1", "alg",
      "aes-gcm-128", "icv_bytes", 16, "encap", 0, "key", "00112233", "dir", "out", "spi",
      "0000beef", "family", "IPv6", "src", "2001:db8::1", "dst", "2001:db8::2", "alg",
      "chacha20-poly1305", "icv_bytes", 16, "encap", 0, "key", "44", "dir", "in", "spi",
      "0000cafe", "exportable", 0);
  char *text = capture(wireshark, keys, NULL);
  assert_non_null(strstr(text, "0102030405060708,1112131415161718,aa,bb,\"AES-GCM-256 with 16 "
                               "octet ICV [RFC5282]\",,,\"NONE [RFC4306]\"\n"));
  assert_non_null(strstr(text, "01,02,cc,dd,\"AES-CBC-128 [RFC3602]\",ee,ff,"
                               "\"HMAC_SHA2_256_128 [RFC4868]\"\n"));
  assert_non_null(strstr(text, "\"IPv4\",\"192.0.2.2\",\"192.0.2.1\",\"0x0000abcd\",\"AES-GCM "
                               "with 16 octet ICV [RFC4106]\",\"0x00112233\",\"NULL\",\"\"\n"));
  /* ChaCha20-Poly1305 is not in Wireshark 4.0's ESP table: a comment, never a bogus line. */
  assert_non_null(strstr(text, "# ESP SA out 0000beef: chacha20-poly1305 is not in"));
  assert_null(strstr(text, "\"44\""));
  assert_non_null(strstr(text, "# ESP SA in 0000cafe: made by CREATE_CHILD_SA"));
  free(text);
  json_decref(keys);
}

static void human_numbers(void **state) {
  (void)state;
  char out[16];
  ctl_human(0, out, sizeof out);
  assert_string_equal(out, "0");
  ctl_human(999, out, sizeof out);
  assert_string_equal(out, "999");
  ctl_human(1234, out, sizeof out);
  assert_string_equal(out, "1.2k");
  ctl_human(999999, out, sizeof out);
  assert_string_equal(out, "1.0M");
  ctl_human(5e12, out, sizeof out);
  assert_string_equal(out, "5.0T");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(prom_escapes_label_values),
      cmocka_unit_test(prom_exposition_lines),
      cmocka_unit_test(wireshark_tables),
      cmocka_unit_test(human_numbers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
