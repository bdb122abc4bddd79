/* The fast path for nicsecd's `sa-table` answer: joins the device's SAs with nicsecd's by
 * (direction, SPI, destination) through a hash table over spans of the answer text, without
 * building a jansson tree, and writes `sa list` (text or --json) straight from those spans.
 * 100k SAs on both sides (140 MB of answer) join in a fraction of a second.
 *
 * The result is the same document ctl_join (ctl_model.h) builds from the parsed answer — same
 * keys, order and values — which the unit tests check against each other. */
#ifndef NICSEC_TOOLS_CTL_TABLE_H
#define NICSEC_TOOLS_CTL_TABLE_H

#include <jansson.h>
#include <stdio.h>

#include "ctl_scan.h"

/* One side of a joined SA: its object's text (p NULL: this side does not hold the SA) and the
 * spans of the members `sa list` shows, found while joining (indexes private to ctl_table.c). */
#define CTL_SIDE_FIELDS 14
struct ctl_side {
  struct ctl_span text;
  struct ctl_span field[CTL_SIDE_FIELDS];
};

struct ctl_row {
  char key[96], dir[16], spi[24];
  struct ctl_side device, daemon;
};

struct ctl_table {
  struct ctl_span devices; /* the answer's "devices" array (p NULL: absent) */
  struct ctl_row *rows;    /* in the order first seen */
  struct ctl_row **sorted; /* the same rows ordered by key */
  size_t n_rows;
};

/* Parses and joins an answer held in text[0..len) (which must outlive the table). Returns 0, or
 * -1 with a sentence in err: malformed JSON, not ok (nicsecd's own sentence), or lists missing. */
int ctl_table_parse(struct ctl_table *t, const char *text, size_t len, char *err, size_t err_len);
void ctl_table_free(struct ctl_table *t);

/* The sa-list document (tools/schema/sa-list.json), compact, one line. */
void ctl_table_write_json(FILE *f, const struct ctl_table *t);
/* The `sa list` table for terminals. */
void ctl_table_print(FILE *f, const struct ctl_table *t);
/* The sa-list document as a jansson tree holding only the SAs whose SPI is spi (normalised, see
 * ctl_parse_spi), or every SA when spi is NULL. NULL when out of memory. */
json_t *ctl_table_to_json(const struct ctl_table *t, const char *spi);

#endif
