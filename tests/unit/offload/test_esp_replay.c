/* Anti-replay (RFC 4303 3.4.3 and Appendix A): the window alone, then through the soft datapath
 * across the 2^32 boundary with ESN, and SN exhaustion without ESN. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "esp_replay.h"
#include "nicsec/hal.h"
#include "test_util.h"

enum { BUF = 2048 };

/* Check then (if accepted) update, as the datapath does after a good ICV. */
static enum nicsec_hal_err receive(struct esp_replay *r, uint32_t seq_lo, uint64_t *seq) {
  uint64_t s = 0;
  enum nicsec_hal_err err = esp_replay_check(r, seq_lo, &s);
  if (err == NICSEC_HAL_OK)
    esp_replay_update(r, s);
  if (seq)
    *seq = s;
  return err;
}

static void test_duplicates(void **state) {
  (void)state;
  struct esp_replay r;
  assert_true(esp_replay_init(&r, 64, false, 0));
  assert_int_equal(receive(&r, 0, NULL), NICSEC_HAL_E_PKT_REPLAY); /* SN 0 is never sent */
  for (uint32_t sn = 1; sn <= 5; sn++)
    assert_int_equal(receive(&r, sn, NULL), NICSEC_HAL_OK);
  for (uint32_t sn = 1; sn <= 5; sn++)
    assert_int_equal(receive(&r, sn, NULL), NICSEC_HAL_E_PKT_REPLAY);
  /* Out of order inside the window: each accepted exactly once. */
  assert_int_equal(receive(&r, 20, NULL), NICSEC_HAL_OK);
  assert_int_equal(receive(&r, 12, NULL), NICSEC_HAL_OK);
  assert_int_equal(receive(&r, 12, NULL), NICSEC_HAL_E_PKT_REPLAY);
  assert_int_equal(receive(&r, 19, NULL), NICSEC_HAL_OK);
  assert_int_equal(receive(&r, 20, NULL), NICSEC_HAL_E_PKT_REPLAY);
  assert_int_equal(r.seen, 8);
}

static void test_too_old_and_slide(void **state) {
  (void)state;
  struct esp_replay r;
  assert_true(esp_replay_init(&r, 64, false, 0));
  assert_int_equal(receive(&r, 100, NULL), NICSEC_HAL_OK);
  assert_int_equal(receive(&r, 36, NULL), NICSEC_HAL_E_PKT_REPLAY); /* 100 - 36 = window */
  assert_int_equal(receive(&r, 37, NULL), NICSEC_HAL_OK);           /* left edge */
  assert_int_equal(receive(&r, 90, NULL), NICSEC_HAL_OK);
  /* Slide by less than the window: 90 stays seen, 37 falls out. */
  assert_int_equal(receive(&r, 120, NULL), NICSEC_HAL_OK);
  assert_int_equal(receive(&r, 90, NULL), NICSEC_HAL_E_PKT_REPLAY);
  assert_int_equal(receive(&r, 56, NULL), NICSEC_HAL_E_PKT_REPLAY);
  assert_int_equal(receive(&r, 57, NULL), NICSEC_HAL_OK);
  /* Slide by more than the window: everything old is forgotten, bits reused cleanly. */
  assert_int_equal(receive(&r, 1000, NULL), NICSEC_HAL_OK);
  assert_int_equal(receive(&r, 936, NULL), NICSEC_HAL_E_PKT_REPLAY);
  for (uint32_t sn = 937; sn < 1000; sn++)
    assert_int_equal(receive(&r, sn, NULL), NICSEC_HAL_OK);
  for (uint32_t sn = 937; sn <= 1000; sn++)
    assert_int_equal(receive(&r, sn, NULL), NICSEC_HAL_E_PKT_REPLAY);
}

static void test_large_window(void **state) {
  (void)state;
  struct esp_replay r;
  uint64_t seq;
  assert_true(esp_replay_init(&r, 4096, false, 0));
  assert_int_equal(receive(&r, 10000, NULL), NICSEC_HAL_OK);
  assert_int_equal(receive(&r, 10000 - 4096, NULL), NICSEC_HAL_E_PKT_REPLAY);
  assert_int_equal(receive(&r, 10000 - 4095, NULL), NICSEC_HAL_OK);
  assert_int_equal(receive(&r, 10000 - 4095, NULL), NICSEC_HAL_E_PKT_REPLAY);
  esp_replay_free(&r);
  /* With ESN the same low bits left of the window read as the next 2^32 block (A2.2): the
   * ICV check, not the window, then rejects a replay. */
  assert_true(esp_replay_init(&r, 4096, true, 10000));
  assert_int_equal(esp_replay_check(&r, 10000 - 4096, &seq), NICSEC_HAL_OK);
  assert_int_equal(seq, (UINT64_C(1) << 32) + 10000 - 4096);
  assert_int_equal(esp_replay_check(&r, 10000 - 4095, &seq), NICSEC_HAL_OK);
  assert_int_equal(seq, 10000 - 4095);
  esp_replay_free(&r);
  esp_replay_free(&r); /* twice is harmless */
  assert_false(esp_replay_init(&r, 4097, false, 0));
  assert_false(esp_replay_init(&r, 8192, false, 0));
  assert_false(esp_replay_init(&r, 100, false, 0));
  assert_false(esp_replay_init(&r, 0, true, 0)); /* ESN inference needs a window */
}

/* Windows at and just past the inline bitmap (64 packets): both keep exact window edges, and a
 * slide by more than the window clears the whole (allocated) bitmap. */
static void check_window_edges(uint32_t window) {
  struct esp_replay r;
  assert_true(esp_replay_init(&r, window, false, 0));
  for (uint32_t sn = 1; sn <= window; sn++)
    assert_int_equal(receive(&r, sn, NULL), NICSEC_HAL_OK);
  assert_int_equal(receive(&r, 1, NULL), NICSEC_HAL_E_PKT_REPLAY);      /* seen, in window */
  assert_int_equal(receive(&r, window + 1, NULL), NICSEC_HAL_OK);     /* slides by one */
  assert_int_equal(receive(&r, 1, NULL), NICSEC_HAL_E_PKT_REPLAY);      /* now left of it */
  assert_int_equal(receive(&r, 3 * window, NULL), NICSEC_HAL_OK);     /* slides past it all */
  assert_int_equal(receive(&r, 2 * window + 1, NULL), NICSEC_HAL_OK); /* cleared, in window */
  assert_int_equal(receive(&r, 2 * window, NULL), NICSEC_HAL_E_PKT_REPLAY); /* left edge */
  esp_replay_free(&r);
}

static void test_window_storage_sizes(void **state) {
  (void)state;
  check_window_edges(32);
  check_window_edges(ESP_REPLAY_INLINE_WORDS * ESP_REPLAY_WORD_BITS);
  check_window_edges(ESP_REPLAY_INLINE_WORDS * ESP_REPLAY_WORD_BITS + 32);
  check_window_edges(1024);
}

static void test_disabled_window(void **state) {
  (void)state;
  struct esp_replay r;
  assert_true(esp_replay_init(&r, 0, false, 0));
  assert_int_equal(receive(&r, 7, NULL), NICSEC_HAL_OK);
  assert_int_equal(receive(&r, 7, NULL), NICSEC_HAL_OK);
  assert_int_equal(receive(&r, 1, NULL), NICSEC_HAL_OK);
}

/* RFC 4303 A2.2 both cases, around the 2^32 boundary. */
static void test_esn_inference(void **state) {
  (void)state;
  struct esp_replay r;
  uint64_t seq;
  const uint64_t block1 = UINT64_C(1) << 32, block2 = UINT64_C(2) << 32;
  /* Case A (window inside one block), packet ahead across the boundary. */
  assert_true(esp_replay_init(&r, 64, true, block1 + 0xfffffff0u));
  assert_int_equal(receive(&r, 0x00000005, &seq), NICSEC_HAL_OK);
  assert_int_equal(seq, block2 + 5);
  /* Case B (window now straddles the boundary): late packets from the old block. */
  assert_int_equal(receive(&r, 0xfffffff8, &seq), NICSEC_HAL_OK);
  assert_int_equal(seq, block1 + 0xfffffff8u);
  assert_int_equal(receive(&r, 0xfffffff0, &seq), NICSEC_HAL_E_PKT_REPLAY); /* initial edge */
  assert_int_equal(receive(&r, 0xffffffc6, &seq), NICSEC_HAL_OK);           /* left edge */
  assert_int_equal(seq, block1 + 0xffffffc6u);
  /* Left of the window's bottom in the old block reads as the current block, far ahead. */
  assert_int_equal(esp_replay_check(&r, 0xffffffc5, &seq), NICSEC_HAL_OK);
  assert_int_equal(seq, block2 + 0xffffffc5u);
  /* Case A, low bits below the window: next block. */
  assert_true(esp_replay_init(&r, 64, true, block1 + 0x1000));
  assert_int_equal(esp_replay_check(&r, 0x10, &seq), NICSEC_HAL_OK);
  assert_int_equal(seq, block2 + 0x10);
  assert_int_equal(esp_replay_check(&r, 0xfc1, &seq), NICSEC_HAL_OK); /* bottom of window */
  assert_int_equal(seq, block1 + 0xfc1);
  /* Case B in block 0: no block precedes it. */
  assert_true(esp_replay_init(&r, 64, true, 5));
  assert_int_equal(esp_replay_check(&r, 0xfffffff0, &seq), NICSEC_HAL_E_PKT_REPLAY);
  assert_int_equal(esp_replay_check(&r, 3, &seq), NICSEC_HAL_OK);
  assert_int_equal(seq, 3);
}

static void test_update_reports_new_block(void **state) {
  (void)state;
  struct esp_replay r;
  assert_true(esp_replay_init(&r, 64, true, 0xfffffffeu));
  assert_false(esp_replay_update(&r, 0xffffffffu));
  assert_true(esp_replay_update(&r, UINT64_C(1) << 32));
  assert_false(esp_replay_update(&r, (UINT64_C(1) << 32) + 1));
}

/* ---- through the datapath ----------------------------------------------------------------- */

struct link {
  struct nicsec_hal_dev *dev;
  nicsec_hal_sa_id out, in;
};

static void open_link(struct link *l, bool esn, uint64_t initial) {
  assert_int_equal(nicsec_hal_open("soft", NULL, &l->dev), NICSEC_HAL_OK);
  struct nicsec_hal_sa sa = tu_sa_for(nicsec_hal_caps(l->dev), NICSEC_HAL_DIR_OUT, 0x1234);
  sa.alg = NICSEC_HAL_ALG_AES_GCM_256;
  sa.key_len = 32;
  sa.esn = esn;
  sa.initial_seq = initial;
  assert_int_equal(nicsec_hal_sa_add(l->dev, &sa, 1, &l->out, NULL), NICSEC_HAL_OK);
  sa.dir = NICSEC_HAL_DIR_IN;
  assert_int_equal(nicsec_hal_sa_add(l->dev, &sa, 1, &l->in, NULL), NICSEC_HAL_OK);
}

static size_t send_pkt(struct link *l, uint8_t *esp, enum nicsec_hal_err want) {
  uint8_t pkt[BUF];
  size_t len = tu_udp4_packet(pkt, "10.0.0.1", "10.0.0.2", 1, 2, 33, 0), esp_len = 0;
  assert_int_equal(nicsec_hal_encap(l->dev, l->out, pkt, len, esp, BUF, &esp_len), want);
  return esp_len;
}

static enum nicsec_hal_err recv_pkt(struct link *l, const uint8_t *esp, size_t len) {
  uint8_t out[BUF];
  size_t out_len;
  return nicsec_hal_decap(l->dev, esp, len, out, BUF, &out_len, NULL);
}

static size_t events_of(struct link *l, enum nicsec_hal_event_type type, nicsec_hal_sa_id sa) {
  struct nicsec_hal_event evs[16];
  size_t n, count = 0;
  assert_int_equal(nicsec_hal_poll_events(l->dev, evs, 16, &n), NICSEC_HAL_OK);
  for (size_t i = 0; i < n; i++)
    count += evs[i].type == type && evs[i].sa == sa;
  return count;
}

static void test_esn_wrap_datapath(void **state) {
  (void)state;
  struct link l;
  open_link(&l, true, 0xfffffffdu);
  uint8_t esp[4][BUF];
  size_t len[4];
  for (int i = 0; i < 4; i++) /* SNs 0xfffffffe, 0xffffffff, 2^32, 2^32 + 1 */
    len[i] = send_pkt(&l, esp[i], NICSEC_HAL_OK);
  assert_int_equal(events_of(&l, NICSEC_HAL_EV_ESN_WRAP, l.out), 1);
  /* Only the low half is on the wire: 0x00000000 after 0xffffffff. */
  assert_memory_equal(esp[2] + 20 + 4, "\x00\x00\x00\x00", 4);
  /* Deliver across the boundary out of order; each once. */
  assert_int_equal(recv_pkt(&l, esp[0], len[0]), NICSEC_HAL_OK);
  assert_int_equal(recv_pkt(&l, esp[2], len[2]), NICSEC_HAL_OK);
  assert_int_equal(events_of(&l, NICSEC_HAL_EV_ESN_WRAP, l.in), 1);
  assert_int_equal(recv_pkt(&l, esp[1], len[1]), NICSEC_HAL_OK);
  assert_int_equal(recv_pkt(&l, esp[3], len[3]), NICSEC_HAL_OK);
  for (int i = 0; i < 4; i++)
    assert_int_equal(recv_pkt(&l, esp[i], len[i]), NICSEC_HAL_E_PKT_REPLAY);
  struct nicsec_hal_sa_stats st;
  assert_int_equal(nicsec_hal_sa_stats(l.dev, l.in, &st), NICSEC_HAL_OK);
  assert_int_equal(st.seq, (UINT64_C(1) << 32) + 1);
  assert_int_equal(st.packets, 4);
  assert_int_equal(st.replay_drops, 4);
  nicsec_hal_close(l.dev);
}

static void test_sn_exhaustion_without_esn(void **state) {
  (void)state;
  struct link l;
  open_link(&l, false, 0xfffffffeu);
  uint8_t esp[BUF];
  size_t len = send_pkt(&l, esp, NICSEC_HAL_OK); /* SN 2^32 - 1: the last one */
  assert_int_equal(events_of(&l, NICSEC_HAL_EV_SN_EXHAUSTED, l.out), 1);
  assert_int_equal(recv_pkt(&l, esp, len), NICSEC_HAL_OK);
  send_pkt(&l, esp, NICSEC_HAL_E_PKT_SN_EXHAUSTED); /* never wraps to 0 */
  send_pkt(&l, esp, NICSEC_HAL_E_PKT_SN_EXHAUSTED);
  struct nicsec_hal_sa_stats st;
  assert_int_equal(nicsec_hal_sa_stats(l.dev, l.out, &st), NICSEC_HAL_OK);
  assert_int_equal(st.seq, 0xffffffffu);
  assert_int_equal(st.drops[NICSEC_HAL_DROP_SN_EXHAUSTED], 2);
  /* The daemon may move the counter (ESN state update), e.g. when re-installing after a flap. */
  struct nicsec_hal_sa_update upd = {.what = NICSEC_HAL_UPD_SEQ, .seq = 10};
  assert_int_equal(nicsec_hal_sa_update(l.dev, l.out, &upd), NICSEC_HAL_OK);
  send_pkt(&l, esp, NICSEC_HAL_OK);
  upd.seq = UINT64_C(1) << 32;
  assert_int_equal(nicsec_hal_sa_update(l.dev, l.out, &upd), NICSEC_HAL_E_SEQ);
  nicsec_hal_close(l.dev);
}

static void test_inbound_window_update(void **state) {
  (void)state;
  struct link l;
  open_link(&l, false, 0);
  uint8_t esp[BUF];
  size_t len = send_pkt(&l, esp, NICSEC_HAL_OK); /* SN 1 */
  struct nicsec_hal_sa_update upd = {.what = NICSEC_HAL_UPD_SEQ, .seq = 1000};
  assert_int_equal(nicsec_hal_sa_update(l.dev, l.in, &upd), NICSEC_HAL_OK);
  assert_int_equal(recv_pkt(&l, esp, len), NICSEC_HAL_E_PKT_REPLAY); /* now far left */
  nicsec_hal_close(l.dev);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_duplicates),
      cmocka_unit_test(test_too_old_and_slide),
      cmocka_unit_test(test_large_window),
      cmocka_unit_test(test_window_storage_sizes),
      cmocka_unit_test(test_disabled_window),
      cmocka_unit_test(test_esn_inference),
      cmocka_unit_test(test_update_reports_new_block),
      cmocka_unit_test(test_esn_wrap_datapath),
      cmocka_unit_test(test_sn_exhaustion_without_esn),
      cmocka_unit_test(test_inbound_window_update),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
