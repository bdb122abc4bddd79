/* nicsecd configuration: a YAML file (loaded with libcyaml) turned into validated structures.
 *
 *   daemon:                      # all optional
 *     ike_port: 500
 *     natt_port: 4500
 *     retransmit_timeout_ms: 1000   # first retransmission; doubles each time
 *     retransmit_tries: 5
 *     half_open_threshold: 100      # half-open IKE SAs before cookies are demanded (0 = always)
 *     fragment_size: 1280           # largest IP datagram of an IKE fragment (RFC 7383)
 *     inbound_drain_ms: 2000        # a rekeyed inbound SA keeps receiving this long
 *     # Private-use Notify types of drafts without IANA values (40960-65535, distinct):
 *     notify_optimized_rekey_supported: 50400
 *     notify_optimized_rekey: 50401
 *     notify_child_pfs_info_supported: 50600
 *   hal:
 *     backend: soft                 # a name registered with the offload HAL
 *     args: ""
 *   connections:
 *     - name: peer
 *       local_addr: 192.0.2.2
 *       remote_addr: 192.0.2.1       # or %any (responder only)
 *       proposals: [aes256gcm16-prfsha256-x25519]
 *       encap: false                 # force UDP encapsulation (pretend a NAT)
 *       fragmentation: true          # offer/accept IKE fragmentation (RFC 7383)
 *       dpd_delay: 30                # seconds of silence before a liveness check; 0 = off
 *       rekey_time: 14400            # IKE SA rekey, seconds (0 = never)
 *       reauth_time: 0               # make-before-break reauthentication, seconds (0 = never)
 *       optimized_rekey: false       # draft-ietf-ipsecme-ikev2-sa-ts-payloads-opt
 *       child_pfs_info: false        # draft-ietf-ipsecme-child-pfs-info
 *       local:  { id: right@example.test, auth: psk }
 *       remote: { id: left@example.test, auth: psk }
 *       # or certificates (RFC 7427 signatures; files are PEM, relative to this file):
 *       # local:  { auth: pubkey, certs: [right.pem], key: right.key, id: right.example.test }
 *       # remote: { auth: pubkey, cacerts: [ca.pem], id: left.example.test }
 *       children:
 *         - name: net
 *           local_ts: [203.0.113.1/32]
 *           remote_ts: [198.51.100.1/32]
 *           esp_proposals: [aes256gcm16]
 *           mode: tunnel              # tunnel | transport
 *           start_action: none        # none | start | trap
 *           replay_window: 32
 *           rekey_time: 3600          # seconds; soft lifetime (0 = never rekey)
 *           life_time: 3960           # hard lifetime (default rekey_time + 10%)
 *           rand_time: 360            # jitter below rekey_time (default life - rekey)
 *           rekey_bytes: 0            # soft/hard byte and packet limits (HAL events)
 *           life_bytes: 0
 *           rekey_packets: 0
 *           life_packets: 0
 *   secrets:
 *     - ids: [left@example.test, right@example.test]
 *       secret: "a shared key"       # or 0x-prefixed hex
 *
 * Every error names the file, the line and the field ("conf.yaml:12: connections[0].proposals[0]:
 * ..."). Secrets are wiped when the configuration is freed.
 */
#ifndef NICSEC_DAEMON_CONFIG_H
#define NICSEC_DAEMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ident.h"
#include "pki.h"
#include "proposal.h"
#include "ts.h"

enum { ND_NAME_MAX = 64 };

enum nd_auth_method { ND_AUTH_PSK = 1, ND_AUTH_PUBKEY };
enum nd_start_action { ND_START_NONE = 0, ND_START_START, ND_START_TRAP };
enum nd_child_mode { ND_MODE_TUNNEL = 0, ND_MODE_TRANSPORT };

struct nd_ip {
  int family; /* AF_INET / AF_INET6; 0 = %any */
  uint8_t bytes[16];
};

struct nd_child_cfg {
  char name[ND_NAME_MAX];
  struct nd_ts_cfg local_ts[ND_MAX_TS], remote_ts[ND_MAX_TS];
  size_t n_local_ts, n_remote_ts;
  struct nd_proposal esp[ND_MAX_PROPOSALS];
  size_t n_esp;
  enum nd_child_mode mode;
  enum nd_start_action start_action;
  uint32_t replay_window;
  /* Lifetimes (RFC 7296 2.8): rekey at the soft limit, delete at the hard one; 0 = none. The
   * soft time is drawn from [rekey_time - rand_time, rekey_time] so peers do not collide. */
  uint32_t rekey_time_s, life_time_s, rand_time_s;
  uint64_t rekey_bytes, life_bytes, rekey_packets, life_packets;
};

struct nd_conn_cfg {
  char name[ND_NAME_MAX];
  struct nd_ip local_addr, remote_addr;
  uint16_t remote_port;
  struct nd_proposal ike[ND_MAX_PROPOSALS];
  size_t n_ike;
  struct nd_identity local_id, remote_id;
  enum nd_auth_method local_auth, remote_auth;
  struct nd_pki *local_pki;  /* auth pubkey: our certificate chain and private key */
  struct nd_pki *remote_pki; /* auth pubkey: the CAs a peer's certificate must chain to */
  bool encap;
  bool fragmentation;
  uint32_t dpd_delay_s;
  uint32_t rekey_time_s; /* IKE SA rekey (10% jitter below it); 0 = never */
  uint32_t reauth_time_s; /* new IKE SA from scratch, then the old one deleted (reauth.c) */
  bool optimized_rekey;  /* offer/accept OPTIMIZED_REKEY_SUPPORTED in IKE_AUTH */
  bool child_pfs_info;   /* offer/accept CHILD_SA_PFS_INFO_SUPPORTED in IKE_SA_INIT */
  struct nd_child_cfg *children;
  size_t n_children;
};

enum { ND_SECRET_IDS = 4, ND_SECRET_MAX = 256 };

struct nd_secret {
  struct nd_identity ids[ND_SECRET_IDS];
  size_t n_ids; /* 0 = any identity */
  uint8_t *key; /* heap, wiped on free */
  size_t key_len;
};

struct nd_daemon_cfg {
  uint16_t ike_port, natt_port;
  uint32_t retransmit_timeout_ms;
  uint32_t retransmit_tries;
  uint32_t half_open_threshold;
  uint32_t fragment_size;
  uint32_t inbound_drain_ms; /* how long a replaced inbound SA keeps receiving after a rekey */
  /* Notify types of the drafts still waiting for IANA values (private use by default). */
  uint16_t notify_optimized_rekey_supported, notify_optimized_rekey;
  uint16_t notify_child_pfs_info_supported;
};

struct nd_hal_cfg {
  char backend[ND_NAME_MAX];
  char args[256];
};

struct nd_config {
  struct nd_daemon_cfg daemon;
  struct nd_hal_cfg hal;
  struct nd_conn_cfg *conns;
  size_t n_conns;
  struct nd_secret *secrets;
  size_t n_secrets;
};

struct nd_config_error {
  char file[256];
  unsigned line; /* 0 when unknown (e.g. the file cannot be read) */
  char field[128];
  char message[256];
};

/* Loads and validates a file. On failure returns -1 and fills *err. */
int nd_config_load_file(const char *path, struct nd_config *cfg, struct nd_config_error *err);
/* Same from memory; `name` stands in for the file name in errors. */
int nd_config_load_text(const char *name, const char *text, size_t len, struct nd_config *cfg,
                        struct nd_config_error *err);
void nd_config_free(struct nd_config *cfg);
/* A deep copy (secrets included); returns -1 when out of memory (dst is then empty). */
int nd_config_clone(const struct nd_config *src, struct nd_config *dst);

/* "file:line: field: message" (line omitted when unknown). */
void nd_config_error_format(const struct nd_config_error *err, char *out, size_t len);

const struct nd_conn_cfg *nd_config_find_conn(const struct nd_config *cfg, const char *name);
/* The pre-shared key for this pair of identities: a secret listing both, else one listing the
 * remote identity, else one with no identities. NULL when none applies. */
const struct nd_secret *nd_config_find_psk(const struct nd_config *cfg,
                                           const struct nd_identity *local,
                                           const struct nd_identity *remote);

#endif
