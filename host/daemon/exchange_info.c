/* INFORMATIONAL (RFC 7296 1.4): Delete of the IKE SA and of Child SAs (including the old SA of a
 * rekey and the redundant one of a collision), and liveness checks (an empty INFORMATIONAL, 2.4). */
#include <string.h>

#include "engine_internal.h"

enum { MAX_DELETE_SPIS = ND_MAX_CHILDREN };

static void put_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static bool has_successor(const struct nd_ike_sa *sa, const struct nd_child_sa *old) {
  for (size_t i = 0; i < sa->n_children; i++)
    if (sa->children[i].rekey_of == old->id && sa->children[i].state == ND_CHILD_LIVE)
      return true;
  return false;
}

/* One Child SA the peer deletes. Returns whether our inbound SPI goes into the answer: not for
 * an SA we are deleting ourselves (RFC 7296 1.4.1: the answer is then empty for it). */
static bool delete_child(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_child_sa *child) {
  switch (child->state) {
  case ND_CHILD_REKEYED: /* both deleted the replaced SA: the inbound drains as planned */
    child->delete_queued = false;
    if (!child->drain_until_ms)
      child->drain_until_ms = e->now_ms + sa->cfg_ref->cfg.daemon.inbound_drain_ms;
    return false;
  case ND_CHILD_DELETING:
    if (child->delete_queued || sa->req.child_spi != child->spi_in) {
      nd_child_remove(sa, child); /* nothing of it is in the HAL any more */
    }
    return false;
  case ND_CHILD_LIVE:
    if (has_successor(sa, child)) { /* the rekey is complete: make-before-break switch */
      nd_child_retire(e, sa, child);
      return true;
    }
    break;
  case ND_CHILD_REDUNDANT:
    break;
  }
  nd_child_uninstall(e, child);
  nd_child_remove(sa, child);
  return true;
}

/* Deletes the Child SAs a peer's ESP Delete payload names (by the peer's inbound SPIs, i.e. our
 * outbound ones) and collects our inbound SPIs of those pairs for the answer. */
static void delete_children(struct nd_engine *e, struct nd_ike_sa *sa,
                            const struct ike_delete_payload *del, uint8_t *our_spis,
                            size_t *n_ours) {
  for (size_t i = 0; i < del->spi_count; i++) {
    struct nd_child_sa *child = nd_child_by_spi_out(sa, ike_delete_spi32(del, i));
    if (!child)
      continue; /* already gone (e.g. deleted by both sides at once): nothing to answer */
    uint32_t spi_in = child->spi_in;
    if (delete_child(e, sa, child) && *n_ours < MAX_DELETE_SPIS)
      put_be32(our_spis + 4 * (*n_ours)++, spi_in);
  }
}

/* The answer to our Delete of a Child SA: a replaced one drains, a deleted one is gone. */
static void child_delete_done(struct nd_engine *e, struct nd_ike_sa *sa, uint32_t spi_in) {
  struct nd_child_sa *child = nd_child_by_spi_in(sa, spi_in);
  if (!child)
    return;
  if (child->state == ND_CHILD_REKEYED) {
    if (!child->drain_until_ms)
      child->drain_until_ms = e->now_ms + sa->cfg_ref->cfg.daemon.inbound_drain_ms;
    return;
  }
  nd_child_uninstall(e, child);
  nd_child_remove(sa, child);
}

enum nd_hres nd_info_request(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_rx *rx) {
  const struct ike_chain *in = &rx->inner;
  uint8_t our_spis[4 * MAX_DELETE_SPIS];
  size_t n_ours = 0;
  bool delete_ike = false;
  union ike_payload_body first_del;
  if (!nd_decode_first(in, IKE_PT_DELETE, &first_del) || first_del.del.protocol != IKE_PROTO_IKE)
    nd_ike_peer_uses(e, sa);
  nd_life_peer_spoke(e, sa);
  for (size_t i = 0; i < in->count; i++) {
    union ike_payload_body body;
    const struct ike_payload_ref *ref = &in->payloads[i];
    if (ike_chain_decode(ref, &body) != IKE_OK)
      continue;
    if (ref->type == IKE_PT_DELETE && body.del.protocol == IKE_PROTO_IKE)
      delete_ike = true;
    else if (ref->type == IKE_PT_DELETE && body.del.protocol == IKE_PROTO_ESP &&
             body.del.spi_size == 4)
      delete_children(e, sa, &body.del, our_spis, &n_ours);
    else if (ref->type == IKE_PT_NOTIFY && ike_notify_is_error(body.notify.type))
      ND_WARN("ike#%llu: peer notifies %s", (unsigned long long)sa->id,
              ike_notify_name(body.notify.type));
  }
  union ike_payload_body del;
  del.del = (struct ike_delete_payload){IKE_PROTO_ESP, 4, (uint16_t)n_ours,
                                        {our_spis, 4 * n_ours}};
  struct ike_payload_out out = nd_out(IKE_PT_DELETE, &del);
  size_t n = !delete_ike && n_ours ? 1 : 0;
  nd_send_response(e, sa, rx, &out, n); /* empty for DPD and for the IKE SA's Delete */
  if (delete_ike) {
    nd_ike_rekey_adopt(e, sa); /* a pending rekey of ours or the peer's takes the Child SAs */
    nd_sa_destroy(e, sa, "deleted by the peer");
    return ND_HR_DESTROY;
  }
  return ND_HR_STAY;
}

enum nd_hres nd_info_response(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_rx *rx) {
  (void)rx;
  enum nd_request_kind kind = sa->req.kind;
  uint32_t child_spi = sa->req.child_spi;
  nd_request_done(sa);
  switch (kind) {
  case ND_REQ_DELETE_IKE:
    nd_sa_destroy(e, sa, "deleted");
    return ND_HR_DESTROY;
  case ND_REQ_DPD:
    ND_DEBUG("ike#%llu: peer is alive", (unsigned long long)sa->id);
    return ND_HR_STAY;
  case ND_REQ_DELETE_CHILD:
    child_delete_done(e, sa, child_spi);
    return ND_HR_STAY;
  default:
    return ND_HR_STAY;
  }
}

static void start_delete_ike(struct nd_engine *e, struct nd_ike_sa *sa) {
  /* Our Child SAs go first: no traffic may use them once we have said goodbye. */
  for (size_t i = 0; i < sa->n_children; i++)
    nd_child_uninstall(e, &sa->children[i]);
  sa->n_children = 0;
  union ike_payload_body del;
  del.del = (struct ike_delete_payload){IKE_PROTO_IKE, 0, 0, {NULL, 0}};
  struct ike_payload_out out = nd_out(IKE_PT_DELETE, &del);
  if (nd_send_request(e, sa, IKE_EXCH_INFORMATIONAL, ND_REQ_DELETE_IKE, &out, 1) != 0) {
    nd_sa_destroy(e, sa, "cannot send Delete");
    return;
  }
  nd_set_state(sa, ND_IKE_DELETING);
  ND_INFO("ike#%llu (%s): deleting", (unsigned long long)sa->id, sa->conn->name);
}

void nd_info_run_pending(struct nd_engine *e, struct nd_ike_sa *sa) {
  if (sa->req.kind != ND_REQ_NONE ||
      (sa->state != ND_IKE_ESTABLISHED && sa->state != ND_IKE_REKEYED))
    return;
  if (sa->pending & ND_PENDING_DELETE_IKE) {
    sa->pending = 0;
    start_delete_ike(e, sa);
    return;
  }
  if (nd_life_run_queued(e, sa) || sa->state != ND_IKE_ESTABLISHED)
    return;
  if (sa->pending & ND_PENDING_DPD) {
    sa->pending &= ~(unsigned)ND_PENDING_DPD;
    ND_DEBUG("ike#%llu: liveness check", (unsigned long long)sa->id);
    nd_send_request(e, sa, IKE_EXCH_INFORMATIONAL, ND_REQ_DPD, NULL, 0);
  }
}

void nd_info_dpd_check(struct nd_engine *e, struct nd_ike_sa *sa) {
  uint64_t delay_ms = (uint64_t)sa->conn->dpd_delay_s * 1000;
  if (sa->state == ND_IKE_ESTABLISHED && delay_ms && sa->req.kind == ND_REQ_NONE &&
      e->now_ms - sa->last_rx_ms >= delay_ms)
    sa->pending |= ND_PENDING_DPD;
}
