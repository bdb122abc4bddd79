/* Receiver anti-replay window with 64-bit ESN inference (RFC 4303 section 3.4.3, Appendix A).
 * Check before decrypting (cheap drop of replays), update only after the ICV verified, so a
 * forged packet can never move the window. */
#ifndef NICSEC_SOFT_ESP_REPLAY_H
#define NICSEC_SOFT_ESP_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include "nicsec/hal.h"

enum { ESP_REPLAY_MAX_WINDOW = 4096, ESP_REPLAY_WORD_BITS = 64 };

struct esp_replay {
  uint64_t top;     /* highest authenticated sequence number (the window's right edge) */
  uint32_t window;  /* size in packets, a multiple of 32; 0 = no replay check (not with ESN) */
  bool esn;
  uint64_t seen;    /* SNs accepted since install (for stats) */
  /* Bit (sn % window) is set when sn in (top - window, top] has been accepted. */
  uint64_t bits[ESP_REPLAY_MAX_WINDOW / ESP_REPLAY_WORD_BITS];
};

/* window must be 0 or a multiple of 32 up to ESP_REPLAY_MAX_WINDOW; initial_top is treated as
 * already received (for a new SA it is 0, which is never a valid SN). */
bool esp_replay_init(struct esp_replay *r, uint32_t window, bool esn, uint64_t initial_top);

/* Infers the full 64-bit SN from the 32 bits on the wire and checks it against the window.
 * Returns NICSEC_HAL_OK with *seq set, or NICSEC_HAL_E_PKT_REPLAY. */
enum nicsec_hal_err esp_replay_check(const struct esp_replay *r, uint32_t seq_lo, uint64_t *seq);

/* Marks seq as received, sliding the window if seq is new. Returns true when the window's
 * right edge moved into a new 2^32 block (ESN high half incremented). */
bool esp_replay_update(struct esp_replay *r, uint64_t seq);

#endif
