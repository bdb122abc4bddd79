/* seqflow accounting: loss, gaps, duplicates and reordering from hand-built datagram streams. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "seqflow.h"

#define RUN_A 0x1122334455667788ull
#define RUN_B 0x0102030405060708ull

static void feed(struct seqflow_stats *st, enum seqflow_kind kind, uint64_t run, uint64_t value) {
  uint8_t buf[SEQFLOW_HEADER_LEN + 8];
  struct seqflow_packet pkt = {.kind = kind, .run_id = run, .value = value, .sent_ns = 42};
  seqflow_encode(&pkt, buf, sizeof buf);
  assert_true(seqflow_stats_add(st, buf, sizeof buf));
}

static void feed_seqs(struct seqflow_stats *st, const uint64_t *seqs, size_t n) {
  for (size_t i = 0; i < n; i++) {
    feed(st, SEQFLOW_DATA, RUN_A, seqs[i]);
  }
}

static void test_roundtrip(void **state) {
  (void)state;
  uint8_t buf[64];
  struct seqflow_packet in = {.kind = SEQFLOW_END, .run_id = RUN_A, .value = 1234567,
                              .sent_ns = 99};
  struct seqflow_packet out;
  seqflow_encode(&in, buf, sizeof buf);
  assert_int_equal(seqflow_parse(buf, sizeof buf, &out), SEQFLOW_PARSE_OK);
  assert_int_equal(out.kind, SEQFLOW_END);
  assert_int_equal(out.run_id, RUN_A);
  assert_int_equal(out.value, 1234567);
  assert_int_equal(out.sent_ns, 99);
  assert_int_equal(seqflow_parse(buf, SEQFLOW_HEADER_LEN - 1, &out), SEQFLOW_PARSE_SHORT);
  buf[4] = 3;
  assert_int_equal(seqflow_parse(buf, sizeof buf, &out), SEQFLOW_PARSE_KIND);
  buf[0] = 'X';
  assert_int_equal(seqflow_parse(buf, sizeof buf, &out), SEQFLOW_PARSE_MAGIC);
}

static void test_lossless_in_order(void **state) {
  (void)state;
  struct seqflow_stats st;
  struct seqflow_summary sum;
  seqflow_stats_init(&st);
  for (uint64_t i = 0; i < 100000; i++) {
    feed(&st, SEQFLOW_DATA, RUN_A, i);
  }
  feed(&st, SEQFLOW_END, RUN_A, 100000);
  seqflow_stats_summarize(&st, &sum);
  assert_int_equal(sum.expected, 100000);
  assert_int_equal(sum.received, 100000);
  assert_int_equal(sum.lost, 0);
  assert_int_equal(sum.reordered, 0);
  assert_true(sum.end_seen);
  seqflow_stats_free(&st);
}

/* 3 and 4 missing for good, 6 arrives late (filled gap = reordered, not lost), 2 twice. */
static void test_gaps_duplicates_reordering(void **state) {
  (void)state;
  static const uint64_t seqs[] = {0, 1, 2, 2, 5, 7, 6, 8, 9};
  struct seqflow_stats st;
  struct seqflow_summary sum;
  seqflow_stats_init(&st);
  feed_seqs(&st, seqs, sizeof seqs / sizeof seqs[0]);
  feed(&st, SEQFLOW_END, RUN_A, 10);
  seqflow_stats_summarize(&st, &sum);
  assert_int_equal(sum.expected, 10);
  assert_int_equal(sum.received, 8);
  assert_int_equal(sum.lost, 2);
  assert_int_equal(sum.max_gap, 2);
  assert_int_equal(sum.max_gap_at, 3);
  assert_int_equal(sum.duplicates, 1);
  assert_int_equal(sum.reordered, 1);
  seqflow_stats_free(&st);
}

/* The end marker reveals a lost tail; without it only the highest seen bounds the flow. */
static void test_lost_tail(void **state) {
  (void)state;
  static const uint64_t seqs[] = {0, 1, 2, 3};
  struct seqflow_stats st;
  struct seqflow_summary sum;
  seqflow_stats_init(&st);
  feed_seqs(&st, seqs, 4);
  seqflow_stats_summarize(&st, &sum);
  assert_int_equal(sum.lost, 0);
  assert_false(sum.end_seen);
  feed(&st, SEQFLOW_END, RUN_A, 9);
  seqflow_stats_summarize(&st, &sum);
  assert_int_equal(sum.expected, 9);
  assert_int_equal(sum.lost, 5);
  assert_int_equal(sum.max_gap, 5);
  assert_int_equal(sum.max_gap_at, 4);
  seqflow_stats_free(&st);
}

/* Datagrams of another run, garbage and absurd sequence numbers are counted apart. */
static void test_foreign(void **state) {
  (void)state;
  static const uint8_t junk[] = "not a seqflow datagram at all, long enough";
  struct seqflow_stats st;
  struct seqflow_summary sum;
  seqflow_stats_init(&st);
  feed(&st, SEQFLOW_DATA, RUN_A, 0);
  feed(&st, SEQFLOW_DATA, RUN_B, 1);
  feed(&st, SEQFLOW_DATA, RUN_A, SEQFLOW_MAX_SEQ);
  assert_true(seqflow_stats_add(&st, junk, sizeof junk));
  feed(&st, SEQFLOW_END, RUN_B, 1000);
  seqflow_stats_summarize(&st, &sum);
  assert_int_equal(sum.received, 1);
  assert_int_equal(sum.foreign, 4);
  assert_false(sum.end_seen);
  assert_int_equal(sum.expected, 1);
  seqflow_stats_free(&st);
}

static void test_endpoints(void **state) {
  (void)state;
  struct sockaddr_storage ss;
  unsigned len;
  assert_true(seqflow_parse_endpoint("203.0.113.1:5001", &ss, &len));
  assert_int_equal(ss.ss_family, AF_INET);
  assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 5001);
  assert_true(seqflow_parse_endpoint("[2001:db8::1]:9", &ss, &len));
  assert_int_equal(ss.ss_family, AF_INET6);
  assert_int_equal(len, sizeof(struct sockaddr_in6));
  assert_false(seqflow_parse_endpoint("203.0.113.1", &ss, &len));
  assert_false(seqflow_parse_endpoint("203.0.113.1:", &ss, &len));
  assert_false(seqflow_parse_endpoint("203.0.113.1:70000", &ss, &len));
  assert_false(seqflow_parse_endpoint("host.example:80", &ss, &len));
  assert_false(seqflow_parse_endpoint(":80", &ss, &len));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_roundtrip),
      cmocka_unit_test(test_lossless_in_order),
      cmocka_unit_test(test_gaps_duplicates_reordering),
      cmocka_unit_test(test_lost_tail),
      cmocka_unit_test(test_foreign),
      cmocka_unit_test(test_endpoints),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
