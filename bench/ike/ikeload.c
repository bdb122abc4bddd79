/* ikeload: an IKEv2 load generator. Runs many concurrent initiator handshakes (IKE_SA_INIT +
 * IKE_AUTH with PSK, one Child SA; see ikeload_hs.h) against one responder over UDP, each with its
 * own SPIi, and reports the completion rate, the setup latency distribution (first IKE_SA_INIT
 * sent -> IKE_AUTH response received) and the retransmissions it needed.
 *
 * Where the time goes, so a slow run can be told from a slow generator: per completed handshake
 * the IKE_SA_INIT round trip, our own time from its response to the IKE_AUTH request (X25519,
 * keys, AUTH; queued behind the rest of the receive batch), and the IKE_AUTH round trip; how
 * late new handshakes started against the --rate schedule; our CPU time.
 *
 *   ikeload --target 192.0.2.2 --count 5000 [--concurrency 64] [--rate 0 (= as fast as the
 *           window allows)] [--port 500] [--timeout-ms 1000] [--tries 4] [--psk S] [--id ID]
 *           (ID: IDi; "%u" in it is replaced by the handshake's number: one peer each)
 *           [--local-net A] [--remote-net A] [--natt: claim a NAT, IKE_AUTH on 4500]
 * Next to last line: ikeload_phases: init_p50_ms=... init_p99_ms=... local_p50_ms=...
 *            local_p99_ms=... auth_p50_ms=... auth_p99_ms=... start_lag_p99_ms=...
 *            cpu_us_per_hs=... cpu_load=... rx_batch_mean=... rx_batch_max=...
 * Last line: ikeload: completed=... failed=... elapsed_s=... rate=... p50_ms=... p99_ms=...
 *            retransmits=... */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include <openssl/rand.h>

#include "ikeload_hs.h"

enum { RX_BATCH = 64, MAX_DATAGRAM = 65536, SOCKET_BUFFER = 8 << 20 };
enum { NATT_PORT = 4500, NON_ESP_MARKER = 4 };

struct options {
  const char *target, *psk, *id, *local_net, *remote_net;
  bool natt;
  unsigned port, count, concurrency, timeout_ms, tries;
  double rate; /* new handshakes per second; 0 = keep the window full */
};

struct slot {
  struct hs hs;
  bool active;
  unsigned tries;
  double started, sent;            /* seconds, CLOCK_MONOTONIC */
  double init_answered, auth_sent; /* IKE_SA_INIT response in, IKE_AUTH request out */
};

/* Per completed handshake (init, local, auth: the phases of its latency) or started one (lag). */
struct phases {
  double *init_ms, *local_ms, *auth_ms, *lag_ms;
  unsigned n_lag;
  unsigned long rx_batches, rx_datagrams;
  unsigned rx_batch_max;
};

struct run {
  struct options opt;
  struct hs_profile profile;
  int fd;
  struct sockaddr_in to;
  struct slot *slots;
  unsigned *free_slots, n_free;
  unsigned started, completed, failed, retransmits;
  double *latency_ms;
  struct phases ph;
  double t0, last_retransmit_check;
  uint32_t spi_high; /* random per run: SPIi = spi_high | slot number */
};

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void usage(void) {
  fprintf(stderr, "usage: ikeload --target IP --count N [--concurrency C] [--rate R] [--port P]\n"
                  "               [--timeout-ms T] [--tries K] [--psk S] [--id ID]\n"
                  "               [--local-net A] [--remote-net A]\n");
  exit(2);
}

static struct options parse_options(int argc, char **argv) {
  struct options o = {.psk = "nicsec bench pre-shared key",
                      .id = "left@example.test",
                      .local_net = "198.51.100.1",
                      .remote_net = "203.0.113.1",
                      .port = 500,
                      .concurrency = 64,
                      .timeout_ms = 1000,
                      .tries = 4};
  static const struct option longs[] = {
      {"target", 1, NULL, 't'},    {"count", 1, NULL, 'n'},      {"concurrency", 1, NULL, 'c'},
      {"rate", 1, NULL, 'r'},      {"port", 1, NULL, 'p'},       {"timeout-ms", 1, NULL, 'T'},
      {"tries", 1, NULL, 'k'},     {"psk", 1, NULL, 's'},        {"id", 1, NULL, 'i'},
      {"local-net", 1, NULL, 'L'}, {"remote-net", 1, NULL, 'R'}, {"natt", 0, NULL, 'N'},
      {NULL, 0, NULL, 0}};
  int ch;
  while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
    switch (ch) {
    case 't':
      o.target = optarg;
      break;
    case 'n':
      o.count = (unsigned)strtoul(optarg, NULL, 10);
      break;
    case 'c':
      o.concurrency = (unsigned)strtoul(optarg, NULL, 10);
      break;
    case 'r':
      o.rate = strtod(optarg, NULL);
      break;
    case 'p':
      o.port = (unsigned)strtoul(optarg, NULL, 10);
      break;
    case 'T':
      o.timeout_ms = (unsigned)strtoul(optarg, NULL, 10);
      break;
    case 'k':
      o.tries = (unsigned)strtoul(optarg, NULL, 10);
      break;
    case 's':
      o.psk = optarg;
      break;
    case 'i':
      o.id = optarg;
      break;
    case 'L':
      o.local_net = optarg;
      break;
    case 'R':
      o.remote_net = optarg;
      break;
    case 'N':
      o.natt = true;
      break;
    default:
      usage();
    }
  }
  if (!o.target || !o.count || !o.concurrency || o.concurrency > 65535)
    usage();
  return o;
}

static int open_socket(struct run *r) {
  r->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (r->fd < 0)
    return -1;
  int size = SOCKET_BUFFER;
  /* FORCE (root) goes past net.core.rmem_max: replies to a burst must not be lost here. */
  if (setsockopt(r->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
    setsockopt(r->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  r->to = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)r->opt.port)};
  return inet_pton(AF_INET, r->opt.target, &r->to.sin_addr) == 1 ? 0 : -1;
}

static void send_request(struct run *r, struct slot *s, double now) {
  static const uint8_t marker[NON_ESP_MARKER];
  bool natt = hs_natt_port(&s->hs, &r->profile);
  struct sockaddr_in to = r->to;
  if (natt)
    to.sin_port = htons(NATT_PORT);
  struct iovec iov[2] = {{(void *)marker, sizeof marker}, {s->hs.request, s->hs.request_len}};
  struct msghdr mh = {.msg_name = &to,
                      .msg_namelen = sizeof to,
                      .msg_iov = natt ? iov : iov + 1,
                      .msg_iovlen = natt ? 2 : 1};
  s->sent = now;
  if (sendmsg(r->fd, &mh, 0) < 0 && errno != EAGAIN)
    perror("sendmsg");
}

static void finish(struct run *r, unsigned index, double now) {
  struct slot *s = &r->slots[index];
  if (s->hs.state == HS_DONE) {
    r->ph.init_ms[r->completed] = (s->init_answered - s->started) * 1e3;
    r->ph.local_ms[r->completed] = (s->auth_sent - s->init_answered) * 1e3;
    r->ph.auth_ms[r->completed] = (now - s->auth_sent) * 1e3;
    r->latency_ms[r->completed++] = (now - s->started) * 1e3;
  } else {
    if (r->failed++ < 5)
      fprintf(stderr, "handshake failed: %s\n", s->hs.error ? s->hs.error : "no answer");
  }
  hs_clear(&s->hs);
  s->active = false;
  r->free_slots[r->n_free++] = index;
}

static void start_one(struct run *r, double now) {
  unsigned index = r->free_slots[--r->n_free];
  struct slot *s = &r->slots[index];
  uint64_t spi = (uint64_t)r->spi_high << 32 | (uint64_t)(r->started & 0xffff) << 16 | index;
  unsigned seq = r->started++;
  *s = (struct slot){.active = true, .started = now};
  if (hs_start(&s->hs, &r->profile, spi, seq) != 0) {
    finish(r, index, now);
    return;
  }
  send_request(r, s, now);
}

/* When the next handshake is due by the --rate schedule (t0 + n / rate); 0 without a rate. */
static double next_due(const struct run *r) {
  return r->opt.rate > 0 ? r->t0 + r->started / r->opt.rate : 0;
}

/* Starts what the schedule says is due. A start the window held back or the generator was too
 * busy for is late: it is counted as such, not silently rescheduled. */
static void start_due(struct run *r) {
  double now = now_s();
  while (r->started < r->opt.count && r->n_free > 0 && now >= next_due(r)) {
    if (r->opt.rate > 0)
      r->ph.lag_ms[r->ph.n_lag++] = (now - next_due(r)) * 1e3;
    start_one(r, now);
  }
}

static void retransmit_due(struct run *r, double now) {
  double timeout = r->opt.timeout_ms / 1e3;
  for (unsigned i = 0; i < r->opt.concurrency; i++) {
    struct slot *s = &r->slots[i];
    if (!s->active || now - s->sent < timeout)
      continue;
    if (++s->tries > r->opt.tries) {
      s->hs.state = HS_FAILED;
      finish(r, i, now);
      continue;
    }
    r->retransmits++;
    send_request(r, s, now);
  }
}

static void on_datagram(struct run *r, const uint8_t *data, size_t len, double now) {
  /* From 4500 IKE comes behind four zero octets; an IKE message never starts with them (the
   * initiator SPI is not zero). */
  if (len >= NON_ESP_MARKER && memcmp(data, "\0\0\0\0", NON_ESP_MARKER) == 0) {
    data += NON_ESP_MARKER;
    len -= NON_ESP_MARKER;
  }
  if (len < 28)
    return;
  unsigned index = (unsigned)data[6] << 8 | data[7]; /* low 16 bits of SPIi */
  if (index >= r->opt.concurrency || !r->slots[index].active)
    return;
  struct slot *s = &r->slots[index];
  if (hs_receive(&s->hs, &r->profile, data, len)) {
    s->tries = 0;
    s->init_answered = now;
    s->auth_sent = now_s();
    send_request(r, s, s->auth_sent);
  } else if (s->hs.state == HS_DONE || s->hs.state == HS_FAILED)
    finish(r, index, now);
}

static void receive_batch(struct run *r) {
  static uint8_t bufs[RX_BATCH][MAX_DATAGRAM];
  struct mmsghdr msgs[RX_BATCH];
  struct iovec iovs[RX_BATCH];
  for (int i = 0; i < RX_BATCH; i++) {
    iovs[i] = (struct iovec){bufs[i], MAX_DATAGRAM};
    msgs[i].msg_hdr = (struct msghdr){.msg_iov = &iovs[i], .msg_iovlen = 1};
  }
  int n;
  while ((n = recvmmsg(r->fd, msgs, RX_BATCH, MSG_DONTWAIT, NULL)) > 0) {
    double now = now_s();
    r->ph.rx_batches++;
    r->ph.rx_datagrams += (unsigned)n;
    if ((unsigned)n > r->ph.rx_batch_max)
      r->ph.rx_batch_max = (unsigned)n;
    for (int i = 0; i < n; i++)
      on_datagram(r, bufs[i], msgs[i].msg_len, now);
    start_due(r); /* the schedule does not wait for a long receive queue */
  }
}

static int compare_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Sorts v and returns its q-quantile (q in [0, 1)); 0 for an empty set. */
static double quantile(double *v, size_t n, double q) {
  if (n == 0)
    return 0;
  qsort(v, n, sizeof *v, compare_double);
  return v[(size_t)((double)n * q)];
}

static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

/* Sleeps until a datagram arrives or the next start is due, at most a millisecond (the
 * retransmission check): poll()'s whole milliseconds turned a smooth rate into bursts. */
static void wait_for_work(const struct run *r) {
  double wait = 1e-3;
  if (r->opt.rate > 0 && r->started < r->opt.count && r->n_free > 0) {
    double until_due = next_due(r) - now_s();
    wait = until_due < 0 ? 0 : until_due < wait ? until_due : wait;
  }
  struct timespec ts = {0, (long)(wait * 1e9)};
  struct pollfd pfd = {.fd = r->fd, .events = POLLIN};
  ppoll(&pfd, 1, &ts, NULL);
}

static void report(struct run *r, double elapsed, double cpu) {
  struct phases *ph = &r->ph;
  size_t n = r->completed;
  printf("ikeload_phases: init_p50_ms=%.2f init_p99_ms=%.2f local_p50_ms=%.2f local_p99_ms=%.2f "
         "auth_p50_ms=%.2f auth_p99_ms=%.2f start_lag_p99_ms=%.2f cpu_us_per_hs=%.0f "
         "cpu_load=%.2f rx_batch_mean=%.1f rx_batch_max=%u\n",
         quantile(ph->init_ms, n, 0.5), quantile(ph->init_ms, n, 0.99),
         quantile(ph->local_ms, n, 0.5), quantile(ph->local_ms, n, 0.99),
         quantile(ph->auth_ms, n, 0.5), quantile(ph->auth_ms, n, 0.99),
         quantile(ph->lag_ms, ph->n_lag, 0.99), n ? cpu * 1e6 / (double)n : 0, cpu / elapsed,
         ph->rx_batches ? (double)ph->rx_datagrams / (double)ph->rx_batches : 0,
         ph->rx_batch_max);
  printf("ikeload: completed=%u failed=%u elapsed_s=%.3f rate=%.1f p50_ms=%.2f p99_ms=%.2f "
         "retransmits=%u\n",
         r->completed, r->failed, elapsed, r->completed / elapsed,
         quantile(r->latency_ms, n, 0.5), quantile(r->latency_ms, n, 0.99), r->retransmits);
}

static void run_loop(struct run *r) {
  double cpu0 = cpu_seconds();
  r->t0 = now_s();
  while (r->completed + r->failed < r->opt.count) {
    start_due(r);
    double now = now_s();
    if (now - r->last_retransmit_check >= 1e-3) {
      r->last_retransmit_check = now;
      retransmit_due(r, now);
    }
    wait_for_work(r);
    receive_batch(r);
  }
  report(r, now_s() - r->t0, cpu_seconds() - cpu0);
}

int main(int argc, char **argv) {
  struct run r = {.opt = parse_options(argc, argv)};
  int rc = hs_profile_init(&r.profile, r.opt.psk, r.opt.id, r.opt.local_net, r.opt.remote_net);
  r.profile.natt = r.opt.natt;
  if (rc != 0 || open_socket(&r) != 0 ||
      RAND_bytes((uint8_t *)&r.spi_high, sizeof r.spi_high) != 1) {
    fprintf(stderr, "ikeload: setup failed\n");
    return 1;
  }
  r.slots = calloc(r.opt.concurrency, sizeof *r.slots);
  r.free_slots = calloc(r.opt.concurrency, sizeof *r.free_slots);
  r.latency_ms = calloc(r.opt.count, sizeof *r.latency_ms);
  r.ph.init_ms = calloc(r.opt.count, sizeof *r.ph.init_ms);
  r.ph.local_ms = calloc(r.opt.count, sizeof *r.ph.local_ms);
  r.ph.auth_ms = calloc(r.opt.count, sizeof *r.ph.auth_ms);
  r.ph.lag_ms = calloc(r.opt.count, sizeof *r.ph.lag_ms);
  if (!r.slots || !r.free_slots || !r.latency_ms || !r.ph.init_ms || !r.ph.local_ms ||
      !r.ph.auth_ms || !r.ph.lag_ms)
    return 1;
  for (unsigned i = 0; i < r.opt.concurrency; i++)
    r.free_slots[r.n_free++] = r.opt.concurrency - 1 - i;
  run_loop(&r);
  hs_profile_free(&r.profile);
  free(r.slots);
  free(r.free_slots);
  free(r.latency_ms);
  free(r.ph.init_ms);
  free(r.ph.local_ms);
  free(r.ph.auth_ms);
  free(r.ph.lag_ms);
  return r.failed ? 1 : 0;
}
