/* The timer queue's invariant, checked by the harness after every event it drives: each
 * queued timer sits where its slot says, no timer is due before its parent, and no SA is queued
 * later than its deadline (nd_sa_deadline) — a later key would be a missed timer. An earlier
 * key is allowed: the SA is then served early, finds nothing to do and is queued again. */
#ifndef NICSEC_TEST_TIMER_CHECK_H
#define NICSEC_TEST_TIMER_CHECK_H

#include <stdbool.h>
#include <stddef.h>

struct nd_engine;

/* True when the invariant holds; else why is written to why. */
bool timer_queue_consistent(const struct nd_engine *e, char *why, size_t len);

#endif
