/* A validating JSON scanner that builds no tree: it finds where values start and end inside one
 * text buffer, so nicsecctl can walk a 100k-SA answer (70 MB) without millions of allocations.
 * Values are handed out as spans of the original text; the caller decodes only the few it needs.
 *
 * Grammar checked (RFC 8259): objects, arrays, strings (escapes, no raw control characters,
 * well-formed UTF-8), numbers, true/false/null, nesting at most CTL_SCAN_MAX_DEPTH. */
#ifndef NICSEC_TOOLS_CTL_SCAN_H
#define NICSEC_TOOLS_CTL_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTL_SCAN_MAX_DEPTH 32

/* Text [p, p+len) of one JSON value, or of a string's contents for object keys. p == NULL: none. */
struct ctl_span {
  const char *p;
  size_t len;
};

/* Just past the value that starts at p (leading whitespace skipped), or NULL when the text from
 * p is not one well-formed value before end. */
const char *ctl_scan_value(const char *p, const char *end);
/* Just past the closing quote of the string whose contents start at p (just past its opening
 * quote), or NULL when it is malformed or cut short by end. */
const char *ctl_scan_string(const char *p, const char *end);
/* The first non-whitespace position at or after p (end when none). */
const char *ctl_scan_ws(const char *p, const char *end);

/* Walks the members of an object or the elements of an array given as a span. */
struct ctl_iter {
  const char *p, *end;
  const char *stop; /* just past the closing bracket, once the walk reached it */
  bool started, bad;
};

/* False when v is not an object (resp. array). */
bool ctl_obj_begin(struct ctl_iter *it, struct ctl_span v);
bool ctl_arr_begin(struct ctl_iter *it, struct ctl_span v);
/* The next member: key (raw contents between the quotes) and value. False at the end or on
 * malformed text (then it->bad is set). */
bool ctl_obj_next(struct ctl_iter *it, struct ctl_span *key, struct ctl_span *value);
bool ctl_arr_next(struct ctl_iter *it, struct ctl_span *value);

/* True when key (raw contents) is exactly name (which has no characters needing escapes). */
bool ctl_key_is(struct ctl_span key, const char *name);
/* A string value decoded (escapes resolved, \u to UTF-8) into out; false when v is not a string,
 * holds NUL, or does not fit. */
bool ctl_span_str(struct ctl_span v, char *out, size_t len);
/* A non-negative integer value without fraction or exponent; false otherwise. */
bool ctl_span_u64(struct ctl_span v, uint64_t *out);
bool ctl_span_is(struct ctl_span v, const char *literal); /* "true", "null", ... */
/* Present and not the literal null. */
bool ctl_span_present(struct ctl_span v);

#endif
