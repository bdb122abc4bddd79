/* The fast sa-table join (see ctl_table.h): the join index, and the walk of one SA, object or
 * row. The answer's framing is ctl_feed.c's, the outputs ctl_table_out.c's. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ctl_table_internal.h"

static const struct field_name {
  const char *name;
  size_t len;
} field_names[CTL_SIDE_FIELDS] = {
    [F_DIR] = {"dir", 3},     [F_SPI] = {"spi", 3},       [F_DST] = {"dst", 3},
    [F_SRC] = {"src", 3},     [F_MODE] = {"mode", 4},     [F_ALG] = {"alg", 3},
    [F_CONN] = {"conn", 4},   [F_CHILD] = {"child", 5},   [F_ENCAP] = {"encap", 5},
    [F_ESN] = {"esn", 3},     [F_HANDLE] = {"handle", 6}, [F_PACKETS] = {"packets", 7},
    [F_BYTES] = {"bytes", 5}, [F_DROPS] = {"drops", 5},   [F_BACKEND] = {"backend", 7},
    [F_SEQ] = {"seq", 3},     [F_IDLE] = {"idle_s", 6},   [F_STATS_AGE] = {"stats_age_ms", 12},
};

/* Which wanted member key names, or -1. First octet and length first: this runs for every
 * member of 200k objects. */
static int field_of(struct ctl_span key) {
  if (key.len > 12 || key.len == 0)
    return -1;
  for (int i = 0; i < CTL_SIDE_FIELDS; i++)
    if (field_names[i].len == key.len && key.p[0] == field_names[i].name[0] &&
        memcmp(key.p, field_names[i].name, key.len) == 0)
      return i;
  return -1;
}

/* ---- the join index ------------------------------------------------------------------------- */

static uint64_t hash_key(const char *key) {
  uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
  for (; *key; key++)
    h = (h ^ (unsigned char)*key) * 0x100000001b3ull;
  return h;
}

/* The rows and the answer's text of 100k SAs take ~170 MB: in 4 KiB pages that is ~40k page
 * faults, a tenth of nicsecctl's time. Large blocks are aligned and sized for transparent huge
 * pages and ask for them (advice only: without them the pages are merely smaller). */
enum { HUGE_PAGE = 2 << 20 };

size_t ctl_huge_size(size_t size) {
  return size < HUGE_PAGE ? size : (size + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
}

void *ctl_huge_alloc(size_t size) {
  if (size < HUGE_PAGE)
    return malloc(size);
  void *p = aligned_alloc(HUGE_PAGE, ctl_huge_size(size));
  if (p)
    madvise(p, ctl_huge_size(size), MADV_HUGEPAGE);
  return p;
}

static uint64_t *slot_of(struct builder *b, const char *key, uint64_t hash) {
  size_t mask = b->n_slots - 1, i = (size_t)hash & mask;
  uint64_t tag = hash & 0xffffffff00000000ull;
  for (;; i = (i + 1) & mask) {
    uint64_t slot = b->slots[i];
    if (!slot || ((slot & 0xffffffff00000000ull) == tag &&
                  strcmp(b->t->rows[(uint32_t)slot - 1].key, key) == 0))
      return &b->slots[i];
  }
}

static uint64_t slot_value(size_t row, uint64_t hash) {
  return (hash & 0xffffffff00000000ull) | (uint32_t)(row + 1);
}

static bool grow(struct builder *b) {
  size_t cap = b->cap ? b->cap * 2 : 1024;
  while (cap < b->expect)
    cap *= 2; /* a power of two: the slot mask depends on it */
  struct ctl_row *rows = cap < UINT32_MAX / 2 ? ctl_huge_alloc(cap * sizeof *rows) : NULL;
  uint64_t *slots = calloc(cap * 2, sizeof *slots);
  if (!rows || !slots) {
    free(rows);
    free(slots);
    return false;
  }
  if (b->t->n_rows)
    memcpy(rows, b->t->rows, b->t->n_rows * sizeof *rows);
  free(b->t->rows);
  b->t->rows = rows;
  free(b->slots);
  b->slots = slots;
  b->n_slots = cap * 2;
  b->cap = cap;
  for (size_t r = 0; r < b->t->n_rows; r++) {
    const struct ctl_row *row = &b->t->rows[r];
    *slot_of(b, row->key, row->hash) = slot_value(r, row->hash);
  }
  return true;
}

static uint64_t big_endian(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v = v << 8 | p[i];
  return v;
}

static void set_order(struct ctl_row *r, size_t key_len) {
  unsigned char prefix[16] = {0};
  memcpy(prefix, r->key, key_len < sizeof prefix ? key_len : sizeof prefix);
  r->order[0] = big_endian(prefix);
  r->order[1] = big_endian(prefix + 8);
}

/* The row named key, created on first use. */
static struct ctl_row *row_for(struct builder *b, const char *key, const char *dir,
                               const char *spi) {
  if (b->t->n_rows == b->cap && !grow(b)) {
    b->failed = true;
    return NULL;
  }
  uint64_t hash = hash_key(key);
  uint64_t *slot = slot_of(b, key, hash);
  if (*slot)
    return &b->t->rows[(uint32_t)*slot - 1];
  struct ctl_row *r = &b->t->rows[b->t->n_rows];
  r->device = r->daemon = (struct ctl_side){0}; /* print_row reads both sides' fields */
  /* the callers' strings fit: key < 96, dir < 16, spi < 24 (struct sa_name) */
  size_t key_len = strlen(key);
  memcpy(r->key, key, key_len + 1);
  memcpy(r->dir, dir, strlen(dir) + 1);
  memcpy(r->spi, spi, strlen(spi) + 1);
  r->hash = hash;
  set_order(r, key_len);
  *slot = slot_value(b->t->n_rows++, hash);
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

/* Just past the value starting at p (whitespace skipped), or NULL: plain integers, strings and
 * the literals, the values of an SA, are scanned here; everything else by ctl_scan_value. A
 * flat row is mostly 0, null and true. */
static const char *member_value(const char *p, const char *end) {
  const char *q = p;
  if (q < end && *q >= '0' && *q <= '9') {
    if (*q++ != '0')
      while (q < end && *q >= '0' && *q <= '9')
        q++;
    if (q < end && *q != '.' && *q != 'e' && *q != 'E')
      return q;
    return ctl_scan_value(p, end);
  }
  if (p < end && *p == '"')
    return ctl_scan_string(p + 1, end);
  size_t room = (size_t)(end - p);
  if (room >= 4 && (memcmp(p, "null", 4) == 0 || memcmp(p, "true", 4) == 0))
    return p + 4;
  if (room >= 5 && memcmp(p, "false", 5) == 0)
    return p + 5;
  return ctl_scan_value(p, end);
}

/* Walks one SA object from p (at its '{'), validating it and keeping the wanted members' spans
 * in side. NULL when the text is malformed or cut short by end. */
static const char *scan_sa(const char *p, const char *end, struct ctl_side *side) {
  *side = (struct ctl_side){0};
  const char *q = ctl_ws(p + 1, end);
  bool empty = q < end && *q == '}';
  while (!empty) {
    const char *key = q + 1, *key_end = q < end && *q == '"' ? ctl_scan_string(key, end) : NULL;
    q = key_end ? ctl_ws(key_end, end) : end;
    if (q >= end || *q != ':')
      return NULL;
    const char *v = ctl_ws(q + 1, end);
    if (!(q = member_value(v, end)))
      return NULL;
    int f = field_of((struct ctl_span){key, (size_t)(key_end - 1 - key)});
    if (f >= 0) /* a repeated member: the later one counts, as in jansson */
      side->field[f] = (struct ctl_span){v, (size_t)(q - v)};
    q = ctl_ws(q, end);
    if (q >= end || (*q != ',' && *q != '}'))
      return NULL;
    if (*q == '}')
      break;
    q = ctl_ws(q + 1, end);
  }
  side->text = (struct ctl_span){p, (size_t)(q + 1 - p)};
  return q + 1;
}

/* Joins one side's SA when it is named: false when out of memory. */
static bool join_side(struct builder *b, const struct ctl_side *side, bool device) {
  struct sa_name name;
  take_str(side->field[F_DIR], name.dir, sizeof name.dir);
  take_str(side->field[F_SPI], name.spi, sizeof name.spi);
  take_str(side->field[F_DST], name.dst, sizeof name.dst);
  if (!name.dir[0] || !name.spi[0])
    return true;
  char key[96]; /* dir/spi/dst: 15 + 1 + 23 + 1 + 47 + 1 octets at most */
  join_name(&name, key);
  struct ctl_row *r = row_for(b, key, name.dir, name.spi);
  if (r)
    *(device ? &r->device : &r->daemon) = *side;
  return !b->failed;
}

const char *ctl_join_element(struct builder *b, const char *p, const char *end, bool device) {
  struct ctl_side side;
  if (*p != '{')
    return ctl_scan_value(p, end);
  const char *stop = scan_sa(p, end, &side);
  if (!stop)
    return NULL;
  return join_side(b, &side, device) ? stop : NULL;
}

/* ---- the rows form ------------------------------------------------------------------------- */

void ctl_fields_plan(struct field_plan *fp, const struct ctl_columns *c) {
  *fp = (struct field_plan){.n = c->n, .known = true};
  for (size_t i = 0; i < c->n; i++) {
    const struct ctl_col *col = &c->col[i];
    struct ctl_span raw = {col->name.p + 1, col->name.len - 2};
    fp->last[i] = (unsigned char)i;
    fp->field[i] = col->kind == CTL_COL_MEMBER ? -1 : (signed char)field_of(raw);
    /* drops written flat: one span over the counters of all its columns */
    if (col->kind == CTL_COL_MEMBER && col->group == i && raw.len > 6 &&
        memcmp(raw.p, "drops.", 6) == 0) {
      size_t last = i;
      while (last + 1 < c->n && c->col[last + 1].kind == CTL_COL_MEMBER &&
             c->col[last + 1].group == i)
        last++;
      fp->field[i] = F_DROPS;
      fp->last[i] = (unsigned char)last;
    }
  }
}

/* Walks the row at p (its '['), keeping the wanted members' spans in side, in one pass: a flat
 * loop over values, mapped to fields by the plan. */
static const char *scan_row(const struct field_plan *fp, const char *p, const char *end,
                            struct ctl_side *side, bool *bad) {
  *side = (struct ctl_side){.row = true};
  const char *q = ctl_ws(p + 1, end), *field_start = NULL;
  size_t i = 0, field_last = 0;
  int field = -1;
  for (bool more = q < end && *q != ']'; more; i++) {
    const char *v = q, *v_end = member_value(v, end);
    if (!v_end || (q = ctl_ws(v_end, end)) >= end)
      return NULL;
    if (i == fp->n || (*q != ',' && *q != ']')) {
      *bad = true;
      return NULL;
    }
    if (fp->field[i] >= 0) {
      field = fp->field[i];
      field_start = v;
      field_last = fp->last[i];
    }
    if (field >= 0 && i == field_last) {
      side->field[field] = (struct ctl_span){field_start, (size_t)(v_end - field_start)};
      field = -1;
    }
    more = *q == ',';
    if (more && (q = ctl_ws(q + 1, end)) < end && *q == ']') {
      *bad = true; /* a trailing comma */
      return NULL;
    }
  }
  if (q >= end)
    return NULL;
  if (i != fp->n) {
    *bad = true; /* fewer values than columns */
    return NULL;
  }
  side->text = (struct ctl_span){p, (size_t)(q + 1 - p)};
  return q + 1;
}

const char *ctl_join_row(struct builder *b, const struct field_plan *fp, const char *p,
                         const char *end, bool device, bool *bad) {
  if (!fp->known) {
    *bad = true; /* a row before its columns */
    return NULL;
  }
  struct ctl_side side;
  const char *stop = scan_row(fp, p, end, &side, bad);
  if (!stop)
    return NULL;
  return join_side(b, &side, device) ? stop : NULL;
}

/* ---- order ------------------------------------------------------------------------------- */

static int by_key(const void *x, const void *y) {
  const struct ctl_row *a = *(struct ctl_row *const *)x, *b = *(struct ctl_row *const *)y;
  if (a->order[0] != b->order[0])
    return a->order[0] < b->order[0] ? -1 : 1;
  if (a->order[1] != b->order[1])
    return a->order[1] < b->order[1] ? -1 : 1;
  return strcmp(a->key, b->key);
}

/* Pointers are sorted, not the 600-octet rows. */
bool ctl_sort_rows(struct ctl_table *t) {
  t->sorted = malloc((t->n_rows ? t->n_rows : 1) * sizeof *t->sorted);
  if (!t->sorted)
    return false;
  for (size_t i = 0; i < t->n_rows; i++)
    t->sorted[i] = &t->rows[i];
  qsort(t->sorted, t->n_rows, sizeof *t->sorted, by_key);
  return true;
}

