/* What the parts of the fast sa-table join share (ctl_table.c: the join index and the walk of
 * one SA; ctl_feed.c: the answer as it arrives; ctl_table_out.c: the outputs). Not for other
 * users: ctl_table.h is the interface. */
#ifndef NICSEC_TOOLS_CTL_TABLE_INTERNAL_H
#define NICSEC_TOOLS_CTL_TABLE_INTERNAL_H

#include "ctl_table.h"

/* The members of an SA the join, `sa list`, watch and metrics read; their spans are kept per side
 * (ctl_side.field). In the rows form F_DROPS spans the values of all "drops.*" columns. */
enum side_field {
  F_DIR, F_SPI, F_DST, F_SRC, F_MODE, F_ALG, F_CONN, F_CHILD, F_ENCAP, F_ESN, F_HANDLE,
  F_PACKETS, F_BYTES, F_DROPS, F_BACKEND, F_SEQ, F_IDLE, F_STATS_AGE,
};

/* Which side field each column of a side's rows fills (-1: none) and the column whose value
 * ends that field's span (itself, or the last column of a nested object's run). */
struct field_plan {
  signed char field[CTL_MAX_COLUMNS];
  unsigned char last[CTL_MAX_COLUMNS];
  size_t n;
  bool known; /* the columns were announced */
};
void ctl_fields_plan(struct field_plan *fp, const struct ctl_columns *c);

/* Builds the rows while an answer is read: the join index over them. */
struct builder {
  struct ctl_table *t;
  size_t cap;
  size_t expect;   /* first capacity: an estimate of the rows, so the rows are rarely copied */
  uint64_t *slots; /* open addressing: row index + 1 (low half, 0 = empty), the key's hash's
                      high half above it, so probes rarely touch a row */
  size_t n_slots;  /* a power of two, at least twice the rows */
  bool failed;
};

/* One element of a side's array in the object form, joined when it is a named SA object
 * (skipped otherwise): just past it, or NULL when malformed or cut short (or out of memory:
 * b->failed). */
const char *ctl_join_element(struct builder *b, const char *p, const char *end, bool device);
/* The row at p (its '['), joined like the object it stands for: just past it, or NULL when it
 * is cut short by end, or (*bad set) malformed or not one value per column. */
const char *ctl_join_row(struct builder *b, const struct field_plan *fp, const char *p,
                         const char *end, bool device, bool *bad);
/* t->sorted: the rows ordered by key; false when out of memory. */
bool ctl_sort_rows(struct ctl_table *t);

/* ctl_scan_ws inlined for the common case, compact text: p itself. */
static inline const char *ctl_ws(const char *p, const char *end) {
  return p < end && (unsigned char)*p > ' ' ? p : ctl_scan_ws(p, end);
}

/* Just past the value at p in text the feed already checked: strings skipped, brackets counted,
 * nothing validated again (ctl_columns.c). */
const char *ctl_skip_checked(const char *p, const char *end);

/* json_integer_value of a value's text: 0 for anything but an integer (ctl_table_views.c). */
json_int_t ctl_span_int(struct ctl_span v);
/* The sum of a side's drop counters as ctl_drops_total adds them: the members of its "drops"
 * object, or in the rows form the values of the "drops.*" columns (ctl_table_out.c). */
uint64_t ctl_side_drops(const struct ctl_side *s);

/* Big blocks aligned for transparent huge pages (ctl_table.c). */
size_t ctl_huge_size(size_t size);
void *ctl_huge_alloc(size_t size);

#endif
