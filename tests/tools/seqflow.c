/* seqflow: sequence-numbered UDP flow (sender side and verb dispatch).
 *
 *   seqflow send --to ADDR:PORT --pps N --seconds S [--size B] [--bind ADDR[:PORT]]
 *   seqflow recv --bind ADDR:PORT [--report FILE] [--ready FILE] [--timeout S]
 *                [--linger-ms MS] [--expect-lossless]
 *
 * The sender paces with a timerfd: each tick it sends as many packets as the elapsed time
 * calls for, so a late wakeup is caught up instead of lowering the rate. After the last data
 * packet it sends end markers carrying the number of data packets, which lets the receiver
 * count a lost tail. Both print one JSON line. */
#include "seqflow.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define END_MARKERS 5
#define END_MARKER_GAP_NS 20000000L
/* Ticks shorter than this cost more in wakeups than they gain in smoothness. */
#define MIN_TICK_NS 100000L

struct send_opts {
  struct sockaddr_storage to;
  unsigned to_len;
  struct sockaddr_storage bind;
  unsigned bind_len;
  double pps;
  double seconds;
  unsigned size;
};

struct send_result {
  uint64_t sent;
  uint64_t send_errors;
  int first_errno;
  uint64_t elapsed_ns;
};

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void usage(void) {
  fputs("usage: seqflow send --to ADDR:PORT --pps N --seconds S [--size B] [--bind ADDR[:PORT]]\n"
        "       seqflow recv --bind ADDR:PORT [--report FILE] [--ready FILE] [--timeout S]\n"
        "                    [--linger-ms MS] [--expect-lossless]\n",
        stderr);
}

/* --bind for the sender may omit the port. */
static bool parse_bind_addr(const char *text, struct sockaddr_storage *out, unsigned *len) {
  char with_port[80];
  if (seqflow_parse_endpoint(text, out, len)) {
    return true;
  }
  if (snprintf(with_port, sizeof with_port, "%s:0", text) >= (int)sizeof with_port) {
    return false;
  }
  return seqflow_parse_endpoint(with_port, out, len);
}

static bool parse_positive(const char *text, double *out) {
  char *end;
  errno = 0;
  *out = strtod(text, &end);
  return errno == 0 && *end == '\0' && end != text && *out > 0;
}

static bool parse_send_opts(int argc, char **argv, struct send_opts *o) {
  static const struct option longopts[] = {
      {"to", required_argument, NULL, 't'},      {"pps", required_argument, NULL, 'p'},
      {"seconds", required_argument, NULL, 's'}, {"size", required_argument, NULL, 'z'},
      {"bind", required_argument, NULL, 'b'},    {NULL, 0, NULL, 0}};
  double size = 64;
  bool ok = true;
  int c;
  memset(o, 0, sizeof *o);
  while (ok && (c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
    switch (c) {
    case 't': ok = seqflow_parse_endpoint(optarg, &o->to, &o->to_len); break;
    case 'p': ok = parse_positive(optarg, &o->pps); break;
    case 's': ok = parse_positive(optarg, &o->seconds); break;
    case 'z': ok = parse_positive(optarg, &size); break;
    case 'b': ok = parse_bind_addr(optarg, &o->bind, &o->bind_len); break;
    default: ok = false; break;
    }
  }
  ok = ok && optind == argc && o->to_len && o->pps > 0 && o->seconds > 0 &&
       size >= SEQFLOW_HEADER_LEN && size <= SEQFLOW_MAX_SIZE &&
       (!o->bind_len || o->bind.ss_family == o->to.ss_family);
  o->size = (unsigned)size;
  return ok;
}

static int open_sender(const struct send_opts *o) {
  int fd = socket(o->to.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    perror("seqflow: socket");
    return -1;
  }
  if ((o->bind_len && bind(fd, (const struct sockaddr *)&o->bind, o->bind_len) < 0) ||
      connect(fd, (const struct sockaddr *)&o->to, o->to_len) < 0) {
    perror("seqflow: bind/connect");
    close(fd);
    return -1;
  }
  return fd;
}

static void send_one(int fd, uint8_t *buf, unsigned size, const struct seqflow_packet *pkt,
                     struct send_result *res) {
  seqflow_encode(pkt, buf, size);
  if (send(fd, buf, size, 0) == (ssize_t)size) {
    return;
  }
  /* The sequence number stays consumed: the receiver counts it lost, as it would be. */
  if (res->send_errors++ == 0) {
    res->first_errno = errno;
  }
}

static int arm_timer(double pps) {
  long tick = (long)(1e9 / pps);
  if (tick < MIN_TICK_NS) {
    tick = MIN_TICK_NS;
  }
  struct itimerspec its = {.it_interval = {tick / 1000000000L, tick % 1000000000L},
                           .it_value = {0, 1}};
  int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
  if (tfd < 0 || timerfd_settime(tfd, 0, &its, NULL) < 0) {
    perror("seqflow: timerfd");
    if (tfd >= 0) {
      close(tfd);
    }
    return -1;
  }
  return tfd;
}

static int send_flow(int fd, const struct send_opts *o, uint64_t run_id,
                     struct send_result *res) {
  uint64_t total = (uint64_t)(o->pps * o->seconds + 0.5);
  uint8_t *buf = malloc(o->size);
  int tfd = arm_timer(o->pps);
  if (!buf || tfd < 0) {
    free(buf);
    return -1;
  }
  struct seqflow_packet pkt = {.kind = SEQFLOW_DATA, .run_id = run_id};
  uint64_t start = now_ns();
  while (res->sent < total) {
    uint64_t ticks;
    if (read(tfd, &ticks, sizeof ticks) != sizeof ticks && errno != EINTR) {
      perror("seqflow: timerfd read");
      break;
    }
    uint64_t due = (uint64_t)((double)(now_ns() - start) * o->pps / 1e9) + 1;
    for (; res->sent < due && res->sent < total; res->sent++) {
      pkt.value = res->sent;
      pkt.sent_ns = now_ns();
      send_one(fd, buf, o->size, &pkt, res);
    }
  }
  res->elapsed_ns = now_ns() - start;
  close(tfd);
  pkt.kind = SEQFLOW_END;
  pkt.value = res->sent;
  for (int i = 0; i < END_MARKERS; i++) {
    struct timespec gap = {0, END_MARKER_GAP_NS};
    clock_nanosleep(CLOCK_MONOTONIC, 0, &gap, NULL);
    pkt.sent_ns = now_ns();
    send_one(fd, buf, o->size, &pkt, res);
  }
  free(buf);
  return 0;
}

int seqflow_send_main(int argc, char **argv) {
  struct send_opts o;
  if (!parse_send_opts(argc, argv, &o)) {
    usage();
    return 2;
  }
  uint64_t run_id;
  if (getrandom(&run_id, sizeof run_id, 0) != sizeof run_id) {
    perror("seqflow: getrandom");
    return 1;
  }
  int fd = open_sender(&o);
  if (fd < 0) {
    return 1;
  }
  struct send_result res = {0};
  int rc = send_flow(fd, &o, run_id, &res);
  close(fd);
  if (rc < 0) {
    return 1;
  }
  printf("{\"role\":\"send\",\"sent\":%" PRIu64 ",\"send_errors\":%" PRIu64
         ",\"first_error\":\"%s\",\"seconds\":%.3f,\"pps\":%.1f,\"size\":%u}\n",
         res.sent, res.send_errors, res.send_errors ? strerror(res.first_errno) : "",
         (double)res.elapsed_ns / 1e9,
         res.elapsed_ns ? (double)res.sent * 1e9 / (double)res.elapsed_ns : 0.0, o.size);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage();
    return 2;
  }
  /* getopt_long starts at index 1, i.e. just after the verb. */
  if (strcmp(argv[1], "send") == 0) {
    return seqflow_send_main(argc - 1, argv + 1);
  }
  if (strcmp(argv[1], "recv") == 0) {
    return seqflow_recv_main(argc - 1, argv + 1);
  }
  usage();
  return 2;
}
