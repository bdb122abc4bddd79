/* The span scanner (ctl_scan.h) against jansson: never crashes or reads out of bounds; what
 * jansson accepts (nested no deeper than the scanner allows) the scanner accepts too; and the
 * decoders handle every member of what it accepted. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl_scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Visits every member and element, decoding each as a string and a number. */
static void walk(struct ctl_span v, int depth) {
  struct ctl_iter it;
  struct ctl_span key, child;
  char text[64];
  uint64_t n;
  (void)ctl_span_str(v, text, sizeof text);
  (void)ctl_span_u64(v, &n);
  if (depth > CTL_SCAN_MAX_DEPTH)
    abort(); /* the scanner let deeper nesting through */
  if (ctl_obj_begin(&it, v)) {
    while (ctl_obj_next(&it, &key, &child))
      walk(child, depth + 1);
  } else if (ctl_arr_begin(&it, v)) {
    while (ctl_arr_next(&it, &child))
      walk(child, depth + 1);
  }
  if (it.bad)
    abort(); /* a value the scanner accepted cannot be malformed inside */
}

static size_t brackets(const char *p, size_t n) {
  size_t count = 0;
  for (size_t i = 0; i < n; i++)
    count += p[i] == '[' || p[i] == '{';
  return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size ? size : 1);
  if (!text)
    return 0;
  memcpy(text, data, size);
  const char *end = text + size, *stop = ctl_scan_value(text, end);
  bool ours = stop && ctl_scan_ws(stop, end) == end;
  if (ours)
    walk((struct ctl_span){text, size}, 0);
  /* jansson stops at a NUL octet as at the end of the text: compare only NUL-free inputs */
  json_t *theirs = memchr(text, 0, size) ? NULL : json_loadb(text, size, JSON_DECODE_ANY, NULL);
  if (theirs && !ours && brackets(text, size) <= CTL_SCAN_MAX_DEPTH)
    abort(); /* valid JSON the scanner refused */
  json_decref(theirs);
  free(text);
  return 0;
}
