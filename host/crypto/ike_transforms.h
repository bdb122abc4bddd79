/* The IKEv2/ESP transforms this crypto layer implements, as declarative tables
 * (RFC 7296 section 3.3.2; IANA "IKEv2 Parameters"). Lengths in octets.
 *
 * Everything else in nicsec_ikecrypto looks algorithms up here, so supporting a new transform
 * means adding one row (plus its OpenSSL name).
 */
#ifndef NICSEC_CRYPTO_IKE_TRANSFORMS_H
#define NICSEC_CRYPTO_IKE_TRANSFORMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike_crypto_base.h"

/* Transform Type 1 (ENCR). AES IDs need the Key Length attribute (bits); ChaCha20-Poly1305
 * must be proposed without one (RFC 7634), so it is looked up with key_bits == 0. */
enum ike_encr_id {
  IKE_ENCR_AES_CBC = 12,
  IKE_ENCR_AES_GCM_16 = 20,
  IKE_ENCR_CHACHA20_POLY1305 = 28,
};

/* Transform Type 2 (PRF). HMAC-SHA1 is legacy; it is here because peers still offer it and the
 * NIST IKEv2 KDF vectors exercise it. */
enum ike_prf_id {
  IKE_PRF_HMAC_SHA1 = 2,
  IKE_PRF_HMAC_SHA2_256 = 5,
  IKE_PRF_HMAC_SHA2_384 = 6,
  IKE_PRF_HMAC_SHA2_512 = 7,
};

/* Transform Type 3 (INTEG); NONE with AEAD ciphers. */
enum ike_integ_id {
  IKE_INTEG_NONE = 0,
  IKE_INTEG_HMAC_SHA2_256_128 = 12,
  IKE_INTEG_HMAC_SHA2_384_192 = 13,
  IKE_INTEG_HMAC_SHA2_512_256 = 14,
};

struct ike_prf_alg {
  uint16_t id;
  const char *name;   /* IANA name */
  const char *digest; /* OpenSSL digest name for HMAC */
  uint8_t out_len;    /* PRF output length */
  uint8_t key_len;    /* preferred key length = length of SK_d, SK_pi, SK_pr (RFC 4868) */
};

struct ike_integ_alg {
  uint16_t id;
  const char *name;
  const char *digest;
  uint8_t key_len; /* length of SK_ai / SK_ar and of ESP integrity keys */
  uint8_t icv_len; /* truncated HMAC output carried on the wire */
};

struct ike_encr_alg {
  uint16_t id;
  uint16_t key_bits;  /* Key Length attribute value; 0 = attribute absent */
  const char *cipher; /* OpenSSL cipher name */
  bool aead;          /* AEAD: no INTEG transform, no SK_ai/SK_ar */
  uint8_t key_len;    /* cipher key */
  uint8_t salt_len;   /* extra KEYMAT octets appended to the key (AEAD nonce salt) */
  uint8_t iv_len;     /* explicit IV carried in the SK payload / ESP packet */
  uint8_t align;      /* the encrypted part must be a multiple of this (CBC block size) */
  uint8_t icv_len;    /* AEAD tag length (0 for non-AEAD: the INTEG transform decides) */
};

const struct ike_prf_alg *ike_prf_alg_find(uint16_t id);
const struct ike_integ_alg *ike_integ_alg_find(uint16_t id);
const struct ike_encr_alg *ike_encr_alg_find(uint16_t id, uint16_t key_bits);

/* Resolves an ENCR (+ Key Length attribute) / INTEG pair and enforces RFC 7296 3.3: AEAD
 * ciphers come without an INTEG transform (integ_id must be IKE_INTEG_NONE, *integ = NULL),
 * all others need one. E_UNSUPPORTED for unknown IDs, E_INVALID_ARG for a bad combination. */
enum ike_crypto_status ike_cipher_suite_resolve(uint16_t encr_id, uint16_t key_bits,
                                                uint16_t integ_id, const struct ike_encr_alg **encr,
                                                const struct ike_integ_alg **integ);

/* Length of one direction's encryption key material (SK_ei, or ENCR_i of KEYMAT). */
static inline size_t ike_encr_keymat_len(const struct ike_encr_alg *e) {
  return (size_t)e->key_len + e->salt_len;
}

#endif
