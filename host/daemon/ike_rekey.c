/* Rekeying the IKE SA (RFC 7296 1.3.2, 2.18): CREATE_CHILD_SA with an IKE proposal carrying the
 * new 8-octet SPI, a nonce and a mandatory KE. The new SA's keys come from the old SK_d and the
 * fresh g^ir; its Message IDs start at 0; the Child SAs move to it; the rekey initiator deletes
 * the old SA.
 *
 * Collisions (2.8): when both peers rekey at once each ends up with two new IKE SAs; the one made
 * by the exchange with the lowest nonce is redundant and deleted by its initiator, the other
 * takes the Child SAs, and the winner's initiator deletes the old SA. A Child SA exchange in
 * progress makes an IKE rekey wait (TEMPORARY_FAILURE, 2.25).
 *
 * Optimized (rekey_opt.h): N(OPTIMIZED_REKEY) with the 8-octet SPI replaces the SA payload; the
 * new SA keeps the old one's transforms and KE method; a refusal is retried as a regular rekey. */
#include <openssl/crypto.h>
#include <string.h>

#include "engine_internal.h"
#include "rekey_opt.h"

enum { REDUNDANT_GRACE_MS = 60000 }; /* how long the peer may take to delete its loser SA */

static void put_be64(uint8_t *p, uint64_t v) {
  for (int i = 7; i >= 0; i--, v >>= 8)
    p[i] = (uint8_t)v;
}

static uint64_t get_be64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v = v << 8 | p[i];
  return v;
}

struct nd_ike_sa *nd_sa_by_id(const struct nd_engine *e, uint64_t id) {
  for (struct nd_ike_sa *sa = e->all; sa && id; sa = sa->next_all)
    if (sa->id == id && sa->state != ND_IKE_DEAD)
      return sa;
  return NULL;
}

bool nd_ike_child_exchange_active(const struct nd_ike_sa *sa) {
  return sa->req.kind == ND_REQ_CREATE_CHILD || sa->req.kind == ND_REQ_REKEY_CHILD ||
         sa->req.kind == ND_REQ_DELETE_CHILD;
}

void nd_ike_move_children(struct nd_ike_sa *from, struct nd_ike_sa *to) {
  if (!from->n_children || from == to)
    return;
  size_t total = to->n_children + from->n_children;
  struct nd_child_sa *grown = realloc(to->children, total * sizeof *grown);
  if (!grown) {
    ND_ERROR("ike#%llu: out of memory moving Child SAs", (unsigned long long)to->id);
    return;
  }
  memcpy(grown + to->n_children, from->children, from->n_children * sizeof *grown);
  to->children = grown;
  to->n_children = total;
  from->n_children = 0;
  ND_INFO("ike#%llu: Child SAs moved to ike#%llu", (unsigned long long)from->id,
          (unsigned long long)to->id);
}

/* The new SA inherits what the IKE_SA_INIT/IKE_AUTH of the old one established. */
static void inherit(struct nd_engine *e, struct nd_ike_sa *n, const struct nd_ike_sa *old) {
  n->local = old->local;
  n->remote = old->remote;
  n->natt = old->natt;
  n->frag_ok = old->frag_ok;
  n->opt_rekey = old->opt_rekey; /* negotiated in IKE_AUTH, which the new SA inherits */
  n->pfs_info = old->pfs_info;
  n->peer_hashes = old->peer_hashes;
  n->nat_local = old->nat_local;
  n->nat_remote = old->nat_remote;
  if (old->peer_id)
    nd_sa_set_peer_id(e, n, old->peer_id); /* only fails out of memory: then listed without */
  n->last_rx_ms = e->now_ms;
  n->established_ms = e->now_ms;
  nd_keys_drop_handshake(n); /* its SK_pi/SK_pr: a rekeyed SA never authenticates */
  nd_set_state(n, ND_IKE_ESTABLISHED);
  nd_life_ike_start(e, n);
  e->stats.ike_established++;
}

/* The old SA handed its Child SAs over; the initiator of the winning exchange deletes it. */
static void retire_old(struct nd_ike_sa *old, bool we_delete) {
  nd_set_state(old, ND_IKE_REKEYED);
  old->successor_id = 0;
  old->pending &= ~(unsigned)(ND_PENDING_DPD | ND_PENDING_REKEY_IKE);
  if (we_delete)
    old->pending |= ND_PENDING_DELETE_IKE;
}

/* ---- initiator ------------------------------------------------------------------------------- */

static int send_ike_rekey(struct nd_engine *e, struct nd_ike_sa *sa) {
  struct nd_ccs *c = &sa->ccs;
  union ike_payload_body body_sa, body_nonce, body_ke; /* body_sa: SA, or N(OPTIMIZED_REKEY) */
  uint8_t spi[8], pub[IKE_KE_MAX_PUBLIC];
  size_t pub_len = 0;
  ike_ke_free(c->ke);
  c->ke = NULL;
  if (!nd_random_nonce(c->nonce, &c->nonce_len) || ike_ke_initiate(c->ke_method, &c->ke) != 0 ||
      ike_ke_public_value(c->ke, pub, sizeof pub, &pub_len) != IKE_CRYPTO_OK)
    return -1;
  put_be64(spi, c->ike_spi);
  memset(&body_sa, 0, sizeof body_sa);
  if (c->optimized)
    nd_opt_body(sa, &body_sa, spi, 8);
  else if (!nd_proposals_to_sa(sa->conn->ike, sa->conn->n_ike, spi, 8, &body_sa.sa))
    return -1;
  body_nonce.nonce.data = (struct wire_view){c->nonce, c->nonce_len};
  body_ke.ke = (struct ike_ke_payload){c->ke_method, {pub, pub_len}};
  struct ike_payload_out out[3] = {nd_out(c->optimized ? IKE_PT_NOTIFY : IKE_PT_SA, &body_sa),
                                   nd_out(IKE_PT_NONCE, &body_nonce), nd_out(IKE_PT_KE, &body_ke)};
  ND_INFO("ike#%llu (%s): rekeying the IKE SA%s, new SPI %016llx", (unsigned long long)sa->id,
          sa->conn->name, c->optimized ? " (optimized)" : "", (unsigned long long)c->ike_spi);
  return nd_send_request(e, sa, IKE_EXCH_CREATE_CHILD_SA, ND_REQ_REKEY_IKE, out, 3);
}

int nd_ike_rekey_start(struct nd_engine *e, struct nd_ike_sa *sa) {
  nd_ccs_clear(sa);
  sa->ccs.ike_spi = nd_random_spi64();
  /* The current group first: the peer accepted it once (RFC 7296 1.3.2 says SHOULD reuse). */
  sa->ccs.ke_method = sa->ike_sel.ke ? sa->ike_sel.ke
                                     : nd_proposals_first_ke(sa->conn->ike, sa->conn->n_ike);
  sa->ccs.optimized = nd_opt_ike_eligible(sa); /* then ke_method is the one in effect */
  int rc = send_ike_rekey(e, sa);
  if (rc != 0)
    nd_ccs_clear(sa);
  return rc;
}

/* Optimized answer: N(OPTIMIZED_REKEY)(SPIr), Nr, KEr; the transforms stay those in effect. */
static const char *accept_opt_answer(struct nd_ike_sa *sa, const struct ike_chain *in,
                                     struct nd_selected *sel, uint64_t *spi_r) {
  struct wire_view spi;
  if (!nd_opt_find(sa, in, &spi) || spi.len != 8 || ike_chain_find(in, IKE_PT_SA, 0) >= 0)
    return "no OPTIMIZED_REKEY with an 8-octet SPI (or an SA payload too)";
  *sel = sa->ike_sel;
  *spi_r = get_be64(spi.ptr);
  return NULL;
}

/* The answer: SA (one IKE proposal with the responder's new SPI), Nr, KEr. NULL or why not. */
static const char *accept_ike_answer(struct nd_ike_sa *sa, const struct ike_chain *in,
                                     struct nd_selected *sel, uint64_t *spi_r,
                                     union ike_payload_body *nonce, struct ike_secret *shared) {
  union ike_payload_body sa_in, ke;
  if (sa->ccs.optimized) {
    const char *why = accept_opt_answer(sa, in, sel, spi_r);
    if (why)
      return why;
  }
  if ((!sa->ccs.optimized && !nd_decode_first(in, IKE_PT_SA, &sa_in)) ||
      !nd_decode_first(in, IKE_PT_NONCE, nonce) ||
      !nd_decode_first(in, IKE_PT_KE, &ke))
    return "SA, Nr or KEr missing";
  if (!sa->ccs.optimized &&
      (!nd_proposal_check_answer(sa->conn->ike, sa->conn->n_ike, &sa_in.sa, false, sel) ||
       sa_in.sa.proposals[0].spi.len != 8))
    return "the answer is not something we proposed";
  if (!sa->ccs.optimized)
    *spi_r = get_be64(sa_in.sa.proposals[0].spi.ptr);
  if (sel->ke != sa->ccs.ke_method || ke.ke.ke_method != sa->ccs.ke_method || *spi_r == 0)
    return "KE method or SPI not acceptable";
  if (ike_ke_finish(sa->ccs.ke, ike_bytes_of(ke.ke.data.ptr, ke.ke.data.len), shared) !=
      IKE_CRYPTO_OK)
    return "KEr rejected";
  return NULL;
}

static struct nd_ike_sa *initiator_new_sa(struct nd_engine *e, struct nd_ike_sa *old,
                                          const struct nd_selected *sel, uint64_t spi_r,
                                          const union ike_payload_body *nonce,
                                          const struct ike_secret *shared) {
  struct nd_ike_sa *n = nd_sa_new(e, old->conn, true);
  if (!n)
    return NULL;
  nd_sa_set_local_spi(e, n, old->ccs.ike_spi);
  n->spi_r = spi_r;
  n->ike_sel = *sel;
  n->ke_method = sel->ke;
  if (!nd_bytes_set(&n->ni, &n->ni_len, old->ccs.nonce, old->ccs.nonce_len) ||
      !nd_bytes_set(&n->nr, &n->nr_len, nonce->nonce.data.ptr, nonce->nonce.data.len) ||
      !nd_keys_derive_rekey(n, old, shared)) {
    nd_sa_destroy(e, n, "cannot derive the rekeyed IKE SA's keys");
    return NULL;
  }
  inherit(e, n, old);
  e->stats.rekey_ike_initiated++;
  return n;
}

/* Failure answers: INVALID_KE_PAYLOAD retries, TEMPORARY_FAILURE waits; the old SA lives on. */
static void ike_rekey_failed(struct nd_engine *e, struct nd_ike_sa *sa,
                             const struct ike_chain *in) {
  uint16_t error = nd_first_error_notify(in);
  struct wire_view data;
  if (sa->ccs.optimized && nd_opt_refusal_retries_regular(error)) {
    ND_INFO("ike#%llu: optimized IKE SA rekey refused (%s), rekeying regularly",
            (unsigned long long)sa->id, ike_notify_name(error));
    sa->ccs.optimized = false;
    if (send_ike_rekey(e, sa) == 0)
      return;
  }
  if (error == IKE_N_INVALID_KE_PAYLOAD && nd_notify_data(in, error, &data) && data.len == 2) {
    uint16_t wanted = (uint16_t)(data.ptr[0] << 8 | data.ptr[1]);
    if (wanted != sa->ccs.ke_method && sa->ccs.ke_retries < 2 &&
        nd_proposals_offer_ke(sa->conn->ike, sa->conn->n_ike, wanted)) {
      sa->ccs.ke_method = wanted;
      sa->ccs.ke_retries++;
      if (send_ike_rekey(e, sa) == 0)
        return;
    }
  }
  ND_WARN("ike#%llu: IKE SA rekey failed: %s", (unsigned long long)sa->id,
          error ? ike_notify_name(error) : "unusable answer");
  struct nd_ike_sa *theirs = sa->ccs.collided ? nd_sa_by_id(e, sa->ccs.peer_new_id) : NULL;
  nd_sa_touch(e, theirs);
  if (theirs) { /* the peer's rekey went through: its new SA takes over */
    nd_ike_move_children(sa, theirs);
    retire_old(sa, false);
  } else if (error == IKE_N_TEMPORARY_FAILURE) {
    sa->ike_retry_at_ms = e->now_ms + nd_life_backoff_ms(e, sa->ike_retries++);
  }
  nd_ccs_clear(sa);
}

enum nd_hres nd_ike_rekey_response(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_rx *rx) {
  nd_request_done(sa);
  bool refused = sa->ccs.optimized ? nd_first_error_notify(&rx->inner) != 0
                                   : ike_chain_find(&rx->inner, IKE_PT_SA, 0) < 0;
  if (refused) {
    ike_rekey_failed(e, sa, &rx->inner);
    return ND_HR_STAY;
  }
  struct nd_selected sel;
  uint64_t spi_r = 0;
  union ike_payload_body nonce;
  struct ike_secret shared = {0};
  const char *why = accept_ike_answer(sa, &rx->inner, &sel, &spi_r, &nonce, &shared);
  struct nd_ike_sa *n = why ? NULL : initiator_new_sa(e, sa, &sel, spi_r, &nonce, &shared);
  ike_secret_free(&shared);
  if (!n) {
    ND_WARN("ike#%llu: IKE SA rekey answer not usable: %s", (unsigned long long)sa->id,
            why ? why : "key derivation failed");
    nd_ccs_clear(sa);
    return ND_HR_STAY;
  }
  bool lost = false;
  if (sa->ccs.collided) {
    const uint8_t *ours;
    size_t ours_len;
    nd_nonce_min(sa->ccs.nonce, sa->ccs.nonce_len, n->nr, n->nr_len, &ours, &ours_len);
    lost = nd_nonce_loses(ours, ours_len, sa->ccs.peer_min_nonce, sa->ccs.peer_min_len);
  }
  struct nd_ike_sa *theirs = sa->ccs.collided ? nd_sa_by_id(e, sa->ccs.peer_new_id) : NULL;
  nd_sa_touch(e, theirs);
  if (lost) {
    ND_INFO("ike#%llu: IKE rekey collision lost: deleting ike#%llu", (unsigned long long)sa->id,
            (unsigned long long)n->id);
    n->pending |= ND_PENDING_DELETE_IKE;
    n->rekey_at_ms = 0;
    if (theirs)
      nd_ike_move_children(sa, theirs);
    retire_old(sa, false); /* the winner's initiator deletes the old SA */
  } else {
    if (theirs) /* the peer's redundant SA: the peer deletes it, or it times out here */
      theirs->redundant_until_ms = e->now_ms + REDUNDANT_GRACE_MS;
    nd_ike_move_children(sa, n);
    retire_old(sa, true);
    ND_INFO("ike#%llu rekeyed: now ike#%llu, SPIs %016llx_i %016llx_r", (unsigned long long)sa->id,
            (unsigned long long)n->id, (unsigned long long)n->spi_i, (unsigned long long)n->spi_r);
  }
  nd_info_run_pending(e, n);
  nd_ccs_clear(sa);
  return ND_HR_STAY;
}

/* ---- responder ------------------------------------------------------------------------------- */

/* The peer's new SPI: from its proposal that we chose. */
static uint64_t proposal_spi(const struct ike_sa_payload *sa_in, uint8_t number) {
  for (size_t i = 0; i < sa_in->proposal_count; i++)
    if (sa_in->proposals[i].number == number && sa_in->proposals[i].spi.len == 8)
      return get_be64(sa_in->proposals[i].spi.ptr);
  return 0;
}

/* The selection and the peer's SPI of the request: from its SA payload, or (optimized) the
 * selection in effect and the SPI in N(OPTIMIZED_REKEY). 0 or the notify to refuse with. */
static uint16_t ike_request_selection(struct nd_ike_sa *sa, const struct ike_chain *in,
                                      bool optimized, struct nd_selected *sel, uint64_t *spi_i) {
  union ike_payload_body sa_in;
  struct wire_view spi;
  if (optimized) {
    if (!nd_opt_ike_eligible(sa))
      return IKE_N_NO_PROPOSAL_CHOSEN; /* not negotiated: the peer retries regularly */
    nd_opt_find(sa, in, &spi);
    *sel = sa->ike_sel;
    *spi_i = get_be64(spi.ptr);
    return 0;
  }
  if (!nd_decode_first(in, IKE_PT_SA, &sa_in))
    return IKE_N_INVALID_SYNTAX;
  if (!nd_proposal_select(sa->conn->ike, sa->conn->n_ike, &sa_in.sa, false, sel))
    return IKE_N_NO_PROPOSAL_CHOSEN;
  *spi_i = proposal_spi(&sa_in.sa, sel->proposal_number);
  return 0;
}

/* Checks the request; 0 or the notify to refuse with (group set for INVALID_KE_PAYLOAD). */
static uint16_t check_ike_request(struct nd_ike_sa *sa, const struct ike_chain *in,
                                  bool optimized, struct nd_selected *sel, uint64_t *spi_i,
                                  uint8_t group[2]) {
  union ike_payload_body ke, nonce;
  if (sa->state == ND_IKE_REKEYED || sa->successor_id || nd_ike_child_exchange_active(sa))
    return IKE_N_TEMPORARY_FAILURE; /* 2.25: finish what is going on first */
  if (!nd_decode_first(in, IKE_PT_NONCE, &nonce) || !nd_decode_first(in, IKE_PT_KE, &ke))
    return IKE_N_INVALID_SYNTAX; /* KE is mandatory for an IKE rekey (1.3.2) */
  uint16_t error = ike_request_selection(sa, in, optimized, sel, spi_i);
  if (error)
    return error;
  if (*spi_i == 0)
    return IKE_N_INVALID_SYNTAX;
  if (ke.ke.ke_method != sel->ke) {
    group[0] = (uint8_t)(sel->ke >> 8);
    group[1] = (uint8_t)sel->ke;
    return IKE_N_INVALID_KE_PAYLOAD;
  }
  return 0;
}

/* Creates our side of the new SA and its KEr. NULL when the KE data or the keys fail. */
static struct nd_ike_sa *responder_new_sa(struct nd_engine *e, struct nd_ike_sa *old,
                                          const struct ike_chain *in,
                                          const struct nd_selected *sel, uint64_t spi_i,
                                          struct ike_ke **ke) {
  union ike_payload_body kei, nonce;
  nd_decode_first(in, IKE_PT_KE, &kei);
  nd_decode_first(in, IKE_PT_NONCE, &nonce);
  struct ike_secret shared = {0};
  if (ike_ke_respond(sel->ke, ike_bytes_of(kei.ke.data.ptr, kei.ke.data.len), ke, &shared) !=
      IKE_CRYPTO_OK)
    return NULL;
  struct nd_ike_sa *n = nd_sa_new(e, old->conn, false);
  bool ok = n != NULL;
  if (ok) {
    n->spi_i = spi_i;
    n->ike_sel = *sel;
    n->ke_method = sel->ke;
    uint8_t nr[ND_NONCE_LEN];
    size_t nr_len;
    ok = nd_bytes_set(&n->ni, &n->ni_len, nonce.nonce.data.ptr, nonce.nonce.data.len) &&
         nd_random_nonce(nr, &nr_len) && nd_bytes_set(&n->nr, &n->nr_len, nr, nr_len) &&
         nd_keys_derive_rekey(n, old, &shared);
  }
  ike_secret_free(&shared);
  if (!ok) {
    if (n)
      nd_sa_destroy(e, n, "cannot derive the rekeyed IKE SA's keys");
    return NULL;
  }
  inherit(e, n, old);
  e->stats.rekey_ike_responded++;
  return n;
}

static int send_ike_answer(struct nd_engine *e, struct nd_ike_sa *old, struct nd_rx *rx,
                           const struct nd_ike_sa *n, const struct ike_ke *ke, bool optimized) {
  union ike_payload_body body_sa, body_nonce, body_ke; /* body_sa: SA, or N(OPTIMIZED_REKEY) */
  uint8_t spi[8], pub[IKE_KE_MAX_PUBLIC];
  size_t pub_len = 0;
  put_be64(spi, n->spi_r);
  memset(&body_sa, 0, sizeof body_sa);
  if (optimized)
    nd_opt_body(old, &body_sa, spi, 8);
  else if (!nd_selected_to_sa(&n->ike_sel, spi, 8, &body_sa.sa))
    return -1;
  if (ike_ke_public_value(ke, pub, sizeof pub, &pub_len) != IKE_CRYPTO_OK)
    return -1;
  body_nonce.nonce.data = (struct wire_view){n->nr, n->nr_len};
  body_ke.ke = (struct ike_ke_payload){n->ke_method, {pub, pub_len}};
  struct ike_payload_out out[3] = {nd_out(optimized ? IKE_PT_NOTIFY : IKE_PT_SA, &body_sa),
                                   nd_out(IKE_PT_NONCE, &body_nonce), nd_out(IKE_PT_KE, &body_ke)};
  return nd_send_response(e, old, rx, out, 3);
}

enum nd_hres nd_ike_rekey_request(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_rx *rx) {
  struct nd_selected sel;
  uint64_t spi_i = 0;
  uint8_t group[2];
  struct wire_view opt_spi;
  bool optimized = ike_chain_find(&rx->inner, IKE_PT_SA, 0) < 0 &&
                   nd_opt_find(sa, &rx->inner, &opt_spi) && opt_spi.len == 8;
  uint16_t error = check_ike_request(sa, &rx->inner, optimized, &sel, &spi_i, group);
  struct ike_ke *ke = NULL;
  struct nd_ike_sa *n = error ? NULL : responder_new_sa(e, sa, &rx->inner, &sel, spi_i, &ke);
  if (!error && !n)
    error = IKE_N_NO_PROPOSAL_CHOSEN;
  if (error) {
    ike_ke_free(ke);
    nd_ccs_refuse(e, sa, rx, error, error == IKE_N_INVALID_KE_PAYLOAD ? group : NULL,
                  error == IKE_N_INVALID_KE_PAYLOAD ? 2 : 0);
    return ND_HR_STAY;
  }
  int rc = send_ike_answer(e, sa, rx, n, ke, optimized);
  ike_ke_free(ke);
  if (rc != 0) {
    nd_sa_destroy(e, n, "cannot answer the IKE SA rekey");
    return ND_HR_STAY;
  }
  if (sa->req.kind == ND_REQ_REKEY_IKE) { /* we rekey too: the nonces decide (2.8) */
    union ike_payload_body ni;
    const uint8_t *lowest;
    size_t lowest_len;
    nd_decode_first(&rx->inner, IKE_PT_NONCE, &ni);
    nd_nonce_min(ni.nonce.data.ptr, ni.nonce.data.len, n->nr, n->nr_len, &lowest, &lowest_len);
    nd_ccs_note_collision(sa, lowest, lowest_len, n->id);
    sa->successor_id = n->id;
    ND_INFO("ike#%llu: IKE SA rekey collision", (unsigned long long)sa->id);
  } else {
    nd_ike_move_children(sa, n);
    retire_old(sa, false);
  }
  ND_INFO("ike#%llu rekeyed by the peer: ike#%llu, SPIs %016llx_i %016llx_r",
          (unsigned long long)sa->id, (unsigned long long)n->id, (unsigned long long)n->spi_i,
          (unsigned long long)n->spi_r);
  return ND_HR_STAY;
}

/* ---- the old SA goes before its rekey resolved ------------------------------------------------ */

void nd_ike_rekey_adopt(struct nd_engine *e, struct nd_ike_sa *old) {
  struct nd_ike_sa *n = nd_sa_by_id(e, old->successor_id);
  nd_sa_touch(e, n);
  if (old->req.kind == ND_REQ_REKEY_CHILD) { /* that rekey is lost with the old SA: try again */
    struct nd_child_sa *c = nd_child_by_id(old, old->ccs.old_child_id);
    if (c && c->state == ND_CHILD_LIVE)
      c->rekey_wanted = true;
  }
  if (!n || !old->n_children)
    return;
  nd_ike_move_children(old, n);
  n->redundant_until_ms = 0;
  old->successor_id = 0;
}

/* A request (other than its own Delete) arrived on a new SA that the peer's rekey created and
 * we have not adopted yet: the peer uses it, so it won; the Child SAs move there now, before
 * the request is handled (it may name one of them). */
void nd_ike_peer_uses(struct nd_engine *e, struct nd_ike_sa *n) {
  for (struct nd_ike_sa *old = e->all; old; old = old->next_all)
    if (old->successor_id == n->id && old->state != ND_IKE_DEAD) {
      nd_sa_touch(e, old);
      nd_ike_move_children(old, n);
      old->successor_id = 0;
      return;
    }
}
