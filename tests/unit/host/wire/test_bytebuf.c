/* Unit tests of the bounded reader/writer every wire codec is built on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bytebuf.h"

static void reads_big_endian_integers(void **state) {
  (void)state;
  const uint8_t msg[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                         0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
  struct wire_reader r;
  wire_reader_init(&r, msg, sizeof msg);
  assert_int_equal(wire_read_u8(&r), 0x01);
  assert_int_equal(wire_read_be16(&r), 0x0203);
  assert_int_equal(wire_read_be32(&r), 0x04050607);
  assert_true(wire_read_be64(&r) == 0x08090a0b0c0d0e0fULL);
  assert_int_equal(wire_remaining(&r), 0);
  assert_true(wire_reader_ok(&r));
}

static void short_read_fails_sticky_and_returns_zero(void **state) {
  (void)state;
  const uint8_t msg[] = {0xaa, 0xbb, 0xcc};
  struct wire_reader r;
  wire_reader_init(&r, msg, sizeof msg);
  assert_int_equal(wire_read_u8(&r), 0xaa);
  assert_int_equal(wire_read_be32(&r), 0); /* only 2 bytes left */
  assert_false(wire_reader_ok(&r));
  /* Sticky: even a read that would fit now fails, so one check at the end suffices. */
  assert_int_equal(wire_read_u8(&r), 0);
  assert_int_equal(wire_remaining(&r), 0);
  assert_false(wire_reader_ok(&r));
}

static void read_bytes_zero_fills_on_failure(void **state) {
  (void)state;
  const uint8_t msg[] = {1, 2, 3};
  uint8_t out[8];
  memset(out, 0x5a, sizeof out);
  struct wire_reader r;
  wire_reader_init(&r, msg, sizeof msg);
  assert_false(wire_read_bytes(&r, out, sizeof out));
  for (size_t i = 0; i < sizeof out; i++)
    assert_int_equal(out[i], 0);
}

static void view_points_into_buffer_without_copy(void **state) {
  (void)state;
  const uint8_t msg[] = {9, 8, 7, 6};
  struct wire_reader r;
  wire_reader_init(&r, msg, sizeof msg);
  assert_true(wire_skip(&r, 1));
  struct wire_view v = wire_read_view(&r, 2);
  assert_ptr_equal(v.ptr, msg + 1);
  assert_int_equal(v.len, 2);
  struct wire_view bad = wire_read_view(&r, 2);
  assert_null(bad.ptr);
  assert_int_equal(bad.len, 0);
}

static void huge_length_does_not_wrap(void **state) {
  (void)state;
  const uint8_t msg[] = {1, 2, 3, 4};
  struct wire_reader r;
  wire_reader_init(&r, msg, sizeof msg);
  wire_read_u8(&r);
  /* pos + n would overflow size_t: must fail, not wrap around to a small position. */
  assert_false(wire_skip(&r, SIZE_MAX));
  assert_false(wire_reader_ok(&r));
}

static void sub_reader_is_bounded_and_independent(void **state) {
  (void)state;
  /* Two "payloads": length-prefixed chunks, as in a generic payload header chain. */
  const uint8_t msg[] = {0x00, 0x02, 0xde, 0xad, 0x00, 0x01, 0xbe};
  struct wire_reader r;
  wire_reader_init(&r, msg, sizeof msg);
  struct wire_reader first;
  assert_true(wire_read_sub(&r, wire_read_be16(&r), &first));
  assert_int_equal(wire_read_be16(&first), 0xdead);
  assert_int_equal(wire_read_u8(&first), 0); /* past the sub-reader's end */
  assert_false(wire_reader_ok(&first));
  assert_true(wire_reader_ok(&r)); /* the parent is unaffected */
  struct wire_reader second;
  assert_true(wire_read_sub(&r, wire_read_be16(&r), &second));
  assert_int_equal(wire_read_u8(&second), 0xbe);
  struct wire_reader third;
  assert_false(wire_read_sub(&r, 1, &third));
  assert_false(wire_reader_ok(&third));
  assert_int_equal(wire_remaining(&third), 0);
}

static void peek_does_not_consume(void **state) {
  (void)state;
  const uint8_t msg[] = {0x11, 0x22};
  struct wire_reader r;
  wire_reader_init(&r, msg, sizeof msg);
  uint8_t b = 0;
  assert_true(wire_peek_u8(&r, 1, &b));
  assert_int_equal(b, 0x22);
  assert_false(wire_peek_u8(&r, 2, &b));
  assert_true(wire_reader_ok(&r)); /* a failed peek is not a failed read */
  assert_int_equal(wire_read_u8(&r), 0x11);
}

static void null_buffer_is_empty(void **state) {
  (void)state;
  struct wire_reader r;
  wire_reader_init(&r, NULL, 100);
  assert_int_equal(wire_remaining(&r), 0);
  assert_true(wire_skip(&r, 0));
  assert_false(wire_skip(&r, 1));
  struct wire_writer w;
  wire_writer_init(&w, NULL, 100);
  assert_false(wire_write_u8(&w, 1));
}

static void writer_round_trips_with_reader(void **state) {
  (void)state;
  uint8_t buf[32];
  struct wire_writer w;
  wire_writer_init(&w, buf, sizeof buf);
  assert_true(wire_write_u8(&w, 0x21));
  assert_true(wire_write_be16(&w, 0x2122));
  assert_true(wire_write_be32(&w, 0xcafebabe));
  assert_true(wire_write_be64(&w, 0x0123456789abcdefULL));
  assert_true(wire_write_bytes(&w, "xyz", 3));
  assert_true(wire_write_zeros(&w, 2));
  assert_int_equal(wire_writer_len(&w), 20);

  struct wire_reader r;
  wire_reader_init(&r, buf, wire_writer_len(&w));
  assert_int_equal(wire_read_u8(&r), 0x21);
  assert_int_equal(wire_read_be16(&r), 0x2122);
  assert_int_equal(wire_read_be32(&r), 0xcafebabe);
  assert_true(wire_read_be64(&r) == 0x0123456789abcdefULL);
  char text[3];
  assert_true(wire_read_bytes(&r, text, 3));
  assert_memory_equal(text, "xyz", 3);
  assert_int_equal(wire_read_be16(&r), 0);
  assert_int_equal(wire_remaining(&r), 0);
  assert_true(wire_reader_ok(&r));
}

static void writer_overflow_is_sticky_and_writes_nothing_outside(void **state) {
  (void)state;
  uint8_t buf[8] = {0};
  struct wire_writer w; /* capacity 6 of 8: bytes 6 and 7 stand for memory past the end */
  wire_writer_init(&w, buf, 6);
  assert_true(wire_write_be32(&w, 0x01020304));
  assert_false(wire_write_be32(&w, 0x05060708)); /* 2 bytes left */
  assert_false(wire_writer_ok(&w));
  assert_false(wire_write_u8(&w, 9));
  assert_int_equal(wire_writer_len(&w), 4);
  static const uint8_t untouched[4];
  assert_memory_equal(buf + 4, untouched, sizeof untouched);
}

static void reserve_and_patch_length_field(void **state) {
  (void)state;
  uint8_t buf[16];
  struct wire_writer w;
  wire_writer_init(&w, buf, sizeof buf);
  wire_write_u8(&w, 0x29);
  size_t len_at = wire_reserve(&w, 2);
  assert_int_equal(len_at, 1);
  wire_write_bytes(&w, "abcd", 4);
  assert_true(wire_patch_be16(&w, len_at, (uint16_t)wire_writer_len(&w)));
  assert_int_equal(buf[1], 0x00);
  assert_int_equal(buf[2], 0x07);
  /* A patch must lie inside what has been written. */
  assert_false(wire_patch_be32(&w, 5, 1));
  assert_false(wire_patch_be16(&w, SIZE_MAX, 1));
  uint8_t tiny[1];
  struct wire_writer t;
  wire_writer_init(&t, tiny, sizeof tiny);
  assert_int_equal(wire_reserve(&t, 2), SIZE_MAX);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(reads_big_endian_integers),
      cmocka_unit_test(short_read_fails_sticky_and_returns_zero),
      cmocka_unit_test(read_bytes_zero_fills_on_failure),
      cmocka_unit_test(view_points_into_buffer_without_copy),
      cmocka_unit_test(huge_length_does_not_wrap),
      cmocka_unit_test(sub_reader_is_bounded_and_independent),
      cmocka_unit_test(peek_does_not_consume),
      cmocka_unit_test(null_buffer_is_empty),
      cmocka_unit_test(writer_round_trips_with_reader),
      cmocka_unit_test(writer_overflow_is_sticky_and_writes_nothing_outside),
      cmocka_unit_test(reserve_and_patch_length_field),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
