/* The fast sa-table join (see ctl_table.h). */
#include "ctl_table.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

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
  uint64_t *slots; /* open addressing: row index + 1 (low half, 0 = empty), the key's hash's
                      high half above it, so probes rarely touch a row */
  size_t n_slots;  /* a power of two, at least twice the rows */
  bool failed;
};

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

static size_t huge_size(size_t size) {
  return size < HUGE_PAGE ? size : (size + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
}

static void *huge_alloc(size_t size) {
  if (size < HUGE_PAGE)
    return malloc(size);
  void *p = aligned_alloc(HUGE_PAGE, huge_size(size));
  if (p)
    madvise(p, huge_size(size), MADV_HUGEPAGE);
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
  struct ctl_row *rows = cap < UINT32_MAX / 2 ? huge_alloc(cap * sizeof *rows) : NULL;
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

/* Just past the value starting at p (whitespace skipped), or NULL: plain integers, the most
 * common values of an SA, are scanned here; everything else by ctl_scan_value. */
static const char *member_value(const char *p, const char *end) {
  const char *q = p;
  if (q < end && *q >= '1' && *q <= '9') {
    while (q < end && *q >= '0' && *q <= '9')
      q++;
    if (q < end && *q != '.' && *q != 'e' && *q != 'E')
      return q;
  }
  if (p < end && *p == '"')
    return ctl_scan_string(p + 1, end);
  return ctl_scan_value(p, end);
}

/* Walks one SA object from p (at its '{'), validating it and keeping the wanted members' spans
 * in side. NULL when the text is malformed or cut short by end. */
static const char *scan_sa(const char *p, const char *end, struct ctl_side *side) {
  *side = (struct ctl_side){0};
  const char *q = ctl_scan_ws(p + 1, end);
  bool empty = q < end && *q == '}';
  while (!empty) {
    const char *key = q + 1, *key_end = q < end && *q == '"' ? ctl_scan_string(key, end) : NULL;
    q = key_end ? ctl_scan_ws(key_end, end) : end;
    if (q >= end || *q != ':')
      return NULL;
    const char *v = ctl_scan_ws(q + 1, end);
    if (!(q = member_value(v, end)))
      return NULL;
    int f = field_of((struct ctl_span){key, (size_t)(key_end - 1 - key)});
    if (f >= 0) /* a repeated member: the later one counts, as in jansson */
      side->field[f] = (struct ctl_span){v, (size_t)(q - v)};
    q = ctl_scan_ws(q, end);
    if (q >= end || (*q != ',' && *q != '}'))
      return NULL;
    if (*q == '}')
      break;
    q = ctl_scan_ws(q + 1, end);
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

/* One element of a side's array in the object form: joined when it is a named SA object,
 * skipped otherwise. */
static const char *add_element(struct builder *b, const char *p, const char *end, bool device) {
  struct ctl_side side;
  if (*p != '{')
    return ctl_scan_value(p, end);
  const char *stop = scan_sa(p, end, &side);
  if (!stop)
    return NULL;
  return join_side(b, &side, device) ? stop : NULL;
}

/* ---- the answer, fed as it arrives --------------------------------------------------------- */

/* The received text lives in chunks that never move, so spans stay valid; a value cut by the end
 * of a chunk is copied whole into the next one before it is parsed. */
struct ctl_chunk {
  struct ctl_chunk *older;
  size_t cap;
  char buf[];
};

/* Chunks grow from FIRST_CHUNK to LAST_CHUNK octets, doubling: a small answer costs little, a
 * 100 MB one a dozen chunks. */
enum { FIRST_CHUNK = 256 << 10, LAST_CHUNK = 16 << 20, MIN_ROOM = 64 << 10 };

/* Where the parse of the top-level object stands: before the token the state names. */
enum feed_state {
  S_NONE, /* no state: in `otherwise`, malformed */
  S_OPEN, S_FIRST_KEY, S_KEY, S_VALUE, S_ARRAY, S_FIRST_ELEM, S_ELEM, S_AFTER_ELEM,
  S_AFTER_MEMBER, S_END,
};

/* The top-level members the table keeps. */
enum member {
  M_OTHER, M_OK, M_ERROR, M_DEVICES, M_DEVICE_SAS, M_DAEMON_SAS, M_DEVICE_COLUMNS,
  M_DAEMON_COLUMNS,
};

/* How one side's rows in the compact answer ({"form":"rows"}) map to the side's fields: each
 * SA is an array of its values in the order of the columns (ctl_table.h, ctl_columns). */
struct columns {
  signed char field[CTL_MAX_COLUMNS]; /* the side field a column fills, or -1 */
  size_t n;
  bool known;
};

struct answer {
  struct ctl_span ok, error;
  bool has_device, has_daemon;
};

struct ctl_feed {
  struct builder b;
  struct answer a;
  struct ctl_chunk *cur;
  size_t pos;      /* parsed up to here in cur */
  size_t fill;     /* received up to here */
  size_t limit;    /* the answer's end within cur: its newline, else fill */
  size_t retry_at; /* a value cut short is tried again once fill reaches this */
  bool final;      /* the newline or the end of input was seen: nothing more will come */
  bool one_line;   /* the answer ends at its first newline (a socket's answer line) */
  bool bad;        /* malformed: the verdict is made */
  enum feed_state state;
  enum member member;
  struct columns cols[2]; /* [0] the device's, [1] nicsecd's */
};

enum step { STEP_BAD = -1, STEP_WAIT = 0, STEP_ON = 1 };

static enum member member_of(struct ctl_span key) {
  static const struct {
    const char *name;
    enum member m;
  } names[] = {{"ok", M_OK},
               {"error", M_ERROR},
               {"devices", M_DEVICES},
               {"device_sas", M_DEVICE_SAS},
               {"daemon_sas", M_DAEMON_SAS},
               {"device_columns", M_DEVICE_COLUMNS},
               {"daemon_columns", M_DAEMON_COLUMNS}};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (ctl_key_is(key, names[i].name))
      return names[i].m;
  return M_OTHER;
}

/* The text ran out before a token: more may come, unless the answer is complete. */
static enum step wait_or_bad(const struct ctl_feed *f) {
  return f->final ? STEP_BAD : STEP_WAIT;
}

/* Whether a value that scanned up to stop is surely whole: a number at the end of the text so
 * far may go on. */
static bool whole(const struct ctl_feed *f, const char *stop, const char *end) {
  return stop && (stop < end || f->final);
}

/* A value did not scan: cut short (wait until twice as much text is there, so a long value is
 * scanned O(1) times on average), or malformed once nothing more can come. */
static enum step cut_short(struct ctl_feed *f) {
  f->retry_at = f->pos + 2 * (f->fill - f->pos);
  return wait_or_bad(f);
}

/* A columns list: an array of at most CTL_MAX_COLUMNS strings. */
static bool take_columns(struct columns *c, struct ctl_columns *names, struct ctl_span v) {
  struct ctl_iter it;
  struct ctl_span name;
  *c = (struct columns){0};
  *names = (struct ctl_columns){0};
  if (!ctl_arr_begin(&it, v))
    return false;
  while (ctl_arr_next(&it, &name)) {
    if (c->n == CTL_MAX_COLUMNS || *name.p != '"')
      return false;
    names->name[c->n] = name;
    c->field[c->n] = (signed char)field_of((struct ctl_span){name.p + 1, name.len - 2});
    names->n = ++c->n;
  }
  c->known = !it.bad;
  return c->known;
}

/* The ,"name": texts of the columns (ctl_columns.lead); false when out of memory. */
static bool make_leads(struct ctl_columns *names) {
  size_t total = 0;
  for (size_t i = 0; i < names->n; i++)
    total += names->name[i].len + 2;
  char *p = names->member_text = malloc(total ? total : 1);
  if (!p)
    return false;
  for (size_t i = 0; i < names->n; i++) {
    names->lead[i] = (struct ctl_span){p, names->name[i].len + 2};
    *p++ = ',';
    memcpy(p, names->name[i].p, names->name[i].len);
    p += names->name[i].len;
    *p++ = ':';
  }
  names->leads_len = total;
  return true;
}

/* False when a columns list is malformed. */
static bool record_value(struct ctl_feed *f, struct ctl_span v) {
  if (f->member == M_DEVICE_COLUMNS || f->member == M_DAEMON_COLUMNS) {
    int side = f->member == M_DEVICE_COLUMNS ? 0 : 1;
    if (f->cols[side].known)
      return false; /* named twice: rows already read would change meaning */
    if (!take_columns(&f->cols[side], &f->b.t->columns[side], v))
      return false;
    f->b.failed = !make_leads(&f->b.t->columns[side]);
    return !f->b.failed;
  }
  if (f->member == M_OK)
    f->a.ok = v;
  else if (f->member == M_ERROR)
    f->a.error = v;
  else if (f->member == M_DEVICES)
    f->b.t->devices = v;
  else if (f->member == M_DEVICE_SAS)
    f->a.has_device = false; /* not an array: the lists are missing */
  else if (f->member == M_DAEMON_SAS)
    f->a.has_daemon = false;
  return true;
}

static enum step step_key(struct ctl_feed *f, const char *p, const char *end) {
  if (*p != '"')
    return STEP_BAD;
  const char *stop = ctl_scan_value(p, end);
  if (!stop)
    return cut_short(f);
  const char *colon = ctl_scan_ws(stop, end);
  if (colon >= end)
    return wait_or_bad(f);
  if (*colon != ':')
    return STEP_BAD;
  f->member = member_of((struct ctl_span){p + 1, (size_t)(stop - p - 2)});
  f->pos = (size_t)(colon + 1 - f->cur->buf);
  f->state = f->member == M_DEVICE_SAS || f->member == M_DAEMON_SAS ? S_ARRAY : S_VALUE;
  return STEP_ON;
}

static enum step step_value(struct ctl_feed *f, const char *p, const char *end) {
  const char *stop = ctl_scan_value(p, end);
  if (!whole(f, stop, end))
    return cut_short(f);
  if (!record_value(f, (struct ctl_span){p, (size_t)(stop - p)}))
    return STEP_BAD;
  f->pos = (size_t)(stop - f->cur->buf);
  f->state = S_AFTER_MEMBER;
  return STEP_ON;
}

/* Walks the row at p (its '['), keeping the wanted members' spans in side, in one pass. NULL
 * when the row is cut short by end, or malformed or not one value per column (these set
 * f->bad). */
static const char *scan_row(struct ctl_feed *f, const struct columns *c, const char *p,
                            const char *end, struct ctl_side *side) {
  *side = (struct ctl_side){.row = true};
  const char *q = ctl_scan_ws(p + 1, end);
  size_t i = 0;
  for (bool more = q < end && *q != ']'; more; i++) {
    const char *v = q, *v_end = member_value(v, end);
    if (!v_end || (q = ctl_scan_ws(v_end, end)) >= end)
      return NULL;
    if (i == c->n || (*q != ',' && *q != ']')) {
      f->bad = true;
      return NULL;
    }
    if (c->field[i] >= 0)
      side->field[c->field[i]] = (struct ctl_span){v, (size_t)(v_end - v)};
    more = *q == ',';
    if (more && (q = ctl_scan_ws(q + 1, end)) < end && *q == ']') {
      f->bad = true; /* a trailing comma */
      return NULL;
    }
  }
  if (q >= end)
    return NULL;
  if (i != c->n) {
    f->bad = true; /* fewer values than columns */
    return NULL;
  }
  side->text = (struct ctl_span){p, (size_t)(q + 1 - p)};
  return q + 1;
}

/* One element of a side's array in the rows form: a row joined like the object it stands for;
 * a row before its columns is malformed. */
static const char *add_row(struct ctl_feed *f, const char *p, const char *end, bool device) {
  const struct columns *c = &f->cols[device ? 0 : 1];
  if (!c->known) {
    f->bad = true;
    return NULL;
  }
  struct ctl_side side;
  const char *stop = scan_row(f, c, p, end, &side);
  if (!stop)
    return NULL;
  return join_side(&f->b, &side, device) ? stop : NULL;
}

static enum step step_elem(struct ctl_feed *f, const char *p, const char *end) {
  bool device = f->member == M_DEVICE_SAS;
  const char *stop = *p == '[' ? add_row(f, p, end, device) : add_element(&f->b, p, end, device);
  if (f->bad || f->b.failed)
    return STEP_BAD;
  if (!whole(f, stop, end))
    return cut_short(f);
  f->pos = (size_t)(stop - f->cur->buf);
  f->state = S_AFTER_ELEM;
  return STEP_ON;
}

/* One-character tokens: the brackets and separators of the top level and the SA arrays. In a
 * state, each token listed leads to its next state (closing an SA array marks that list as
 * read); any other character leads to the state's `otherwise` without being consumed, or is
 * malformed where there is none. */
static const struct token_rule {
  enum feed_state state;
  char token;
  enum feed_state next;
  bool closes_list;
} token_rules[] = {
    {S_OPEN, '{', S_FIRST_KEY, false},        {S_FIRST_KEY, '}', S_END, false},
    {S_ARRAY, '[', S_FIRST_ELEM, false},      {S_FIRST_ELEM, ']', S_AFTER_MEMBER, true},
    {S_AFTER_ELEM, ',', S_ELEM, false},       {S_AFTER_ELEM, ']', S_AFTER_MEMBER, true},
    {S_AFTER_MEMBER, ',', S_KEY, false},      {S_AFTER_MEMBER, '}', S_END, false},
};

static const enum feed_state otherwise[] = {
    [S_FIRST_KEY] = S_KEY,    /* the first key */
    [S_ARRAY] = S_VALUE,      /* an SA list that is no array: skipped, the list counts missing */
    [S_FIRST_ELEM] = S_ELEM,  /* the first SA */
};

static enum step step_token(struct ctl_feed *f, char c) {
  for (size_t i = 0; i < sizeof token_rules / sizeof token_rules[0]; i++) {
    const struct token_rule *r = &token_rules[i];
    if (r->state != f->state || r->token != c)
      continue;
    if (r->closes_list)
      *(f->member == M_DEVICE_SAS ? &f->a.has_device : &f->a.has_daemon) = true;
    f->pos++;
    f->state = r->next;
    return STEP_ON;
  }
  enum feed_state next = (size_t)f->state < sizeof otherwise / sizeof otherwise[0]
                             ? otherwise[f->state]
                             : S_NONE;
  if (next == S_NONE)
    return STEP_BAD;
  f->state = next;
  return STEP_ON;
}

static enum step step(struct ctl_feed *f) {
  const char *end = f->cur->buf + f->limit;
  const char *p = ctl_scan_ws(f->cur->buf + f->pos, end);
  f->pos = (size_t)(p - f->cur->buf);
  if (p >= end)
    return f->state == S_END ? STEP_WAIT : wait_or_bad(f);
  switch (f->state) {
  case S_KEY:
    return step_key(f, p, end);
  case S_VALUE:
    return step_value(f, p, end);
  case S_ELEM:
    return step_elem(f, p, end);
  default:
    return step_token(f, *p);
  }
}

static enum step run(struct ctl_feed *f) {
  if (f->bad)
    return STEP_BAD;
  if (f->fill < f->retry_at && !f->final)
    return STEP_WAIT;
  f->retry_at = 0;
  enum step r;
  while ((r = step(f)) == STEP_ON)
    ;
  f->bad = r == STEP_BAD;
  return r;
}

struct ctl_feed *ctl_feed_new(struct ctl_table *t, bool one_line) {
  struct ctl_feed *f = calloc(1, sizeof *f);
  *t = (struct ctl_table){0};
  if (!f)
    return NULL;
  f->b = (struct builder){.t = t, .expect = 1024};
  f->one_line = one_line;
  f->state = S_OPEN;
  return f;
}

/* A chunk of at least cap octets (see huge_alloc). */
static struct ctl_chunk *new_chunk(size_t cap) {
  size_t size = huge_size(sizeof(struct ctl_chunk) + cap);
  struct ctl_chunk *c = huge_alloc(size);
  if (!c)
    return NULL;
  c->cap = size - sizeof *c;
  return c;
}

char *ctl_feed_space(struct ctl_feed *f, size_t *room) {
  if (!f->cur || f->cur->cap - f->fill < MIN_ROOM) {
    size_t tail = f->cur ? f->fill - f->pos : 0;
    size_t cap = !f->cur ? FIRST_CHUNK : f->cur->cap < LAST_CHUNK ? 2 * f->cur->cap : LAST_CHUNK;
    while (cap < 2 * tail + MIN_ROOM)
      cap *= 2;
    struct ctl_chunk *c = new_chunk(cap);
    if (!c)
      return NULL;
    c->older = f->cur;
    if (tail)
      memcpy(c->buf, f->cur->buf + f->pos, tail); /* the value cut by the chunk's end */
    f->retry_at = f->retry_at > f->pos ? f->retry_at - f->pos : 0;
    f->cur = c;
    f->b.t->chunks = c;
    f->pos = 0;
    f->fill = f->limit = tail;
  }
  *room = f->cur->cap - f->fill;
  return f->cur->buf + f->fill;
}

enum ctl_feed_result ctl_feed_commit(struct ctl_feed *f, size_t n) {
  if (f->bad || f->b.failed)
    return CTL_FEED_BAD;
  if (f->final)
    return CTL_FEED_DONE; /* octets after the newline: not part of the answer */
  const char *fresh = f->cur->buf + f->fill;
  const char *nl = f->one_line ? memchr(fresh, '\n', n) : NULL;
  f->fill += n;
  f->limit = nl ? (size_t)(nl - f->cur->buf) : f->fill;
  f->final = nl != NULL;
  enum step r = run(f);
  if (r == STEP_BAD)
    return CTL_FEED_BAD;
  return f->final && f->state == S_END ? CTL_FEED_DONE : CTL_FEED_MORE;
}

static int fail(char *err, size_t err_len, const char *sentence, const char *detail) {
  snprintf(err, err_len, "%s%s", sentence, detail);
  return -1;
}

static bool sort_rows(struct ctl_table *t);

/* The answer's verdict once it is complete: 0, or -1 with a sentence in err. */
static int verdict(struct ctl_feed *f, bool well_formed, char *err, size_t err_len) {
  struct ctl_table *t = f->b.t;
  if (f->b.failed || (well_formed && !sort_rows(t)))
    return fail(err, err_len, "out of memory while joining the SA lists", "");
  if (!well_formed)
    return fail(err, err_len, "no valid answer from nicsecd", "");
  if (!ctl_span_is(f->a.ok, "true")) {
    char said[256];
    if (!ctl_span_str(f->a.error, said, sizeof said))
      snprintf(said, sizeof said, "the command failed");
    return fail(err, err_len, "nicsecd says: ", said);
  }
  if (!f->a.has_device || !f->a.has_daemon)
    return fail(err, err_len, "nicsecd's sa-table answer lacks the SA lists", "");
  return 0;
}

int ctl_feed_finish(struct ctl_feed *f, char *err, size_t err_len) {
  if (!f->final && f->cur && !f->b.failed) {
    f->final = true; /* the input ended without a newline: judge what came */
    f->limit = f->fill;
    run(f);
  }
  bool well_formed = f->cur && f->state == S_END && !f->bad && !f->b.failed;
  int rc = verdict(f, well_formed, err, err_len);
  struct ctl_table *t = f->b.t;
  free(f->b.slots);
  free(f);
  if (rc != 0)
    ctl_table_free(t);
  return rc;
}

/* Takes the whole text as the feed's one chunk, sized exactly, so that a read past the answer
 * is a read past an allocation (the sanitizers and the fuzzer catch it). */
static bool feed_whole(struct ctl_feed *f, const char *text, size_t len) {
  struct ctl_chunk *c = malloc(sizeof *c + (len ? len : 1));
  if (!c)
    return false;
  c->cap = len;
  c->older = NULL;
  memcpy(c->buf, text, len);
  f->cur = f->b.t->chunks = c;
  ctl_feed_commit(f, len);
  return true;
}

int ctl_table_parse(struct ctl_table *t, const char *text, size_t len, char *err, size_t err_len) {
  struct ctl_feed *f = ctl_feed_new(t, false);
  if (!f)
    return fail(err, err_len, "out of memory while joining the SA lists", "");
  /* An SA object is at least ~300 octets of text, either side: a generous first guess. */
  f->b.expect = len / 600 + 1024;
  if (!feed_whole(f, text, len))
    f->b.failed = true;
  return ctl_feed_finish(f, err, err_len);
}

static int by_key(const void *x, const void *y) {
  const struct ctl_row *a = *(struct ctl_row *const *)x, *b = *(struct ctl_row *const *)y;
  if (a->order[0] != b->order[0])
    return a->order[0] < b->order[0] ? -1 : 1;
  if (a->order[1] != b->order[1])
    return a->order[1] < b->order[1] ? -1 : 1;
  return strcmp(a->key, b->key);
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

static void free_chunks(struct ctl_chunk *c) {
  for (struct ctl_chunk *older; c; c = older) {
    older = c->older;
    free(c);
  }
}

void ctl_table_free(struct ctl_table *t) {
  free_chunks(t->chunks);
  free(t->columns[0].member_text);
  free(t->columns[1].member_text);
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

/* Just past the string whose contents start at p, in text already checked. */
static const char *skip_checked_string(const char *p, const char *end) {
  for (; p < end && *p != '"'; p++)
    if (*p == '\\')
      p++;
  return p < end ? p + 1 : end;
}

/* Just past the value at p in text scan_row already checked: strings skipped, brackets counted,
 * nothing validated again (writing a 100k-SA --json rescans every value). */
static const char *skip_checked(const char *p, const char *end) {
  if (*p == '"')
    return skip_checked_string(p + 1, end);
  if (*p != '{' && *p != '[') {
    while (p < end && *p != ',' && *p != ']' && *p != '}' && *p != ' ' && *p != '\n' &&
           *p != '\t' && *p != '\r')
      p++;
    return p;
  }
  int depth = 0;
  while (p < end) {
    char c = *p++;
    if (c == '"')
      p = skip_checked_string(p, end);
    else if (c == '{' || c == '[')
      depth++;
    else if ((c == '}' || c == ']') && --depth == 0)
      return p;
  }
  return end;
}

void ctl_side_begin(struct ctl_side_iter *it, const struct ctl_table *t, const struct ctl_side *s,
                    bool device) {
  *it = (struct ctl_side_iter){.columns = s->row ? &t->columns[device ? 0 : 1] : NULL};
  if (!s->row) {
    ctl_obj_begin(&it->it, s->text);
  } else if (s->text.p) {
    it->it.p = ctl_scan_ws(s->text.p + 1, s->text.p + s->text.len);
    it->it.end = s->text.p + s->text.len;
  }
}

bool ctl_side_next(struct ctl_side_iter *it, struct ctl_span *key, struct ctl_span *value) {
  if (!it->columns)
    return ctl_obj_next(&it->it, key, value);
  if (it->i == it->columns->n || !it->it.p)
    return false;
  /* scan_row checked the row holds one well-formed value per column: only walk it here */
  const char *v = it->it.p, *v_end = skip_checked(v, it->it.end);
  const char *q = ctl_scan_ws(v_end, it->it.end);
  it->it.p = *q == ',' ? ctl_scan_ws(q + 1, it->it.end) : q;
  *value = (struct ctl_span){v, (size_t)(v_end - v)};
  struct ctl_span name = it->columns->name[it->i++];
  *key = (struct ctl_span){name.p + 1, name.len - 2};
  return true;
}

/* The object a row stands for, written into out (room for at least row_object_size). */
static size_t row_object(char *out, const struct ctl_table *t, const struct ctl_side *s,
                         bool device) {
  struct ctl_side_iter it;
  struct ctl_span key, v;
  char *p = out;
  ctl_side_begin(&it, t, s, device);
  while (ctl_side_next(&it, &key, &v)) {
    struct ctl_span lead = it.columns->lead[it.i - 1];
    memcpy(p, lead.p, lead.len);
    memcpy(p + lead.len, v.p, v.len);
    p += lead.len + v.len;
  }
  *out = '{'; /* in place of the first member's comma, or alone before the '}' */
  p += p == out;
  *p++ = '}';
  return (size_t)(p - out);
}

static size_t row_object_size(const struct ctl_table *t, const struct ctl_side *s, bool device) {
  return s->text.len + t->columns[device ? 0 : 1].leads_len + 2;
}

/* One side as the object nicsecd wrote, or, for a row, the object it stands for: the members
 * in column order, written compactly as nicsecd writes objects (built in memory first: stdio
 * calls per member cost more than the rest of --json). */
static void write_side(FILE *f, const struct ctl_table *t, const struct ctl_side *s, bool device) {
  if (!s->row) {
    write_span(f, s->text);
    return;
  }
  char small[8192];
  size_t size = row_object_size(t, s, device);
  char *buf = size <= sizeof small ? small : malloc(size);
  if (!buf) {
    fputs("null", f); /* out of memory: the side reads as absent rather than cut */
    return;
  }
  fwrite(buf, 1, row_object(buf, t, s, device), f);
  if (buf != small)
    free(buf);
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
    write_side(f, t, &r->device, true);
    fputs(",\"daemon\":", f);
    write_side(f, t, &r->daemon, false);
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

static json_t *side_json(const struct ctl_table *t, const struct ctl_side *s, bool device) {
  if (!s->row)
    return span_json(s->text);
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (!f)
    return NULL;
  write_side(f, t, s, device);
  json_t *v = fclose(f) == 0 ? span_json((struct ctl_span){text, len}) : NULL;
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
  json_t *devices = t->devices.p ? span_json(t->devices) : json_array();
  return json_pack("{s:s, s:o, s:o}", "schema", CTL_SCHEMA_SA_LIST, "devices", devices, "sas",
                   sas);
}
