/* `audit` over the fast table (ctl_table.h): the rules of ctl_audit (ctl_model.c) applied to the
 * spans of both sides, so a 100k-SA audit builds no jansson tree of the whole answer. Values
 * with the same text are equal; values whose texts differ are parsed (they are few: the
 * mismatches themselves, or a member written differently) and compared as ctl_audit does. */
#include <string.h>

#include "ctl_model.h"
#include "ctl_table.h"

/* The first component of a rule's path ("replay" of "replay.window") and the rest, if any. */
struct path {
  const char *first, *rest;
  size_t first_len;
};

static struct path split_path(const char *path) {
  const char *dot = strchr(path, '.');
  return (struct path){path, dot ? dot + 1 : NULL, dot ? (size_t)(dot - path) : strlen(path)};
}

static bool key_matches(struct ctl_span key, const char *name, size_t len) {
  return key.len == len && memcmp(key.p, name, len) == 0;
}

/* The member name of obj (the last one when repeated, as jansson keeps it); p NULL if absent. */
static struct ctl_span member(struct ctl_span obj, const char *name, size_t len) {
  struct ctl_iter it;
  struct ctl_span key, v, found = {0};
  ctl_obj_begin(&it, obj);
  while (ctl_obj_next(&it, &key, &v))
    if (key_matches(key, name, len))
      found = v;
  return found;
}

/* Each rule's value on one side, in one pass over the side's members. */
static void rule_values(const struct ctl_table *t, const struct ctl_side *side, bool device,
                        struct ctl_span out[CTL_AUDIT_RULES], struct ctl_span *state) {
  struct path paths[CTL_AUDIT_RULES];
  for (int r = 0; r < CTL_AUDIT_RULES; r++) {
    paths[r] = split_path(device ? ctl_audit_rules[r].device_path
                                 : ctl_audit_rules[r].daemon_path);
    out[r] = (struct ctl_span){0};
  }
  *state = (struct ctl_span){0};
  struct ctl_side_iter it;
  struct ctl_span key, v;
  ctl_side_begin(&it, t, side, device);
  while (ctl_side_next(&it, &key, &v)) {
    if (key_matches(key, "state", 5))
      *state = v;
    for (int r = 0; r < CTL_AUDIT_RULES; r++)
      if (key_matches(key, paths[r].first, paths[r].first_len))
        out[r] = v;
  }
  for (int r = 0; r < CTL_AUDIT_RULES; r++)
    if (paths[r].rest && out[r].p)
      out[r] = member(out[r], paths[r].rest, strlen(paths[r].rest));
}

static bool is_null(struct ctl_span v) {
  return !ctl_span_present(v);
}

/* A span as a jansson value (NULL for absent or null: ctl_audit_mismatch writes null). */
static json_t *value_of(struct ctl_span v) {
  return is_null(v) ? NULL : json_loadb(v.p, v.len, JSON_DECODE_ANY, NULL);
}

static bool same(struct ctl_span a, struct ctl_span b) {
  if (is_null(a) || is_null(b))
    return is_null(a) && is_null(b);
  if (a.len == b.len && memcmp(a.p, b.p, a.len) == 0)
    return true;
  json_t *x = value_of(a), *y = value_of(b);
  bool equal = x && y && json_equal(x, y);
  json_decref(x);
  json_decref(y);
  return equal;
}

static void mismatch(json_t *list, const char *key, const char *field, struct ctl_span dev,
                     const json_t *own) {
  json_t *d = value_of(dev);
  ctl_audit_mismatch(list, key, field, d, own);
  json_decref(d);
}

static bool active(struct ctl_span state) {
  char text[16];
  return ctl_span_str(state, text, sizeof text) && strcmp(text, "active") == 0;
}

static void compare_row(json_t *mismatches, const struct ctl_table *t, const struct ctl_row *row) {
  struct ctl_span dev[CTL_AUDIT_RULES], own[CTL_AUDIT_RULES], state, unused;
  rule_values(t, &row->device, true, dev, &state);
  rule_values(t, &row->daemon, false, own, &unused);
  for (int r = 0; r < CTL_AUDIT_RULES; r++) {
    if (same(dev[r], own[r]))
      continue;
    json_t *o = value_of(own[r]);
    mismatch(mismatches, row->key, ctl_audit_rules[r].name, dev[r], o);
    json_decref(o);
  }
  if (!active(state)) {
    json_t *want = json_string("active");
    mismatch(mismatches, row->key, "state", state, want);
    json_decref(want);
  }
}

json_t *ctl_table_audit(const struct ctl_table *t) {
  json_t *dev_only = json_array(), *own_only = json_array(), *mismatches = json_array();
  size_t compared = 0;
  for (size_t i = 0; i < t->n_rows; i++) {
    const struct ctl_row *row = t->sorted[i];
    bool has_dev = ctl_span_present(row->device.text), has_own = ctl_span_present(row->daemon.text);
    if (has_dev && has_own) {
      compared++;
      compare_row(mismatches, t, row);
    } else if (has_dev) {
      json_array_append_new(dev_only, json_string(row->key));
    } else if (has_own) {
      json_array_append_new(own_only, json_string(row->key));
    }
  }
  return ctl_audit_document(compared, dev_only, own_only, mismatches);
}
