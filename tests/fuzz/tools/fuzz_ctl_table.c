/* nicsecctl's sa-table reader (ctl_table_parse) on arbitrary answers: never crashes or reads out
 * of bounds; what it accepts it writes back as a table and, when jansson can read the answer
 * (it refuses integers beyond 64 bits, which are JSON all the same), as JSON that jansson reads
 * too, with one SA entry per joined row. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* An exact-size copy, so reading past the answer is caught by the sanitizers. */
  char *text = malloc(size ? size : 1);
  if (!text)
    return 0;
  memcpy(text, data, size);
  struct ctl_table t;
  char err[320];
  if (ctl_table_parse(&t, text, size, err, sizeof err) == 0) {
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    ctl_table_write_json(f, &t);
    fclose(f);
    json_t *answer = json_loadb(text, size, JSON_ALLOW_NUL, NULL); /* \u0000 is valid JSON */
    json_t *doc = answer ? json_loadb(out, len, JSON_ALLOW_NUL, NULL) : NULL;
    if (answer && (!doc || json_array_size(json_object_get(doc, "sas")) != t.n_rows))
      abort(); /* the fast path wrote something that is not the sa-list document */
    json_decref(doc);
    json_decref(answer);
    free(out);
    f = open_memstream(&out, &len);
    ctl_table_print(f, &t);
    fclose(f);
    free(out);
    json_decref(ctl_table_to_json(&t, NULL));
    ctl_table_free(&t);
  } else if (!err[0]) {
    abort(); /* a refusal always says why */
  }
  free(text);
  return 0;
}
