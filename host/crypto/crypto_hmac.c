#include "crypto_hmac.h"

#include <openssl/core_names.h>
#include <openssl/params.h>

EVP_MAC_CTX *crypto_hmac_new(const char *digest, struct ike_bytes key) {
  /* EVP_MAC_init treats a NULL key as "keep the previous key", which a fresh context lacks;
   * an empty HMAC key is legal, so point at a dummy byte instead. */
  static const uint8_t empty_key[1];
  EVP_MAC *mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
  if (!mac)
    return NULL;
  EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
  EVP_MAC_free(mac); /* the context keeps its own reference */
  if (!ctx)
    return NULL;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0),
      OSSL_PARAM_construct_end(),
  };
  const uint8_t *key_ptr = key.len ? key.ptr : empty_key;
  if (!EVP_MAC_init(ctx, key_ptr, key.len, params)) {
    EVP_MAC_CTX_free(ctx);
    return NULL;
  }
  return ctx;
}

enum ike_crypto_status crypto_hmac_run(const EVP_MAC_CTX *keyed, const struct ike_bytes *parts,
                                       size_t n_parts, uint8_t *out, size_t out_cap) {
  /* EVP_MAC_CTX_dup takes a non-const pointer in OpenSSL 3.0 but does not modify the source. */
  EVP_MAC_CTX *ctx = EVP_MAC_CTX_dup((EVP_MAC_CTX *)keyed);
  if (!ctx)
    return IKE_CRYPTO_E_NO_MEMORY;
  enum ike_crypto_status st = IKE_CRYPTO_OK;
  if (EVP_MAC_CTX_get_mac_size(ctx) > out_cap)
    st = IKE_CRYPTO_E_BUFFER_TOO_SMALL;
  for (size_t i = 0; st == IKE_CRYPTO_OK && i < n_parts; i++)
    if (parts[i].len && !EVP_MAC_update(ctx, parts[i].ptr, parts[i].len))
      st = IKE_CRYPTO_E_LIBCRYPTO;
  size_t written = 0;
  if (st == IKE_CRYPTO_OK && !EVP_MAC_final(ctx, out, &written, out_cap))
    st = IKE_CRYPTO_E_LIBCRYPTO;
  EVP_MAC_CTX_free(ctx);
  return st;
}
