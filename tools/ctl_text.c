/* Tables for humans (see ctl_text.h). Every value comes from the JSON documents, so the text and
 * the --json output can never disagree. */
#include "ctl_text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_model.h"

static const char *str_of(const json_t *o, const char *key) {
  const char *s = json_string_value(json_object_get(o, key));
  return s ? s : "";
}

static long long int_of(const json_t *o, const char *key) {
  return json_integer_value(json_object_get(o, key));
}

static bool present(const json_t *v) {
  return v && !json_is_null(v);
}

/* Digits of a whole number below 10^19, without printf (which a 100k-row listing would call
 * 300k times). */
static size_t whole_digits(uint64_t v, char *out) {
  char rev[20];
  size_t n = 0;
  do {
    rev[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  for (size_t i = 0; i < n; i++)
    out[i] = rev[n - 1 - i];
  return n;
}

void ctl_human(double v, char *out, size_t len) {
  static const char units[] = " kMGTPE";
  if (v >= 0 && v < 999.5 && v == (double)(uint64_t)v && len > 3) { /* the common case */
    out[whole_digits((uint64_t)v, out)] = '\0';
    return;
  }
  int u = 0;
  while (v >= 999.95 && u < 6) {
    v /= 1000;
    u++;
  }
  if (u == 0)
    snprintf(out, len, "%.0f", v);
  else
    snprintf(out, len, "%.1f%c", v, units[u]);
}

/* ---- sa list --------------------------------------------------------------------------------- */

static const char *side_of(const json_t *sa) {
  /* the same words as ctl_print_sa_row's SEEN-BY column */
  bool dev = present(json_object_get(sa, "device")), own = present(json_object_get(sa, "daemon"));
  return dev && own ? "both" : dev ? "device" : "nicsecd";
}

/* The columns of `sa list`: width, and whether the text is padded on the left (numbers). A
 * value wider than its column pushes the rest of the line, as printf's %-Ns would. */
static const struct column {
  const char *title;
  int width;
  bool right;
} sa_columns[] = {
    {"DIR", 3, false},   {"SPI", 8, false},   {"SRC", 15, false},     {"DST", 15, false},
    {"MODE", 9, false},  {"ENCAP", 6, false}, {"ALG", 17, false},     {"ESN", 3, true},
    {"PACKETS", 7, true}, {"BYTES", 7, true}, {"DROPS", 5, true},     {"HANDLE", 7, true},
    {"SEEN-BY", 8, false}, {"CONN/CHILD", 0, false},
};
enum { SA_COLUMNS = sizeof sa_columns / sizeof sa_columns[0] };

/* One line in a buffer, written with one fwrite: values longer than the line are cut (the
 * longest row of real values is far shorter). */
struct line {
  char text[1024];
  size_t len;
};

static void put_text(struct line *l, const char *v, size_t n) {
  if (n > sizeof l->text - 1 - l->len)
    n = sizeof l->text - 1 - l->len;
  memcpy(l->text + l->len, v, n);
  l->len += n;
}

static void put_pad(struct line *l, size_t n) {
  while (n-- && l->len < sizeof l->text - 1)
    l->text[l->len++] = ' ';
}

static void put_cell(struct line *l, int col, const char *v) {
  const struct column *c = &sa_columns[col];
  size_t n = strlen(v), width = (size_t)c->width, pad = n < width ? width - n : 0;
  if (col)
    put_text(l, " ", 1);
  if (c->right)
    put_pad(l, pad);
  put_text(l, v, n);
  if (!c->right && col + 1 < SA_COLUMNS)
    put_pad(l, pad);
}

static void put_line(FILE *f, const char *const cells[SA_COLUMNS]) {
  struct line l = {.len = 0};
  for (int i = 0; i < SA_COLUMNS; i++)
    put_cell(&l, i, cells[i]);
  l.text[l.len++] = '\n';
  fwrite(l.text, 1, l.len, f);
}

void ctl_print_sa_header(FILE *f) {
  const char *cells[SA_COLUMNS];
  for (int i = 0; i < SA_COLUMNS; i++)
    cells[i] = sa_columns[i].title;
  put_line(f, cells);
}

/* "conn/child", cut at 79 octets. */
static void owner_text(const struct ctl_sa_row *r, char out[80]) {
  size_t conn = strnlen(r->conn, 79), child = conn < 79 ? strnlen(r->child, 78 - conn) : 0;
  memcpy(out, r->conn, conn);
  if (conn < 79)
    out[conn++] = '/';
  memcpy(out + conn, r->child, child);
  out[conn + child] = '\0';
}

void ctl_print_sa_row(FILE *f, const struct ctl_sa_row *r) {
  char pk[16] = "-", by[16] = "-", dr[16] = "-", owner[80] = "-", handle[24];
  if (r->on_device) {
    ctl_human(r->packets, pk, sizeof pk);
    ctl_human(r->bytes, by, sizeof by);
    ctl_human(r->drops, dr, sizeof dr);
  }
  if (r->on_daemon)
    owner_text(r, owner);
  if (r->handle >= 0)
    handle[whole_digits((uint64_t)r->handle, handle)] = '\0';
  else
    snprintf(handle, sizeof handle, "%lld", r->handle);
  const char *seen_by = r->on_device && r->on_daemon ? "both" : r->on_device ? "device" : "nicsecd";
  const char *cells[SA_COLUMNS] = {r->dir, r->spi, r->src, r->dst, r->mode,
                                   r->encap ? "udp" : "-", r->alg, r->esn ? "yes" : "no",
                                   pk, by, dr, handle, seen_by, owner};
  put_line(f, cells);
}

void ctl_print_sa_list(FILE *f, const json_t *list) {
  ctl_print_sa_header(f);
  size_t i;
  json_t *sa;
  json_array_foreach(json_object_get(list, "sas"), i, sa) {
    const json_t *dev = json_object_get(sa, "device"), *own = json_object_get(sa, "daemon");
    const json_t *any = present(dev) ? dev : own;
    struct ctl_sa_row r = {
        .dir = str_of(sa, "dir"), .spi = str_of(sa, "spi"), .src = str_of(any, "src"),
        .dst = str_of(any, "dst"), .mode = str_of(any, "mode"), .alg = str_of(any, "alg"),
        .conn = str_of(own, "conn"), .child = str_of(own, "child"),
        .encap = present(json_object_get(any, "encap")),
        .esn = json_is_true(json_object_get(any, "esn")), .on_device = present(dev),
        .on_daemon = present(own), .packets = (double)int_of(dev, "packets"),
        .bytes = (double)int_of(dev, "bytes"),
        .drops = (double)ctl_drops_total(json_object_get(dev, "drops")),
        .handle = int_of(any, "handle")};
    ctl_print_sa_row(f, &r);
  }
}

/* ---- sa show --------------------------------------------------------------------------------- */

static void value_text(const json_t *v, char *out, size_t len) {
  if (!v || json_is_null(v)) {
    snprintf(out, len, "-");
  } else if (json_is_string(v)) {
    snprintf(out, len, "%s", json_string_value(v));
  } else {
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    snprintf(out, len, "%s", text ? text : "?");
    free(text);
  }
}

/* Fields listed in a fixed order, so the view reads the same for every SA. */
static const char *const show_fields[] = {
    "handle", "backend", "state",    "offloaded", "offload",      "mode",         "src",
    "dst",    "encap",   "alg",      "key_bits",  "icv_bytes",    "esn",          "reqid",
    "replay", "replay_window", "seq", "packets",  "bytes",        "drops",        "limits",
    "lifetime_left", "last_use_s", "idle_s", "stats_age_ms", "ike_sa", "conn", "child",
    "child_id", "age_s",
};

static void print_show_one(FILE *f, const json_t *sa) {
  const json_t *dev = json_object_get(sa, "device"), *own = json_object_get(sa, "daemon");
  fprintf(f, "SA %s %s (%s)\n", str_of(sa, "dir"), str_of(sa, "spi"), side_of(sa));
  fprintf(f, "  %-14s %-44s %s\n", "FIELD", "DEVICE", "NICSECD");
  for (size_t i = 0; i < sizeof show_fields / sizeof show_fields[0]; i++) {
    const json_t *a = present(dev) ? json_object_get(dev, show_fields[i]) : NULL;
    const json_t *b = present(own) ? json_object_get(own, show_fields[i]) : NULL;
    if (!a && !b)
      continue;
    char ta[512], tb[512];
    value_text(a, ta, sizeof ta);
    value_text(b, tb, sizeof tb);
    fprintf(f, "  %-14s %-44s %s\n", show_fields[i], a ? ta : "", b ? tb : "");
  }
}

void ctl_print_sa_show(FILE *f, const json_t *list) {
  size_t i;
  json_t *sa;
  json_array_foreach(json_object_get(list, "sas"), i, sa) {
    if (i)
      fputc('\n', f);
    print_show_one(f, sa);
  }
}

/* ---- audit ----------------------------------------------------------------------------------- */

void ctl_print_audit(FILE *f, const json_t *audit) {
  const json_t *dev_only = json_object_get(audit, "device_only");
  const json_t *own_only = json_object_get(audit, "daemon_only");
  const json_t *mism = json_object_get(audit, "mismatches");
  size_t i;
  json_t *v;
  json_array_foreach(dev_only, i, v) fprintf(f, "only on the device:  %s\n", json_string_value(v));
  json_array_foreach(own_only, i, v) fprintf(f, "only in nicsecd:     %s\n", json_string_value(v));
  json_array_foreach(mism, i, v) {
    char a[256], b[256];
    value_text(json_object_get(v, "device"), a, sizeof a);
    value_text(json_object_get(v, "daemon"), b, sizeof b);
    fprintf(f, "mismatch %s %s: device %s, nicsecd %s\n", str_of(v, "key"), str_of(v, "field"), a,
            b);
  }
  fprintf(f, "audit: %lld SAs on both sides, %zu only on the device, %zu only in nicsecd, "
             "%zu mismatched fields: %s\n",
          int_of(audit, "compared"), json_array_size(dev_only), json_array_size(own_only),
          json_array_size(mism),
          json_is_true(json_object_get(audit, "consistent")) ? "consistent" : "DIFFERENT");
}

/* ---- caps ------------------------------------------------------------------------------------ */

static void print_list(FILE *f, const char *label, const json_t *arr) {
  char text[256];
  value_text(arr, text, sizeof text);
  fprintf(f, "  %-20s %s\n", label, text);
}

void ctl_print_caps(FILE *f, const json_t *caps_reply) {
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(caps_reply, "devices"), i, c) {
    const json_t *max = json_object_get(c, "max_sas"), *win = json_object_get(c, "spi_window");
    const json_t *life = json_object_get(c, "hw_lifetime");
    fprintf(f, "device %zu: backend %s\n", i, str_of(c, "backend"));
    print_list(f, "offload modes", json_object_get(c, "offload_modes"));
    print_list(f, "algorithms", json_object_get(c, "algs"));
    print_list(f, "AES-GCM ICV octets", json_object_get(c, "aes_gcm_icv_bytes"));
    print_list(f, "modes", json_object_get(c, "modes"));
    print_list(f, "families", json_object_get(c, "families"));
    print_list(f, "replay windows", json_object_get(c, "replay_windows"));
    fprintf(f, "  %-20s %s, UDP encapsulation %s, replay check optional %s\n", "ESN",
            json_is_true(json_object_get(c, "esn")) ? "yes" : "no",
            json_is_true(json_object_get(c, "udp_encap")) ? "yes" : "no",
            json_is_true(json_object_get(c, "replay_disable")) ? "yes" : "no");
    fprintf(f, "  %-20s in %lld, out %lld, policies %lld, batch %lld\n", "max SAs",
            int_of(max, "in"), int_of(max, "out"), int_of(c, "max_policies"),
            int_of(c, "max_batch"));
    fprintf(f, "  %-20s 0x%08llx..0x%08llx\n", "inbound SPI window", int_of(win, "min"),
            int_of(win, "max"));
    fprintf(f, "  %-20s packets %s, bytes %s; counters lag <= %lld ms; host datapath %s\n",
            "lifetimes in device", json_is_true(json_object_get(life, "packets")) ? "yes" : "no",
            json_is_true(json_object_get(life, "bytes")) ? "yes" : "no",
            int_of(c, "stats_freshness_ms"),
            json_is_true(json_object_get(c, "host_datapath")) ? "yes" : "no");
  }
}

/* ---- watch ----------------------------------------------------------------------------------- */

void ctl_print_watch_head(FILE *f, size_t n_sas, bool has_interval, double interval_s) {
  fprintf(f, "nicsecctl watch: %zu SAs on the device", n_sas);
  if (has_interval)
    fprintf(f, ", rates over %.1f s", interval_s);
  fprintf(f, "\n%-3s %-8s %-15s %-12s %8s %8s %8s %8s %6s %6s\n", "DIR", "SPI", "PEER", "CONN",
          "PKT/S", "BYTES/S", "PACKETS", "BYTES", "DROPS", "IDLE");
}

void ctl_print_watch_row(FILE *f, const struct ctl_watch_row *r) {
  char pps[16] = "-", bps[16] = "-", pk[16], by[16], dr[16], idle[24] = "-";
  if (r->has_pps)
    ctl_human(r->pps, pps, sizeof pps);
  if (r->has_bps)
    ctl_human(r->bps, bps, sizeof bps);
  ctl_human((double)r->packets, pk, sizeof pk);
  ctl_human((double)r->bytes, by, sizeof by);
  ctl_human((double)r->drops, dr, sizeof dr);
  if (r->has_idle)
    snprintf(idle, sizeof idle, "%llds", r->idle_s);
  fprintf(f, "%-3s %-8s %-15s %-12.12s %8s %8s %8s %8s %6s %6s\n", r->dir, r->spi, r->peer,
          r->conn, pps, bps, pk, by, dr, idle);
}

void ctl_print_watch(FILE *f, const json_t *frame) {
  const json_t *rows = json_object_get(frame, "sas"),
               *interval = json_object_get(frame, "interval_s");
  ctl_print_watch_head(f, json_array_size(rows), json_is_number(interval),
                       json_number_value(interval));
  size_t i;
  json_t *r;
  json_array_foreach(rows, i, r) {
    const json_t *pps = json_object_get(r, "packets_per_s"),
                 *bps = json_object_get(r, "bytes_per_s");
    struct ctl_watch_row row = {
        .dir = str_of(r, "dir"), .spi = str_of(r, "spi"), .peer = str_of(r, "peer"),
        .conn = str_of(r, "conn"), .has_pps = json_is_number(pps),
        .pps = json_number_value(pps), .has_bps = json_is_number(bps),
        .bps = json_number_value(bps), .packets = int_of(r, "packets"),
        .bytes = int_of(r, "bytes"), .drops = int_of(r, "drops"),
        .has_idle = json_is_integer(json_object_get(r, "idle_s")), .idle_s = int_of(r, "idle_s")};
    ctl_print_watch_row(f, &row);
  }
}
