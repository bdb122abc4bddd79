/* The Child SA part of IKE_AUTH: SAi2/SAr2 (no KE, RFC 7296 1.2), traffic selectors with
 * narrowing (2.9), and the mode (USE_TRANSPORT_MODE, 1.3.1). */
#include <string.h>

#include "engine_internal.h"

static void put_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

/* The child's ESP proposals as sent in IKE_AUTH: without KE transforms. */
static size_t esp_without_ke(const struct nd_child_cfg *cfg, struct nd_proposal *out) {
  for (size_t i = 0; i < cfg->n_esp; i++)
    nd_proposal_without_ke(&cfg->esp[i], &out[i]);
  return cfg->n_esp;
}

/* CREATE_CHILD_SA proposals keep their KE transforms (PFS, RFC 7296 1.3.1). */
static size_t esp_list(const struct nd_child_cfg *cfg, bool with_ke, struct nd_proposal *out) {
  if (!with_ke)
    return esp_without_ke(cfg, out);
  memcpy(out, cfg->esp, cfg->n_esp * sizeof *out);
  return cfg->n_esp;
}

static void resolve(const struct nd_ts_cfg *cfg, size_t n, const struct nd_addr *addr,
                    struct nd_ts_list *out) {
  nd_ts_resolve(cfg, n, addr->family, addr->ip, out);
}

/* ---- initiator ---------------------------------------------------------------------------- */

size_t nd_child_request_payloads(struct nd_ike_sa *sa, const struct nd_child_cfg *cfg,
                                 uint32_t spi, uint8_t spi_bytes[4],
                                 union ike_payload_body *storage, struct ike_payload_out *out) {
  struct nd_proposal esp[ND_MAX_PROPOSALS];
  struct nd_ts_list local, remote;
  size_t n = 0;
  if (cfg->mode == ND_MODE_TRANSPORT) {
    nd_notify_body(&storage[3], IKE_PROTO_NONE, IKE_N_USE_TRANSPORT_MODE, NULL, 0);
    out[n++] = nd_out(IKE_PT_NOTIFY, &storage[3]);
  }
  put_be32(spi_bytes, spi);
  memset(&storage[0].sa, 0, sizeof storage[0].sa);
  /* child-pfs-info: both peers agreed to negotiate (not use) the KE method here. */
  if (!nd_proposals_to_sa(esp, esp_list(cfg, sa->pfs_info, esp), spi_bytes, 4, &storage[0].sa))
    return 0;
  resolve(cfg->local_ts, cfg->n_local_ts, &sa->local, &local);
  resolve(cfg->remote_ts, cfg->n_remote_ts, &sa->remote, &remote);
  nd_ts_to_payload(&local, &storage[1].ts);
  nd_ts_to_payload(&remote, &storage[2].ts);
  out[n++] = nd_out(IKE_PT_SA, &storage[0]);
  out[n++] = nd_out(IKE_PT_TSI, &storage[1]);
  out[n++] = nd_out(IKE_PT_TSR, &storage[2]);
  return n;
}

static uint16_t check_response(struct nd_ike_sa *sa, const struct ike_chain *in,
                               struct nd_child_sa *child, bool with_ke) {
  union ike_payload_body sa_in, tsi, tsr;
  const struct nd_child_cfg *cfg = child->cfg;
  struct nd_proposal esp[ND_MAX_PROPOSALS];
  if (!nd_decode_first(in, IKE_PT_SA, &sa_in) || !nd_decode_first(in, IKE_PT_TSI, &tsi) ||
      !nd_decode_first(in, IKE_PT_TSR, &tsr))
    return IKE_N_INVALID_SYNTAX;
  if (!nd_proposal_check_answer(esp, esp_list(cfg, with_ke, esp), &sa_in.sa, !with_ke,
                                &child->sel))
    return IKE_N_NO_PROPOSAL_CHOSEN;
  struct nd_ts_list local, remote;
  resolve(cfg->local_ts, cfg->n_local_ts, &sa->local, &local);
  resolve(cfg->remote_ts, cfg->n_remote_ts, &sa->remote, &remote);
  if (!nd_ts_answer_ok(&local, &tsi.ts, &child->local_ts) ||
      !nd_ts_answer_ok(&remote, &tsr.ts, &child->remote_ts))
    return IKE_N_TS_UNACCEPTABLE;
  bool transport = ike_chain_find_notify(in, IKE_N_USE_TRANSPORT_MODE) >= 0;
  if (transport != (cfg->mode == ND_MODE_TRANSPORT))
    return IKE_N_NO_PROPOSAL_CHOSEN; /* we insist on the configured mode */
  child->transport = transport;
  child->spi_out = child->sel.peer_spi;
  return 0;
}

uint16_t nd_child_check_response(struct nd_ike_sa *sa, const struct ike_chain *in,
                                 struct nd_child_sa *child) {
  return check_response(sa, in, child, sa->pfs_info);
}

uint16_t nd_child_check_ccs_response(struct nd_ike_sa *sa, const struct ike_chain *in,
                                     struct nd_child_sa *child) {
  return check_response(sa, in, child, true);
}

/* ---- responder ---------------------------------------------------------------------------- */

/* Tries one child configuration against the request. */
static uint16_t try_child(struct nd_ike_sa *sa, const struct nd_child_cfg *cfg,
                          const union ike_payload_body *sa_in, const union ike_payload_body *tsi,
                          const union ike_payload_body *tsr, bool transport_requested,
                          bool with_ke, struct nd_child_sa *out) {
  struct nd_proposal esp[ND_MAX_PROPOSALS];
  if (!nd_proposal_select(esp, esp_list(cfg, with_ke, esp), &sa_in->sa, !with_ke, &out->sel))
    return IKE_N_NO_PROPOSAL_CHOSEN;
  struct nd_ts_list local, remote;
  /* TSi describes the initiator's side, i.e. our remote side. */
  resolve(cfg->remote_ts, cfg->n_remote_ts, &sa->remote, &remote);
  resolve(cfg->local_ts, cfg->n_local_ts, &sa->local, &local);
  if (!nd_ts_narrow(&remote, &tsi->ts, &out->remote_ts) ||
      !nd_ts_narrow(&local, &tsr->ts, &out->local_ts))
    return IKE_N_TS_UNACCEPTABLE;
  /* A transport request may be declined (tunnel answer); a tunnel request for a transport-only
   * child may not be upgraded. */
  if (cfg->mode == ND_MODE_TRANSPORT && !transport_requested)
    return IKE_N_NO_PROPOSAL_CHOSEN;
  out->transport = cfg->mode == ND_MODE_TRANSPORT && transport_requested;
  out->cfg = cfg;
  out->spi_out = out->sel.peer_spi;
  return 0;
}

static uint16_t negotiate(struct nd_ike_sa *sa, const struct ike_chain *in,
                          const struct nd_child_cfg *only, bool with_ke, struct nd_child_sa *out) {
  union ike_payload_body sa_in, tsi, tsr;
  if (!nd_decode_first(in, IKE_PT_SA, &sa_in) || !nd_decode_first(in, IKE_PT_TSI, &tsi) ||
      !nd_decode_first(in, IKE_PT_TSR, &tsr))
    return IKE_N_INVALID_SYNTAX;
  bool transport = ike_chain_find_notify(in, IKE_N_USE_TRANSPORT_MODE) >= 0;
  uint16_t best_error = IKE_N_NO_PROPOSAL_CHOSEN;
  for (size_t i = 0; i < sa->conn->n_children; i++) {
    const struct nd_child_cfg *cfg = &sa->conn->children[i];
    if (only && cfg != only)
      continue;
    uint16_t error = try_child(sa, cfg, &sa_in, &tsi, &tsr, transport, with_ke, out);
    if (!error)
      return 0;
    if (error == IKE_N_TS_UNACCEPTABLE)
      best_error = error; /* the proposal matched: the selectors are the real problem */
  }
  return best_error;
}

uint16_t nd_child_negotiate(struct nd_engine *e, struct nd_ike_sa *sa, const struct ike_chain *in,
                            struct nd_child_sa *out) {
  (void)e;
  return negotiate(sa, in, NULL, sa->pfs_info, out);
}

uint16_t nd_child_negotiate_ccs(struct nd_ike_sa *sa, const struct ike_chain *in,
                                const struct nd_child_cfg *only, struct nd_child_sa *out) {
  return negotiate(sa, in, only, true, out);
}

size_t nd_child_response_payloads(const struct nd_child_sa *child, uint8_t spi_bytes[4],
                                  union ike_payload_body *storage, struct ike_payload_out *out) {
  size_t n = 0;
  if (child->transport) {
    nd_notify_body(&storage[3], IKE_PROTO_NONE, IKE_N_USE_TRANSPORT_MODE, NULL, 0);
    out[n++] = nd_out(IKE_PT_NOTIFY, &storage[3]);
  }
  put_be32(spi_bytes, child->spi_in);
  memset(&storage[0].sa, 0, sizeof storage[0].sa);
  if (!nd_selected_to_sa(&child->sel, spi_bytes, 4, &storage[0].sa))
    return 0;
  nd_ts_to_payload(&child->remote_ts, &storage[1].ts); /* TSi: the initiator's side */
  nd_ts_to_payload(&child->local_ts, &storage[2].ts);
  out[n++] = nd_out(IKE_PT_SA, &storage[0]);
  out[n++] = nd_out(IKE_PT_TSI, &storage[1]);
  out[n++] = nd_out(IKE_PT_TSR, &storage[2]);
  return n;
}
