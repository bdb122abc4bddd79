/* The shared vector reader against a real vector file and hand-written JSON: decoding rules the
 * KAT tests rely on (hex into buffers and numbers, integers as numbers or strings). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "vectors.h"

static json_t *parse(const char *text) {
  json_t *doc = json_loads(text, 0, NULL);
  assert_non_null(doc);
  return doc;
}

static void test_hex_literal(void **state) {
  (void)state;
  struct vec_bytes b = hex_literal("00fF10");
  assert_int_equal(b.len, 3);
  assert_memory_equal(b.ptr, "\x00\xff\x10", 3);
  vec_bytes_free(&b);
  assert_null(b.ptr);
  struct vec_bytes empty = hex_literal("");
  assert_non_null(empty.ptr);
  assert_int_equal(empty.len, 0);
  vec_bytes_free(&empty);
}

static void test_hex_fields(void **state) {
  (void)state;
  json_t *v = parse("{\"spi\": \"0000a5f8\", \"seq\": \"0102030405060708\", \"key\": \"abcd\"}");
  assert_int_equal(vec_hex_number(v, "spi"), 0xa5f8);
  assert_true(vec_hex_number(v, "seq") == 0x0102030405060708ull);
  uint8_t buf[2] = {0};
  assert_int_equal(vec_hex_into(v, "key", buf, sizeof buf), 2);
  assert_memory_equal(buf, "\xab\xcd", 2);
  json_decref(v);
}

static void test_int_fields(void **state) {
  (void)state;
  json_t *v = parse("{\"a\": 128, \"b\": \"-7\"}");
  assert_int_equal(vec_int(v, "a"), 128);
  assert_int_equal(vec_int(v, "b"), -7);
  json_decref(v);
}

/* A real file: "vectors" matches "count", and the root loader sees the same document. */
static void test_vector_file(void **state) {
  (void)state;
  json_t *vectors = vectors_load("esp_aes_gcm_mcgrew.json");
  json_t *root = vectors_load_root("esp_aes_gcm_mcgrew.json");
  assert_int_equal(json_array_size(vectors), json_integer_value(json_object_get(root, "count")));
  const json_t *first = json_array_get(vectors, 0);
  assert_int_equal(vec_hex_number(first, "spi"), 0x4321);
  assert_true(vec_hex_number(first, "seq") == 0x8765432100000000ull);
  assert_int_equal(vec_int(first, "key_bits"), 128);
  vectors_free(vectors);
  json_decref(root);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hex_literal),
      cmocka_unit_test(test_hex_fields),
      cmocka_unit_test(test_int_fields),
      cmocka_unit_test(test_vector_file),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
