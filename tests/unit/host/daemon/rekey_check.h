/* Rekey scenarios on the two-engine harness: configurations with lifetimes, operator actions,
 * scripted deliveries, and the invariants every scenario must end in (and the no-black-hole
 * invariant that must hold after every single delivery). Assertions are cmocka's. */
#ifndef NICSEC_TEST_REKEY_CHECK_H
#define NICSEC_TEST_REKEY_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "harness.h"

enum { RK_DRAIN_MS = 500, RK_SETTLE_EXTRA_MS = 30000 };

struct rk_cfg {
  const char *esp[2];         /* ESP proposals per side (default aes256gcm16) */
  const char *child_extra[2]; /* extra YAML lines inside the child (lifetimes), 8 spaces */
  const char *ike;            /* IKE proposal (default aes256gcm16-prfsha256-x25519) */
  const char *conn_extra[2];  /* extra YAML lines inside the connection, 4 spaces */
};

/* Brings up the IKE SA and its Child SA (side 0 initiates). */
void rk_setup(struct harness *h, const struct rk_cfg *cfg);

/* Script tokens, separated by spaces:
 *   d<i>  deliver the i-th queued message     x<i>  drop it     u<i>  deliver a duplicate
 *   t     advance the clock by 1.1 s (retransmissions, drains)
 *   R<s>  side s rekeys the Child SA          I<s>  side s rekeys the IKE SA
 *   G<s>  side s rekeys the Child SA regularly (never optimized)
 *   D<s>  side s deletes the Child SA         *     deliver everything in order
 * After every delivery the no-black-hole invariant is checked unless `deleting`. */
void rk_script(struct harness *h, const char *script, bool deleting);
void rk_action(struct harness *h, char op, int side);

/* Delivers everything and advances the clock past every drain period, retransmission and grace
 * timer, until nothing moves; with time-based lifetimes (timers that never run out) it runs
 * 120 s and then on to the first quiet point (no message, drain or delete in flight). */
void rk_settle(struct harness *h);

/* Nothing in flight on either side: no message queued, every IKE SA ESTABLISHED, every Child SA
 * INSTALLED with both directions in the HAL, nothing stopped or draining in the HAL. */
bool rk_quiet(const struct harness *h);

/* After every delivery: on each side the newest active outbound SA of every reqid has a
 * matching active inbound SA (same SPI, key, salt) on the other side. */
void rk_check_no_blackhole(const struct harness *h);

/* The end state: one IKE SA per side (same SPIs), `children` Child SAs each, all INSTALLED with
 * crossed SPIs; the HAL holds exactly their SAs (no leak, nothing stopped or draining); every
 * outbound SA ever installed matched an inbound SA of the peer; no inbound SPI and no key was
 * ever used twice. */
void rk_check_final(const struct harness *h, size_t children);

/* Current Child SA SPIs (side 0's inbound/outbound) for "it changed" checks. */
void rk_child_spis(const struct harness *h, unsigned *spi_in, unsigned *spi_out);
unsigned long long rk_ike_spi_i(const struct harness *h);

#endif
