/* The IKEv2 engine of nicsecd: IKE and Child SAs, the exchanges, retransmission, and Child SA
 * installation through the offload HAL. It does no I/O of its own: the event loop (or a test,
 * or the fuzzer) hands it datagrams and the time, and it sends through a callback. That keeps
 * the whole protocol deterministic and testable with two engines in one process.
 *
 *   nd_engine_receive()  one IKE message (non-ESP marker already removed)
 *   nd_engine_tick()     timers: retransmission, DPD, half-open expiry
 *   nd_engine_next_timer()  when tick next has work
 */
#ifndef NICSEC_DAEMON_ENGINE_H
#define NICSEC_DAEMON_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "config.h"
#include "nicsec/hal.h"

struct nd_addr {
  int family; /* AF_INET / AF_INET6 */
  uint8_t ip[16];
  uint16_t port; /* host order */
};

struct nd_engine_io {
  void *ctx;
  /* Sends one IKE message from local (address and port) to remote. The transport prepends the
   * non-ESP marker when local->port is the NAT-T port. Returns 0 or -1. */
  int (*send)(void *ctx, const struct nd_addr *local, const struct nd_addr *remote,
              const uint8_t *msg, size_t len);
};

struct nd_engine;

/* hal: the device Child SAs are installed on (owned by the caller, must outlive the engine). */
struct nd_engine *nd_engine_new(const struct nd_engine_io *io, struct nicsec_hal_dev *hal);
/* Deletes every SA (HAL entries included) without telling peers, then frees. */
void nd_engine_free(struct nd_engine *e);

/* Takes ownership of *cfg (which is emptied). Existing SAs keep the configuration they were
 * created with; connections with start_action "start" that have no IKE SA are initiated. */
void nd_engine_load(struct nd_engine *e, struct nd_config *cfg, uint64_t now_ms);
const struct nd_config *nd_engine_config(const struct nd_engine *e);

void nd_engine_receive(struct nd_engine *e, uint64_t now_ms, const struct nd_addr *local,
                       const struct nd_addr *remote, const uint8_t *msg, size_t len);
void nd_engine_tick(struct nd_engine *e, uint64_t now_ms);
/* Absolute time (ms) of the next timer, or UINT64_MAX. */
uint64_t nd_engine_next_timer(const struct nd_engine *e);

/* Starts an IKE SA for the connection (with its first child, or the named one). */
int nd_engine_initiate(struct nd_engine *e, uint64_t now_ms, const char *conn, const char *child,
                       char *err, size_t err_len);
/* Deletes every IKE SA of the connection (INFORMATIONAL Delete to the peer). Returns the number
 * of IKE SAs being deleted, or -1 when the connection is unknown. */
int nd_engine_terminate(struct nd_engine *e, uint64_t now_ms, const char *conn, char *err,
                        size_t err_len);

/* Rekeying and deleting on demand (RFC 7296 1.3.2, 1.3.3, 1.4.1); lifetimes do the same on their
 * own. Each queues the work on every established IKE SA of the connection (child NULL: all its
 * Child SAs) and sends it when the request window is free. Return the number of SAs affected,
 * or -1 (err says why). */
int nd_engine_rekey_child(struct nd_engine *e, uint64_t now_ms, const char *conn,
                          const char *child, char *err, size_t err_len);
int nd_engine_rekey_ike(struct nd_engine *e, uint64_t now_ms, const char *conn, char *err,
                        size_t err_len);
/* Removes the Child SA from the HAL at once, then tells the peer (INFORMATIONAL Delete). */
int nd_engine_delete_child(struct nd_engine *e, uint64_t now_ms, const char *conn,
                           const char *child, char *err, size_t err_len);
/* A further Child SA on the established IKE SA (CREATE_CHILD_SA). Returns 0 or -1. */
int nd_engine_create_child(struct nd_engine *e, uint64_t now_ms, const char *conn,
                           const char *child, char *err, size_t err_len);

/* ---- read-only views for listings (no keys) ------------------------------------------------ */

struct nd_child_view {
  uint64_t id;
  const char *name;
  const char *state;  /* "INSTALLED", "REKEYED" (replaced, inbound draining), "DELETING",
                         "REDUNDANT" (rekey collision loser), "DELETED" */
  const char *mode;   /* "tunnel", "transport" */
  bool encap;         /* ESP in UDP */
  uint32_t spi_in, spi_out;
  uint32_t reqid;
  char proposal[96];
  char local_ts[ND_MAX_TS][64], remote_ts[ND_MAX_TS][64];
  size_t n_local_ts, n_remote_ts;
  uint64_t hal_in, hal_out; /* HAL handles */
  uint64_t installed_ms;
  const char *rekey;  /* how it was made: "initial" (IKE_AUTH or a new Child SA), "regular" or
                         "optimized" rekey (draft-ietf-ipsecme-ikev2-sa-ts-payloads-opt) */
};

struct nd_ike_view {
  uint64_t id;
  const char *conn;
  const char *state;
  bool initiator;
  uint64_t spi_i, spi_r;
  struct nd_addr local, remote;
  char local_id[128], remote_id[128];
  char proposal[96];
  bool nat_local, nat_remote;
  uint64_t created_ms, established_ms;
  uint32_t next_request_mid, expected_request_mid;
  size_t n_children;
};

typedef void (*nd_ike_visit_fn)(void *ctx, const struct nd_ike_view *ike,
                                const struct nd_child_view *children, size_t n_children);
/* Calls fn once per IKE SA, in creation order. */
void nd_engine_visit(const struct nd_engine *e, nd_ike_visit_fn fn, void *ctx);

/* Operator opt-in (nicsecd --export-esp-keys): every Child SA installed from now on is also
 * written to f as a Wireshark "esp_sa" table line, keys included, so a capture can be decrypted
 * independently. NULL stops it. The file is the operator's; nothing else ever shows keys. */
void nd_engine_export_esp_keys(struct nd_engine *e, FILE *f);

/* Counters for tests and status output. */
struct nd_engine_stats {
  uint64_t rx, tx, retransmits, dropped, invalid, auth_failures, cookies_sent;
  uint64_t ike_established, child_installed, child_install_failed;
  /* Counters of the SAs freed on the device (which forgets them at free): what crossed a
   * rekey stays countable after the old SAs are gone. */
  uint64_t retired_sas, retired_packets, retired_replay_drops, retired_auth_failures;
  size_t ike_sas, half_open;
  /* For `nicsecctl metrics` (control_device.c): error notifies by type (RFC 7296 3.10.1; the
   * types below ND_NOTIFY_COUNTED, index 0 collects any other), rekeys by kind and role,
   * handshakes (IKE_SA_INIT + IKE_AUTH) by result, failed HAL calls by enum nicsec_hal_err. */
#define ND_NOTIFY_COUNTED 64
#define ND_HAL_ERR_COUNTED 64
  uint64_t notify_sent[ND_NOTIFY_COUNTED], notify_received[ND_NOTIFY_COUNTED];
  uint64_t rekey_child_initiated, rekey_child_responded, rekey_ike_initiated, rekey_ike_responded;
  uint64_t handshakes_ok, handshakes_failed;
  uint64_t hal_errors[ND_HAL_ERR_COUNTED];
};
/* Counting points of the metrics above (engine.c). */
void nd_stats_notify(uint64_t counts[ND_NOTIFY_COUNTED], uint16_t type);
void nd_stats_hal_error(struct nd_engine_stats *s, int err);
void nd_engine_stats(const struct nd_engine *e, struct nd_engine_stats *out);

/* "192.0.2.1[500]" */
void nd_addr_format(const struct nd_addr *a, char *out, size_t len);
bool nd_addr_equal(const struct nd_addr *a, const struct nd_addr *b);
bool nd_addr_ip_equal(const struct nd_addr *a, const struct nd_addr *b);

#endif
