/* The engine core: SA table, the receive pipeline (parse -> find SA -> window -> rules ->
 * decrypt -> transition table -> handler), timers, and the operator entry points. */
#include "engine_internal.h"
#include "reauth.h"
#include "rekey_opt.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { BUCKETS = 4096 };

/* Each exchange message our state machine accepts: (exchange, request/response, states) ->
 * handler, next state. Anything not listed is dropped before a handler sees it. The first
 * IKE_SA_INIT request of a peer reaches row 1 with a freshly allocated responder SA. */
#define LIVE_STATES (ND_ST(ND_IKE_ESTABLISHED) | ND_ST(ND_IKE_REKEYED))

static const struct nd_transition transitions[] = {
    {IKE_EXCH_IKE_SA_INIT, false, ND_ST(ND_IKE_NONE), nd_init_request, ND_IKE_INIT_DONE},
    {IKE_EXCH_IKE_SA_INIT, true, ND_ST(ND_IKE_INIT_SENT), nd_init_response, ND_IKE_AUTH_SENT},
    {IKE_EXCH_IKE_AUTH, false, ND_ST(ND_IKE_INIT_DONE), nd_auth_request, ND_IKE_ESTABLISHED},
    {IKE_EXCH_IKE_AUTH, true, ND_ST(ND_IKE_AUTH_SENT), nd_auth_response, ND_IKE_ESTABLISHED},
    {IKE_EXCH_INFORMATIONAL, false, LIVE_STATES | ND_ST(ND_IKE_DELETING), nd_info_request,
     ND_IKE_ESTABLISHED},
    {IKE_EXCH_INFORMATIONAL, true, LIVE_STATES | ND_ST(ND_IKE_DELETING), nd_info_response,
     ND_IKE_ESTABLISHED},
    /* A replaced (REKEYED) IKE SA still answers: TEMPORARY_FAILURE, and the outcome of our
     * own rekey request that crossed the peer's (RFC 7296 2.8, 2.25). */
    {IKE_EXCH_CREATE_CHILD_SA, false, LIVE_STATES, nd_create_child_request, ND_IKE_ESTABLISHED},
    {IKE_EXCH_CREATE_CHILD_SA, true, LIVE_STATES, nd_create_child_response, ND_IKE_ESTABLISHED},
};

static const char *const state_names[ND_IKE__COUNT] = {
    [ND_IKE_NONE] = "CREATED",         [ND_IKE_INIT_SENT] = "CONNECTING",
    [ND_IKE_INIT_DONE] = "CONNECTING", [ND_IKE_AUTH_SENT] = "CONNECTING",
    [ND_IKE_ESTABLISHED] = "ESTABLISHED", [ND_IKE_DELETING] = "DELETING",
    [ND_IKE_REKEYED] = "REKEYED",
    [ND_IKE_DEAD] = "DESTROYING",
};

const char *nd_ike_state_name(enum nd_ike_state s) {
  return s < ND_IKE__COUNT ? state_names[s] : "?";
}

void nd_set_state(struct nd_ike_sa *sa, enum nd_ike_state s) {
  if (sa->state != s)
    ND_DEBUG("ike#%llu state %s -> %s", (unsigned long long)sa->id, nd_ike_state_name(sa->state),
             nd_ike_state_name(s));
  sa->state = s;
}

/* ---- addresses ---------------------------------------------------------------------------- */

void nd_addr_format(const struct nd_addr *a, char *out, size_t len) {
  char ip[INET6_ADDRSTRLEN] = "?";
  if (a->family == AF_INET || a->family == AF_INET6)
    inet_ntop(a->family, a->ip, ip, sizeof ip);
  snprintf(out, len, "%s[%u]", ip, a->port);
}

bool nd_addr_ip_equal(const struct nd_addr *a, const struct nd_addr *b) {
  size_t n = a->family == AF_INET ? 4 : 16;
  return a->family == b->family && memcmp(a->ip, b->ip, n) == 0;
}

bool nd_addr_equal(const struct nd_addr *a, const struct nd_addr *b) {
  return nd_addr_ip_equal(a, b) && a->port == b->port;
}

/* ---- configuration references ------------------------------------------------------------ */

static void cfg_release(struct nd_cfg_ref *ref) {
  if (ref && --ref->refs == 0) {
    nd_config_free(&ref->cfg);
    free(ref);
  }
}

const struct nd_config *nd_engine_config(const struct nd_engine *e) {
  return e->cfg_ref ? &e->cfg_ref->cfg : NULL;
}

/* ---- SA table ---------------------------------------------------------------------------- */

uint64_t nd_random_spi64(void) {
  uint64_t spi = 0;
  while (spi == 0)
    if (RAND_bytes((unsigned char *)&spi, sizeof spi) != 1)
      abort(); /* no randomness: nothing safe is left to do */
  return spi;
}

static uint64_t local_spi(const struct nd_ike_sa *sa) {
  return sa->initiator ? sa->spi_i : sa->spi_r;
}

/* Multiplicative (Fibonacci) hashing: the top bits of spi * 2^64/phi depend on every bit of
 * the SPI. The peer's SPIs need not be random (a load generator's are a counter and a slot
 * number), and folding a few bits together left most buckets empty and a few long. */
static size_t bucket_of(const struct nd_engine *e, uint64_t spi) {
  uint64_t h = spi * UINT64_C(0x9e3779b97f4a7c15);
  return (size_t)(h >> 32) & (e->n_buckets - 1);
}

static void unhash(struct nd_engine *e, struct nd_ike_sa *sa) {
  for (struct nd_ike_sa **p = &e->buckets[bucket_of(e, local_spi(sa))]; *p;
       p = &(*p)->next_in_bucket)
    if (*p == sa) {
      *p = sa->next_in_bucket;
      return;
    }
}

void nd_sa_rehash(struct nd_engine *e, struct nd_ike_sa *sa) {
  unhash(e, sa);
  size_t b = bucket_of(e, local_spi(sa));
  sa->next_in_bucket = e->buckets[b];
  e->buckets[b] = sa;
}

void nd_sa_set_local_spi(struct nd_engine *e, struct nd_ike_sa *sa, uint64_t spi) {
  unhash(e, sa);
  if (sa->initiator)
    sa->spi_i = spi;
  else
    sa->spi_r = spi;
  nd_sa_rehash(e, sa);
}

struct nd_ike_sa *nd_sa_find_by_local_spi(const struct nd_engine *e, uint64_t spi) {
  for (struct nd_ike_sa *sa = e->buckets[bucket_of(e, spi)]; sa; sa = sa->next_in_bucket)
    if (local_spi(sa) == spi && sa->state != ND_IKE_DEAD)
      return sa;
  return NULL;
}

/* SAs created by an IKE_SA_INIT request are also found by the peer's SPIi, so a retransmitted
 * or colliding IKE_SA_INIT costs a bucket walk, not a walk over every SA. */
void nd_sa_index_peer(struct nd_engine *e, struct nd_ike_sa *sa) {
  size_t b = bucket_of(e, sa->spi_i);
  sa->next_by_peer_spi = e->peer_buckets[b];
  e->peer_buckets[b] = sa;
  sa->peer_indexed = true;
}

static void unindex_peer(struct nd_engine *e, struct nd_ike_sa *sa) {
  if (!sa->peer_indexed)
    return;
  for (struct nd_ike_sa **p = &e->peer_buckets[bucket_of(e, sa->spi_i)]; *p;
       p = &(*p)->next_by_peer_spi)
    if (*p == sa) {
      *p = sa->next_by_peer_spi;
      return;
    }
}

struct nd_ike_sa *nd_sa_find_half_open(const struct nd_engine *e, uint64_t spi_i,
                                       const struct nd_addr *remote) {
  for (struct nd_ike_sa *sa = e->peer_buckets[bucket_of(e, spi_i)]; sa; sa = sa->next_by_peer_spi)
    if (!sa->initiator && sa->spi_i == spi_i && sa->state != ND_IKE_DEAD &&
        nd_addr_equal(&sa->remote, remote))
      return sa;
  return NULL;
}

size_t nd_count_half_open(const struct nd_engine *e) {
  return e->n_half_open;
}

/* Called after every transition and destruction, and for every SA an event touched. */
void nd_sa_account_half_open(struct nd_engine *e, struct nd_ike_sa *sa) {
  bool half_open = sa->state == ND_IKE_INIT_DONE;
  if (half_open == sa->counted_half_open)
    return;
  sa->counted_half_open = half_open;
  if (half_open)
    e->n_half_open++;
  else
    e->n_half_open--;
}

struct nd_ike_sa *nd_sa_new(struct nd_engine *e, const struct nd_conn_cfg *conn, bool initiator) {
  /* Room for its timer up front: queueing it at the end of the event cannot fail then. */
  if (!nd_timerq_reserve(&e->timers, e->n_sas + 1))
    return NULL;
  struct nd_ike_sa *sa = calloc(1, sizeof *sa);
  if (!sa)
    return NULL;
  sa->id = ++e->next_sa_id;
  sa->cfg_ref = e->cfg_ref;
  sa->cfg_ref->refs++;
  sa->conn = conn;
  sa->initiator = initiator;
  if (initiator)
    sa->spi_i = nd_random_spi64();
  else
    sa->spi_r = nd_random_spi64();
  sa->created_ms = sa->last_rx_ms = e->now_ms;
  /* Append, so listings come out in creation order (no walk: thousands of SAs). */
  if (!e->all_tail)
    e->all_tail = &e->all;
  sa->pprev_all = e->all_tail;
  *e->all_tail = sa;
  e->all_tail = &sa->next_all;
  e->n_sas++;
  nd_sa_rehash(e, sa);
  nd_sa_touch(e, sa);
  return sa;
}

bool nd_bytes_set(uint8_t **dst, size_t *dst_len, const uint8_t *src, size_t len) {
  free(*dst);
  *dst = len ? malloc(len) : NULL;
  *dst_len = *dst ? len : 0;
  if (*dst)
    memcpy(*dst, src, len);
  return *dst || !len;
}

/* ---- SAs by connection and peer identity ---------------------------------------------------- */

static size_t peer_id_bucket(const struct nd_engine *e, const struct nd_ike_sa *sa) {
  /* FNV-1a over the connection's name and the identity's type and octets. */
  uint64_t h = 14695981039346656037u;
  const uint8_t *name = (const uint8_t *)sa->conn->name;
  for (size_t i = 0; name[i]; i++)
    h = (h ^ name[i]) * 1099511628211u;
  h = (h ^ 0xff ^ sa->peer_id->type) * 1099511628211u;
  for (size_t i = 0; i < sa->peer_id->len; i++)
    h = (h ^ sa->peer_id->data[i]) * 1099511628211u;
  return (size_t)(h ^ (h >> 32)) & (e->n_buckets - 1);
}

static void unindex_peer_id(struct nd_engine *e, struct nd_ike_sa *sa) {
  if (!sa->peer_id_indexed)
    return;
  sa->peer_id_indexed = false;
  for (struct nd_ike_sa **p = &e->peer_id_buckets[peer_id_bucket(e, sa)]; *p;
       p = &(*p)->next_by_peer_id)
    if (*p == sa) {
      *p = sa->next_by_peer_id;
      return;
    }
}

static void index_peer_id(struct nd_engine *e, struct nd_ike_sa *sa) {
  size_t b = peer_id_bucket(e, sa);
  sa->next_by_peer_id = e->peer_id_buckets[b];
  e->peer_id_buckets[b] = sa;
  sa->peer_id_indexed = true;
}

static bool same_peer(const struct nd_ike_sa *a, const struct nd_ike_sa *b) {
  return a != b && b->state != ND_IKE_DEAD && strcmp(a->conn->name, b->conn->name) == 0 &&
         nd_identity_equal(a->peer_id, b->peer_id);
}

struct nd_ike_sa *nd_sa_peer_next(const struct nd_ike_sa *sa, const struct nd_ike_sa *from) {
  struct nd_ike_sa *o = from->next_by_peer_id;
  while (o && !same_peer(sa, o))
    o = o->next_by_peer_id;
  return o;
}

struct nd_ike_sa *nd_sa_peer_first(const struct nd_engine *e, const struct nd_ike_sa *sa) {
  if (!sa->peer_id_indexed)
    return NULL;
  struct nd_ike_sa *o = e->peer_id_buckets[peer_id_bucket(e, sa)];
  return o && same_peer(sa, o) ? o : o ? nd_sa_peer_next(sa, o) : NULL;
}

bool nd_sa_set_peer_id(struct nd_engine *e, struct nd_ike_sa *sa, const struct nd_identity *id) {
  unindex_peer_id(e, sa); /* its bucket follows the identity */
  struct nd_identity *old = sa->peer_id_own;
  sa->peer_id_own = NULL;
  if (nd_identity_equal(id, &sa->conn->remote_id)) {
    sa->peer_id = &sa->conn->remote_id;
  } else {
    /* Only the octets the identity holds (a gateway of many peers keeps one per SA): readers
     * go through nd_identity_*, which stop at len. */
    size_t size = offsetof(struct nd_identity, data) + id->len;
    sa->peer_id_own = malloc(size);
    if (sa->peer_id_own)
      memcpy(sa->peer_id_own, id, size);
    sa->peer_id = sa->peer_id_own;
  }
  free(old); /* after the copy: id may be the old one */
  if (sa->peer_id)
    index_peer_id(e, sa);
  return sa->peer_id != NULL;
}

void nd_sa_destroy(struct nd_engine *e, struct nd_ike_sa *sa, const char *why) {
  if (sa->state == ND_IKE_DEAD)
    return;
  /* A responder SA that never left CREATED was only a parse of an IKE_SA_INIT: not news. */
  nd_log(sa->state == ND_IKE_NONE ? ND_LOG_DEBUG : ND_LOG_INFO, "ike#%llu (%s) destroyed: %s",
         (unsigned long long)sa->id, sa->conn ? sa->conn->name : "-", why);
  if (sa->state == ND_IKE_INIT_SENT || sa->state == ND_IKE_INIT_DONE ||
      sa->state == ND_IKE_AUTH_SENT)
    e->stats.handshakes_failed++; /* a handshake under way that will not finish */
  nd_reauth_takeover(e, sa); /* replacements of its Child SAs start sending first */
  for (size_t i = 0; i < sa->n_children; i++)
    nd_child_uninstall(e, &sa->children[i]);
  sa->n_children = 0;
  nd_sa_touch(e, sa); /* freed when the event ends */
  nd_set_state(sa, ND_IKE_DEAD);
  nd_sa_account_half_open(e, sa);
  nd_timerq_remove(&e->timers, &sa->timer);
}

static void unlink_all(struct nd_engine *e, struct nd_ike_sa *sa) {
  *sa->pprev_all = sa->next_all;
  if (sa->next_all)
    sa->next_all->pprev_all = sa->pprev_all;
  else
    e->all_tail = sa->pprev_all;
  e->n_sas--;
}

void nd_sa_free(struct nd_engine *e, struct nd_ike_sa *sa) {
  unlink_all(e, sa);
  unhash(e, sa);
  unindex_peer_id(e, sa);
  unindex_peer(e, sa);
  nd_keys_free(sa);
  nd_keys_drop_handshake(sa);
  free(sa->ni);
  free(sa->nr);
  free(sa->peer_id_own);
  nd_dg_free(&sa->req.dg);
  nd_dg_free(&sa->resp.dg);
  nd_frag_reset(sa);
  nd_ccs_clear(sa);
  free(sa->children);
  cfg_release(sa->cfg_ref);
  free(sa);
}

/* ---- lifecycle --------------------------------------------------------------------------- */

struct nd_engine *nd_engine_new(const struct nd_engine_io *io, struct nicsec_hal_dev *hal) {
  struct nd_engine *e = calloc(1, sizeof *e);
  if (!e)
    return NULL;
  e->io = *io;
  e->hal = hal;
  e->n_buckets = BUCKETS;
  e->buckets = calloc(BUCKETS, sizeof *e->buckets);
  e->peer_buckets = calloc(BUCKETS, sizeof *e->peer_buckets);
  e->peer_id_buckets = calloc(BUCKETS, sizeof *e->peer_id_buckets);
  e->cfg_ref = calloc(1, sizeof *e->cfg_ref);
  e->scratch = malloc(ND_MAX_MSG);
  e->inner_buf = malloc(ND_MAX_MSG);
  e->out_buf = malloc(ND_MAX_MSG);
  if (e->cfg_ref)
    e->cfg_ref->refs = 1;
  if (!e->buckets || !e->peer_buckets || !e->peer_id_buckets || !e->cfg_ref || !e->scratch ||
      !e->inner_buf || !e->out_buf || RAND_bytes(e->cookie_secret, sizeof e->cookie_secret) != 1) {
    nd_engine_free(e);
    return NULL;
  }
  e->next_reqid = 1;
  return e;
}

void nd_engine_free(struct nd_engine *e) {
  if (!e)
    return;
  for (struct nd_ike_sa *sa = e->all; sa; sa = sa->next_all)
    nd_sa_destroy(e, sa, "daemon shutting down");
  nd_engine_settle(e);
  nd_timerq_free(&e->timers);
  for (int round = 0; round < 100 && e->n_draining; round++)
    nd_child_drain_pending(e);
  free(e->draining);
  cfg_release(e->cfg_ref);
  free(e->buckets);
  free(e->peer_buckets);
  free(e->peer_id_buckets);
  free(e->scratch);
  free(e->inner_buf);
  free(e->out_buf);
  OPENSSL_cleanse(e->cookie_secret, sizeof e->cookie_secret);
  free(e);
}

static bool conn_has_sa(const struct nd_engine *e, const struct nd_conn_cfg *conn) {
  for (struct nd_ike_sa *sa = e->all; sa; sa = sa->next_all)
    if (sa->state != ND_IKE_DEAD && sa->conn && strcmp(sa->conn->name, conn->name) == 0)
      return true;
  return false;
}

void nd_engine_load(struct nd_engine *e, struct nd_config *cfg, uint64_t now_ms) {
  struct nd_cfg_ref *ref = calloc(1, sizeof *ref);
  if (!ref) {
    nd_config_free(cfg);
    return;
  }
  ref->refs = 1;
  ref->cfg = *cfg;
  memset(cfg, 0, sizeof *cfg);
  cfg_release(e->cfg_ref);
  e->cfg_ref = ref;
  e->now_ms = now_ms;
  for (size_t i = 0; i < ref->cfg.n_conns; i++) {
    const struct nd_conn_cfg *conn = &ref->cfg.conns[i];
    for (size_t c = 0; c < conn->n_children; c++) {
      if (conn->children[c].start_action != ND_START_START || conn_has_sa(e, conn))
        continue;
      char err[160];
      if (nd_engine_initiate(e, now_ms, conn->name, conn->children[c].name, err, sizeof err) != 0)
        ND_WARN("start_action of %s/%s: %s", conn->name, conn->children[c].name, err);
    }
  }
}

/* ---- receive pipeline -------------------------------------------------------------------- */

static bool hash_datagram(const uint8_t *data, size_t len, uint8_t out[ND_HASH_LEN]) {
  unsigned int n = 0;
  return EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) == 1 && n == ND_HASH_LEN;
}

static const struct nd_transition *find_transition(uint8_t exchange, bool response,
                                                   enum nd_ike_state state) {
  for (size_t i = 0; i < sizeof transitions / sizeof transitions[0]; i++)
    if (transitions[i].exchange == exchange && transitions[i].response == response &&
        (transitions[i].states & ND_ST(state)))
      return &transitions[i];
  return NULL;
}

static void drop(struct nd_engine *e, const struct nd_rx *rx, const char *why) {
  char from[64];
  nd_addr_format(&rx->remote, from, sizeof from);
  ND_DEBUG("dropped %zu octets from %s: %s", rx->len, from, why);
  e->stats.dropped++;
}

void nd_stats_notify(uint64_t counts[ND_NOTIFY_COUNTED], uint16_t type) {
  if (ike_notify_is_error(type))
    counts[type < ND_NOTIFY_COUNTED ? type : 0]++;
}

void nd_stats_hal_error(struct nd_engine_stats *s, int err) {
  if (err != NICSEC_HAL_OK)
    s->hal_errors[err > 0 && err < ND_HAL_ERR_COUNTED ? err : 0]++;
}

/* Error notifies the peer sent, for the metrics: every message that reaches a handler. */
static void count_received_notifies(struct nd_engine *e, const struct nd_rx *rx) {
  const struct ike_chain *chain = rx->msg.encrypted_index >= 0 ? &rx->inner : &rx->msg.clear;
  for (size_t i = 0; i < chain->count; i++)
    if (chain->payloads[i].type == IKE_PT_NOTIFY)
      nd_stats_notify(e->stats.notify_received, ike_ref_notify_type(&chain->payloads[i]));
}

static void run_transition(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_rx *rx) {
  const struct ike_header *hdr = &rx->msg.hdr;
  count_received_notifies(e, rx);
  const struct nd_transition *t = find_transition(hdr->exchange, ike_header_is_response(hdr),
                                                  sa->state);
  if (!t) {
    drop(e, rx, "no transition for this exchange in the SA's state");
    return;
  }
  enum nd_hres r = t->handler(e, sa, rx);
  switch (r) {
  case ND_HR_NEXT:
    nd_set_state(sa, t->next);
    break;
  case ND_HR_DROP:
    e->stats.invalid++;
    break;
  case ND_HR_STAY:
  case ND_HR_DESTROY:
    break;
  }
  nd_sa_account_half_open(e, sa);
  if (sa->state != ND_IKE_DEAD)
    nd_info_run_pending(e, sa);
}

/* A new IKE_SA_INIT request, or a retransmission of one we already answered. */
static void receive_init_request(struct nd_engine *e, struct nd_rx *rx) {
  const struct ike_header *hdr = &rx->msg.hdr;
  if (hdr->spi_r != 0 || hdr->message_id != 0 || !ike_header_is_initiator(hdr))
    return drop(e, rx, "IKE_SA_INIT request with a responder SPI, Message ID or no I flag");
  struct nd_ike_sa *known = nd_sa_find_half_open(e, hdr->spi_i, &rx->remote);
  if (known) {
    if (known->resp.valid && known->resp.mid == 0 &&
        memcmp(known->resp.request_hash, rx->hash, ND_HASH_LEN) == 0) {
      e->stats.retransmits++;
      nd_dg_send(e, &known->local, &known->remote, &known->resp.dg);
      return;
    }
    return drop(e, rx, "IKE_SA_INIT for an SPI already in use");
  }
  nd_init_new_request(e, rx);
}

/* The SA a message belongs to, checked against the header's SPIs and role flags. */
static struct nd_ike_sa *match_sa(struct nd_engine *e, const struct ike_header *hdr) {
  bool from_original_initiator = ike_header_is_initiator(hdr);
  struct nd_ike_sa *sa =
      nd_sa_find_by_local_spi(e, from_original_initiator ? hdr->spi_r : hdr->spi_i);
  if (!sa || sa->initiator == from_original_initiator)
    return NULL;
  if (from_original_initiator)
    return sa->spi_i == hdr->spi_i ? sa : NULL;
  /* Our IKE_SA_INIT response carries the responder's SPI for the first time. */
  bool learning = sa->state == ND_IKE_INIT_SENT && hdr->exchange == IKE_EXCH_IKE_SA_INIT;
  return learning || sa->spi_r == hdr->spi_r ? sa : NULL;
}

/* Window checks (RFC 7296 2.3): a response must answer our outstanding request; a request must
 * be the next one, or a duplicate of the last one (answered from the cache). */
static bool window_accepts(struct nd_engine *e, struct nd_ike_sa *sa, const struct nd_rx *rx) {
  const struct ike_header *hdr = &rx->msg.hdr;
  if (ike_header_is_response(hdr))
    return sa->req.kind != ND_REQ_NONE && sa->req.mid == hdr->message_id &&
           sa->req.exchange == hdr->exchange;
  if (hdr->message_id == sa->expected_mid)
    return true;
  /* A fragmented request is recognised as repeated by its first fragment (RFC 7383 2.6.1);
   * the whole response is sent again. */
  uint16_t fragment = nd_frag_number(rx);
  bool repeated = fragment ? fragment == 1
                           : memcmp(sa->resp.request_hash, rx->hash, ND_HASH_LEN) == 0;
  if (sa->resp.valid && sa->resp.mid == hdr->message_id && repeated) {
    e->stats.retransmits++;
    nd_dg_send(e, &sa->local, &rx->remote, &sa->resp.dg);
  }
  return false;
}

/* RFC 7296 2.5 and 1.5: an IKE_SA_INIT request with an unknown critical payload is answered
 * UNSUPPORTED_CRITICAL_PAYLOAD (data: the payload type), one of a higher major version
 * INVALID_MAJOR_VERSION; both unprotected and stateless. Every other unprotected parse error is
 * dropped silently (INVALID_SYNTAX may only be sent protected, 3.10.1). */
static void answer_clear_error(struct nd_engine *e, const struct nd_rx *rx, enum ike_err rc,
                               const struct ike_error *err) {
  uint16_t notify = ike_err_notify(rc);
  const struct ike_header *hdr = &rx->msg.hdr;
  bool init_request = hdr->exchange == IKE_EXCH_IKE_SA_INIT && !ike_header_is_response(hdr) &&
                      hdr->message_id == 0 && hdr->spi_i != 0;
  if (!init_request)
    return;
  if (rc == IKE_ERR_UNSUPPORTED_CRITICAL && notify)
    nd_send_init_notify(e, rx, notify, &err->payload_type, 1);
  else if (rc == IKE_ERR_MAJOR_VERSION_HIGH && notify)
    nd_send_init_notify(e, rx, notify, NULL, 0);
}

static void receive(struct nd_engine *e, struct nd_rx *rx) {
  struct ike_error err;
  enum ike_err rc = ike_message_parse(rx->data, rx->len, &rx->msg, &err);
  if (rc != IKE_OK) {
    char text[200];
    ike_error_format(&err, text, sizeof text);
    answer_clear_error(e, rx, rc, &err);
    return drop(e, rx, text);
  }
  if (!hash_datagram(rx->data, rx->len, rx->hash))
    return drop(e, rx, "hash failed");
  rc = ike_rules_check_clear(&rx->msg, &err);
  if (rc != IKE_OK)
    return drop(e, rx, ike_strerror(rc));
  const struct ike_header *hdr = &rx->msg.hdr;
  if (hdr->exchange == IKE_EXCH_IKE_SA_INIT && !ike_header_is_response(hdr))
    return receive_init_request(e, rx);
  struct nd_ike_sa *sa = match_sa(e, hdr);
  if (!sa)
    return drop(e, rx, "no IKE SA for these SPIs");
  nd_sa_touch(e, sa);
  if (!window_accepts(e, sa, rx))
    return drop(e, rx, "Message ID outside the window (or a duplicate)");
  bool is_protected = rx->msg.encrypted_index >= 0;
  if (hdr->exchange != IKE_EXCH_IKE_SA_INIT && !is_protected)
    return drop(e, rx, "unprotected notification (hint only)");
  if (is_protected && !nd_open_protected(e, sa, rx))
    return;
  sa->last_rx_ms = rx->now_ms;
  run_transition(e, sa, rx);
}

void nd_engine_receive(struct nd_engine *e, uint64_t now_ms, const struct nd_addr *local,
                       const struct nd_addr *remote, const uint8_t *msg, size_t len) {
  struct nd_rx *rx = calloc(1, sizeof *rx);
  if (!rx)
    return;
  e->now_ms = now_ms;
  e->stats.rx++;
  rx->now_ms = now_ms;
  rx->local = *local;
  rx->remote = *remote;
  rx->data = msg;
  rx->len = len;
  receive(e, rx);
  free(rx);
  nd_engine_settle(e);
}

void nd_dispatch_new(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_rx *rx) {
  run_transition(e, sa, rx);
  if (sa->state == ND_IKE_NONE)
    nd_sa_destroy(e, sa, "IKE_SA_INIT not accepted");
}

/* ---- operator entry points ----------------------------------------------------------------- */

int nd_engine_initiate(struct nd_engine *e, uint64_t now_ms, const char *conn_name,
                       const char *child_name, char *err, size_t err_len) {
  e->now_ms = now_ms;
  const struct nd_conn_cfg *conn = nd_config_find_conn(&e->cfg_ref->cfg, conn_name);
  if (!conn) {
    snprintf(err, err_len, "no connection named '%s'", conn_name);
    return -1;
  }
  if (conn->remote_addr.family == 0) {
    snprintf(err, err_len, "connection '%s' has remote_addr %%any: it can only respond",
             conn_name);
    return -1;
  }
  const struct nd_child_cfg *child = NULL;
  for (size_t i = 0; i < conn->n_children && !child; i++)
    if (!child_name || strcmp(conn->children[i].name, child_name) == 0)
      child = &conn->children[i];
  if (!child) {
    snprintf(err, err_len, "connection '%s' has no child%s%s", conn_name,
             child_name ? " named " : "s", child_name ? child_name : "");
    return -1;
  }
  struct nd_ike_sa *sa = nd_sa_new(e, conn, true);
  if (!sa) {
    snprintf(err, err_len, "out of memory");
    return -1;
  }
  sa->child_to_create = child;
  if (nd_init_start(e, sa) != 0) {
    nd_sa_destroy(e, sa, "cannot start IKE_SA_INIT");
    nd_engine_settle(e);
    snprintf(err, err_len, "cannot start IKE_SA_INIT (see the log)");
    return -1;
  }
  nd_engine_settle(e);
  return 0;
}

int nd_engine_terminate(struct nd_engine *e, uint64_t now_ms, const char *conn_name, char *err,
                        size_t err_len) {
  e->now_ms = now_ms;
  if (!nd_config_find_conn(&e->cfg_ref->cfg, conn_name)) {
    bool known = false;
    for (struct nd_ike_sa *sa = e->all; sa && !known; sa = sa->next_all)
      known = sa->conn && strcmp(sa->conn->name, conn_name) == 0;
    if (!known) {
      snprintf(err, err_len, "no connection named '%s'", conn_name);
      return -1;
    }
  }
  int count = 0;
  for (struct nd_ike_sa *sa = e->all; sa; sa = sa->next_all) {
    if (sa->state == ND_IKE_DEAD || !sa->conn || strcmp(sa->conn->name, conn_name) != 0)
      continue;
    count++;
    nd_sa_touch(e, sa);
    if (sa->state == ND_IKE_ESTABLISHED) {
      sa->pending |= ND_PENDING_DELETE_IKE;
      nd_info_run_pending(e, sa);
    } else if (sa->state != ND_IKE_DELETING) {
      nd_sa_destroy(e, sa, "terminated before it was established");
    }
  }
  nd_engine_settle(e);
  return count;
}

/* ---- views -------------------------------------------------------------------------------- */

static void child_view(const struct nd_engine *e, const struct nd_child_sa *c,
                       struct nd_child_view *v) {
  (void)e;
  memset(v, 0, sizeof *v);
  v->id = c->id;
  v->name = c->cfg->name;
  v->state = c->state == ND_CHILD_LIVE && !c->installed ? "DELETED"
                                                        : nd_child_state_name(c->state);
  v->mode = c->transport ? "transport" : "tunnel";
  v->encap = c->encap;
  v->spi_in = c->spi_in;
  v->spi_out = c->spi_out;
  v->reqid = c->reqid;
  nd_selected_describe(&c->sel, v->proposal, sizeof v->proposal);
  for (size_t i = 0; i < c->local_ts.count; i++)
    nd_ts_format(&c->local_ts.ts[i], v->local_ts[i], sizeof v->local_ts[i]);
  for (size_t i = 0; i < c->remote_ts.count; i++)
    nd_ts_format(&c->remote_ts.ts[i], v->remote_ts[i], sizeof v->remote_ts[i]);
  v->n_local_ts = c->local_ts.count;
  v->n_remote_ts = c->remote_ts.count;
  v->hal_in = c->hal_in;
  v->hal_out = c->hal_out;
  v->installed_ms = c->installed_ms;
  v->rekey = nd_child_origin_name(c->origin);
}

void nd_engine_visit(const struct nd_engine *e, nd_ike_visit_fn fn, void *ctx) {
  for (const struct nd_ike_sa *sa = e->all; sa; sa = sa->next_all) {
    if (sa->state == ND_IKE_DEAD)
      continue;
    struct nd_ike_view v = {0};
    v.id = sa->id;
    v.conn = sa->conn ? sa->conn->name : "";
    v.state = nd_ike_state_name(sa->state);
    v.initiator = sa->initiator;
    v.spi_i = sa->spi_i;
    v.spi_r = sa->spi_r;
    v.local = sa->local;
    v.remote = sa->remote;
    if (sa->conn)
      nd_identity_format(&sa->conn->local_id, v.local_id, sizeof v.local_id);
    if (sa->peer_id)
      nd_identity_format(sa->peer_id, v.remote_id, sizeof v.remote_id);
    if (sa->state >= ND_IKE_INIT_DONE && sa->ike_sel.encr)
      nd_selected_describe(&sa->ike_sel, v.proposal, sizeof v.proposal);
    v.nat_local = sa->nat_local;
    v.nat_remote = sa->nat_remote;
    v.created_ms = sa->created_ms;
    v.established_ms = sa->established_ms;
    v.next_request_mid = sa->next_mid;
    v.expected_request_mid = sa->expected_mid;
    v.n_children = sa->n_children;
    struct nd_child_view children[ND_MAX_CHILDREN];
    for (size_t i = 0; i < sa->n_children && i < ND_MAX_CHILDREN; i++)
      child_view(e, &sa->children[i], &children[i]);
    fn(ctx, &v, children, sa->n_children);
  }
}

void nd_engine_stats(const struct nd_engine *e, struct nd_engine_stats *out) {
  *out = e->stats;
  out->ike_sas = e->n_sas; /* outside an event: the dead are freed */
  out->half_open = nd_count_half_open(e);
}
