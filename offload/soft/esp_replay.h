/* Receiver anti-replay window with 64-bit ESN inference (RFC 4303 section 3.4.3, Appendix A).
 * Check before decrypting (cheap drop of replays), update only after the ICV verified, so a
 * forged packet can never move the window. */
#ifndef NICSEC_SOFT_ESP_REPLAY_H
#define NICSEC_SOFT_ESP_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include "nicsec/hal.h"

enum { ESP_REPLAY_MAX_WINDOW = 4096, ESP_REPLAY_WORD_BITS = 64, ESP_REPLAY_INLINE_WORDS = 1 };

/* The bitmap is sized to the window: the usual windows (32, 64 packets) fit inline, larger
 * ones are allocated. A fixed 4096-bit array would cost every inbound SA 512 octets. */
struct esp_replay {
  uint64_t top;     /* highest authenticated sequence number (the window's right edge) */
  uint32_t window;  /* size in packets, a multiple of 32; 0 = no replay check (not with ESN) */
  bool esn;
  uint64_t seen;    /* SNs accepted since install (for stats) */
  /* Bit (sn % window) is set when sn in (top - window, top] has been accepted; in heap_bits
   * when the window needs more than the inline words, else in inline_bits. */
  uint64_t *heap_bits;
  uint64_t inline_bits[ESP_REPLAY_INLINE_WORDS];
};

/* window must be 0 or a multiple of 32 up to ESP_REPLAY_MAX_WINDOW; initial_top is treated as
 * already received (for a new SA it is 0, which is never a valid SN). *r is overwritten, so
 * a window set up before must be released with esp_replay_free first. False also when the
 * bitmap cannot be allocated. */
bool esp_replay_init(struct esp_replay *r, uint32_t window, bool esn, uint64_t initial_top);
/* Releases an allocated bitmap; safe on a zeroed or inline window, and twice. */
void esp_replay_free(struct esp_replay *r);

/* Infers the full 64-bit SN from the 32 bits on the wire and checks it against the window.
 * Returns NICSEC_HAL_OK with *seq set, or NICSEC_HAL_E_PKT_REPLAY. */
enum nicsec_hal_err esp_replay_check(const struct esp_replay *r, uint32_t seq_lo, uint64_t *seq);

/* Marks seq as received, sliding the window if seq is new. Returns true when the window's
 * right edge moved into a new 2^32 block (ESN high half incremented). */
bool esp_replay_update(struct esp_replay *r, uint64_t seq);

#endif
