#include "bytebuf.h"

#include <string.h>

/* A NULL buffer is replaced by this one so that pointer arithmetic is always defined. */
static uint8_t empty_buffer[1];

void wire_reader_init(struct wire_reader *r, const void *data, size_t len) {
  r->data = data ? data : empty_buffer;
  r->len = data ? len : 0;
  r->pos = 0;
  r->failed = false;
}

size_t wire_remaining(const struct wire_reader *r) { return r->failed ? 0 : r->len - r->pos; }

bool wire_reader_ok(const struct wire_reader *r) { return !r->failed; }

/* Claims n bytes; the only place that moves pos, so the bound is checked in one spot. */
static const uint8_t *reader_take(struct wire_reader *r, size_t n) {
  if (r->failed || n > r->len - r->pos) {
    r->failed = true;
    return NULL;
  }
  const uint8_t *p = r->data + r->pos;
  r->pos += n;
  return p;
}

static uint64_t load_be(const uint8_t *p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++)
    v = (v << 8) | p[i];
  return v;
}

uint8_t wire_read_u8(struct wire_reader *r) {
  const uint8_t *p = reader_take(r, 1);
  return p ? p[0] : 0;
}

uint16_t wire_read_be16(struct wire_reader *r) {
  const uint8_t *p = reader_take(r, 2);
  return p ? (uint16_t)load_be(p, 2) : 0;
}

uint32_t wire_read_be32(struct wire_reader *r) {
  const uint8_t *p = reader_take(r, 4);
  return p ? (uint32_t)load_be(p, 4) : 0;
}

uint64_t wire_read_be64(struct wire_reader *r) {
  const uint8_t *p = reader_take(r, 8);
  return p ? load_be(p, 8) : 0;
}

bool wire_read_bytes(struct wire_reader *r, void *out, size_t n) {
  const uint8_t *p = reader_take(r, n);
  if (!p) {
    if (n)
      memset(out, 0, n);
    return false;
  }
  if (n)
    memcpy(out, p, n);
  return true;
}

struct wire_view wire_read_view(struct wire_reader *r, size_t n) {
  const uint8_t *p = reader_take(r, n);
  return p ? (struct wire_view){p, n} : (struct wire_view){NULL, 0};
}

bool wire_skip(struct wire_reader *r, size_t n) { return reader_take(r, n) != NULL; }

bool wire_read_sub(struct wire_reader *r, size_t n, struct wire_reader *sub) {
  const uint8_t *p = reader_take(r, n);
  wire_reader_init(sub, p, n);
  sub->failed = p == NULL;
  return p != NULL;
}

bool wire_peek_u8(const struct wire_reader *r, size_t ahead, uint8_t *out) {
  if (r->failed || ahead >= r->len - r->pos)
    return false;
  *out = r->data[r->pos + ahead];
  return true;
}

void wire_writer_init(struct wire_writer *w, void *buf, size_t cap) {
  w->buf = buf ? buf : empty_buffer;
  w->cap = buf ? cap : 0;
  w->len = 0;
  w->failed = false;
}

bool wire_writer_ok(const struct wire_writer *w) { return !w->failed; }

size_t wire_writer_len(const struct wire_writer *w) { return w->len; }

/* Claims n bytes of output space; the only place that moves len. */
static uint8_t *writer_take(struct wire_writer *w, size_t n) {
  if (w->failed || n > w->cap - w->len) {
    w->failed = true;
    return NULL;
  }
  uint8_t *p = w->buf + w->len;
  w->len += n;
  return p;
}

static void store_be(uint8_t *p, uint64_t v, size_t n) {
  for (size_t i = n; i > 0; i--) {
    p[i - 1] = (uint8_t)v;
    v >>= 8;
  }
}

static bool write_be(struct wire_writer *w, uint64_t v, size_t n) {
  uint8_t *p = writer_take(w, n);
  if (p)
    store_be(p, v, n);
  return p != NULL;
}

bool wire_write_u8(struct wire_writer *w, uint8_t v) { return write_be(w, v, 1); }
bool wire_write_be16(struct wire_writer *w, uint16_t v) { return write_be(w, v, 2); }
bool wire_write_be32(struct wire_writer *w, uint32_t v) { return write_be(w, v, 4); }
bool wire_write_be64(struct wire_writer *w, uint64_t v) { return write_be(w, v, 8); }

bool wire_write_bytes(struct wire_writer *w, const void *src, size_t n) {
  uint8_t *p = writer_take(w, n);
  if (p && n)
    memcpy(p, src, n);
  return p != NULL;
}

bool wire_write_zeros(struct wire_writer *w, size_t n) {
  uint8_t *p = writer_take(w, n);
  if (p && n)
    memset(p, 0, n);
  return p != NULL;
}

size_t wire_reserve(struct wire_writer *w, size_t n) {
  size_t offset = w->len;
  return wire_write_zeros(w, n) ? offset : SIZE_MAX;
}

static bool patch_be(struct wire_writer *w, size_t offset, uint64_t v, size_t n) {
  if (w->failed || offset > w->len || n > w->len - offset)
    return false;
  store_be(w->buf + offset, v, n);
  return true;
}

bool wire_patch_be16(struct wire_writer *w, size_t offset, uint16_t v) {
  return patch_be(w, offset, v, 2);
}

bool wire_patch_be32(struct wire_writer *w, size_t offset, uint32_t v) {
  return patch_be(w, offset, v, 4);
}
