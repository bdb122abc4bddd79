/* Prometheus exposition and Wireshark tables, and the human number format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
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

/* ---- a strict reader of the text exposition format (0.0.4) ----------------------------------- */

static bool name_char(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
         (!first && c >= '0' && c <= '9');
}

/* A metric or label name at p; returns just past it, or NULL. */
static const char *read_name(const char *p, char *out, size_t len) {
  size_t n = 0;
  while (name_char(p[n], n == 0) && n + 1 < len) {
    out[n] = p[n];
    n++;
  }
  out[n] = '\0';
  return n ? p + n : NULL;
}

/* {name="value",...}: escapes limited to \\, \" and \n; returns just past '}', or NULL. */
static const char *read_labels(const char *p) {
  if (*p != '{')
    return p;
  p++;
  while (*p != '}') {
    char label[64];
    if (!(p = read_name(p, label, sizeof label)) || *p++ != '=' || *p++ != '"')
      return NULL;
    while (*p != '"') {
      if (*p == '\0' || *p == '\n')
        return NULL;
      if (*p == '\\' && !strchr("\\\"n", *++p))
        return NULL;
      p++;
    }
    p++;
    if (*p == ',')
      p++;
    else if (*p != '}')
      return NULL;
  }
  return p + 1;
}

/* Every line a HELP, a TYPE or a sample; each family's HELP and TYPE once, before its samples,
 * and its samples together; every value a number. */
static void check_exposition(const char *text) {
  char typed[64][64] = {{0}}, current[64] = "";
  size_t n_typed = 0;
  for (const char *line = text; *line;) {
    const char *end = strchr(line, '\n');
    assert_non_null(end); /* every line ends with a newline */
    char name[64];
    if (strncmp(line, "# HELP ", 7) == 0) {
      assert_non_null(read_name(line + 7, name, sizeof name));
      snprintf(current, sizeof current, "%s", name);
    } else if (strncmp(line, "# TYPE ", 7) == 0) {
      const char *p = read_name(line + 7, name, sizeof name);
      assert_non_null(p);
      assert_string_equal(name, current); /* HELP first */
      assert_true(strncmp(p, " counter\n", 9) == 0 || strncmp(p, " gauge\n", 7) == 0);
      for (size_t i = 0; i < n_typed; i++)
        if (strcmp(typed[i], name) == 0)
          fail_msg("family %s typed twice", name);
      assert_true(n_typed < 64);
      snprintf(typed[n_typed++], sizeof typed[0], "%s", name);
    } else {
      const char *p = read_name(line, name, sizeof name);
      if (!p || strcmp(name, current) != 0)
        fail_msg("sample outside its family: %.*s", (int)(end - line), line);
      p = read_labels(p);
      if (!p || *p != ' ')
        fail_msg("bad labels: %.*s", (int)(end - line), line);
      char *num_end;
      strtod(p + 1, &num_end);
      if (num_end == p + 1 || num_end != end)
        fail_msg("bad value: %.*s", (int)(end - line), line);
    }
    line = end + 1;
  }
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
  json_t *metrics = json_pack(
      "{s:{s:i, s:i, s:i, s:i}, s:[{s:s, s:{s:i}, s:n}], s:{s:{s:{s:i, s:i}, s:{s:i}}, "
      "s:{s:{s:i, s:i}, s:{s:i, s:i}}, s:{s:i, s:i}, s:[{s:i, s:s, s:i}]}}",
      "stats", "ike_established", 5, "auth_failures", 2, "rx", 10, "tx", 11, "devices", "backend",
      "soft", "drops", "no-sa", 9, "datapath", "events", "notifies", "sent", "NO_PROPOSAL_CHOSEN",
      4, "TS_UNACCEPTABLE", 0, "received", "AUTHENTICATION_FAILED", 1, "rekeys", "child",
      "initiated", 6, "responded", 7, "ike", "initiated", 1, "responded", 0, "handshakes", "ok",
      3, "failed", 2, "hal_errors", "code", 21, "error", "no free \"slot\"\nleft", "count", 8);
  char *text = capture(prom, list, metrics);
  const char *expected[] = {
      "nicsec_ike_sas_established_total 5\n",
      "nicsec_ike_auth_failures_total 2\n",
      "# TYPE nicsec_handshakes_total counter\n",
      "nicsec_handshakes_total{result=\"ok\"} 3\n",
      "nicsec_handshakes_total{result=\"failed\"} 2\n",
      "nicsec_ike_error_notifies_total{direction=\"sent\",type=\"NO_PROPOSAL_CHOSEN\"} 4\n",
      "nicsec_ike_error_notifies_total{direction=\"received\",type=\"AUTHENTICATION_FAILED\"} 1\n",
      "nicsec_rekeys_total{sa=\"child\",role=\"responded\"} 7\n",
      "nicsec_rekeys_total{sa=\"ike\",role=\"initiated\"} 1\n",
      "nicsec_hal_errors_total{code=\"21\",error=\"no free \\\"slot\\\"\\nleft\"} 8\n",
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
  check_exposition(text);
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
