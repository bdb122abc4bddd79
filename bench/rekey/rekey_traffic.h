/* Constant traffic through the two soft devices of a rekey_pair while it rekeys: after every IKE
 * event each side encrypts `burst` sequence-numbered packets (IPv4/UDP, seqflow payload) on its
 * newest active outbound SA (the soft datapath's own rule: newest outbound of the reqid) and
 * puts them "in flight"; a packet is decrypted by the peer `depth` events later (or once it is
 * RK_WIRE_MAX_MS old, whichever comes first), so packets sealed before an SA change arrive
 * after it, as on a wire. The pair fires an event before every engine tick, so a packet never
 * waits out a drain period the way it could not on a real wire. The receiver accounts with
 * seqflow: every sequence number that never decrypts is lost. */
#ifndef NICSEC_BENCH_REKEY_TRAFFIC_H
#define NICSEC_BENCH_REKEY_TRAFFIC_H

#include <stdbool.h>
#include <stdint.h>

#include "nicsec/hal.h"
#include "seqflow.h"

enum { RK_MAX_OUT = 64, RK_MAX_FLIGHT = 4096, RK_PKT_MAX = 128, RK_WIRE_MAX_MS = 2 };

struct rk_flight {
  uint64_t sent_event;
  uint64_t sent_ms;
  uint16_t len;
  uint8_t wire[RK_PKT_MAX + NICSEC_HAL_ENCAP_OVERHEAD];
};

struct rk_direction {
  struct nicsec_hal_dev *tx, *rx;
  /* Outbound SAs the sender's device holds, with the order they first appeared in. */
  struct { nicsec_hal_sa_id id; uint64_t order; bool active; } out[RK_MAX_OUT];
  size_t n_out;
  struct rk_flight *flight; /* ring of RK_MAX_FLIGHT */
  size_t head, count;
  uint64_t next_seq;
  uint64_t no_outbound;  /* packets that found no active outbound SA (counted lost) */
  uint64_t encap_errors;
  uint64_t overflow;     /* sent while RK_MAX_FLIGHT packets were in flight (counted lost) */
  uint64_t decap_errors[NICSEC_HAL_E__COUNT]; /* by nicsec_hal_decap result */
  struct seqflow_stats rx_stats;
};

struct rk_traffic {
  struct rk_direction dir[2]; /* dir[0]: side 0 -> side 1 */
  unsigned burst, depth;
  uint64_t events;
  uint64_t order;
  bool enabled;
};

bool rk_traffic_init(struct rk_traffic *t, struct nicsec_hal_dev *hal0,
                     struct nicsec_hal_dev *hal1, unsigned burst, unsigned depth);
void rk_traffic_free(struct rk_traffic *t);
/* The rk_pair event hook (ctx: struct rk_traffic). */
void rk_traffic_on_event(void *ctx);
/* Delivers everything still in flight and closes the flows (end markers). */
void rk_traffic_finish(struct rk_traffic *t);
void rk_traffic_summary(const struct rk_traffic *t, int dir, struct seqflow_summary *out);

#endif
