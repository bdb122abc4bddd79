/* seqflow receiver: counts a flow until its end marker (plus a linger for stragglers), a
 * timeout or SIGINT/SIGTERM, then prints one JSON line (and writes it to --report). */
#include "seqflow.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define POLL_MS 50
/* Room for ~1 s of bursts at high rates while the receiver reports or gets descheduled. */
#define RECV_BUFFER_BYTES (8 << 20)

struct recv_opts {
  struct sockaddr_storage bind;
  unsigned bind_len;
  const char *report;
  const char *ready;
  double timeout_s;   /* 0: none */
  double linger_ms;
  bool expect_lossless;
};

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

static bool parse_number(const char *text, double *out) {
  char *end;
  errno = 0;
  *out = strtod(text, &end);
  return errno == 0 && *end == '\0' && end != text && *out >= 0;
}

static bool parse_recv_opts(int argc, char **argv, struct recv_opts *o) {
  static const struct option longopts[] = {
      {"bind", required_argument, NULL, 'b'},    {"report", required_argument, NULL, 'r'},
      {"ready", required_argument, NULL, 'y'},   {"timeout", required_argument, NULL, 't'},
      {"linger-ms", required_argument, NULL, 'l'},
      {"expect-lossless", no_argument, NULL, 'e'}, {NULL, 0, NULL, 0}};
  bool ok = true;
  int c;
  memset(o, 0, sizeof *o);
  o->linger_ms = 300;
  while (ok && (c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
    switch (c) {
    case 'b': ok = seqflow_parse_endpoint(optarg, &o->bind, &o->bind_len); break;
    case 'r': o->report = optarg; break;
    case 'y': o->ready = optarg; break;
    case 't': ok = parse_number(optarg, &o->timeout_s); break;
    case 'l': ok = parse_number(optarg, &o->linger_ms); break;
    case 'e': o->expect_lossless = true; break;
    default: ok = false; break;
    }
  }
  return ok && optind == argc && o->bind_len;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int open_receiver(const struct recv_opts *o) {
  int fd = socket(o->bind.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int rcvbuf = RECV_BUFFER_BYTES;
  if (fd < 0) {
    perror("seqflow: socket");
    return -1;
  }
  /* Best effort: SO_RCVBUFFORCE needs CAP_NET_ADMIN, SO_RCVBUF is capped by rmem_max. */
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  }
  if (bind(fd, (const struct sockaddr *)&o->bind, o->bind_len) < 0) {
    perror("seqflow: bind");
    close(fd);
    return -1;
  }
  return fd;
}

static bool signal_ready(const char *path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    perror("seqflow: --ready");
    return false;
  }
  close(fd);
  return true;
}

/* Reads everything queued on fd; false on a socket error or out of memory. */
static bool drain_socket(int fd, struct seqflow_stats *st, uint8_t *buf, size_t cap) {
  for (;;) {
    ssize_t n = recv(fd, buf, cap, 0);
    if (n < 0) {
      return errno == EAGAIN || errno == EINTR;
    }
    if (!seqflow_stats_add(st, buf, (size_t)n)) {
      fputs("seqflow: out of memory\n", stderr);
      return false;
    }
  }
}

/* Returns false on an I/O error; the flow ends at end marker + linger, timeout or signal. */
static bool receive_flow(int fd, const struct recv_opts *o, struct seqflow_stats *st) {
  static uint8_t buf[SEQFLOW_MAX_SIZE + 1];
  double start = now_s(), end_at = 0;
  struct pollfd pfd = {.fd = fd, .events = POLLIN};
  while (!stop_requested) {
    double now = now_s();
    if ((o->timeout_s > 0 && now - start >= o->timeout_s) || (end_at > 0 && now >= end_at)) {
      break;
    }
    int ready = poll(&pfd, 1, POLL_MS);
    if (ready < 0 && errno != EINTR) {
      perror("seqflow: poll");
      return false;
    }
    if (ready > 0 && !drain_socket(fd, st, buf, sizeof buf)) {
      return false;
    }
    if (st->end_seen && end_at == 0) {
      end_at = now_s() + o->linger_ms / 1000.0;
    }
  }
  return true;
}

static void format_summary(const struct seqflow_summary *s, char *out, size_t cap) {
  snprintf(out, cap,
           "{\"role\":\"recv\",\"expected\":%" PRIu64 ",\"received\":%" PRIu64
           ",\"lost\":%" PRIu64 ",\"duplicates\":%" PRIu64 ",\"reordered\":%" PRIu64
           ",\"max_gap\":%" PRIu64 ",\"max_gap_at\":%" PRIu64 ",\"foreign\":%" PRIu64
           ",\"end_seen\":%s}",
           s->expected, s->received, s->lost, s->duplicates, s->reordered, s->max_gap,
           s->max_gap_at, s->foreign, s->end_seen ? "true" : "false");
}

static bool write_report(const char *path, const char *line) {
  FILE *f = fopen(path, "w");
  if (!f) {
    perror("seqflow: --report");
    return false;
  }
  bool ok = fprintf(f, "%s\n", line) > 0;
  return fclose(f) == 0 && ok;
}

static void install_stop_handlers(void) {
  struct sigaction sa = {.sa_handler = on_stop_signal};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
}

int seqflow_recv_main(int argc, char **argv) {
  struct recv_opts o;
  if (!parse_recv_opts(argc, argv, &o)) {
    fputs("usage: seqflow recv --bind ADDR:PORT [--report FILE] [--ready FILE] [--timeout S]\n"
          "                    [--linger-ms MS] [--expect-lossless]\n", stderr);
    return 2;
  }
  install_stop_handlers();
  int fd = open_receiver(&o);
  if (fd < 0 || (o.ready && !signal_ready(o.ready))) {
    return 1;
  }
  struct seqflow_stats st;
  seqflow_stats_init(&st);
  bool io_ok = receive_flow(fd, &o, &st);
  close(fd);
  struct seqflow_summary sum;
  seqflow_stats_summarize(&st, &sum);
  seqflow_stats_free(&st);
  char line[512];
  format_summary(&sum, line, sizeof line);
  printf("%s\n", line);
  fflush(stdout);
  if (!io_ok || (o.report && !write_report(o.report, line))) {
    return 1;
  }
  /* Lossless means: the whole flow was seen (end marker) and nothing in it went missing. */
  bool lossless = sum.end_seen && sum.lost == 0 && sum.received > 0;
  return o.expect_lossless && !lossless ? 1 : 0;
}
