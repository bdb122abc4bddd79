/* The engine's timer heap (timerq.c) against a brute-force model: random queueing, moving,
 * removing and popping of timers, with the earliest due time and every timer's place checked
 * after each operation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "timerq.h"

enum { TIMERS = 512, OPS = 10000, SEED = 4 };

struct model {
  struct nd_timer timers[TIMERS];
  bool queued[TIMERS];
  uint64_t due[TIMERS];
};

/* A small xorshift generator: the same sequence on every run. */
static uint64_t rng_state = SEED;
static uint64_t rng(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

static uint64_t model_min(const struct model *m) {
  uint64_t min = UINT64_MAX;
  for (size_t i = 0; i < TIMERS; i++)
    if (m->queued[i] && m->due[i] < min)
      min = m->due[i];
  return min;
}

static void check_against_model(const struct nd_timerq *q, const struct model *m) {
  size_t queued = 0;
  for (size_t i = 0; i < TIMERS; i++) {
    assert_int_equal(nd_timer_queued(&m->timers[i]), m->queued[i]);
    if (!m->queued[i])
      continue;
    queued++;
    assert_int_equal(m->timers[i].due_ms, m->due[i]);
    assert_ptr_equal(q->heap[m->timers[i].slot - 1], &m->timers[i]);
  }
  assert_int_equal(q->n, queued);
  assert_int_equal(nd_timerq_next_ms(q), model_min(m));
}

/* Pops everything due at now and checks it was the model's due set, earliest first. */
static void pop_due(struct nd_timerq *q, struct model *m, uint64_t now) {
  uint64_t last = 0;
  struct nd_timer *t;
  while ((t = nd_timerq_pop_due(q, now))) {
    size_t i = (size_t)(t - m->timers);
    assert_true(i < TIMERS && m->queued[i]);
    assert_true(m->due[i] <= now && m->due[i] >= last);
    last = m->due[i];
    m->queued[i] = false;
  }
  assert_true(model_min(m) > now);
}

static void random_operation(struct nd_timerq *q, struct model *m) {
  size_t i = (size_t)(rng() % TIMERS);
  /* Few distinct times, so equal keys (many SAs due in the same millisecond) are common. */
  uint64_t due = 1000 + rng() % 5000;
  switch (rng() % 4) {
  case 0:
  case 1: /* queue or move */
    assert_true(nd_timerq_set(q, &m->timers[i], due));
    m->queued[i] = true;
    m->due[i] = due;
    break;
  case 2: /* remove, by the call or by UINT64_MAX */
    if (rng() % 2)
      nd_timerq_remove(q, &m->timers[i]);
    else
      assert_true(nd_timerq_set(q, &m->timers[i], UINT64_MAX));
    m->queued[i] = false;
    break;
  default:
    pop_due(q, m, 1000 + rng() % 1500);
    break;
  }
}

static void test_heap_matches_brute_force_minimum(void **state) {
  (void)state;
  static struct model m;
  struct nd_timerq q = {0};
  assert_true(nd_timerq_reserve(&q, TIMERS));
  for (int op = 0; op < OPS; op++) {
    random_operation(&q, &m);
    check_against_model(&q, &m);
  }
  nd_timerq_free(&q);
  for (size_t i = 0; i < TIMERS; i++)
    assert_false(nd_timer_queued(&m.timers[i]));
}

static void test_empty_queue_has_no_timer(void **state) {
  (void)state;
  struct nd_timerq q = {0};
  struct nd_timer t = {0};
  assert_int_equal(nd_timerq_next_ms(&q), UINT64_MAX);
  assert_null(nd_timerq_pop_due(&q, UINT64_MAX - 1));
  nd_timerq_remove(&q, &t); /* not queued: nothing happens */
  assert_true(nd_timerq_set(&q, &t, 7)); /* grows on demand when nothing was reserved */
  assert_int_equal(nd_timerq_next_ms(&q), 7);
  assert_null(nd_timerq_pop_due(&q, 6));
  assert_ptr_equal(nd_timerq_pop_due(&q, 7), &t);
  assert_false(nd_timer_queued(&t));
  nd_timerq_free(&q);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_heap_matches_brute_force_minimum),
      cmocka_unit_test(test_empty_queue_has_no_timer),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
