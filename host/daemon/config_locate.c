/* Path -> line index of a YAML document, built from libyaml's event stream. */
#include "config_locate.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

enum { MAX_DEPTH = 32, MAX_PATH = 256 };

/* One open mapping or sequence. For a mapping, `key` holds the key whose value comes next
 * (empty while a key is awaited); for a sequence, `index` counts the entries seen. */
struct frame {
  bool is_mapping;
  bool awaiting_key;
  char key[96];
  yaml_mark_t key_mark; /* where the current key was written: a value is reported there */
  unsigned index;
  char path[MAX_PATH]; /* path of the container itself */
};

struct walker {
  struct nd_locate *loc;
  struct frame stack[MAX_DEPTH];
  int depth;
};

static int add_entry(struct nd_locate *loc, const char *path, const yaml_mark_t *mark) {
  if (loc->count == loc->cap) {
    size_t cap = loc->cap ? loc->cap * 2 : 64;
    struct nd_locate_entry *grown = realloc(loc->entries, cap * sizeof *grown);
    if (!grown)
      return -1;
    loc->entries = grown;
    loc->cap = cap;
  }
  char *copy = strdup(path);
  if (!copy)
    return -1;
  loc->entries[loc->count++] =
      (struct nd_locate_entry){copy, (unsigned)mark->line + 1, (unsigned)mark->column + 1};
  return 0;
}

/* The path of the node that starts now inside the innermost container (empty at top level). */
static void child_path(const struct walker *w, char *out, size_t cap) {
  if (w->depth == 0) {
    out[0] = '\0';
    return;
  }
  const struct frame *f = &w->stack[w->depth - 1];
  if (f->is_mapping)
    snprintf(out, cap, "%s%s%s", f->path, f->path[0] ? "." : "", f->key);
  else
    snprintf(out, cap, "%s[%u]", f->path, f->index);
}

/* A node (scalar or container start) occupies the current slot of its parent. Returns false
 * when the node is a mapping key rather than a value. */
static bool node_is_value(struct walker *w, const yaml_event_t *ev) {
  if (w->depth == 0)
    return true;
  struct frame *f = &w->stack[w->depth - 1];
  if (f->is_mapping && f->awaiting_key) {
    const char *text = ev->type == YAML_SCALAR_EVENT ? (const char *)ev->data.scalar.value : "?";
    snprintf(f->key, sizeof f->key, "%s", text);
    f->key_mark = ev->start_mark;
    f->awaiting_key = false;
    return false;
  }
  return true;
}

/* After a value is complete its parent moves on to the next key or entry. */
static void value_done(struct walker *w) {
  if (w->depth == 0)
    return;
  struct frame *f = &w->stack[w->depth - 1];
  if (f->is_mapping)
    f->awaiting_key = true;
  else
    f->index++;
}

static int on_node_start(struct walker *w, const yaml_event_t *ev, bool container, bool mapping) {
  if (!node_is_value(w, ev))
    return 0;
  char path[MAX_PATH];
  child_path(w, path, sizeof path);
  const struct frame *parent = w->depth ? &w->stack[w->depth - 1] : NULL;
  const yaml_mark_t *mark = parent && parent->is_mapping ? &parent->key_mark : &ev->start_mark;
  if (path[0] && add_entry(w->loc, path, mark) != 0)
    return -1;
  if (!container) {
    value_done(w);
    return 0;
  }
  if (w->depth == MAX_DEPTH)
    return -1;
  struct frame *f = &w->stack[w->depth++];
  memset(f, 0, sizeof *f);
  f->is_mapping = mapping;
  f->awaiting_key = mapping;
  snprintf(f->path, sizeof f->path, "%s", path);
  return 0;
}

static int on_event(struct walker *w, const yaml_event_t *ev) {
  switch (ev->type) {
  case YAML_SCALAR_EVENT:
  case YAML_ALIAS_EVENT:
    return on_node_start(w, ev, false, false);
  case YAML_MAPPING_START_EVENT:
    return on_node_start(w, ev, true, true);
  case YAML_SEQUENCE_START_EVENT:
    return on_node_start(w, ev, true, false);
  case YAML_MAPPING_END_EVENT:
  case YAML_SEQUENCE_END_EVENT:
    if (w->depth > 0)
      w->depth--;
    value_done(w);
    return 0;
  default:
    return 0;
  }
}

int nd_locate_build(struct nd_locate *loc, const char *text, size_t len) {
  memset(loc, 0, sizeof *loc);
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser))
    return -1;
  yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
  struct walker w = {.loc = loc};
  int rc = 0;
  for (bool done = false; !done && rc == 0;) {
    yaml_event_t ev;
    if (!yaml_parser_parse(&parser, &ev)) {
      rc = -1;
      break;
    }
    done = ev.type == YAML_STREAM_END_EVENT;
    rc = on_event(&w, &ev);
    yaml_event_delete(&ev);
  }
  yaml_parser_delete(&parser);
  return rc;
}

void nd_locate_free(struct nd_locate *loc) {
  for (size_t i = 0; i < loc->count; i++)
    free(loc->entries[i].path);
  free(loc->entries);
  memset(loc, 0, sizeof *loc);
}

static const struct nd_locate_entry *find_exact(const struct nd_locate *loc, const char *path,
                                                size_t len) {
  for (size_t i = 0; i < loc->count; i++)
    if (strlen(loc->entries[i].path) == len && strncmp(loc->entries[i].path, path, len) == 0)
      return &loc->entries[i];
  return NULL;
}

unsigned nd_locate_line(const struct nd_locate *loc, const char *path, unsigned *column) {
  /* Try the whole path, then strip the last ".key" or "[i]" until something matches. */
  for (size_t len = strlen(path); len > 0;) {
    const struct nd_locate_entry *e = find_exact(loc, path, len);
    if (e) {
      if (column)
        *column = e->column;
      return e->line;
    }
    while (len > 0 && path[len - 1] != '.' && path[len - 1] != '[')
      len--;
    if (len > 0)
      len--;
  }
  if (column)
    *column = 0;
  return 0;
}

unsigned nd_locate_syntax_error(const char *text, size_t len, char *problem, size_t problem_len) {
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser))
    return 0;
  yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
  unsigned line = 0;
  for (bool done = false; !done;) {
    yaml_event_t ev;
    if (!yaml_parser_parse(&parser, &ev)) {
      line = (unsigned)parser.problem_mark.line + 1;
      snprintf(problem, problem_len, "YAML syntax: %s%s%s", parser.problem ? parser.problem : "error",
               parser.context ? " " : "", parser.context ? parser.context : "");
      break;
    }
    done = ev.type == YAML_STREAM_END_EVENT;
    yaml_event_delete(&ev);
  }
  yaml_parser_delete(&parser);
  return line;
}
