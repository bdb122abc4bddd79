/* Key exchange tests:
 *  - RFC 5903 8.1-8.3 (ECP groups 19/20/21): KE payload data and shared secret, both directions;
 *  - RFC 7748 5.2 (X25519/X448 single and 1 / 1,000 iterations; the 1,000,000-iteration cases
 *    are skipped for time) and 6.1/6.2 (Alice/Bob DH);
 *  - MODP-2048 against independent BIGNUM arithmetic, including leading-zero padding;
 *  - round trips for every method and rejection of invalid peer values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/rand.h>

#include "ike_crypto.h"
#include "vectors.h"

static const uint16_t all_methods[] = {
    IKE_KE_MODP_2048,  IKE_KE_ECP_256,    IKE_KE_ECP_384,
    IKE_KE_ECP_521,    IKE_KE_CURVE25519, IKE_KE_CURVE448,
#if NICSEC_IKECRYPTO_MLKEM
    IKE_KE_ML_KEM_768,
#endif
};
#define N_METHODS (sizeof all_methods / sizeof all_methods[0])

static struct ike_bytes view(const struct vec_bytes *b) { return ike_bytes_of(b->ptr, b->len); }

static struct ike_ke *import_or_fail(uint16_t id, struct ike_bytes priv, struct ike_bytes pub) {
  struct ike_ke *ke = NULL;
  assert_int_equal(ike_ke_import_private(id, priv, pub, &ke), IKE_CRYPTO_OK);
  assert_non_null(ke);
  return ke;
}

static void assert_public_value(const struct ike_ke *ke, const uint8_t *expected, size_t len) {
  uint8_t pub[IKE_KE_MAX_PUBLIC];
  size_t pub_len = 0;
  assert_int_equal(ike_ke_public_value(ke, pub, sizeof pub, &pub_len), IKE_CRYPTO_OK);
  assert_int_equal(pub_len, len);
  assert_memory_equal(pub, expected, len);
}

static void assert_shared(const struct ike_ke *ke, struct ike_bytes peer, const uint8_t *expected,
                          size_t len) {
  struct ike_secret shared = {0};
  assert_int_equal(ike_ke_finish(ke, peer, &shared), IKE_CRYPTO_OK);
  assert_int_equal(shared.len, len);
  assert_memory_equal(shared.bytes, expected, len);
  ike_secret_free(&shared);
}

static void rfc5903_ecp_vectors(void **state) {
  (void)state;
  json_t *vectors = vectors_load("ecp_dh_rfc5903.json");
  size_t i;
  json_t *v;
  json_array_foreach(vectors, i, v) {
    uint16_t id = (uint16_t)vec_int(v, "ike_dh_group");
    struct vec_bytes priv_i = vec_hex(v, "i"), priv_r = vec_hex(v, "r");
    struct vec_bytes ke_i = vec_hex(v, "ke_i_data"), ke_r = vec_hex(v, "ke_r_data");
    struct vec_bytes shared = vec_hex(v, "shared_secret");
    struct ike_ke_info info;
    assert_int_equal(ike_ke_info(id, &info), IKE_CRYPTO_OK);
    assert_int_equal(ke_i.len, info.initiator_len);
    assert_int_equal(shared.len, info.secret_len);

    struct ike_ke *initiator = import_or_fail(id, view(&priv_i), view(&ke_i));
    struct ike_ke *responder = import_or_fail(id, view(&priv_r), view(&ke_r));
    assert_public_value(initiator, ke_i.ptr, ke_i.len);
    assert_shared(initiator, view(&ke_r), shared.ptr, shared.len);
    assert_shared(responder, view(&ke_i), shared.ptr, shared.len);
    /* A public value that does not belong to the private scalar is refused. */
    struct ike_ke *mismatch = NULL;
    assert_int_equal(ike_ke_import_private(id, view(&priv_i), view(&ke_r), &mismatch),
                     IKE_CRYPTO_E_INVALID_ARG);
    assert_null(mismatch);
    ike_ke_free(initiator);
    ike_ke_free(responder);
    struct vec_bytes *all[] = {&priv_i, &priv_r, &ke_i, &ke_r, &shared};
    for (size_t k = 0; k < 5; k++)
      vec_bytes_free(all[k]);
  }
  assert_int_equal(i, 3);
  vectors_free(vectors);
}

static uint16_t x_curve_id(const json_t *v) {
  return strcmp(vec_str(v, "curve"), "X25519") == 0 ? IKE_KE_CURVE25519 : IKE_KE_CURVE448;
}

/* X(scalar, u) through the KE API: our "private key" is the scalar, the peer value is u. */
static void x_function(uint16_t id, const uint8_t *scalar, const uint8_t *u, size_t len,
                       uint8_t *out) {
  struct ike_ke *ke = import_or_fail(id, ike_bytes_of(scalar, len), ike_bytes_of(NULL, 0));
  struct ike_secret shared = {0};
  assert_int_equal(ike_ke_finish(ke, ike_bytes_of(u, len), &shared), IKE_CRYPTO_OK);
  assert_int_equal(shared.len, len);
  memcpy(out, shared.bytes, len);
  ike_secret_free(&shared);
  ike_ke_free(ke);
}

static void check_x_scalarmult(const json_t *v) {
  uint16_t id = x_curve_id(v);
  struct vec_bytes k = vec_hex(v, "scalar"), u = vec_hex(v, "u_in"), want = vec_hex(v, "u_out");
  uint8_t got[56];
  x_function(id, k.ptr, u.ptr, k.len, got);
  assert_memory_equal(got, want.ptr, want.len);
  vec_bytes_free(&k);
  vec_bytes_free(&u);
  vec_bytes_free(&want);
}

/* RFC 7748 5.2: k = u = start; repeat (k, u) = (X(k, u), k). */
static void check_x_iterated(const json_t *v) {
  uint16_t id = x_curve_id(v);
  long iterations = vec_int(v, "iterations");
  struct vec_bytes start = vec_hex(v, "start_k_and_u"), want = vec_hex(v, "k_out");
  uint8_t k[56], u[56], next[56];
  size_t len = start.len;
  memcpy(k, start.ptr, len);
  memcpy(u, start.ptr, len);
  for (long n = 0; n < iterations; n++) {
    x_function(id, k, u, len, next);
    memcpy(u, k, len);
    memcpy(k, next, len);
  }
  assert_memory_equal(k, want.ptr, len);
  vec_bytes_free(&start);
  vec_bytes_free(&want);
}

static void check_x_dh(const json_t *v) {
  uint16_t id = x_curve_id(v);
  struct vec_bytes a = vec_hex(v, "alice_private"), a_pub = vec_hex(v, "alice_public");
  struct vec_bytes b = vec_hex(v, "bob_private"), b_pub = vec_hex(v, "bob_public");
  struct vec_bytes shared = vec_hex(v, "shared_secret");
  struct ike_ke *alice = import_or_fail(id, view(&a), ike_bytes_of(NULL, 0));
  assert_public_value(alice, a_pub.ptr, a_pub.len);                /* derived from the scalar */
  struct ike_ke *bob = import_or_fail(id, view(&b), view(&b_pub)); /* given and checked */
  assert_shared(alice, view(&b_pub), shared.ptr, shared.len);
  assert_shared(bob, view(&a_pub), shared.ptr, shared.len);
  struct ike_ke *mismatch = NULL;
  assert_int_equal(ike_ke_import_private(id, view(&a), view(&b_pub), &mismatch),
                   IKE_CRYPTO_E_INVALID_ARG);
  ike_ke_free(alice);
  ike_ke_free(bob);
  struct vec_bytes *all[] = {&a, &a_pub, &b, &b_pub, &shared};
  for (size_t k = 0; k < 5; k++)
    vec_bytes_free(all[k]);
}

static void rfc7748_x25519_x448_vectors(void **state) {
  (void)state;
  json_t *vectors = vectors_load("x25519_x448_rfc7748.json");
  size_t scalarmult = 0, iterated = 0, skipped = 0, dh = 0, i;
  json_t *v;
  json_array_foreach(vectors, i, v) {
    const char *type = vec_str(v, "type");
    if (strcmp(type, "scalarmult") == 0) {
      check_x_scalarmult(v);
      scalarmult++;
    } else if (strcmp(type, "iterated") == 0 && vec_int(v, "iterations") > 1000) {
      skipped++; /* 1,000,000 iterations take minutes; kept out of the unit label */
    } else if (strcmp(type, "iterated") == 0) {
      check_x_iterated(v);
      iterated++;
    } else {
      assert_string_equal(type, "dh");
      check_x_dh(v);
      dh++;
    }
  }
  assert_int_equal(scalarmult, 4);
  assert_int_equal(iterated, 4);
  assert_int_equal(skipped, 2);
  assert_int_equal(dh, 2);
  vectors_free(vectors);
}

/* g^x mod p for the RFC 3526 2048-bit group, written as 256-octet KE data. */
static void modp_power(const BIGNUM *base, const BIGNUM *exp, uint8_t out[256], BN_CTX *bn) {
  BIGNUM *p = BN_get_rfc3526_prime_2048(NULL), *r = BN_new();
  assert_true(BN_mod_exp(r, base, exp, p, bn));
  assert_int_equal(BN_bn2binpad(r, out, 256), 256);
  BN_free(r);
  BN_free(p);
}

/* Draws exponents until the public value (or, with want_short_secret, the shared secret with
 * peer_pub) has a leading zero octet, which the KE data / g^ir must keep (RFC 7296 3.4). */
static void draw_exponent(BIGNUM *x, uint8_t pub[256], const uint8_t *peer_pub, uint8_t secret[256],
                          BN_CTX *bn) {
  BIGNUM *two = BN_new(), *peer = peer_pub ? BN_bin2bn(peer_pub, 256, NULL) : NULL;
  assert_true(BN_set_word(two, 2));
  for (int tries = 0; tries < 100000; tries++) {
    assert_true(BN_rand(x, 256, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY));
    modp_power(two, x, pub, bn);
    if (peer)
      modp_power(peer, x, secret, bn);
    if ((peer ? secret[0] : pub[0]) == 0)
      break;
  }
  assert_int_equal(peer ? secret[0] : pub[0], 0);
  BN_free(two);
  BN_free(peer);
}

static void modp_2048_matches_bignum_arithmetic(void **state) {
  (void)state;
  BN_CTX *bn = BN_CTX_new();
  BIGNUM *x1 = BN_new(), *x2 = BN_new();
  uint8_t pub1[256], pub2[256], secret[256], priv[32];
  draw_exponent(x1, pub1, NULL, NULL, bn);   /* public value with a leading zero */
  draw_exponent(x2, pub2, pub1, secret, bn); /* shared secret with a leading zero */
  assert_int_equal(BN_bn2binpad(x1, priv, 32), 32);
  struct ike_ke *ke1 =
      import_or_fail(IKE_KE_MODP_2048, ike_bytes_of(priv, 32), ike_bytes_of(pub1, 256));
  assert_public_value(ke1, pub1, 256);
  assert_shared(ke1, ike_bytes_of(pub2, 256), secret, 256);
  assert_int_equal(BN_bn2binpad(x2, priv, 32), 32);
  struct ike_ke *ke2 =
      import_or_fail(IKE_KE_MODP_2048, ike_bytes_of(priv, 32), ike_bytes_of(pub2, 256));
  assert_shared(ke2, ike_bytes_of(pub1, 256), secret, 256);
  struct ike_ke *mismatch = NULL;
  assert_int_equal(ike_ke_import_private(IKE_KE_MODP_2048, ike_bytes_of(priv, 32),
                                         ike_bytes_of(pub1, 256), &mismatch),
                   IKE_CRYPTO_E_INVALID_ARG);
  ike_ke_free(ke1);
  ike_ke_free(ke2);
  BN_free(x1);
  BN_free(x2);
  BN_CTX_free(bn);
}

static void every_method_round_trips(void **state) {
  (void)state;
  for (size_t m = 0; m < N_METHODS; m++) {
    struct ike_ke_info info;
    assert_int_equal(ike_ke_info(all_methods[m], &info), IKE_CRYPTO_OK);
    assert_true(ike_ke_supported(all_methods[m]));
    struct ike_ke *initiator = NULL, *responder = NULL;
    assert_int_equal(ike_ke_initiate(all_methods[m], &initiator), IKE_CRYPTO_OK);
    assert_int_equal(ike_ke_method_id(initiator), all_methods[m]);
    uint8_t kei[IKE_KE_MAX_PUBLIC], ker[IKE_KE_MAX_PUBLIC];
    size_t kei_len = 0, ker_len = 0;
    assert_int_equal(ike_ke_public_value(initiator, kei, sizeof kei, &kei_len), IKE_CRYPTO_OK);
    assert_int_equal(kei_len, info.initiator_len);
    assert_int_equal(ike_ke_check_peer(all_methods[m], true, ike_bytes_of(kei, kei_len)),
                     IKE_CRYPTO_OK);
    struct ike_secret s_r = {0}, s_i = {0}, again = {0};
    assert_int_equal(ike_ke_respond(all_methods[m], ike_bytes_of(kei, kei_len), &responder, &s_r),
                     IKE_CRYPTO_OK);
    assert_int_equal(ike_ke_public_value(responder, ker, sizeof ker, &ker_len), IKE_CRYPTO_OK);
    assert_int_equal(ker_len, info.responder_len);
    assert_int_equal(ike_ke_finish(initiator, ike_bytes_of(ker, ker_len), &s_i), IKE_CRYPTO_OK);
    assert_int_equal(s_i.len, info.secret_len);
    assert_int_equal(s_r.len, info.secret_len);
    assert_memory_equal(s_i.bytes, s_r.bytes, s_i.len);
    /* A retransmitted response gives the same secret. */
    assert_int_equal(ike_ke_finish(initiator, ike_bytes_of(ker, ker_len), &again), IKE_CRYPTO_OK);
    assert_memory_equal(again.bytes, s_i.bytes, s_i.len);
    assert_int_equal(ike_ke_public_value(initiator, kei, info.initiator_len - 1, &kei_len),
                     IKE_CRYPTO_E_BUFFER_TOO_SMALL);
    ike_secret_free(&s_r);
    ike_secret_free(&s_i);
    ike_secret_free(&again);
    ike_ke_free(initiator);
    ike_ke_free(responder);
  }
}

/* Every entry point sees the same verdict on a bad peer value. */
static void assert_peer_rejected(uint16_t id, struct ike_bytes peer, enum ike_crypto_status want) {
  assert_int_equal(ike_ke_check_peer(id, true, peer), want);
  assert_int_equal(ike_ke_check_peer(id, false, peer), want);
  struct ike_ke *responder = (struct ike_ke *)1, *initiator = NULL;
  struct ike_secret shared = {0};
  assert_int_equal(ike_ke_respond(id, peer, &responder, &shared), want);
  assert_null(responder);
  assert_null(shared.bytes);
  assert_int_equal(ike_ke_initiate(id, &initiator), IKE_CRYPTO_OK);
  assert_int_equal(ike_ke_finish(initiator, peer, &shared), want);
  assert_null(shared.bytes);
  ike_ke_free(initiator);
}

static void wrong_lengths_are_rejected(void **state) {
  (void)state;
  uint8_t junk[IKE_KE_MAX_PUBLIC + 1];
  memset(junk, 0x42, sizeof junk);
  for (size_t m = 0; m < N_METHODS; m++) {
    struct ike_ke_info info;
    assert_int_equal(ike_ke_info(all_methods[m], &info), IKE_CRYPTO_OK);
    const size_t bad[] = {0, 1, info.initiator_len - 1, info.initiator_len + 1};
    for (size_t b = 0; b < 4; b++) {
      assert_int_equal(ike_ke_check_peer(all_methods[m], true, ike_bytes_of(junk, bad[b])),
                       IKE_CRYPTO_E_BAD_LENGTH);
      assert_peer_rejected(all_methods[m], ike_bytes_of(junk, bad[b]), IKE_CRYPTO_E_BAD_LENGTH);
    }
  }
}

/* KE data for the MODP group holding p + delta (delta in -1..1) or a small value. */
static void modp_value(uint8_t out[256], long delta, long small) {
  BIGNUM *v = small >= 0 ? BN_new() : BN_get_rfc3526_prime_2048(NULL);
  if (small >= 0)
    assert_true(BN_set_word(v, (unsigned long)small));
  else if (delta > 0)
    assert_true(BN_add_word(v, (unsigned long)delta));
  else if (delta < 0)
    assert_true(BN_sub_word(v, (unsigned long)-delta));
  assert_int_equal(BN_bn2binpad(v, out, 256), 256);
  BN_free(v);
}

static void modp_values_outside_1_to_p_minus_1_are_rejected(void **state) {
  (void)state;
  uint8_t y[256];
  const struct { long delta, small; } bad[] = {{0, 0}, {0, 1}, {-1, -1}, {0, -1}, {1, -1}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    modp_value(y, bad[i].delta, bad[i].small);
    assert_int_equal(ike_ke_check_peer(IKE_KE_MODP_2048, true, ike_bytes_of(y, 256)),
                     IKE_CRYPTO_E_INVALID_PUBLIC);
    assert_peer_rejected(IKE_KE_MODP_2048, ike_bytes_of(y, 256), IKE_CRYPTO_E_INVALID_PUBLIC);
  }
  memset(y, 0xff, sizeof y); /* above p */
  assert_peer_rejected(IKE_KE_MODP_2048, ike_bytes_of(y, 256), IKE_CRYPTO_E_INVALID_PUBLIC);
  modp_value(y, 0, 2); /* the generator itself is a legal (if silly) value */
  assert_int_equal(ike_ke_check_peer(IKE_KE_MODP_2048, true, ike_bytes_of(y, 256)), IKE_CRYPTO_OK);
  modp_value(y, -2, -1);
  assert_int_equal(ike_ke_check_peer(IKE_KE_MODP_2048, false, ike_bytes_of(y, 256)), IKE_CRYPTO_OK);
}

static void ecp_points_off_the_curve_are_rejected(void **state) {
  (void)state;
  json_t *vectors = vectors_load("ecp_dh_rfc5903.json");
  size_t i;
  json_t *v;
  json_array_foreach(vectors, i, v) {
    uint16_t id = (uint16_t)vec_int(v, "ike_dh_group");
    struct vec_bytes ke = vec_hex(v, "ke_i_data");
    assert_int_equal(ike_ke_check_peer(id, true, view(&ke)), IKE_CRYPTO_OK);
    ke.ptr[ke.len - 1] ^= 0x01; /* y changed: no longer on the curve */
    assert_peer_rejected(id, view(&ke), IKE_CRYPTO_E_INVALID_PUBLIC);
    memset(ke.ptr, 0, ke.len); /* (0, 0): not on these curves, and not "infinity" either */
    assert_peer_rejected(id, view(&ke), IKE_CRYPTO_E_INVALID_PUBLIC);
    memset(ke.ptr, 0xff, ke.len); /* coordinates above p */
    assert_peer_rejected(id, view(&ke), IKE_CRYPTO_E_INVALID_PUBLIC);
    vec_bytes_free(&ke);
  }
  vectors_free(vectors);
}

/* Points of small order (and their non-canonical aliases) give an all-zero secret, which
 * RFC 7748 6 / RFC 8031 require us to refuse. Only the derivation can tell, so check_peer
 * accepts them and respond/finish refuse. */
static void low_order_x_curve_points_are_rejected(void **state) {
  (void)state;
  static const struct {
    uint16_t id;
    const char *u;
  } low_order[] = {
      {IKE_KE_CURVE25519, "0000000000000000000000000000000000000000000000000000000000000000"},
      {IKE_KE_CURVE25519, "0100000000000000000000000000000000000000000000000000000000000000"},
      {IKE_KE_CURVE25519, "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"},
      {IKE_KE_CURVE25519, "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"},
      {IKE_KE_CURVE25519, "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"},
      {IKE_KE_CURVE25519, "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"},
      {IKE_KE_CURVE25519, "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"},
      {IKE_KE_CURVE448, "00000000000000000000000000000000000000000000000000000000"
                        "00000000000000000000000000000000000000000000000000000000"},
      {IKE_KE_CURVE448, "01000000000000000000000000000000000000000000000000000000"
                        "00000000000000000000000000000000000000000000000000000000"},
      {IKE_KE_CURVE448, "feffffffffffffffffffffffffffffffffffffffffffffffffffffff"
                        "feffffffffffffffffffffffffffffffffffffffffffffffffffffff"},
      {IKE_KE_CURVE448, "ffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
                        "feffffffffffffffffffffffffffffffffffffffffffffffffffffff"},
  };
  for (size_t i = 0; i < sizeof low_order / sizeof low_order[0]; i++) {
    struct vec_bytes u = hex_literal(low_order[i].u);
    assert_int_equal(ike_ke_check_peer(low_order[i].id, false, view(&u)), IKE_CRYPTO_OK);
    struct ike_ke *responder = NULL, *initiator = NULL;
    struct ike_secret shared = {0};
    assert_int_equal(ike_ke_respond(low_order[i].id, view(&u), &responder, &shared),
                     IKE_CRYPTO_E_INVALID_PUBLIC);
    assert_int_equal(ike_ke_initiate(low_order[i].id, &initiator), IKE_CRYPTO_OK);
    assert_int_equal(ike_ke_finish(initiator, view(&u), &shared), IKE_CRYPTO_E_INVALID_PUBLIC);
    assert_null(shared.bytes);
    ike_ke_free(initiator);
    vec_bytes_free(&u);
  }
}

static void unsupported_methods_and_bad_arguments(void **state) {
  (void)state;
  struct ike_ke *ke = (struct ike_ke *)1;
  struct ike_ke_info info;
  const uint16_t unsupported[] = {
    0,
    2 /* MODP-1024 */,
    15,
    22,
    33,
    35 /* ML-KEM-512 */,
#if !NICSEC_IKECRYPTO_MLKEM
    IKE_KE_ML_KEM_768,
#endif
    1024
  };
  for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++) {
    assert_false(ike_ke_supported(unsupported[i]));
    assert_int_equal(ike_ke_info(unsupported[i], &info), IKE_CRYPTO_E_UNSUPPORTED);
    assert_int_equal(ike_ke_initiate(unsupported[i], &ke), IKE_CRYPTO_E_UNSUPPORTED);
    assert_null(ke);
    assert_int_equal(ike_ke_check_peer(unsupported[i], true, ike_bytes_of("x", 1)),
                     IKE_CRYPTO_E_UNSUPPORTED);
  }
  assert_int_equal(ike_ke_initiate(IKE_KE_CURVE25519, NULL), IKE_CRYPTO_E_INVALID_ARG);
  assert_int_equal(ike_ke_finish(NULL, ike_bytes_of("x", 1), NULL), IKE_CRYPTO_E_INVALID_ARG);
  assert_int_equal(
      ike_ke_import_private(IKE_KE_CURVE25519, ike_bytes_of(NULL, 0), ike_bytes_of(NULL, 0), &ke),
      IKE_CRYPTO_E_INVALID_ARG);
  assert_int_equal(ike_ke_method_id(NULL), 0);
  ike_ke_free(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(rfc5903_ecp_vectors),
      cmocka_unit_test(rfc7748_x25519_x448_vectors),
      cmocka_unit_test(modp_2048_matches_bignum_arithmetic),
      cmocka_unit_test(every_method_round_trips),
      cmocka_unit_test(wrong_lengths_are_rejected),
      cmocka_unit_test(modp_values_outside_1_to_p_minus_1_are_rejected),
      cmocka_unit_test(ecp_points_off_the_curve_are_rejected),
      cmocka_unit_test(low_order_x_curve_points_are_rejected),
      cmocka_unit_test(unsupported_methods_and_bad_arguments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
