/* Elliptic-curve DH over the NIST prime curves (RFC 5903: groups 19, 20, 21).
 * KE data = x | y, each coordinate big-endian and padded to the field size, without the 0x04
 * point-format octet of SEC1 (RFC 5903 7). The shared secret is the x coordinate of g^ir. */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "ke_internal.h"

enum { SEC1_UNCOMPRESSED = 0x04, ECP_MAX_POINT = 1 + 2 * 66 };

static enum ike_crypto_status ecp_generate(const struct ike_ke_method *m, EVP_PKEY **key) {
  return ke_generate_named("EC", m->ossl_name, key);
}

/* KE data -> SEC1 uncompressed point, the form OpenSSL imports. */
static size_t ecp_sec1_point(const struct ike_ke_method *m, struct ike_bytes ke_data,
                             uint8_t point[ECP_MAX_POINT]) {
  point[0] = SEC1_UNCOMPRESSED;
  memcpy(point + 1, ke_data.ptr, 2 * m->coord_len);
  return 1 + 2 * m->coord_len;
}

/* Builds an EC key from a SEC1 point and an optional private scalar. OpenSSL refuses a point
 * whose coordinates are not below p or that does not satisfy the curve equation. */
static EVP_PKEY *ecp_key_from_point(const struct ike_ke_method *m, const uint8_t *point,
                                    size_t point_len, const BIGNUM *priv) {
  OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM *params = NULL;
  EVP_PKEY *key = NULL;
  if (bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, m->ossl_name, 0) &&
      OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, point_len) &&
      (!priv || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv)))
    params = OSSL_PARAM_BLD_to_param(bld);
  if (params)
    key = ke_key_fromdata("EC", priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  return key;
}

/* SP 800-56A partial validation: coordinates in range, point on the curve, not the
 * point at infinity. The full check (n * Q == O) is unnecessary: these curves have cofactor 1. */
static bool ecp_public_ok(EVP_PKEY *key) {
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
  bool ok = ctx && EVP_PKEY_public_check_quick(ctx) > 0;
  EVP_PKEY_CTX_free(ctx);
  return ok;
}

static enum ike_crypto_status ecp_import_peer(const struct ike_ke_method *m, struct ike_bytes peer,
                                              EVP_PKEY **key) {
  uint8_t point[ECP_MAX_POINT];
  size_t point_len = ecp_sec1_point(m, peer, point);
  *key = ecp_key_from_point(m, point, point_len, NULL);
  if (*key && ecp_public_ok(*key))
    return IKE_CRYPTO_OK;
  EVP_PKEY_free(*key);
  *key = NULL;
  return IKE_CRYPTO_E_INVALID_PUBLIC;
}

static enum ike_crypto_status ecp_export_public(const struct ike_ke_method *m, const EVP_PKEY *key,
                                                uint8_t *out) {
  /* Read the affine coordinates rather than the encoded point, so the output never depends on
   * the key's point-conversion setting. */
  BIGNUM *x = NULL, *y = NULL;
  int len = (int)m->coord_len;
  bool ok = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x) &&
            EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y) &&
            BN_bn2binpad(x, out, len) == len && BN_bn2binpad(y, out + len, len) == len;
  BN_free(x);
  BN_free(y);
  return ok ? IKE_CRYPTO_OK : IKE_CRYPTO_E_LIBCRYPTO;
}

static enum ike_crypto_status ecp_import_private(const struct ike_ke_method *m,
                                                 struct ike_bytes priv, struct ike_bytes pub,
                                                 EVP_PKEY **key) {
  if (pub.len != m->initiator_len)
    return IKE_CRYPTO_E_BAD_LENGTH;
  BIGNUM *scalar = BN_secure_new();
  if (!scalar || !BN_bin2bn(priv.ptr, (int)priv.len, scalar)) {
    BN_clear_free(scalar);
    return IKE_CRYPTO_E_NO_MEMORY;
  }
  uint8_t point[ECP_MAX_POINT];
  size_t point_len = ecp_sec1_point(m, pub, point);
  *key = ecp_key_from_point(m, point, point_len, scalar);
  BN_clear_free(scalar);
  return *key && ke_pairwise_ok(*key) ? IKE_CRYPTO_OK : IKE_CRYPTO_E_INVALID_ARG;
}

const struct ke_dh_family ke_ecp_family = {
    .generate = ecp_generate,
    .import_peer = ecp_import_peer,
    .export_public = ecp_export_public,
    .import_private = ecp_import_private,
    .pad_secret = false,
};
