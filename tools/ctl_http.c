/* The metrics endpoint (see ctl_http.h). */
#include "ctl_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Splits "host:port" / "[v6]:port"; host may be empty (loopback). */
static bool split_spec(const char *spec, char *host, size_t host_len, unsigned long *port) {
  const char *colon = strrchr(spec, ':');
  if (!colon)
    return false;
  const char *h = spec;
  size_t n = (size_t)(colon - spec);
  if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
    h++;
    n -= 2;
  }
  if (n >= host_len)
    return false;
  memcpy(host, h, n);
  host[n] = '\0';
  char *end;
  errno = 0;
  *port = strtoul(colon + 1, &end, 10);
  return errno == 0 && colon[1] && !*end && *port > 0 && *port < 65536;
}

static bool to_sockaddr(const char *host, unsigned long port, struct sockaddr_storage *ss,
                        socklen_t *len, bool *loopback) {
  struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
  memset(ss, 0, sizeof *ss);
  if (inet_pton(AF_INET, host[0] ? host : "127.0.0.1", &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
    *len = sizeof *v4;
    *loopback = (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
    return true;
  }
  if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)port);
    *len = sizeof *v6;
    *loopback = IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
    return true;
  }
  return false;
}

int ctl_http_listen(const char *spec, bool allow_remote) {
  char host[INET6_ADDRSTRLEN + 2];
  unsigned long port;
  struct sockaddr_storage ss;
  socklen_t len;
  bool loopback;
  if (!split_spec(spec, host, sizeof host, &port) ||
      !to_sockaddr(host, port, &ss, &len, &loopback)) {
    fprintf(stderr, "nicsecctl: --listen wants address:port (e.g. 127.0.0.1:9720), not '%s'\n",
            spec);
    return -1;
  }
  if (!loopback && !allow_remote) {
    fprintf(stderr, "nicsecctl: %s is not a loopback address; add --allow-remote to expose "
                    "metrics beyond this host\n",
            host);
    return -1;
  }
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
  if (fd >= 0)
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 16) != 0) {
    fprintf(stderr, "nicsecctl: cannot listen on %s: %s\n", spec, strerror(errno));
    if (fd >= 0)
      close(fd);
    return -1;
  }
  return fd;
}

/* Reads the request head (bounded) and says whether it asks for GET /metrics. */
static bool wants_metrics(int fd) {
  char req[2048];
  size_t used = 0;
  while (used < sizeof req - 1) {
    ssize_t n = read(fd, req + used, sizeof req - 1 - used);
    if (n <= 0)
      break;
    used += (size_t)n;
    req[used] = '\0';
    if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
      break;
  }
  req[used] = '\0';
  return strncmp(req, "GET /metrics ", 13) == 0 || strncmp(req, "GET /metrics?", 13) == 0;
}

static void respond(int fd, const char *status, const char *type, const char *body, size_t len) {
  char head[256];
  int n = snprintf(head, sizeof head,
                   "HTTP/1.0 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                   "Connection: close\r\n\r\n",
                   status, type, len);
  if (write(fd, head, (size_t)n) == n && len)
    (void)!write(fd, body, len);
}

static void answer(int fd, ctl_http_body_fn body, void *ctx) {
  if (!wants_metrics(fd)) {
    respond(fd, "404 Not Found", "text/plain", "only /metrics here\n", 19);
    return;
  }
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  bool ok = f && body(ctx, f);
  if (f)
    fclose(f);
  if (ok)
    respond(fd, "200 OK", "text/plain; version=0.0.4", text, len);
  else
    respond(fd, "503 Service Unavailable", "text/plain", "nicsecd did not answer\n", 23);
  free(text);
}

int ctl_http_serve(int fd, unsigned long max_requests, ctl_http_body_fn body, void *ctx) {
  for (unsigned long served = 0; max_requests == 0 || served < max_requests; served++) {
    int client = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
    if (client < 0) {
      if (errno == EINTR)
        continue;
      fprintf(stderr, "nicsecctl: accept: %s\n", strerror(errno));
      return 1;
    }
    struct timeval tv = {.tv_sec = 5};
    setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    answer(client, body, ctx);
    close(client);
  }
  return 0;
}
