/* The life of SAs after they are up: soft and hard lifetimes by time (daemon timers, jittered)
 * and by bytes/packets (HAL limit events), rekey retries with backoff, the drain of replaced
 * inbound SAs, and the queue of rekeys and Deletes that wait for the request window (RFC 7296
 * 2.3: one request outstanding). Also the operator entry points for rekeying and deleting. */
#include <openssl/rand.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "engine_internal.h"
#include "reauth.h"

enum {
  BACKOFF_BASE_MS = 1000,
  BACKOFF_MAX_SHIFT = 6, /* at most ~64 s between TEMPORARY_FAILURE retries */
  MAX_EVENTS = 32,
  HAL_POLL_MS = 1000, /* how often limit events are read while an SA has packet/byte limits */
};

static uint64_t random_below(uint64_t bound) {
  uint64_t r = 0;
  if (bound == 0 || RAND_bytes((unsigned char *)&r, sizeof r) != 1)
    return 0;
  return r % bound;
}

const char *nd_child_state_name(enum nd_child_state s) {
  switch (s) {
  case ND_CHILD_LIVE:
    return "INSTALLED";
  case ND_CHILD_REKEYED:
    return "REKEYED";
  case ND_CHILD_DELETING:
    return "DELETING";
  case ND_CHILD_REDUNDANT:
    return "REDUNDANT";
  }
  return "?";
}

struct nd_child_sa *nd_child_by_id(struct nd_ike_sa *sa, uint64_t id) {
  for (size_t i = 0; i < sa->n_children && id; i++)
    if (sa->children[i].id == id)
      return &sa->children[i];
  return NULL;
}

uint64_t nd_life_backoff_ms(struct nd_engine *e, unsigned retries) {
  (void)e;
  unsigned shift = retries < BACKOFF_MAX_SHIFT ? retries : BACKOFF_MAX_SHIFT;
  /* Jitter keeps two peers that were refused at once from retrying at once again. */
  return ((uint64_t)BACKOFF_BASE_MS << shift) + random_below(BACKOFF_BASE_MS);
}

/* ---- lifetimes ------------------------------------------------------------------------------- */

void nd_life_child_start(struct nd_engine *e, struct nd_child_sa *child) {
  if (!child || !child->cfg)
    return;
  const struct nd_child_cfg *cfg = child->cfg;
  uint64_t soft_ms = (uint64_t)cfg->rekey_time_s * 1000;
  if (soft_ms)
    soft_ms -= random_below((uint64_t)cfg->rand_time_s * 1000 + 1);
  child->rekey_at_ms = soft_ms ? e->now_ms + soft_ms : 0;
  child->expire_at_ms = cfg->life_time_s ? e->now_ms + (uint64_t)cfg->life_time_s * 1000 : 0;
  child->retries = 0;
  child->retry_at_ms = 0;
}

void nd_life_ike_start(struct nd_engine *e, struct nd_ike_sa *sa) {
  uint64_t soft_ms = (uint64_t)sa->conn->rekey_time_s * 1000;
  if (soft_ms)
    soft_ms -= random_below(soft_ms / 10 + 1);
  sa->rekey_at_ms = soft_ms ? e->now_ms + soft_ms : 0;
  /* Reauthentication (reauth.c) needs a side that can reach the peer (not %any). */
  uint64_t reauth_ms = (uint64_t)sa->conn->reauth_time_s * 1000;
  if (reauth_ms && sa->conn->remote_addr.family != 0)
    reauth_ms -= random_below(reauth_ms / 10 + 1);
  else
    reauth_ms = 0;
  sa->reauth_at_ms = reauth_ms ? e->now_ms + reauth_ms : 0;
}

static size_t successor_index(const struct nd_ike_sa *sa, const struct nd_child_sa *old) {
  for (size_t i = 0; i < sa->n_children; i++)
    if (sa->children[i].rekey_of == old->id && sa->children[i].state == ND_CHILD_LIVE)
      return i;
  return SIZE_MAX;
}

static struct nd_child_sa *successor_of(struct nd_ike_sa *sa, const struct nd_child_sa *old) {
  size_t i = successor_index(sa, old);
  return i == SIZE_MAX ? NULL : &sa->children[i];
}

void nd_child_retire(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_child_sa *old) {
  struct nd_child_sa *next = successor_of(sa, old);
  /* The new outbound first: the peer has its inbound since it answered (or sent) the rekey. */
  if (next && next->pending_out)
    nd_child_install_outbound(e, next);
  nd_child_uninstall_dir(e, old, NICSEC_HAL_DIR_OUT);
  old->state = ND_CHILD_REKEYED;
  old->rekey_wanted = false;
  if (!old->drain_until_ms)
    old->drain_until_ms = e->now_ms + sa->cfg_ref->cfg.daemon.inbound_drain_ms;
}

void nd_child_delete_now(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_child_sa *child,
                         const char *why) {
  ND_INFO("ike#%llu: child %s (SPIs %08x_i %08x_o) deleted: %s", (unsigned long long)sa->id,
          child->cfg ? child->cfg->name : "?", child->spi_in, child->spi_out, why);
  struct nd_child_sa *next = successor_of(sa, child);
  if (next && next->pending_out) /* its replacement is ready: switch rather than go dark */
    nd_child_install_outbound(e, next);
  nd_child_uninstall(e, child); /* the HAL first: no more traffic on it from now on */
  child->state = ND_CHILD_DELETING;
  child->rekey_wanted = false;
  child->delete_queued = true;
}

/* ---- timers ---------------------------------------------------------------------------------- */

void nd_life_peer_spoke(struct nd_engine *e, struct nd_ike_sa *sa) {
  for (size_t i = 0; i < sa->n_children; i++) {
    struct nd_child_sa *c = &sa->children[i];
    if (c->activate_at_ms && c->state == ND_CHILD_LIVE && c->pending_out) {
      c->activate_at_ms = 0;
      nd_child_install_outbound(e, c);
    }
  }
}

static void child_timers(struct nd_engine *e, struct nd_ike_sa *sa, size_t i) {
  struct nd_child_sa *c = &sa->children[i];
  uint64_t now = e->now_ms;
  if (c->activate_at_ms && now >= c->activate_at_ms && c->state == ND_CHILD_LIVE) {
    c->activate_at_ms = 0;
    nd_child_install_outbound(e, c);
  }
  if (c->state == ND_CHILD_LIVE || c->state == ND_CHILD_REDUNDANT) {
    if (c->expire_at_ms && now >= c->expire_at_ms) {
      nd_child_delete_now(e, sa, c, "hard lifetime reached");
      return;
    }
  }
  if (c->state != ND_CHILD_LIVE || successor_of(sa, c))
    return;
  if (c->rekey_at_ms && now >= c->rekey_at_ms) {
    c->rekey_at_ms = 0;
    c->rekey_wanted = true;
    ND_INFO("ike#%llu: child %s: soft lifetime reached, rekeying", (unsigned long long)sa->id,
            c->cfg->name);
  }
  if (c->retry_at_ms && now >= c->retry_at_ms) {
    c->retry_at_ms = 0;
    c->rekey_wanted = true;
  }
}

/* Replaced inbound SAs whose drain period is over leave the HAL and the table. */
static void reap_drained(struct nd_engine *e, struct nd_ike_sa *sa) {
  for (size_t i = 0; i < sa->n_children;) {
    struct nd_child_sa *c = &sa->children[i];
    if (c->state == ND_CHILD_REKEYED && c->drain_until_ms && e->now_ms >= c->drain_until_ms &&
        !c->delete_queued) {
      nd_child_uninstall(e, c);
      nd_child_remove(sa, c);
      continue;
    }
    i++;
  }
}

void nd_life_tick(struct nd_engine *e, struct nd_ike_sa *sa) {
  if (sa->redundant_until_ms && e->now_ms >= sa->redundant_until_ms) {
    nd_sa_destroy(e, sa, "redundant IKE SA of a rekey collision, never deleted by the peer");
    return;
  }
  if (sa->state != ND_IKE_ESTABLISHED && sa->state != ND_IKE_REKEYED)
    return;
  for (size_t i = 0; i < sa->n_children; i++)
    child_timers(e, sa, i);
  reap_drained(e, sa);
  if (sa->state != ND_IKE_ESTABLISHED)
    return;
  nd_reauth_tick(e, sa);
  if ((sa->rekey_at_ms && e->now_ms >= sa->rekey_at_ms) ||
      (sa->ike_retry_at_ms && e->now_ms >= sa->ike_retry_at_ms)) {
    sa->rekey_at_ms = sa->ike_retry_at_ms = 0;
    sa->pending |= ND_PENDING_REKEY_IKE;
  }
}

static uint64_t earlier(uint64_t a, uint64_t b) {
  return b && b < a ? b : a;
}

static bool has_hal_limits(const struct nd_child_cfg *cfg) {
  return cfg && (cfg->rekey_bytes || cfg->life_bytes || cfg->rekey_packets || cfg->life_packets);
}

/* The times child_timers() and reap_drained() act on, each only in the state it acts in: a
 * time left set in another state would keep the SA due without anything to do. */
static uint64_t child_next_timer(const struct nd_ike_sa *sa, const struct nd_child_sa *c) {
  uint64_t next = UINT64_MAX;
  if (c->state == ND_CHILD_LIVE || c->state == ND_CHILD_REDUNDANT)
    next = earlier(next, c->expire_at_ms);
  if (c->state == ND_CHILD_LIVE) {
    next = earlier(next, c->activate_at_ms);
    if (successor_index(sa, c) == SIZE_MAX) {
      next = earlier(next, c->rekey_at_ms);
      next = earlier(next, c->retry_at_ms);
    }
  }
  if (c->state == ND_CHILD_REKEYED && !c->delete_queued)
    next = earlier(next, c->drain_until_ms);
  return next;
}

uint64_t nd_life_next_timer(const struct nd_engine *e, const struct nd_ike_sa *sa) {
  uint64_t next = earlier(UINT64_MAX, sa->redundant_until_ms);
  if (sa->state != ND_IKE_ESTABLISHED && sa->state != ND_IKE_REKEYED)
    return next;
  for (size_t i = 0; i < sa->n_children; i++) {
    const struct nd_child_sa *c = &sa->children[i];
    /* Limit events are polled, not signalled: every SA with limits is due at the engine's
     * next poll (one time for all, so a busy SA does not push the poll away). */
    if (has_hal_limits(c->cfg))
      next = earlier(next, e->hal_poll_ms ? e->hal_poll_ms : e->now_ms);
    next = earlier(next, child_next_timer(sa, c));
  }
  if (sa->state == ND_IKE_ESTABLISHED) {
    next = earlier(next, sa->rekey_at_ms);
    next = earlier(next, sa->ike_retry_at_ms);
    next = earlier(next, sa->reauth_at_ms);
  }
  return next;
}

/* ---- HAL events: packet and byte limits ------------------------------------------------------- */

static bool child_of_hal_sa(struct nd_engine *e, nicsec_hal_sa_id id, struct nd_ike_sa **sa_out,
                            struct nd_child_sa **child_out) {
  for (struct nd_ike_sa *sa = e->all; sa; sa = sa->next_all)
    for (size_t i = 0; i < sa->n_children && sa->state != ND_IKE_DEAD; i++)
      if (sa->children[i].hal_in == id || sa->children[i].hal_out == id) {
        *sa_out = sa;
        *child_out = &sa->children[i];
        return true;
      }
  return false;
}

static void handle_event(struct nd_engine *e, const struct nicsec_hal_event *ev) {
  struct nd_ike_sa *sa;
  struct nd_child_sa *child;
  if (ev->type == NICSEC_HAL_EV_OVERFLOW || !child_of_hal_sa(e, ev->sa, &sa, &child))
    return;
  nd_sa_touch(e, sa);
  switch (ev->type) {
  case NICSEC_HAL_EV_HARD_PACKETS:
  case NICSEC_HAL_EV_HARD_BYTES:
    if (child->state == ND_CHILD_LIVE || child->state == ND_CHILD_REDUNDANT)
      nd_child_delete_now(e, sa, child, nicsec_hal_event_name(ev->type));
    break;
  case NICSEC_HAL_EV_SOFT_PACKETS:
  case NICSEC_HAL_EV_SOFT_BYTES:
  case NICSEC_HAL_EV_SN_EXHAUSTED:
    if (child->state == ND_CHILD_LIVE && !successor_of(sa, child)) {
      ND_INFO("ike#%llu: child %s: %s, rekeying", (unsigned long long)sa->id, child->cfg->name,
              nicsec_hal_event_name(ev->type));
      child->rekey_wanted = true;
    }
    break;
  default:
    break;
  }
}

void nd_life_poll_hal(struct nd_engine *e) {
  if (!e->hal)
    return;
  e->hal_poll_ms = e->now_ms + HAL_POLL_MS;
  struct nicsec_hal_event evs[MAX_EVENTS];
  size_t n = 0;
  do {
    if (nicsec_hal_poll_events(e->hal, evs, MAX_EVENTS, &n) != NICSEC_HAL_OK)
      return; /* NOT_SUPPORTED: a backend without counters has no limit events */
    for (size_t i = 0; i < n; i++)
      handle_event(e, &evs[i]);
  } while (n == MAX_EVENTS);
}

/* ---- the queue of requests -------------------------------------------------------------------- */

static int send_child_delete(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_child_sa *c) {
  uint8_t spi[4] = {(uint8_t)(c->spi_in >> 24), (uint8_t)(c->spi_in >> 16),
                    (uint8_t)(c->spi_in >> 8), (uint8_t)c->spi_in};
  union ike_payload_body del;
  del.del = (struct ike_delete_payload){IKE_PROTO_ESP, 4, 1, {spi, 4}};
  struct ike_payload_out out = nd_out(IKE_PT_DELETE, &del);
  c->delete_queued = false;
  if (nd_send_request(e, sa, IKE_EXCH_INFORMATIONAL, ND_REQ_DELETE_CHILD, &out, 1) != 0)
    return -1;
  sa->req.child_spi = c->spi_in;
  return 0;
}

bool nd_life_run_queued(struct nd_engine *e, struct nd_ike_sa *sa) {
  for (size_t i = 0; i < sa->n_children; i++)
    if (sa->children[i].delete_queued)
      return send_child_delete(e, sa, &sa->children[i]) == 0;
  if (sa->state != ND_IKE_ESTABLISHED)
    return false;
  if (nd_reauth_run(e, sa))
    return true;
  if (sa->pending & ND_PENDING_REKEY_IKE) {
    sa->pending &= ~(unsigned)ND_PENDING_REKEY_IKE;
    return nd_ike_rekey_start(e, sa) == 0;
  }
  for (size_t i = 0; i < sa->n_children; i++) {
    struct nd_child_sa *c = &sa->children[i];
    if (!c->rekey_wanted)
      continue;
    c->rekey_wanted = false;
    if (c->state == ND_CHILD_LIVE && !successor_of(sa, c))
      return nd_ccs_start_child(e, sa, c->cfg, c) == 0;
  }
  if (sa->create_wanted) {
    const struct nd_child_cfg *cfg = sa->create_wanted;
    sa->create_wanted = NULL;
    return nd_ccs_start_child(e, sa, cfg, NULL) == 0;
  }
  return false;
}

/* ---- operator entry points -------------------------------------------------------------------- */

typedef int (*child_action_fn)(struct nd_engine *e, struct nd_ike_sa *sa,
                               struct nd_child_sa *child);

static int act_rekey(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_child_sa *child) {
  (void)e;
  if (child->state != ND_CHILD_LIVE || successor_of(sa, child))
    return 0;
  child->rekey_wanted = true;
  return 1;
}

static int act_delete(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_child_sa *child) {
  if (child->state != ND_CHILD_LIVE)
    return 0;
  nd_child_delete_now(e, sa, child, "by the operator");
  return 1;
}

static bool conn_named(const struct nd_ike_sa *sa, const char *conn) {
  return sa->conn && strcmp(sa->conn->name, conn) == 0 && sa->state == ND_IKE_ESTABLISHED;
}

static int for_children(struct nd_engine *e, uint64_t now_ms, const char *conn,
                        const char *child_name, child_action_fn fn, char *err, size_t err_len) {
  e->now_ms = now_ms;
  int count = 0;
  for (struct nd_ike_sa *sa = e->all; sa; sa = sa->next_all) {
    if (!conn_named(sa, conn))
      continue;
    nd_sa_touch(e, sa);
    for (size_t i = 0; i < sa->n_children; i++)
      if (!child_name || strcmp(sa->children[i].cfg->name, child_name) == 0)
        count += fn(e, sa, &sa->children[i]);
    nd_info_run_pending(e, sa);
  }
  nd_engine_settle(e);
  if (count == 0)
    snprintf(err, err_len, "no installed Child SA %s%s in an established IKE SA of '%s'",
             child_name ? child_name : "", child_name ? "" : "(any)", conn);
  return count ? count : -1;
}

int nd_engine_rekey_child(struct nd_engine *e, uint64_t now_ms, const char *conn,
                          const char *child, char *err, size_t err_len) {
  return for_children(e, now_ms, conn, child, act_rekey, err, err_len);
}

int nd_engine_delete_child(struct nd_engine *e, uint64_t now_ms, const char *conn,
                           const char *child, char *err, size_t err_len) {
  return for_children(e, now_ms, conn, child, act_delete, err, err_len);
}

int nd_engine_rekey_ike(struct nd_engine *e, uint64_t now_ms, const char *conn, char *err,
                        size_t err_len) {
  e->now_ms = now_ms;
  int count = 0;
  for (struct nd_ike_sa *sa = e->all; sa; sa = sa->next_all)
    if (conn_named(sa, conn)) {
      nd_sa_touch(e, sa);
      sa->pending |= ND_PENDING_REKEY_IKE;
      nd_info_run_pending(e, sa);
      count++;
    }
  nd_engine_settle(e);
  if (!count)
    snprintf(err, err_len, "no established IKE SA of '%s'", conn);
  return count ? count : -1;
}

int nd_engine_create_child(struct nd_engine *e, uint64_t now_ms, const char *conn,
                           const char *child, char *err, size_t err_len) {
  e->now_ms = now_ms;
  for (struct nd_ike_sa *sa = e->all; sa; sa = sa->next_all) {
    if (!conn_named(sa, conn))
      continue;
    for (size_t i = 0; i < sa->conn->n_children; i++)
      if (strcmp(sa->conn->children[i].name, child) == 0) {
        nd_sa_touch(e, sa);
        sa->create_wanted = &sa->conn->children[i];
        nd_info_run_pending(e, sa);
        nd_engine_settle(e);
        return 0;
      }
    snprintf(err, err_len, "connection '%s' has no child named %s", conn, child);
    return -1;
  }
  snprintf(err, err_len, "no established IKE SA of '%s'", conn);
  return -1;
}
