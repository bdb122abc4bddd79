/* The timer heap (timerq.h): a[i]'s children are a[2i+1] and a[2i+2], no child is due before
 * its parent. Each timer's slot follows it as it moves. */
#include "timerq.h"

#include <stdlib.h>

static void place(struct nd_timerq *q, size_t i, struct nd_timer *t) {
  q->heap[i] = t;
  t->slot = (uint32_t)(i + 1);
}

static void sift_up(struct nd_timerq *q, size_t i) {
  struct nd_timer *t = q->heap[i];
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (q->heap[parent]->due_ms <= t->due_ms)
      break;
    place(q, i, q->heap[parent]);
    i = parent;
  }
  place(q, i, t);
}

static void sift_down(struct nd_timerq *q, size_t i) {
  struct nd_timer *t = q->heap[i];
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= q->n)
      break;
    if (child + 1 < q->n && q->heap[child + 1]->due_ms < q->heap[child]->due_ms)
      child++;
    if (t->due_ms <= q->heap[child]->due_ms)
      break;
    place(q, i, q->heap[child]);
    i = child;
  }
  place(q, i, t);
}

void nd_timerq_free(struct nd_timerq *q) {
  for (size_t i = 0; i < q->n; i++)
    q->heap[i]->slot = 0;
  free(q->heap);
  *q = (struct nd_timerq){0};
}

bool nd_timerq_reserve(struct nd_timerq *q, size_t count) {
  if (count <= q->cap)
    return true;
  size_t cap = q->cap ? q->cap : 64;
  while (cap < count)
    cap *= 2;
  struct nd_timer **heap = realloc(q->heap, cap * sizeof *heap);
  if (!heap)
    return false;
  q->heap = heap;
  q->cap = cap;
  return true;
}

void nd_timerq_remove(struct nd_timerq *q, struct nd_timer *t) {
  if (!t->slot)
    return;
  size_t i = t->slot - 1;
  t->slot = 0;
  struct nd_timer *last = q->heap[--q->n];
  if (i == q->n)
    return;
  place(q, i, last);
  /* The last timer may belong above or below the hole it fills. */
  if (i > 0 && q->heap[(i - 1) / 2]->due_ms > last->due_ms)
    sift_up(q, i);
  else
    sift_down(q, i);
}

bool nd_timerq_set(struct nd_timerq *q, struct nd_timer *t, uint64_t due_ms) {
  if (due_ms == UINT64_MAX) {
    nd_timerq_remove(q, t);
    return true;
  }
  if (!t->slot) {
    if (q->n == q->cap && !nd_timerq_reserve(q, q->n + 1))
      return false;
    t->due_ms = due_ms;
    place(q, q->n++, t);
    sift_up(q, q->n - 1);
    return true;
  }
  uint64_t was = t->due_ms;
  t->due_ms = due_ms;
  if (due_ms < was)
    sift_up(q, t->slot - 1);
  else if (due_ms > was)
    sift_down(q, t->slot - 1);
  return true;
}

uint64_t nd_timerq_next_ms(const struct nd_timerq *q) {
  return q->n ? q->heap[0]->due_ms : UINT64_MAX;
}

struct nd_timer *nd_timerq_pop_due(struct nd_timerq *q, uint64_t now_ms) {
  if (!q->n || q->heap[0]->due_ms > now_ms)
    return NULL;
  struct nd_timer *t = q->heap[0];
  nd_timerq_remove(q, t);
  return t;
}
