/* The nicsecd process: configuration file, HAL device, engine, sockets and the control channel,
 * driven by one single-threaded epoll loop (loop.c). */
#ifndef NICSEC_DAEMON_DAEMON_H
#define NICSEC_DAEMON_DAEMON_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine.h"

enum { ND_MAX_SOCKETS = 4, ND_MAX_CLIENTS = 16, ND_CLIENT_BUF = 8192 };

struct nd_ctl_stream;

struct nd_client {
  int fd;
  size_t len;
  char buf[ND_CLIENT_BUF];
  struct nd_ctl_stream *out; /* the answer being sent (requests wait meanwhile), or NULL */
  uint64_t out_progress_ms;  /* when the answer last moved: a stalled reader is dropped */
};

struct nd_daemon {
  char config_path[4096];
  char control_path[4096];
  char key_export_path[4096];
  struct nicsec_hal_dev *hal;
  char hal_backend[64];
  struct nd_engine *engine;
  int epoll_fd;
  int signal_fd;
  int ike_fds[ND_MAX_SOCKETS]; /* UDP: v4/v6 x IKE port / NAT-T port */
  uint16_t ike_ports[ND_MAX_SOCKETS];
  int ike_families[ND_MAX_SOCKETS]; /* AF_INET / AF_INET6 of each, known without a syscall */
  int n_ike_fds;
  uint16_t natt_port;
  int control_fd;
  struct nd_client clients[ND_MAX_CLIENTS];
  bool stop;
  uint64_t natt_keepalives, esp_unhandled;
};

/* Monotonic milliseconds. */
uint64_t nd_now_ms(void);

/* control.c: one JSON request -> one JSON response (never NULL). */
json_t *nd_control_handle(struct nd_daemon *d, const json_t *request);
/* One request line from control connection fd -> its answer line, to be sent with
 * nd_ctl_stream_pump; NULL when out of memory. nd_ctl_stream_free wipes it (it may carry keys). */
struct nd_ctl_stream *nd_control_start(struct nd_daemon *d, int fd, const char *line);
enum nd_ctl_progress { ND_CTL_SENT, ND_CTL_MORE, ND_CTL_BROKEN };
/* Sends what the non-blocking socket takes (a bounded amount per call): SENT when the whole
 * answer is out, MORE when the caller should come back once fd is writable, BROKEN when the
 * client is gone. */
enum nd_ctl_progress nd_ctl_stream_pump(struct nd_ctl_stream *s, int fd);
void nd_ctl_stream_free(struct nd_ctl_stream *s);
/* The IKE and Child SAs of an engine as JSON (keys never included). */
json_t *nd_sas_json(const struct nd_engine *e);
/* Loads the configuration file again; *err_text gets the formatted error. */
int nd_daemon_reload(struct nd_daemon *d, const char *path, char *err_text, size_t len);

/* loop.c */
int nd_daemon_open_sockets(struct nd_daemon *d, uint16_t ike_port, uint16_t natt_port);
int nd_daemon_open_control(struct nd_daemon *d);
int nd_daemon_run(struct nd_daemon *d);
/* The engine's send callback (ctx = the daemon): picks the socket of local's family and port,
 * sends from local's address and prepends the non-ESP marker on the NAT-T port. */
int nd_daemon_send(void *ctx, const struct nd_addr *local, const struct nd_addr *remote,
                   const uint8_t *msg, size_t len);
void nd_daemon_close(struct nd_daemon *d);

#endif
