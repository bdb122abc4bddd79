/* Where each field of a YAML file sits (line and column), so that errors found after loading
 * (a bad proposal string, an unknown algorithm, a selector that does not parse) name the line of
 * the offending value, not just its field.
 *
 * Paths use the syntax "connections[0].children[1].esp_proposals[0]": mapping keys joined by
 * '.', sequence entries as [index]. libcyaml reports lines for what its schema rejects; this index
 * covers everything the daemon checks itself.
 */
#ifndef NICSEC_DAEMON_CONFIG_LOCATE_H
#define NICSEC_DAEMON_CONFIG_LOCATE_H

#include <stddef.h>

struct nd_locate_entry {
  char *path;
  unsigned line; /* 1-based */
  unsigned column;
};

struct nd_locate {
  struct nd_locate_entry *entries;
  size_t count, cap;
};

/* Indexes every mapping value and sequence entry of the YAML text. Returns 0, or -1 when the
 * text is not YAML (the schema loader reports that error with its own position). */
int nd_locate_build(struct nd_locate *loc, const char *text, size_t len);
void nd_locate_free(struct nd_locate *loc);

/* The position of path, or of its longest indexed prefix (a field that is absent is reported at
 * its parent). Returns 0 when nothing matched (line unknown). */
unsigned nd_locate_line(const struct nd_locate *loc, const char *path, unsigned *column);

/* For text libyaml cannot parse: the line of the syntax error and libyaml's description.
 * Returns 0 when the text parses. */
unsigned nd_locate_syntax_error(const char *text, size_t len, char *problem, size_t problem_len);

#endif
