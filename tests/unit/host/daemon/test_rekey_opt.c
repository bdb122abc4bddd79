/* Optimized rekeys (draft-ietf-ipsecme-ikev2-sa-ts-payloads-opt) and Child SA PFS info on the
 * two-engine harness: negotiation in IKE_AUTH, the first rekey of the IKE_AUTH child (regular
 * without child-pfs-info, optimized with it), inheritance into the HAL, PFS with the KE method
 * in effect, a peer without support, a refusal retried regularly, losses and duplicates, IKE SA
 * optimized rekeys; plus golden bytes of the new notifies and the responder's checks of a
 * forged request. Every harness scenario ends in rk_check_final(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "rekey_check.h"
#include "rekey_opt.h"

static const char *const OPT = "    optimized_rekey: true\n";
static const char *const OPT_PFS_INFO = "    optimized_rekey: true\n    child_pfs_info: true\n";
static const char *const PFS = "aes256gcm16-x25519";

static struct rk_cfg opt_cfg(const char *conn0, const char *conn1, const char *esp) {
  return (struct rk_cfg){{esp, esp}, {NULL, NULL}, NULL, {conn0, conn1}};
}

/* The one INSTALLED Child SA of a side (the end state of every scenario has exactly one). */
static struct nd_child_view installed_child(const struct harness *h, int side) {
  struct h_ike v[2];
  size_t n = h_list(h, side, v, 2);
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < v[i].n_children; k++)
      if (strcmp(v[i].child[k].state, "INSTALLED") == 0)
        return v[i].child[k];
  fail_msg("side %d has no installed Child SA", side);
  return v[0].child[0];
}

static void expect_origin(const struct harness *h, const char *origin) {
  assert_string_equal(installed_child(h, 0).rekey, origin);
  assert_string_equal(installed_child(h, 1).rekey, origin);
}

/* Starts a Child SA rekey on side, returns the size of its request, completes it. */
static size_t rekey_measured(struct harness *h, const char *action) {
  rk_script(h, action, false);
  assert_true(h_pending(h) >= 1);
  size_t len = h_peek(h, 0)->len;
  rk_script(h, "*", false);
  rk_settle(h);
  rk_check_final(h, 1);
  return len;
}

/* The HAL's active outbound SA of side 0 (exactly one after settling). */
static struct nicsec_hal_sa outbound_sa(void) {
  const struct rec_entry *e[4];
  assert_int_equal(rec_active(rec_device(0), NICSEC_HAL_DIR_OUT, e, 4), 1);
  return e[0]->sa;
}

/* Everything but SPI and keys is the old SA's (draft: inherited). */
static void expect_inherited(const struct nicsec_hal_sa *old, const struct nicsec_hal_sa *fresh) {
  assert_int_not_equal(old->spi, fresh->spi);
  assert_true(memcmp(old->key, fresh->key, old->key_len) != 0);
  assert_int_equal(old->alg, fresh->alg);
  assert_int_equal(old->key_len, fresh->key_len);
  assert_int_equal(old->mode, fresh->mode);
  assert_int_equal(old->reqid, fresh->reqid);
  assert_int_equal(old->icv_len, fresh->icv_len);
  assert_int_equal(old->esn, fresh->esn);
  assert_int_equal(old->encap.enabled, fresh->encap.enabled);
  assert_memory_equal(&old->src, &fresh->src, sizeof old->src);
  assert_memory_equal(&old->dst, &fresh->dst, sizeof old->dst);
}

/* Without child-pfs-info the IKE_AUTH child has no KE method: its first rekey is regular, the
 * next one optimized, smaller, and the HAL gets the old parameters with new SPI and keys. */
static void test_first_rekey_regular_then_optimized(void **state) {
  (void)state;
  struct harness h;
  struct rk_cfg c = opt_cfg(OPT, OPT, NULL);
  rk_setup(&h, &c);
  expect_origin(&h, "initial");
  size_t regular = rekey_measured(&h, "R0");
  expect_origin(&h, "regular");
  struct nicsec_hal_sa before = outbound_sa();
  size_t optimized = rekey_measured(&h, "R0");
  expect_origin(&h, "optimized");
  struct nicsec_hal_sa after = outbound_sa();
  expect_inherited(&before, &after);
  print_message("CREATE_CHILD_SA request: regular %zu octets, optimized %zu\n", regular,
                optimized);
  assert_true(optimized + 40 < regular); /* SA (~44 octets) and TSi/TSr (2 x 24) are gone */
  /* and it keeps working, started by the other side too */
  rekey_measured(&h, "R1");
  expect_origin(&h, "optimized");
  h_free(&h);
}

/* With child-pfs-info the IKE_AUTH child's KE method is negotiated (not used for its keys):
 * the first rekey is optimized right away and carries KE with that method. */
static void test_pfs_info_first_rekey_optimized_with_pfs(void **state) {
  (void)state;
  struct harness h;
  struct rk_cfg c = opt_cfg(OPT_PFS_INFO, OPT_PFS_INFO, PFS);
  rk_setup(&h, &c);
  struct nd_child_view first = installed_child(&h, 0);
  assert_non_null(strstr(first.proposal, "CURVE_25519")); /* negotiated in IKE_AUTH */
  size_t with_ke = rekey_measured(&h, "R0");
  expect_origin(&h, "optimized");
  assert_string_equal(installed_child(&h, 0).proposal, first.proposal);
  h_free(&h);
  /* the same without PFS: the optimized request is smaller by the KE payload (4 + 4 + 32) */
  c = opt_cfg(OPT_PFS_INFO, OPT_PFS_INFO, NULL);
  rk_setup(&h, &c);
  size_t without_ke = rekey_measured(&h, "R1");
  expect_origin(&h, "optimized");
  assert_int_equal(with_ke, without_ke + 40);
  h_free(&h);
}

/* Only one side has child-pfs-info: the first rekey of the IKE_AUTH child must be regular. */
static void test_pfs_info_one_side_only(void **state) {
  (void)state;
  struct harness h;
  struct rk_cfg c = opt_cfg(OPT_PFS_INFO, OPT, PFS);
  rk_setup(&h, &c);
  rekey_measured(&h, "R0");
  expect_origin(&h, "regular");
  rekey_measured(&h, "R0");
  expect_origin(&h, "optimized");
  h_free(&h);
}

/* A peer without support gets regular rekeys, Child and IKE SA alike. */
static void test_peer_without_support(void **state) {
  (void)state;
  for (int side = 0; side < 2; side++) {
    struct harness h;
    struct rk_cfg c = opt_cfg(side ? NULL : OPT_PFS_INFO, side ? OPT_PFS_INFO : NULL, PFS);
    rk_setup(&h, &c);
    rekey_measured(&h, "R0");
    rekey_measured(&h, "R1");
    expect_origin(&h, "regular");
    rk_script(&h, side ? "I1 *" : "I0 *", false);
    rk_settle(&h);
    rk_check_final(&h, 1);
    rekey_measured(&h, "R0");
    expect_origin(&h, "regular");
    h_free(&h);
  }
}

/* The responder's configuration changed (reload): it refuses the optimized rekey with
 * NO_PROPOSAL_CHOSEN and the initiator rekeys regularly at once; one exchange more than a plain
 * regular rekey, on each side. */
static void test_refused_then_regular(void **state) {
  (void)state;
  struct harness h;
  struct rk_cfg c = opt_cfg(OPT_PFS_INFO, OPT_PFS_INFO, NULL);
  rk_setup(&h, &c);
  unsigned sent0 = h.sent[0], sent1 = h.sent[1];
  rekey_measured(&h, "G0");
  expect_origin(&h, "regular");
  unsigned plain0 = h.sent[0] - sent0, plain1 = h.sent[1] - sent1;
  char yaml[4096], err[256];
  h_config(yaml, sizeof yaml, 1, "aes256gcm16-prfsha256-x25519", "aes128gcm16", OPT_PFS_INFO,
           "  inbound_drain_ms: 500\n", NULL);
  struct nd_config cfg;
  struct nd_config_error cerr;
  assert_int_equal(nd_config_load_text("reload", yaml, strlen(yaml), &cfg, &cerr), 0);
  nd_engine_load(h.eng[1], &cfg, h.now);
  (void)err;
  sent0 = h.sent[0];
  sent1 = h.sent[1];
  rekey_measured(&h, "R0");
  expect_origin(&h, "regular");
  assert_int_equal(h.sent[0] - sent0, plain0 + 1); /* the optimized request, then the regular */
  assert_int_equal(h.sent[1] - sent1, plain1 + 1); /* NO_PROPOSAL_CHOSEN */
  h_free(&h);
}

static void run_opt_script(const char *script) {
  struct harness h;
  struct rk_cfg c = opt_cfg(OPT_PFS_INFO, OPT_PFS_INFO, PFS);
  rk_setup(&h, &c);
  struct nd_child_view before = installed_child(&h, 0);
  rk_script(&h, script, false);
  rk_settle(&h);
  rk_check_final(&h, 1);
  struct nd_child_view after = installed_child(&h, 0);
  assert_int_not_equal(before.spi_in, after.spi_in);
  assert_int_not_equal(before.spi_out, after.spi_out);
  assert_string_equal(after.rekey, "optimized");
  h_free(&h);
}

static void test_optimized_losses(void **state) {
  (void)state;
  run_opt_script("R0 x0 t d0 x0 t u0 d0 d0 *"); /* request lost, answer lost, duplicate */
  run_opt_script("R1 d0 d0 x0 t t *");          /* Delete of the old SA lost */
  run_opt_script("R0 u0 u0 d0 d0 *");           /* request delivered three times */
}

/* Collisions resolve like regular ones (RFC 7296 2.8), optimized against optimized and
 * optimized against regular, in both delivery orders. */
static void test_optimized_collisions(void **state) {
  (void)state;
  run_opt_script("R0 R1 *");
  run_opt_script("R0 R1 d1 d0 *");
  struct harness h;
  struct rk_cfg c = opt_cfg(OPT_PFS_INFO, OPT_PFS_INFO, PFS);
  rk_setup(&h, &c);
  rk_script(&h, "R0 G1 *", false);
  rk_settle(&h);
  rk_check_final(&h, 1);
  h_free(&h);
}

/* The IKE SA rekeys optimized too (N(OPTIMIZED_REKEY) with the 8-octet SPI); the Child SA moves
 * untouched and the new IKE SA keeps the agreement. */
static void test_ike_rekey_optimized(void **state) {
  (void)state;
  struct harness h;
  struct rk_cfg c = opt_cfg(OPT_PFS_INFO, OPT_PFS_INFO, NULL);
  rk_setup(&h, &c);
  unsigned long long before = rk_ike_spi_i(&h);
  rk_script(&h, "I1", false);
  size_t opt_len = h_peek(&h, 0)->len;
  rk_script(&h, "*", false);
  rk_settle(&h);
  rk_check_final(&h, 1);
  assert_true(rk_ike_spi_i(&h) != before);
  rekey_measured(&h, "R0");
  expect_origin(&h, "optimized");
  h_free(&h);
  c = opt_cfg(NULL, NULL, NULL);
  rk_setup(&h, &c);
  rk_script(&h, "I1", false);
  size_t regular_len = h_peek(&h, 0)->len;
  rk_script(&h, "*", false);
  rk_settle(&h);
  rk_check_final(&h, 1);
  h_free(&h);
  print_message("IKE SA rekey request: regular %zu octets, optimized %zu\n", regular_len,
                opt_len);
  assert_true(opt_len < regular_len);
}

/* ---- wire format and the responder's checks, without the harness -------------------------- */

static size_t build(const struct ike_payload_out *out, size_t n, uint8_t *buf, size_t cap) {
  struct wire_writer w;
  uint8_t first;
  struct ike_build_info info;
  wire_writer_init(&w, buf, cap);
  assert_int_equal(ike_chain_build(&w, out, n, &first, &info, NULL), IKE_OK);
  return wire_writer_len(&w);
}

static void test_notify_golden_bytes(void **state) {
  (void)state;
  struct nd_cfg_ref ref = {0};
  ref.cfg.daemon.notify_optimized_rekey = IKE_N_OPTIMIZED_REKEY_PRIVATE;
  struct nd_ike_sa sa = {0};
  sa.cfg_ref = &ref;
  union ike_payload_body child, ike;
  const uint8_t spi4[4] = {0xc1, 0x02, 0x03, 0x04};
  const uint8_t spi8[8] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
  nd_opt_body(&sa, &child, spi4, 4);
  nd_opt_body(&sa, &ike, spi8, 8);
  struct ike_payload_out out[2] = {nd_out(IKE_PT_NOTIFY, &child), nd_out(IKE_PT_NOTIFY, &ike)};
  uint8_t buf[64];
  size_t len = build(out, 2, buf, sizeof buf);
  /* generic header (next N, length), Protocol ID 0, SPI Size 0, type 50401, data = new SPI */
  const uint8_t expected[] = {0x29, 0x00, 0x00, 0x0c, 0x00, 0x00, 0xc4, 0xe1, 0xc1, 0x02,
                              0x03, 0x04, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0xc4, 0xe1,
                              0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
  assert_int_equal(len, sizeof expected);
  assert_memory_equal(buf, expected, sizeof expected);
  assert_string_equal(ike_notify_name(IKE_N_OPTIMIZED_REKEY_SUPPORTED_PRIVATE),
                      "OPTIMIZED_REKEY_SUPPORTED");
  assert_string_equal(ike_notify_name(IKE_N_CHILD_SA_PFS_INFO_SUPPORTED_PRIVATE),
                      "CHILD_SA_PFS_INFO_SUPPORTED");
}

/* An optimized Child SA rekey request as the peer would send it, with extra payloads. */
struct forged {
  uint8_t buf[256];
  struct ike_chain chain;
};

static void forge(struct forged *f, bool transport, bool with_sa, size_t spi_len) {
  union ike_payload_body rekey, opt, mode, nonce, sa_body;
  const uint8_t old_spi[4] = {0, 0, 1, 0}, new_spi[8] = {0xc0, 0, 0, 1, 0, 0, 0, 0};
  uint8_t ni[32] = {1};
  size_t n = 0;
  struct ike_payload_out out[5];
  nd_notify_body(&rekey, IKE_PROTO_ESP, IKE_N_REKEY_SA, NULL, 0);
  rekey.notify.spi = (struct wire_view){old_spi, 4};
  out[n++] = nd_out(IKE_PT_NOTIFY, &rekey);
  nd_notify_body(&opt, IKE_PROTO_NONE, IKE_N_OPTIMIZED_REKEY_PRIVATE, new_spi, spi_len);
  out[n++] = nd_out(IKE_PT_NOTIFY, &opt);
  if (transport) {
    nd_notify_body(&mode, IKE_PROTO_NONE, IKE_N_USE_TRANSPORT_MODE, NULL, 0);
    out[n++] = nd_out(IKE_PT_NOTIFY, &mode);
  }
  if (with_sa) {
    memset(&sa_body, 0, sizeof sa_body);
    assert_true(ike_sa_add_proposal(&sa_body.sa, 1, IKE_PROTO_ESP, (struct wire_view){old_spi, 4}));
    assert_true(ike_sa_add_transform(&sa_body.sa, IKE_TRANSFORM_ENCR, 20, 256));
    out[n++] = nd_out(IKE_PT_SA, &sa_body);
  }
  nonce.nonce.data = (struct wire_view){ni, sizeof ni};
  out[n++] = nd_out(IKE_PT_NONCE, &nonce);
  size_t len = build(out, n, f->buf, sizeof f->buf);
  assert_int_equal(ike_inner_parse(IKE_PT_NOTIFY, f->buf, len, &f->chain, NULL), IKE_OK);
}

static void test_responder_checks(void **state) {
  (void)state;
  struct nd_cfg_ref ref = {0};
  ref.cfg.daemon.notify_optimized_rekey = IKE_N_OPTIMIZED_REKEY_PRIVATE;
  struct nd_ike_sa sa = {0};
  sa.cfg_ref = &ref;
  sa.opt_rekey = true;
  struct nd_child_sa old = {0}, out = {0};
  old.ke_known = true;
  struct forged f;
  struct wire_view spi;
  /* a property-changing notify: refused as the draft's failure case (retry regular) */
  forge(&f, true, false, 4);
  assert_true(nd_opt_find(&sa, &f.chain, &spi));
  assert_int_equal(nd_opt_child_inherit(NULL, &sa, &f.chain, &old, spi, &out),
                   IKE_N_NO_PROPOSAL_CHOSEN);
  /* SA next to the notify, or an IKE-sized SPI in a Child SA rekey: malformed */
  forge(&f, false, true, 4);
  assert_true(nd_opt_find(&sa, &f.chain, &spi));
  assert_int_equal(nd_opt_child_inherit(NULL, &sa, &f.chain, &old, spi, &out),
                   IKE_N_INVALID_SYNTAX);
  forge(&f, false, false, 8);
  assert_true(nd_opt_find(&sa, &f.chain, &spi));
  assert_int_equal(nd_opt_child_inherit(NULL, &sa, &f.chain, &old, spi, &out),
                   IKE_N_INVALID_SYNTAX);
  /* the IKE_AUTH child without child-pfs-info has no KE method: must be a regular rekey */
  forge(&f, false, false, 4);
  assert_true(nd_opt_find(&sa, &f.chain, &spi));
  old.ke_known = false;
  assert_int_equal(nd_opt_child_inherit(NULL, &sa, &f.chain, &old, spi, &out),
                   IKE_N_NO_PROPOSAL_CHOSEN);
  /* not negotiated in IKE_AUTH */
  old.ke_known = true;
  sa.opt_rekey = false;
  assert_int_equal(nd_opt_child_inherit(NULL, &sa, &f.chain, &old, spi, &out),
                   IKE_N_NO_PROPOSAL_CHOSEN);
  /* another notify type configured: this one is not ours */
  ref.cfg.daemon.notify_optimized_rekey = 50999;
  assert_false(nd_opt_find(&sa, &f.chain, &spi));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_notify_golden_bytes),
      cmocka_unit_test(test_responder_checks),
      cmocka_unit_test(test_first_rekey_regular_then_optimized),
      cmocka_unit_test(test_pfs_info_first_rekey_optimized_with_pfs),
      cmocka_unit_test(test_pfs_info_one_side_only),
      cmocka_unit_test(test_peer_without_support),
      cmocka_unit_test(test_refused_then_regular),
      cmocka_unit_test(test_optimized_losses),
      cmocka_unit_test(test_optimized_collisions),
      cmocka_unit_test(test_ike_rekey_optimized),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
