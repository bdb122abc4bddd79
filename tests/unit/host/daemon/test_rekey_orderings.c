/* Every delivery order of crossing exchanges (RFC 7296 2.8, 2.25), enumerated: simultaneous
 * Child SA rekeys, rekey against delete, simultaneous IKE SA rekeys, a Child SA rekey during an
 * IKE SA rekey. Each ordering starts from a fresh pair, delivers the queued messages in the
 * chosen order (checking after every delivery that no side sends on an SA its peer cannot
 * receive on), then settles and checks the end state (rekey_check.h). strongSwan's suite has 30
 * Child SA and 18 IKE SA rekey collision tests; the counts here are asserted to be above that. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "rekey_check.h"

enum { MAX_DEPTH = 12 };

struct family {
  const char *name;
  const char *start;      /* actions before the first delivery, e.g. "R0 R1" */
  size_t children_after;  /* Child SAs expected at the end */
  bool deleting;          /* the scenario deletes the Child SA: skip the black-hole check */
  unsigned branch, depth; /* choose among the first `branch` queued messages, `depth` times */
  bool pfs;
  bool ike_changes;       /* the IKE SA must have new SPIs at the end */
  bool optimized;         /* both peers use optimized rekeys and child-pfs-info */
};

static size_t leaves;

/* Runs the start actions and the choices so far; returns the queue length at the end. */
static size_t replay(struct harness *h, const struct family *f, const unsigned *choice, size_t n,
                     unsigned long long *ike_before) {
  const char *esp = f->pfs ? "aes256gcm16-x25519" : NULL;
  const char *opt = f->optimized ? "    optimized_rekey: true\n    child_pfs_info: true\n" : NULL;
  struct rk_cfg cfg = {{esp, esp}, {NULL, NULL}, NULL, {opt, opt}};
  rk_setup(h, &cfg);
  *ike_before = rk_ike_spi_i(h);
  rk_script(h, f->start, f->deleting);
  for (size_t i = 0; i < n; i++) {
    size_t queued = h_pending(h);
    h_deliver_at(h, choice[i] < queued ? choice[i] : 0);
    if (!f->deleting)
      rk_check_no_blackhole(h);
  }
  return h_pending(h);
}

static void finish(struct harness *h, const struct family *f, unsigned long long ike_before) {
  rk_settle(h);
  rk_check_final(h, f->children_after);
  if (f->ike_changes)
    assert_true(rk_ike_spi_i(h) != ike_before);
  /* The survivors still work: one more rekey of each kind goes through in order. */
  rk_script(h, f->children_after ? "I1 * R0 *" : "I1 *", false);
  rk_settle(h);
  rk_check_final(h, f->children_after);
  leaves++;
}

static void explore(const struct family *f, unsigned *choice, size_t n) {
  struct harness h;
  unsigned long long ike_before;
  size_t queued = replay(&h, f, choice, n, &ike_before);
  if (queued == 0 || n == f->depth) {
    finish(&h, f, ike_before);
    h_free(&h);
    return;
  }
  h_free(&h);
  size_t branches = queued < f->branch ? queued : f->branch;
  for (unsigned c = 0; c < branches; c++) {
    choice[n] = c;
    explore(f, choice, n + 1);
  }
}

static size_t run_family(const struct family *f) {
  unsigned choice[MAX_DEPTH];
  leaves = 0;
  explore(f, choice, 0);
  print_message("%-44s %3zu orderings\n", f->name, leaves);
  return leaves;
}

static const struct family child_families[] = {
    {"simultaneous Child SA rekeys", "R0 R1", 1, false, 2, 6, false, false, false},
    {"simultaneous Child SA rekeys, PFS", "R0 R1", 1, false, 2, 5, true, false, false},
    {"Child SA rekey vs. the peer's delete", "R0 D1", 0, true, 2, 5, false, false, false},
    {"delete vs. the peer's rekey", "D0 R1", 0, true, 2, 5, true, false, false},
};

/* draft-ietf-ipsecme-ikev2-sa-ts-payloads-opt: collisions resolve as for regular rekeys. */
static const struct family optimized_families[] = {
    {"simultaneous optimized Child SA rekeys", "R0 R1", 1, false, 2, 5, false, false, true},
    {"optimized Child SA rekeys, PFS", "R0 R1", 1, false, 2, 4, true, false, true},
    {"optimized vs. regular Child SA rekey", "R0 G1", 1, false, 2, 5, true, false, true},
    {"optimized Child SA rekey vs. delete", "R0 D1", 0, true, 2, 4, false, false, true},
    {"simultaneous optimized IKE SA rekeys", "I0 I1", 1, false, 2, 5, false, true, true},
    {"optimized IKE SA rekey vs. Child SA rekey", "I0 R1", 1, false, 2, 4, true, true, true},
};

static const struct family ike_families[] = {
    {"simultaneous IKE SA rekeys", "I0 I1", 1, false, 2, 6, false, true, false},
    {"IKE SA rekey vs. Child SA rekey", "I0 R1", 1, false, 2, 5, true, true, false},
    {"Child SA rekey vs. IKE SA rekey", "R0 I1", 1, false, 2, 5, false, false, false},
    {"IKE SA rekey vs. Child SA delete", "I0 D1", 0, true, 2, 5, false, false, false},
};

static void test_child_rekey_collisions(void **state) {
  (void)state;
  size_t total = 0;
  for (size_t i = 0; i < sizeof child_families / sizeof child_families[0]; i++)
    total += run_family(&child_families[i]);
  print_message("Child SA rekey orderings: %zu\n", total);
  assert_true(total >= 30);
}

static void test_ike_rekey_collisions(void **state) {
  (void)state;
  size_t total = 0;
  for (size_t i = 0; i < sizeof ike_families / sizeof ike_families[0]; i++)
    total += run_family(&ike_families[i]);
  print_message("IKE SA rekey orderings: %zu\n", total);
  assert_true(total >= 18);
}

static void test_optimized_rekey_collisions(void **state) {
  (void)state;
  size_t total = 0;
  for (size_t i = 0; i < sizeof optimized_families / sizeof optimized_families[0]; i++)
    total += run_family(&optimized_families[i]);
  print_message("optimized rekey orderings: %zu\n", total);
  assert_true(total >= 30);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_optimized_rekey_collisions),
      cmocka_unit_test(test_child_rekey_collisions),
      cmocka_unit_test(test_ike_rekey_collisions),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
