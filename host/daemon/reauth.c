/* Make-before-break reauthentication (see reauth.h). The replacement runs as:
 *   1. the old SA's reauth timer fires: a new IKE SA of the same connection starts IKE_SA_INIT,
 *      its IKE_AUTH carries the first Child SA the old SA holds (no INITIAL_CONTACT: the old SA
 *      stays valid for the peer);
 *   2. each further live Child SA of the old SA is created again with CREATE_CHILD_SA;
 *   3. an empty INFORMATIONAL on the new SA: the peer, having answered it, installed every new
 *      outbound SA it held back (nd_life_peer_spoke);
 *   4. the old IKE SA is deleted, which removes its Child SAs.
 * New Child SAs inherit the reqid of the ones they replace, so the HAL's "newest outbound SA of
 * the reqid" rule moves traffic to them as soon as they are installed. */
#include "reauth.h"

#include <string.h>

enum { REAUTH_RETRY_MS = 10000 };

static bool live(const struct nd_child_sa *c) {
  return c->cfg && c->state == ND_CHILD_LIVE;
}

/* The live Child SA of `of` with the configuration named like cfg, or NULL. */
static const struct nd_child_sa *live_child_named(const struct nd_ike_sa *of, const char *name) {
  for (size_t i = 0; i < of->n_children; i++)
    if (live(&of->children[i]) && strcmp(of->children[i].cfg->name, name) == 0)
      return &of->children[i];
  return NULL;
}

/* conn->children[] indices of the old SA's live Child SAs (the first configured child when it
 * has none: IKE_AUTH always carries one). */
static uint32_t children_to_recreate(const struct nd_ike_sa *old, const struct nd_conn_cfg *conn) {
  uint32_t left = 0;
  for (size_t i = 0; i < conn->n_children && i < 32; i++)
    if (live_child_named(old, conn->children[i].name))
      left |= 1u << i;
  return left ? left : 1u;
}

static unsigned pop_lowest(uint32_t *set) {
  unsigned i = 0;
  while (!(*set & (1u << i)))
    i++;
  *set &= ~(1u << i);
  return i;
}

static void start_replacement(struct nd_engine *e, struct nd_ike_sa *old) {
  const struct nd_conn_cfg *conn = nd_config_find_conn(&e->cfg_ref->cfg, old->conn->name);
  if (!conn || !conn->reauth_time_s) {
    ND_INFO("ike#%llu: reauthentication dropped: connection %s is no longer configured for it",
            (unsigned long long)old->id, old->conn->name);
    return;
  }
  struct nd_ike_sa *n = nd_sa_new(e, conn, true);
  if (!n) {
    old->reauth_at_ms = e->now_ms + REAUTH_RETRY_MS;
    return;
  }
  n->reauth_of = old->id;
  n->reauth_children_left = children_to_recreate(old, conn);
  n->child_to_create = &conn->children[pop_lowest(&n->reauth_children_left)];
  ND_INFO("ike#%llu (%s): reauthenticating: ike#%llu replaces it (make-before-break)",
          (unsigned long long)old->id, conn->name, (unsigned long long)n->id);
  if (nd_init_start(e, n) != 0) {
    nd_sa_destroy(e, n, "cannot start IKE_SA_INIT for the reauthentication");
    old->reauth_at_ms = e->now_ms + REAUTH_RETRY_MS;
  }
}

/* A replacement of sa is already under way (a reauth SA pointing at it that is not dead). */
static bool being_replaced(const struct nd_engine *e, const struct nd_ike_sa *sa) {
  for (const struct nd_ike_sa *n = e->all; n; n = n->next_all)
    if (n->reauth_of == sa->id && n->state != ND_IKE_DEAD)
      return true;
  return false;
}

void nd_reauth_tick(struct nd_engine *e, struct nd_ike_sa *sa) {
  if (!sa->reauth_at_ms || e->now_ms < sa->reauth_at_ms || sa->state != ND_IKE_ESTABLISHED)
    return;
  sa->reauth_at_ms = 0;
  if (!being_replaced(e, sa))
    start_replacement(e, sa);
}

static void finish(struct nd_engine *e, struct nd_ike_sa *n) {
  struct nd_ike_sa *old = nd_sa_by_id(e, n->reauth_of);
  n->reauth_of = 0;
  if (!old || old->state != ND_IKE_ESTABLISHED)
    return;
  ND_INFO("ike#%llu: reauthenticated as ike#%llu, deleting the old IKE SA",
          (unsigned long long)old->id, (unsigned long long)n->id);
  nd_sa_touch(e, old);
  old->pending |= ND_PENDING_DELETE_IKE;
  nd_info_run_pending(e, old);
}

bool nd_reauth_run(struct nd_engine *e, struct nd_ike_sa *n) {
  if (!n->reauth_of || n->state != ND_IKE_ESTABLISHED)
    return false;
  while (n->reauth_children_left) {
    const struct nd_child_cfg *cfg = &n->conn->children[pop_lowest(&n->reauth_children_left)];
    if (nd_ccs_start_child(e, n, cfg, NULL) == 0)
      return true;
    ND_WARN("ike#%llu: reauthentication: child %s could not be requested",
            (unsigned long long)n->id, cfg->name);
  }
  if (!n->reauth_hello_sent) {
    n->reauth_hello_sent = true;
    if (nd_send_request(e, n, IKE_EXCH_INFORMATIONAL, ND_REQ_DPD, NULL, 0) == 0)
      return true;
  }
  finish(e, n);
  return false;
}

/* Another established IKE SA of the same connection and peer identity with a live Child SA of
 * that configuration: what a reauthenticating peer is replacing. */
static const struct nd_child_sa *replaced_child(const struct nd_engine *e,
                                                const struct nd_ike_sa *sa,
                                                const struct nd_child_sa *child) {
  for (const struct nd_ike_sa *o = nd_sa_peer_first(e, sa); o; o = nd_sa_peer_next(sa, o)) {
    if (o->state != ND_IKE_ESTABLISHED)
      continue;
    const struct nd_child_sa *prev = live_child_named(o, child->cfg->name);
    if (prev)
      return prev;
  }
  return NULL;
}

void nd_reauth_inherit_reqid(const struct nd_engine *e, const struct nd_ike_sa *sa,
                             struct nd_child_sa *child) {
  if (!child->cfg)
    return;
  const struct nd_ike_sa *old = sa->reauth_of ? nd_sa_by_id(e, sa->reauth_of) : NULL;
  const struct nd_child_sa *prev = old ? live_child_named(old, child->cfg->name)
                                       : replaced_child(e, sa, child);
  if (prev)
    child->reqid = prev->reqid;
}

bool nd_reauth_install_responder(struct nd_engine *e, struct nd_ike_sa *sa,
                                 struct nd_child_sa *child) {
  const struct nd_child_sa *prev = child->cfg ? replaced_child(e, sa, child) : NULL;
  if (!prev)
    return nd_child_install(e, sa, child, false);
  child->reqid = prev->reqid;
  if (!nd_child_install_with(e, sa, child, false, NULL, true))
    return false;
  child->activate_at_ms = e->now_ms + sa->cfg_ref->cfg.daemon.inbound_drain_ms;
  ND_INFO("ike#%llu: child %s replaces SPI %08x_o of another IKE SA: its outbound waits for the "
          "peer", (unsigned long long)sa->id, child->cfg->name, prev->spi_out);
  return true;
}

void nd_reauth_takeover(struct nd_engine *e, const struct nd_ike_sa *sa) {
  if (sa->state != ND_IKE_ESTABLISHED && sa->state != ND_IKE_DELETING)
    return;
  for (struct nd_ike_sa *o = nd_sa_peer_first(e, sa); o; o = nd_sa_peer_next(sa, o)) {
    if (o->state != ND_IKE_ESTABLISHED)
      continue;
    for (size_t i = 0; i < o->n_children; i++) {
      struct nd_child_sa *c = &o->children[i];
      if (c->activate_at_ms && c->pending_out && live(c) && live_child_named(sa, c->cfg->name)) {
        nd_sa_touch(e, o);
        c->activate_at_ms = 0;
        nd_child_install_outbound(e, c);
      }
    }
  }
}
