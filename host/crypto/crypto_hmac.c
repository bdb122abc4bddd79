#include "crypto_hmac.h"

#include "crypto_cache.h"

EVP_MAC_CTX *crypto_hmac_new(const char *digest, struct ike_bytes key) {
  return crypto_cache_hmac_new(digest, key.ptr, key.len);
}

bool crypto_hmac_restart(EVP_MAC_CTX *keyed) {
  /* A NULL key makes the HMAC provider restart from the stored inner/outer pads (OpenSSL 3.0
   * and later): no duplicate context, no allocation per message. */
  return EVP_MAC_init(keyed, NULL, 0, NULL) == 1;
}

enum ike_crypto_status crypto_hmac_run(EVP_MAC_CTX *keyed, const struct ike_bytes *parts,
                                       size_t n_parts, uint8_t *out, size_t out_cap) {
  if (EVP_MAC_CTX_get_mac_size(keyed) > out_cap)
    return IKE_CRYPTO_E_BUFFER_TOO_SMALL;
  bool ok = crypto_hmac_restart(keyed);
  for (size_t i = 0; ok && i < n_parts; i++)
    ok = parts[i].len == 0 || EVP_MAC_update(keyed, parts[i].ptr, parts[i].len);
  size_t written = 0;
  ok = ok && EVP_MAC_final(keyed, out, &written, out_cap);
  return ok ? IKE_CRYPTO_OK : IKE_CRYPTO_E_LIBCRYPTO;
}
