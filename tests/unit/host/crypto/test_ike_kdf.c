/* Known-answer tests of the IKEv2 PRFs, INTEG ICVs and key schedule:
 *  - RFC 4868 2.7.1 / 2.7.2 (PRF_HMAC_SHA2_* and AUTH_HMAC_SHA2_*), all 30 vectors;
 *  - NIST CAVP "IKE v2" KDF (SP 800-135): SKEYSEED, DKM, Child DKM with and without PFS and
 *    rekey SKEYSEED, all 40 vectors;
 *  plus the splitting of key material by negotiated transforms and the argument checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ike_crypto.h"
#include "vectors.h"

static const uint16_t all_prf_ids[] = {IKE_PRF_HMAC_SHA1, IKE_PRF_HMAC_SHA2_256,
                                       IKE_PRF_HMAC_SHA2_384, IKE_PRF_HMAC_SHA2_512};
static const uint16_t all_integ_ids[] = {IKE_INTEG_HMAC_SHA2_256_128, IKE_INTEG_HMAC_SHA2_384_192,
                                         IKE_INTEG_HMAC_SHA2_512_256};

static uint16_t prf_by_name(const char *name) {
  for (size_t i = 0; i < sizeof all_prf_ids / sizeof all_prf_ids[0]; i++)
    if (strcmp(ike_prf_alg_find(all_prf_ids[i])->name, name) == 0)
      return all_prf_ids[i];
  fail_msg("unknown PRF %s", name);
  return 0;
}

static uint16_t integ_by_name(const char *name) {
  for (size_t i = 0; i < sizeof all_integ_ids / sizeof all_integ_ids[0]; i++)
    if (strcmp(ike_integ_alg_find(all_integ_ids[i])->name, name) == 0)
      return all_integ_ids[i];
  fail_msg("unknown INTEG %s", name);
  return 0;
}

/* The PRF with the same hash as an INTEG transform (for the full-HMAC field of 2.7.2). */
static uint16_t prf_with_digest_of(uint16_t integ_id) {
  const char *digest = ike_integ_alg_find(integ_id)->digest;
  for (size_t i = 0; i < sizeof all_prf_ids / sizeof all_prf_ids[0]; i++)
    if (strcmp(ike_prf_alg_find(all_prf_ids[i])->digest, digest) == 0)
      return all_prf_ids[i];
  fail_msg("no PRF for %s", digest);
  return 0;
}

static void rfc4868_prf_and_integ_vectors(void **state) {
  (void)state;
  json_t *vectors = vectors_load("ikev2_prf_integ_rfc4868.json");
  size_t prf_checked = 0, integ_checked = 0, i;
  json_t *v;
  json_array_foreach(vectors, i, v) {
    struct vec_bytes key = vec_hex(v, "key"), data = vec_hex(v, "data");
    struct vec_bytes full = vec_hex(v, "prf_output");
    const struct ike_bytes msg = ike_bytes_of(data.ptr, data.len);
    const char *kind = vec_str(v, "kind");
    uint16_t prf_id;
    if (strcmp(kind, "prf") == 0) {
      prf_id = prf_by_name(vec_str(v, "transform"));
      prf_checked++;
    } else {
      uint16_t integ_id = integ_by_name(vec_str(v, "transform"));
      struct vec_bytes icv = vec_hex(v, "icv");
      const struct ike_integ_alg *alg = ike_integ_alg_find(integ_id);
      assert_int_equal(icv.len, alg->icv_len);
      assert_int_equal(vec_int(v, "icv_bits"), 8 * alg->icv_len);
      uint8_t got[IKE_INTEG_MAX_ICV];
      assert_int_equal(
          ike_integ_icv(integ_id, ike_bytes_of(key.ptr, key.len), &msg, 1, got, sizeof got),
          IKE_CRYPTO_OK);
      assert_memory_equal(got, icv.ptr, icv.len);
      vec_bytes_free(&icv);
      prf_id = prf_with_digest_of(integ_id);
      integ_checked++;
    }
    uint8_t out[IKE_PRF_MAX_OUT];
    assert_int_equal(ike_prf(prf_id, ike_bytes_of(key.ptr, key.len), &msg, 1, out, sizeof out),
                     IKE_CRYPTO_OK);
    assert_int_equal(full.len, ike_prf_alg_find(prf_id)->out_len);
    assert_memory_equal(out, full.ptr, full.len);
    vec_bytes_free(&key);
    vec_bytes_free(&data);
    vec_bytes_free(&full);
  }
  assert_int_equal(prf_checked, 18);
  assert_int_equal(integ_checked, 12);
  vectors_free(vectors);
}

/* One CAVP case, decoded. */
struct kdf_case {
  uint16_t prf;
  size_t prf_len;
  struct vec_bytes ni, nr, gir, gir_new, spi_i, spi_r;
  struct vec_bytes skeyseed, dkm, dkm_child, dkm_child_dh, skeyseed_rekey;
};

/* The CAVP file names the PRF by its hash. */
static uint16_t prf_by_cavp_name(const char *name) {
  static const struct {
    const char *cavp;
    uint16_t id;
  } names[] = {{"HMAC-SHA-1", IKE_PRF_HMAC_SHA1},
               {"HMAC-SHA-256", IKE_PRF_HMAC_SHA2_256},
               {"HMAC-SHA-384", IKE_PRF_HMAC_SHA2_384},
               {"HMAC-SHA-512", IKE_PRF_HMAC_SHA2_512}};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(names[i].cavp, name) == 0)
      return names[i].id;
  fail_msg("unknown CAVP PRF %s", name);
  return 0;
}

static struct kdf_case kdf_case_load(const json_t *v) {
  struct kdf_case c = {.prf = prf_by_cavp_name(vec_str(v, "prf"))};
  c.prf_len = ike_prf_alg_find(c.prf)->out_len;
  c.ni = vec_hex(v, "ni");
  c.nr = vec_hex(v, "nr");
  c.gir = vec_hex(v, "gir");
  c.gir_new = vec_hex(v, "gir_new");
  c.spi_i = vec_hex(v, "spi_i");
  c.spi_r = vec_hex(v, "spi_r");
  c.skeyseed = vec_hex(v, "skeyseed");
  c.dkm = vec_hex(v, "dkm");
  c.dkm_child = vec_hex(v, "dkm_child_sa");
  c.dkm_child_dh = vec_hex(v, "dkm_child_sa_dh");
  c.skeyseed_rekey = vec_hex(v, "skeyseed_rekey");
  assert_int_equal(c.ni.len * 8, vec_int(v, "ni_bits"));
  assert_int_equal(c.gir.len * 8, vec_int(v, "gir_bits"));
  assert_int_equal(c.dkm.len * 8, vec_int(v, "dkm_bits"));
  assert_int_equal(c.dkm_child.len * 8, vec_int(v, "dkm_child_bits"));
  assert_int_equal(c.spi_i.len, IKE_SPI_LEN);
  return c;
}

static void kdf_case_free(struct kdf_case *c) {
  struct vec_bytes *all[] = {&c->ni,        &c->nr,           &c->gir,           &c->gir_new,
                             &c->spi_i,     &c->spi_r,        &c->skeyseed,      &c->dkm,
                             &c->dkm_child, &c->dkm_child_dh, &c->skeyseed_rekey};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    vec_bytes_free(all[i]);
}

static struct ike_bytes view(const struct vec_bytes *b) { return ike_bytes_of(b->ptr, b->len); }

static void assert_secret_equal(const struct ike_secret *s, const uint8_t *expected, size_t len) {
  assert_int_equal(s->len, len);
  if (len)
    assert_memory_equal(s->bytes, expected, len);
}

/* The seven SK_* must be consecutive slices of the DKM in RFC 7296 order. */
static int check_sa_key_split(const struct kdf_case *c, const struct ike_secret *skeyseed,
                              struct ike_sa_transforms t) {
  struct ike_sa_key_lengths len;
  assert_int_equal(ike_sa_key_lengths(&t, &len), IKE_CRYPTO_OK);
  if (len.total > c->dkm.len)
    return 0; /* the vector's DKM is shorter than this suite needs */
  struct ike_sa_keys keys = {0};
  assert_int_equal(
      ike_kdf_sa_keys(&t, skeyseed, view(&c->ni), view(&c->nr), c->spi_i.ptr, c->spi_r.ptr, &keys),
      IKE_CRYPTO_OK);
  const struct ike_secret *order[] = {&keys.sk_d,  &keys.sk_ai, &keys.sk_ar, &keys.sk_ei,
                                      &keys.sk_er, &keys.sk_pi, &keys.sk_pr};
  const size_t lens[] = {len.sk_d, len.sk_a, len.sk_a, len.sk_e, len.sk_e, len.sk_p, len.sk_p};
  size_t offset = 0;
  for (size_t i = 0; i < 7; i++) {
    assert_secret_equal(order[i], c->dkm.ptr + offset, lens[i]);
    offset += lens[i];
  }
  ike_sa_keys_free(&keys);
  assert_null(keys.sk_d.bytes);
  return 1;
}

/* ENCR_i | INTEG_i | ENCR_r | INTEG_r must be consecutive slices of the Child KEYMAT. */
static void check_child_key_split(const struct kdf_case *c, const struct ike_secret *sk_d,
                                  const struct ike_bytes *ke, size_t n_ke,
                                  const struct vec_bytes *expected) {
  const struct ike_child_transforms t = {IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128};
  struct ike_child_keys keys = {0};
  assert_int_equal(
      ike_kdf_child_keys(c->prf, sk_d, &t, ke, n_ke, view(&c->ni), view(&c->nr), &keys),
      IKE_CRYPTO_OK);
  assert_true(expected->len >= 128);
  assert_secret_equal(&keys.encr_i, expected->ptr, 32);
  assert_secret_equal(&keys.integ_i, expected->ptr + 32, 32);
  assert_secret_equal(&keys.encr_r, expected->ptr + 64, 32);
  assert_secret_equal(&keys.integ_r, expected->ptr + 96, 32);
  ike_child_keys_free(&keys);
}

static int check_kdf_case(const struct kdf_case *c) {
  struct ike_secret skeyseed = {0};
  assert_int_equal(ike_kdf_skeyseed(c->prf, view(&c->ni), view(&c->nr), view(&c->gir), &skeyseed),
                   IKE_CRYPTO_OK);
  assert_secret_equal(&skeyseed, c->skeyseed.ptr, c->skeyseed.len);

  const struct ike_bytes seed[] = {view(&c->ni), view(&c->nr), view(&c->spi_i), view(&c->spi_r)};
  uint8_t *dkm = malloc(c->dkm.len);
  assert_int_equal(ike_prf_plus(c->prf, ike_secret_view(&skeyseed), seed, 4, dkm, c->dkm.len),
                   IKE_CRYPTO_OK);
  assert_memory_equal(dkm, c->dkm.ptr, c->dkm.len);
  free(dkm);

  /* SK_d = the first PRF-output-length octets of the DKM. */
  struct ike_secret sk_d = {0};
  assert_int_equal(ike_secret_copy(&sk_d, c->dkm.ptr, c->prf_len), IKE_CRYPTO_OK);
  const struct ike_bytes g_ir_new = view(&c->gir_new);

  struct ike_secret keymat = {0};
  assert_int_equal(ike_kdf_child_keymat(c->prf, &sk_d, NULL, 0, view(&c->ni), view(&c->nr),
                                        c->dkm_child.len, &keymat),
                   IKE_CRYPTO_OK);
  assert_secret_equal(&keymat, c->dkm_child.ptr, c->dkm_child.len);
  ike_secret_free(&keymat);

  assert_int_equal(ike_kdf_child_keymat(c->prf, &sk_d, &g_ir_new, 1, view(&c->ni), view(&c->nr),
                                        c->dkm_child_dh.len, &keymat),
                   IKE_CRYPTO_OK);
  assert_secret_equal(&keymat, c->dkm_child_dh.ptr, c->dkm_child_dh.len);
  ike_secret_free(&keymat);

  check_child_key_split(c, &sk_d, NULL, 0, &c->dkm_child);
  check_child_key_split(c, &sk_d, &g_ir_new, 1, &c->dkm_child_dh);

  struct ike_secret rekeyed = {0};
  assert_int_equal(
      ike_kdf_rekey_skeyseed(c->prf, &sk_d, &g_ir_new, 1, view(&c->ni), view(&c->nr), &rekeyed),
      IKE_CRYPTO_OK);
  assert_secret_equal(&rekeyed, c->skeyseed_rekey.ptr, c->skeyseed_rekey.len);
  ike_secret_free(&rekeyed);

  int splits = check_sa_key_split(
                   c, &skeyseed,
                   (struct ike_sa_transforms){IKE_ENCR_AES_GCM_16, 256, c->prf, IKE_INTEG_NONE}) +
               check_sa_key_split(c, &skeyseed,
                                  (struct ike_sa_transforms){IKE_ENCR_AES_CBC, 128, c->prf,
                                                             IKE_INTEG_HMAC_SHA2_256_128});
  ike_secret_free(&sk_d);
  ike_secret_free(&skeyseed);
  return splits;
}

static void cavp_ikev2_kdf_vectors(void **state) {
  (void)state;
  json_t *vectors = vectors_load("ikev2_kdf_cavp.json");
  size_t checked = 0, splits = 0, i;
  json_t *v;
  json_array_foreach(vectors, i, v) {
    struct kdf_case c = kdf_case_load(v);
    splits += (size_t)check_kdf_case(&c);
    kdf_case_free(&c);
    checked++;
  }
  assert_int_equal(checked, 40);
  /* Splits that fit the vectors' DKM: both suites for the 19 cases with a 3072-bit DKM, the
   * AES-GCM-256 suite for the 3 SHA-1 cases with a 1056-bit DKM. */
  assert_int_equal(splits, 19 * 2 + 3);
  vectors_free(vectors);
}

/* prf+ built by hand from prf: T1 = prf(K, S | 1), T2 = prf(K, T1 | S | 2), ... */
static void prf_plus_matches_its_definition(void **state) {
  (void)state;
  const uint8_t key[] = "prf+ key", s1[] = "seed-part-one", s2[] = "two";
  const struct ike_bytes seed[] = {ike_bytes_of(s1, sizeof s1 - 1), ike_bytes_of(s2, 3)};
  for (size_t p = 0; p < sizeof all_prf_ids / sizeof all_prf_ids[0]; p++) {
    uint16_t id = all_prf_ids[p];
    size_t out_len = ike_prf_alg_find(id)->out_len;
    uint8_t expected[3 * IKE_PRF_MAX_OUT], got[3 * IKE_PRF_MAX_OUT];
    for (uint8_t n = 1; n <= 3; n++) {
      const uint8_t counter[1] = {n};
      uint8_t *block = expected + (n - 1) * out_len;
      const struct ike_bytes previous =
          ike_bytes_of(n > 1 ? block - out_len : NULL, n > 1 ? out_len : 0);
      const struct ike_bytes parts[] = {previous, seed[0], seed[1], ike_bytes_of(counter, 1)};
      assert_int_equal(ike_prf(id, ike_bytes_of(key, sizeof key - 1), parts, 4, block, out_len),
                       IKE_CRYPTO_OK);
    }
    size_t partial = 2 * out_len + 5; /* the last block is cut short */
    assert_int_equal(ike_prf_plus(id, ike_bytes_of(key, sizeof key - 1), seed, 2, got, partial),
                     IKE_CRYPTO_OK);
    assert_memory_equal(got, expected, partial);
  }
}

static void prf_plus_refuses_more_than_255_blocks(void **state) {
  (void)state;
  const uint8_t key[32] = {1};
  const struct ike_bytes seed = ike_bytes_of("s", 1);
  size_t max = 255 * 32;
  uint8_t *out = malloc(max + 1);
  assert_int_equal(ike_prf_plus(IKE_PRF_HMAC_SHA2_256, ike_bytes_of(key, 32), &seed, 1, out, max),
                   IKE_CRYPTO_OK);
  assert_int_equal(
      ike_prf_plus(IKE_PRF_HMAC_SHA2_256, ike_bytes_of(key, 32), &seed, 1, out, max + 1),
      IKE_CRYPTO_E_TOO_LONG);
  assert_int_equal(ike_prf_plus(1 /* HMAC-MD5 */, ike_bytes_of(key, 32), &seed, 1, out, 16),
                   IKE_CRYPTO_E_UNSUPPORTED);
  free(out);
}

static void key_lengths_follow_transforms(void **state) {
  (void)state;
  struct ike_sa_key_lengths len;
  const struct ike_sa_transforms gcm256 = {IKE_ENCR_AES_GCM_16, 256, IKE_PRF_HMAC_SHA2_384, 0};
  assert_int_equal(ike_sa_key_lengths(&gcm256, &len), IKE_CRYPTO_OK);
  assert_int_equal(len.sk_d, 48);
  assert_int_equal(len.sk_a, 0);  /* AEAD: no integrity keys */
  assert_int_equal(len.sk_e, 36); /* key + 4-octet salt */
  assert_int_equal(len.sk_p, 48);
  assert_int_equal(len.total, 48 + 2 * (36 + 48));

  const struct ike_sa_transforms cbc = {IKE_ENCR_AES_CBC, 128, IKE_PRF_HMAC_SHA2_256,
                                        IKE_INTEG_HMAC_SHA2_512_256};
  assert_int_equal(ike_sa_key_lengths(&cbc, &len), IKE_CRYPTO_OK);
  assert_int_equal(len.sk_a, 64);
  assert_int_equal(len.sk_e, 16);

  const struct ike_sa_transforms chacha = {IKE_ENCR_CHACHA20_POLY1305, 0, IKE_PRF_HMAC_SHA2_256, 0};
  assert_int_equal(ike_sa_key_lengths(&chacha, &len), IKE_CRYPTO_OK);
  assert_int_equal(len.sk_e, 36);

  size_t half;
  const struct ike_child_transforms esp_gcm128 = {IKE_ENCR_AES_GCM_16, 128, 0};
  assert_int_equal(ike_child_keymat_half_len(&esp_gcm128, &half), IKE_CRYPTO_OK);
  assert_int_equal(half, 20);
  const struct ike_child_transforms esp_cbc = {IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128};
  assert_int_equal(ike_child_keymat_half_len(&esp_cbc, &half), IKE_CRYPTO_OK);
  assert_int_equal(half, 64);
}

static void invalid_transform_combinations_are_refused(void **state) {
  (void)state;
  struct ike_sa_key_lengths len;
  const struct ike_sa_transforms bad[] = {
      {IKE_ENCR_AES_GCM_16, 128, IKE_PRF_HMAC_SHA2_256, IKE_INTEG_HMAC_SHA2_256_128},
      {IKE_ENCR_AES_CBC, 128, IKE_PRF_HMAC_SHA2_256, IKE_INTEG_NONE},
  };
  for (size_t i = 0; i < 2; i++)
    assert_int_equal(ike_sa_key_lengths(&bad[i], &len), IKE_CRYPTO_E_INVALID_ARG);
  const struct ike_sa_transforms unsupported[] = {
      {IKE_ENCR_AES_CBC, 0, IKE_PRF_HMAC_SHA2_256, IKE_INTEG_HMAC_SHA2_256_128}, /* no key len */
      {IKE_ENCR_CHACHA20_POLY1305, 256, IKE_PRF_HMAC_SHA2_256, 0}, /* must not carry one */
      {IKE_ENCR_AES_GCM_16, 128, 1 /* HMAC-MD5 */, 0},
      {3 /* 3DES */, 0, IKE_PRF_HMAC_SHA2_256, IKE_INTEG_HMAC_SHA2_256_128},
      {IKE_ENCR_AES_CBC, 128, IKE_PRF_HMAC_SHA2_256, 2 /* HMAC-SHA1-96 */},
  };
  for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++)
    assert_int_equal(ike_sa_key_lengths(&unsupported[i], &len), IKE_CRYPTO_E_UNSUPPORTED);
}

static void rekey_without_fresh_key_exchange_is_refused(void **state) {
  (void)state;
  struct ike_secret sk_d = {0}, out = {0};
  assert_int_equal(ike_secret_copy(&sk_d, "0123456789abcdef0123456789abcdef", 32), IKE_CRYPTO_OK);
  const struct ike_bytes ni = ike_bytes_of("nonce-i-nonce-i-", 16);
  const struct ike_bytes nr = ike_bytes_of("nonce-r-nonce-r-", 16);
  assert_int_equal(ike_kdf_rekey_skeyseed(IKE_PRF_HMAC_SHA2_256, &sk_d, NULL, 0, ni, nr, &out),
                   IKE_CRYPTO_E_INVALID_ARG);
  const struct ike_bytes empty = {NULL, 0};
  assert_int_equal(ike_kdf_rekey_skeyseed(IKE_PRF_HMAC_SHA2_256, &sk_d, &empty, 1, ni, nr, &out),
                   IKE_CRYPTO_E_INVALID_ARG);
  assert_null(out.bytes);
  ike_secret_free(&sk_d);
}

/* RFC 9370: KEYMAT = prf+(SK_d, SK(0) | Ni | Nr | SK(1) | ... ). */
static void additional_key_exchange_secrets_follow_the_nonces(void **state) {
  (void)state;
  struct ike_secret sk_d = {0}, keymat = {0};
  assert_int_equal(ike_secret_copy(&sk_d, "0123456789abcdef0123456789abcdef", 32), IKE_CRYPTO_OK);
  const struct ike_bytes ni = ike_bytes_of("NI", 2), nr = ike_bytes_of("NR", 2);
  const struct ike_bytes secrets[] = {ike_bytes_of("SK0", 3), ike_bytes_of("SK1", 3)};
  assert_int_equal(
      ike_kdf_child_keymat(IKE_PRF_HMAC_SHA2_256, &sk_d, secrets, 2, ni, nr, 72, &keymat),
      IKE_CRYPTO_OK);
  const struct ike_bytes seed = ike_bytes_of("SK0NINRSK1", 10);
  uint8_t expected[72];
  assert_int_equal(
      ike_prf_plus(IKE_PRF_HMAC_SHA2_256, ike_secret_view(&sk_d), &seed, 1, expected, 72),
      IKE_CRYPTO_OK);
  assert_secret_equal(&keymat, expected, 72);
  ike_secret_free(&keymat);
  ike_secret_free(&sk_d);
}

static void secrets_are_emptied_on_free(void **state) {
  (void)state;
  struct ike_secret s = {0};
  assert_int_equal(ike_secret_copy(&s, "key!", 4), IKE_CRYPTO_OK);
  assert_int_equal(s.len, 4);
  assert_memory_equal(s.bytes, "key!", 4);
  ike_secret_free(&s);
  assert_null(s.bytes);
  assert_int_equal(s.len, 0);
  ike_secret_free(&s); /* twice is harmless */
  ike_secret_free(NULL);
  assert_int_equal(ike_secret_alloc(&s, 0), IKE_CRYPTO_OK);
  assert_null(s.bytes);
  assert_int_equal(ike_secret_copy(&s, NULL, 3), IKE_CRYPTO_E_INVALID_ARG);
}

static void every_status_has_a_distinct_text(void **state) {
  (void)state;
  for (int a = IKE_CRYPTO_OK; a <= IKE_CRYPTO_E_LIBCRYPTO; a++) {
    assert_non_null(ike_crypto_strerror(a));
    for (int b = a + 1; b <= IKE_CRYPTO_E_LIBCRYPTO; b++)
      assert_string_not_equal(ike_crypto_strerror(a), ike_crypto_strerror(b));
  }
  assert_string_equal(ike_crypto_strerror(999), "unknown crypto status");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(rfc4868_prf_and_integ_vectors),
      cmocka_unit_test(cavp_ikev2_kdf_vectors),
      cmocka_unit_test(prf_plus_matches_its_definition),
      cmocka_unit_test(prf_plus_refuses_more_than_255_blocks),
      cmocka_unit_test(key_lengths_follow_transforms),
      cmocka_unit_test(invalid_transform_combinations_are_refused),
      cmocka_unit_test(rekey_without_fresh_key_exchange_is_refused),
      cmocka_unit_test(additional_key_exchange_secrets_follow_the_nonces),
      cmocka_unit_test(secrets_are_emptied_on_free),
      cmocka_unit_test(every_status_has_a_distinct_text),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
