/* The control protocol (JSON requests -> JSON answers) on an engine with live SAs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "harness.h"

static char cfg0[4096], cfg1[4096];

struct fixture {
  struct harness h;
  struct nd_daemon d;
};

static int setup(void **state) {
  struct fixture *f = calloc(1, sizeof *f);
  h_config(cfg0, sizeof cfg0, 0, "aes256gcm16-prfsha256-x25519", "aes256gcm16", NULL, NULL, NULL);
  h_config(cfg1, sizeof cfg1, 1, "aes256gcm16-prfsha256-x25519", "aes256gcm16", NULL, NULL, NULL);
  if (!f || !h_init(&f->h, cfg0, cfg1))
    return -1;
  f->d.engine = f->h.eng[0];
  snprintf(f->d.hal_backend, sizeof f->d.hal_backend, "record");
  *state = f;
  return 0;
}

static int teardown(void **state) {
  struct fixture *f = *state;
  h_free(&f->h);
  free(f);
  return 0;
}

static json_t *call(struct fixture *f, const char *text) {
  json_error_t err;
  json_t *req = json_loads(text, 0, &err);
  assert_non_null(req);
  json_t *reply = nd_control_handle(&f->d, req);
  json_decref(req);
  assert_non_null(reply);
  return reply;
}

static void expect_error(struct fixture *f, const char *request, const char *fragment) {
  json_t *reply = call(f, request);
  assert_true(json_is_false(json_object_get(reply, "ok")));
  const char *err = json_string_value(json_object_get(reply, "error"));
  if (!err || !strstr(err, fragment))
    fail_msg("%s -> %s", request, err ? err : "(no error)");
  json_decref(reply);
}

/* No field of a listing may carry key material. */
static void assert_no_keys(const json_t *v) {
  const char *name;
  json_t *child;
  size_t i;
  if (json_is_object(v)) {
    json_object_foreach((json_t *)v, name, child) {
      /* "rekey" (how a Child SA was made) is the one harmless name with "key" in it */
      if ((strstr(name, "key") && strcmp(name, "rekey") != 0) || strstr(name, "secret"))
        fail_msg("listing has a field named %s", name);
      assert_no_keys(child);
    }
  } else if (json_is_array(v)) {
    json_array_foreach(v, i, child) assert_no_keys(child);
  }
}

static void test_list_after_handshake(void **state) {
  struct fixture *f = *state;
  json_t *reply = call(f, "{\"cmd\":\"initiate\",\"conn\":\"peer\"}");
  assert_true(json_is_true(json_object_get(reply, "ok")));
  json_decref(reply);
  h_run(&f->h, 10);
  reply = call(f, "{\"cmd\":\"list-sas\"}");
  assert_no_keys(reply);
  json_t *sas = json_object_get(reply, "ike_sas");
  assert_int_equal(json_array_size(sas), 1);
  json_t *sa = json_array_get(sas, 0);
  assert_string_equal(json_string_value(json_object_get(sa, "state")), "ESTABLISHED");
  assert_string_equal(json_string_value(json_object_get(sa, "role")), "initiator");
  assert_int_equal(strlen(json_string_value(json_object_get(sa, "spi_i"))), 16);
  assert_string_equal(json_string_value(json_object_get(sa, "remote_id")), "right@example.test");
  json_t *child = json_array_get(json_object_get(sa, "children"), 0);
  assert_string_equal(json_string_value(json_object_get(child, "state")), "INSTALLED");
  assert_int_equal(strlen(json_string_value(json_object_get(child, "spi_in"))), 8);
  assert_string_equal(json_string_value(json_array_get(json_object_get(child, "local_ts"), 0)),
                      "198.51.100.0/24");
  struct h_ike b;
  h_list(&f->h, 1, &b, 1);
  char spi[9];
  snprintf(spi, sizeof spi, "%08x", b.child[0].spi_in);
  assert_string_equal(json_string_value(json_object_get(child, "spi_out")), spi);
  json_decref(reply);
  reply = call(f, "{\"cmd\":\"stats\"}");
  json_t *stats = json_object_get(reply, "stats");
  assert_int_equal(json_integer_value(json_object_get(stats, "ike_established")), 1);
  assert_int_equal(json_integer_value(json_object_get(stats, "child_installed")), 1);
  json_decref(reply);
  reply = call(f, "{\"cmd\":\"terminate\",\"conn\":\"peer\"}");
  assert_int_equal(json_integer_value(json_object_get(reply, "ike_sas")), 1);
  json_decref(reply);
}

static void test_errors(void **state) {
  struct fixture *f = *state;
  expect_error(f, "{}", "\"cmd\"");
  expect_error(f, "{\"cmd\":\"reboot\"}", "unknown command");
  expect_error(f, "{\"cmd\":\"initiate\"}", "needs \"conn\"");
  expect_error(f, "{\"cmd\":\"initiate\",\"conn\":\"nope\"}", "no connection named 'nope'");
  expect_error(f, "{\"cmd\":\"initiate\",\"conn\":\"peer\",\"child\":\"x\"}", "no child named x");
  expect_error(f, "{\"cmd\":\"terminate\",\"conn\":\"nope\"}", "no connection named");
}

static void test_load(void **state) {
  struct fixture *f = *state;
  char path[] = "/tmp/nicsec-control-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, cfg0, strlen(cfg0)), (ssize_t)strlen(cfg0));
  close(fd);
  char request[256];
  snprintf(request, sizeof request, "{\"cmd\":\"load\",\"path\":\"%s\"}", path);
  json_t *reply = call(f, request);
  assert_true(json_is_true(json_object_get(reply, "ok")));
  assert_int_equal(json_integer_value(json_object_get(reply, "connections")), 1);
  json_decref(reply);
  /* A broken file keeps the running configuration and says where the problem is. */
  FILE *out = fopen(path, "w");
  fputs("hal:\n  backend: record\nconnections:\n  - name: x\n    local_addr: 1.2.3\n"
        "    remote_addr: 1.2.3.4\n",
        out);
  fclose(out);
  char expect[128];
  snprintf(expect, sizeof expect, "%s:5: connections[0].local_addr", path);
  expect_error(f, request, expect);
  /* Switching the HAL backend needs a restart. */
  out = fopen(path, "w");
  fputs("hal:\n  backend: soft\n", out);
  fclose(out);
  expect_error(f, request, "restart nicsecd");
  unlink(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_list_after_handshake, setup, teardown),
      cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_load, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
