/* SK payload protection tests:
 *  - RFC 7634 IKEv2 example (ChaCha20-Poly1305 SK payload), sealed and opened byte for byte;
 *  - RFC 8439 2.8.2 / A.5 and draft-mcgrew-gcm-test-01 AES-GCM cases opened through the SK path
 *    (same nonce = salt | IV construction as RFC 5282 / RFC 7634);
 *  - AES-CBC + HMAC checked against an independent OpenSSL construction of RFC 7296 3.14;
 *  - round trips, tampering, bad lengths and bad padding for every transform. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ike_crypto.h"
#include "sk_internal.h"
#include "vectors.h"

struct suite {
  uint16_t encr, key_bits, integ;
};

static const struct suite suites[] = {
    {IKE_ENCR_AES_GCM_16, 128, IKE_INTEG_NONE},
    {IKE_ENCR_AES_GCM_16, 192, IKE_INTEG_NONE},
    {IKE_ENCR_AES_GCM_16, 256, IKE_INTEG_NONE},
    {IKE_ENCR_CHACHA20_POLY1305, 0, IKE_INTEG_NONE},
    {IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA2_256_128},
    {IKE_ENCR_AES_CBC, 192, IKE_INTEG_HMAC_SHA2_384_192},
    {IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_512_256},
    {IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128},
};
#define N_SUITES (sizeof suites / sizeof suites[0])

/* A stand-in IKE header + SK payload header (28 + 4 octets); only its bytes matter here. */
static const uint8_t test_aad[32] = {
    0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00,
    0x2e, 0x20, 0x25, 0x08, 0,    0,    0,    7,    0,    0,    0,    0x60, 0x29, 0,    0,    0x44};

static struct ike_bytes view(const struct vec_bytes *b) { return ike_bytes_of(b->ptr, b->len); }

struct keys {
  uint8_t e[36], a[64];
  size_t e_len, a_len;
};

static struct keys suite_keys(const struct suite *s, uint8_t seed) {
  struct keys k;
  const struct ike_encr_alg *e = ike_encr_alg_find(s->encr, s->key_bits);
  const struct ike_integ_alg *i = ike_integ_alg_find(s->integ);
  assert_non_null(e);
  k.e_len = ike_encr_keymat_len(e);
  k.a_len = i ? i->key_len : 0;
  for (size_t n = 0; n < sizeof k.e; n++)
    k.e[n] = (uint8_t)(seed + 3 * n);
  for (size_t n = 0; n < sizeof k.a; n++)
    k.a[n] = (uint8_t)(seed ^ (7 * n + 1));
  return k;
}

static struct ike_sk_cipher *make_cipher(const struct suite *s, const struct keys *k,
                                         enum ike_sk_role role) {
  struct ike_sk_cipher *c = NULL;
  assert_int_equal(ike_sk_cipher_new(s->encr, s->key_bits, s->integ, ike_bytes_of(k->e, k->e_len),
                                     ike_bytes_of(k->a, k->a_len), role, &c),
                   IKE_CRYPTO_OK);
  return c;
}

static struct ike_sk_cipher *aead_opener(uint16_t encr, uint16_t bits, struct ike_bytes keymat) {
  struct ike_sk_cipher *c = NULL;
  assert_int_equal(
      ike_sk_cipher_new(encr, bits, IKE_INTEG_NONE, keymat, ike_bytes_of(NULL, 0), IKE_SK_OPEN, &c),
      IKE_CRYPTO_OK);
  return c;
}

static void rfc7634_ikev2_sk_example(void **state) {
  (void)state;
  json_t *vectors = vectors_load("chacha20poly1305_rfc.json");
  const json_t *v = json_array_get(vectors, 3);
  assert_int_equal(vec_int(v, "id"), 4);
  struct vec_bytes keymat = vec_hex(v, "keymat"), iv = vec_hex(v, "iv");
  struct vec_bytes aad = vec_hex(v, "aad"), plaintext = vec_hex(v, "plaintext");
  struct vec_bytes message = vec_hex(v, "ike_message");
  struct ike_sk_cipher *sealer = NULL;
  assert_int_equal(ike_sk_cipher_new(IKE_ENCR_CHACHA20_POLY1305, 0, IKE_INTEG_NONE, view(&keymat),
                                     ike_bytes_of(NULL, 0), IKE_SK_SEAL, &sealer),
                   IKE_CRYPTO_OK);
  /* The example's plaintext is 12 octets of inner payload plus a Pad Length of 0. */
  assert_int_equal(plaintext.ptr[plaintext.len - 1], 0);
  const struct ike_bytes inner = ike_bytes_of(plaintext.ptr, plaintext.len - 1);
  const struct ike_bytes body = ike_bytes_of(message.ptr + aad.len, message.len - aad.len);
  uint8_t sealed[128];
  size_t sealed_len = 0;
  assert_int_equal(ike_sk_body_len(sealer, inner.len), body.len);
  assert_int_equal(
      ike_sk_seal_with_iv(sealer, view(&aad), inner, view(&iv), sealed, sizeof sealed, &sealed_len),
      IKE_CRYPTO_OK);
  assert_int_equal(sealed_len, body.len);
  assert_memory_equal(sealed, body.ptr, body.len);

  struct ike_sk_cipher *opener = aead_opener(IKE_ENCR_CHACHA20_POLY1305, 0, view(&keymat));
  uint8_t out[128];
  size_t inner_len = 0;
  assert_int_equal(ike_sk_open_body(opener, view(&aad), body, out, sizeof out, &inner_len),
                   IKE_CRYPTO_OK);
  assert_int_equal(inner_len, inner.len);
  assert_memory_equal(out, inner.ptr, inner.len);
  ike_sk_cipher_free(sealer);
  ike_sk_cipher_free(opener);
  struct vec_bytes *all[] = {&keymat, &iv, &aad, &plaintext, &message};
  for (size_t i = 0; i < 5; i++)
    vec_bytes_free(all[i]);
  vectors_free(vectors);
}

/* Opens an AEAD vector given as key, nonce = salt | IV, aad, ciphertext, tag, plaintext; the
 * whole plaintext is returned (its last octet read as Pad Length). */
static void open_aead_vector(uint16_t encr, uint16_t bits, const json_t *v, const char *nonce_field,
                             const char *tag_field) {
  struct vec_bytes key = vec_hex(v, "key"), nonce = vec_hex(v, nonce_field);
  struct vec_bytes aad = vec_hex(v, "aad"), ct = vec_hex(v, "ciphertext");
  struct vec_bytes tag = vec_hex(v, tag_field), pt = vec_hex(v, "plaintext");
  assert_int_equal(nonce.len, 12);
  uint8_t keymat[36];
  memcpy(keymat, key.ptr, key.len);
  memcpy(keymat + key.len, nonce.ptr, 4);
  struct ike_sk_cipher *opener = aead_opener(encr, bits, ike_bytes_of(keymat, key.len + 4));
  uint8_t *out = malloc(ct.len);
  size_t inner_len = 0;
  assert_int_equal(ike_sk_open(opener, view(&aad), ike_bytes_of(nonce.ptr + 4, 8), view(&ct),
                               view(&tag), out, ct.len, &inner_len),
                   IKE_CRYPTO_OK);
  assert_memory_equal(out, pt.ptr, pt.len);
  assert_int_equal(inner_len, pt.len - 1 - pt.ptr[pt.len - 1]);
  free(out);
  ike_sk_cipher_free(opener);
  struct vec_bytes *all[] = {&key, &nonce, &aad, &ct, &tag, &pt};
  for (size_t i = 0; i < 6; i++)
    vec_bytes_free(all[i]);
}

static void rfc8439_aead_vectors_open(void **state) {
  (void)state;
  json_t *vectors = vectors_load("chacha20poly1305_rfc.json");
  for (size_t i = 0; i < 2; i++)
    open_aead_vector(IKE_ENCR_CHACHA20_POLY1305, 0, json_array_get(vectors, i), "nonce", "tag");
  vectors_free(vectors);
}

static void mcgrew_aes_gcm_vectors_open(void **state) {
  (void)state;
  json_t *vectors = vectors_load("esp_aes_gcm_mcgrew.json");
  size_t opened = 0, i;
  json_t *v;
  json_array_foreach(vectors, i, v) {
    if (strcmp(vec_str(v, "algorithm"), "AES-GCM-ESP") != 0)
      continue; /* the GMAC case has no ciphertext */
    open_aead_vector(IKE_ENCR_AES_GCM_16, (uint16_t)vec_int(v, "key_bits"), v, "nonce", "icv");
    opened++;
  }
  assert_int_equal(opened, 16);
  vectors_free(vectors);
}

/* RFC 7296 3.14 rebuilt with plain OpenSSL calls: decrypt with AES-CBC (no PKCS#7) and HMAC
 * the message up to the ICV. */
static void check_cbc_body(const struct suite *s, const struct keys *k, const uint8_t *body,
                           size_t body_len, const uint8_t *inner, size_t inner_len) {
  const struct ike_integ_alg *integ = ike_integ_alg_find(s->integ);
  size_t ct_len = body_len - 16 - integ->icv_len;
  assert_int_equal(ct_len % 16, 0);
  assert_int_equal(ct_len, (inner_len + 1 + 15) / 16 * 16); /* minimal padding */
  uint8_t plain[1100];
  int outl = 0, finl = 0;
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  const EVP_CIPHER *cipher = s->key_bits == 128   ? EVP_aes_128_cbc()
                             : s->key_bits == 192 ? EVP_aes_192_cbc()
                                                  : EVP_aes_256_cbc();
  assert_true(EVP_DecryptInit_ex(ctx, cipher, NULL, k->e, body));
  EVP_CIPHER_CTX_set_padding(ctx, 0);
  assert_true(EVP_DecryptUpdate(ctx, plain, &outl, body + 16, (int)ct_len));
  assert_true(EVP_DecryptFinal_ex(ctx, plain + outl, &finl));
  EVP_CIPHER_CTX_free(ctx);
  assert_memory_equal(plain, inner, inner_len);
  assert_int_equal(plain[ct_len - 1], ct_len - inner_len - 1);
  uint8_t mac_input[1300], mac[64];
  unsigned mac_len = 0;
  memcpy(mac_input, test_aad, sizeof test_aad);
  memcpy(mac_input + sizeof test_aad, body, 16 + ct_len);
  const EVP_MD *md = integ->icv_len == 16   ? EVP_sha256()
                     : integ->icv_len == 24 ? EVP_sha384()
                                            : EVP_sha512();
  assert_non_null(
      HMAC(md, k->a, (int)k->a_len, mac_input, sizeof test_aad + 16 + ct_len, mac, &mac_len));
  assert_memory_equal(body + 16 + ct_len, mac, integ->icv_len);
}

static void cbc_matches_independent_construction(void **state) {
  (void)state;
  uint8_t inner[1000], body[1100];
  for (size_t n = 0; n < sizeof inner; n++)
    inner[n] = (uint8_t)(n * 13);
  const size_t lengths[] = {0, 1, 14, 15, 16, 17, 31, 32, 1000};
  for (size_t s = 0; s < N_SUITES; s++) {
    if (suites[s].encr != IKE_ENCR_AES_CBC)
      continue;
    struct keys k = suite_keys(&suites[s], (uint8_t)s);
    struct ike_sk_cipher *sealer = make_cipher(&suites[s], &k, IKE_SK_SEAL);
    for (size_t l = 0; l < sizeof lengths / sizeof lengths[0]; l++) {
      size_t body_len = 0;
      assert_int_equal(ike_sk_seal(sealer, ike_bytes_of(test_aad, sizeof test_aad),
                                   ike_bytes_of(inner, lengths[l]), body, sizeof body, &body_len),
                       IKE_CRYPTO_OK);
      assert_int_equal(body_len, ike_sk_body_len(sealer, lengths[l]));
      check_cbc_body(&suites[s], &k, body, body_len, inner, lengths[l]);
    }
    ike_sk_cipher_free(sealer);
  }
}

static void every_suite_round_trips(void **state) {
  (void)state;
  uint8_t inner[300], body[400], out[400];
  for (size_t n = 0; n < sizeof inner; n++)
    inner[n] = (uint8_t)(n ^ 0x5a);
  for (size_t s = 0; s < N_SUITES; s++) {
    struct keys k = suite_keys(&suites[s], (uint8_t)(s + 40));
    struct ike_sk_cipher *sealer = make_cipher(&suites[s], &k, IKE_SK_SEAL);
    struct ike_sk_cipher *opener = make_cipher(&suites[s], &k, IKE_SK_OPEN);
    uint8_t previous_iv[16] = {0};
    for (size_t len = 0; len <= sizeof inner; len += (len < 40 ? 1 : 37)) {
      size_t body_len = 0, inner_len = 0;
      assert_int_equal(ike_sk_seal(sealer, ike_bytes_of(test_aad, sizeof test_aad),
                                   ike_bytes_of(inner, len), body, sizeof body, &body_len),
                       IKE_CRYPTO_OK);
      size_t iv_len = ike_sk_iv_len(sealer);
      assert_memory_not_equal(body, previous_iv, iv_len); /* a fresh IV every message */
      memcpy(previous_iv, body, iv_len);
      assert_int_equal(ike_sk_open_body(opener, ike_bytes_of(test_aad, sizeof test_aad),
                                        ike_bytes_of(body, body_len), out, sizeof out, &inner_len),
                       IKE_CRYPTO_OK);
      assert_int_equal(inner_len, len);
      if (len)
        assert_memory_equal(out, inner, len);
    }
    ike_sk_cipher_free(sealer);
    ike_sk_cipher_free(opener);
  }
}

/* Decrypting in place (out == ciphertext) and sealing from inside the body both work. */
static void in_place_seal_and_open(void **state) {
  (void)state;
  for (size_t s = 0; s < N_SUITES; s++) {
    struct keys k = suite_keys(&suites[s], (uint8_t)(s + 80));
    struct ike_sk_cipher *sealer = make_cipher(&suites[s], &k, IKE_SK_SEAL);
    struct ike_sk_cipher *opener = make_cipher(&suites[s], &k, IKE_SK_OPEN);
    uint8_t body[200];
    const char *text = "inner payload chain, sealed where it lies";
    size_t len = strlen(text), body_len = 0, inner_len = 0;
    memcpy(body, text, len);
    assert_int_equal(ike_sk_seal(sealer, ike_bytes_of(test_aad, 32), ike_bytes_of(body, len), body,
                                 sizeof body, &body_len),
                     IKE_CRYPTO_OK);
    struct ike_bytes iv, ct, icv;
    assert_int_equal(ike_sk_split_body(opener, ike_bytes_of(body, body_len), &iv, &ct, &icv),
                     IKE_CRYPTO_OK);
    uint8_t *ct_inplace = body + iv.len;
    assert_int_equal(ike_sk_open(opener, ike_bytes_of(test_aad, 32), iv, ct, icv, ct_inplace,
                                 ct.len, &inner_len),
                     IKE_CRYPTO_OK);
    assert_int_equal(inner_len, len);
    assert_memory_equal(ct_inplace, text, len);
    ike_sk_cipher_free(sealer);
    ike_sk_cipher_free(opener);
  }
}

/* Every flipped bit anywhere in the authenticated range must be caught, and the output buffer
 * must not hold plaintext afterwards. */
static void tampering_is_detected_everywhere(void **state) {
  (void)state;
  uint8_t inner[40], body[160], out[160], aad[32];
  memset(inner, 'P', sizeof inner);
  for (size_t s = 0; s < N_SUITES; s++) {
    struct keys k = suite_keys(&suites[s], (uint8_t)(s + 120));
    struct ike_sk_cipher *sealer = make_cipher(&suites[s], &k, IKE_SK_SEAL);
    struct ike_sk_cipher *opener = make_cipher(&suites[s], &k, IKE_SK_OPEN);
    size_t body_len = 0, inner_len = 0;
    assert_int_equal(ike_sk_seal(sealer, ike_bytes_of(test_aad, 32), ike_bytes_of(inner, 40), body,
                                 sizeof body, &body_len),
                     IKE_CRYPTO_OK);
    for (size_t bit = 0; bit < 8 * (32 + body_len); bit += 3) {
      memcpy(aad, test_aad, 32);
      uint8_t *target = bit < 256 ? &aad[bit / 8] : &body[bit / 8 - 32];
      *target ^= (uint8_t)(1u << (bit % 8));
      memset(out, 0xee, sizeof out);
      assert_int_equal(ike_sk_open_body(opener, ike_bytes_of(aad, 32), ike_bytes_of(body, body_len),
                                        out, sizeof out, &inner_len),
                       IKE_CRYPTO_E_INTEGRITY);
      assert_memory_not_equal(out, inner, sizeof inner);
      assert_int_equal(inner_len, 0);
      *target ^= (uint8_t)(1u << (bit % 8));
    }
    /* Untouched, it still opens: the failures above were the flips. */
    assert_int_equal(ike_sk_open_body(opener, ike_bytes_of(test_aad, 32),
                                      ike_bytes_of(body, body_len), out, sizeof out, &inner_len),
                     IKE_CRYPTO_OK);
    ike_sk_cipher_free(sealer);
    ike_sk_cipher_free(opener);
  }
}

static void bad_lengths_are_rejected(void **state) {
  (void)state;
  uint8_t body[200], out[200];
  for (size_t s = 0; s < N_SUITES; s++) {
    struct keys k = suite_keys(&suites[s], (uint8_t)s);
    struct ike_sk_cipher *sealer = make_cipher(&suites[s], &k, IKE_SK_SEAL);
    struct ike_sk_cipher *opener = make_cipher(&suites[s], &k, IKE_SK_OPEN);
    size_t body_len = 0, inner_len = 0;
    assert_int_equal(ike_sk_seal(sealer, ike_bytes_of(test_aad, 32), ike_bytes_of("abc", 3), body,
                                 sizeof body, &body_len),
                     IKE_CRYPTO_OK);
    struct ike_bytes iv, ct, icv;
    assert_int_equal(ike_sk_split_body(opener, ike_bytes_of(body, body_len), &iv, &ct, &icv),
                     IKE_CRYPTO_OK);
    const struct ike_bytes aad = ike_bytes_of(test_aad, 32);
    size_t align = ike_encr_alg_find(suites[s].encr, suites[s].key_bits)->align;
    /* Every body shorter than IV + one block/octet + ICV is refused before any crypto. */
    for (size_t len = 0; len < iv.len + align + icv.len; len++)
      assert_int_equal(
          ike_sk_open_body(opener, aad, ike_bytes_of(body, len), out, sizeof out, &inner_len),
          IKE_CRYPTO_E_BAD_LENGTH);
    assert_int_equal(ike_sk_open(opener, aad, ike_bytes_of(iv.ptr, iv.len - 1), ct, icv, out,
                                 sizeof out, &inner_len),
                     IKE_CRYPTO_E_BAD_LENGTH);
    assert_int_equal(ike_sk_open(opener, aad, iv, ct, ike_bytes_of(icv.ptr, icv.len - 1), out,
                                 sizeof out, &inner_len),
                     IKE_CRYPTO_E_BAD_LENGTH);
    assert_int_equal(
        ike_sk_open(opener, aad, iv, ike_bytes_of(ct.ptr, 0), icv, out, sizeof out, &inner_len),
        IKE_CRYPTO_E_BAD_LENGTH);
    if (align > 1)
      assert_int_equal(ike_sk_open(opener, aad, iv, ike_bytes_of(ct.ptr, ct.len - 1), icv, out,
                                   sizeof out, &inner_len),
                       IKE_CRYPTO_E_BAD_LENGTH);
    assert_int_equal(ike_sk_open(opener, aad, iv, ct, icv, out, ct.len - 1, &inner_len),
                     IKE_CRYPTO_E_BUFFER_TOO_SMALL);
    assert_int_equal(
        ike_sk_seal(sealer, aad, ike_bytes_of("abc", 3), body, body_len - 1, &body_len),
        IKE_CRYPTO_E_BUFFER_TOO_SMALL);
    ike_sk_cipher_free(sealer);
    ike_sk_cipher_free(opener);
  }
}

/* An authentic message whose Pad Length points before the start of the encrypted data. Built
 * with raw OpenSSL, since our sealer only writes correct padding. */
static size_t forge_authentic_bad_pad(const struct suite *s, const struct keys *k, uint8_t *body) {
  const struct ike_encr_alg *e = ike_encr_alg_find(s->encr, s->key_bits);
  size_t data_len = e->aead ? 3 : 16;
  uint8_t data[16];
  memset(data, 'x', sizeof data);
  data[data_len - 1] = (uint8_t)data_len; /* pad length = the whole data: one too many */
  memset(body, 0x24, e->iv_len);
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, e->cipher, NULL);
  uint8_t nonce[16];
  memcpy(nonce, k->e + e->key_len, e->salt_len);
  memcpy(nonce + e->salt_len, body, e->iv_len);
  int outl = 0, finl = 0;
  assert_true(EVP_EncryptInit_ex2(ctx, cipher, k->e, e->aead ? nonce : body, NULL));
  EVP_CIPHER_CTX_set_padding(ctx, 0);
  if (e->aead)
    assert_true(EVP_EncryptUpdate(ctx, NULL, &outl, test_aad, 32));
  assert_true(EVP_EncryptUpdate(ctx, body + e->iv_len, &outl, data, (int)data_len));
  assert_true(EVP_EncryptFinal_ex(ctx, body + e->iv_len + outl, &finl));
  uint8_t *icv = body + e->iv_len + data_len;
  if (e->aead) {
    assert_true(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, icv));
  } else {
    const struct ike_bytes parts[] = {ike_bytes_of(test_aad, 32),
                                      ike_bytes_of(body, e->iv_len + data_len)};
    assert_int_equal(ike_integ_icv(s->integ, ike_bytes_of(k->a, k->a_len), parts, 2, icv, 64),
                     IKE_CRYPTO_OK);
  }
  EVP_CIPHER_free(cipher);
  EVP_CIPHER_CTX_free(ctx);
  return e->iv_len + data_len + (e->aead ? 16 : ike_integ_alg_find(s->integ)->icv_len);
}

static void oversized_pad_length_is_rejected_after_authentication(void **state) {
  (void)state;
  for (size_t s = 0; s < N_SUITES; s++) {
    struct keys k = suite_keys(&suites[s], (uint8_t)(s + 7));
    struct ike_sk_cipher *opener = make_cipher(&suites[s], &k, IKE_SK_OPEN);
    uint8_t body[128], out[128];
    size_t body_len = forge_authentic_bad_pad(&suites[s], &k, body), inner_len = 99;
    assert_int_equal(ike_sk_open_body(opener, ike_bytes_of(test_aad, 32),
                                      ike_bytes_of(body, body_len), out, sizeof out, &inner_len),
                     IKE_CRYPTO_E_BAD_PADDING);
    assert_int_equal(inner_len, 0);
    ike_sk_cipher_free(opener);
  }
}

static void wrong_keys_and_misuse_are_refused(void **state) {
  (void)state;
  uint8_t key[64] = {0}, body[64];
  size_t len = 0;
  struct ike_sk_cipher *c = (struct ike_sk_cipher *)1;
  const struct ike_bytes none = {NULL, 0};
  /* AEAD key material must include the salt; no INTEG key or transform with AEAD. */
  assert_int_equal(
      ike_sk_cipher_new(IKE_ENCR_AES_GCM_16, 128, 0, ike_bytes_of(key, 16), none, IKE_SK_SEAL, &c),
      IKE_CRYPTO_E_INVALID_ARG);
  assert_null(c);
  assert_int_equal(ike_sk_cipher_new(IKE_ENCR_AES_GCM_16, 128, IKE_INTEG_HMAC_SHA2_256_128,
                                     ike_bytes_of(key, 20), ike_bytes_of(key, 32), IKE_SK_SEAL, &c),
                   IKE_CRYPTO_E_INVALID_ARG);
  assert_int_equal(ike_sk_cipher_new(IKE_ENCR_AES_CBC, 128, IKE_INTEG_NONE, ike_bytes_of(key, 16),
                                     none, IKE_SK_SEAL, &c),
                   IKE_CRYPTO_E_INVALID_ARG);
  assert_int_equal(ike_sk_cipher_new(IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA2_256_128,
                                     ike_bytes_of(key, 16), ike_bytes_of(key, 16), IKE_SK_SEAL, &c),
                   IKE_CRYPTO_E_INVALID_ARG);
  assert_int_equal(ike_sk_cipher_new(3 /* 3DES */, 0, IKE_INTEG_HMAC_SHA2_256_128,
                                     ike_bytes_of(key, 24), ike_bytes_of(key, 32), IKE_SK_SEAL, &c),
                   IKE_CRYPTO_E_UNSUPPORTED);
  /* A sealer does not open and an opener does not seal. */
  assert_int_equal(ike_sk_cipher_new(IKE_ENCR_CHACHA20_POLY1305, 0, 0, ike_bytes_of(key, 36), none,
                                     IKE_SK_OPEN, &c),
                   IKE_CRYPTO_OK);
  assert_int_equal(
      ike_sk_seal(c, ike_bytes_of(test_aad, 32), ike_bytes_of("x", 1), body, sizeof body, &len),
      IKE_CRYPTO_E_INVALID_ARG);
  ike_sk_cipher_free(c);
  assert_int_equal(ike_sk_cipher_new(IKE_ENCR_CHACHA20_POLY1305, 0, 0, ike_bytes_of(key, 36), none,
                                     IKE_SK_SEAL, &c),
                   IKE_CRYPTO_OK);
  assert_int_equal(ike_sk_open_body(c, ike_bytes_of(test_aad, 32), ike_bytes_of(body, 40), body,
                                    sizeof body, &len),
                   IKE_CRYPTO_E_INVALID_ARG);
  assert_int_equal(ike_sk_seal_with_iv(c, ike_bytes_of(test_aad, 32), ike_bytes_of("x", 1),
                                       ike_bytes_of(key, 7), body, sizeof body, &len),
                   IKE_CRYPTO_E_INVALID_ARG);
  /* The SK payload length field is 16 bits. */
  assert_int_equal(ike_sk_body_len(c, 70000), SIZE_MAX);
  ike_sk_cipher_free(c);
  ike_sk_cipher_free(NULL);
}

/* Ciphers hold raw keys and share the thread's context, re-keyed per message: messages of SAs
 * with different keys and algorithms interleave correctly, a message never opens under another
 * key of its algorithm (a context left keyed by the previous message would let it), and freeing
 * one SA's ciphers leaves the others working. */
static void round_trip_and_wrong_key(struct ike_sk_cipher *seal, struct ike_sk_cipher *open,
                                     struct ike_sk_cipher *wrong) {
  uint8_t inner[100], body[256], out[256];
  size_t body_len = 0, inner_len = 0;
  for (size_t n = 0; n < sizeof inner; n++)
    inner[n] = (uint8_t)n;
  struct ike_bytes aad = ike_bytes_of(test_aad, sizeof test_aad);
  assert_int_equal(
      ike_sk_seal(seal, aad, ike_bytes_of(inner, sizeof inner), body, sizeof body, &body_len),
      IKE_CRYPTO_OK);
  assert_int_equal(
      ike_sk_open_body(wrong, aad, ike_bytes_of(body, body_len), out, sizeof out, &inner_len),
      IKE_CRYPTO_E_INTEGRITY);
  assert_int_equal(
      ike_sk_open_body(open, aad, ike_bytes_of(body, body_len), out, sizeof out, &inner_len),
      IKE_CRYPTO_OK);
  assert_int_equal(inner_len, sizeof inner);
  assert_memory_equal(out, inner, sizeof inner);
}

static void interleaved_sas_use_their_own_keys(void **state) {
  (void)state;
  struct ike_sk_cipher *seal[N_SUITES], *open[N_SUITES], *wrong[N_SUITES];
  for (size_t i = 0; i < N_SUITES; i++) {
    struct keys k = suite_keys(&suites[i], (uint8_t)(0x40 + i));
    struct keys other = suite_keys(&suites[i], (uint8_t)(0x80 + i));
    seal[i] = make_cipher(&suites[i], &k, IKE_SK_SEAL);
    open[i] = make_cipher(&suites[i], &k, IKE_SK_OPEN);
    wrong[i] = make_cipher(&suites[i], &other, IKE_SK_OPEN);
  }
  for (size_t round = 0; round < N_SUITES; round++) {
    for (size_t i = round; i < N_SUITES; i++)
      round_trip_and_wrong_key(seal[i], open[i], wrong[i]);
    ike_sk_cipher_free(seal[round]); /* the SA goes; the others must not notice */
    ike_sk_cipher_free(open[round]);
    ike_sk_cipher_free(wrong[round]);
  }
}

/* An idle IKE SA's two ciphers hold raw keys, not OpenSSL contexts (about 1.2 KB each with
 * AES-GCM): the struct stays at its budget, an AEAD cipher allocates no MAC key room. */
static void idle_cipher_is_small(void **state) {
  (void)state;
  assert_true(sizeof(struct ike_sk_cipher) <= 72);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(rfc7634_ikev2_sk_example),
      cmocka_unit_test(rfc8439_aead_vectors_open),
      cmocka_unit_test(mcgrew_aes_gcm_vectors_open),
      cmocka_unit_test(cbc_matches_independent_construction),
      cmocka_unit_test(every_suite_round_trips),
      cmocka_unit_test(in_place_seal_and_open),
      cmocka_unit_test(tampering_is_detected_everywhere),
      cmocka_unit_test(bad_lengths_are_rejected),
      cmocka_unit_test(oversized_pad_length_is_rejected_after_authentication),
      cmocka_unit_test(wrong_keys_and_misuse_are_refused),
      cmocka_unit_test(interleaved_sas_use_their_own_keys),
      cmocka_unit_test(idle_cipher_is_small),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
