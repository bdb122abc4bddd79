/* nicsecctl: the operator's tool for nicsecd, over its control socket (JSON lines).
 *
 *   nicsecctl [-s <socket>] [--json] <verb> ...      (see usage() and nicsecctl(1))
 *
 * The socket defaults to $NICSEC_CTL_SOCKET, else /run/nicsec/nicsecd.sock. Keys are shown by
 * `keys --wireshark` only (root, with a warning). Exit status: 0 success, 1 a failed command or
 * an audit that found differences, 2 a usage or connection error. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl_client.h"
#include "ctl_export.h"
#include "ctl_http.h"
#include "ctl_ike.h"
#include "ctl_model.h"
#include "ctl_table.h"
#include "ctl_text.h"

#define DEFAULT_SOCKET "/run/nicsec/nicsecd.sock"

enum { EXIT_FAILED = 1, EXIT_USAGE = 2 };

struct opts {
  const char *verb, *args[2], *child, *ike, *listen;
  int n_args;
  bool json, wait, wireshark, allow_remote;
  double timeout, interval;
  unsigned long count; /* watch frames / HTTP requests; 0 = unbounded */
};

static void usage(FILE *f) {
  fprintf(f, "usage: nicsecctl [-s <socket>] [--json] <command>\n"
             "  load [<config.yaml>]\n"
             "  initiate <conn> [--child <name>] [--timeout <s>] [--no-wait]\n"
             "  terminate <conn> [--timeout <s>] [--no-wait]\n"
             "  rekey --child <name|spi> | --ike <conn>   rekey a Child SA or an IKE SA now\n"
             "  list-sas                  IKE and Child SAs as nicsecd sees them\n"
             "  stats                     nicsecd's counters\n"
             "  sa list                   every SA: the device's view beside nicsecd's\n"
             "  sa show <spi>             every field of the SAs with that SPI\n"
             "  audit                     compare nicsecd's SAs with the device's (exit 1: differ)\n"
             "  watch [--interval <s>] [--count <n>]   live per-SA rates\n"
             "  metrics [--listen <addr:port> [--allow-remote] [--count <n>]]   Prometheus text\n"
             "  caps                      capabilities of each HAL device\n"
             "  keys --wireshark          IKE and ESP keys as Wireshark tables (root only)\n"
             "socket: $NICSEC_CTL_SOCKET or " DEFAULT_SOCKET "\n");
}

__attribute__((format(printf, 1, 2))) static int bad_usage(const char *sentence, ...) {
  va_list ap;
  va_start(ap, sentence);
  fprintf(stderr, "nicsecctl: ");
  vfprintf(stderr, sentence, ap);
  fprintf(stderr, " (nicsecctl --help lists the commands)\n");
  va_end(ap);
  return -1;
}

static bool parse_number(const char *text, double min, double *out) {
  char *end;
  double v = strtod(text, &end);
  if (end == text || *end || !(v >= min) || v > 1e9)
    return false;
  *out = v;
  return true;
}

/* Options that take a value: name -> where it goes. */
static int option_value(struct opts *o, const char *name, const char *value) {
  double v;
  if (strcmp(name, "--child") == 0)
    o->child = value;
  else if (strcmp(name, "--ike") == 0)
    o->ike = value;
  else if (strcmp(name, "--listen") == 0)
    o->listen = value;
  else if (strcmp(name, "--timeout") == 0 && parse_number(value, 0, &v))
    o->timeout = v;
  else if (strcmp(name, "--interval") == 0 && parse_number(value, 0.05, &v))
    o->interval = v;
  else if (strcmp(name, "--count") == 0 && parse_number(value, 1, &v) && v == (unsigned long)v)
    o->count = (unsigned long)v;
  else
    return bad_usage("%s needs a sensible value", name);
  return 0;
}

static int parse(int argc, char **argv, struct ctl *c, struct opts *o) {
  *o = (struct opts){.wait = true, .timeout = 10, .interval = 1};
  c->socket_path = getenv("NICSEC_CTL_SOCKET") ? getenv("NICSEC_CTL_SOCKET") : DEFAULT_SOCKET;
  static const char *const valued[] = {"--child", "--ike",    "--timeout",
                                       "--interval", "--count", "--listen"};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    bool takes_value = false;
    for (size_t k = 0; k < sizeof valued / sizeof valued[0]; k++)
      takes_value |= strcmp(a, valued[k]) == 0;
    if (takes_value || strcmp(a, "-s") == 0 || strcmp(a, "--socket") == 0) {
      if (i + 1 >= argc)
        return bad_usage("%s needs a value", a);
      if (a[1] == 's' || strcmp(a, "--socket") == 0)
        c->socket_path = argv[++i];
      else if (option_value(o, a, argv[++i]) != 0)
        return -1;
    } else if (strcmp(a, "--json") == 0) {
      o->json = true;
    } else if (strcmp(a, "--no-wait") == 0) {
      o->wait = false;
    } else if (strcmp(a, "--wireshark") == 0) {
      o->wireshark = true;
    } else if (strcmp(a, "--allow-remote") == 0) {
      o->allow_remote = true;
    } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      usage(stdout);
      return 1;
    } else if (a[0] == '-' && a[1]) {
      return bad_usage("unknown option %s", a);
    } else if (!o->verb) {
      o->verb = a;
    } else if (o->n_args < 2) {
      o->args[o->n_args++] = a;
    } else {
      return bad_usage("too many arguments at '%s'", a);
    }
  }
  return o->verb ? 0 : bad_usage("no command given");
}

/* ---- SA views -------------------------------------------------------------------------------- */

static void print_json(const json_t *doc) {
  json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
  printf("\n");
}

/* The joined sa-table through the fast path (ctl_table.h), parsed as it arrives. -1 after
 * printing why. */
static int fetch_table(struct ctl *c, struct ctl_table *t) {
  char err[320];
  if (ctl_call_table(c, "sa-table", t, err, sizeof err) == 0)
    return 0;
  fprintf(stderr, "nicsecctl: %s\n", err);
  return -1;
}

/* Wall and CPU seconds now, for NICSEC_CTL_PROFILE=1's section times on stderr. */
struct stamp {
  double wall, cpu;
};

static struct stamp stamp_now(void) {
  struct timespec w, c;
  clock_gettime(CLOCK_MONOTONIC, &w);
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c);
  return (struct stamp){(double)w.tv_sec + (double)w.tv_nsec / 1e9,
                        (double)c.tv_sec + (double)c.tv_nsec / 1e9};
}

static void profile_sections(const char *verb, const struct stamp marks[3], size_t rows) {
  const char *on = getenv("NICSEC_CTL_PROFILE");
  if (!on || strcmp(on, "1") != 0)
    return;
  fprintf(stderr,
          "nicsecctl %s: %zu rows; receive+parse+join+sort %.3f s (cpu %.3f), output %.3f s "
          "(cpu %.3f)\n",
          verb, rows, marks[1].wall - marks[0].wall, marks[1].cpu - marks[0].cpu,
          marks[2].wall - marks[1].wall, marks[2].cpu - marks[1].cpu);
}

static int cmd_sa_list(struct ctl *c, const struct opts *o) {
  struct ctl_table t;
  struct stamp marks[3] = {stamp_now()};
  if (fetch_table(c, &t) != 0)
    return EXIT_FAILED;
  marks[1] = stamp_now();
  static char out_buf[1 << 20]; /* fewer write(2)s for a 100 MB listing */
  setvbuf(stdout, out_buf, _IOFBF, sizeof out_buf);
  if (o->json)
    ctl_table_write_json(stdout, &t); /* compact: 100k SAs indented would be 150 MB */
  else
    ctl_table_print(stdout, &t);
  fflush(stdout);
  marks[2] = stamp_now();
  profile_sections(o->json ? "sa list --json" : "sa list", marks, t.n_rows);
  ctl_table_free(&t);
  return 0;
}

static int cmd_sa_show(struct ctl *c, const struct opts *o) {
  char spi[9];
  if (o->n_args < 2 || !ctl_parse_spi(o->args[1], spi)) {
    fprintf(stderr, "nicsecctl: sa show needs an SPI of up to 8 hex digits, e.g. 0xc0ffee01\n");
    return EXIT_USAGE;
  }
  struct ctl_table t;
  if (fetch_table(c, &t) != 0)
    return EXIT_FAILED;
  json_t *found = ctl_table_to_json(&t, spi);
  ctl_table_free(&t);
  int rc = 0;
  if (json_array_size(json_object_get(found, "sas")) == 0) {
    fprintf(stderr, "nicsecctl: neither the device nor nicsecd has an SA with SPI %s\n", spi);
    rc = EXIT_FAILED;
  } else if (o->json) {
    print_json(found);
  } else {
    ctl_print_sa_show(stdout, found);
  }
  json_decref(found);
  return rc;
}

static int cmd_sa(struct ctl *c, const struct opts *o) {
  const char *sub = o->n_args ? o->args[0] : "";
  if (strcmp(sub, "list") == 0 && o->n_args == 1)
    return cmd_sa_list(c, o);
  if (strcmp(sub, "show") == 0)
    return cmd_sa_show(c, o);
  fprintf(stderr, "nicsecctl: sa wants 'list' or 'show <spi>'\n");
  return EXIT_USAGE;
}

static int cmd_audit(struct ctl *c, const struct opts *o) {
  struct ctl_table t;
  if (fetch_table(c, &t) != 0)
    return EXIT_FAILED;
  json_t *audit = ctl_table_audit(&t);
  ctl_table_free(&t);
  if (!audit) {
    fprintf(stderr, "nicsecctl: out of memory while auditing\n");
    return EXIT_FAILED;
  }
  if (o->json)
    print_json(audit);
  else
    ctl_print_audit(stdout, audit);
  int rc = json_is_true(json_object_get(audit, "consistent")) ? 0 : EXIT_FAILED;
  json_decref(audit);
  return rc;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double wall_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s) {
  struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
  nanosleep(&ts, NULL);
}

/* Each frame from the fast table (ctl_table_views.c): a refresh of 100k SAs in well under a
 * second; the previous table is kept for the rates. */
static int cmd_watch(struct ctl *c, const struct opts *o) {
  struct ctl_table tables[2], *prev = NULL;
  double prev_t = 0;
  bool tty = !o->json && isatty(STDOUT_FILENO);
  for (unsigned long frame = 0; o->count == 0 || frame < o->count; frame++) {
    if (frame)
      sleep_s(o->interval);
    struct ctl_table *cur = &tables[frame % 2];
    if (fetch_table(c, cur) != 0) {
      if (prev)
        ctl_table_free(prev);
      return EXIT_FAILED;
    }
    double t = now_s();
    if (o->json) {
      json_t *view = ctl_table_watch_frame(prev, cur, t - prev_t, wall_s());
      json_dumpf(view, stdout, JSON_COMPACT); /* one frame per line */
      printf("\n");
      json_decref(view);
    } else {
      if (tty)
        printf("\033[H\033[2J"); /* home and clear: redraw in place (also inside tmux) */
      ctl_table_print_watch(stdout, prev, cur, t - prev_t);
    }
    fflush(stdout);
    if (prev)
      ctl_table_free(prev);
    prev = cur;
    prev_t = t;
  }
  if (prev)
    ctl_table_free(prev);
  return 0;
}

/* ---- metrics, caps, keys ------------------------------------------------------------------- */

struct metrics_ctx {
  struct ctl *c;
  bool json;
};

/* The per-SA samples come from the fast table (ctl_table_views.c); --json shows only nicsecd's
 * metrics answer, so it needs no table. */
static bool write_metrics(void *ctx, FILE *f) {
  struct metrics_ctx *m = ctx;
  struct ctl_table t = {0};
  bool listed = m->json || fetch_table(m->c, &t) == 0;
  json_t *metrics = listed ? ctl_command(m->c, "metrics") : NULL;
  if (metrics && m->json) {
    json_object_set_new(metrics, "schema", json_string("nicsec.metrics/1"));
    json_object_del(metrics, "ok");
    json_dumpf(metrics, f, JSON_INDENT(2) | JSON_SORT_KEYS);
    fprintf(f, "\n");
  }
  bool ok = metrics && (m->json || ctl_table_prom_write(f, &t, metrics));
  ctl_table_free(&t); /* zeroed when not fetched or refused */
  json_decref(metrics);
  return ok;
}

static int cmd_metrics(struct ctl *c, const struct opts *o) {
  struct metrics_ctx m = {c, o->json};
  if (!o->listen)
    return write_metrics(&m, stdout) ? 0 : EXIT_FAILED;
  int fd = ctl_http_listen(o->listen, o->allow_remote);
  if (fd < 0)
    return EXIT_USAGE;
  fprintf(stderr, "nicsecctl: serving http://%s/metrics\n", o->listen);
  signal(SIGPIPE, SIG_IGN);
  int rc = ctl_http_serve(fd, o->count, write_metrics, &m);
  close(fd);
  return rc;
}

static int cmd_caps(struct ctl *c, const struct opts *o) {
  json_t *reply = ctl_command(c, "caps");
  if (!reply)
    return EXIT_FAILED;
  if (o->json) {
    json_t *doc = json_pack("{s:s, s:O}", "schema", CTL_SCHEMA_CAPS, "devices",
                            json_object_get(reply, "devices"));
    print_json(doc);
    json_decref(doc);
  } else {
    ctl_print_caps(stdout, reply);
  }
  json_decref(reply);
  return 0;
}

/* Checked before connecting, so a refused request never reaches nicsecd. */
static int check_keys(const struct opts *o) {
  if (!o->wireshark || o->json) {
    fprintf(stderr, "nicsecctl: keys are shown only as Wireshark tables: nicsecctl keys "
                    "--wireshark\n");
    return EXIT_USAGE;
  }
  if (geteuid() != 0) {
    fprintf(stderr, "nicsecctl: only root may export keys\n");
    return EXIT_FAILED;
  }
  return 0;
}

static int cmd_keys(struct ctl *c, const struct opts *o) {
  (void)o; /* check_keys ran */
  fprintf(stderr, "nicsecctl: WARNING: printing secret IKE and ESP keys. Anyone who reads them "
                  "can decrypt this traffic and forge IKE messages; keep them out of logs and "
                  "tickets, and delete them after use.\n");
  json_t *reply = ctl_command(c, "keys");
  if (!reply)
    return EXIT_FAILED;
  ctl_wireshark_write(stdout, reply);
  json_decref(reply);
  return 0;
}

/* ---- dispatch -------------------------------------------------------------------------------- */

static int cmd_load(struct ctl *c, const struct opts *o) {
  json_t *req = json_pack("{s:s}", "cmd", "load");
  if (o->n_args)
    json_object_set_new(req, "path", json_string(o->args[0]));
  return ctl_cmd_simple(c, req, NULL, false);
}

static int cmd_initiate(struct ctl *c, const struct opts *o) {
  return ctl_cmd_initiate(c, o->args[0], o->child, o->timeout, o->wait);
}

static int cmd_terminate(struct ctl *c, const struct opts *o) {
  return ctl_cmd_terminate(c, o->args[0], o->timeout, o->wait);
}

/* Checked before connecting: exactly one of --child and --ike. */
static int check_rekey(const struct opts *o) {
  if (!o->child == !o->ike) {
    fprintf(stderr, "nicsecctl: rekey wants --child <name|spi> or --ike <conn>, not %s\n",
            o->child ? "both" : "neither");
    return EXIT_USAGE;
  }
  return 0;
}

static int cmd_rekey(struct ctl *c, const struct opts *o) {
  json_t *req = o->ike ? json_pack("{s:s, s:s}", "cmd", "rekey", "ike", o->ike)
                       : json_pack("{s:s, s:s}", "cmd", "rekey", "child", o->child);
  json_t *reply = ctl_call(c, req);
  if (!reply || !ctl_reply_ok(reply)) {
    json_decref(reply);
    return EXIT_FAILED;
  }
  json_object_del(reply, "ok");
  json_object_set_new(reply, "schema", json_string(CTL_SCHEMA_REKEY));
  if (o->json) {
    print_json(reply);
  } else {
    const char *child = json_string_value(json_object_get(reply, "child"));
    printf("rekeying %s%s of %s: %lld SA(s)\n", child ? "child " : "the IKE SA",
           child ? child : "", json_string_value(json_object_get(reply, "conn")),
           json_integer_value(json_object_get(reply, "sas")));
  }
  json_decref(reply);
  return 0;
}

static int cmd_list_ike(struct ctl *c, const struct opts *o) {
  return ctl_cmd_list_ike(c, o->json);
}

static int cmd_stats(struct ctl *c, const struct opts *o) {
  return ctl_cmd_simple(c, json_pack("{s:s}", "cmd", "stats"), "stats", o->json);
}

static const struct verb {
  const char *name;
  int min_args, max_args;
  int (*run)(struct ctl *c, const struct opts *o);
  int (*check)(const struct opts *o); /* before connecting; NULL = none */
} verbs[] = {
    {"load", 0, 1, cmd_load, NULL},
    {"initiate", 1, 1, cmd_initiate, NULL},
    {"terminate", 1, 1, cmd_terminate, NULL},
    {"rekey", 0, 0, cmd_rekey, check_rekey},
    {"list-sas", 0, 0, cmd_list_ike, NULL},
    {"stats", 0, 0, cmd_stats, NULL},
    {"sa", 1, 2, cmd_sa, NULL},
    {"audit", 0, 0, cmd_audit, NULL},
    {"watch", 0, 0, cmd_watch, NULL},
    {"metrics", 0, 0, cmd_metrics, NULL},
    {"caps", 0, 0, cmd_caps, NULL},
    {"keys", 0, 0, cmd_keys, check_keys},
};

int main(int argc, char **argv) {
  struct ctl c = {.fd = -1};
  struct opts o;
  int rc = parse(argc, argv, &c, &o);
  if (rc != 0)
    return rc > 0 ? 0 : EXIT_USAGE;
  const struct verb *v = NULL;
  for (size_t i = 0; i < sizeof verbs / sizeof verbs[0] && !v; i++)
    if (strcmp(verbs[i].name, o.verb) == 0)
      v = &verbs[i];
  if (!v) {
    bad_usage("unknown command '%s'", o.verb);
    return EXIT_USAGE;
  }
  if (o.n_args < v->min_args || o.n_args > v->max_args) {
    fprintf(stderr, "nicsecctl: %s takes %d to %d arguments, not %d (nicsecctl --help)\n",
            v->name, v->min_args, v->max_args, o.n_args);
    return EXIT_USAGE;
  }
  if (v->check && (rc = v->check(&o)) != 0)
    return rc;
  if (ctl_connect(&c) != 0)
    return EXIT_USAGE;
  rc = v->run(&c, &o);
  ctl_close(&c);
  return rc;
}
