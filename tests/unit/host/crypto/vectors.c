#include "vectors.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

json_t *vectors_load(const char *file) {
  const char *dir = getenv("NICSEC_VECTORS");
  if (!dir)
    fail_msg("NICSEC_VECTORS is not set (run the test through ctest)");
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  json_error_t err;
  json_t *root = json_load_file(path, 0, &err);
  if (!root)
    fail_msg("cannot load %s: %s (line %d)", path, err.text, err.line);
  json_t *vectors = json_object_get(root, "vectors");
  json_t *count = json_object_get(root, "count");
  if (!json_is_array(vectors) || !json_is_integer(count) ||
      (size_t)json_integer_value(count) != json_array_size(vectors))
    fail_msg("%s: \"vectors\" missing or not matching \"count\"", path);
  json_incref(vectors);
  json_decref(root);
  return vectors;
}

void vectors_free(json_t *vectors) { json_decref(vectors); }

const char *vec_str(const json_t *v, const char *field) {
  const char *s = json_string_value(json_object_get(v, field));
  if (!s)
    fail_msg("vector field \"%s\" missing or not a string", field);
  return s;
}

long vec_int(const json_t *v, const char *field) {
  const json_t *value = json_object_get(v, field);
  if (json_is_integer(value))
    return (long)json_integer_value(value);
  const char *s = json_string_value(value);
  char *end = NULL;
  long n = s ? strtol(s, &end, 10) : 0;
  if (!s || *s == '\0' || *end != '\0')
    fail_msg("vector field \"%s\" missing or not an integer", field);
  return n;
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

struct vec_bytes hex_literal(const char *hex) {
  size_t digits = strlen(hex);
  if (digits % 2)
    fail_msg("odd-length hex string");
  struct vec_bytes b = {malloc(digits / 2 + 1), digits / 2};
  assert_non_null(b.ptr);
  for (size_t i = 0; i < b.len; i++) {
    int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0)
      fail_msg("bad hex digit");
    b.ptr[i] = (uint8_t)(hi << 4 | lo);
  }
  return b;
}

struct vec_bytes vec_hex(const json_t *v, const char *field) {
  return hex_literal(vec_str(v, field));
}

void vec_bytes_free(struct vec_bytes *b) {
  free(b->ptr);
  b->ptr = NULL;
  b->len = 0;
}
