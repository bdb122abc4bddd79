/* The sa-table answer read as its octets arrive (see ctl_table.h, ctl_feed_new): the framing of
 * the top-level object and its SA arrays, the chunks that hold the text, and the verdict. Each
 * SA is joined by ctl_table.c as soon as it is whole. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_table_internal.h"

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
  struct field_plan cols[2]; /* [0] the device's rows, [1] nicsecd's */
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

/* A columns list: an array of at most CTL_MAX_COLUMNS strings, planned (ctl_columns_plan).
 * False when malformed (or out of memory: f->b.failed). */
static bool take_columns(struct ctl_feed *f, int side, struct ctl_span v) {
  struct ctl_iter it;
  struct ctl_span names[CTL_MAX_COLUMNS], name;
  size_t n = 0;
  if (!ctl_arr_begin(&it, v))
    return false;
  while (ctl_arr_next(&it, &name)) {
    if (n == CTL_MAX_COLUMNS || *name.p != '"')
      return false;
    names[n++] = name;
  }
  if (it.bad)
    return false;
  struct ctl_columns *c = &f->b.t->columns[side];
  if (!ctl_columns_plan(c, names, n)) {
    f->b.failed = true;
    return false;
  }
  ctl_fields_plan(&f->cols[side], c);
  return true;
}

/* False when a columns list is malformed. */
static bool record_value(struct ctl_feed *f, struct ctl_span v) {
  if (f->member == M_DEVICE_COLUMNS || f->member == M_DAEMON_COLUMNS) {
    int side = f->member == M_DEVICE_COLUMNS ? 0 : 1;
    if (f->cols[side].known)
      return false; /* named twice: rows already read would change meaning */
    return take_columns(f, side, v);
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

static enum step step_elem(struct ctl_feed *f, const char *p, const char *end) {
  bool device = f->member == M_DEVICE_SAS;
  const char *stop = *p == '[' ? ctl_join_row(&f->b, &f->cols[device ? 0 : 1], p, end, device,
                                              &f->bad)
                               : ctl_join_element(&f->b, p, end, device);
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

/* A chunk of at least cap octets (see ctl_huge_alloc). */
static struct ctl_chunk *new_chunk(size_t cap) {
  size_t size = ctl_huge_size(sizeof(struct ctl_chunk) + cap);
  struct ctl_chunk *c = ctl_huge_alloc(size);
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


/* The answer's verdict once it is complete: 0, or -1 with a sentence in err. */
static int verdict(struct ctl_feed *f, bool well_formed, char *err, size_t err_len) {
  struct ctl_table *t = f->b.t;
  if (f->b.failed || (well_formed && !ctl_sort_rows(t)))
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

static void free_chunks(struct ctl_chunk *c) {
  for (struct ctl_chunk *older; c; c = older) {
    older = c->older;
    free(c);
  }
}

void ctl_table_free(struct ctl_table *t) {
  free_chunks(t->chunks);
  ctl_columns_free(&t->columns[0]);
  ctl_columns_free(&t->columns[1]);
  free(t->rows);
  free(t->sorted);
  *t = (struct ctl_table){0};
}

