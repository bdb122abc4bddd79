/* Internal to the configuration loader: the YAML document exactly as libcyaml loads it, before
 * validation. Optional scalars are pointers (NULL = absent) so defaults are applied knowingly. */
#ifndef NICSEC_DAEMON_CONFIG_RAW_H
#define NICSEC_DAEMON_CONFIG_RAW_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

struct raw_endpoint {
  char *id;
  enum nd_auth_method *auth;
  char **certs;
  unsigned n_certs;
  char *key;
  char **cacerts;
  unsigned n_cacerts;
};

struct raw_child {
  char *name;
  char **local_ts;
  unsigned n_local_ts;
  char **remote_ts;
  unsigned n_remote_ts;
  char **esp_proposals;
  unsigned n_esp_proposals;
  enum nd_child_mode *mode;
  enum nd_start_action *start_action;
  uint32_t *replay_window;
  uint32_t *rekey_time, *life_time, *rand_time;
  uint64_t *rekey_bytes, *life_bytes, *rekey_packets, *life_packets;
};

struct raw_conn {
  char *name;
  char *local_addr;
  char *remote_addr;
  uint16_t *remote_port;
  char **proposals;
  unsigned n_proposals;
  bool *encap;
  bool *fragmentation;
  uint32_t *dpd_delay;
  uint32_t *rekey_time;
  uint32_t *reauth_time;
  bool *optimized_rekey;
  bool *child_pfs_info;
  struct raw_endpoint *local;
  struct raw_endpoint *remote;
  struct raw_child *children;
  unsigned n_children;
};

struct raw_secret {
  char **ids;
  unsigned n_ids;
  char *secret;
};

struct raw_daemon {
  uint16_t *ike_port;
  uint16_t *natt_port;
  uint32_t *retransmit_timeout_ms;
  uint32_t *retransmit_tries;
  uint32_t *half_open_threshold;
  uint32_t *fragment_size;
  uint32_t *inbound_drain_ms;
  uint16_t *notify_optimized_rekey_supported, *notify_optimized_rekey;
  uint16_t *notify_child_pfs_info_supported;
};

struct raw_hal {
  char *backend;
  char *args;
};

struct raw_root {
  struct raw_daemon *daemon;
  struct raw_hal *hal;
  struct raw_conn *connections;
  unsigned n_connections;
  struct raw_secret *secrets;
  unsigned n_secrets;
};

/* Loads text against the schema. On failure fills err (line and field from libcyaml's
 * backtrace) and returns -1. */
int nd_raw_load(const char *name, const char *text, size_t len, struct raw_root **out,
                struct nd_config_error *err);
void nd_raw_free(struct raw_root *root);

#endif
