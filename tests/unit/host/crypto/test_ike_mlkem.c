/* ML-KEM-768 as an IKEv2 key exchange method (built only with OpenSSL >= 3.5):
 *  - NIST ACVP ML-KEM keyGen: the seed d | z and the decapsulation key both give the ACVP ek;
 *  - NIST ACVP encapDecap: decapsulation of every ACVP ciphertext (valid and modified, i.e.
 *    implicit rejection) gives the ACVP k; our own encapsulation to the ACVP ek decapsulates
 *    back with the ACVP dk;
 *  - encapsulation keys failing the FIPS 203 modulus check are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ike_crypto.h"
#include "vectors.h"

static struct ike_bytes view(const struct vec_bytes *b) { return ike_bytes_of(b->ptr, b->len); }

static bool is_768(const json_t *v) {
  return strcmp(vec_str(v, "parameter_set"), "ML-KEM-768") == 0;
}

static void assert_public_value(const struct ike_ke *ke, const struct vec_bytes *expected) {
  uint8_t pub[IKE_KE_MAX_PUBLIC];
  size_t len = 0;
  assert_int_equal(ike_ke_public_value(ke, pub, sizeof pub, &len), IKE_CRYPTO_OK);
  assert_int_equal(len, expected->len);
  assert_memory_equal(pub, expected->ptr, len);
}

static void acvp_keygen_from_seed_and_from_dk(void **state) {
  (void)state;
  json_t *vectors = vectors_load("mlkem_keygen_acvp.json");
  size_t checked = 0, i;
  json_t *v;
  json_array_foreach(vectors, i, v) {
    if (!is_768(v))
      continue;
    struct vec_bytes d = vec_hex(v, "d"), z = vec_hex(v, "z");
    struct vec_bytes ek = vec_hex(v, "ek"), dk = vec_hex(v, "dk");
    uint8_t seed[64];
    memcpy(seed, d.ptr, 32);
    memcpy(seed + 32, z.ptr, 32);
    struct ike_ke *from_seed = NULL, *from_dk = NULL;
    assert_int_equal(ike_ke_import_private(IKE_KE_ML_KEM_768, ike_bytes_of(seed, 64),
                                           ike_bytes_of(NULL, 0), &from_seed),
                     IKE_CRYPTO_OK);
    assert_public_value(from_seed, &ek);
    assert_int_equal(ike_ke_import_private(IKE_KE_ML_KEM_768, view(&dk), view(&ek), &from_dk),
                     IKE_CRYPTO_OK);
    assert_public_value(from_dk, &ek);
    ike_ke_free(from_seed);
    ike_ke_free(from_dk);
    struct vec_bytes *all[] = {&d, &z, &ek, &dk};
    for (size_t k = 0; k < 4; k++)
      vec_bytes_free(all[k]);
    checked++;
  }
  assert_int_equal(checked, 5);
  vectors_free(vectors);
}

static void assert_decapsulates(const struct vec_bytes *dk, struct ike_bytes c,
                                const uint8_t *expected) {
  struct ike_ke *ke = NULL;
  assert_int_equal(ike_ke_import_private(IKE_KE_ML_KEM_768, ike_bytes_of(dk->ptr, dk->len),
                                         ike_bytes_of(NULL, 0), &ke),
                   IKE_CRYPTO_OK);
  struct ike_secret shared = {0};
  assert_int_equal(ike_ke_finish(ke, c, &shared), IKE_CRYPTO_OK);
  assert_int_equal(shared.len, 32);
  assert_memory_equal(shared.bytes, expected, 32);
  ike_secret_free(&shared);
  ike_ke_free(ke);
}

/* The responder side through our API: encapsulate to the ACVP ek, decapsulate with its dk. */
static void check_own_encapsulation(const struct vec_bytes *ek, const struct vec_bytes *dk) {
  struct ike_ke *responder = NULL;
  struct ike_secret shared = {0};
  assert_int_equal(ike_ke_respond(IKE_KE_ML_KEM_768, view(ek), &responder, &shared), IKE_CRYPTO_OK);
  uint8_t ct[IKE_KE_MAX_PUBLIC];
  size_t ct_len = 0;
  assert_int_equal(ike_ke_public_value(responder, ct, sizeof ct, &ct_len), IKE_CRYPTO_OK);
  assert_int_equal(ct_len, 1088);
  assert_decapsulates(dk, ike_bytes_of(ct, ct_len), shared.bytes);
  /* A responder holds no decapsulation key. */
  struct ike_secret again = {0};
  assert_int_equal(ike_ke_finish(responder, ike_bytes_of(ct, ct_len), &again),
                   IKE_CRYPTO_E_INVALID_ARG);
  ike_secret_free(&shared);
  ike_ke_free(responder);
}

static void acvp_encapsulation_and_decapsulation(void **state) {
  (void)state;
  json_t *vectors = vectors_load("mlkem_encapdecap_acvp.json");
  size_t encaps = 0, decaps = 0, rejected = 0, i;
  json_t *v;
  json_array_foreach(vectors, i, v) {
    if (!is_768(v))
      continue;
    struct vec_bytes dk = vec_hex(v, "dk"), c = vec_hex(v, "c"), k = vec_hex(v, "k");
    assert_decapsulates(&dk, view(&c), k.ptr);
    if (strcmp(vec_str(v, "function"), "encapsulation") == 0) {
      struct vec_bytes ek = vec_hex(v, "ek");
      check_own_encapsulation(&ek, &dk);
      vec_bytes_free(&ek);
      encaps++;
    } else {
      decaps++;
      rejected += strcmp(vec_str(v, "reason"), "modified ciphertext") == 0;
    }
    vec_bytes_free(&dk);
    vec_bytes_free(&c);
    vec_bytes_free(&k);
  }
  assert_int_equal(encaps, 5);
  assert_int_equal(decaps, 4);
  assert_int_equal(rejected, 2); /* implicit rejection gives the ACVP pseudo-random k */
  vectors_free(vectors);
}

static void encapsulation_keys_failing_the_modulus_check_are_refused(void **state) {
  (void)state;
  json_t *vectors = vectors_load("mlkem_keygen_acvp.json");
  const json_t *v = json_array_get(vectors, 5);
  assert_true(is_768(v));
  struct vec_bytes ek = vec_hex(v, "ek");
  assert_int_equal(ike_ke_check_peer(IKE_KE_ML_KEM_768, true, view(&ek)), IKE_CRYPTO_OK);
  /* The first 12-bit coefficient becomes 0xfff = 4095 >= q = 3329. */
  ek.ptr[0] = 0xff;
  ek.ptr[1] |= 0x0f;
  assert_int_equal(ike_ke_check_peer(IKE_KE_ML_KEM_768, true, view(&ek)),
                   IKE_CRYPTO_E_INVALID_PUBLIC);
  struct ike_ke *responder = NULL;
  struct ike_secret shared = {0};
  assert_int_equal(ike_ke_respond(IKE_KE_ML_KEM_768, view(&ek), &responder, &shared),
                   IKE_CRYPTO_E_INVALID_PUBLIC);
  assert_null(responder);
  assert_null(shared.bytes);
  /* Any 1088-octet ciphertext is acceptable to the initiator (implicit rejection). */
  assert_int_equal(ike_ke_check_peer(IKE_KE_ML_KEM_768, false, ike_bytes_of(ek.ptr, 1088)),
                   IKE_CRYPTO_OK);
  vec_bytes_free(&ek);
  vectors_free(vectors);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(acvp_keygen_from_seed_and_from_dk),
      cmocka_unit_test(acvp_encapsulation_and_decapsulation),
      cmocka_unit_test(encapsulation_keys_failing_the_modulus_check_are_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
