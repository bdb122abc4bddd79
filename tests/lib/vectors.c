#include "vectors.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/crypto.h>

json_t *vectors_load_root(const char *file) {
  const char *dir = getenv("NICSEC_VECTORS");
  if (!dir)
    fail_msg("NICSEC_VECTORS is not set (run the test through ctest)");
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  json_error_t err;
  json_t *root = json_load_file(path, 0, &err);
  if (!root)
    fail_msg("cannot load %s: %s (line %d)", path, err.text, err.line);
  return root;
}

json_t *vectors_load(const char *file) {
  json_t *root = vectors_load_root(file);
  json_t *vectors = json_object_get(root, "vectors");
  json_t *count = json_object_get(root, "count");
  if (!json_is_array(vectors) || !json_is_integer(count) ||
      (size_t)json_integer_value(count) != json_array_size(vectors))
    fail_msg("%s: \"vectors\" missing or not matching \"count\"", file);
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

/* Octets the hex string stands for; fails the test on an odd number of digits. */
static size_t hex_octets(const char *hex) {
  size_t digits = strlen(hex);
  if (digits % 2)
    fail_msg("odd-length hex string");
  return digits / 2;
}

/* OpenSSL's decoder checks every digit; octets comes from hex_octets, so the sizes agree. */
static void hex_decode(const char *hex, uint8_t *out, size_t octets) {
  size_t decoded = 0;
  if (octets > 0 && (OPENSSL_hexstr2buf_ex(out, octets, &decoded, hex, '\0') != 1 ||
                     decoded != octets))
    fail_msg("bad hex digit in \"%.40s\"", hex);
}

struct vec_bytes hex_literal(const char *hex) {
  size_t octets = hex_octets(hex);
  struct vec_bytes b = {malloc(octets + 1), octets};
  assert_non_null(b.ptr);
  hex_decode(hex, b.ptr, octets);
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

size_t vec_hex_into(const json_t *v, const char *field, uint8_t *buf, size_t cap) {
  const char *hex = vec_str(v, field);
  size_t octets = hex_octets(hex);
  if (octets > cap)
    fail_msg("vector field \"%s\": %zu octets, room for %zu", field, octets, cap);
  hex_decode(hex, buf, octets);
  return octets;
}

uint64_t vec_hex_number(const json_t *v, const char *field) {
  uint8_t octets[8];
  size_t len = vec_hex_into(v, field, octets, sizeof octets);
  uint64_t n = 0;
  for (size_t i = 0; i < len; i++)
    n = n << 8 | octets[i];
  return n;
}
