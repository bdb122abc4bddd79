/* Test helper shared by the unit tests: reads a public test-vector file (tests/vectors/<name>,
 * located through the NICSEC_VECTORS environment variable that ctest sets) and decodes its
 * fields. Every helper fails the current cmocka test on a missing file or field, so a broken
 * vector file can never make a test pass by testing nothing. */
#ifndef NICSEC_TEST_VECTORS_H
#define NICSEC_TEST_VECTORS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Loads <NICSEC_VECTORS>/<file> and returns the whole document. Free with json_decref. */
json_t *vectors_load_root(const char *file);
/* Loads <NICSEC_VECTORS>/<file> and returns its "vectors" array (checked against "count").
 * Free with vectors_free. */
json_t *vectors_load(const char *file);
void vectors_free(json_t *vectors);

/* A string field; fails the test if absent. */
const char *vec_str(const json_t *v, const char *field);
/* An integer field written either as a JSON number or as a decimal string. */
long vec_int(const json_t *v, const char *field);

/* A hex field decoded into a malloc'd buffer (non-NULL even when empty); free with
 * vec_bytes_free. */
struct vec_bytes {
  uint8_t *ptr;
  size_t len;
};
struct vec_bytes vec_hex(const json_t *v, const char *field);
void vec_bytes_free(struct vec_bytes *b);
/* Decodes a hex literal from a test source (same rules). */
struct vec_bytes hex_literal(const char *hex);

/* A hex field decoded into buf; fails the test if it does not fit in cap octets. Returns the
 * decoded length. */
size_t vec_hex_into(const json_t *v, const char *field, uint8_t *buf, size_t cap);
/* A hex field read as a big-endian unsigned number (at most 8 octets). */
uint64_t vec_hex_number(const json_t *v, const char *field);

#endif
