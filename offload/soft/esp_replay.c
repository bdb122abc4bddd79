#include "esp_replay.h"

#include <stdlib.h>
#include <string.h>

enum { WINDOW_GRANULE = 32 };

static size_t n_words(uint32_t window) {
  return (window + ESP_REPLAY_WORD_BITS - 1) / ESP_REPLAY_WORD_BITS;
}

static uint64_t *words(struct esp_replay *r) {
  return r->heap_bits ? r->heap_bits : r->inline_bits;
}

static const uint64_t *words_c(const struct esp_replay *r) {
  return r->heap_bits ? r->heap_bits : r->inline_bits;
}

static void bit_set(struct esp_replay *r, uint64_t sn) {
  uint32_t i = (uint32_t)(sn % r->window);
  words(r)[i / ESP_REPLAY_WORD_BITS] |= UINT64_C(1) << (i % ESP_REPLAY_WORD_BITS);
}

static void bit_clear(struct esp_replay *r, uint64_t sn) {
  uint32_t i = (uint32_t)(sn % r->window);
  words(r)[i / ESP_REPLAY_WORD_BITS] &= ~(UINT64_C(1) << (i % ESP_REPLAY_WORD_BITS));
}

static bool bit_test(const struct esp_replay *r, uint64_t sn) {
  uint32_t i = (uint32_t)(sn % r->window);
  return (words_c(r)[i / ESP_REPLAY_WORD_BITS] >> (i % ESP_REPLAY_WORD_BITS)) & 1u;
}

bool esp_replay_init(struct esp_replay *r, uint32_t window, bool esn, uint64_t initial_top) {
  memset(r, 0, sizeof *r);
  if (window % WINDOW_GRANULE != 0 || window > ESP_REPLAY_MAX_WINDOW || (esn && window == 0))
    return false; /* ESN inference needs a window */
  if (n_words(window) > ESP_REPLAY_INLINE_WORDS) {
    r->heap_bits = calloc(n_words(window), sizeof *r->heap_bits);
    if (!r->heap_bits)
      return false;
  }
  r->window = window;
  r->esn = esn;
  r->top = esn ? initial_top : (initial_top & UINT32_MAX);
  if (window)
    bit_set(r, r->top);
  return true;
}

/* RFC 4303 A2.2: pick the high half that puts seq_lo closest to the window. Case A: the window
 * lies in one 2^32 block; case B: it straddles a block boundary. */
static bool infer_high(const struct esp_replay *r, uint32_t seq_lo, uint32_t *seq_hi) {
  uint32_t tl = (uint32_t)r->top, th = (uint32_t)(r->top >> 32);
  uint32_t w = r->window;
  uint32_t bottom = tl - w + 1; /* modulo 2^32 by design */
  if (tl >= w - 1) {
    *seq_hi = seq_lo >= bottom ? th : th + 1;
    return seq_lo >= bottom || th != UINT32_MAX; /* th + 1 would leave the 64-bit space */
  }
  if (seq_lo >= bottom) {
    *seq_hi = th - 1;
    return th != 0; /* no block precedes block 0: such an SN was never sent */
  }
  *seq_hi = th;
  return true;
}

enum nicsec_hal_err esp_replay_check(const struct esp_replay *r, uint32_t seq_lo, uint64_t *seq) {
  uint64_t sn = seq_lo;
  if (r->esn) {
    uint32_t hi;
    if (!infer_high(r, seq_lo, &hi))
      return NICSEC_HAL_E_PKT_REPLAY;
    sn |= (uint64_t)hi << 32;
  }
  *seq = sn;
  if (r->window == 0 || sn > r->top)
    return NICSEC_HAL_OK;
  if (r->top - sn >= r->window || bit_test(r, sn))
    return NICSEC_HAL_E_PKT_REPLAY;
  return NICSEC_HAL_OK;
}

static void slide_to(struct esp_replay *r, uint64_t new_top) {
  uint64_t shift = new_top - r->top;
  if (shift >= r->window) {
    memset(words(r), 0, n_words(r->window) * sizeof(uint64_t));
  } else {
    for (uint64_t i = 1; i <= shift; i++) /* counted, so new_top = 2^64 - 1 terminates */
      bit_clear(r, r->top + i);
  }
  r->top = new_top;
}

bool esp_replay_update(struct esp_replay *r, uint64_t seq) {
  bool new_block = seq > r->top && (seq >> 32) != (r->top >> 32);
  r->seen++;
  if (r->window == 0) {
    if (seq > r->top)
      r->top = seq;
    return new_block;
  }
  if (seq > r->top)
    slide_to(r, seq);
  bit_set(r, seq);
  return new_block;
}

void esp_replay_free(struct esp_replay *r) {
  free(r->heap_bits);
  r->heap_bits = NULL;
}
