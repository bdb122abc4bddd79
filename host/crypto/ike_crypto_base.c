#include "ike_crypto_base.h"

#include <string.h>

#include <openssl/crypto.h>

static const char *const status_text[] = {
    [IKE_CRYPTO_OK] = "success",
    [IKE_CRYPTO_E_UNSUPPORTED] = "unsupported transform or key exchange method",
    [IKE_CRYPTO_E_INVALID_ARG] = "invalid argument",
    [IKE_CRYPTO_E_BUFFER_TOO_SMALL] = "output buffer too small",
    [IKE_CRYPTO_E_BAD_LENGTH] = "peer data has the wrong length",
    [IKE_CRYPTO_E_INVALID_PUBLIC] = "peer key exchange value rejected",
    [IKE_CRYPTO_E_INTEGRITY] = "integrity check failed",
    [IKE_CRYPTO_E_BAD_PADDING] = "pad length exceeds the decrypted data",
    [IKE_CRYPTO_E_IV_EXHAUSTED] = "IV space of the key exhausted",
    [IKE_CRYPTO_E_TOO_LONG] = "requested key material too long for prf+",
    [IKE_CRYPTO_E_NO_MEMORY] = "out of memory",
    [IKE_CRYPTO_E_LIBCRYPTO] = "internal OpenSSL failure",
};

const char *ike_crypto_strerror(enum ike_crypto_status status) {
  size_t index = (size_t)status;
  if (index >= sizeof status_text / sizeof status_text[0] || !status_text[index])
    return "unknown crypto status";
  return status_text[index];
}

enum ike_crypto_status ike_secret_alloc(struct ike_secret *s, size_t len) {
  if (!s)
    return IKE_CRYPTO_E_INVALID_ARG;
  s->bytes = NULL;
  s->len = 0;
  if (len == 0)
    return IKE_CRYPTO_OK;
  s->bytes = OPENSSL_zalloc(len);
  if (!s->bytes)
    return IKE_CRYPTO_E_NO_MEMORY;
  s->len = len;
  return IKE_CRYPTO_OK;
}

enum ike_crypto_status ike_secret_copy(struct ike_secret *s, const void *src, size_t len) {
  if (len && !src)
    return IKE_CRYPTO_E_INVALID_ARG;
  enum ike_crypto_status st = ike_secret_alloc(s, len);
  if (st == IKE_CRYPTO_OK && len)
    memcpy(s->bytes, src, len);
  return st;
}

void ike_secret_free(struct ike_secret *s) {
  if (!s)
    return;
  OPENSSL_clear_free(s->bytes, s->len); /* cleanses, then frees; NULL-safe */
  s->bytes = NULL;
  s->len = 0;
}
