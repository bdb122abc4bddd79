/* Curve25519 and Curve448 (RFC 7748, used in IKEv2 per RFC 8031: groups 31 and 32).
 * KE data is the raw little-endian u coordinate; the shared secret is X25519/X448 output.
 * Any 32/56-octet string is a valid encoding, so peer validation is the length check plus the
 * all-zero-secret check at derive time (which catches the low-order points). */
#include <openssl/crypto.h>

#include "ke_internal.h"

static enum ike_crypto_status ecx_generate(const struct ike_ke_method *m, EVP_PKEY **key) {
  return ke_generate_named(m->ossl_name, NULL, key);
}

static enum ike_crypto_status ecx_import_peer(const struct ike_ke_method *m, struct ike_bytes peer,
                                              EVP_PKEY **key) {
  *key = ke_raw_public_key(m->ossl_name, peer);
  return *key ? IKE_CRYPTO_OK : IKE_CRYPTO_E_INVALID_PUBLIC;
}

static enum ike_crypto_status ecx_export_public(const struct ike_ke_method *m, const EVP_PKEY *key,
                                                uint8_t *out) {
  size_t len = m->initiator_len;
  if (EVP_PKEY_get_raw_public_key(key, out, &len) <= 0 || len != m->initiator_len)
    return IKE_CRYPTO_E_LIBCRYPTO;
  return IKE_CRYPTO_OK;
}

static enum ike_crypto_status ecx_import_private(const struct ike_ke_method *m,
                                                 struct ike_bytes priv, struct ike_bytes pub,
                                                 EVP_PKEY **key) {
  /* scalar and u coordinate have the same length on both curves */
  if (priv.len != m->initiator_len || (pub.len && pub.len != m->initiator_len))
    return IKE_CRYPTO_E_BAD_LENGTH;
  *key = EVP_PKEY_new_raw_private_key_ex(NULL, m->ossl_name, NULL, priv.ptr, priv.len);
  if (!*key)
    return IKE_CRYPTO_E_LIBCRYPTO;
  if (!pub.len)
    return IKE_CRYPTO_OK;
  uint8_t derived[56];
  enum ike_crypto_status st = ecx_export_public(m, *key, derived);
  if (st == IKE_CRYPTO_OK && CRYPTO_memcmp(derived, pub.ptr, pub.len) != 0)
    st = IKE_CRYPTO_E_INVALID_ARG; /* the given public value does not belong to priv */
  return st;
}

const struct ke_dh_family ke_ecx_family = {
    .generate = ecx_generate,
    .import_peer = ecx_import_peer,
    .export_public = ecx_export_public,
    .import_private = ecx_import_private,
    .pad_secret = false,
};
