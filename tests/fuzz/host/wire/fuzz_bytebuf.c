/* Fuzzes the bounded reader with an input-driven sequence of operations.
 * Input layout: byte 0 = number of op bytes k; bytes 1..k = ops; the rest = the data to read.
 * Invariants checked after every op: the position never passes the end, a failure is sticky,
 * and a view always lies inside the data. ASan catches any access outside it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "bytebuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int condition) {
  if (!condition)
    abort();
}

static void apply_op(struct wire_reader *r, uint8_t op) {
  uint8_t scratch[64];
  struct wire_reader sub;
  switch (op & 0x0f) {
  case 0:
    (void)wire_read_u8(r);
    break;
  case 1:
    (void)wire_read_be16(r);
    break;
  case 2:
    (void)wire_read_be32(r);
    break;
  case 3:
    (void)wire_read_be64(r);
    break;
  case 4:
    (void)wire_read_bytes(r, scratch, (size_t)(op >> 4) * 4);
    break;
  case 5:
    (void)wire_skip(r, (size_t)(op >> 4));
    break;
  case 6:
    (void)wire_skip(r, SIZE_MAX - (op >> 4));
    break;
  case 7: {
    struct wire_view v = wire_read_view(r, (size_t)(op >> 4));
    check(v.ptr == NULL || (v.ptr >= r->data && v.ptr + v.len <= r->data + r->len));
    break;
  }
  case 8:
    if (wire_read_sub(r, (size_t)(op >> 4), &sub))
      while (wire_reader_ok(&sub) && wire_remaining(&sub) > 0)
        (void)wire_read_be16(&sub);
    break;
  default: {
    uint8_t b;
    (void)wire_peek_u8(r, op >> 4, &b);
    break;
  }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  size_t op_count = data[0];
  if (op_count > size - 1)
    op_count = size - 1;
  const uint8_t *ops = data + 1;
  struct wire_reader r;
  wire_reader_init(&r, ops + op_count, size - 1 - op_count);
  int was_failed = 0;
  for (size_t i = 0; i < op_count; i++) {
    apply_op(&r, ops[i]);
    check(r.pos <= r.len);
    check(!was_failed || !wire_reader_ok(&r));
    was_failed = !wire_reader_ok(&r);
  }
  return 0;
}
