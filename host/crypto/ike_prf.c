#include "ike_prf.h"

#include <string.h>

#include <openssl/crypto.h>

#include "crypto_hmac.h"

enum { PRF_PLUS_MAX_BLOCKS = 255 };

enum ike_crypto_status ike_prf(uint16_t prf_id, struct ike_bytes key, const struct ike_bytes *data,
                               size_t n_data, uint8_t *out, size_t out_cap) {
  const struct ike_prf_alg *alg = ike_prf_alg_find(prf_id);
  if (!alg)
    return IKE_CRYPTO_E_UNSUPPORTED;
  if (!out || (n_data && !data) || (key.len && !key.ptr))
    return IKE_CRYPTO_E_INVALID_ARG;
  if (out_cap < alg->out_len)
    return IKE_CRYPTO_E_BUFFER_TOO_SMALL;
  EVP_MAC_CTX *keyed = crypto_hmac_new(alg->digest, key);
  if (!keyed)
    return IKE_CRYPTO_E_LIBCRYPTO;
  enum ike_crypto_status st = crypto_hmac_run(keyed, data, n_data, out, out_cap);
  EVP_MAC_CTX_free(keyed);
  return st;
}

/* One prf+ block: prf(K, previous | seed | counter). previous is empty for T1. */
static enum ike_crypto_status prf_plus_block(EVP_MAC_CTX *keyed, struct ike_bytes previous,
                                             const struct ike_bytes *seed, size_t n_seed,
                                             uint8_t counter, uint8_t *out, size_t out_cap) {
  bool ok = crypto_hmac_restart(keyed);
  ok = ok && (previous.len == 0 || EVP_MAC_update(keyed, previous.ptr, previous.len));
  for (size_t i = 0; ok && i < n_seed; i++)
    ok = seed[i].len == 0 || EVP_MAC_update(keyed, seed[i].ptr, seed[i].len);
  ok = ok && EVP_MAC_update(keyed, &counter, 1);
  size_t written = 0;
  ok = ok && EVP_MAC_final(keyed, out, &written, out_cap);
  return ok ? IKE_CRYPTO_OK : IKE_CRYPTO_E_LIBCRYPTO;
}

/* Fills out block by block; each T(n) is computed into a scratch buffer because the last one
 * is usually only partly used, and T(n-1) must stay available as input to T(n). */
static enum ike_crypto_status prf_plus_fill(EVP_MAC_CTX *keyed, size_t block_len,
                                            const struct ike_bytes *seed, size_t n_seed,
                                            uint8_t *out, size_t out_len) {
  uint8_t block[IKE_PRF_MAX_OUT];
  struct ike_bytes previous = {NULL, 0};
  enum ike_crypto_status st = IKE_CRYPTO_OK;
  size_t done = 0;
  for (unsigned counter = 1; st == IKE_CRYPTO_OK && done < out_len; counter++) {
    st = prf_plus_block(keyed, previous, seed, n_seed, (uint8_t)counter, block, sizeof block);
    if (st != IKE_CRYPTO_OK)
      break;
    size_t take = out_len - done < block_len ? out_len - done : block_len;
    memcpy(out + done, block, take);
    previous = ike_bytes_of(out + done, block_len);
    if (take < block_len)
      break; /* last, partial block: nothing reads previous again */
    done += take;
  }
  OPENSSL_cleanse(block, sizeof block);
  return st;
}

enum ike_crypto_status ike_prf_plus(uint16_t prf_id, struct ike_bytes key,
                                    const struct ike_bytes *seed, size_t n_seed, uint8_t *out,
                                    size_t out_len) {
  const struct ike_prf_alg *alg = ike_prf_alg_find(prf_id);
  if (!alg)
    return IKE_CRYPTO_E_UNSUPPORTED;
  if ((out_len && !out) || (n_seed && !seed) || (key.len && !key.ptr))
    return IKE_CRYPTO_E_INVALID_ARG;
  if (out_len > (size_t)PRF_PLUS_MAX_BLOCKS * alg->out_len)
    return IKE_CRYPTO_E_TOO_LONG;
  if (out_len == 0)
    return IKE_CRYPTO_OK;
  EVP_MAC_CTX *keyed = crypto_hmac_new(alg->digest, key);
  if (!keyed)
    return IKE_CRYPTO_E_LIBCRYPTO;
  enum ike_crypto_status st = prf_plus_fill(keyed, alg->out_len, seed, n_seed, out, out_len);
  EVP_MAC_CTX_free(keyed);
  if (st != IKE_CRYPTO_OK)
    OPENSSL_cleanse(out, out_len);
  return st;
}

enum ike_crypto_status ike_integ_icv(uint16_t integ_id, struct ike_bytes key,
                                     const struct ike_bytes *data, size_t n_data, uint8_t *icv,
                                     size_t icv_cap) {
  const struct ike_integ_alg *alg = ike_integ_alg_find(integ_id);
  if (!alg)
    return IKE_CRYPTO_E_UNSUPPORTED;
  if (!icv || (n_data && !data) || !key.ptr || key.len != alg->key_len)
    return IKE_CRYPTO_E_INVALID_ARG;
  if (icv_cap < alg->icv_len)
    return IKE_CRYPTO_E_BUFFER_TOO_SMALL;
  EVP_MAC_CTX *keyed = crypto_hmac_new(alg->digest, key);
  if (!keyed)
    return IKE_CRYPTO_E_LIBCRYPTO;
  uint8_t full[IKE_PRF_MAX_OUT];
  enum ike_crypto_status st = crypto_hmac_run(keyed, data, n_data, full, sizeof full);
  EVP_MAC_CTX_free(keyed);
  if (st == IKE_CRYPTO_OK)
    memcpy(icv, full, alg->icv_len);
  OPENSSL_cleanse(full, sizeof full);
  return st;
}
