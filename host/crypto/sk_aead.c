/* AEAD protection of the SK payload (RFC 5282 for AES-GCM, RFC 7634 for ChaCha20-Poly1305):
 * nonce = salt (last 4 octets of SK_e) | 8-octet explicit IV, AAD = IKE header through the SK
 * payload header, ICV = the 16-octet tag. */
#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>

#include "sk_internal.h"

static void build_nonce(const struct ike_sk_cipher *c, const uint8_t *iv,
                        uint8_t nonce[SK_AEAD_NONCE]) {
  memcpy(nonce, c->salt, c->encr->salt_len);
  memcpy(nonce + c->encr->salt_len, iv, c->encr->iv_len);
}

/* Starts one message on a context keyed for it: set the nonce and absorb the AAD. */
static bool aead_start(const struct ike_sk_cipher *c, EVP_CIPHER_CTX *ctx, const uint8_t *iv,
                       struct ike_bytes aad) {
  uint8_t nonce[SK_AEAD_NONCE];
  build_nonce(c, iv, nonce);
  int enc = c->role == IKE_SK_SEAL;
  int outl = 0;
  bool ok = EVP_CipherInit_ex2(ctx, NULL, NULL, nonce, enc, NULL) > 0 &&
            (aad.len == 0 || EVP_CipherUpdate(ctx, NULL, &outl, aad.ptr, (int)aad.len) > 0);
  OPENSSL_cleanse(nonce, sizeof nonce);
  return ok;
}

enum ike_crypto_status sk_aead_seal(struct ike_sk_cipher *c, const struct sk_seal_job *job) {
  if (job->aad.len > INT_MAX || job->data_len > INT_MAX)
    return IKE_CRYPTO_E_INVALID_ARG;
  EVP_CIPHER_CTX *ctx = sk_ctx_open(c);
  int outl = 0, finl = 0;
  bool ok = ctx && aead_start(c, ctx, job->iv, job->aad) &&
            EVP_EncryptUpdate(ctx, job->data, &outl, job->data, (int)job->data_len) > 0 &&
            EVP_EncryptFinal_ex(ctx, job->data + outl, &finl) > 0 &&
            (size_t)(outl + finl) == job->data_len &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, c->encr->icv_len, job->icv) > 0;
  sk_ctx_close(ctx);
  return ok ? IKE_CRYPTO_OK : IKE_CRYPTO_E_LIBCRYPTO;
}

enum ike_crypto_status sk_aead_open(struct ike_sk_cipher *c, const struct sk_open_job *job) {
  if (job->aad.len > INT_MAX || job->ciphertext.len > INT_MAX)
    return IKE_CRYPTO_E_BAD_LENGTH;
  /* EVP wants a writable tag buffer. */
  uint8_t tag[16];
  memcpy(tag, job->icv.ptr, c->encr->icv_len);
  EVP_CIPHER_CTX *ctx = sk_ctx_open(c);
  if (!ctx || !aead_start(c, ctx, job->iv.ptr, job->aad)) {
    sk_ctx_close(ctx);
    return IKE_CRYPTO_E_LIBCRYPTO;
  }
  int outl = 0, finl = 0;
  enum ike_crypto_status st = IKE_CRYPTO_OK;
  if (EVP_DecryptUpdate(ctx, job->out, &outl, job->ciphertext.ptr, (int)job->ciphertext.len) <=
          0 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, c->encr->icv_len, tag) <= 0)
    st = IKE_CRYPTO_E_LIBCRYPTO;
  else if (EVP_DecryptFinal_ex(ctx, job->out + outl, &finl) <= 0)
    st = IKE_CRYPTO_E_INTEGRITY;
  sk_ctx_close(ctx);
  /* The tag is checked only by Final, after the plaintext has been written: wipe it so an
   * unauthenticated message never leaves readable plaintext behind. */
  if (st != IKE_CRYPTO_OK)
    OPENSSL_cleanse(job->out, job->ciphertext.len);
  return st;
}
