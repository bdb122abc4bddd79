/* Make-before-break reauthentication (RFC 7296 2.8.3) on the two-engine harness: at reauth_time
 * a new IKE SA is built from scratch with its Child SAs, traffic moves, and only then is the old
 * IKE SA deleted. After every single delivery and timer step: each side has an active outbound
 * SA, and the newest outbound of every reqid has its inbound on the peer (no black hole); both
 * sides list two established IKE SAs at some point (the new one before the old one goes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "rekey_check.h"

enum { REAUTH_S = 60, STEP_MS = 100, MAX_STEPS = 2000 };

static const char *const REAUTH_LINE = "    reauth_time: 60\n";
/* A second child with networks of its own, appended to the first child's lines. */
static const char *const SECOND_CHILD[2] = {
    "      - name: web\n"
    "        local_ts: [10.1.0.0/24]\n"
    "        remote_ts: [10.2.0.0/24]\n"
    "        esp_proposals: [aes256gcm16]\n",
    "      - name: web\n"
    "        local_ts: [10.2.0.0/24]\n"
    "        remote_ts: [10.1.0.0/24]\n"
    "        esp_proposals: [aes256gcm16]\n"};

static size_t established(const struct harness *h, int side) {
  struct h_ike v[4];
  size_t n = h_list(h, side, v, 4), count = 0;
  for (size_t i = 0; i < n; i++)
    count += strcmp(v[i].ike.state, "ESTABLISHED") == 0;
  return count;
}

static void check_step(const struct harness *h, size_t *most_ike) {
  rk_check_no_blackhole(h);
  for (int s = 0; s < 2; s++) {
    const struct rec_entry *out[REC_MAX_SAS];
    assert_true(rec_active(rec_device((size_t)s), NICSEC_HAL_DIR_OUT, out, REC_MAX_SAS) >= 1);
    size_t n = established(h, s);
    if (n > *most_ike)
      *most_ike = n;
  }
}

/* Delivers one message at a time (dropping side drop_side's message number drop_at, counted
 * from the reauth start; 0 = none), stepping the clock when the network is idle, until the
 * reauthentication is over and both sides are quiet. Returns the most IKE SAs seen at once. */
static size_t run_reauth(struct harness *h, int drop_side, unsigned drop_at) {
  size_t most_ike = 0;
  unsigned sent_before = h->sent[drop_side];
  bool dropped = drop_at == 0;
  for (int step = 0; step < MAX_STEPS; step++) {
    check_step(h, &most_ike);
    if (!dropped && h->sent[drop_side] - sent_before >= drop_at) {
      for (size_t i = h_pending(h); i-- > 0;)
        if (h_peek(h, i)->from == drop_side) {
          h_drop_at(h, i);
          dropped = true;
          break;
        }
    }
    if (h_pending(h)) {
      h_deliver_at(h, 0);
      continue;
    }
    if (rk_quiet(h) && most_ike == 2 && established(h, 0) == 1 && established(h, 1) == 1)
      return most_ike;
    h_advance(h, h->now + STEP_MS);
  }
  fail_msg("the reauthentication did not settle within %d steps", MAX_STEPS);
  return 0;
}

/* Sets up with reauth_time on `side`, reaches the reauth time and checks the replacement. */
static void run_case(int side, int drop_side, unsigned drop_at, bool two_children) {
  struct harness h;
  struct rk_cfg cfg = {{NULL, NULL}, {NULL, NULL}, NULL, {NULL, NULL}};
  cfg.conn_extra[side] = REAUTH_LINE;
  if (two_children) {
    cfg.child_extra[0] = SECOND_CHILD[0];
    cfg.child_extra[1] = SECOND_CHILD[1];
  }
  rk_setup(&h, &cfg);
  uint64_t start = h.now; /* the IKE SA was established now: its reauth timer runs from here */
  char err[160];
  if (two_children) {
    assert_int_equal(nd_engine_create_child(h.eng[0], h.now, "peer", "web", err, sizeof err), 0);
    h_run(&h, 20);
    h_advance(&h, h.now + RK_DRAIN_MS + 1); /* the responder's new outbound goes in */
    rk_check_final(&h, 2);
  }
  unsigned long long old_spi = rk_ike_spi_i(&h);
  h_advance(&h, start + REAUTH_S * 900 - 1); /* jitter: at most 10% below reauth_time */
  assert_int_equal(h_pending(&h), 0);
  h_advance(&h, start + REAUTH_S * 1000);
  assert_true(h_pending(&h) > 0); /* ...and never above it: the new IKE_SA_INIT is out */
  assert_int_equal(run_reauth(&h, drop_side, drop_at), 2);
  rk_check_final(&h, two_children ? 2 : 1);
  assert_true(rk_ike_spi_i(&h) != old_spi);
  h_free(&h);
}

static void test_reauth_by_initiator(void **state) {
  (void)state;
  run_case(0, 0, 0, false);
}

static void test_reauth_by_responder(void **state) {
  (void)state;
  run_case(1, 0, 0, false);
}

/* The new IKE_SA_INIT response is lost: retransmission, still no gap. */
static void test_reauth_lost_init_response(void **state) {
  (void)state;
  run_case(0, 1, 1, false);
}

/* The new IKE_AUTH request is lost once. */
static void test_reauth_lost_auth_request(void **state) {
  (void)state;
  run_case(0, 0, 2, false);
}

/* Both Child SAs come back: the first in IKE_AUTH, the second with CREATE_CHILD_SA. */
static void test_reauth_two_children(void **state) {
  (void)state;
  run_case(0, 0, 0, true);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reauth_by_initiator),
      cmocka_unit_test(test_reauth_by_responder),
      cmocka_unit_test(test_reauth_lost_init_response),
      cmocka_unit_test(test_reauth_lost_auth_request),
      cmocka_unit_test(test_reauth_two_children),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
