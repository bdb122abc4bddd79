#include "ike_transforms.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* clang-format off */

/* RFC 2104 / RFC 4868: for HMAC PRFs the preferred key length equals the output length. */
static const struct ike_prf_alg prf_algs[] = {
  /* id                     name                 OpenSSL     out  key */
  {IKE_PRF_HMAC_SHA1,     "PRF_HMAC_SHA1",     "SHA1",     20,  20},
  {IKE_PRF_HMAC_SHA2_256, "PRF_HMAC_SHA2_256", "SHA2-256", 32,  32},
  {IKE_PRF_HMAC_SHA2_384, "PRF_HMAC_SHA2_384", "SHA2-384", 48,  48},
  {IKE_PRF_HMAC_SHA2_512, "PRF_HMAC_SHA2_512", "SHA2-512", 64,  64},
};

/* RFC 4868: full-length keys, ICV = leading half of the HMAC output. */
static const struct ike_integ_alg integ_algs[] = {
  /* id                           name                      OpenSSL     key  icv */
  {IKE_INTEG_HMAC_SHA2_256_128, "AUTH_HMAC_SHA2_256_128", "SHA2-256", 32,  16},
  {IKE_INTEG_HMAC_SHA2_384_192, "AUTH_HMAC_SHA2_384_192", "SHA2-384", 48,  24},
  {IKE_INTEG_HMAC_SHA2_512_256, "AUTH_HMAC_SHA2_512_256", "SHA2-512", 64,  32},
};

/* ENCR_AES_CBC (RFC 3602: random 16-octet IV, block alignment), ENCR_AES_GCM_16 (RFC 5282 in
 * IKE: 4-octet salt, 8-octet IV, 16-octet ICV), ENCR_CHACHA20_POLY1305 (RFC 7634: as GCM). */
static const struct ike_encr_alg encr_algs[] = {
  /* id                         bits OpenSSL cipher       aead  key salt iv align icv */
  {IKE_ENCR_AES_CBC,           128, "AES-128-CBC",       false, 16, 0, 16, 16,  0},
  {IKE_ENCR_AES_CBC,           192, "AES-192-CBC",       false, 24, 0, 16, 16,  0},
  {IKE_ENCR_AES_CBC,           256, "AES-256-CBC",       false, 32, 0, 16, 16,  0},
  {IKE_ENCR_AES_GCM_16,        128, "AES-128-GCM",       true,  16, 4,  8,  1, 16},
  {IKE_ENCR_AES_GCM_16,        192, "AES-192-GCM",       true,  24, 4,  8,  1, 16},
  {IKE_ENCR_AES_GCM_16,        256, "AES-256-GCM",       true,  32, 4,  8,  1, 16},
  {IKE_ENCR_CHACHA20_POLY1305,   0, "ChaCha20-Poly1305", true,  32, 4,  8,  1, 16},
};

/* clang-format on */

const struct ike_prf_alg *ike_prf_alg_find(uint16_t id) {
  for (size_t i = 0; i < ARRAY_LEN(prf_algs); i++)
    if (prf_algs[i].id == id)
      return &prf_algs[i];
  return NULL;
}

const struct ike_integ_alg *ike_integ_alg_find(uint16_t id) {
  for (size_t i = 0; i < ARRAY_LEN(integ_algs); i++)
    if (integ_algs[i].id == id)
      return &integ_algs[i];
  return NULL;
}

const struct ike_encr_alg *ike_encr_alg_find(uint16_t id, uint16_t key_bits) {
  for (size_t i = 0; i < ARRAY_LEN(encr_algs); i++)
    if (encr_algs[i].id == id && encr_algs[i].key_bits == key_bits)
      return &encr_algs[i];
  return NULL;
}

enum ike_crypto_status ike_cipher_suite_resolve(uint16_t encr_id, uint16_t key_bits,
                                                uint16_t integ_id, const struct ike_encr_alg **encr,
                                                const struct ike_integ_alg **integ) {
  *encr = ike_encr_alg_find(encr_id, key_bits);
  *integ = NULL;
  if (!*encr)
    return IKE_CRYPTO_E_UNSUPPORTED;
  if ((*encr)->aead)
    return integ_id == IKE_INTEG_NONE ? IKE_CRYPTO_OK : IKE_CRYPTO_E_INVALID_ARG;
  if (integ_id == IKE_INTEG_NONE)
    return IKE_CRYPTO_E_INVALID_ARG;
  *integ = ike_integ_alg_find(integ_id);
  return *integ ? IKE_CRYPTO_OK : IKE_CRYPTO_E_UNSUPPORTED;
}
