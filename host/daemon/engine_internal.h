/* Internal to the engine: the IKE and Child SA structures, the exchange transition table and the
 * helpers the exchange handlers share. */
#ifndef NICSEC_DAEMON_ENGINE_INTERNAL_H
#define NICSEC_DAEMON_ENGINE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "ike_crypto.h"
#include "ikecodec.h"
#include "log.h"
#include "timerq.h"

enum {
  ND_NONCE_LEN = 32,
  ND_MAX_MSG = 65535,
  ND_MAX_CHILDREN = 16, /* live Child SAs plus those being rekeyed, drained or deleted */
  ND_COOKIE_MAX = 64,
  ND_MAX_INIT_RETRIES = 4,      /* COOKIE / INVALID_KE_PAYLOAD restarts of one IKE_SA_INIT */
  ND_HALF_OPEN_TIMEOUT_MS = 30000,
  ND_HASH_LEN = 32,
};

/* A configuration shared by the SAs created from it: a reload does not pull it from under them. */
struct nd_cfg_ref {
  unsigned refs;
  struct nd_config cfg;
};

enum nd_ike_state {
  ND_IKE_NONE = 0,     /* just allocated */
  ND_IKE_INIT_SENT,    /* initiator: IKE_SA_INIT request outstanding */
  ND_IKE_INIT_DONE,    /* responder: IKE_SA_INIT answered, IKE_AUTH awaited (half-open) */
  ND_IKE_AUTH_SENT,    /* initiator: IKE_AUTH request outstanding */
  ND_IKE_ESTABLISHED,
  ND_IKE_DELETING,     /* our Delete of the IKE SA is outstanding */
  ND_IKE_REKEYED,      /* replaced by a rekey: its Child SAs moved, our Delete of it pending */
  ND_IKE_DEAD,         /* to be freed at the end of the current event */
  ND_IKE__COUNT
};
#define ND_ST(s) (1u << (s))

/* Why a request of ours is outstanding: decides what its response (or its loss) means. */
enum nd_request_kind {
  ND_REQ_NONE = 0,
  ND_REQ_IKE_SA_INIT,
  ND_REQ_IKE_AUTH,
  ND_REQ_DPD,
  ND_REQ_DELETE_IKE,
  ND_REQ_DELETE_CHILD,
  ND_REQ_CREATE_CHILD, /* CREATE_CHILD_SA: a new Child SA */
  ND_REQ_REKEY_CHILD,  /* CREATE_CHILD_SA with REKEY_SA */
  ND_REQ_REKEY_IKE,    /* CREATE_CHILD_SA rekeying the IKE SA */
};

/* Work that waits for the request window (one outstanding request, RFC 7296 2.3). */
enum {
  ND_PENDING_DELETE_IKE = 1u << 0,
  ND_PENDING_DPD = 1u << 1,
  ND_PENDING_REKEY_IKE = 1u << 2,
};

/* Where a Child SA is in its life (README.md, "Rekeying", has the sequence). */
enum nd_child_state {
  ND_CHILD_LIVE = 0,  /* carries traffic (the responder of a rekey may still hold its outbound
                         back in pending_out until the old SA is deleted) */
  ND_CHILD_REKEYED,   /* replaced: no outbound any more; inbound kept for in-flight packets */
  ND_CHILD_DELETING,  /* removed from the HAL; a Delete is queued or outstanding */
  ND_CHILD_REDUNDANT, /* created by the losing exchange of a rekey collision; being deleted */
};

/* How a Child SA came to be (listed as "initial" / "regular" / "optimized"). */
enum nd_child_origin {
  ND_ORIGIN_INITIAL = 0, /* IKE_AUTH or a new CREATE_CHILD_SA: not a rekey */
  ND_ORIGIN_REGULAR,     /* rekey with SA and TS payloads (RFC 7296 1.3.3) */
  ND_ORIGIN_OPTIMIZED,   /* rekey with N(OPTIMIZED_REKEY) (rekey_opt.c) */
};

/* KEYMAT inputs of a Child SA made by CREATE_CHILD_SA (RFC 7296 2.17): that exchange's nonces
 * and, with PFS, the fresh shared secret. */
struct nd_keymat_in {
  const uint8_t *ni, *nr;
  size_t ni_len, nr_len;
  const struct ike_secret *shared; /* NULL without PFS */
};

/* Held for every Child SA's life: the small fields come first, grouped so that no padding
 * holes open between them (test_memory.c pins the size). */
struct nd_child_sa {
  uint64_t id;
  const struct nd_child_cfg *cfg;
  uint32_t spi_in, spi_out;
  uint32_t reqid;
  enum nd_child_state state;   /* lifecycle.c, exchange_create.c */
  enum nd_child_origin origin; /* rekey_opt.c */
  unsigned retries;            /* rekey attempts after TEMPORARY_FAILURE */
  bool installed;
  bool transport;
  bool encap;
  bool rekey_wanted;  /* a rekey waits for the request window */
  bool delete_queued; /* a Delete of it waits for the request window */
  bool ke_known;      /* its KE method is negotiated (false: an IKE_AUTH child without
                         child-pfs-info, whose first rekey must then be regular) */
  bool force_regular; /* its next rekey is a regular one (operator's choice) */
  struct nd_selected sel;
  struct nd_ts_list local_ts, remote_ts;
  nicsec_hal_sa_id hal_in, hal_out;
  uint64_t installed_ms;
  struct nicsec_hal_sa hal_desc[2]; /* in, out as installed; key and salt zeroed (audit) */
  uint64_t keymat_ike_id; /* KEYMAT came from this IKE SA's IKE_SA_INIT nonces (0: other) */
  /* ---- lifecycle: rekeying and lifetimes (lifecycle.c, exchange_create.c) ---- */
  uint64_t rekey_of;                  /* id of the Child SA this one replaces (0: none) */
  struct nicsec_hal_sa *pending_out;  /* rekey responder: outbound held back (keys; wiped) */
  uint64_t rekey_at_ms, expire_at_ms; /* soft (jittered) and hard lifetime; 0 = none */
  uint64_t retry_at_ms;               /* rekey retry after TEMPORARY_FAILURE (0 = none) */
  uint64_t drain_until_ms;            /* REKEYED: when the old inbound SA leaves the HAL */
  uint64_t activate_at_ms;            /* new Child SA (responder): outbound installed then, or
                                         at the peer's next request, whichever comes first */
};

/* A message as sent: one datagram, or the fragments of an RFC 7383 fragmented message kept
 * back to back in buf (parts[i] octets each; parts == NULL means one datagram of len). */
struct nd_datagrams {
  uint8_t *buf;
  size_t len;
  size_t n_parts;
  size_t *parts;
};

struct nd_request {
  enum nd_request_kind kind;
  uint8_t exchange;
  uint32_t mid;
  struct nd_datagrams dg;
  unsigned retransmits;
  uint64_t next_ms; /* next retransmission (or give-up) time */
  uint32_t child_spi; /* ND_REQ_DELETE_CHILD: our inbound SPI being deleted */
};

/* Our outstanding CREATE_CHILD_SA (kinds ND_REQ_CREATE_CHILD / REKEY_CHILD / REKEY_IKE). */
struct nd_ccs {
  const struct nd_child_cfg *cfg; /* Child SAs: the configuration */
  uint64_t old_child_id;          /* REKEY_CHILD: the Child SA being replaced */
  uint32_t spi;                   /* Child SAs: our new inbound SPI */
  uint64_t ike_spi;               /* REKEY_IKE: our SPI of the new IKE SA */
  uint16_t ke_method;             /* 0: no KE payload (Child SA without PFS) */
  bool optimized;                 /* rekey with N(OPTIMIZED_REKEY) instead of SA (and TS) */
  struct ike_ke *ke;
  uint8_t nonce[ND_NONCE_LEN]; /* ours: always nd_random_nonce's ND_NONCE_LEN octets */
  size_t nonce_len;
  unsigned ke_retries;
  /* RFC 7296 2.8: the peer rekeyed the same SA meanwhile; its exchange's lowest nonce and what
   * it created here decide which of the two new SAs is redundant. */
  bool collided;
  uint8_t *peer_min_nonce; /* heap (set by nd_ccs_note_collision), freed by nd_ccs_clear */
  size_t peer_min_len;
  uint64_t peer_new_id; /* Child SA id or IKE SA id */
};

struct nd_response_cache {
  bool valid;
  uint32_t mid;
  uint8_t request_hash[ND_HASH_LEN]; /* which request this answered (duplicates must match) */
  struct nd_datagrams dg;
};

/* RFC 7383 reassembly of one fragmented message (allocated only when fragments arrive). */
enum { ND_MAX_FRAGMENTS = 128 };
struct nd_reassembly {
  bool response;
  uint32_t mid;
  uint16_t total, have;
  uint8_t first_inner;
  size_t bytes;
  uint8_t *data[ND_MAX_FRAGMENTS]; /* decrypted fragment contents, wiped when freed */
  size_t len[ND_MAX_FRAGMENTS];
};

/* Every established SA of a gateway holds one of these for its whole life: the small fields
 * are grouped so that no padding holes open between them (test_memory.c pins the size). */
struct nd_ike_sa {
  uint64_t id;
  struct nd_ike_sa *next_all;      /* creation-ordered list */
  struct nd_ike_sa **pprev_all;    /* the pointer to this SA in that list (O(1) unlink) */
  struct nd_timer timer;           /* in nd_engine.timers at nd_sa_deadline() (engine_timers.c) */
  struct nd_ike_sa *next_touched;  /* nd_engine.touched */
  struct nd_ike_sa *next_in_bucket;
  struct nd_ike_sa *next_by_peer_spi; /* IKE_SA_INIT responders, by SPIi (nd_sa_index_peer) */
  struct nd_ike_sa *next_by_peer_id;  /* by connection and peer identity (nd_sa_peer_first) */
  struct nd_cfg_ref *cfg_ref;
  const struct nd_conn_cfg *conn;
  enum nd_ike_state state;
  uint16_t ke_method;     /* IKE_SA_INIT */
  bool initiator;         /* we are the original initiator */
  bool peer_indexed;
  bool peer_id_indexed;   /* in nd_engine.peer_id_buckets */
  bool counted_half_open; /* counted in nd_engine.n_half_open */
  bool natt;              /* IKE moved to the NAT-T port; ESP is UDP-encapsulated */
  bool frag_ok;           /* both sent IKEV2_FRAGMENTATION_SUPPORTED (RFC 7383) */
  bool opt_rekey;         /* both sent OPTIMIZED_REKEY_SUPPORTED in IKE_AUTH (rekey_opt.c) */
  bool pfs_info;          /* both sent CHILD_SA_PFS_INFO_SUPPORTED in IKE_SA_INIT */
  bool nat_local, nat_remote;
  bool reauth_hello_sent; /* reauth.c: the new SA: its first INFORMATIONAL went out */
  bool touched;           /* in nd_engine.touched: recomputed (or freed) after the event */
  bool timer_fired;       /* popped by this tick: its next deadline is in the future */
  uint64_t spi_i, spi_r;
  struct nd_addr local, remote;
  uint32_t peer_hashes; /* ND_HASH_BIT()s of the peer's SIGNATURE_HASH_ALGORITHMS (RFC 7427) */
  struct nd_reassembly *reasm;
  /* IKE_SA_INIT */
  struct nd_selected ike_sel;
  struct ike_ke *ke;
  /* Heap copies of exactly their length (set with nd_bytes_set): nonces may be 256 octets but
   * are usually 32, and an SA lives long. Ni/Nr stay for the life of the SA (the IKE_AUTH Child
   * SA's KEYMAT can be derived again for the operator's key export). */
  uint8_t *ni, *nr;
  size_t ni_len, nr_len;
  /* Handshake-only state, released by nd_keys_drop_handshake once the SA is established. */
  uint8_t *cookie; /* initiator: the responder's COOKIE (heap), up to ND_COOKIE_MAX */
  size_t cookie_len;
  unsigned init_retries;
  uint8_t *init_req, *init_resp; /* RealMessage1/2 for AUTH */
  size_t init_req_len, init_resp_len;
  /* keys */
  struct ike_sa_transforms xf;
  struct ike_sa_keys keys;
  struct ike_sk_cipher *seal, *open;
  /* The authenticated peer identity (NULL before): conn->remote_id when it is exactly that (the
   * usual case: 257 octets saved per SA), else peer_id_own. Set with nd_sa_set_peer_id. */
  const struct nd_identity *peer_id;
  struct nd_identity *peer_id_own; /* heap, for identities a wildcard connection accepted */
  /* message IDs and windows */
  uint32_t next_mid;      /* Message ID of our next request */
  uint32_t expected_mid;  /* Message ID of the peer's next request */
  struct nd_request req;
  struct nd_response_cache resp;
  unsigned pending;       /* ND_PENDING_* */
  /* Child SAs */
  uint32_t child_spi;                         /* initiator: its inbound SPI, sent in SAi2 */
  const struct nd_child_cfg *child_to_create; /* initiator: the child of IKE_AUTH */
  struct nd_child_sa *children; /* heap, up to ND_MAX_CHILDREN */
  size_t n_children;
  /* CREATE_CHILD_SA and IKE SA rekeying */
  struct nd_ccs ccs;             /* valid while one of the CREATE_CHILD_SA requests is out */
  uint64_t rekey_at_ms;          /* IKE SA soft lifetime (jittered); 0 = none */
  uint64_t ike_retry_at_ms;      /* IKE rekey retry after TEMPORARY_FAILURE */
  uint64_t successor_id;         /* an IKE SA the peer's rekey created, not adopted yet */
  uint64_t redundant_until_ms;   /* collision loser's IKE SA: dropped if never deleted */
  const struct nd_child_cfg *create_wanted; /* a new Child SA waits for the request window */
  /* Make-before-break reauthentication (reauth.c, RFC 7296 2.8.3) */
  uint64_t reauth_at_ms;         /* this SA is to be replaced then (0 = never) */
  uint64_t reauth_of;            /* the new SA: id of the IKE SA it replaces (0: not a reauth) */
  uint32_t reauth_children_left;          /* the new SA: bit i set = conn->children[i] still to create on the new IKE SA */
  unsigned ike_retries;          /* IKE rekey attempts after TEMPORARY_FAILURE */
  /* timing */
  uint64_t created_ms, established_ms, last_rx_ms;
};

/* A datagram with what the engine learnt about it while parsing. */
struct nd_rx {
  uint64_t now_ms;
  struct nd_addr local, remote;
  const uint8_t *data;
  size_t len;
  struct ike_message msg;
  struct ike_chain inner; /* decrypted payloads (protected exchanges) */
  uint8_t hash[ND_HASH_LEN];
};

struct nd_pending_free {
  nicsec_hal_sa_id id;
  unsigned attempts;
};

struct nd_engine {
  struct nd_engine_io io;
  struct nicsec_hal_dev *hal;
  struct nd_cfg_ref *cfg_ref;
  struct nd_ike_sa *all;          /* creation order */
  struct nd_ike_sa **all_tail;    /* where the next SA is appended (&all when empty) */
  size_t n_sas;                   /* in the list, dead ones not yet freed included */
  /* Timers (engine_timers.c): each SA is queued at its earliest deadline; an event marks the
   * SAs it changes (touched) and they are queued again, or freed when destroyed, as it ends. */
  struct nd_timerq timers;
  struct nd_ike_sa *touched;
  uint64_t hal_poll_ms;           /* next read of the HAL's limit events (SAs with limits) */
  struct nd_ike_sa **peer_buckets; /* IKE_SA_INIT responders by the peer's SPIi */
  struct nd_ike_sa **peer_id_buckets; /* authenticated SAs by connection name and peer identity */
  size_t n_half_open;             /* SAs in ND_IKE_INIT_DONE (the cookie threshold's input) */
  struct nd_ike_sa **buckets;     /* by our own SPI */
  size_t n_buckets;
  uint64_t next_sa_id, next_child_id;
  uint32_t next_reqid;
  uint64_t now_ms;
  uint8_t cookie_secret[32];
  struct nd_engine_stats stats;
  FILE *key_export;               /* operator opt-in, see nd_engine_export_esp_keys() */
  struct nd_pending_free *draining;
  size_t n_draining, cap_draining;
  uint32_t spi_cursor;            /* next inbound SPI to try (see nd_child_alloc_spi) */
  uint64_t spi_fresh;             /* SPIs from the cursor on never handed out yet */
  /* Heap buffers of ND_MAX_MSG octets, always written before they are read. */
  uint8_t *scratch;   /* decrypted plaintext of the message being handled */
  uint8_t *inner_buf; /* plaintext of the message being built */
  uint8_t *out_buf;   /* the message being built */
};

/* ---- the transition table ---------------------------------------------------------------- */

enum nd_hres {
  ND_HR_NEXT,    /* handled: move to the transition's next state */
  ND_HR_STAY,    /* handled: state unchanged */
  ND_HR_DROP,    /* ignored (counted as invalid) */
  ND_HR_DESTROY, /* the IKE SA is gone */
};

typedef enum nd_hres (*nd_handler_fn)(struct nd_engine *e, struct nd_ike_sa *sa,
                                      struct nd_rx *rx);

struct nd_transition {
  uint8_t exchange;
  bool response;           /* the message is a response to a request of ours */
  uint32_t states;         /* ND_ST() set in which the message is acceptable */
  nd_handler_fn handler;
  enum nd_ike_state next;  /* after ND_HR_NEXT */
};

/* ---- engine.c ---------------------------------------------------------------------------- */

const char *nd_ike_state_name(enum nd_ike_state s);
void nd_set_state(struct nd_ike_sa *sa, enum nd_ike_state s);
struct nd_ike_sa *nd_sa_new(struct nd_engine *e, const struct nd_conn_cfg *conn, bool initiator);
void nd_sa_rehash(struct nd_engine *e, struct nd_ike_sa *sa);
/* Changes the SPI an SA is found by (ours), keeping the table consistent. */
void nd_sa_set_local_spi(struct nd_engine *e, struct nd_ike_sa *sa, uint64_t spi);
struct nd_ike_sa *nd_sa_find_by_local_spi(const struct nd_engine *e, uint64_t spi);
/* A responder SA still in IKE_SA_INIT for this initiator SPI and peer address. */
struct nd_ike_sa *nd_sa_find_half_open(const struct nd_engine *e, uint64_t spi_i,
                                       const struct nd_addr *remote);
size_t nd_count_half_open(const struct nd_engine *e);
/* Makes a responder SA (its spi_i set from the IKE_SA_INIT request) findable by
 * nd_sa_find_half_open. */
void nd_sa_index_peer(struct nd_engine *e, struct nd_ike_sa *sa);
/* Marks the SA dead and removes its Child SAs from the HAL; freed after the current event. */
void nd_sa_destroy(struct nd_engine *e, struct nd_ike_sa *sa, const char *why);
/* Keeps e->n_half_open current as the SA enters and leaves ND_IKE_INIT_DONE. */
void nd_sa_account_half_open(struct nd_engine *e, struct nd_ike_sa *sa);
/* Unlinks and frees a destroyed SA. */
void nd_sa_free(struct nd_engine *e, struct nd_ike_sa *sa);

/* ---- engine_timers.c: the timer queue ---------------------------------------------------- */

/* The earliest time the SA has timer work: retransmission or give-up, half-open expiry, DPD,
 * lifetimes (nd_life_next_timer), and queued work the request window allows now. */
uint64_t nd_sa_deadline(const struct nd_engine *e, const struct nd_ike_sa *sa);
/* The SA changed in this event: its deadline is recomputed when the event ends. Every engine
 * entry point marks the SAs it changes; changing another SA than the one an event is for
 * (adopting Child SAs, reauthentication, HAL events) marks that one too. nd_sa_destroy marks
 * the SA it destroys, so that it is freed then. */
void nd_sa_touch(struct nd_engine *e, struct nd_ike_sa *sa);
/* At the end of every entry point: queues the touched SAs at their deadlines, frees the dead. */
void nd_engine_settle(struct nd_engine *e);
uint64_t nd_random_spi64(void);
/* Replaces *dst (heap, freed first) by a heap copy of len octets of src: state kept for an SA's
 * life takes only the octets it holds. False when out of memory (*dst is then empty). */
bool nd_bytes_set(uint8_t **dst, size_t *dst_len, const uint8_t *src, size_t len);
/* Records the authenticated peer identity (sa->conn must be final). False when out of memory. */
bool nd_sa_set_peer_id(struct nd_engine *e, struct nd_ike_sa *sa, const struct nd_identity *id);
/* The other SAs of sa's connection (by name) with sa's authenticated peer identity, found by
 * a hash of both (a gateway of many peers must not walk every SA per handshake):
 *   for (o = nd_sa_peer_first(e, sa); o; o = nd_sa_peer_next(sa, o)) */
struct nd_ike_sa *nd_sa_peer_first(const struct nd_engine *e, const struct nd_ike_sa *sa);
struct nd_ike_sa *nd_sa_peer_next(const struct nd_ike_sa *sa, const struct nd_ike_sa *from);
/* Runs a freshly allocated responder SA through the transition table with its first
 * IKE_SA_INIT request; frees it again unless the request was accepted. */
void nd_dispatch_new(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_rx *rx);

/* ---- msg.c: building, sending, retransmitting ------------------------------------------- */

/* Sends a request of ours: builds (and protects, after IKE_SA_INIT) the message with the next
 * Message ID, keeps it for retransmission and arms the timer. */
int nd_send_request(struct nd_engine *e, struct nd_ike_sa *sa, uint8_t exchange,
                    enum nd_request_kind kind, const struct ike_payload_out *payloads,
                    size_t count);
/* Sends the response to the request in rx and caches it for duplicates. */
int nd_send_response(struct nd_engine *e, struct nd_ike_sa *sa, const struct nd_rx *rx,
                     const struct ike_payload_out *payloads, size_t count);
/* An unprotected IKE_SA_INIT answer carrying only one notify (COOKIE, INVALID_KE_PAYLOAD,
 * NO_PROPOSAL_CHOSEN...), sent without creating state. */
int nd_send_init_notify(struct nd_engine *e, const struct nd_rx *rx, uint16_t type,
                        const uint8_t *data, size_t len);
/* The outstanding request was answered: stop retransmitting. */
void nd_request_done(struct nd_ike_sa *sa);
/* Retransmission / give-up for one SA. Returns false when the SA was destroyed. */
bool nd_retransmit_due(struct nd_engine *e, struct nd_ike_sa *sa);
/* Decrypts rx's SK payload into e->scratch and parses it into rx->inner. Returns false (drop)
 * on any failure; integrity failures are silent per RFC 7296 2.21.2. */
bool nd_open_protected(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_rx *rx);
int nd_send_raw(struct nd_engine *e, const struct nd_addr *local, const struct nd_addr *remote,
                const uint8_t *msg, size_t len);

/* Decodes the first payload of `type` in the chain; false when absent. */
bool nd_decode_first(const struct ike_chain *chain, uint8_t type, union ike_payload_body *out);
/* The data of the first Notify of `type`; false when absent. */
bool nd_notify_data(const struct ike_chain *chain, uint16_t type, struct wire_view *data);
/* The first error Notify type of the chain, or 0. */
uint16_t nd_first_error_notify(const struct ike_chain *chain);
/* Payload-building helpers: fill a body and return an ike_payload_out pointing at it. */
struct ike_payload_out nd_out(uint8_t type, const union ike_payload_body *body);
void nd_notify_body(union ike_payload_body *body, uint8_t protocol, uint16_t type,
                    const uint8_t *data, size_t len);

/* ---- frag.c: RFC 7383 fragmentation and the datagram store --------------------------------- */

void nd_dg_free(struct nd_datagrams *d);
int nd_dg_send(struct nd_engine *e, const struct nd_addr *local, const struct nd_addr *remote,
               const struct nd_datagrams *d);
/* Protects the inner payloads in e->inner_buf (inner_len octets, first payload `first`) as one
 * SK message, or as SKF fragments when the SA negotiated fragmentation and one message would
 * exceed the configured fragment size. */
int nd_frag_protect(struct nd_engine *e, struct nd_ike_sa *sa, const struct ike_header *hdr,
                    uint8_t first, size_t inner_len, struct nd_datagrams *out);
/* Collects one authenticated fragment. True when rx completed a message: its inner payloads
 * are then parsed into rx->inner. */
bool nd_frag_receive(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_rx *rx);
void nd_frag_reset(struct nd_ike_sa *sa);
/* Fragment Number of an SKF message (0 when rx is not fragmented). */
uint16_t nd_frag_number(const struct nd_rx *rx);
/* Parses plaintext inner payloads in e->scratch into rx->inner and checks the exchange rules;
 * answers INVALID_SYNTAX to a bad request. */
bool nd_parse_inner(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_rx *rx, uint8_t first,
                    size_t len);

/* ---- natt.c ------------------------------------------------------------------------------ */

/* SHA-1(SPIi | SPIr | IP | port) of RFC 7296 2.23. */
void nd_natd_hash(uint64_t spi_i, uint64_t spi_r, const struct nd_addr *addr, uint8_t out[20]);
/* Adds our two NAT_DETECTION notifies (bodies in storage, 2 entries) to payloads[*n]. With
 * force_encap the source hash is random, so the peer sees a NAT (strongSwan's encap=yes). */
void nd_natd_add(const struct nd_ike_sa *sa, bool force_encap, union ike_payload_body storage[2],
                 uint8_t hashes[2][20], struct ike_payload_out *payloads, size_t *n);
/* Reads the peer's NAT_DETECTION notifies of rx and sets sa->nat_local / nat_remote. */
void nd_natd_check(struct nd_ike_sa *sa, const struct ike_chain *chain);
/* Whether the chain carries both NAT_DETECTION notifies (the peer supports NAT-T). */
bool nd_natd_present(const struct ike_chain *chain);

/* ---- exchange_init.c / exchange_auth.c / exchange_info.c -------------------------------- */

enum nd_hres nd_init_request(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_rx *rx);
enum nd_hres nd_init_response(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_rx *rx);
int nd_init_start(struct nd_engine *e, struct nd_ike_sa *sa);
/* Responder entry for a new IKE_SA_INIT request (no SA yet). */
void nd_init_new_request(struct nd_engine *e, struct nd_rx *rx);

int nd_auth_start(struct nd_engine *e, struct nd_ike_sa *sa);
enum nd_hres nd_auth_request(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_rx *rx);
enum nd_hres nd_auth_response(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_rx *rx);

enum nd_hres nd_info_request(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_rx *rx);
enum nd_hres nd_info_response(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_rx *rx);
/* CREATE_CHILD_SA request: IKE rekey (ike_rekey.c) or Child SA (exchange_create.c). */
enum nd_hres nd_create_child_request(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_rx *rx);
/* Starts queued work (Delete, DPD) when the request window is free. */
void nd_info_run_pending(struct nd_engine *e, struct nd_ike_sa *sa);
void nd_info_dpd_check(struct nd_engine *e, struct nd_ike_sa *sa);

/* ---- exchange_create.c: CREATE_CHILD_SA for Child SAs (new and rekey), both roles ---------- */

/* Starts our CREATE_CHILD_SA for a new Child SA (old == NULL) or a rekey of old. */
int nd_ccs_start_child(struct nd_engine *e, struct nd_ike_sa *sa, const struct nd_child_cfg *cfg,
                       struct nd_child_sa *old);
enum nd_hres nd_create_child_response(struct nd_engine *e, struct nd_ike_sa *sa,
                                      struct nd_rx *rx);
/* The peer's Child SA request (new or REKEY_SA); IKE rekeys go to nd_ike_rekey_request. */
enum nd_hres nd_ccs_child_request(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_rx *rx);
/* Answers a CREATE_CHILD_SA request with one error notify (and the REKEY_SA-free body). */
void nd_ccs_refuse(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_rx *rx, uint16_t error,
                   const uint8_t *data, size_t len);
/* Frees the state of our outstanding CREATE_CHILD_SA (KE private value, nonce). */
void nd_ccs_clear(struct nd_ike_sa *sa);
/* Lowest nonce rule of RFC 7296 2.8: true when the exchange with lowest nonce a lost against b. */
bool nd_nonce_loses(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len);
/* The lower of two nonces (memcmp over the shorter length, then the shorter one). */
void nd_nonce_min(const uint8_t *x, size_t x_len, const uint8_t *y, size_t y_len,
                  const uint8_t **out, size_t *out_len);
/* Fresh nonce for CREATE_CHILD_SA (ND_NONCE_LEN octets). */
bool nd_random_nonce(uint8_t *out, size_t *len);
/* A collision of our CREATE_CHILD_SA (RFC 7296 2.8): keeps the lowest nonce of the peer's
 * exchange and what it created. False (no collision noted) when out of memory. */
bool nd_ccs_note_collision(struct nd_ike_sa *sa, const uint8_t *lowest, size_t lowest_len,
                           uint64_t peer_new_id);

/* ---- ike_rekey.c: rekeying the IKE SA (RFC 7296 1.3.2, 2.18), collisions (2.8) ------------ */

int nd_ike_rekey_start(struct nd_engine *e, struct nd_ike_sa *sa);
enum nd_hres nd_ike_rekey_request(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_rx *rx);
enum nd_hres nd_ike_rekey_response(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_rx *rx);
/* The old IKE SA is going (Delete from the peer, or lost): a new SA its peer's rekey created
 * takes its Child SAs first. */
void nd_ike_rekey_adopt(struct nd_engine *e, struct nd_ike_sa *old);
/* A request other than its Delete arrived on n: if n is a new SA from the peer's rekey that is
 * not adopted yet, the peer uses it, so it takes the Child SAs now. */
void nd_ike_peer_uses(struct nd_engine *e, struct nd_ike_sa *n);
/* Moves every Child SA of from to to. */
void nd_ike_move_children(struct nd_ike_sa *from, struct nd_ike_sa *to);
struct nd_ike_sa *nd_sa_by_id(const struct nd_engine *e, uint64_t id);
/* Whether sa is busy with a Child SA exchange (then an IKE rekey must wait, 2.25). */
bool nd_ike_child_exchange_active(const struct nd_ike_sa *sa);

/* ---- lifecycle.c: lifetimes, HAL events, retries, the queue of rekeys and deletes ---------- */

/* Soft/hard lifetimes of a freshly installed Child SA (rekey_time with jitter, life_time). */
void nd_life_child_start(struct nd_engine *e, struct nd_child_sa *child);
/* IKE SA rekey time of a freshly established IKE SA. */
void nd_life_ike_start(struct nd_engine *e, struct nd_ike_sa *sa);
/* Timers and HAL events; run from nd_engine_tick. */
void nd_life_tick(struct nd_engine *e, struct nd_ike_sa *sa);
void nd_life_poll_hal(struct nd_engine *e);
uint64_t nd_life_next_timer(const struct nd_engine *e, const struct nd_ike_sa *sa);
/* Starts the next queued rekey or Child SA Delete when the request window is free. Returns
 * true when a request was sent. */
bool nd_life_run_queued(struct nd_engine *e, struct nd_ike_sa *sa);
/* TEMPORARY_FAILURE: the next attempt after an exponential, jittered backoff. */
uint64_t nd_life_backoff_ms(struct nd_engine *e, unsigned retries);
/* The old Child SA of a rekey is going: its successor's outbound SA (held back by the responder
 * of the rekey) is installed, the old outbound removed, the old inbound drained. */
void nd_child_retire(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_child_sa *old);
/* Removes a Child SA from the HAL at once and queues its Delete (hard expiry, operator). */
void nd_child_delete_now(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_child_sa *child,
                         const char *why);
struct nd_child_sa *nd_child_by_id(struct nd_ike_sa *sa, uint64_t id);
/* A request from the peer arrived: it has our answers, so new Child SAs we answered may send. */
void nd_life_peer_spoke(struct nd_engine *e, struct nd_ike_sa *sa);
const char *nd_child_state_name(enum nd_child_state s);

/* ---- keys.c ------------------------------------------------------------------------------ */

/* From the IKE_SA_INIT result (selection, nonces, SPIs, shared secret): SK_* and the two SK
 * ciphers for our role. */
bool nd_keys_derive(struct nd_ike_sa *sa, const struct ike_secret *shared);
/* Keys of an IKE SA made by rekeying old (RFC 7296 2.18): SKEYSEED = prf(SK_d (old), g^ir (new)
 * | Ni | Nr) with the old SA's PRF, then the usual prf+ with the new SPIs and nonces. */
bool nd_keys_derive_rekey(struct nd_ike_sa *sa, const struct nd_ike_sa *old,
                          const struct ike_secret *shared);
/* InitiatorSignedOctets / ResponderSignedOctets (RFC 7296 2.15) for an ID payload body;
 * heap-allocated, *len octets. */
uint8_t *nd_keys_signed_octets(const struct nd_ike_sa *sa, bool for_initiator,
                               const struct ike_id_payload *id, size_t *len);
/* PSK AUTH data (RFC 7296 2.15) for the initiator's or responder's signed octets. */
bool nd_keys_psk_auth(const struct nd_ike_sa *sa, bool for_initiator, const uint8_t *psk,
                      size_t psk_len, const struct ike_id_payload *id, uint8_t *out,
                      size_t *out_len);
void nd_keys_free(struct nd_ike_sa *sa);
/* The SA is established: frees what only the handshake needed (KE private value, the
 * IKE_SA_INIT messages, SK_pi/SK_pr, the cookie). */
void nd_keys_drop_handshake(struct nd_ike_sa *sa);

/* ---- auth.c: proving our identity, checking the peer's ------------------------------------ */

enum { ND_AUTH_METHOD_PSK = 2, ND_AUTH_METHOD_SIGNATURE = 14, ND_MAX_CERTS = 8 };

/* Storage for the payloads nd_auth_ours() adds; free with nd_auth_out_free() once built. */
struct nd_auth_out {
  union ike_payload_body certs[ND_MAX_CERTS];
  union ike_payload_body auth;
  uint8_t mac[IKE_PRF_MAX_OUT];
  uint8_t *sig;
};

/* Adds [CERT+] and AUTH for our ID payload body (PSK MAC or RFC 7427 signature, as the
 * connection says). Returns the number of payloads added, or -1. */
int nd_auth_ours(struct nd_ike_sa *sa, const union ike_payload_body *our_id,
                 struct nd_auth_out *st, struct ike_payload_out *out);
void nd_auth_out_free(struct nd_auth_out *st);
/* Checks the peer's AUTH (and certificate chain) for its ID payload; NULL or why it failed. */
const char *nd_auth_check_peer(struct nd_ike_sa *sa, const struct ike_chain *in,
                               const union ike_payload_body *peer_id_body,
                               const struct nd_identity *peer);
/* A CERTREQ body naming our trust anchors, when we expect the peer to use a certificate. */
bool nd_auth_certreq(const struct nd_ike_sa *sa, union ike_payload_body *body);
/* SIGNATURE_HASH_ALGORITHMS for IKE_SA_INIT when this connection uses certificates. */
bool nd_auth_hash_notify(const struct nd_conn_cfg *conn, union ike_payload_body *body,
                         uint8_t *buf, size_t cap);

/* ---- child_install.c --------------------------------------------------------------------- */

/* A fresh inbound SPI inside the HAL's SPI window, unused on this engine. */
uint32_t nd_child_alloc_spi(struct nd_engine *e);
/* Derives KEYMAT from the IKE_SA_INIT nonces and installs both directions on the HAL as one
 * all-or-none batch. exchange_initiator: we sent the request that created the child. */
bool nd_child_install(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_child_sa *child,
                      bool exchange_initiator);
/* The same for a CREATE_CHILD_SA child: KEYMAT from kin (that exchange's nonces, the PFS
 * secret). With defer_outbound only the inbound SA is installed and the outbound description is
 * kept in child->pending_out for nd_child_install_outbound (make-before-break, rekey responder). */
bool nd_child_install_with(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_child_sa *child,
                           bool exchange_initiator, const struct nd_keymat_in *kin,
                           bool defer_outbound);
bool nd_child_install_outbound(struct nd_engine *e, struct nd_child_sa *child);
/* Two-phase HAL delete of one direction (and the held-back outbound, for NICSEC_HAL_DIR_OUT). */
void nd_child_uninstall_dir(struct nd_engine *e, struct nd_child_sa *child,
                            enum nicsec_hal_dir dir);
/* Two-phase HAL delete of both directions; keys are wiped by the backend. */
void nd_child_uninstall(struct nd_engine *e, struct nd_child_sa *child);
/* Frees entries whose drain was still busy. */
void nd_child_drain_pending(struct nd_engine *e);
struct nd_child_sa *nd_child_add(struct nd_engine *e, struct nd_ike_sa *sa,
                                 const struct nd_child_cfg *cfg);
struct nd_child_sa *nd_child_by_spi_out(struct nd_ike_sa *sa, uint32_t spi_out);
struct nd_child_sa *nd_child_by_spi_in(struct nd_ike_sa *sa, uint32_t spi_in);
void nd_child_remove(struct nd_ike_sa *sa, struct nd_child_sa *child);

/* ---- child_negotiate.c ------------------------------------------------------------------- */

/* Responder: picks a child config, proposal, selectors and mode for SAi2/TSi/TSr of the
 * request. Returns 0 or the error notify to answer with (NO_PROPOSAL_CHOSEN, TS_UNACCEPTABLE). */
uint16_t nd_child_negotiate(struct nd_engine *e, struct nd_ike_sa *sa, const struct ike_chain *in,
                            struct nd_child_sa *out);
/* Initiator: the SAi2/TSi/TSr (and USE_TRANSPORT_MODE) of the first child. storage (4 bodies)
 * and spi_bytes must live until the message is built; returns the number of payloads added. */
size_t nd_child_request_payloads(struct nd_ike_sa *sa, const struct nd_child_cfg *cfg,
                                 uint32_t spi, uint8_t spi_bytes[4],
                                 union ike_payload_body *storage, struct ike_payload_out *out);
/* Responder: SAr2/TSi/TSr (and USE_TRANSPORT_MODE) for a negotiated child; same storage rules. */
size_t nd_child_response_payloads(const struct nd_child_sa *child, uint8_t spi_bytes[4],
                                  union ike_payload_body *storage, struct ike_payload_out *out);
/* Initiator: checks the response's SAr2/TSi/TSr against what was proposed. Returns 0 or an
 * error notify type for the log. */
uint16_t nd_child_check_response(struct nd_ike_sa *sa, const struct ike_chain *in,
                                 struct nd_child_sa *child);
/* CREATE_CHILD_SA variants: the proposals keep their KE transforms (PFS). only: the one child
 * configuration a rekey must match (NULL: any of the connection's). */
uint16_t nd_child_check_ccs_response(struct nd_ike_sa *sa, const struct ike_chain *in,
                                     struct nd_child_sa *child);
uint16_t nd_child_negotiate_ccs(struct nd_ike_sa *sa, const struct ike_chain *in,
                                const struct nd_child_cfg *only, struct nd_child_sa *out);

#endif
