/* Small helpers shared by the codec unit tests (header-only: each test is one executable). */
#ifndef NICSEC_TESTS_CODEC_TEST_UTIL_H
#define NICSEC_TESTS_CODEC_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ikecodec.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define VIEW(array) ((struct wire_view){(const uint8_t *)(array), sizeof(array)})

static inline struct wire_view view_of(const void *p, size_t n) {
  return (struct wire_view){(const uint8_t *)p, n};
}

static inline void assert_view_equal(struct wire_view v, const void *expected, size_t len) {
  assert_int_equal(v.len, len);
  if (len)
    assert_memory_equal(v.ptr, expected, len);
}

/* Fails the test with the formatted codec error when rc is not IKE_OK. */
static inline void assert_codec_ok(enum ike_err rc, const struct ike_error *err) {
  if (rc != IKE_OK) {
    char text[256];
    ike_error_format(err, text, sizeof text);
    fail_msg("codec error: %s", text);
  }
}

/* Asserts an error's class, payload and field (field NULL = not checked). */
static inline void assert_codec_error(enum ike_err rc, const struct ike_error *err,
                                      enum ike_err code, uint8_t payload_type, const char *field) {
  char text[256];
  ike_error_format(err, text, sizeof text);
  if (rc != code || err->code != code || err->payload_type != payload_type)
    fail_msg("expected %s on payload %u, got %s", ike_err_name(code), payload_type, text);
  if (field && (!err->field || strcmp(err->field, field) != 0))
    fail_msg("expected field \"%s\", got %s", field, text);
}

/* Parses a single payload body given as bytes. */
static inline enum ike_err parse_body(uint8_t type, const void *body, size_t len,
                                      union ike_payload_body *out, struct ike_error *err) {
  return ike_payload_parse(type, 0, view_of(body, len), 0, out, err);
}

/* Builds a single payload body; returns its length, or 0 on error (after asserting). */
static inline size_t build_body(uint8_t type, const union ike_payload_body *in, uint8_t *buf,
                                size_t cap) {
  struct wire_writer w;
  wire_writer_init(&w, buf, cap);
  struct ike_error err;
  enum ike_err rc = ike_payload_build_body(&w, type, in, NULL, &err);
  assert_codec_ok(rc, &err);
  return wire_writer_len(&w);
}

#endif
