/* `watch` and `metrics` over the fast table (ctl_table.h): the values they show are taken from
 * the spans the join kept (ctl_side.field), so a 100k-SA refresh builds no tree of the answer.
 * The documents and the text are those ctl_watch_frame and ctl_prom_write make from the tree:
 * the same members, values and order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_export.h"
#include "ctl_model.h"
#include "ctl_table_internal.h"
#include "ctl_text.h"

/* ---- values -----------------------------------------------------------------------------------
 */

/* A value as jansson holds it: plain integers and null directly, the rest parsed. Absent: null
 * (as watch copies a missing member). */
static json_t *value_json(struct ctl_span v) {
  uint64_t x;
  if (!v.p || ctl_span_is(v, "null"))
    return json_null();
  if (ctl_span_u64(v, &x) && x <= INT64_MAX)
    return json_integer((json_int_t)x);
  json_t *j = json_loadb(v.p, v.len, JSON_DECODE_ANY, NULL);
  return j ? j : json_null();
}

/* json_integer_value of the value: 0 for anything but an integer. */
json_int_t ctl_span_int(struct ctl_span v) {
  uint64_t x;
  if (!v.p)
    return 0;
  if (ctl_span_u64(v, &x) && x <= INT64_MAX)
    return (json_int_t)x;
  if (v.p[0] != '-')
    return 0;
  json_t *j = json_loadb(v.p, v.len, JSON_DECODE_ANY, NULL);
  json_int_t n = json_integer_value(j);
  json_decref(j);
  return n;
}

/* A string member decoded, "" when absent or not a string (as str_of reads the tree). */
static void text_of(struct ctl_span v, char *out, size_t len) {
  if (!ctl_span_str(v, out, len))
    out[0] = '\0';
}

/* ---- watch ------------------------------------------------------------------------------------
 */

/* The rate of a device counter since the previous frame's row of the same SA (NULL: none). */
static json_t *rate(const struct ctl_row *before, const struct ctl_row *now, enum side_field f,
                    double dt_s) {
  if (!before || !before->device.text.p || dt_s <= 0)
    return json_null();
  json_int_t a = ctl_span_int(before->device.field[f]), b = ctl_span_int(now->device.field[f]);
  /* A counter that went backwards belongs to a new SA under the same key: no rate. */
  return b >= a ? json_real((double)(b - a) / dt_s) : json_null();
}

static json_t *watch_row(const struct ctl_row *r, const struct ctl_row *before, double dt_s) {
  const struct ctl_span *dev = r->device.field;
  char peer[256], conn[256] = "";
  text_of(dev[strcmp(r->dir, "in") == 0 ? F_SRC : F_DST], peer, sizeof peer);
  if (r->daemon.text.p)
    text_of(r->daemon.field[F_CONN], conn, sizeof conn);
  return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:I, s:o, s:o, s:o}", "key", r->key, "dir",
                   r->dir, "spi", r->spi, "peer", peer, "conn", conn, "packets",
                   value_json(dev[F_PACKETS]), "bytes", value_json(dev[F_BYTES]), "drops",
                   (json_int_t)ctl_side_drops(&r->device), "packets_per_s",
                   rate(before, r, F_PACKETS, dt_s), "bytes_per_s",
                   rate(before, r, F_BYTES, dt_s), "idle_s", value_json(dev[F_IDLE]));
}

/* The previous frame's row of key, or NULL. Both tables' rows are sorted by key
 * (ctl_sort_rows), and keys come in order: *at walks the previous table once a frame. */
static const struct ctl_row *prev_row(const struct ctl_table *prev, size_t *at, const char *key) {
  while (prev && *at < prev->n_rows && strcmp(prev->sorted[*at]->key, key) < 0)
    ++*at;
  return prev && *at < prev->n_rows && strcmp(prev->sorted[*at]->key, key) == 0
             ? prev->sorted[*at]
             : NULL;
}

json_t *ctl_table_watch_frame(const struct ctl_table *prev, const struct ctl_table *cur,
                              double dt_s, double time_s) {
  json_t *rows = json_array();
  size_t at = 0;
  for (size_t i = 0; rows && i < cur->n_rows; i++) {
    const struct ctl_row *r = cur->sorted[i], *before = prev_row(prev, &at, r->key);
    if (r->device.text.p)
      json_array_append_new(rows, watch_row(r, before, dt_s));
  }
  return json_pack("{s:s, s:f, s:o, s:o}", "schema", CTL_SCHEMA_WATCH, "time", time_s,
                   "interval_s", prev ? json_real(dt_s) : json_null(), "sas", rows);
}

/* An integer value (as json_is_integer judges it), into *out. */
static bool span_integer(struct ctl_span v, json_int_t *out) {
  uint64_t x;
  if (ctl_span_u64(v, &x) && x <= INT64_MAX) {
    *out = (json_int_t)x;
    return true;
  }
  json_t *j = v.p && v.p[0] == '-' ? json_loadb(v.p, v.len, JSON_DECODE_ANY, NULL) : NULL;
  bool integer = json_is_integer(j);
  *out = json_integer_value(j);
  json_decref(j);
  return integer;
}

/* A rate as watch_row's, into *out: false where the frame holds null. */
static bool rate_value(const struct ctl_row *before, const struct ctl_row *now,
                       enum side_field f, double dt_s, double *out) {
  if (!before || !before->device.text.p || dt_s <= 0)
    return false;
  json_int_t a = ctl_span_int(before->device.field[f]), b = ctl_span_int(now->device.field[f]);
  *out = (double)(b - a) / dt_s;
  return b >= a;
}

void ctl_table_print_watch(FILE *f, const struct ctl_table *prev, const struct ctl_table *cur,
                           double dt_s) {
  size_t on_device = 0, at = 0;
  for (size_t i = 0; i < cur->n_rows; i++)
    on_device += cur->rows[i].device.text.p != NULL;
  ctl_print_watch_head(f, on_device, prev != NULL, dt_s);
  for (size_t i = 0; i < cur->n_rows; i++) {
    const struct ctl_row *r = cur->sorted[i], *before = prev_row(prev, &at, r->key);
    const struct ctl_span *dev = r->device.field;
    if (!r->device.text.p)
      continue;
    char peer[256], conn[256] = "";
    text_of(dev[strcmp(r->dir, "in") == 0 ? F_SRC : F_DST], peer, sizeof peer);
    if (r->daemon.text.p)
      text_of(r->daemon.field[F_CONN], conn, sizeof conn);
    json_int_t idle = 0;
    struct ctl_watch_row row = {.dir = r->dir, .spi = r->spi, .peer = peer, .conn = conn,
                                .packets = ctl_span_int(dev[F_PACKETS]),
                                .bytes = ctl_span_int(dev[F_BYTES]),
                                .drops = (json_int_t)ctl_side_drops(&r->device)};
    row.has_pps = rate_value(before, r, F_PACKETS, dt_s, &row.pps);
    row.has_bps = rate_value(before, r, F_BYTES, dt_s, &row.bps);
    row.has_idle = span_integer(dev[F_IDLE], &idle);
    row.idle_s = idle;
    ctl_print_watch_row(f, &row);
  }
}

/* ---- metrics ----------------------------------------------------------------------------------
 */

/* The rows form's drop columns, read once per table: where the last "drops." run starts (a
 * repeated member counts as its last) and its reasons, escaped. */
struct prom_ctx {
  const struct ctl_table *t;
  size_t start, n;
  char reason[CTL_PROM_MAX_DROPS][128];
};

/* A member name's raw text decoded and escaped for a label value. */
static void reason_of(const char *raw, size_t len, char out[128]) {
  char quoted[130], name[128];
  snprintf(quoted, sizeof quoted, "\"%.*s\"", (int)len, raw);
  text_of((struct ctl_span){quoted, strlen(quoted)}, name, sizeof name);
  ctl_prom_escape(name, out, 128);
}

static void plan_drops(struct prom_ctx *p) {
  const struct ctl_columns *c = &p->t->columns[0];
  p->start = c->n;
  p->n = 0;
  for (size_t i = 0; i < c->n; i++)
    if (c->col[i].kind == CTL_COL_MEMBER && c->col[i].group == i && c->col[i].name.len > 8 &&
        memcmp(c->col[i].name.p, "\"drops.", 7) == 0)
      p->start = i;
  for (size_t i = p->start; i < c->n && c->col[i].kind == CTL_COL_MEMBER &&
                            c->col[i].group == p->start && p->n < CTL_PROM_MAX_DROPS;
       i++)
    reason_of(c->col[i].name.p + 7, c->col[i].name.len - 8, p->reason[p->n++]);
}

/* The device's drops, reason by reason: the members of its "drops" object, or in the rows form
 * the "drops.<reason>" columns. */
static void drops_of(const struct prom_ctx *p, const struct ctl_side *s, struct ctl_prom_sa *out) {
  out->n_drops = 0;
  if (!s->row) {
    struct ctl_iter it;
    struct ctl_span key, value;
    ctl_obj_begin(&it, s->field[F_DROPS]);
    while (out->n_drops < CTL_PROM_MAX_DROPS && ctl_obj_next(&it, &key, &value)) {
      reason_of(key.p, key.len, out->reason[out->n_drops]);
      out->drops[out->n_drops++] = ctl_span_int(value);
    }
    return;
  }
  const struct ctl_columns *c = &p->t->columns[0];
  struct ctl_span v[CTL_MAX_COLUMNS];
  if (p->n == 0)
    return;
  ctl_row_split(s->text, v, c->n);
  if (p->start && c->col[p->start - 1].kind == CTL_COL_MARKER &&
      ctl_span_is(v[p->start - 1], "null"))
    return; /* the object is null */
  for (size_t d = 0; d < p->n; d++) {
    memcpy(out->reason[d], p->reason[d], sizeof out->reason[d]);
    out->drops[d] = ctl_span_int(v[p->start + d]);
  }
  out->n_drops = p->n;
}

static bool table_sa(const void *ctx, size_t i, bool drops, struct ctl_prom_sa *out) {
  const struct prom_ctx *p = ctx;
  const struct ctl_row *r = p->t->sorted[i];
  const struct ctl_span *dev = r->device.field, *own = r->daemon.field;
  if (!r->device.text.p)
    return false;
  char backend[256], conn[256] = "", child[256] = "";
  text_of(dev[F_BACKEND], backend, sizeof backend);
  if (r->daemon.text.p) {
    text_of(own[F_CONN], conn, sizeof conn);
    text_of(own[F_CHILD], child, sizeof child);
  }
  struct ctl_prom_names names = {r->dir, r->spi, backend, conn, child};
  ctl_prom_labels(&names, out->labels, sizeof out->labels);
  static const enum side_field values[CTL_PROM_SA_VALUES] = {F_PACKETS, F_BYTES, F_SEQ,
                                                             F_STATS_AGE};
  for (size_t m = 0; m < CTL_PROM_SA_VALUES; m++)
    out->value[m] = ctl_span_int(dev[values[m]]);
  out->n_drops = 0;
  if (drops)
    drops_of(p, &r->device, out);
  return true;
}

bool ctl_table_prom_write(FILE *f, const struct ctl_table *t, const json_t *metrics) {
  struct prom_ctx *p = malloc(sizeof *p);
  if (!p)
    return false;
  p->t = t;
  plan_drops(p);
  struct ctl_prom_sas sas = {t->n_rows, t->n_rows, table_sa, p};
  ctl_prom_write_sas(f, &sas, metrics);
  free(p);
  return true;
}
