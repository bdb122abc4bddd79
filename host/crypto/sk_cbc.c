/* AES-CBC + HMAC protection of the SK payload (RFC 7296 3.14, RFC 3602, RFC 4868):
 * encrypt-then-MAC, the ICV covering the whole message from the IKE header through the
 * ciphertext. The IKE padding is ours, so OpenSSL's PKCS#7 padding is off. */
#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>

#include "crypto_hmac.h"
#include "ike_prf.h"
#include "sk_internal.h"

/* HMAC over aad | iv | ciphertext, truncated to the INTEG transform's ICV length. */
static enum ike_crypto_status cbc_icv(const struct ike_sk_cipher *c, struct ike_bytes aad,
                                      struct ike_bytes iv, struct ike_bytes ciphertext,
                                      uint8_t icv[IKE_INTEG_MAX_ICV]) {
  const struct ike_bytes parts[] = {aad, iv, ciphertext};
  uint8_t full[IKE_PRF_MAX_OUT];
  /* Keyed per message, like the cipher: no HMAC pads stay allocated for an idle SA. */
  EVP_MAC_CTX *mac = crypto_hmac_new(c->integ->digest, ike_bytes_of(c->mac_key, c->integ->key_len));
  enum ike_crypto_status st =
      mac ? crypto_hmac_run(mac, parts, 3, full, sizeof full) : IKE_CRYPTO_E_LIBCRYPTO;
  EVP_MAC_CTX_free(mac);
  if (st == IKE_CRYPTO_OK)
    memcpy(icv, full, c->integ->icv_len);
  OPENSSL_cleanse(full, sizeof full);
  return st;
}

/* Runs the block cipher over len octets (a multiple of the block size) with the given IV. */
static bool cbc_crypt(const struct ike_sk_cipher *c, const uint8_t *iv, const uint8_t *in,
                      uint8_t *out, size_t len) {
  if (len > INT_MAX)
    return false;
  int enc = c->role == IKE_SK_SEAL;
  int outl = 0, finl = 0;
  EVP_CIPHER_CTX *ctx = sk_ctx_open(c);
  bool ok = ctx && EVP_CipherInit_ex2(ctx, NULL, NULL, iv, enc, NULL) > 0 &&
            EVP_CIPHER_CTX_set_padding(ctx, 0) > 0 &&
            EVP_CipherUpdate(ctx, out, &outl, in, (int)len) > 0 &&
            EVP_CipherFinal_ex(ctx, out + outl, &finl) > 0 && (size_t)(outl + finl) == len;
  sk_ctx_close(ctx);
  return ok;
}

enum ike_crypto_status sk_cbc_seal(struct ike_sk_cipher *c, const struct sk_seal_job *job) {
  if (!cbc_crypt(c, job->iv, job->data, job->data, job->data_len))
    return IKE_CRYPTO_E_LIBCRYPTO;
  uint8_t icv[IKE_INTEG_MAX_ICV];
  enum ike_crypto_status st = cbc_icv(c, job->aad, ike_bytes_of(job->iv, c->encr->iv_len),
                                      ike_bytes_of(job->data, job->data_len), icv);
  if (st == IKE_CRYPTO_OK)
    memcpy(job->icv, icv, c->integ->icv_len);
  return st;
}

enum ike_crypto_status sk_cbc_open(struct ike_sk_cipher *c, const struct sk_open_job *job) {
  /* Verify before decrypting anything: a forged message never reaches the cipher, which also
   * rules out padding-oracle style probing. */
  uint8_t expected[IKE_INTEG_MAX_ICV];
  enum ike_crypto_status st = cbc_icv(c, job->aad, job->iv, job->ciphertext, expected);
  if (st != IKE_CRYPTO_OK)
    return st;
  if (CRYPTO_memcmp(expected, job->icv.ptr, c->integ->icv_len) != 0)
    return IKE_CRYPTO_E_INTEGRITY;
  if (!cbc_crypt(c, job->iv.ptr, job->ciphertext.ptr, job->out, job->ciphertext.len)) {
    OPENSSL_cleanse(job->out, job->ciphertext.len);
    return IKE_CRYPTO_E_LIBCRYPTO;
  }
  return IKE_CRYPTO_OK;
}
