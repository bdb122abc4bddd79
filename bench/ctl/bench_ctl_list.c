/* ctl_list: `nicsecctl sa list` end to end with 100k SAs — the daemon's answer, the socket, and
 * nicsecctl's parse, join and output — timed as the operator sees it. Target: under one second.
 *
 * The bench fills a soft device with n SAs through nicsec_hal_sa_add and keeps nicsecd's belief
 * about each (the same descriptors, key zeroed), so the answer holds n SAs on both sides, as on a
 * busy gateway. A forked server answers `sa-table` on a unix socket with the daemon's own writers
 * (host/daemon/control_fmt.c: nicsec_hal_dump walk, device and daemon SAs) for every request, in
 * the form the request asks for: nicsecctl asks for the compact rows form (~40 MB at 100k; the
 * object form is ~109 MB), and a small answer to `metrics`. --profile times both forms
 * in-process. The nicsecctl binary is run against it (stdout to /dev/null) with `sa list` and
 * `sa list --json` (median of 3), `audit`, `metrics` and `watch --count 1` (one refresh) once.
 *
 * Anchor: a raw client that sends the same request and reads the same answer bytes off the
 * socket, doing nothing with them. ratio = nicsecctl's time / anchor is what nicsecctl adds to
 * merely receiving the answer.
 *
 *   bench_ctl_list [n_sas] [--profile] [--dump <file>]
 *       (default 100000 SAs; nicsecctl: $NICSECCTL or ../tools/nicsecctl beside this executable;
 *        --dump writes the answer to a file and exits)
 * --profile also prints the CPU time of each section in-process, and of the tree path
 * (json_loads + ctl_join) nicsecctl used before the span join (ctl_table.h). Besides wall
 * times the summary gives nicsecctl's own CPU time (wait4), which a loaded machine inflates
 * far less. */
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "control_fmt.h"
#include "ctl_model.h"
#include "ctl_table.h"

extern char **environ;

/* nicsecctl asks for the compact rows form (ctl_client.c); the server and the anchor do as it. */
#define ROWS_FORM "\"form\":\"rows\""
#define ROWS_REQUEST "{\"cmd\":\"sa-table\"," ROWS_FORM "}\n"
/* `metrics` also asks for nicsecd's counters: a small answer, their cost is not the bench's. */
#define METRICS_CMD "\"metrics\""
#define METRICS_ANSWER                                                                          \
  "{\"ok\":true,\"stats\":{\"rx\":1,\"tx\":1},\"devices\":[{\"backend\":\"soft\","            \
  "\"drops\":{\"no-sa\":0}}]}\n"

enum { ROUNDS = 3, SPI_BASE = 0x10000 };

struct fixture {
  struct nicsec_hal_dev *dev;
  struct nicsec_hal_sa *descs; /* nicsecd's beliefs: what it handed to sa_add, key zeroed */
  nicsec_hal_sa_id *ids;
  size_t n;
};

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v) {
  qsort(v, ROUNDS, sizeof *v, cmp_double);
  return v[ROUNDS / 2];
}

/* Half inbound, half outbound, in batches of the device's max_batch. */
static void describe(struct nicsec_hal_sa *sa, size_t i) {
  *sa = (struct nicsec_hal_sa){.dir = i % 2 ? NICSEC_HAL_DIR_OUT : NICSEC_HAL_DIR_IN,
                               .offload = NICSEC_HAL_OFFLOAD_PACKET,
                               .mode = NICSEC_HAL_MODE_TUNNEL, .spi = (uint32_t)(SPI_BASE + i),
                               .reqid = (uint32_t)(1 + i / 2), .alg = NICSEC_HAL_ALG_AES_GCM_256,
                               .key_len = 32, .icv_len = 16, .replay_window = 64};
  sa->src.family = sa->dst.family = NICSEC_HAL_AF_INET;
  memcpy(sa->src.bytes, (uint8_t[]){198, 18, (uint8_t)(i >> 8), (uint8_t)i}, 4);
  memcpy(sa->dst.bytes, (uint8_t[]){192, 0, 2, 1}, 4);
  if (sa->dir == NICSEC_HAL_DIR_OUT)
    sa->replay_window = 0;
}

static int install(struct fixture *fx) {
  uint32_t batch = nicsec_hal_caps(fx->dev)->max_batch;
  for (size_t done = 0; done < fx->n;) {
    size_t k = fx->n - done < batch ? fx->n - done : batch;
    for (size_t i = 0; i < k; i++) {
      describe(&fx->descs[done + i], done + i);
      memset(fx->descs[done + i].key, 0x5a, 32); /* the device gets a key ... */
    }
    enum nicsec_hal_err err = nicsec_hal_sa_add(fx->dev, &fx->descs[done], k, &fx->ids[done], NULL);
    for (size_t i = 0; i < k; i++) /* ... nicsecd's belief keeps none */
      memset(fx->descs[done + i].key, 0, sizeof fx->descs[done + i].key);
    if (err != NICSEC_HAL_OK) {
      fprintf(stderr, "bench_ctl_list: install: %s\n", nicsec_hal_strerror(err));
      return -1;
    }
    done += k;
  }
  return 0;
}

/* The sa-table answer as nicsecd builds it (control_sa.c): the device's table and the beliefs
 * copied into a listing, formatted piece by piece by nd_listing_next, in the compact rows form
 * when rows is set (as nicsecctl asks). NULL when out of memory. */
static struct nd_listing *listing(const struct fixture *fx, bool rows) {
  enum nicsec_hal_err rc;
  struct nd_listing *l = nd_listing_new(fx->dev, (uint64_t)time(NULL), 0, &rc);
  if (l && rows)
    nd_listing_use_rows(l);
  for (size_t i = 0; l && i < fx->n; i++) {
    struct nd_sa_belief b = {.ike_sa = 1 + i / 2, .child_id = 1 + i / 2, .conn = "peer",
                             .child = "net", .state = "live", .handle = fx->ids[i],
                             .desc = &fx->descs[i], .installed_ms = 0};
    if (!nd_listing_add_belief(l, &b)) {
      nd_listing_free(l);
      l = NULL;
    }
  }
  return l;
}

/* The whole answer at once, newline included (--profile, --dump). */
static char *answer(const struct fixture *fx, bool rows, size_t *len) {
  struct nd_sb sb = {0};
  struct nd_listing *l = listing(fx, rows);
  while (l && !nd_listing_next(l, &sb, SIZE_MAX))
    ;
  nd_listing_free(l);
  *len = sb.len;
  return l ? nd_sb_take(&sb) : NULL;
}

static bool write_all(int fd, const char *p, size_t len) {
  while (len) {
    ssize_t n = write(fd, p, len);
    if (n <= 0)
      return false;
    p += n;
    len -= (size_t)n;
  }
  return true;
}

/* One answer sent as nicsecd sends it: a snapshot taken, then formatted CHUNK octets at a time
 * as the socket takes them, so the client parses while the server formats. */
static bool stream_answer(int fd, const struct fixture *fx, bool rows) {
  enum { CHUNK = 256 * 1024 }; /* as control_stream.c */
  struct nd_listing *l = listing(fx, rows);
  struct nd_sb sb = {0};
  bool done = false, ok = l != NULL;
  while (ok && !done) {
    sb.len = 0;
    done = nd_listing_next(l, &sb, CHUNK);
    ok = !sb.failed && write_all(fd, sb.buf, sb.len);
  }
  nd_sb_free(&sb);
  nd_listing_free(l);
  return ok;
}

/* The forked server: one answer per request line, built afresh each time like nicsecd. */
static void serve(int listen_fd, const struct fixture *fx) {
  signal(SIGPIPE, SIG_IGN); /* a client that left early costs its answer, not the server */
  for (;;) {
    int fd = accept(listen_fd, NULL, NULL);
    if (fd < 0)
      continue;
    int size = 4 << 20; /* as nicsecd's control connections (loop.c) */
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0)
      setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    char req[512];
    size_t used = 0;
    ssize_t n;
    while ((n = read(fd, req + used, sizeof req - used)) > 0) {
      used += (size_t)n;
      char *nl = memchr(req, '\n', used);
      if (!nl) {
        used = used == sizeof req ? 0 : used;
        continue;
      }
      used = 0; /* one request a line; nothing follows it in these runs */
      bool rows = memmem(req, (size_t)(nl - req), ROWS_FORM, strlen(ROWS_FORM)) != NULL;
      bool metrics = memmem(req, (size_t)(nl - req), METRICS_CMD, strlen(METRICS_CMD)) != NULL;
      if (metrics ? !write_all(fd, METRICS_ANSWER, strlen(METRICS_ANSWER))
                  : !stream_answer(fd, fx, rows))
        break;
    }
    close(fd);
  }
}

static int listen_on(const char *path) {
  struct sockaddr_un sun = {.sun_family = AF_UNIX};
  snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  unlink(path);
  if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0 || listen(fd, 4) != 0)
    return -1;
  return fd;
}

/* The anchor: request, then read the answer up to its newline; returns the octets read. */
static size_t raw_read(const char *path) {
  struct sockaddr_un sun = {.sun_family = AF_UNIX};
  snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  size_t total = 0;
  if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0 ||
      !write_all(fd, ROWS_REQUEST, strlen(ROWS_REQUEST))) {
    close(fd);
    return 0;
  }
  static char buf[1 << 20];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) {
    total += (size_t)n;
    if (buf[n - 1] == '\n')
      break;
  }
  close(fd);
  return total;
}

/* One nicsecctl run with args (at most 3, NULL-terminated), stdout to /dev/null; its wall time (and CPU time in *cpu), or -1 when it
 * failed. */
static double run_ctl(const char *ctl, const char *sock, const char *const *args, double *cpu) {
  char env_sock[PATH_MAX + 32];
  snprintf(env_sock, sizeof env_sock, "NICSEC_CTL_SOCKET=%s", sock);
  char *argv[5] = {(char *)ctl};
  for (int i = 0; i < 3 && args[i]; i++)
    argv[i + 1] = (char *)args[i];
  char *envp[] = {env_sock, NULL};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", 1 /* O_WRONLY */, 0);
  double t0 = now_s();
  pid_t pid;
  int status = -1;
  struct rusage ru = {0};
  if (posix_spawn(&pid, ctl, &fa, NULL, argv, envp) == 0)
    wait4(pid, &status, 0, &ru);
  *cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
         (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
  posix_spawn_file_actions_destroy(&fa);
  double t = now_s() - t0;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? t : -1;
}

static void nicsecctl_path(char *out, size_t len) {
  const char *env = getenv("NICSECCTL");
  char self[PATH_MAX] = "";
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0)
    self[n] = '\0';
  char *slash = strrchr(self, '/');
  if (slash)
    *slash = '\0';
  if (env)
    snprintf(out, len, "%s", env);
  else
    snprintf(out, len, "%s/../tools/nicsecctl", self);
}

static double cpu_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void write_table_json(FILE *f, const void *t) {
  ctl_table_write_json(f, t);
}

static void print_table(FILE *f, const void *t) {
  ctl_table_print(f, t);
}

/* CPU seconds of one section writing to /dev/null. */
static double section(void (*out)(FILE *, const void *), const void *what) {
  FILE *null = fopen("/dev/null", "w");
  static char buf[1 << 20];
  setvbuf(null, buf, _IOFBF, sizeof buf);
  double t0 = cpu_s();
  out(null, what);
  fclose(null);
  return cpu_s() - t0;
}

/* CPU time of the daemon's answer, nicsecctl's parse and its outputs for one form; the
 * answer's text is returned for the tree path. */
static char *profile_form(const struct fixture *fx, bool rows) {
  size_t len;
  double t0 = cpu_s();
  char *text = answer(fx, rows, &len);
  double t1 = cpu_s();
  struct ctl_table t;
  char err[200];
  int rc = ctl_table_parse(&t, text, len, err, sizeof err);
  double t2 = cpu_s();
  printf("cpu s (%s, %zu bytes/SA): daemon answer %.3f, ctl_table_parse %.3f (%zu rows, rc %d)",
         rows ? "rows" : "objects", len / (fx->n ? fx->n : 1), t1 - t0, t2 - t1,
         rc == 0 ? t.n_rows : 0, rc);
  if (rc == 0) {
    printf(", write_json %.3f, print %.3f", section(write_table_json, &t), section(print_table, &t));
    ctl_table_free(&t);
  }
  printf("\n");
  return text;
}

/* --profile: CPU time of each section of the path in this process (wall time is meaningless
 * on a loaded machine) in both forms, and the tree path nicsecctl used before the span join
 * (json_loads + ctl_join). */
static void profile(const struct fixture *fx) {
  free(profile_form(fx, true));
  char *text = profile_form(fx, false);
  double t0 = cpu_s();
  json_t *table = json_loads(text, JSON_DISABLE_EOF_CHECK, NULL);
  double t1 = cpu_s();
  json_t *list = ctl_join(table);
  double t2 = cpu_s();
  printf("tree path (objects): json_loads %.3f, ctl_join %.3f\n", t1 - t0, t2 - t1);
  json_decref(list);
  json_decref(table);
  free(text);
}

/* --dump: the answer to a file, to profile nicsecctl's parsing alone (perf, gprof). */
static int dump_answer(const struct fixture *fx, const char *path) {
  size_t len;
  char *text = answer(fx, true, &len);
  FILE *f = fopen(path, "w");
  bool ok = text && f && fwrite(text, 1, len, f) == len;
  if (f)
    ok &= fclose(f) == 0;
  free(text);
  return ok ? 0 : 1;
}

static int measure(const struct fixture *fx, const char *ctl, const char *sock) {
  static const char *const list_text[] = {"sa", "list", NULL};
  static const char *const list_json[] = {"sa", "list", "--json", NULL};
  static const char *const audit[] = {"audit", NULL};
  double text_t[ROUNDS], json_wall[ROUNDS], raw_t[ROUNDS], text_cpu[ROUNDS], json_cpu[ROUNDS];
  size_t bytes = 0;
  for (int r = 0; r < ROUNDS; r++) {
    double t0 = now_s();
    bytes = raw_read(sock);
    raw_t[r] = now_s() - t0;
    text_t[r] = run_ctl(ctl, sock, list_text, &text_cpu[r]);
    json_wall[r] = run_ctl(ctl, sock, list_json, &json_cpu[r]);
    if (bytes == 0 || text_t[r] < 0 || json_wall[r] < 0) {
      fprintf(stderr, "bench_ctl_list: a run failed (raw %zu octets; nicsecctl %s)\n", bytes, ctl);
      return 1;
    }
  }
  static const char *const metrics[] = {"metrics", NULL};
  static const char *const watch[] = {"watch", "--count", "1", NULL};
  double audit_cpu, audit_t = run_ctl(ctl, sock, audit, &audit_cpu); /* one run each */
  double metrics_cpu, metrics_t = run_ctl(ctl, sock, metrics, &metrics_cpu);
  double watch_cpu, watch_t = run_ctl(ctl, sock, watch, &watch_cpu);
  double text = median(text_t), js = median(json_wall), raw = median(raw_t);
  printf("answer %zu bytes (%.0f bytes/SA, both sides); nicsecctl cpu s: sa list %.3f, "
         "sa list --json %.3f, audit %.3f, metrics %.3f, watch %.3f%s%s%s\n",
         bytes, (double)bytes / (double)fx->n, median(text_cpu), median(json_cpu), audit_cpu,
         metrics_cpu, watch_cpu, audit_t < 0 ? " (audit FAILED)" : "",
         metrics_t < 0 ? " (metrics FAILED)" : "", watch_t < 0 ? " (watch FAILED)" : "");
  printf("ctl_list: sas=%zu seconds=%.4f json_seconds=%.4f audit_seconds=%.4f "
         "metrics_seconds=%.4f watch_seconds=%.4f anchor=%.4f ratio=%.2f\n",
         fx->n, text, js, audit_t, metrics_t, watch_t, raw, text / raw);
  return text < 1.0 && js < 1.0 ? 0 : 1;
}

int main(int argc, char **argv) {
  struct fixture fx = {.n = 100000};
  bool profiled = false;
  const char *dump = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--profile") == 0)
      profiled = true;
    else if (strcmp(argv[i], "--dump") == 0 && i + 1 < argc)
      dump = argv[++i];
    else
      fx.n = strtoul(argv[i], NULL, 10);
  }
  char args[64], ctl[PATH_MAX], sock[64];
  snprintf(args, sizeof args, "max_sa=%zu", fx.n);
  nicsecctl_path(ctl, sizeof ctl);
  snprintf(sock, sizeof sock, "/tmp/bench_ctl_list.%d.sock", (int)getpid());
  fx.descs = calloc(fx.n ? fx.n : 1, sizeof *fx.descs);
  fx.ids = calloc(fx.n ? fx.n : 1, sizeof *fx.ids);
  if (fx.n == 0 || !fx.descs || !fx.ids || nicsec_hal_open("soft", args, &fx.dev) != NICSEC_HAL_OK) {
    fprintf(stderr, "bench_ctl_list: cannot open a soft device with %s\n", args);
    return 1;
  }
  if (install(&fx) != 0)
    return 1;
  if (dump)
    return dump_answer(&fx, dump);
  if (profiled)
    profile(&fx);
  fflush(stdout); /* before fork: print nothing twice */
  int listen_fd = listen_on(sock);
  pid_t server = listen_fd >= 0 ? fork() : -1;
  if (server == 0) {
    serve(listen_fd, &fx);
    _exit(0);
  }
  int rc = server > 0 ? measure(&fx, ctl, sock) : 1;
  if (server > 0) {
    kill(server, SIGTERM);
    waitpid(server, NULL, 0);
  }
  unlink(sock);
  nicsec_hal_close(fx.dev);
  free(fx.descs);
  free(fx.ids);
  return rc;
}
