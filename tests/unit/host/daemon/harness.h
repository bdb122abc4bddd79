/* Two nicsecd engines in one process joined by a simulated network that delivers, drops and
 * duplicates messages deterministically, with a simulated clock. Each engine installs its
 * Child SAs on its own "record" HAL device (see record_backend.h). */
#ifndef NICSEC_TEST_HARNESS_H
#define NICSEC_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "record_backend.h"

enum { H_QUEUE = 64 };

struct h_packet {
  int from; /* 0 or 1 */
  struct nd_addr src, dst;
  uint8_t *msg;
  size_t len;
};

struct harness {
  struct nicsec_hal_dev *hal[2];
  struct nd_engine *eng[2];
  struct h_packet queue[H_QUEUE];
  size_t n_queued;
  uint64_t now;
  unsigned drop[2];        /* drop this many of the next messages sent by side i */
  unsigned sent[2];        /* messages sent by side i */
  struct h_packet last[2]; /* copy of the last message sent by side i (for replays) */
  bool trace;              /* NICSEC_TEST_LOG set: every delivery is printed beside the log */
};

/* Side 0 is 192.0.2.1, side 1 is 192.0.2.2. The configs are YAML texts; returns false (and
 * prints the error) when one does not load. */
bool h_init(struct harness *h, const char *yaml0, const char *yaml1);
void h_free(struct harness *h);
/* Delivers queued messages (and whatever they cause) until the network is quiet or max
 * deliveries happened; returns the number delivered. */
size_t h_run(struct harness *h, size_t max);
/* Advances the clock to t and ticks both engines. */
void h_advance(struct harness *h, uint64_t t);
/* Fails the test when an engine's timer queue is inconsistent (timer_check.h). */
void h_check_timers(const struct harness *h);
/* Re-delivers a copy of the last message side i sent. */
void h_replay_last(struct harness *h, int side);

/* Scripted delivery: the queue in sending order; each call acts on the message at index i
 * (false when there is none). deliver removes and delivers it, drop removes it, duplicate
 * delivers a copy and leaves it queued (it arrives again later). Leaving a message queued while
 * others are delivered is a delay or a reorder. */
size_t h_pending(const struct harness *h);
const struct h_packet *h_peek(const struct harness *h, size_t i);
bool h_deliver_at(struct harness *h, size_t i);
bool h_drop_at(struct harness *h, size_t i);
bool h_duplicate_at(struct harness *h, size_t i);

/* What an engine holds, from nd_engine_visit(). */
struct h_ike {
  struct nd_ike_view ike;
  struct nd_child_view child[8];
  size_t n_children;
};
size_t h_list(const struct harness *h, int side, struct h_ike *out, size_t max);

/* A ready-made pair of configs: the common test topology with the given IKE and ESP proposal
 * strings, extra connection lines and PSKs. Writes into buf (cap bytes). */
void h_config(char *buf, size_t cap, int side, const char *ike, const char *esp,
              const char *extra_conn, const char *extra_daemon, const char *psk);

#endif
