/* The key exchange method table and the public ike_ke_* entry points, which only dispatch to
 * the method's ops. */
#include <openssl/crypto.h>
#include <openssl/err.h>

#include "ke_internal.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* KE data and shared secret sizes: RFC 7296 / RFC 3526 (MODP, both padded to the modulus),
 * RFC 5903 7 (ECP: x | y sent, x alone is the secret), RFC 8031 (Curve25519/448), FIPS 203
 * (ML-KEM-768: 1184-octet encapsulation key, 1088-octet ciphertext). */
/* clang-format off */
static const struct ike_ke_method methods[] = {
  /* id                  name          OpenSSL      init resp secret coord  ops         family */
  {IKE_KE_MODP_2048,  "MODP_2048",  "modp_2048", 256, 256, 256,    0, &ke_dh_ops, &ke_modp_family},
  {IKE_KE_ECP_256,    "ECP_256",    "P-256",      64,  64,  32,   32, &ke_dh_ops, &ke_ecp_family},
  {IKE_KE_ECP_384,    "ECP_384",    "P-384",      96,  96,  48,   48, &ke_dh_ops, &ke_ecp_family},
  {IKE_KE_ECP_521,    "ECP_521",    "P-521",     132, 132,  66,   66, &ke_dh_ops, &ke_ecp_family},
  {IKE_KE_CURVE25519, "Curve25519", "X25519",     32,  32,  32,    0, &ke_dh_ops, &ke_ecx_family},
  {IKE_KE_CURVE448,   "Curve448",   "X448",       56,  56,  56,    0, &ke_dh_ops, &ke_ecx_family},
#if NICSEC_IKECRYPTO_MLKEM
  /* draft-ietf-ipsecme-ikev2-mlkem: KEi = encapsulation key, KEr = ciphertext */
  {IKE_KE_ML_KEM_768, "ML_KEM_768", "ML-KEM-768", 1184, 1088, 32,  0, &ke_kem_ops, NULL},
#endif
};
/* clang-format on */

const struct ike_ke_method *ke_method_find(uint16_t id) {
  for (size_t i = 0; i < ARRAY_LEN(methods); i++)
    if (methods[i].id == id)
      return &methods[i];
  return NULL;
}

bool ike_ke_supported(uint16_t id) { return ke_method_find(id) != NULL; }

enum ike_crypto_status ike_ke_info(uint16_t id, struct ike_ke_info *out) {
  const struct ike_ke_method *m = ke_method_find(id);
  if (!m)
    return IKE_CRYPTO_E_UNSUPPORTED;
  if (!out)
    return IKE_CRYPTO_E_INVALID_ARG;
  *out = (struct ike_ke_info){m->id, m->name, m->initiator_len, m->responder_len, m->secret_len};
  return IKE_CRYPTO_OK;
}

static enum ike_crypto_status ke_alloc(const struct ike_ke_method *m, struct ike_ke **out) {
  *out = OPENSSL_zalloc(sizeof **out);
  if (!*out)
    return IKE_CRYPTO_E_NO_MEMORY;
  (*out)->method = m;
  return IKE_CRYPTO_OK;
}

/* Common tail of the constructors: hand the object out, or free it and leave *out NULL. */
static enum ike_crypto_status ke_publish(enum ike_crypto_status st, struct ike_ke *ke,
                                         struct ike_ke **out) {
  if (st != IKE_CRYPTO_OK) {
    ike_ke_free(ke);
    ke = NULL;
    ERR_clear_error(); /* rejected input must not leave stale entries on the error queue */
  }
  *out = ke;
  return st;
}

enum ike_crypto_status ike_ke_initiate(uint16_t id, struct ike_ke **out) {
  if (!out)
    return IKE_CRYPTO_E_INVALID_ARG;
  *out = NULL;
  const struct ike_ke_method *m = ke_method_find(id);
  if (!m)
    return IKE_CRYPTO_E_UNSUPPORTED;
  struct ike_ke *ke;
  enum ike_crypto_status st = ke_alloc(m, &ke);
  if (st != IKE_CRYPTO_OK)
    return st;
  return ke_publish(m->ops->initiate(m, ke), ke, out);
}

enum ike_crypto_status ike_ke_respond(uint16_t id, struct ike_bytes peer, struct ike_ke **out,
                                      struct ike_secret *shared) {
  if (!out)
    return IKE_CRYPTO_E_INVALID_ARG;
  *out = NULL;
  const struct ike_ke_method *m = ke_method_find(id);
  if (!m)
    return IKE_CRYPTO_E_UNSUPPORTED;
  if (!shared || shared->bytes || (peer.len && !peer.ptr))
    return IKE_CRYPTO_E_INVALID_ARG;
  struct ike_ke *ke;
  enum ike_crypto_status st = ke_alloc(m, &ke);
  if (st != IKE_CRYPTO_OK)
    return st;
  return ke_publish(m->ops->respond(m, peer, ke, shared), ke, out);
}

enum ike_crypto_status ike_ke_finish(const struct ike_ke *ke, struct ike_bytes peer,
                                     struct ike_secret *shared) {
  if (!ke || !shared || shared->bytes || (peer.len && !peer.ptr))
    return IKE_CRYPTO_E_INVALID_ARG;
  enum ike_crypto_status st = ke->method->ops->finish(ke, peer, shared);
  if (st != IKE_CRYPTO_OK)
    ERR_clear_error();
  return st;
}

enum ike_crypto_status ike_ke_public_value(const struct ike_ke *ke, uint8_t *out, size_t cap,
                                           size_t *len) {
  if (!ke || !out || !len)
    return IKE_CRYPTO_E_INVALID_ARG;
  return ke->method->ops->public_value(ke, out, cap, len);
}

enum ike_crypto_status ike_ke_check_peer(uint16_t id, bool from_initiator, struct ike_bytes peer) {
  const struct ike_ke_method *m = ke_method_find(id);
  if (!m)
    return IKE_CRYPTO_E_UNSUPPORTED;
  if (peer.len && !peer.ptr)
    return IKE_CRYPTO_E_INVALID_ARG;
  enum ike_crypto_status st = m->ops->check_peer(m, from_initiator, peer);
  if (st != IKE_CRYPTO_OK)
    ERR_clear_error();
  return st;
}

enum ike_crypto_status ike_ke_import_private(uint16_t id, struct ike_bytes priv,
                                             struct ike_bytes pub, struct ike_ke **out) {
  if (!out)
    return IKE_CRYPTO_E_INVALID_ARG;
  *out = NULL;
  const struct ike_ke_method *m = ke_method_find(id);
  if (!m)
    return IKE_CRYPTO_E_UNSUPPORTED;
  if (!priv.len || !priv.ptr || (pub.len && !pub.ptr))
    return IKE_CRYPTO_E_INVALID_ARG;
  struct ike_ke *ke;
  enum ike_crypto_status st = ke_alloc(m, &ke);
  if (st != IKE_CRYPTO_OK)
    return st;
  return ke_publish(m->ops->import_private(m, priv, pub, ke), ke, out);
}

uint16_t ike_ke_method_id(const struct ike_ke *ke) { return ke ? ke->method->id : 0; }

void ike_ke_free(struct ike_ke *ke) {
  if (!ke)
    return;
  EVP_PKEY_free(ke->key);  /* OpenSSL clears private key material when it frees a key */
  OPENSSL_free(ke->reply); /* a KEM ciphertext: public */
  OPENSSL_free(ke);
}
