/* `audit` over the fast table (ctl_table.h), so a 100k-SA audit builds no jansson tree of the
 * whole answer. For each SA both sides hold, a fast pass over the spans proves the sides agree:
 * every rule's values have the same text on both sides and the device says "active". Any SA
 * it cannot prove so (a mismatch, or values written differently) goes to ctl_audit_compare on
 * the two objects parsed, so the verdicts and the document are exactly ctl_audit's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_model.h"
#include "ctl_table_internal.h"

/* ---- where a rule's value is in a side's rows ------------------------------------------------ */

/* A rule's value in a row: the values of columns first..last (one column, or a nested object's
 * run, its marker included), null when the marker column holds null; or, member set, the member
 * of that name of the object in column first. first < 0: the fast pass cannot say. */
struct locator {
  int first, last, marker;
  const char *member;
  bool object; /* a nested object's run: an object even when its values read null */
};

/* The top-level member a column belongs to: its name, or its nested object's. */
static struct ctl_span top_name(const struct ctl_columns *c, size_t i) {
  const struct ctl_col *col = &c->col[i];
  struct ctl_span raw = {col->name.p + 1, col->name.len - 2};
  if (col->kind == CTL_COL_MEMBER)
    raw.len = (size_t)((const char *)memchr(raw.p, '.', raw.len) - raw.p);
  return raw;
}

/* Whether column i starts a top-level member (not a member column after its marker or run). */
static bool starts_member(const struct ctl_columns *c, size_t i) {
  const struct ctl_col *col = &c->col[i];
  return col->kind != CTL_COL_MEMBER ||
         (col->group == i && !(i && c->col[i - 1].kind == CTL_COL_MARKER));
}

static bool raw_is(struct ctl_span raw, const char *name, size_t len) {
  return raw.len == len && memcmp(raw.p, name, len) == 0;
}

/* The end of the top-level member that starts at column i (its last column). */
static int member_end(const struct ctl_columns *c, size_t i) {
  const struct ctl_col *col = &c->col[i];
  size_t end = col->kind == CTL_COL_MARKER ? col->group : i + 1;
  while (col->kind == CTL_COL_MEMBER && end < c->n && c->col[end].kind == CTL_COL_MEMBER &&
         c->col[end].group == i)
    end++;
  return (int)end - 1;
}

/* The column in first..last named exactly name (raw), or -1 (also when named twice). */
static int column_named(const struct ctl_columns *c, int first, int last, const char *name) {
  int found = -1;
  for (int i = first; i <= last; i++) {
    struct ctl_span raw = {c->col[i].name.p + 1, c->col[i].name.len - 2};
    if (raw_is(raw, name, strlen(name)))
      found = found < 0 ? i : -2;
  }
  return found < 0 ? -1 : found;
}

static struct locator locate(const struct ctl_columns *c, const char *path) {
  struct locator none = {-1, -1, -1, NULL, false};
  const char *dot = strchr(path, '.');
  size_t first_len = dot ? (size_t)(dot - path) : strlen(path);
  int start = -1;
  for (size_t i = 0; i < c->n; i++) {
    if (!starts_member(c, i) || !raw_is(top_name(c, i), path, first_len))
      continue;
    if (start >= 0)
      return none; /* named twice: which one counts is the parser's business */
    start = (int)i;
  }
  if (start < 0)
    return none;
  int last = member_end(c, (size_t)start);
  int marker = c->col[start].kind == CTL_COL_MARKER ? start : -1;
  if (!dot)
    return (struct locator){start, last, marker, NULL, c->col[start].kind != CTL_COL_PLAIN};
  if (c->col[start].kind == CTL_COL_PLAIN)
    return (struct locator){start, start, -1, dot + 1, false};
  int col = column_named(c, start, last, path);
  return col < 0 ? none : (struct locator){col, col, marker, NULL, false};
}

/* ---- rule values ----------------------------------------------------------------------------- */

struct side_plan {
  struct locator rule[CTL_AUDIT_RULES], state;
};

static void plan_side(struct side_plan *p, const struct ctl_columns *c, bool device) {
  for (int r = 0; r < CTL_AUDIT_RULES; r++)
    p->rule[r] = locate(c, device ? ctl_audit_rules[r].device_path
                                  : ctl_audit_rules[r].daemon_path);
  p->state = locate(c, "state");
}

/* The member name of obj (the last one when repeated, as jansson keeps it); p NULL if absent. */
static struct ctl_span member(struct ctl_span obj, const char *name) {
  struct ctl_iter it;
  struct ctl_span key, v, found = {0};
  size_t len = strlen(name);
  ctl_obj_begin(&it, obj);
  while (ctl_obj_next(&it, &key, &v))
    if (raw_is(key, name, len))
      found = v;
  return found;
}

static const struct ctl_span null_text = {"null", 4};

/* A located value of a row split into v; false when the fast pass cannot say. *object: the
 * value is a nested object's run (null only by its marker). */
static bool row_value(const struct locator *l, const struct ctl_span *v, struct ctl_span *out,
                      bool *object) {
  *object = false;
  if (l->first < 0)
    return false;
  if (l->marker >= 0 && ctl_span_is(v[l->marker], "null")) {
    *out = null_text;
    return true;
  }
  *object = l->object;
  if (l->member) {
    *out = member(v[l->first], l->member);
    return true;
  }
  const struct ctl_span *a = &v[l->first], *b = &v[l->last];
  *out = (struct ctl_span){a->p, (size_t)(b->p + b->len - a->p)};
  return true;
}

/* A value by a one- or two-level path in an object's text; p NULL when absent. */
static struct ctl_span object_value(struct ctl_span obj, const char *path) {
  const char *dot = strchr(path, '.');
  if (!dot)
    return member(obj, path);
  char first[32];
  snprintf(first, sizeof first, "%.*s", (int)(dot - path), path);
  return member(member(obj, first), dot + 1);
}

/* Every rule's value on one side (and the state), or false when the fast pass cannot say;
 * object[r]: rule r's value is a nested object's run. */
static bool side_values(const struct ctl_table *t, const struct ctl_side *s, bool device,
                        const struct side_plan *plan, struct ctl_span out[CTL_AUDIT_RULES + 1],
                        bool object[CTL_AUDIT_RULES + 1]) {
  memset(object, 0, (CTL_AUDIT_RULES + 1) * sizeof *object);
  if (!s->row) {
    for (int r = 0; r < CTL_AUDIT_RULES; r++)
      out[r] = object_value(s->text, device ? ctl_audit_rules[r].device_path
                                            : ctl_audit_rules[r].daemon_path);
    out[CTL_AUDIT_RULES] = member(s->text, "state");
    return true;
  }
  const struct ctl_columns *c = &t->columns[device ? 0 : 1];
  struct ctl_span v[CTL_MAX_COLUMNS];
  ctl_row_split(s->text, v, c->n);
  for (int r = 0; r < CTL_AUDIT_RULES; r++)
    if (!row_value(&plan->rule[r], v, &out[r], &object[r]))
      return false;
  bool state = row_value(&plan->state, v, &out[CTL_AUDIT_RULES], &object[CTL_AUDIT_RULES]);
  return (state && !object[CTL_AUDIT_RULES]) || !device;
}

/* ---- the audit ------------------------------------------------------------------------------- */

static bool is_null(struct ctl_span v) {
  return !ctl_span_present(v);
}

/* Values the fast pass calls equal: both null, or the same text written the same way (a nested
 * object's run only when both sides name its columns alike). */
static bool same_text(struct ctl_span a, struct ctl_span b) {
  if (is_null(a) || is_null(b))
    return is_null(a) && is_null(b);
  return a.len == b.len && memcmp(a.p, b.p, a.len) == 0;
}

/* Whether a rule's nested objects' runs in both sides' rows can be compared as text: when both
 * name their columns alike. */
static bool runs_alike(const struct ctl_table *t, const struct locator *a,
                       const struct locator *b) {
  if (!a->object || !b->object || a->last - a->first != b->last - b->first)
    return false;
  for (int i = 0; i <= a->last - a->first; i++) {
    struct ctl_span x = t->columns[0].col[a->first + i].name;
    struct ctl_span y = t->columns[1].col[b->first + i].name;
    if (x.len != y.len || memcmp(x.p, y.p, x.len) != 0)
      return false;
  }
  return true;
}

struct audit_plan {
  struct side_plan side[2];
  bool alike[CTL_AUDIT_RULES]; /* both rows write a rule's nested object with alike columns */
};

/* Whether the fast pass proves both sides of row agree. */
static bool agree(const struct ctl_table *t, const struct audit_plan *plan,
                  const struct ctl_row *row) {
  struct ctl_span dev[CTL_AUDIT_RULES + 1], own[CTL_AUDIT_RULES + 1];
  bool dev_obj[CTL_AUDIT_RULES + 1], own_obj[CTL_AUDIT_RULES + 1];
  if (!side_values(t, &row->device, true, &plan->side[0], dev, dev_obj) ||
      !side_values(t, &row->daemon, false, &plan->side[1], own, own_obj))
    return false;
  for (int r = 0; r < CTL_AUDIT_RULES; r++) {
    bool runs = dev_obj[r] || own_obj[r];
    if (runs ? !(dev_obj[r] && own_obj[r] && plan->alike[r] && dev[r].len == own[r].len &&
                 memcmp(dev[r].p, own[r].p, dev[r].len) == 0)
             : !same_text(dev[r], own[r]))
      return false;
  }
  return ctl_span_is(dev[CTL_AUDIT_RULES], "\"active\"");
}

/* The slow path: both objects parsed, compared by ctl_audit's own rules. */
static void compare_parsed(json_t *mismatches, const struct ctl_table *t,
                           const struct ctl_row *row) {
  char *dev_text = NULL, *own_text = NULL;
  size_t dev_len = 0, own_len = 0;
  if (ctl_side_text(t, &row->device, true, &dev_text, &dev_len) &&
      ctl_side_text(t, &row->daemon, false, &own_text, &own_len)) {
    json_t *dev = json_loadb(dev_text, dev_len, JSON_DECODE_ANY, NULL);
    json_t *own = json_loadb(own_text, own_len, JSON_DECODE_ANY, NULL);
    ctl_audit_compare(mismatches, row->key, dev, own);
    json_decref(dev);
    json_decref(own);
  }
  free(dev_text);
  free(own_text);
}

static void plan_audit(struct audit_plan *p, const struct ctl_table *t) {
  plan_side(&p->side[0], &t->columns[0], true);
  plan_side(&p->side[1], &t->columns[1], false);
  for (int r = 0; r < CTL_AUDIT_RULES; r++)
    p->alike[r] = runs_alike(t, &p->side[0].rule[r], &p->side[1].rule[r]);
}

json_t *ctl_table_audit(const struct ctl_table *t) {
  json_t *dev_only = json_array(), *own_only = json_array(), *mismatches = json_array();
  struct audit_plan *plan = malloc(sizeof *plan);
  size_t compared = 0;
  if (plan)
    plan_audit(plan, t);
  for (size_t i = 0; plan && i < t->n_rows; i++) {
    const struct ctl_row *row = t->sorted[i];
    bool has_dev = ctl_span_present(row->device.text), has_own = ctl_span_present(row->daemon.text);
    if (has_dev && has_own) {
      compared++;
      if (!agree(t, plan, row))
        compare_parsed(mismatches, t, row);
    } else if (has_dev) {
      json_array_append_new(dev_only, json_string(row->key));
    } else if (has_own) {
      json_array_append_new(own_only, json_string(row->key));
    }
  }
  free(plan);
  return ctl_audit_document(compared, dev_only, own_only, mismatches);
}
