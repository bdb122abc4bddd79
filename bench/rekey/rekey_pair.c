/* Two engines over loopback UDP sockets with soft HAL devices (see rekey_pair.h). */
#include "rekey_pair.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char *const side_ip[2] = {"127.0.0.1", "127.0.0.2"};
static const char *const side_net[2] = {"198.51.100.1/32", "203.0.113.1/32"};

uint64_t rk_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

double rk_thread_cpu_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int rk_pair_rekey(struct rk_pair *p, int side, char *err, size_t err_len) {
  double t0 = rk_thread_cpu_s();
  int rc = nd_engine_rekey_child(p->eng[side], rk_now_ms(), "peer", "net", err, err_len);
  p->engine_cpu_s += rk_thread_cpu_s() - t0;
  return rc;
}

static int side_of(const struct rk_pair *p, const struct nd_addr *a) {
  return nd_addr_ip_equal(a, &p->addr[0]) ? 0 : 1;
}

static int rk_send(void *ctx, const struct nd_addr *local, const struct nd_addr *remote,
                   const uint8_t *msg, size_t len) {
  struct rk_pair *p = ctx;
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(remote->port)};
  memcpy(&to.sin_addr, remote->ip, 4);
  ssize_t n = sendto(p->fd[side_of(p, local)], msg, len, 0, (struct sockaddr *)&to, sizeof to);
  return n == (ssize_t)len ? 0 : -1;
}

static void write_config(char *buf, size_t cap, int side, uint16_t port, const char *esp,
                         uint32_t drain_ms) {
  snprintf(buf, cap,
           "daemon:\n"
           "  ike_port: %u\n"
           "  natt_port: %u\n"
           "  retransmit_timeout_ms: 500\n"
           "  inbound_drain_ms: %u\n"
           "hal:\n"
           "  backend: soft\n"
           "connections:\n"
           "  - name: peer\n"
           "    local_addr: %s\n"
           "    remote_addr: %s\n"
           "    remote_port: %u\n"
           "    proposals: [aes256gcm16-prfsha256-x25519]\n"
           "    rekey_time: 0\n"
           "    local: { id: side%d@example.test }\n"
           "    remote: { id: side%d@example.test }\n"
           "    children:\n"
           "      - name: net\n"
           "        local_ts: [%s]\n"
           "        remote_ts: [%s]\n"
           "        esp_proposals: [%s]\n"
           "        rekey_time: 0\n"
           "        life_time: 0\n"
           "secrets:\n"
           "  - ids: [side0@example.test, side1@example.test]\n"
           "    secret: \"rekey benchmark pre-shared key\"\n",
           port, port + 1u, drain_ms, side_ip[side], side_ip[1 - side], port, side, 1 - side,
           side_net[side], side_net[1 - side], esp);
}

static int open_socket(const char *ip, uint16_t port) {
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, ip, &sin.sin_addr);
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd >= 0 && bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0)
    return fd;
  fprintf(stderr, "rekey_pair: bind %s:%u: %s\n", ip, port, strerror(errno));
  if (fd >= 0)
    close(fd);
  return -1;
}

static bool open_side(struct rk_pair *p, int side, uint16_t port, const char *esp,
                      uint32_t drain_ms) {
  char yaml[2048];
  struct nd_config cfg;
  struct nd_config_error err;
  write_config(yaml, sizeof yaml, side, port, esp, drain_ms);
  if (nd_config_load_text("rekey-bench.yaml", yaml, strlen(yaml), &cfg, &err) != 0) {
    char text[512];
    nd_config_error_format(&err, text, sizeof text);
    fprintf(stderr, "rekey_pair: %s\n", text);
    return false;
  }
  p->addr[side] = (struct nd_addr){.family = AF_INET, .port = port};
  inet_pton(AF_INET, side_ip[side], p->addr[side].ip);
  p->fd[side] = open_socket(side_ip[side], port);
  /* A small SA table: the traffic generator walks it after every IKE event. */
  if (p->fd[side] < 0 || nicsec_hal_open("soft", "max_sa=256", &p->hal[side]) != NICSEC_HAL_OK) {
    nd_config_free(&cfg);
    return false;
  }
  struct nd_engine_io io = {.ctx = p, .send = rk_send};
  p->eng[side] = nd_engine_new(&io, p->hal[side]);
  nd_engine_load(p->eng[side], &cfg, rk_now_ms());
  return p->eng[side] != NULL;
}

bool rk_pair_open(struct rk_pair *p, uint16_t port, const char *esp, uint32_t drain_ms) {
  memset(p, 0, sizeof *p);
  p->fd[0] = p->fd[1] = -1;
  nd_log_set_stream(getenv("NICSEC_BENCH_LOG") ? stderr : NULL);
  return open_side(p, 0, port, esp, drain_ms) && open_side(p, 1, port, esp, drain_ms);
}

void rk_pair_close(struct rk_pair *p) {
  for (int i = 0; i < 2; i++) {
    if (p->eng[i])
      nd_engine_free(p->eng[i]);
    if (p->hal[i])
      nicsec_hal_close(p->hal[i]);
    if (p->fd[i] >= 0)
      close(p->fd[i]);
  }
  memset(p, 0, sizeof *p);
}

static void fire(struct rk_pair *p) {
  if (p->on_event)
    p->on_event(p->event_ctx);
}

static size_t drain_socket(struct rk_pair *p, int side) {
  static uint8_t buf[65536];
  size_t delivered = 0;
  for (;;) {
    struct sockaddr_in from;
    socklen_t from_len = sizeof from;
    ssize_t n = recvfrom(p->fd[side], buf, sizeof buf, 0, (struct sockaddr *)&from, &from_len);
    if (n < 0)
      return delivered;
    struct nd_addr remote = {.family = AF_INET, .port = ntohs(from.sin_port)};
    memcpy(remote.ip, &from.sin_addr, 4);
    double t0 = rk_thread_cpu_s();
    nd_engine_receive(p->eng[side], rk_now_ms(), &p->addr[side], &remote, buf, (size_t)n);
    p->engine_cpu_s += rk_thread_cpu_s() - t0;
    p->ike_messages++;
    delivered++;
    fire(p);
  }
}

size_t rk_pair_pump(struct rk_pair *p, int wait_ms) {
  struct pollfd pfd[2] = {{.fd = p->fd[0], .events = POLLIN}, {.fd = p->fd[1], .events = POLLIN}};
  uint64_t now = rk_now_ms(), next = nd_engine_next_timer(p->eng[0]);
  uint64_t next1 = nd_engine_next_timer(p->eng[1]);
  next = next1 < next ? next1 : next;
  if (next <= now)
    wait_ms = 0;
  else if (next - now < (uint64_t)wait_ms)
    wait_ms = (int)(next - now);
  size_t delivered = 0;
  if (poll(pfd, 2, wait_ms) > 0)
    delivered = drain_socket(p, 0) + drain_socket(p, 1);
  now = rk_now_ms();
  fire(p); /* the wire moves on before timers (drain ends) fire */
  for (int i = 0; i < 2; i++)
    if (nd_engine_next_timer(p->eng[i]) <= now) {
      double t0 = rk_thread_cpu_s();
      nd_engine_tick(p->eng[i], now);
      p->engine_cpu_s += rk_thread_cpu_s() - t0;
      fire(p);
    }
  return delivered;
}

struct child_scan {
  int established;
  int installed;
  struct rk_child child;
};

static void scan(void *ctx, const struct nd_ike_view *ike, const struct nd_child_view *children,
                 size_t n_children) {
  struct child_scan *s = ctx;
  if (strcmp(ike->state, "ESTABLISHED") != 0)
    return;
  s->established++;
  s->child.n_children = n_children;
  for (size_t i = 0; i < n_children; i++)
    if (strcmp(children[i].state, "INSTALLED") == 0) {
      s->installed++;
      s->child.spi_in = children[i].spi_in;
      s->child.spi_out = children[i].spi_out;
    }
}

bool rk_pair_child(const struct rk_pair *p, int side, struct rk_child *out) {
  struct child_scan s = {0};
  nd_engine_visit(p->eng[side], scan, &s);
  *out = s.child;
  return s.established == 1 && s.installed == 1;
}

bool rk_pair_agree(const struct rk_pair *p, uint32_t *spi_in0) {
  struct rk_child c0, c1;
  if (!rk_pair_child(p, 0, &c0) || !rk_pair_child(p, 1, &c1))
    return false;
  *spi_in0 = c0.spi_in;
  return c0.spi_in == c1.spi_out && c0.spi_out == c1.spi_in;
}
