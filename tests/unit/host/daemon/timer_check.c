#include "timer_check.h"

#include <stdio.h>

#include "engine_internal.h"

static bool heap_shape_ok(const struct nd_timerq *q, char *why, size_t len) {
  for (size_t i = 0; i < q->n; i++) {
    if (q->heap[i]->slot != i + 1) {
      snprintf(why, len, "heap entry %zu has slot %u", i, q->heap[i]->slot);
      return false;
    }
    if (i > 0 && q->heap[(i - 1) / 2]->due_ms > q->heap[i]->due_ms) {
      snprintf(why, len, "heap entry %zu is due before its parent", i);
      return false;
    }
  }
  return true;
}

static bool sa_queued_in_time(const struct nd_engine *e, const struct nd_ike_sa *sa, char *why,
                              size_t len) {
  uint64_t deadline = nd_sa_deadline(e, sa);
  /* A deadline already passed is served from the next millisecond on (engine_timers.c). */
  uint64_t latest = deadline > e->now_ms ? deadline : e->now_ms + 1;
  if (deadline == UINT64_MAX)
    return true;
  if (!nd_timer_queued(&sa->timer) || sa->timer.due_ms > latest) {
    snprintf(why, len, "ike#%llu (state %d) due at %llu is queued %s%llu", (unsigned long long)sa->id,
             sa->state, (unsigned long long)deadline,
             nd_timer_queued(&sa->timer) ? "at " : "nowhere ",
             (unsigned long long)sa->timer.due_ms);
    return false;
  }
  return true;
}

bool timer_queue_consistent(const struct nd_engine *e, char *why, size_t len) {
  if (!heap_shape_ok(&e->timers, why, len))
    return false;
  size_t queued = 0;
  for (const struct nd_ike_sa *sa = e->all; sa; sa = sa->next_all) {
    if (sa->state == ND_IKE_DEAD || sa->touched) {
      snprintf(why, len, "ike#%llu is %s after the event", (unsigned long long)sa->id,
               sa->touched ? "still marked" : "dead but not freed");
      return false;
    }
    if (!sa_queued_in_time(e, sa, why, len))
      return false;
    queued += nd_timer_queued(&sa->timer);
  }
  if (queued != e->timers.n) {
    snprintf(why, len, "%zu timers queued for %zu queued SAs", e->timers.n, queued);
    return false;
  }
  return true;
}
