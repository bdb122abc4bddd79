/* Bounded byte reader and writer for wire formats (IKE messages, ESP headers).
 *
 * Every access is checked against the buffer's end. A failed access makes the reader/writer
 * "failed" for good (sticky), returns zeros, and never touches memory outside the buffer, so a
 * parser can perform a run of reads and check once at the end. Multi-byte integers are big-endian
 * (network order), as in every IETF format we handle.
 */
#ifndef NICSEC_WIRE_BYTEBUF_H
#define NICSEC_WIRE_BYTEBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wire_reader {
  const uint8_t *data;
  size_t len;
  size_t pos;
  bool failed;
};

struct wire_writer {
  uint8_t *buf;
  size_t cap;
  size_t len;
  bool failed;
};

/* A view of bytes inside a reader's buffer: valid as long as that buffer is. */
struct wire_view {
  const uint8_t *ptr;
  size_t len;
};

void wire_reader_init(struct wire_reader *r, const void *data, size_t len);
size_t wire_remaining(const struct wire_reader *r);
bool wire_reader_ok(const struct wire_reader *r);

uint8_t wire_read_u8(struct wire_reader *r);
uint16_t wire_read_be16(struct wire_reader *r);
uint32_t wire_read_be32(struct wire_reader *r);
uint64_t wire_read_be64(struct wire_reader *r);
/* Copies n bytes into out (which must hold n); on failure out is zero-filled. */
bool wire_read_bytes(struct wire_reader *r, void *out, size_t n);
/* Returns a view of the next n bytes without copying; {NULL, 0} on failure. */
struct wire_view wire_read_view(struct wire_reader *r, size_t n);
bool wire_skip(struct wire_reader *r, size_t n);
/* Splits off the next n bytes as a sub-reader (e.g. one payload of a chain). A sub-reader's
 * failure does not fail its parent: the parent already knows the n bytes exist. */
bool wire_read_sub(struct wire_reader *r, size_t n, struct wire_reader *sub);
/* Looks at the byte at offset `ahead` from the current position without consuming it. */
bool wire_peek_u8(const struct wire_reader *r, size_t ahead, uint8_t *out);

void wire_writer_init(struct wire_writer *w, void *buf, size_t cap);
bool wire_writer_ok(const struct wire_writer *w);
size_t wire_writer_len(const struct wire_writer *w);

bool wire_write_u8(struct wire_writer *w, uint8_t v);
bool wire_write_be16(struct wire_writer *w, uint16_t v);
bool wire_write_be32(struct wire_writer *w, uint32_t v);
bool wire_write_be64(struct wire_writer *w, uint64_t v);
bool wire_write_bytes(struct wire_writer *w, const void *src, size_t n);
bool wire_write_zeros(struct wire_writer *w, size_t n);
/* Reserves n bytes to fill in later (a length field known only after the body is written);
 * returns the offset of the reservation, or SIZE_MAX on failure. */
size_t wire_reserve(struct wire_writer *w, size_t n);
/* Writes v big-endian at an offset previously reserved. */
bool wire_patch_be16(struct wire_writer *w, size_t offset, uint16_t v);
bool wire_patch_be32(struct wire_writer *w, size_t offset, uint32_t v);

#endif
