/* nicsecd: the nicsec IKEv2 daemon.
 *
 *   nicsecd -c /etc/nicsec/nicsecd.yaml [-s /run/nicsec/nicsecd.sock] [-l info] [-L file]
 *
 * Runs in the foreground; SIGHUP reloads the configuration, SIGTERM/SIGINT stop. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#ifdef NICSEC_WITH_SIM_BACKEND
#include "sim_backend.h"
#endif

#define DEFAULT_CONTROL "/run/nicsec/nicsecd.sock"

static void usage(FILE *f) {
  fprintf(f, "usage: nicsecd -c <config.yaml> [-s <control socket>] [-l error|warn|info|debug] "
             "[-L <log file>] [--export-esp-keys <file>]\n"
             "  default control socket: " DEFAULT_CONTROL "\n"
             "  --export-esp-keys writes every Child SA's ESP keys (Wireshark esp_sa lines) to\n"
             "  <file>, mode 0600: for debugging and independent decryption only.\n");
}

static int parse_args(int argc, char **argv, struct nd_daemon *d) {
  static const struct option longs[] = {{"config", required_argument, NULL, 'c'},
                                        {"control", required_argument, NULL, 's'},
                                        {"log-level", required_argument, NULL, 'l'},
                                        {"log-file", required_argument, NULL, 'L'},
                                        {"export-esp-keys", required_argument, NULL, 'K'},
                                        {"help", no_argument, NULL, 'h'},
                                        {NULL, 0, NULL, 0}};
  snprintf(d->control_path, sizeof d->control_path, "%s", DEFAULT_CONTROL);
  for (int opt; (opt = getopt_long(argc, argv, "c:s:l:L:K:h", longs, NULL)) != -1;) {
    switch (opt) {
    case 'c':
      snprintf(d->config_path, sizeof d->config_path, "%s", optarg);
      break;
    case 's':
      snprintf(d->control_path, sizeof d->control_path, "%s", optarg);
      break;
    case 'l':
      if (nd_log_level_parse(optarg) < 0) {
        fprintf(stderr, "nicsecd: unknown log level '%s'\n", optarg);
        return -1;
      }
      nd_log_set_level((enum nd_log_level)nd_log_level_parse(optarg));
      break;
    case 'L': {
      FILE *f = fopen(optarg, "a");
      if (!f) {
        perror(optarg);
        return -1;
      }
      nd_log_set_stream(f);
      break;
    }
    case 'K':
      snprintf(d->key_export_path, sizeof d->key_export_path, "%s", optarg);
      break;
    case 'h':
      usage(stdout);
      exit(0);
    default:
      usage(stderr);
      return -1;
    }
  }
  if (!d->config_path[0]) {
    usage(stderr);
    return -1;
  }
  return 0;
}

/* Backends outside the HAL core: the Verilated NIC ("sim") exists only in builds with the RTL
 * simulation, so a build without Verilator still has a daemon (soft, xfrm, mlx5). */
static enum nicsec_hal_err register_backends(void) {
#ifdef NICSEC_WITH_SIM_BACKEND
  return nicsec_hal_sim_register();
#else
  return NICSEC_HAL_OK;
#endif
}

static int open_hal(struct nd_daemon *d, const struct nd_config *cfg) {
  enum nicsec_hal_err rc = register_backends();
  if (rc == NICSEC_HAL_OK)
    rc = nicsec_hal_open(cfg->hal.backend, cfg->hal.args, &d->hal);
  if (rc != NICSEC_HAL_OK) {
    fprintf(stderr, "nicsecd: %s: hal backend '%s': %s\n", d->config_path, cfg->hal.backend,
            nicsec_hal_strerror(rc));
    return -1;
  }
  snprintf(d->hal_backend, sizeof d->hal_backend, "%s", cfg->hal.backend);
  return 0;
}

static FILE *open_key_export(const char *path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  FILE *f = fd >= 0 ? fdopen(fd, "a") : NULL;
  if (!f)
    fprintf(stderr, "nicsecd: --export-esp-keys %s: %s\n", path, strerror(errno));
  else
    ND_WARN("exporting ESP keys to %s (debugging only)", path);
  return f;
}

int main(int argc, char **argv) {
  static struct nd_daemon d;
  d.epoll_fd = d.signal_fd = d.control_fd = -1;
  for (int i = 0; i < ND_MAX_CLIENTS; i++)
    d.clients[i].fd = -1;
  if (parse_args(argc, argv, &d) != 0)
    return 2;
  struct nd_config cfg;
  struct nd_config_error err;
  if (nd_config_load_file(d.config_path, &cfg, &err) != 0) {
    char text[700];
    nd_config_error_format(&err, text, sizeof text);
    fprintf(stderr, "nicsecd: %s\n", text);
    return 1;
  }
  uint16_t ike_port = cfg.daemon.ike_port, natt_port = cfg.daemon.natt_port;
  if (open_hal(&d, &cfg) != 0) {
    nd_config_free(&cfg);
    return 1;
  }
  FILE *keys = d.key_export_path[0] ? open_key_export(d.key_export_path) : NULL;
  if (d.key_export_path[0] && !keys) {
    nd_config_free(&cfg);
    nicsec_hal_close(d.hal);
    return 1;
  }
  struct nd_engine_io io = {.ctx = &d, .send = nd_daemon_send};
  d.engine = nd_engine_new(&io, d.hal);
  if (d.engine && keys)
    nd_engine_export_esp_keys(d.engine, keys);
  d.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  int rc = 1;
  if (d.engine && d.epoll_fd >= 0 && nd_daemon_open_sockets(&d, ike_port, natt_port) == 0 &&
      nd_daemon_open_control(&d) == 0) {
    ND_INFO("nicsecd started: %zu connections, HAL '%s', control %s", cfg.n_conns,
            d.hal_backend, d.control_path);
    nd_engine_load(d.engine, &cfg, nd_now_ms()); /* after the sockets: start_action may send */
    rc = nd_daemon_run(&d) == 0 ? 0 : 1;
  } else {
    nd_config_free(&cfg);
  }
  nd_engine_free(d.engine);
  if (keys)
    fclose(keys);
  /* The device borrows our NAT-T sockets for ESP-in-UDP: it goes first. */
  nicsec_hal_close(d.hal);
  nd_daemon_close(&d);
  return rc;
}
