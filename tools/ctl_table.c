/* The fast sa-table join (see ctl_table.h). */
#include "ctl_table.h"

#include <stdlib.h>
#include <string.h>

#include "ctl_model.h"
#include "ctl_text.h"

/* The members of an SA object the join and `sa list` read; their spans are kept per side. */
enum side_field {
  F_DIR, F_SPI, F_DST, F_SRC, F_MODE, F_ALG, F_CONN, F_CHILD, F_ENCAP, F_ESN, F_HANDLE,
  F_PACKETS, F_BYTES, F_DROPS,
};

static const struct field_name {
  const char *name;
  size_t len;
} field_names[CTL_SIDE_FIELDS] = {
    [F_DIR] = {"dir", 3},       [F_SPI] = {"spi", 3},         [F_DST] = {"dst", 3},
    [F_SRC] = {"src", 3},       [F_MODE] = {"mode", 4},       [F_ALG] = {"alg", 3},
    [F_CONN] = {"conn", 4},     [F_CHILD] = {"child", 5},     [F_ENCAP] = {"encap", 5},
    [F_ESN] = {"esn", 3},       [F_HANDLE] = {"handle", 6},   [F_PACKETS] = {"packets", 7},
    [F_BYTES] = {"bytes", 5},   [F_DROPS] = {"drops", 5},
};

/* Which wanted member key names, or -1. Lengths first: most of the ~30 keys of an SA are longer
 * than any wanted one, and this runs for every member of 200k objects. */
static int field_of(struct ctl_span key) {
  if (key.len > 7)
    return -1;
  for (int i = 0; i < CTL_SIDE_FIELDS; i++)
    if (field_names[i].len == key.len && key.p[0] == field_names[i].name[0] &&
        memcmp(key.p, field_names[i].name, key.len) == 0)
      return i;
  return -1;
}

/* ---- the join index ------------------------------------------------------------------------- */

struct builder {
  struct ctl_table *t;
  size_t cap;
  size_t expect;   /* first capacity: an estimate of the rows, so the rows are rarely copied */
  uint32_t *slots; /* open addressing: row index + 1, 0 = empty */
  size_t n_slots;  /* a power of two, at least twice the rows */
  bool failed;
};

static uint64_t hash_key(const char *key) {
  uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
  for (; *key; key++)
    h = (h ^ (unsigned char)*key) * 0x100000001b3ull;
  return h;
}

static uint32_t *slot_of(struct builder *b, const char *key) {
  size_t mask = b->n_slots - 1, i = (size_t)hash_key(key) & mask;
  while (b->slots[i] && strcmp(b->t->rows[b->slots[i] - 1].key, key) != 0)
    i = (i + 1) & mask;
  return &b->slots[i];
}

static bool grow(struct builder *b) {
  size_t cap = b->cap ? b->cap * 2 : 1024;
  while (cap < b->expect)
    cap *= 2; /* a power of two: the slot mask depends on it */
  struct ctl_row *rows = realloc(b->t->rows, cap * sizeof *rows);
  uint32_t *slots = calloc(cap * 2, sizeof *slots);
  if (rows)
    b->t->rows = rows;
  if (!rows || !slots || cap >= UINT32_MAX / 2) {
    free(slots);
    return false;
  }
  free(b->slots);
  b->slots = slots;
  b->n_slots = cap * 2;
  b->cap = cap;
  for (size_t r = 0; r < b->t->n_rows; r++)
    *slot_of(b, b->t->rows[r].key) = (uint32_t)(r + 1);
  return true;
}

/* The row named key, created on first use. */
static struct ctl_row *row_for(struct builder *b, const char *key, const char *dir,
                               const char *spi) {
  if (b->t->n_rows == b->cap && !grow(b)) {
    b->failed = true;
    return NULL;
  }
  uint32_t *slot = slot_of(b, key);
  if (*slot)
    return &b->t->rows[*slot - 1];
  struct ctl_row *r = &b->t->rows[b->t->n_rows];
  r->device = r->daemon = (struct ctl_side){0}; /* print_row reads both sides' fields */
  /* the callers' strings fit: key < 96, dir < 16, spi < 24 (struct sa_name) */
  memcpy(r->key, key, strlen(key) + 1);
  memcpy(r->dir, dir, strlen(dir) + 1);
  memcpy(r->spi, spi, strlen(spi) + 1);
  *slot = (uint32_t)++b->t->n_rows;
  return r;
}

/* ---- walking one side ----------------------------------------------------------------------- */

/* The three strings an SA is joined by; "" when absent or not a string (as ctl_sa_key). */
struct sa_name {
  char dir[16], spi[24], dst[48];
};

static void take_str(struct ctl_span v, char *out, size_t len) {
  if (!ctl_span_str(v, out, len))
    out[0] = '\0';
}

static char *put(char *out, const char *s) {
  size_t n = strlen(s);
  memcpy(out, s, n);
  return out + n;
}

/* "<dir>/<spi>/<dst>", as ctl_sa_key names it (snprintf costs too much 200k times). */
static void join_name(const struct sa_name *name, char key[96]) {
  char *p = put(key, name->dir);
  *p++ = '/';
  p = put(p, name->spi);
  *p++ = '/';
  p = put(p, name->dst);
  *p = '\0';
}

/* Walks one SA object from p, validating it and keeping the wanted members' spans in side.
 * NULL when the text is malformed. */
static const char *scan_sa(const char *p, const char *end, struct ctl_side *side) {
  struct ctl_iter it;
  struct ctl_span key, v;
  *side = (struct ctl_side){0};
  ctl_obj_begin(&it, (struct ctl_span){p, (size_t)(end - p)});
  while (ctl_obj_next(&it, &key, &v)) {
    int f = field_of(key);
    if (f >= 0)
      side->field[f] = v; /* a repeated member: the later one counts, as in jansson */
  }
  if (it.bad)
    return NULL;
  side->text = (struct ctl_span){p, (size_t)(it.stop - p)};
  return it.stop;
}

/* One element of a side's array: joined when it is a named SA object, skipped otherwise. */
static const char *add_element(struct builder *b, const char *p, const char *end, bool device) {
  struct ctl_side side;
  if (*p != '{')
    return ctl_scan_value(p, end);
  const char *stop = scan_sa(p, end, &side);
  struct sa_name name;
  take_str(side.field[F_DIR], name.dir, sizeof name.dir);
  take_str(side.field[F_SPI], name.spi, sizeof name.spi);
  take_str(side.field[F_DST], name.dst, sizeof name.dst);
  if (!stop || !name.dir[0] || !name.spi[0])
    return stop;
  char key[96]; /* dir/spi/dst: 15 + 1 + 23 + 1 + 47 + 1 octets at most */
  join_name(&name, key);
  struct ctl_row *r = row_for(b, key, name.dir, name.spi);
  if (r)
    *(device ? &r->device : &r->daemon) = side;
  return b->failed ? NULL : stop;
}

/* A side's array from p: its elements joined in one pass. */
static const char *add_side(struct builder *b, const char *p, const char *end, bool device) {
  p = ctl_scan_ws(p, end);
  if (p >= end || *p != '[')
    return NULL;
  p = ctl_scan_ws(p + 1, end);
  if (p < end && *p == ']')
    return p + 1;
  while (p && p < end) {
    p = add_element(b, p, end, device);
    p = p ? ctl_scan_ws(p, end) : NULL;
    if (!p || p >= end)
      return NULL;
    if (*p == ']')
      return p + 1;
    p = *p == ',' ? ctl_scan_ws(p + 1, end) : NULL;
  }
  return NULL;
}

/* ---- the answer ----------------------------------------------------------------------------- */

struct answer {
  struct ctl_span ok, error;
  bool has_device, has_daemon;
};

/* One top-level member; the two SA arrays are joined as they are read. */
static const char *top_member(struct builder *b, struct answer *a, struct ctl_span key,
                              const char *p, const char *end) {
  bool device = ctl_key_is(key, "device_sas");
  if (device || ctl_key_is(key, "daemon_sas")) {
    const char *stop = add_side(b, p, end, device);
    *(device ? &a->has_device : &a->has_daemon) = stop != NULL;
    return stop ? stop : ctl_scan_value(p, end); /* not an array: the lists are missing */
  }
  p = ctl_scan_ws(p, end);
  const char *stop = ctl_scan_value(p, end);
  struct ctl_span v = {p, stop ? (size_t)(stop - p) : 0};
  if (ctl_key_is(key, "ok"))
    a->ok = v;
  else if (ctl_key_is(key, "error"))
    a->error = v;
  else if (ctl_key_is(key, "devices"))
    b->t->devices = v;
  return stop;
}

/* The answer's members in one pass (the members of the top level are not pre-scanned: a 140 MB
 * answer is read once). */
static bool walk_answer(struct builder *b, struct answer *a, const char *text, size_t len) {
  const char *end = text + len, *p = ctl_scan_ws(text, end);
  if (p >= end || *p != '{')
    return false;
  p = ctl_scan_ws(p + 1, end);
  if (p < end && *p == '}')
    return ctl_scan_ws(p + 1, end) == end;
  for (;;) {
    const char *key_end = p < end && *p == '"' ? ctl_scan_value(p, end) : NULL;
    if (!key_end)
      return false;
    struct ctl_span key = {p + 1, (size_t)(key_end - p - 2)};
    p = ctl_scan_ws(key_end, end);
    if (p >= end || *p != ':' || !(p = top_member(b, a, key, p + 1, end)))
      return false;
    p = ctl_scan_ws(p, end);
    if (p < end && *p == '}')
      return ctl_scan_ws(p + 1, end) == end;
    if (p >= end || *p != ',')
      return false;
    p = ctl_scan_ws(p + 1, end);
  }
}

static int by_key(const void *x, const void *y) {
  return strcmp((*(struct ctl_row *const *)x)->key, (*(struct ctl_row *const *)y)->key);
}

/* Pointers are sorted, not the 600-octet rows. */
static bool sort_rows(struct ctl_table *t) {
  t->sorted = malloc((t->n_rows ? t->n_rows : 1) * sizeof *t->sorted);
  if (!t->sorted)
    return false;
  for (size_t i = 0; i < t->n_rows; i++)
    t->sorted[i] = &t->rows[i];
  qsort(t->sorted, t->n_rows, sizeof *t->sorted, by_key);
  return true;
}

static int fail(char *err, size_t err_len, const char *sentence, const char *detail) {
  snprintf(err, err_len, "%s%s", sentence, detail);
  return -1;
}

int ctl_table_parse(struct ctl_table *t, const char *text, size_t len, char *err, size_t err_len) {
  *t = (struct ctl_table){0};
  /* An SA object is at least ~300 octets of text, either side: a generous first guess. */
  struct builder b = {.t = t, .expect = len / 600 + 1024};
  struct answer a = {0};
  bool well_formed = walk_answer(&b, &a, text, len);
  free(b.slots);
  int rc = 0;
  if (b.failed || (well_formed && !sort_rows(t))) {
    rc = fail(err, err_len, "out of memory while joining the SA lists", "");
  } else if (!well_formed) {
    rc = fail(err, err_len, "no valid answer from nicsecd", "");
  } else if (!ctl_span_is(a.ok, "true")) {
    char said[256];
    if (!ctl_span_str(a.error, said, sizeof said))
      snprintf(said, sizeof said, "the command failed");
    rc = fail(err, err_len, "nicsecd says: ", said);
  } else if (!a.has_device || !a.has_daemon) {
    rc = fail(err, err_len, "nicsecd's sa-table answer lacks the SA lists", "");
  }
  if (rc != 0)
    ctl_table_free(t);
  return rc;
}

void ctl_table_free(struct ctl_table *t) {
  free(t->rows);
  free(t->sorted);
  *t = (struct ctl_table){0};
}

/* ---- output --------------------------------------------------------------------------------- */

static void write_jstr(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      fprintf(f, "\\%c", c);
    else if (c < 0x20)
      fprintf(f, "\\u%04x", c);
    else
      fputc(c, f);
  }
  fputc('"', f);
}

static void write_span(FILE *f, struct ctl_span v) {
  if (v.p)
    fwrite(v.p, 1, v.len, f);
  else
    fputs("null", f);
}

void ctl_table_write_json(FILE *f, const struct ctl_table *t) {
  fputs("{\"schema\":\"" CTL_SCHEMA_SA_LIST "\",\"devices\":", f);
  if (t->devices.p)
    write_span(f, t->devices);
  else
    fputs("[]", f);
  fputs(",\"sas\":[", f);
  for (size_t i = 0; i < t->n_rows; i++) {
    const struct ctl_row *r = t->sorted[i];
    fputs(i ? ",{\"key\":" : "{\"key\":", f);
    write_jstr(f, r->key);
    fputs(",\"dir\":", f);
    write_jstr(f, r->dir);
    fputs(",\"spi\":", f);
    write_jstr(f, r->spi);
    fputs(",\"device\":", f);
    write_span(f, r->device.text);
    fputs(",\"daemon\":", f);
    write_span(f, r->daemon.text);
    fputc('}', f);
  }
  fputs("]}\n", f);
}

static double number_of(struct ctl_span v) {
  uint64_t x = 0;
  return ctl_span_u64(v, &x) ? (double)x : 0;
}

static double drops_total(struct ctl_span drops) {
  struct ctl_iter it;
  struct ctl_span key, v;
  double total = 0;
  ctl_obj_begin(&it, drops);
  while (ctl_obj_next(&it, &key, &v))
    total += number_of(v);
  return total;
}

/* Decoded strings of one row, held while the row prints. */
struct row_text {
  char src[64], dst[64], mode[32], alg[48], conn[64], child[64];
};

static void print_row(FILE *f, const struct ctl_row *r) {
  const struct ctl_span *dev = r->device.field, *own = r->daemon.field;
  const struct ctl_span *any = r->device.text.p ? dev : own;
  struct row_text s;
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
      .bytes = number_of(dev[F_BYTES]), .drops = drops_total(dev[F_DROPS]),
      .handle = (long long)number_of(any[F_HANDLE])};
  ctl_print_sa_row(f, &row);
}

void ctl_table_print(FILE *f, const struct ctl_table *t) {
  ctl_print_sa_header(f);
  for (size_t i = 0; i < t->n_rows; i++)
    print_row(f, t->sorted[i]);
}

static json_t *span_json(struct ctl_span v) {
  return v.p ? json_loadb(v.p, v.len, JSON_DECODE_ANY, NULL) : json_null();
}

json_t *ctl_table_to_json(const struct ctl_table *t, const char *spi) {
  json_t *sas = json_array();
  for (size_t i = 0; sas && i < t->n_rows; i++) {
    const struct ctl_row *r = t->sorted[i];
    if (spi && strcmp(r->spi, spi) != 0)
      continue;
    json_array_append_new(sas, json_pack("{s:s, s:s, s:s, s:o, s:o}", "key", r->key, "dir",
                                         r->dir, "spi", r->spi, "device",
                                         span_json(r->device.text), "daemon",
                                         span_json(r->daemon.text)));
  }
  json_t *devices = t->devices.p ? span_json(t->devices) : json_array();
  return json_pack("{s:s, s:o, s:o}", "schema", CTL_SCHEMA_SA_LIST, "devices", devices, "sas",
                   sas);
}
