/* Two engines in one process: IKE_SA_INIT + IKE_AUTH + the first Child SA, and what happens
 * around it (lost messages, duplicates, cookies, INVALID_KE_PAYLOAD, bad keys, DPD, Delete). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static const char *const IKE = "aes256gcm16-prfsha256-x25519";
static const char *const ESP = "aes256gcm16";

static char cfg0[4096], cfg1[4096];

static bool setup_pair(struct harness *h, const char *ike0, const char *ike1, const char *esp0,
                       const char *esp1, const char *conn1, const char *daemon1,
                       const char *psk1) {
  h_config(cfg0, sizeof cfg0, 0, ike0, esp0, NULL, NULL, NULL);
  h_config(cfg1, sizeof cfg1, 1, ike1, esp1, conn1, daemon1, psk1);
  return h_init(h, cfg0, cfg1);
}

static void initiate(struct harness *h) {
  char err[160];
  assert_int_equal(nd_engine_initiate(h->eng[0], h->now, "peer", NULL, err, sizeof err), 0);
}

static void check_established(const struct harness *h, struct h_ike *a, struct h_ike *b) {
  assert_int_equal(h_list(h, 0, a, 1), 1);
  assert_int_equal(h_list(h, 1, b, 1), 1);
  assert_string_equal(a->ike.state, "ESTABLISHED");
  assert_string_equal(b->ike.state, "ESTABLISHED");
  assert_true(a->ike.initiator);
  assert_false(b->ike.initiator);
  assert_int_equal(a->ike.spi_i, b->ike.spi_i);
  assert_int_equal(a->ike.spi_r, b->ike.spi_r);
  assert_string_equal(a->ike.remote_id, "right@example.test");
  assert_string_equal(b->ike.remote_id, "left@example.test");
}

/* Each side's outbound SA must be the other's inbound SA: same SPI, key and salt. */
static void check_keys_cross(const struct harness *h) {
  const struct rec_entry *in[2][4], *out[2][4];
  for (int s = 0; s < 2; s++) {
    assert_int_equal(rec_active(rec_device((size_t)s), NICSEC_HAL_DIR_IN, in[s], 4), 1);
    assert_int_equal(rec_active(rec_device((size_t)s), NICSEC_HAL_DIR_OUT, out[s], 4), 1);
  }
  (void)h;
  for (int s = 0; s < 2; s++) {
    const struct nicsec_hal_sa *o = &out[s][0]->sa, *i = &in[1 - s][0]->sa;
    assert_int_equal(o->spi, i->spi);
    assert_int_equal(o->key_len, 32);
    assert_memory_equal(o->key, i->key, o->key_len);
    assert_memory_equal(o->salt, i->salt, NICSEC_HAL_SALT_LEN);
    assert_int_equal(o->alg, NICSEC_HAL_ALG_AES_GCM_256);
    assert_true(i->spi >= 0x1000 && i->spi <= 0x1fff); /* inside the device's SPI window */
  }
  assert_memory_not_equal(out[0][0]->sa.key, out[1][0]->sa.key, 32);
}

static void test_psk_handshake(void **state) {
  (void)state;
  struct harness h;
  assert_true(setup_pair(&h, IKE, IKE, ESP, ESP, NULL, NULL, NULL));
  initiate(&h);
  assert_int_equal(h_run(&h, 10), 4); /* two exchanges, nothing else */
  struct h_ike a, b;
  check_established(&h, &a, &b);
  assert_int_equal(a.n_children, 1);
  assert_int_equal(b.n_children, 1);
  assert_int_equal(a.child[0].spi_in, b.child[0].spi_out);
  assert_int_equal(a.child[0].spi_out, b.child[0].spi_in);
  assert_string_equal(a.child[0].proposal, "AES_GCM_16_256/NO_EXT_SEQ");
  assert_string_equal(a.ike.proposal, "AES_GCM_16_256/PRF_HMAC_SHA2_256/CURVE_25519");
  assert_false(a.child[0].encap);
  check_keys_cross(&h);
  h_free(&h);
}

static void test_cbc_modp_handshake(void **state) {
  (void)state;
  struct harness h;
  const char *ike = "aes128-sha256-modp2048";
  assert_true(setup_pair(&h, ike, ike, "aes128gcm16", "aes128gcm16", NULL, NULL, NULL));
  initiate(&h);
  h_run(&h, 10);
  struct h_ike a, b;
  check_established(&h, &a, &b);
  assert_string_equal(a.ike.proposal, "AES_CBC_128/PRF_HMAC_SHA2_256/HMAC_SHA2_256_128/MODP_2048");
  assert_int_equal(a.n_children, 1);
  h_free(&h);
}

static void test_forced_encap_moves_to_4500(void **state) {
  (void)state;
  struct harness h;
  assert_true(setup_pair(&h, IKE, IKE, ESP, ESP, "    encap: true\n", NULL, NULL));
  initiate(&h);
  h_run(&h, 10);
  struct h_ike a, b;
  check_established(&h, &a, &b);
  assert_true(a.ike.nat_remote); /* the responder faked its source hash */
  assert_int_equal(a.ike.local.port, 4500);
  assert_int_equal(b.ike.local.port, 4500);
  assert_true(a.child[0].encap);
  const struct rec_entry *out[2];
  assert_int_equal(rec_active(rec_device(0), NICSEC_HAL_DIR_OUT, out, 2), 1);
  assert_true(out[0]->sa.encap.enabled);
  assert_int_equal(out[0]->sa.encap.dport, 4500);
  h_free(&h);
}

static void test_wrong_psk_fails(void **state) {
  (void)state;
  struct harness h;
  assert_true(setup_pair(&h, IKE, IKE, ESP, ESP, NULL, NULL, "another key"));
  initiate(&h);
  h_run(&h, 10);
  struct h_ike a[1];
  assert_int_equal(h_list(&h, 0, a, 1), 0);
  assert_int_equal(h_list(&h, 1, a, 1), 0);
  struct nd_engine_stats st;
  nd_engine_stats(h.eng[1], &st);
  assert_int_equal(st.auth_failures, 1);
  assert_int_equal(rec_device(0)->adds + rec_device(1)->adds, 0);
  h_free(&h);
}

static void test_invalid_ke_retry(void **state) {
  (void)state;
  struct harness h;
  assert_true(setup_pair(&h, "aes256gcm16-prfsha256-x25519-ecp256", "aes256gcm16-prfsha256-ecp256",
                         ESP, ESP, NULL, NULL, NULL));
  initiate(&h);
  assert_int_equal(h_run(&h, 10), 6); /* INVALID_KE answer, then the two exchanges */
  struct h_ike a, b;
  check_established(&h, &a, &b);
  assert_string_equal(a.ike.proposal, "AES_GCM_16_256/PRF_HMAC_SHA2_256/ECP_256");
  h_free(&h);
}

static void test_cookie_round_trip(void **state) {
  (void)state;
  struct harness h;
  assert_true(setup_pair(&h, IKE, IKE, ESP, ESP, NULL, "  half_open_threshold: 0\n", NULL));
  initiate(&h);
  assert_int_equal(h_run(&h, 10), 6);
  struct h_ike a, b;
  check_established(&h, &a, &b);
  struct nd_engine_stats st;
  nd_engine_stats(h.eng[1], &st);
  assert_int_equal(st.cookies_sent, 1);
  h_free(&h);
}

static void test_no_proposal_chosen(void **state) {
  (void)state;
  struct harness h;
  assert_true(setup_pair(&h, IKE, "aes128gcm16-prfsha384-ecp384", ESP, ESP, NULL, NULL, NULL));
  initiate(&h);
  h_run(&h, 10);
  struct h_ike a[1];
  assert_int_equal(h_list(&h, 0, a, 1), 0);
  assert_int_equal(h_list(&h, 1, a, 1), 0);
  h_free(&h);
}

static void test_child_refused_ike_survives(void **state) {
  (void)state;
  struct harness h;
  assert_true(setup_pair(&h, IKE, IKE, ESP, "aes128gcm16", NULL, NULL, NULL));
  initiate(&h);
  h_run(&h, 10);
  struct h_ike a, b;
  check_established(&h, &a, &b);
  assert_int_equal(a.n_children, 0);
  assert_int_equal(b.n_children, 0);
  h_free(&h);
}

static void test_lost_response_is_retransmitted(void **state) {
  (void)state;
  struct harness h;
  assert_true(setup_pair(&h, IKE, IKE, ESP, ESP, NULL, NULL, NULL));
  initiate(&h);
  h.drop[1] = 1; /* the IKE_SA_INIT response is lost */
  h_run(&h, 10);
  assert_int_equal(nd_engine_next_timer(h.eng[0]), 2000);
  h_advance(&h, 2000); /* the initiator repeats; the responder answers from its cache */
  h_run(&h, 10);
  struct h_ike a, b;
  check_established(&h, &a, &b);
  struct nd_engine_stats st0, st1;
  nd_engine_stats(h.eng[0], &st0);
  nd_engine_stats(h.eng[1], &st1);
  assert_int_equal(st0.retransmits, 1);
  assert_int_equal(st1.retransmits, 1); /* the cached response, not a second SA */
  assert_int_equal(st1.ike_established, 1);
  h_free(&h);
}

static void test_duplicate_auth_request_answered_from_cache(void **state) {
  (void)state;
  struct harness h;
  assert_true(setup_pair(&h, IKE, IKE, ESP, ESP, NULL, NULL, NULL));
  initiate(&h);
  h_run(&h, 10);
  unsigned sent_before = h.sent[1];
  h_replay_last(&h, 0); /* the IKE_AUTH request again */
  assert_int_equal(h.sent[1], sent_before + 1);
  assert_memory_equal(h.queue[h.n_queued - 1].msg, h.last[1].msg, h.last[1].len);
  h_run(&h, 10); /* the duplicate response is dropped by the initiator (no request open) */
  struct h_ike a, b;
  check_established(&h, &a, &b);
  assert_int_equal(rec_device(1)->adds, 2); /* the Child SA was installed once */
  h_free(&h);
}

static void test_retransmit_backoff_and_give_up(void **state) {
  (void)state;
  struct harness h;
  assert_true(setup_pair(&h, IKE, IKE, ESP, ESP, NULL, NULL, NULL));
  initiate(&h);
  h.drop[0] = 100; /* nothing the initiator sends arrives */
  uint64_t expected[] = {2000, 4000, 8000, 16000};
  for (size_t i = 0; i < 4; i++) {
    assert_int_equal(nd_engine_next_timer(h.eng[0]), expected[i]);
    h_advance(&h, expected[i]);
  }
  struct h_ike a[1];
  assert_int_equal(h_list(&h, 0, a, 1), 0); /* 3 retransmissions, then given up */
  assert_int_equal(h.sent[0], 4);
  h_free(&h);
}

static void test_dpd(void **state) {
  (void)state;
  struct harness h;
  h_config(cfg0, sizeof cfg0, 0, IKE, ESP, "    dpd_delay: 5\n", NULL, NULL);
  h_config(cfg1, sizeof cfg1, 1, IKE, ESP, NULL, NULL, NULL);
  assert_true(h_init(&h, cfg0, cfg1));
  initiate(&h);
  h_run(&h, 10);
  assert_int_equal(nd_engine_next_timer(h.eng[0]), 6000);
  h_advance(&h, 6000);
  assert_int_equal(h.n_queued, 1); /* the empty INFORMATIONAL */
  assert_int_equal(h_run(&h, 10), 2);
  struct h_ike a, b;
  check_established(&h, &a, &b);
  assert_int_equal(a.ike.next_request_mid, 3); /* INIT 0, AUTH 1, DPD 2 */
  h.drop[1] = 100;                             /* now the responder goes silent */
  for (uint64_t t = 11000; t <= 60000; t += 1000)
    h_advance(&h, t);
  h_run(&h, 10);
  assert_int_equal(h_list(&h, 0, &a, 1), 0);
  h_free(&h);
}

static void test_terminate_deletes_both_sides(void **state) {
  (void)state;
  struct harness h;
  assert_true(setup_pair(&h, IKE, IKE, ESP, ESP, NULL, NULL, NULL));
  initiate(&h);
  h_run(&h, 10);
  char err[100];
  assert_int_equal(nd_engine_terminate(h.eng[0], h.now, "peer", err, sizeof err), 1);
  assert_int_equal(h_run(&h, 10), 2);
  struct h_ike a[1];
  assert_int_equal(h_list(&h, 0, a, 1), 0);
  assert_int_equal(h_list(&h, 1, a, 1), 0);
  for (size_t s = 0; s < 2; s++)
    assert_int_equal(rec_device(s)->frees, 2);
  assert_int_equal(nd_engine_terminate(h.eng[0], h.now, "nope", err, sizeof err), -1);
  h_free(&h);
}

static void test_ts_narrowing(void **state) {
  (void)state;
  struct harness h;
  h_config(cfg0, sizeof cfg0, 0, IKE, ESP, NULL, NULL, NULL);
  h_config(cfg1, sizeof cfg1, 1, IKE, ESP, NULL, NULL, NULL);
  /* The initiator asks for 203.0.113.0/24 and all of 198.51.100.0/24; the responder only
   * serves 203.0.113.0/25 and one host on the other side. */
  char *p = strstr(cfg1, "local_ts: [203.0.113.0/24]");
  memcpy(p, "local_ts: [203.0.113.0/25]", strlen("local_ts: [203.0.113.0/25]"));
  p = strstr(cfg1, "remote_ts: [198.51.100.0/24]");
  memcpy(p, "remote_ts: [198.51.100.7/32]", strlen("remote_ts: [198.51.100.7/32]"));
  assert_true(h_init(&h, cfg0, cfg1));
  initiate(&h);
  h_run(&h, 10);
  struct h_ike a, b;
  check_established(&h, &a, &b);
  assert_int_equal(a.child[0].n_local_ts, 1);
  assert_string_equal(a.child[0].local_ts[0], "198.51.100.7/32");
  assert_string_equal(a.child[0].remote_ts[0], "203.0.113.0/25");
  assert_string_equal(b.child[0].local_ts[0], "203.0.113.0/25");
  h_free(&h);
}

static void test_transport_mode(void **state) {
  (void)state;
  struct harness h;
  h_config(cfg0, sizeof cfg0, 0, IKE, ESP, NULL, NULL, NULL);
  h_config(cfg1, sizeof cfg1, 1, IKE, ESP, NULL, NULL, NULL);
  for (char *cfg = cfg0; cfg; cfg = cfg == cfg0 ? cfg1 : NULL) {
    char *p = strstr(cfg, "        esp_proposals");
    char tail[1024];
    snprintf(tail, sizeof tail, "%s", p);
    snprintf(p, 4096 - (size_t)(p - cfg), "        mode: transport\n%s", tail);
  }
  assert_true(h_init(&h, cfg0, cfg1));
  initiate(&h);
  h_run(&h, 10);
  struct h_ike a, b;
  check_established(&h, &a, &b);
  assert_string_equal(a.child[0].mode, "transport");
  assert_string_equal(b.child[0].mode, "transport");
  h_free(&h);
}

static void test_hal_refusal_keeps_ike(void **state) {
  (void)state;
  struct harness h;
  assert_true(setup_pair(&h, IKE, IKE, ESP, ESP, NULL, NULL, NULL));
  rec_device(1)->fail_next_add = true;
  initiate(&h);
  h_run(&h, 10);
  struct h_ike a, b;
  check_established(&h, &a, &b);
  assert_int_equal(b.n_children, 0);
  assert_int_equal(a.n_children, 0); /* the responder answered NO_PROPOSAL_CHOSEN */
  h_free(&h);
}

static void test_garbage_is_dropped(void **state) {
  (void)state;
  struct harness h;
  assert_true(setup_pair(&h, IKE, IKE, ESP, ESP, NULL, NULL, NULL));
  initiate(&h);
  h_run(&h, 10);
  struct nd_addr from = {.family = AF_INET, .ip = {192, 0, 2, 1}, .port = 500};
  struct nd_addr to = {.family = AF_INET, .ip = {192, 0, 2, 2}, .port = 500};
  uint8_t junk[200];
  for (size_t len = 0; len < sizeof junk; len++) {
    for (size_t i = 0; i < len; i++)
      junk[i] = (uint8_t)(i * 37 + len);
    nd_engine_receive(h.eng[1], h.now, &to, &from, junk, len);
  }
  /* A corrupted copy of the last IKE_AUTH request: the ICV fails, silently. */
  h.last[0].msg[h.last[0].len - 1] ^= 1;
  h_replay_last(&h, 0);
  struct nd_engine_stats st;
  nd_engine_stats(h.eng[1], &st);
  assert_true(st.dropped > 0);
  struct h_ike a, b;
  check_established(&h, &a, &b);
  h_free(&h);
}

static void test_fragmented_auth(void **state) {
  (void)state;
  struct harness h;
  h_config(cfg0, sizeof cfg0, 0, IKE, ESP, NULL, "  fragment_size: 256\n", NULL);
  h_config(cfg1, sizeof cfg1, 1, IKE, ESP, NULL, "  fragment_size: 256\n", NULL);
  assert_true(h_init(&h, cfg0, cfg1));
  initiate(&h);
  size_t delivered = h_run(&h, 20);
  assert_true(delivered > 4); /* IKE_AUTH travelled in fragments both ways */
  for (int s = 0; s < 2; s++)
    assert_true(h.last[s].len <= 256 - 28);
  struct h_ike a, b;
  check_established(&h, &a, &b);
  check_keys_cross(&h);
  h_free(&h);
}

static void test_lost_fragment_retransmitted(void **state) {
  (void)state;
  struct harness h;
  h_config(cfg0, sizeof cfg0, 0, IKE, ESP, NULL, "  fragment_size: 256\n", NULL);
  h_config(cfg1, sizeof cfg1, 1, IKE, ESP, NULL, "  fragment_size: 256\n", NULL);
  assert_true(h_init(&h, cfg0, cfg1));
  initiate(&h);
  h_run(&h, 2);              /* IKE_SA_INIT; the IKE_AUTH fragments are queued */
  assert_true(h.n_queued >= 2);
  free(h.queue[0].msg);      /* fragment 1 is lost */
  memmove(h.queue, h.queue + 1, --h.n_queued * sizeof h.queue[0]);
  h_run(&h, 20);
  struct h_ike a[1];
  assert_int_equal(h_list(&h, 0, a, 1), 1);
  assert_string_equal(a[0].ike.state, "CONNECTING");
  h_advance(&h, 2000);       /* every fragment is sent again */
  h_run(&h, 20);
  struct h_ike x, y;
  check_established(&h, &x, &y);
  unsigned before = h.sent[1];
  h_advance(&h, 4000); /* nothing outstanding: no traffic */
  assert_int_equal(h.sent[1], before);
  h_free(&h);
}

static void test_no_fragments_unless_negotiated(void **state) {
  (void)state;
  struct harness h;
  h_config(cfg0, sizeof cfg0, 0, IKE, ESP, "    fragmentation: false\n", "  fragment_size: 256\n",
           NULL);
  h_config(cfg1, sizeof cfg1, 1, IKE, ESP, NULL, "  fragment_size: 256\n", NULL);
  assert_true(h_init(&h, cfg0, cfg1));
  initiate(&h);
  assert_int_equal(h_run(&h, 20), 4); /* whole messages, IP fragmentation is the network's job */
  struct h_ike a, b;
  check_established(&h, &a, &b);
  h_free(&h);
}

static void test_start_action_start(void **state) {
  (void)state;
  struct harness h;
  h_config(cfg0, sizeof cfg0, 0, IKE, ESP, NULL, NULL, NULL);
  h_config(cfg1, sizeof cfg1, 1, IKE, ESP, NULL, NULL, NULL);
  char *p = strstr(cfg0, "        esp_proposals");
  char tail[1024];
  snprintf(tail, sizeof tail, "%s", p);
  snprintf(p, sizeof cfg0 - (size_t)(p - cfg0), "        start_action: start\n%s", tail);
  assert_true(h_init(&h, cfg0, cfg1)); /* loading the configuration initiates */
  assert_int_equal(h.n_queued, 1);
  h_run(&h, 10);
  struct h_ike a, b;
  check_established(&h, &a, &b);
  /* Reloading the same configuration does not start a second IKE SA. */
  struct nd_config cfg;
  struct nd_config_error err;
  assert_int_equal(nd_config_load_text("again", cfg0, strlen(cfg0), &cfg, &err), 0);
  nd_engine_load(h.eng[0], &cfg, h.now);
  assert_int_equal(h.n_queued, 0);
  h_free(&h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_psk_handshake),
      cmocka_unit_test(test_cbc_modp_handshake),
      cmocka_unit_test(test_forced_encap_moves_to_4500),
      cmocka_unit_test(test_wrong_psk_fails),
      cmocka_unit_test(test_invalid_ke_retry),
      cmocka_unit_test(test_cookie_round_trip),
      cmocka_unit_test(test_no_proposal_chosen),
      cmocka_unit_test(test_child_refused_ike_survives),
      cmocka_unit_test(test_lost_response_is_retransmitted),
      cmocka_unit_test(test_duplicate_auth_request_answered_from_cache),
      cmocka_unit_test(test_retransmit_backoff_and_give_up),
      cmocka_unit_test(test_dpd),
      cmocka_unit_test(test_terminate_deletes_both_sides),
      cmocka_unit_test(test_ts_narrowing),
      cmocka_unit_test(test_transport_mode),
      cmocka_unit_test(test_hal_refusal_keeps_ike),
      cmocka_unit_test(test_garbage_is_dropped),
      cmocka_unit_test(test_fragmented_auth),
      cmocka_unit_test(test_lost_fragment_retransmitted),
      cmocka_unit_test(test_no_fragments_unless_negotiated),
      cmocka_unit_test(test_start_action_start),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
