/* The fast path for nicsecd's `sa-table` answer: joins the device's SAs with nicsecd's by
 * (direction, SPI, destination) through a hash table over spans of the answer text, without
 * building a jansson tree, and writes `sa list` (text or --json), `audit`, `watch` and
 * `metrics` straight from those spans. Parts: ctl_feed.c (the answer as it arrives),
 * ctl_table.c (the join), ctl_columns.c (rows as objects), ctl_table_out.c (sa list),
 * ctl_table_audit.c, ctl_table_views.c (watch, metrics).
 * 100k SAs on both sides (40 MB of answer in the rows form, 109 MB as objects) join in a
 * fraction of a second.
 *
 * The result is the same document ctl_join (ctl_model.h) builds from the parsed answer — same
 * keys, order and values — which the unit tests check against each other. */
#ifndef NICSEC_TOOLS_CTL_TABLE_H
#define NICSEC_TOOLS_CTL_TABLE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ctl_scan.h"

/* One side of a joined SA: its object's text, or in nicsecd's compact rows form its row (an
 * array of the values of the side's columns); p NULL: this side does not hold the SA. The spans
 * of the members `sa list` shows are found while joining (indexes private to ctl_table.c). */
#define CTL_SIDE_FIELDS 18
struct ctl_side {
  struct ctl_span text;
  struct ctl_span field[CTL_SIDE_FIELDS];
  bool row;
};

struct ctl_row {
  char key[96], dir[16], spi[24];
  struct ctl_side device, daemon;
  uint64_t hash;     /* of key, for the join index */
  uint64_t order[2]; /* key's first 16 octets big-endian, zero-padded: sorts as strcmp */
};

struct ctl_chunk;

/* How one side's rows in the compact form stand for objects (ctl_columns.c): each column is a
 * member of the object, or, named "object.member", a member of a nested object; consecutive
 * columns with the same "object." form that object, and a column named "object" just before
 * them says whether it is there at all (null: the member is null; anything else: it is). The
 * rebuilt object writes each column's lead, then its value verbatim. */
#define CTL_MAX_COLUMNS 128
enum ctl_col_kind { CTL_COL_PLAIN, CTL_COL_MARKER, CTL_COL_MEMBER };
struct ctl_col {
  struct ctl_span name;      /* the column's JSON string text, quotes included */
  struct ctl_span lead;      /* written before the value: ,"name":  ,"obj":{"m":  ,"m":  ... */
  struct ctl_span lead_null; /* a marker whose value is null: ,"obj":null */
  enum ctl_col_kind kind;
  bool closes;          /* the last member of a nested object: '}' follows the value */
  unsigned short group; /* a marker: just past its members; a member: its object's first */
};
struct ctl_columns {
  struct ctl_col col[CTL_MAX_COLUMNS];
  size_t n;
  size_t leads_len; /* an upper bound on what the leads add to a row's values */
  char *lead_text;  /* the leads (allocated) */
};

/* The plan of the columns named by names[0..n) (JSON strings): false when out of memory. */
bool ctl_columns_plan(struct ctl_columns *c, const struct ctl_span *names, size_t n);
void ctl_columns_free(struct ctl_columns *c);
/* The values of a row the feed checked (one well-formed value per column), in v[0..n). */
void ctl_row_split(struct ctl_span row, struct ctl_span *v, size_t n);
/* The object a row the feed checked stands for, written into out (room: ctl_row_object_size). */
size_t ctl_row_object(const struct ctl_columns *c, struct ctl_span row, char *out);
size_t ctl_row_object_size(const struct ctl_columns *c, struct ctl_span row);

struct ctl_table {
  struct ctl_chunk *chunks; /* the answer's text, which the spans point into */
  struct ctl_columns columns[2]; /* [0] the device's rows, [1] nicsecd's */
  struct ctl_span devices; /* the answer's "devices" array (p NULL: absent) */
  struct ctl_row *rows;    /* in the order first seen */
  struct ctl_row **sorted; /* the same rows ordered by key */
  size_t n_rows;
};

/* Parses and joins an answer as its octets arrive, so nicsecctl works while nicsecd is still
 * sending: ctl_feed_space gives room for at least 64 KiB (NULL: out of memory), ctl_feed_commit
 * parses the n octets written there (MORE: keep feeding). With one_line the answer ends at its
 * first newline (octets after it are ignored); it always ends at ctl_feed_finish, which judges
 * the whole answer, frees the feed and returns 0 (t holds the table; free it with
 * ctl_table_free) or -1 with a sentence in err: malformed JSON, not ok (nicsecd's own
 * sentence), or the lists missing. Any split of the same octets gives the same table.
 * Both forms of the answer are read: SA objects, or the compact rows form nicsecctl asks for
 * ("device_columns":[names..] before "device_sas":[[values..],..], likewise for nicsecd's
 * side), where a row must hold one value per column; outputs show a row as the object it
 * stands for (struct ctl_columns: nested objects come back from their "obj.member" columns),
 * members in column order, so both forms print byte for byte the same. */
struct ctl_feed;
enum ctl_feed_result { CTL_FEED_BAD = -1, CTL_FEED_MORE = 0, CTL_FEED_DONE = 1 };
struct ctl_feed *ctl_feed_new(struct ctl_table *t, bool one_line);
char *ctl_feed_space(struct ctl_feed *f, size_t *room);
enum ctl_feed_result ctl_feed_commit(struct ctl_feed *f, size_t n);
int ctl_feed_finish(struct ctl_feed *f, char *err, size_t err_len);

/* The same for an answer held whole in text[0..len) (copied: text may go afterwards). */
int ctl_table_parse(struct ctl_table *t, const char *text, size_t len, char *err, size_t err_len);
void ctl_table_free(struct ctl_table *t);

/* One side's object as JSON text into a buffer (rows rebuilt): *out (malloc'ed, *len octets),
 * false when out of memory; an absent side is "null". */
bool ctl_side_text(const struct ctl_table *t, const struct ctl_side *s, bool device, char **out,
                   size_t *len);

/* The sa-list document (tools/schema/sa-list.json), compact, one line. */
void ctl_table_write_json(FILE *f, const struct ctl_table *t);
/* The `sa list` table for terminals. */
void ctl_table_print(FILE *f, const struct ctl_table *t);
/* The audit document (tools/schema/audit.json) of the joined table: ctl_audit's rules applied
 * to the spans (ctl_table_audit.c). NULL when out of memory. */
json_t *ctl_table_audit(const struct ctl_table *t);
/* The sa-list document as a jansson tree holding only the SAs whose SPI is spi (normalised, see
 * ctl_parse_spi), or every SA when spi is NULL. NULL when out of memory. */
json_t *ctl_table_to_json(const struct ctl_table *t, const char *spi);

/* One `watch` frame (ctl_watch_frame's document) from this refresh's table and the previous
 * one's (NULL: the first frame, no rates), dt_s seconds apart. NULL when out of memory. */
json_t *ctl_table_watch_frame(const struct ctl_table *prev, const struct ctl_table *cur,
                              double dt_s, double time_s);
/* The same frame as text for terminals (ctl_print_watch's), without building the document. */
void ctl_table_print_watch(FILE *f, const struct ctl_table *prev, const struct ctl_table *cur,
                           double dt_s);
/* `metrics`: ctl_prom_write's exposition with the per-SA samples from the table; false (nothing
 * written) when out of memory. */
bool ctl_table_prom_write(FILE *f, const struct ctl_table *t, const json_t *metrics);

#endif
