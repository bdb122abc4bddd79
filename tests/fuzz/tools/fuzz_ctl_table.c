/* nicsecctl's sa-table reader (ctl_table_parse) on arbitrary answers: never crashes or reads out
 * of bounds; what it accepts it writes back as a table and, when jansson can read the answer
 * (it refuses integers beyond 64 bits, which are JSON all the same), as JSON that jansson reads
 * too, with one SA entry per joined row. Fed in two parts (ctl_feed), it gives the same verdict
 * and table wherever the cut falls. The compact rows form ("device_columns" and arrays of values,
 * corpus rows_*) goes through the same checks: the objects --json rebuilds from rows must be
 * JSON jansson reads, whatever the rows and columns hold, and audit and sa show read them too;
 * nested objects written flat ("obj.member" columns, a marker column "obj" before them, corpus
 * rows_flat_*) are rebuilt into objects jansson reads. The span audit (ctl_table_audit) must
 * give exactly the document ctl_audit gives for the same table as a tree. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_model.h"
#include "ctl_table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *as_json(const struct ctl_table *t) {
  char *out = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&out, &len);
  ctl_table_write_json(f, t);
  fclose(f);
  return out;
}

/* The same octets fed as nicsecctl's socket reader would, cut in two where the first octet
 * says: the verdict and the table must not depend on where the cut falls. */
static void split_agrees(const char *text, size_t size, int whole_rc, const char *whole_json) {
  struct ctl_table t;
  struct ctl_feed *f = ctl_feed_new(&t, false);
  if (!f)
    return;
  size_t cut = size ? (unsigned char)text[0] * size / 256 : 0, done = 0;
  for (int part = 0; part < 2; part++) {
    size_t stop = part == 0 ? cut : size;
    while (done < stop) {
      size_t room = 0;
      char *space = ctl_feed_space(f, &room);
      if (!space)
        abort();
      size_t n = stop - done < room ? stop - done : room;
      memcpy(space, text + done, n);
      done += n;
      if (ctl_feed_commit(f, n) == CTL_FEED_BAD)
        done = size;
    }
  }
  char err[320];
  int rc = ctl_feed_finish(f, err, sizeof err);
  if (rc != whole_rc)
    abort(); /* the cut changed the verdict */
  if (rc == 0) {
    char *json = as_json(&t);
    if (strcmp(json, whole_json) != 0)
      abort(); /* the cut changed the table */
    free(json);
    ctl_table_free(&t);
  }
}

/* The fast audit against the tree audit of the same table. */
static void audit_agrees(const struct ctl_table *t) {
  json_t *fast = ctl_table_audit(t), *tree = ctl_table_to_json(t, NULL);
  json_t *slow = tree ? ctl_audit(tree) : NULL;
  if (fast && slow && !json_equal(fast, slow))
    abort(); /* the span audit judged an SA differently */
  json_decref(fast);
  json_decref(slow);
  json_decref(tree);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* An exact-size copy, so reading past the answer is caught by the sanitizers. */
  char *text = malloc(size ? size : 1);
  if (!text)
    return 0;
  memcpy(text, data, size);
  struct ctl_table t;
  char err[320];
  int rc = ctl_table_parse(&t, text, size, err, sizeof err);
  if (rc == 0) {
    char *out = as_json(&t);
    size_t len = strlen(out);
    split_agrees(text, size, rc, out);
    json_t *answer = json_loadb(text, size, JSON_ALLOW_NUL, NULL); /* \u0000 is valid JSON */
    json_t *doc = answer ? json_loadb(out, len, JSON_ALLOW_NUL, NULL) : NULL;
    if (answer && (!doc || json_array_size(json_object_get(doc, "sas")) != t.n_rows))
      abort(); /* the fast path wrote something that is not the sa-list document */
    if (answer)
      audit_agrees(&t);
    json_decref(doc);
    json_decref(answer);
    free(out);
    FILE *f = open_memstream(&out, &len);
    ctl_table_print(f, &t);
    fclose(f);
    free(out);
    json_decref(ctl_table_to_json(&t, NULL));
    ctl_table_free(&t);
  } else if (!err[0]) {
    abort(); /* a refusal always says why */
  } else {
    split_agrees(text, size, rc, NULL);
  }
  free(text);
  return 0;
}
