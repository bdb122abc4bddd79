#include "ike_kdf.h"

#include <stdbool.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ike_prf.h"

/* RFC 9370: one Transform Type 4 exchange plus at most seven ADDKE exchanges. */
enum { KDF_MAX_KE_SECRETS = 8 };

enum ike_crypto_status ike_sa_key_lengths(const struct ike_sa_transforms *t,
                                          struct ike_sa_key_lengths *out) {
  if (!t || !out)
    return IKE_CRYPTO_E_INVALID_ARG;
  const struct ike_prf_alg *prf = ike_prf_alg_find(t->prf);
  if (!prf)
    return IKE_CRYPTO_E_UNSUPPORTED;
  const struct ike_encr_alg *encr;
  const struct ike_integ_alg *integ;
  enum ike_crypto_status st =
      ike_cipher_suite_resolve(t->encr, t->encr_key_bits, t->integ, &encr, &integ);
  if (st != IKE_CRYPTO_OK)
    return st;
  out->sk_d = prf->key_len;
  out->sk_p = prf->key_len;
  out->sk_a = integ ? integ->key_len : 0;
  out->sk_e = ike_encr_keymat_len(encr);
  out->total = out->sk_d + 2 * (out->sk_a + out->sk_e + out->sk_p);
  return IKE_CRYPTO_OK;
}

enum ike_crypto_status ike_child_keymat_half_len(const struct ike_child_transforms *t,
                                                 size_t *out) {
  if (!t || !out)
    return IKE_CRYPTO_E_INVALID_ARG;
  const struct ike_encr_alg *encr;
  const struct ike_integ_alg *integ;
  enum ike_crypto_status st =
      ike_cipher_suite_resolve(t->encr, t->encr_key_bits, t->integ, &encr, &integ);
  if (st == IKE_CRYPTO_OK)
    *out = ike_encr_keymat_len(encr) + (integ ? integ->key_len : 0);
  return st;
}

/* Runs prf into a freshly allocated secret of the PRF's output length. */
static enum ike_crypto_status prf_to_secret(uint16_t prf_id, struct ike_bytes key,
                                            const struct ike_bytes *data, size_t n_data,
                                            struct ike_secret *out) {
  const struct ike_prf_alg *alg = ike_prf_alg_find(prf_id);
  if (!alg)
    return IKE_CRYPTO_E_UNSUPPORTED;
  if (!out || out->bytes)
    return IKE_CRYPTO_E_INVALID_ARG;
  enum ike_crypto_status st = ike_secret_alloc(out, alg->out_len);
  if (st == IKE_CRYPTO_OK)
    st = ike_prf(prf_id, key, data, n_data, out->bytes, out->len);
  if (st != IKE_CRYPTO_OK)
    ike_secret_free(out);
  return st;
}

enum ike_crypto_status ike_kdf_skeyseed(uint16_t prf_id, struct ike_bytes ni, struct ike_bytes nr,
                                        struct ike_bytes g_ir, struct ike_secret *skeyseed) {
  if (!ni.len || !nr.len || !g_ir.len || !ni.ptr || !nr.ptr || !g_ir.ptr)
    return IKE_CRYPTO_E_INVALID_ARG;
  const struct ike_prf_alg *alg = ike_prf_alg_find(prf_id);
  if (!alg)
    return IKE_CRYPTO_E_UNSUPPORTED;
  /* The HMAC key is Ni | Nr; nonces are at most 256 octets each (RFC 7296 3.9). */
  uint8_t key[512];
  if (ni.len > sizeof key / 2 || nr.len > sizeof key / 2)
    return IKE_CRYPTO_E_INVALID_ARG;
  memcpy(key, ni.ptr, ni.len);
  memcpy(key + ni.len, nr.ptr, nr.len);
  enum ike_crypto_status st =
      prf_to_secret(prf_id, ike_bytes_of(key, ni.len + nr.len), &g_ir, 1, skeyseed);
  OPENSSL_cleanse(key, sizeof key);
  return st;
}

/* Builds the seed list  ke_secrets[0] | Ni | Nr | ke_secrets[1..]  (RFC 7296 2.17/2.18 with the
 * RFC 9370 extension); with no secrets it is just Ni | Nr. Returns the number of parts. */
static size_t build_nonce_seed(const struct ike_bytes *ke_secrets, size_t n_ke_secrets,
                               struct ike_bytes ni, struct ike_bytes nr,
                               struct ike_bytes parts[KDF_MAX_KE_SECRETS + 2]) {
  size_t n = 0;
  if (n_ke_secrets)
    parts[n++] = ke_secrets[0];
  parts[n++] = ni;
  parts[n++] = nr;
  for (size_t i = 1; i < n_ke_secrets; i++)
    parts[n++] = ke_secrets[i];
  return n;
}

static bool valid_ke_secrets(const struct ike_bytes *ke_secrets, size_t n) {
  if (n > KDF_MAX_KE_SECRETS || (n && !ke_secrets))
    return false;
  for (size_t i = 0; i < n; i++)
    if (!ke_secrets[i].len || !ke_secrets[i].ptr)
      return false;
  return true;
}

static bool valid_nonces(struct ike_bytes ni, struct ike_bytes nr) {
  return ni.len && nr.len && ni.ptr && nr.ptr;
}

enum ike_crypto_status ike_kdf_rekey_skeyseed(uint16_t prf_id, const struct ike_secret *old_sk_d,
                                              const struct ike_bytes *ke_secrets,
                                              size_t n_ke_secrets, struct ike_bytes ni,
                                              struct ike_bytes nr, struct ike_secret *skeyseed) {
  if (!old_sk_d || !old_sk_d->len || n_ke_secrets == 0 ||
      !valid_ke_secrets(ke_secrets, n_ke_secrets) || !valid_nonces(ni, nr))
    return IKE_CRYPTO_E_INVALID_ARG;
  struct ike_bytes parts[KDF_MAX_KE_SECRETS + 2];
  size_t n = build_nonce_seed(ke_secrets, n_ke_secrets, ni, nr, parts);
  return prf_to_secret(prf_id, ike_secret_view(old_sk_d), parts, n, skeyseed);
}

/* Copies consecutive slices of key material into the listed secrets, in order. */
static enum ike_crypto_status split_keymat(const struct ike_secret *keymat,
                                           struct ike_secret *const *dest, const size_t *lens,
                                           size_t count) {
  size_t offset = 0;
  for (size_t i = 0; i < count; i++) {
    if (lens[i] > keymat->len - offset)
      return IKE_CRYPTO_E_INVALID_ARG;
    enum ike_crypto_status st = ike_secret_copy(dest[i], keymat->bytes + offset, lens[i]);
    if (st != IKE_CRYPTO_OK)
      return st;
    offset += lens[i];
  }
  return IKE_CRYPTO_OK;
}

static enum ike_crypto_status prf_plus_to_secret(uint16_t prf_id, struct ike_bytes key,
                                                 const struct ike_bytes *seed, size_t n_seed,
                                                 size_t len, struct ike_secret *out) {
  enum ike_crypto_status st = ike_secret_alloc(out, len);
  if (st == IKE_CRYPTO_OK)
    st = ike_prf_plus(prf_id, key, seed, n_seed, out->bytes, out->len);
  if (st != IKE_CRYPTO_OK)
    ike_secret_free(out);
  return st;
}

enum ike_crypto_status ike_kdf_sa_keys(const struct ike_sa_transforms *t,
                                       const struct ike_secret *skeyseed, struct ike_bytes ni,
                                       struct ike_bytes nr, const uint8_t spi_i[IKE_SPI_LEN],
                                       const uint8_t spi_r[IKE_SPI_LEN], struct ike_sa_keys *out) {
  struct ike_sa_key_lengths len;
  enum ike_crypto_status st = ike_sa_key_lengths(t, &len);
  if (st != IKE_CRYPTO_OK)
    return st;
  if (!skeyseed || !skeyseed->len || !valid_nonces(ni, nr) || !spi_i || !spi_r || !out)
    return IKE_CRYPTO_E_INVALID_ARG;
  const struct ike_bytes seed[] = {ni, nr, ike_bytes_of(spi_i, IKE_SPI_LEN),
                                   ike_bytes_of(spi_r, IKE_SPI_LEN)};
  struct ike_secret dkm = {0};
  st = prf_plus_to_secret(t->prf, ike_secret_view(skeyseed), seed, 4, len.total, &dkm);
  if (st != IKE_CRYPTO_OK)
    return st;
  struct ike_secret *const dest[] = {&out->sk_d,  &out->sk_ai, &out->sk_ar, &out->sk_ei,
                                     &out->sk_er, &out->sk_pi, &out->sk_pr};
  const size_t lens[] = {len.sk_d, len.sk_a, len.sk_a, len.sk_e, len.sk_e, len.sk_p, len.sk_p};
  st = split_keymat(&dkm, dest, lens, 7);
  ike_secret_free(&dkm);
  if (st != IKE_CRYPTO_OK)
    ike_sa_keys_free(out);
  return st;
}

void ike_sa_keys_free(struct ike_sa_keys *keys) {
  if (!keys)
    return;
  ike_secret_free(&keys->sk_d);
  ike_secret_free(&keys->sk_ai);
  ike_secret_free(&keys->sk_ar);
  ike_secret_free(&keys->sk_ei);
  ike_secret_free(&keys->sk_er);
  ike_secret_free(&keys->sk_pi);
  ike_secret_free(&keys->sk_pr);
}

enum ike_crypto_status ike_kdf_child_keymat(uint16_t prf_id, const struct ike_secret *sk_d,
                                            const struct ike_bytes *ke_secrets, size_t n_ke_secrets,
                                            struct ike_bytes ni, struct ike_bytes nr,
                                            size_t keymat_len, struct ike_secret *keymat) {
  if (!sk_d || !sk_d->len || !valid_ke_secrets(ke_secrets, n_ke_secrets) || !valid_nonces(ni, nr) ||
      !keymat || keymat->bytes)
    return IKE_CRYPTO_E_INVALID_ARG;
  struct ike_bytes parts[KDF_MAX_KE_SECRETS + 2];
  size_t n = build_nonce_seed(ke_secrets, n_ke_secrets, ni, nr, parts);
  return prf_plus_to_secret(prf_id, ike_secret_view(sk_d), parts, n, keymat_len, keymat);
}

enum ike_crypto_status ike_kdf_child_keys(uint16_t prf_id, const struct ike_secret *sk_d,
                                          const struct ike_child_transforms *t,
                                          const struct ike_bytes *ke_secrets, size_t n_ke_secrets,
                                          struct ike_bytes ni, struct ike_bytes nr,
                                          struct ike_child_keys *out) {
  if (!t || !out)
    return IKE_CRYPTO_E_INVALID_ARG;
  const struct ike_encr_alg *encr;
  const struct ike_integ_alg *integ;
  enum ike_crypto_status st =
      ike_cipher_suite_resolve(t->encr, t->encr_key_bits, t->integ, &encr, &integ);
  if (st != IKE_CRYPTO_OK)
    return st;
  size_t encr_len = ike_encr_keymat_len(encr);
  size_t integ_len = integ ? integ->key_len : 0;
  struct ike_secret keymat = {0};
  st = ike_kdf_child_keymat(prf_id, sk_d, ke_secrets, n_ke_secrets, ni, nr,
                            2 * (encr_len + integ_len), &keymat);
  if (st != IKE_CRYPTO_OK)
    return st;
  struct ike_secret *const dest[] = {&out->encr_i, &out->integ_i, &out->encr_r, &out->integ_r};
  const size_t lens[] = {encr_len, integ_len, encr_len, integ_len};
  st = split_keymat(&keymat, dest, lens, 4);
  ike_secret_free(&keymat);
  if (st != IKE_CRYPTO_OK)
    ike_child_keys_free(out);
  return st;
}

void ike_child_keys_free(struct ike_child_keys *keys) {
  if (!keys)
    return;
  ike_secret_free(&keys->encr_i);
  ike_secret_free(&keys->integ_i);
  ike_secret_free(&keys->encr_r);
  ike_secret_free(&keys->integ_r);
}
