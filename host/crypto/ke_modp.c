/* Finite-field DH (RFC 3526 MODP groups; group 14 = "modp_2048" in OpenSSL).
 * KE data and the shared secret are big-endian and left-padded to the modulus length
 * (RFC 7296 3.4 / 2.14). */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "ke_internal.h"

/* The group's prime. Only group 14 is in the table; another MODP group adds a case here. */
static BIGNUM *modp_prime(const struct ike_ke_method *m) {
  switch (m->id) {
  case IKE_KE_MODP_2048:
    return BN_get_rfc3526_prime_2048(NULL);
  default:
    return NULL;
  }
}

/* Partial public-key validation (NIST SP 800-56A): a peer value must satisfy 1 < y < p - 1.
 * In a safe-prime group every element other than 1 (order 1) and p - 1 (order 2) has order q
 * or 2q, so the range check alone rules out small-subgroup values. E_INVALID_PUBLIC otherwise. */
static enum ike_crypto_status modp_check_range(const struct ike_ke_method *m, const BIGNUM *y) {
  BIGNUM *p_minus_1 = modp_prime(m);
  if (!p_minus_1)
    return IKE_CRYPTO_E_LIBCRYPTO;
  enum ike_crypto_status st = IKE_CRYPTO_E_LIBCRYPTO;
  if (BN_sub_word(p_minus_1, 1))
    st = BN_cmp(y, BN_value_one()) > 0 && BN_cmp(y, p_minus_1) < 0 ? IKE_CRYPTO_OK
                                                                   : IKE_CRYPTO_E_INVALID_PUBLIC;
  BN_free(p_minus_1);
  return st;
}

static enum ike_crypto_status modp_generate(const struct ike_ke_method *m, EVP_PKEY **key) {
  return ke_generate_named("DH", m->ossl_name, key);
}

/* Builds a DH key of the method's group from a public value and an optional private value. */
static EVP_PKEY *modp_key_from_bn(const struct ike_ke_method *m, const BIGNUM *pub,
                                  const BIGNUM *priv) {
  OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM *params = NULL;
  EVP_PKEY *key = NULL;
  if (bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, m->ossl_name, 0) &&
      OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, pub) &&
      (!priv || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv)))
    params = OSSL_PARAM_BLD_to_param(bld);
  if (params)
    key = ke_key_fromdata("DH", priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  return key;
}

static enum ike_crypto_status modp_import_peer(const struct ike_ke_method *m, struct ike_bytes peer,
                                               EVP_PKEY **key) {
  BIGNUM *y = BN_bin2bn(peer.ptr, (int)peer.len, NULL);
  if (!y)
    return IKE_CRYPTO_E_NO_MEMORY;
  enum ike_crypto_status st = modp_check_range(m, y);
  if (st == IKE_CRYPTO_OK) {
    *key = modp_key_from_bn(m, y, NULL);
    st = *key ? IKE_CRYPTO_OK : IKE_CRYPTO_E_LIBCRYPTO;
  }
  BN_free(y);
  return st;
}

static enum ike_crypto_status modp_export_public(const struct ike_ke_method *m, const EVP_PKEY *key,
                                                 uint8_t *out) {
  BIGNUM *y = NULL;
  if (!EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PUB_KEY, &y))
    return IKE_CRYPTO_E_LIBCRYPTO;
  int written = BN_bn2binpad(y, out, (int)m->initiator_len);
  BN_free(y);
  return written == (int)m->initiator_len ? IKE_CRYPTO_OK : IKE_CRYPTO_E_LIBCRYPTO;
}

static enum ike_crypto_status modp_import_private(const struct ike_ke_method *m,
                                                  struct ike_bytes priv, struct ike_bytes pub,
                                                  EVP_PKEY **key) {
  if (pub.len != m->initiator_len)
    return IKE_CRYPTO_E_BAD_LENGTH;
  BIGNUM *x = BN_secure_new();
  BIGNUM *y = BN_bin2bn(pub.ptr, (int)pub.len, NULL);
  enum ike_crypto_status st = IKE_CRYPTO_E_NO_MEMORY;
  if (x && y && BN_bin2bn(priv.ptr, (int)priv.len, x))
    st = modp_check_range(m, y);
  if (st == IKE_CRYPTO_OK) {
    *key = modp_key_from_bn(m, y, x);
    st = *key && ke_pairwise_ok(*key) ? IKE_CRYPTO_OK : IKE_CRYPTO_E_INVALID_ARG;
  }
  BN_clear_free(x);
  BN_free(y);
  return st;
}

const struct ke_dh_family ke_modp_family = {
    .generate = modp_generate,
    .import_peer = modp_import_peer,
    .export_public = modp_export_public,
    .import_private = modp_import_private,
    .pad_secret = true,
};
