/* The engine's timers: every IKE SA sits in one min-heap (timerq.c) at its earliest deadline,
 * so a tick touches only the SAs that are due and the next timer is read in O(1). With
 * thousands of SAs a walk over all of them per tick and per wake-up cost more than the
 * datagrams did.
 *
 * The rule that keeps the heap right: an SA's deadline only moves when the SA changes, and it
 * only changes inside an engine entry point (a datagram, a tick, an operator call, a HAL event,
 * its creation). Each of those marks the SAs it changes (nd_sa_touch) and, before returning,
 * nd_engine_settle() recomputes their deadlines with the one function below. */
#include "engine_internal.h"

static uint64_t earlier(uint64_t a, uint64_t b) {
  return a < b ? a : b;
}

static struct nd_ike_sa *sa_of_timer(struct nd_timer *t) {
  return (struct nd_ike_sa *)((char *)t - offsetof(struct nd_ike_sa, timer));
}

/* ---- the deadline ---------------------------------------------------------------------------- */

/* Whether nd_info_run_pending() would start something now: queued work whose request window
 * is free. Each kind of work below is cleared (or a request goes out) when it runs, so an SA
 * is never due forever for it. */
static bool runnable_work(const struct nd_ike_sa *sa) {
  if (sa->req.kind != ND_REQ_NONE ||
      (sa->state != ND_IKE_ESTABLISHED && sa->state != ND_IKE_REKEYED))
    return false;
  if (sa->pending & ND_PENDING_DELETE_IKE)
    return true;
  for (size_t i = 0; i < sa->n_children; i++)
    if (sa->children[i].delete_queued)
      return true;
  if (sa->state != ND_IKE_ESTABLISHED)
    return false;
  if (sa->reauth_of || sa->create_wanted || sa->pending)
    return true;
  for (size_t i = 0; i < sa->n_children; i++)
    if (sa->children[i].rekey_wanted)
      return true;
  return false;
}

uint64_t nd_sa_deadline(const struct nd_engine *e, const struct nd_ike_sa *sa) {
  if (sa->state == ND_IKE_DEAD)
    return UINT64_MAX;
  if (runnable_work(sa))
    return e->now_ms;
  uint64_t next = nd_life_next_timer(e, sa);
  if (sa->req.kind != ND_REQ_NONE)
    next = earlier(next, sa->req.next_ms);
  if (sa->state == ND_IKE_INIT_DONE)
    next = earlier(next, sa->created_ms + ND_HALF_OPEN_TIMEOUT_MS);
  if (sa->state == ND_IKE_ESTABLISHED && sa->conn->dpd_delay_s && sa->req.kind == ND_REQ_NONE)
    next = earlier(next, sa->last_rx_ms + (uint64_t)sa->conn->dpd_delay_s * 1000);
  return next;
}

/* ---- marking and settling ------------------------------------------------------------------- */

void nd_sa_touch(struct nd_engine *e, struct nd_ike_sa *sa) {
  if (!sa || sa->touched || sa->state == ND_IKE_DEAD)
    return;
  sa->touched = true;
  sa->next_touched = e->touched;
  e->touched = sa;
}

static void reschedule(struct nd_engine *e, struct nd_ike_sa *sa) {
  uint64_t due = nd_sa_deadline(e, sa);
  /* An SA this tick served that is still due would be served again at once, forever: a
   * deadline that nothing but time moves is taken from the next millisecond on. */
  if (sa->timer_fired && due <= e->now_ms)
    due = e->now_ms + 1;
  sa->timer_fired = false;
  if (!nd_timerq_set(&e->timers, &sa->timer, due))
    ND_ERROR("ike#%llu: no room in the timer queue", (unsigned long long)sa->id);
}

void nd_engine_settle(struct nd_engine *e) {
  /* Computing deadlines changes nothing, so no SA is marked while this runs. */
  while (e->touched) {
    struct nd_ike_sa *sa = e->touched;
    e->touched = sa->next_touched;
    sa->touched = false;
    nd_sa_account_half_open(e, sa);
    if (sa->state == ND_IKE_DEAD)
      nd_sa_free(e, sa);
    else
      reschedule(e, sa);
  }
}

/* ---- tick ------------------------------------------------------------------------------------ */

/* What a due SA's timers do: retransmit or give up, expire a half-open SA, lifetimes, DPD,
 * then start the queued work the window allows. */
static void run_sa_timers(struct nd_engine *e, struct nd_ike_sa *sa) {
  uint64_t now = e->now_ms;
  if (sa->req.kind != ND_REQ_NONE && now >= sa->req.next_ms && !nd_retransmit_due(e, sa))
    return;
  if (sa->state == ND_IKE_INIT_DONE && now - sa->created_ms >= ND_HALF_OPEN_TIMEOUT_MS) {
    nd_sa_destroy(e, sa, "half-open IKE SA timed out");
    return;
  }
  nd_life_tick(e, sa);
  if (sa->state == ND_IKE_DEAD)
    return;
  nd_info_dpd_check(e, sa);
  nd_info_run_pending(e, sa);
}

void nd_engine_tick(struct nd_engine *e, uint64_t now_ms) {
  e->now_ms = now_ms;
  struct nd_timer *t;
  while ((t = nd_timerq_pop_due(&e->timers, now_ms))) {
    struct nd_ike_sa *sa = sa_of_timer(t);
    nd_sa_touch(e, sa);
    sa->timer_fired = true;
    run_sa_timers(e, sa);
  }
  nd_life_poll_hal(e);
  /* The rekeys and Deletes the HAL's events asked for start in this tick (the SAs of events
   * are marked, the others were served above). */
  for (struct nd_ike_sa *sa = e->touched; sa; sa = sa->next_touched)
    if (sa->state != ND_IKE_DEAD)
      nd_info_run_pending(e, sa);
  nd_child_drain_pending(e);
  nd_engine_settle(e);
}

uint64_t nd_engine_next_timer(const struct nd_engine *e) {
  uint64_t next = nd_timerq_next_ms(&e->timers);
  return e->n_draining ? earlier(next, e->now_ms + 10) : next;
}
