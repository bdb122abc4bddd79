/* The rows form's columns and the objects rows stand for (see ctl_table.h, ctl_columns).
 *
 * nicsecd writes nested objects flat in the rows form ("limits.soft_bytes", "drops.replay"), so
 * a row is a flat list of scalars; nicsecctl plans once per answer what text goes before each
 * value to rebuild the object, and then copies leads and value tokens verbatim. */
#include <stdlib.h>
#include <string.h>

#include "ctl_table_internal.h"

/* The raw contents of a column's name (between its quotes). */
static struct ctl_span contents(struct ctl_span name) {
  return (struct ctl_span){name.p + 1, name.len - 2};
}

/* The length of the object part of a dotted name ("limits" of "limits.soft_bytes"), or -1. A
 * '.' cannot be part of an escape, so splitting the raw text keeps both parts valid. */
static long object_len(struct ctl_span name) {
  struct ctl_span raw = contents(name);
  const char *dot = memchr(raw.p, '.', raw.len);
  return dot ? dot - raw.p : -1;
}

static bool same_text(const char *a, size_t a_len, const char *b, size_t b_len) {
  return a_len == b_len && memcmp(a, b, a_len) == 0;
}

/* Whether column i continues the nested object of column i - 1. */
static bool continues(const struct ctl_columns *c, size_t i, long len) {
  if (i == 0 || c->col[i - 1].kind != CTL_COL_MEMBER)
    return false;
  long prev = object_len(c->col[i - 1].name);
  return prev == len && memcmp(contents(c->col[i].name).p, contents(c->col[i - 1].name).p,
                               (size_t)len) == 0;
}

/* Kinds and groups: members of one nested object are a run of columns; a plain column named as
 * the run's object, just before it, becomes its marker. */
static void classify(struct ctl_columns *c) {
  for (size_t i = 0; i < c->n; i++) {
    struct ctl_col *col = &c->col[i], *prev = i ? &c->col[i - 1] : NULL;
    long len = object_len(col->name);
    bool more = len >= 0 && continues(c, i, len);
    if (prev && prev->kind == CTL_COL_MEMBER && !more)
      prev->closes = true;
    col->kind = len < 0 ? CTL_COL_PLAIN : CTL_COL_MEMBER;
    if (len < 0)
      continue;
    col->group = more ? prev->group : (unsigned short)i;
    if (!more && prev && prev->kind == CTL_COL_PLAIN &&
        same_text(contents(prev->name).p, contents(prev->name).len, contents(col->name).p,
                  (size_t)len))
      prev->kind = CTL_COL_MARKER;
  }
  if (c->n && c->col[c->n - 1].kind == CTL_COL_MEMBER)
    c->col[c->n - 1].closes = true;
  for (size_t i = c->n; i-- > 0;) /* a marker's group ends where its members' run does */
    if (c->col[i].kind == CTL_COL_MARKER) {
      size_t end = i + 1;
      while (end < c->n && c->col[end].kind == CTL_COL_MEMBER && c->col[end].group == i + 1)
        end++;
      c->col[i].group = (unsigned short)end;
    }
}

/* Copies len octets to p; returns just past them. The leads and values of a row are a few
 * octets each and a 100k-SA --json copies 19 million of them: short copies are done with
 * fixed-size moves that touch only [text, text + len), not with a call to memcpy. */
static inline char *put(char *p, const char *text, size_t len) {
  if (len >= 8 && len <= 16) {
    memcpy(p, text, 8);
    memcpy(p + len - 8, text + len - 8, 8);
  } else if (len >= 4 && len < 8) {
    memcpy(p, text, 4);
    memcpy(p + len - 4, text + len - 4, 4);
  } else if (len < 4) {
    for (size_t i = 0; i < len; i++)
      p[i] = text[i];
  } else {
    memcpy(p, text, len);
  }
  return p + len;
}

/* ,"name": with name the raw text [from, from + len). */
static char *put_key(char *p, bool comma, const char *from, size_t len) {
  if (comma)
    *p++ = ',';
  *p++ = '"';
  p = put(p, from, len);
  return put(p, "\":", 2);
}

/* The leads of column i written at p; returns just past them. */
static char *make_lead(struct ctl_columns *c, size_t i, char *p) {
  struct ctl_col *col = &c->col[i];
  struct ctl_span raw = contents(col->name);
  char *start = p;
  if (col->kind == CTL_COL_PLAIN) {
    p = put_key(p, true, raw.p, raw.len);
  } else if (col->kind == CTL_COL_MARKER) {
    p = put_key(p, true, raw.p, raw.len);
    *p++ = '{';
    col->lead_null = (struct ctl_span){p, 0};
    p = put(put_key(p, true, raw.p, raw.len), "null", 4);
    col->lead_null.len = (size_t)(p - col->lead_null.p);
    col->lead = (struct ctl_span){start, col->lead_null.p - start};
    return p;
  } else {
    size_t obj = (size_t)object_len(col->name);
    bool first = col->group == i, marked = first && i && c->col[i - 1].kind == CTL_COL_MARKER;
    if (first && !marked) {
      p = put_key(p, true, raw.p, obj);
      *p++ = '{';
    }
    p = put_key(p, !first, raw.p + obj + 1, raw.len - obj - 1);
  }
  col->lead = (struct ctl_span){start, (size_t)(p - start)};
  return p;
}

bool ctl_columns_plan(struct ctl_columns *c, const struct ctl_span *names, size_t n) {
  *c = (struct ctl_columns){.n = n};
  size_t room = 1;
  for (size_t i = 0; i < n; i++) {
    c->col[i].name = names[i];
    room += 3 * names[i].len + 16; /* a marker's two leads, a first member's object and key */
  }
  classify(c);
  char *p = c->lead_text = malloc(room);
  if (!p)
    return false;
  for (size_t i = 0; i < n; i++) {
    char *start = p;
    p = make_lead(c, i, p);
    c->leads_len += (size_t)(p - start) + 1; /* both leads of a marker count: the bound is loose */
  }
  return true;
}

void ctl_columns_free(struct ctl_columns *c) {
  free(c->lead_text);
  *c = (struct ctl_columns){0};
}

/* Just past the string whose contents start at p, in text already checked. */
static const char *skip_checked_string(const char *p, const char *end) {
  for (; p < end && *p != '"'; p++)
    if (*p == '\\')
      p++;
  return p < end ? p + 1 : end;
}

static bool is_ws(char c) {
  return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

const char *ctl_skip_checked(const char *p, const char *end) {
  if (*p == '"')
    return skip_checked_string(p + 1, end);
  if (*p != '{' && *p != '[') {
    while (p < end && *p != ',' && *p != ']' && *p != '}' && !is_ws(*p))
      p++;
    return p;
  }
  int depth = 0;
  while (p < end) {
    char ch = *p++;
    if (ch == '"')
      p = skip_checked_string(p, end);
    else if (ch == '{' || ch == '[')
      depth++;
    else if ((ch == '}' || ch == ']') && --depth == 0)
      return p;
  }
  return end;
}

void ctl_row_split(struct ctl_span row, struct ctl_span *v, size_t n) {
  const char *end = row.p + row.len, *p = ctl_ws(row.p + 1, end);
  for (size_t i = 0; i < n; i++) {
    const char *stop = ctl_skip_checked(p, end);
    v[i] = (struct ctl_span){p, (size_t)(stop - p)};
    p = ctl_ws(stop, end);
    if (p < end && *p == ',')
      p = ctl_ws(p + 1, end);
  }
}

/* The next value of a checked row at *p: its span, *p moved past it and its separator. */
static struct ctl_span next_value(const char **p, const char *end) {
  const char *v = *p, *stop = ctl_skip_checked(v, end), *q = stop;
  if (q < end && *q != ',' && *q != ']')
    q = ctl_ws(q, end);
  if (q < end && *q == ',')
    q = ctl_ws(q + 1, end);
  *p = q;
  return (struct ctl_span){v, (size_t)(stop - v)};
}

size_t ctl_row_object(const struct ctl_columns *c, struct ctl_span row, char *out) {
  const char *end = row.p + row.len, *at = ctl_ws(row.p + 1, end);
  char *p = out;
  for (size_t i = 0; i < c->n; i++) {
    const struct ctl_col *col = &c->col[i];
    struct ctl_span v = next_value(&at, end);
    if (col->kind == CTL_COL_MARKER) {
      bool absent = ctl_span_is(v, "null");
      p = absent ? put(p, col->lead_null.p, col->lead_null.len)
                 : put(p, col->lead.p, col->lead.len);
      for (; absent && i + 1 < col->group; i++) /* its members hold nothing to show */
        next_value(&at, end);
      continue;
    }
    p = put(put(p, col->lead.p, col->lead.len), v.p, v.len);
    if (col->closes)
      *p++ = '}';
  }
  *out = '{'; /* in place of the first member's comma, or alone before the '}' */
  p += p == out;
  *p++ = '}';
  return (size_t)(p - out);
}

size_t ctl_row_object_size(const struct ctl_columns *c, struct ctl_span row) {
  return row.len + c->leads_len + 2;
}
