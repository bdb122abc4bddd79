/* The outputs of the fast sa-table join (see ctl_table.h): `sa list` as text or as the sa-list
 * document, and the document as a jansson tree for `sa show`. Values are copied from the answer
 * verbatim; rows are rebuilt into the objects they stand for (ctl_columns.c). */
#include <stdlib.h>
#include <string.h>

#include "ctl_model.h"
#include "ctl_table_internal.h"
#include "ctl_text.h"

/* ---- a large output buffer ------------------------------------------------------------------ */

/* Text gathered in memory and handed to stdio a megabyte at a time: a 100k-SA --json is ~150 MB
 * and a stdio call per member cost more than the rest of it. */
enum { OUT_CAP = 1 << 20 };
struct out {
  FILE *f;
  char *buf;
  size_t len;
};

static void out_flush(struct out *o) {
  if (o->len)
    fwrite(o->buf, 1, o->len, o->f);
  o->len = 0;
}

/* Room for n octets at o->buf + o->len; false when n exceeds the buffer. */
static bool out_room(struct out *o, size_t n) {
  if (o->len + n > OUT_CAP)
    out_flush(o);
  return n <= OUT_CAP;
}

static void out_put(struct out *o, const char *text, size_t n) {
  if (!out_room(o, n)) {
    out_flush(o);
    fwrite(text, 1, n, o->f);
    return;
  }
  memcpy(o->buf + o->len, text, n);
  o->len += n;
}

static void out_lit(struct out *o, const char *text) {
  out_put(o, text, strlen(text));
}

static void out_jstr(struct out *o, const char *s) {
  static const char hex[] = "0123456789abcdef";
  size_t n = strlen(s);
  if (!out_room(o, 6 * n + 2)) /* the join's strings are under 96 octets: never */
    return;
  char *p = o->buf + o->len;
  *p++ = '"';
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      *p++ = '\\';
      *p++ = (char)c;
    } else if (c < 0x20) {
      memcpy(p, "\\u00", 4);
      p[4] = hex[c >> 4];
      p[5] = hex[c & 15];
      p += 6;
    } else {
      *p++ = (char)c;
    }
  }
  *p++ = '"';
  o->len = (size_t)(p - o->buf);
}

/* ---- sides as objects ----------------------------------------------------------------------- */

static const struct ctl_columns *columns_of(const struct ctl_table *t, bool device) {
  return &t->columns[device ? 0 : 1];
}

/* The object a row stands for, written at out (room: ctl_row_object_size). */
static size_t row_text(const struct ctl_table *t, const struct ctl_side *s, bool device,
                       char *out) {
  return ctl_row_object(columns_of(t, device), s->text, out);
}

/* One side as the object nicsecd wrote, or, for a row, the object it stands for: the members in
 * column order, written compactly as nicsecd writes objects. */
static void write_side(struct out *o, const struct ctl_table *t, const struct ctl_side *s,
                       bool device) {
  if (!s->text.p) {
    out_put(o, "null", 4);
    return;
  }
  if (!s->row) {
    out_put(o, s->text.p, s->text.len);
    return;
  }
  size_t size = ctl_row_object_size(columns_of(t, device), s->text);
  if (out_room(o, size)) {
    o->len += row_text(t, s, device, o->buf + o->len);
    return;
  }
  char *buf = malloc(size);
  if (buf)
    out_put(o, buf, row_text(t, s, device, buf));
  else
    out_put(o, "null", 4); /* out of memory: the side reads as absent rather than cut */
  free(buf);
}

bool ctl_side_text(const struct ctl_table *t, const struct ctl_side *s, bool device, char **out,
                   size_t *len) {
  size_t size = !s->text.p ? 4 : s->row ? ctl_row_object_size(columns_of(t, device), s->text)
                                        : s->text.len;
  if (!(*out = malloc(size ? size : 1)))
    return false;
  if (!s->text.p)
    memcpy(*out, "null", *len = 4);
  else if (s->row)
    *len = row_text(t, s, device, *out);
  else
    memcpy(*out, s->text.p, *len = s->text.len);
  return true;
}

void ctl_table_write_json(FILE *f, const struct ctl_table *t) {
  static char spare[OUT_CAP]; /* out of memory: still one document, through a spare buffer */
  char *buf = malloc(OUT_CAP);
  struct out o = {f, buf ? buf : spare, 0};
  out_lit(&o, "{\"schema\":\"" CTL_SCHEMA_SA_LIST "\",\"devices\":");
  if (t->devices.p)
    out_put(&o, t->devices.p, t->devices.len);
  else
    out_put(&o, "[]", 2);
  out_lit(&o, ",\"sas\":[");
  for (size_t i = 0; i < t->n_rows; i++) {
    const struct ctl_row *r = t->sorted[i];
    out_lit(&o, i ? ",{\"key\":" : "{\"key\":");
    out_jstr(&o, r->key);
    out_lit(&o, ",\"dir\":");
    out_jstr(&o, r->dir);
    out_lit(&o, ",\"spi\":");
    out_jstr(&o, r->spi);
    out_lit(&o, ",\"device\":");
    write_side(&o, t, &r->device, true);
    out_lit(&o, ",\"daemon\":");
    write_side(&o, t, &r->daemon, false);
    out_put(&o, "}", 1);
  }
  out_lit(&o, "]}\n");
  out_flush(&o);
  free(buf);
}

/* ---- sa list as text ------------------------------------------------------------------------ */

static void take_str(struct ctl_span v, char *out, size_t len) {
  if (!ctl_span_str(v, out, len))
    out[0] = '\0';
}

static double number_of(struct ctl_span v) {
  uint64_t x = 0;
  return ctl_span_u64(v, &x) ? (double)x : 0;
}

uint64_t ctl_side_drops(const struct ctl_side *s) {
  struct ctl_span drops = s->field[F_DROPS];
  uint64_t total = 0;
  if (s->row && drops.p && *drops.p != '{') { /* the values of the "drops.*" columns */
    const char *p = drops.p, *end = drops.p + drops.len;
    while (p < end) {
      const char *stop = ctl_skip_checked(p, end);
      total += (uint64_t)ctl_span_int((struct ctl_span){p, (size_t)(stop - p)});
      p = ctl_scan_ws(stop, end);
      p = p < end && *p == ',' ? ctl_scan_ws(p + 1, end) : end;
    }
    return total;
  }
  struct ctl_iter it;
  struct ctl_span key, v;
  ctl_obj_begin(&it, drops);
  while (ctl_obj_next(&it, &key, &v))
    total += (uint64_t)ctl_span_int(v);
  return total;
}

/* Decoded strings of one row, held while the row prints. */
struct row_strings {
  char src[64], dst[64], mode[32], alg[48], conn[64], child[64];
};

static void print_row(FILE *f, const struct ctl_row *r) {
  const struct ctl_span *dev = r->device.field, *own = r->daemon.field;
  const struct ctl_span *any = r->device.text.p ? dev : own;
  struct row_strings s;
  take_str(any[F_SRC], s.src, sizeof s.src);
  take_str(any[F_DST], s.dst, sizeof s.dst);
  take_str(any[F_MODE], s.mode, sizeof s.mode);
  take_str(any[F_ALG], s.alg, sizeof s.alg);
  take_str(own[F_CONN], s.conn, sizeof s.conn);
  take_str(own[F_CHILD], s.child, sizeof s.child);
  struct ctl_sa_row row = {
      .dir = r->dir, .spi = r->spi, .src = s.src, .dst = s.dst, .mode = s.mode, .alg = s.alg,
      .conn = s.conn, .child = s.child, .encap = ctl_span_present(any[F_ENCAP]),
      .esn = ctl_span_is(any[F_ESN], "true"), .on_device = r->device.text.p != NULL,
      .on_daemon = r->daemon.text.p != NULL, .packets = number_of(dev[F_PACKETS]),
      .bytes = number_of(dev[F_BYTES]), .drops = (double)ctl_side_drops(&r->device),
      .handle = (long long)number_of(any[F_HANDLE])};
  ctl_print_sa_row(f, &row);
}

void ctl_table_print(FILE *f, const struct ctl_table *t) {
  ctl_print_sa_header(f);
  for (size_t i = 0; i < t->n_rows; i++)
    print_row(f, t->sorted[i]);
}

/* ---- the document as a tree ----------------------------------------------------------------- */

static json_t *side_json(const struct ctl_table *t, const struct ctl_side *s, bool device) {
  char *text;
  size_t len;
  if (!ctl_side_text(t, s, device, &text, &len))
    return NULL;
  json_t *v = json_loadb(text, len, JSON_DECODE_ANY, NULL);
  free(text);
  return v;
}

json_t *ctl_table_to_json(const struct ctl_table *t, const char *spi) {
  json_t *sas = json_array();
  for (size_t i = 0; sas && i < t->n_rows; i++) {
    const struct ctl_row *r = t->sorted[i];
    if (spi && strcmp(r->spi, spi) != 0)
      continue;
    json_array_append_new(sas, json_pack("{s:s, s:s, s:s, s:o, s:o}", "key", r->key, "dir",
                                         r->dir, "spi", r->spi, "device",
                                         side_json(t, &r->device, true), "daemon",
                                         side_json(t, &r->daemon, false)));
  }
  json_t *devices = t->devices.p ? json_loadb(t->devices.p, t->devices.len, JSON_DECODE_ANY, NULL)
                                 : json_array();
  return json_pack("{s:s, s:o, s:o}", "schema", CTL_SCHEMA_SA_LIST, "devices", devices, "sas",
                   sas);
}
