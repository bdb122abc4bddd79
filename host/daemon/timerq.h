/* A binary min-heap of timers, keyed by each timer's absolute due time: the engine's queue of
 * IKE SAs by their earliest deadline. The timer lives in its owner (struct nd_timer embedded in
 * the SA) and remembers its place in the heap, so rescheduling or removing one is O(log n) and
 * the earliest is O(1). The heap's array is grown by nd_timerq_reserve only, so that queueing
 * a timer (at the end of every engine event) cannot fail. */
#ifndef NICSEC_DAEMON_TIMERQ_H
#define NICSEC_DAEMON_TIMERQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Embedded in its owner; all-zero (calloc) is "not queued". */
struct nd_timer {
  uint64_t due_ms;
  uint32_t slot; /* index in the heap + 1; 0 = not queued */
};

struct nd_timerq {
  struct nd_timer **heap;
  size_t n, cap;
};

void nd_timerq_free(struct nd_timerq *q);
/* Room for `count` queued timers. False when out of memory (the queue is unchanged). */
bool nd_timerq_reserve(struct nd_timerq *q, size_t count);
/* Queues t at due_ms, or moves it there when queued; UINT64_MAX removes it. False only when t
 * was not queued and no room was reserved for it (and none could be made). */
bool nd_timerq_set(struct nd_timerq *q, struct nd_timer *t, uint64_t due_ms);
void nd_timerq_remove(struct nd_timerq *q, struct nd_timer *t);
/* The earliest queued due time, or UINT64_MAX. */
uint64_t nd_timerq_next_ms(const struct nd_timerq *q);
/* Removes and returns the earliest timer when it is due at now_ms, else NULL. */
struct nd_timer *nd_timerq_pop_due(struct nd_timerq *q, uint64_t now_ms);
static inline bool nd_timer_queued(const struct nd_timer *t) {
  return t->slot != 0;
}

#endif
