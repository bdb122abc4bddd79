/* CREATE_CHILD_SA for Child SAs (RFC 7296 1.3.1, 1.3.3): a new Child SA, or the rekey of one
 * (N(REKEY_SA)), with or without PFS (a KE payload), in both roles; the lowest-nonce rule of
 * 2.8 when both peers rekey the same Child SA at once. IKE SA rekeys are in ike_rekey.c.
 *
 * Make-before-break: the responder installs the new inbound SA before answering and holds the
 * new outbound SA back until the old SA is deleted (the initiator's Delete proves the answer
 * arrived); the initiator installs both on the answer, removes its old outbound SA, and deletes
 * the old pair, whose inbound half keeps receiving for inbound_drain_ms (lifecycle.c).
 *
 * Optimized rekeys (rekey_opt.h): when both peers support them, N(OPTIMIZED_REKEY) with the new
 * SPI replaces SA and TS and the new Child SA inherits the old one's properties; a refusal is
 * retried at once as a regular rekey. Everything after the negotiation is shared. */
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>

#include "engine_internal.h"
#include "rekey_opt.h"

static void put_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static void put_be16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

bool nd_random_nonce(uint8_t *out, size_t *len) {
  *len = ND_NONCE_LEN;
  return RAND_bytes(out, ND_NONCE_LEN) == 1;
}

/* ---- the lowest-nonce rule (RFC 7296 2.8) ---------------------------------------------------- */

bool nd_ccs_note_collision(struct nd_ike_sa *sa, const uint8_t *lowest, size_t lowest_len,
                           uint64_t peer_new_id) {
  if (!nd_bytes_set(&sa->ccs.peer_min_nonce, &sa->ccs.peer_min_len, lowest, lowest_len)) {
    ND_WARN("ike#%llu: out of memory noting a rekey collision", (unsigned long long)sa->id);
    return false;
  }
  sa->ccs.collided = true;
  sa->ccs.peer_new_id = peer_new_id;
  return true;
}

static int nonce_cmp(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len) {
  int c = memcmp(a, b, a_len < b_len ? a_len : b_len);
  if (c)
    return c;
  return a_len < b_len ? -1 : a_len > b_len;
}

void nd_nonce_min(const uint8_t *x, size_t x_len, const uint8_t *y, size_t y_len,
                  const uint8_t **out, size_t *out_len) {
  bool x_lower = nonce_cmp(x, x_len, y, y_len) <= 0;
  *out = x_lower ? x : y;
  *out_len = x_lower ? x_len : y_len;
}

bool nd_nonce_loses(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len) {
  return nonce_cmp(a, a_len, b, b_len) < 0;
}

void nd_ccs_clear(struct nd_ike_sa *sa) {
  ike_ke_free(sa->ccs.ke);
  free(sa->ccs.peer_min_nonce);
  OPENSSL_cleanse(&sa->ccs, sizeof sa->ccs);
  memset(&sa->ccs, 0, sizeof sa->ccs);
}

/* ---- initiator ------------------------------------------------------------------------------- */

/* Payload bodies of our request; they must live until the message is built. */
struct child_req_bodies {
  union ike_payload_body rekey, opt, transport, sa, nonce, ke, tsi, tsr;
  uint8_t rekey_spi[4], spi[4];
  uint8_t pub[IKE_KE_MAX_PUBLIC];
};

/* TSi/TSr: a rekey proposes the selectors the old Child SA has; a new one the configured ones. */
static void request_selectors(const struct nd_ike_sa *sa, const struct nd_child_cfg *cfg,
                              const struct nd_child_sa *old, struct child_req_bodies *b) {
  struct nd_ts_list local, remote;
  if (old) {
    local = old->local_ts;
    remote = old->remote_ts;
  } else {
    nd_ts_resolve(cfg->local_ts, cfg->n_local_ts, sa->local.family, sa->local.ip, &local);
    nd_ts_resolve(cfg->remote_ts, cfg->n_remote_ts, sa->remote.family, sa->remote.ip, &remote);
  }
  nd_ts_to_payload(&local, &b->tsi.ts);
  nd_ts_to_payload(&remote, &b->tsr.ts);
}

static int send_child_request(struct nd_engine *e, struct nd_ike_sa *sa,
                              enum nd_request_kind kind) {
  struct nd_ccs *c = &sa->ccs;
  struct nd_child_sa *old = c->old_child_id ? nd_child_by_id(sa, c->old_child_id) : NULL;
  struct child_req_bodies b;
  struct ike_payload_out out[8];
  size_t n = 0, pub_len = 0;
  ike_ke_free(c->ke);
  c->ke = NULL;
  if (!nd_random_nonce(c->nonce, &c->nonce_len) ||
      (c->ke_method && (ike_ke_initiate(c->ke_method, &c->ke) != IKE_CRYPTO_OK ||
                        ike_ke_public_value(c->ke, b.pub, sizeof b.pub, &pub_len) !=
                            IKE_CRYPTO_OK)))
    return -1;
  if (old) { /* REKEY_SA: protocol ESP, the SPI of the old SA we receive on (RFC 7296 3.10) */
    put_be32(b.rekey_spi, old->spi_in);
    nd_notify_body(&b.rekey, IKE_PROTO_ESP, IKE_N_REKEY_SA, NULL, 0);
    b.rekey.notify.spi = (struct wire_view){b.rekey_spi, 4};
    out[n++] = nd_out(IKE_PT_NOTIFY, &b.rekey);
  }
  put_be32(b.spi, c->spi);
  if (c->optimized) { /* the notify replaces SA and TS; every property is inherited */
    nd_opt_body(sa, &b.opt, b.spi, 4);
    out[n++] = nd_out(IKE_PT_NOTIFY, &b.opt);
  } else {
    if (c->cfg->mode == ND_MODE_TRANSPORT) {
      nd_notify_body(&b.transport, IKE_PROTO_NONE, IKE_N_USE_TRANSPORT_MODE, NULL, 0);
      out[n++] = nd_out(IKE_PT_NOTIFY, &b.transport);
    }
    memset(&b.sa.sa, 0, sizeof b.sa.sa);
    if (!nd_proposals_to_sa(c->cfg->esp, c->cfg->n_esp, b.spi, 4, &b.sa.sa))
      return -1;
    out[n++] = nd_out(IKE_PT_SA, &b.sa);
  }
  b.nonce.nonce.data = (struct wire_view){c->nonce, c->nonce_len};
  out[n++] = nd_out(IKE_PT_NONCE, &b.nonce);
  if (c->ke) {
    b.ke.ke = (struct ike_ke_payload){c->ke_method, {b.pub, pub_len}};
    out[n++] = nd_out(IKE_PT_KE, &b.ke);
  }
  if (!c->optimized) {
    request_selectors(sa, c->cfg, old, &b);
    out[n++] = nd_out(IKE_PT_TSI, &b.tsi);
    out[n++] = nd_out(IKE_PT_TSR, &b.tsr);
  }
  ND_INFO("ike#%llu: %s child %s (SPI %08x%s%s)", (unsigned long long)sa->id,
          old ? "rekeying" : "creating", c->cfg->name, c->spi, c->ke ? ", PFS" : "",
          c->optimized ? ", optimized" : "");
  return nd_send_request(e, sa, IKE_EXCH_CREATE_CHILD_SA, kind, out, n);
}

int nd_ccs_start_child(struct nd_engine *e, struct nd_ike_sa *sa, const struct nd_child_cfg *cfg,
                       struct nd_child_sa *old) {
  nd_ccs_clear(sa);
  sa->ccs.cfg = cfg;
  sa->ccs.old_child_id = old ? old->id : 0;
  /* An optimized rekey keeps the KE method in effect (none without PFS); a regular one offers
   * the configured proposals afresh. */
  sa->ccs.optimized = old && nd_opt_child_eligible(e, sa, old);
  if (sa->ccs.optimized)
    sa->ccs.ke_method = old->sel.has_ke ? old->sel.ke : 0;
  else
    sa->ccs.ke_method = nd_proposals_first_ke(cfg->esp, cfg->n_esp);
  sa->ccs.spi = nd_child_alloc_spi(e);
  int rc = sa->ccs.spi ? send_child_request(e, sa, old ? ND_REQ_REKEY_CHILD : ND_REQ_CREATE_CHILD)
                       : -1;
  if (rc != 0)
    nd_ccs_clear(sa);
  return rc;
}

/* INVALID_KE_PAYLOAD (RFC 7296 1.3): the same request again, with the group the peer wants. */
static bool retry_with_group(struct nd_engine *e, struct nd_ike_sa *sa, enum nd_request_kind kind,
                             const struct ike_chain *in) {
  struct wire_view data;
  if (!nd_notify_data(in, IKE_N_INVALID_KE_PAYLOAD, &data) || data.len != 2)
    return false;
  uint16_t wanted = (uint16_t)(data.ptr[0] << 8 | data.ptr[1]);
  const struct nd_child_cfg *cfg = sa->ccs.cfg;
  if (wanted == sa->ccs.ke_method || sa->ccs.ke_retries >= 2 ||
      !nd_proposals_offer_ke(cfg->esp, cfg->n_esp, wanted)) {
    ND_WARN("ike#%llu: INVALID_KE_PAYLOAD asks for group %u, which we cannot use",
            (unsigned long long)sa->id, wanted);
    return false;
  }
  ND_INFO("ike#%llu: child %s: the peer wants KE method %u", (unsigned long long)sa->id,
          cfg->name, wanted);
  sa->ccs.ke_method = wanted;
  sa->ccs.ke_retries++;
  return send_child_request(e, sa, kind) == 0;
}

/* The peer cannot (or will not) rekey optimized: the same rekey again as a regular one, which
 * it must accept (draft-ietf-ipsecme-ikev2-sa-ts-payloads-opt). */
static bool retry_regular(struct nd_engine *e, struct nd_ike_sa *sa, enum nd_request_kind kind,
                          uint16_t error) {
  ND_INFO("ike#%llu: child %s: optimized rekey refused (%s), rekeying regularly",
          (unsigned long long)sa->id, sa->ccs.cfg->name, ike_notify_name(error));
  sa->ccs.optimized = false;
  sa->ccs.ke_method = nd_proposals_first_ke(sa->ccs.cfg->esp, sa->ccs.cfg->n_esp);
  sa->ccs.ke_retries = 0;
  return send_child_request(e, sa, kind) == 0;
}

/* The answer carried no SA payload: why, and what follows (RFC 7296 1.3, 2.25). On every
 * failure the old Child SA stays until its hard lifetime. */
static void child_request_failed(struct nd_engine *e, struct nd_ike_sa *sa,
                                 enum nd_request_kind kind, const struct ike_chain *in) {
  uint16_t error = nd_first_error_notify(in);
  if (sa->ccs.optimized && nd_opt_refusal_retries_regular(error) &&
      retry_regular(e, sa, kind, error))
    return;
  if (error == IKE_N_INVALID_KE_PAYLOAD && retry_with_group(e, sa, kind, in))
    return;
  struct nd_child_sa *old = nd_child_by_id(sa, sa->ccs.old_child_id);
  ND_WARN("ike#%llu: %s of child %s failed: %s", (unsigned long long)sa->id,
          kind == ND_REQ_REKEY_CHILD ? "rekey" : "creation", sa->ccs.cfg->name,
          error ? ike_notify_name(error) : "no SA in the answer");
  if (error == IKE_N_TEMPORARY_FAILURE && old && old->state == ND_CHILD_LIVE)
    old->retry_at_ms = e->now_ms + nd_life_backoff_ms(e, old->retries++);
  nd_ccs_clear(sa);
}

/* Collision (RFC 7296 2.8): the exchange whose lowest nonce is the lowest made the redundant SA. */
static bool our_exchange_lost(const struct nd_ike_sa *sa, const uint8_t *nr, size_t nr_len) {
  const uint8_t *ours;
  size_t ours_len;
  nd_nonce_min(sa->ccs.nonce, sa->ccs.nonce_len, nr, nr_len, &ours, &ours_len);
  return nd_nonce_loses(ours, ours_len, sa->ccs.peer_min_nonce, sa->ccs.peer_min_len);
}

/* We won a collision (or there was none): our new SA carries the traffic. The old one loses its
 * outbound SA now and is deleted; the peer's redundant SA (if any) is the peer's to delete. */
static void initiator_switch(struct nd_engine *e, struct nd_ike_sa *sa, uint64_t new_id) {
  if (sa->ccs.collided) {
    struct nd_child_sa *theirs = nd_child_by_id(sa, sa->ccs.peer_new_id);
    if (theirs && theirs->state == ND_CHILD_LIVE)
      theirs->state = ND_CHILD_REDUNDANT; /* never gets its outbound SA */
  }
  struct nd_child_sa *old = nd_child_by_id(sa, sa->ccs.old_child_id);
  struct nd_child_sa *fresh = nd_child_by_id(sa, new_id);
  if (fresh)
    fresh->rekey_of = old ? old->id : 0;
  if (!old || old->state != ND_CHILD_LIVE)
    return; /* the peer deleted it meanwhile, or it expired: nothing left to replace */
  nd_child_uninstall_dir(e, old, NICSEC_HAL_DIR_OUT);
  old->state = ND_CHILD_REKEYED;
  old->delete_queued = true;
  old->rekey_wanted = false;
}

/* Reads KEr and computes the PFS secret when the answer chose a KE method. */
static bool initiator_shared(struct nd_ike_sa *sa, const struct ike_chain *in,
                             const struct nd_child_sa *child, struct ike_secret *shared) {
  if (!child->sel.has_ke)
    return true;
  union ike_payload_body ke;
  if (child->sel.ke != sa->ccs.ke_method || !sa->ccs.ke || !nd_decode_first(in, IKE_PT_KE, &ke) ||
      ke.ke.ke_method != sa->ccs.ke_method)
    return false;
  return ike_ke_finish(sa->ccs.ke, ike_bytes_of(ke.ke.data.ptr, ke.ke.data.len), shared) ==
         IKE_CRYPTO_OK;
}

/* Negotiated result of our request, or the reason it is not acceptable. */
static const char *accept_answer(struct nd_engine *e, struct nd_ike_sa *sa,
                                 const struct ike_chain *in, struct nd_child_sa *child,
                                 struct ike_secret *shared, union ike_payload_body *nonce) {
  (void)e;
  const struct nd_child_sa *old = nd_child_by_id(sa, sa->ccs.old_child_id);
  child->spi_in = sa->ccs.spi;
  if (old)
    child->reqid = old->reqid; /* policies follow the reqid: a rekey keeps it */
  if (sa->ccs.optimized) {
    const char *why = nd_opt_child_answer(sa, in, old, child);
    if (why)
      return why;
  } else if (nd_child_check_ccs_response(sa, in, child) != 0) {
    return "the answer is not something we proposed";
  }
  if (!nd_decode_first(in, IKE_PT_NONCE, nonce))
    return "no nonce";
  if (!initiator_shared(sa, in, child, shared))
    return "KE payload missing or not acceptable";
  return NULL;
}

static void child_request_done(struct nd_engine *e, struct nd_ike_sa *sa,
                               enum nd_request_kind kind, const struct ike_chain *in) {
  struct nd_child_sa *child = nd_child_add(e, sa, sa->ccs.cfg);
  if (!child) {
    ND_ERROR("ike#%llu: too many Child SAs", (unsigned long long)sa->id);
    return;
  }
  uint64_t id = child->id;
  child->ke_known = true;
  if (kind == ND_REQ_REKEY_CHILD)
    child->origin = sa->ccs.optimized ? ND_ORIGIN_OPTIMIZED : ND_ORIGIN_REGULAR;
  struct ike_secret shared = {0};
  union ike_payload_body nonce;
  const char *why = accept_answer(e, sa, in, child, &shared, &nonce);
  bool lost = !why && sa->ccs.collided &&
              our_exchange_lost(sa, nonce.nonce.data.ptr, nonce.nonce.data.len);
  struct nd_keymat_in kin = {sa->ccs.nonce, nonce.nonce.data.ptr, sa->ccs.nonce_len,
                             nonce.nonce.data.len, child->sel.has_ke ? &shared : NULL};
  if (!why && lost) {
    /* Our SA is the redundant one: never installed, deleted by us (its SPIs stay reserved
     * until the Delete exchange is over). */
    child->state = ND_CHILD_REDUNDANT;
    child->delete_queued = true;
    ND_INFO("ike#%llu: child %s: rekey collision lost, deleting SPI %08x",
            (unsigned long long)sa->id, child->cfg->name, child->spi_in);
  } else if (!why && !nd_child_install_with(e, sa, child, true, &kin, false)) {
    why = "the HAL refused it";
  }
  ike_secret_free(&shared);
  if (why) {
    ND_WARN("ike#%llu: child %s not created: %s", (unsigned long long)sa->id,
            sa->ccs.cfg->name, why);
    /* The peer installed it: delete it, or the peer keeps an SA nobody sends on. */
    child = nd_child_by_id(sa, id);
    nd_child_uninstall(e, child);
    child->state = ND_CHILD_DELETING;
    child->delete_queued = true;
    return;
  }
  if (!lost) {
    nd_life_child_start(e, nd_child_by_id(sa, id));
    if (kind == ND_REQ_REKEY_CHILD) {
      initiator_switch(e, sa, id);
      e->stats.rekey_child_initiated++;
    }
  }
}

enum nd_hres nd_create_child_response(struct nd_engine *e, struct nd_ike_sa *sa,
                                      struct nd_rx *rx) {
  enum nd_request_kind kind = sa->req.kind;
  if (kind == ND_REQ_REKEY_IKE)
    return nd_ike_rekey_response(e, sa, rx);
  nd_request_done(sa);
  if (kind != ND_REQ_CREATE_CHILD && kind != ND_REQ_REKEY_CHILD)
    return ND_HR_DROP;
  /* An optimized answer has no SA payload: an error notify is what marks a refusal. */
  bool refused = sa->ccs.optimized ? nd_first_error_notify(&rx->inner) != 0
                                   : ike_chain_find(&rx->inner, IKE_PT_SA, 0) < 0;
  if (refused) {
    child_request_failed(e, sa, kind, &rx->inner);
    return ND_HR_STAY;
  }
  child_request_done(e, sa, kind, &rx->inner);
  nd_ccs_clear(sa);
  return ND_HR_STAY;
}

/* ---- responder ------------------------------------------------------------------------------- */

void nd_ccs_refuse(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_rx *rx, uint16_t error,
                   const uint8_t *data, size_t len) {
  union ike_payload_body n;
  nd_notify_body(&n, IKE_PROTO_NONE, error, data, len);
  struct ike_payload_out out = nd_out(IKE_PT_NOTIFY, &n);
  ND_INFO("ike#%llu: CREATE_CHILD_SA refused: %s", (unsigned long long)sa->id,
          ike_notify_name(error));
  nd_send_response(e, sa, rx, &out, 1);
}

/* The Child SA a REKEY_SA notify names (by the SPI the peer receives on: our outbound SPI).
 * *error: 0, CHILD_SA_NOT_FOUND, or TEMPORARY_FAILURE for one that is already going. */
static struct nd_child_sa *rekey_target(struct nd_ike_sa *sa, const struct ike_chain *in,
                                        bool *is_rekey, uint16_t *error) {
  int i = ike_chain_find_notify(in, IKE_N_REKEY_SA);
  union ike_payload_body body;
  *is_rekey = i >= 0;
  *error = 0;
  if (i < 0)
    return NULL;
  if (ike_chain_decode(&in->payloads[i], &body) != IKE_OK || body.notify.spi.len != 4 ||
      body.notify.protocol != IKE_PROTO_ESP) {
    *error = IKE_N_INVALID_SYNTAX;
    return NULL;
  }
  const uint8_t *p = body.notify.spi.ptr;
  uint32_t spi = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
  struct nd_child_sa *old = nd_child_by_spi_out(sa, spi);
  if (!old)
    *error = IKE_N_CHILD_SA_NOT_FOUND;
  else if (old->state != ND_CHILD_LIVE)
    *error = IKE_N_TEMPORARY_FAILURE; /* 2.25: we are deleting (or replaced) it */
  else
    for (size_t k = 0; k < sa->n_children && !*error; k++)
      if (sa->children[k].rekey_of == old->id && sa->children[k].pending_out)
        *error = IKE_N_TEMPORARY_FAILURE; /* already rekeyed by the peer, not yet deleted */
  return *error ? NULL : old;
}

/* KE check and the responder's half of the key exchange. 0 or the notify to answer with. */
static uint16_t responder_ke(const struct nd_child_sa *child, const struct ike_chain *in,
                             struct ike_ke **ke, struct ike_secret *shared, uint8_t group[2]) {
  union ike_payload_body kei;
  if (!child->sel.has_ke)
    return 0; /* no PFS chosen: a KE payload would be ignored */
  if (!nd_decode_first(in, IKE_PT_KE, &kei) || kei.ke.ke_method != child->sel.ke) {
    put_be16(group, child->sel.ke);
    return IKE_N_INVALID_KE_PAYLOAD;
  }
  if (ike_ke_respond(child->sel.ke, ike_bytes_of(kei.ke.data.ptr, kei.ke.data.len), ke, shared) !=
      IKE_CRYPTO_OK)
    return IKE_N_INVALID_SYNTAX;
  return 0;
}

struct child_resp_bodies {
  union ike_payload_body opt, transport, sa, nonce, ke, tsi, tsr;
  uint8_t spi[4];
  uint8_t pub[IKE_KE_MAX_PUBLIC];
  uint8_t nr[ND_NONCE_LEN];
  size_t nr_len;
};

/* Nr and [KEr] at out[*n]. */
static bool add_nonce_ke(const struct nd_child_sa *child, const struct ike_ke *ke,
                         struct child_resp_bodies *b, struct ike_payload_out *out, size_t *n) {
  size_t pub_len = 0;
  b->nonce.nonce.data = (struct wire_view){b->nr, b->nr_len};
  out[(*n)++] = nd_out(IKE_PT_NONCE, &b->nonce);
  if (!ke)
    return true;
  if (ike_ke_public_value(ke, b->pub, sizeof b->pub, &pub_len) != IKE_CRYPTO_OK)
    return false;
  b->ke.ke = (struct ike_ke_payload){child->sel.ke, {b->pub, pub_len}};
  out[(*n)++] = nd_out(IKE_PT_KE, &b->ke);
  return true;
}

/* Optimized: N(OPTIMIZED_REKEY)(our new SPI), Nr, [KEr]; nothing else may change. */
static int send_opt_child_response(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_rx *rx,
                                   const struct nd_child_sa *child, const struct ike_ke *ke,
                                   struct child_resp_bodies *b) {
  struct ike_payload_out out[3];
  size_t n = 0;
  put_be32(b->spi, child->spi_in);
  nd_opt_body(sa, &b->opt, b->spi, 4);
  out[n++] = nd_out(IKE_PT_NOTIFY, &b->opt);
  if (!add_nonce_ke(child, ke, b, out, &n))
    return -1;
  return nd_send_response(e, sa, rx, out, n);
}

static int send_child_response(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_rx *rx,
                               const struct nd_child_sa *child, const struct ike_ke *ke,
                               struct child_resp_bodies *b) {
  if (child->origin == ND_ORIGIN_OPTIMIZED)
    return send_opt_child_response(e, sa, rx, child, ke, b);
  struct ike_payload_out out[7];
  size_t n = 0;
  union ike_payload_body storage[4];
  size_t k = nd_child_response_payloads(child, b->spi, storage, out);
  if (k == 0)
    return -1;
  /* nd_child_response_payloads gives [N(transport)], SA, TSi, TSr: Nr and KEr go after SA. */
  size_t sa_at = child->transport ? 1 : 0;
  struct ike_payload_out tail[2] = {out[sa_at + 1], out[sa_at + 2]};
  n = sa_at + 1;
  if (!add_nonce_ke(child, ke, b, out, &n))
    return -1;
  out[n++] = tail[0];
  out[n++] = tail[1];
  return nd_send_response(e, sa, rx, out, n);
}

/* Remembers that the peer rekeyed the Child SA we are rekeying too (RFC 7296 2.8). */
static void note_collision(struct nd_ike_sa *sa, const struct nd_child_sa *old,
                           const struct nd_child_sa *created, struct wire_view ni,
                           const uint8_t *nr, size_t nr_len) {
  if (!old || sa->req.kind != ND_REQ_REKEY_CHILD || sa->ccs.old_child_id != old->id)
    return;
  const uint8_t *lowest;
  size_t lowest_len;
  nd_nonce_min(ni.ptr, ni.len, nr, nr_len, &lowest, &lowest_len);
  if (!nd_ccs_note_collision(sa, lowest, lowest_len, created->id))
    return;
  ND_INFO("ike#%llu: child %s: the peer rekeys it too (collision)", (unsigned long long)sa->id,
          old->cfg->name);
}

/* Negotiates, keys and installs the peer's Child SA (inbound only for a rekey). 0 or the error
 * notify; *out is the new child on success. */
static uint16_t responder_create(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_rx *rx,
                                 uint64_t old_id, const struct wire_view *opt_spi,
                                 struct child_resp_bodies *b, struct nd_child_sa **out,
                                 struct ike_ke **ke, uint8_t group[2]) {
  const struct nd_child_sa *old = nd_child_by_id(sa, old_id);
  uint32_t old_reqid = old ? old->reqid : 0;
  struct nd_child_sa tmp = {0};
  uint16_t error = opt_spi ? nd_opt_child_inherit(e, sa, &rx->inner, old, *opt_spi, &tmp)
                           : nd_child_negotiate_ccs(sa, &rx->inner, old ? old->cfg : NULL, &tmp);
  tmp.ke_known = true;
  tmp.origin = !old_id ? ND_ORIGIN_INITIAL : opt_spi ? ND_ORIGIN_OPTIMIZED : ND_ORIGIN_REGULAR;
  struct ike_secret shared = {0};
  union ike_payload_body ni;
  if (!error && !nd_decode_first(&rx->inner, IKE_PT_NONCE, &ni))
    error = IKE_N_INVALID_SYNTAX;
  if (!error)
    error = responder_ke(&tmp, &rx->inner, ke, &shared, group);
  if (!error && !nd_random_nonce(b->nr, &b->nr_len))
    error = IKE_N_NO_ADDITIONAL_SAS;
  struct nd_child_sa *child = error ? NULL : nd_child_add(e, sa, tmp.cfg); /* may move old */
  if (!error && !child)
    error = IKE_N_NO_ADDITIONAL_SAS;
  if (!error) {
    uint64_t id = child->id;
    uint32_t reqid = old_id ? old_reqid : child->reqid;
    *child = tmp;
    child->id = id;
    child->reqid = reqid;
    child->rekey_of = old_id;
    child->spi_in = nd_child_alloc_spi(e);
    struct nd_keymat_in kin = {ni.nonce.data.ptr, b->nr, ni.nonce.data.len, b->nr_len,
                               child->sel.has_ke ? &shared : NULL};
    /* Outbound waits: for a rekey until the old SA is deleted, for a new Child SA until the
     * initiator has surely installed its inbound (its next request, or a drain period). */
    child->activate_at_ms = old_id ? 0 : e->now_ms + sa->cfg_ref->cfg.daemon.inbound_drain_ms;
    if (!child->spi_in || !nd_child_install_with(e, sa, child, false, &kin, true)) {
      nd_child_remove(sa, child);
      child = NULL;
      error = IKE_N_NO_ADDITIONAL_SAS;
    }
  }
  ike_secret_free(&shared);
  *out = child;
  return error;
}

enum nd_hres nd_ccs_child_request(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_rx *rx) {
  bool is_rekey;
  uint16_t error = 0;
  uint8_t group[2];
  if (sa->state == ND_IKE_REKEYED || sa->req.kind == ND_REQ_REKEY_IKE)
    error = IKE_N_TEMPORARY_FAILURE; /* 2.25: the IKE SA is being rekeyed */
  struct nd_child_sa *old = error ? NULL : rekey_target(sa, &rx->inner, &is_rekey, &error);
  struct wire_view opt_spi;
  bool optimized = !error && nd_opt_find(sa, &rx->inner, &opt_spi);
  if (!error && (optimized ? !is_rekey : ike_chain_find(&rx->inner, IKE_PT_TSI, 0) < 0))
    error = IKE_N_INVALID_SYNTAX; /* optimized: only a rekey; otherwise TS are required */
  uint64_t old_id = old ? old->id : 0;
  struct child_resp_bodies b;
  b.nr_len = 0;
  struct nd_child_sa *child = NULL;
  struct ike_ke *ke = NULL;
  if (!error)
    error = responder_create(e, sa, rx, old_id, optimized ? &opt_spi : NULL, &b, &child, &ke,
                             group);
  if (error) {
    ike_ke_free(ke);
    nd_ccs_refuse(e, sa, rx, error, error == IKE_N_INVALID_KE_PAYLOAD ? group : NULL,
                  error == IKE_N_INVALID_KE_PAYLOAD ? 2 : 0);
    return ND_HR_STAY;
  }
  uint64_t id = child->id;
  union ike_payload_body ni;
  nd_decode_first(&rx->inner, IKE_PT_NONCE, &ni);
  note_collision(sa, nd_child_by_id(sa, old_id), child, ni.nonce.data, b.nr, b.nr_len);
  nd_life_child_start(e, child);
  e->stats.rekey_child_responded += old_id != 0;
  int rc = send_child_response(e, sa, rx, child, ke, &b);
  ike_ke_free(ke);
  OPENSSL_cleanse(b.nr, sizeof b.nr);
  if (rc != 0) {
    struct nd_child_sa *c = nd_child_by_id(sa, id);
    nd_child_uninstall(e, c);
    nd_child_remove(sa, c);
  }
  return ND_HR_STAY;
}

/* Which CREATE_CHILD_SA this is: an IKE SA rekey has an IKE proposal and no selectors, or (when
 * optimized) an 8-octet SPI in N(OPTIMIZED_REKEY) and no REKEY_SA. */
enum nd_hres nd_create_child_request(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_rx *rx) {
  union ike_payload_body sa_in;
  struct wire_view opt_spi;
  nd_life_peer_spoke(e, sa);
  bool ike_rekey = ike_chain_find(&rx->inner, IKE_PT_TSI, 0) < 0 &&
                   nd_decode_first(&rx->inner, IKE_PT_SA, &sa_in) &&
                   sa_in.sa.proposal_count > 0 &&
                   sa_in.sa.proposals[0].protocol == IKE_PROTO_IKE;
  if (ike_chain_find(&rx->inner, IKE_PT_SA, 0) < 0 && nd_opt_find(sa, &rx->inner, &opt_spi) &&
      opt_spi.len == 8 && ike_chain_find_notify(&rx->inner, IKE_N_REKEY_SA) < 0)
    ike_rekey = true;
  return ike_rekey ? nd_ike_rekey_request(e, sa, rx) : nd_ccs_child_request(e, sa, rx);
}
