/* ML-KEM (FIPS 203) as an IKEv2 key exchange method (draft-ietf-ipsecme-ikev2-mlkem):
 * the initiator's KE data is its encapsulation key, the responder's is the ciphertext it
 * encapsulated to that key, and the shared secret is the 32-octet KEM output.
 * Built only against OpenSSL >= 3.5 (NICSEC_HAVE_PQC).
 *
 * Validation: the responder imports the encapsulation key through OpenSSL, which runs the
 * FIPS 203 7.2 modulus check and refuses a key with coefficients >= q (E_INVALID_PUBLIC). Any
 * ciphertext of the right length is acceptable to the initiator: a corrupted one decapsulates
 * to an unrelated secret (implicit rejection), which then shows up as an AUTH failure. */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>

#include "ke_internal.h"

enum { MLKEM_SEED_LEN = 64 }; /* d | z, FIPS 203 Algorithm 16 */

static enum ike_crypto_status kem_initiate(const struct ike_ke_method *m, struct ike_ke *ke) {
  return ke_generate_named(m->ossl_name, NULL, &ke->key);
}

static enum ike_crypto_status import_encapsulation_key(const struct ike_ke_method *m,
                                                       struct ike_bytes ek, EVP_PKEY **key) {
  *key = NULL;
  if (ek.len != m->initiator_len)
    return IKE_CRYPTO_E_BAD_LENGTH;
  *key = ke_raw_public_key(m->ossl_name, ek);
  return *key ? IKE_CRYPTO_OK : IKE_CRYPTO_E_INVALID_PUBLIC;
}

static enum ike_crypto_status encapsulate(const struct ike_ke_method *m, EVP_PKEY *ek,
                                          struct ike_ke *ke, struct ike_secret *shared) {
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, ek, NULL);
  ke->reply = OPENSSL_malloc(m->responder_len);
  enum ike_crypto_status st = ike_secret_alloc(shared, m->secret_len);
  size_t ct_len = m->responder_len, ss_len = m->secret_len;
  if (st == IKE_CRYPTO_OK &&
      (!ctx || !ke->reply || EVP_PKEY_encapsulate_init(ctx, NULL) <= 0 ||
       EVP_PKEY_encapsulate(ctx, ke->reply, &ct_len, shared->bytes, &ss_len) <= 0 ||
       ct_len != m->responder_len || ss_len != m->secret_len))
    st = IKE_CRYPTO_E_LIBCRYPTO;
  EVP_PKEY_CTX_free(ctx);
  if (st != IKE_CRYPTO_OK)
    ike_secret_free(shared);
  else
    ke->reply_len = ct_len;
  return st;
}

static enum ike_crypto_status kem_respond(const struct ike_ke_method *m, struct ike_bytes peer,
                                          struct ike_ke *ke, struct ike_secret *shared) {
  EVP_PKEY *ek;
  enum ike_crypto_status st = import_encapsulation_key(m, peer, &ek);
  if (st == IKE_CRYPTO_OK)
    st = encapsulate(m, ek, ke, shared);
  EVP_PKEY_free(ek);
  return st;
}

static enum ike_crypto_status kem_finish(const struct ike_ke *ke, struct ike_bytes peer,
                                         struct ike_secret *shared) {
  const struct ike_ke_method *m = ke->method;
  if (ke->reply)
    return IKE_CRYPTO_E_INVALID_ARG; /* a responder has nothing to decapsulate with */
  if (peer.len != m->responder_len)
    return IKE_CRYPTO_E_BAD_LENGTH;
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, ke->key, NULL);
  enum ike_crypto_status st = ike_secret_alloc(shared, m->secret_len);
  size_t ss_len = m->secret_len;
  if (st == IKE_CRYPTO_OK &&
      (!ctx || EVP_PKEY_decapsulate_init(ctx, NULL) <= 0 ||
       EVP_PKEY_decapsulate(ctx, shared->bytes, &ss_len, peer.ptr, peer.len) <= 0 ||
       ss_len != m->secret_len))
    st = IKE_CRYPTO_E_LIBCRYPTO;
  EVP_PKEY_CTX_free(ctx);
  if (st != IKE_CRYPTO_OK)
    ike_secret_free(shared);
  return st;
}

static enum ike_crypto_status kem_public_value(const struct ike_ke *ke, uint8_t *out, size_t cap,
                                               size_t *len) {
  const struct ike_ke_method *m = ke->method;
  size_t need = ke->reply ? m->responder_len : m->initiator_len;
  if (cap < need)
    return IKE_CRYPTO_E_BUFFER_TOO_SMALL;
  *len = 0;
  if (ke->reply) {
    memcpy(out, ke->reply, ke->reply_len);
    *len = ke->reply_len;
    return IKE_CRYPTO_OK;
  }
  size_t written = cap;
  if (EVP_PKEY_get_raw_public_key(ke->key, out, &written) <= 0 || written != need)
    return IKE_CRYPTO_E_LIBCRYPTO;
  *len = written;
  return IKE_CRYPTO_OK;
}

static enum ike_crypto_status kem_check_peer(const struct ike_ke_method *m, bool from_initiator,
                                             struct ike_bytes peer) {
  if (!from_initiator)
    return peer.len == m->responder_len ? IKE_CRYPTO_OK : IKE_CRYPTO_E_BAD_LENGTH;
  EVP_PKEY *ek;
  enum ike_crypto_status st = import_encapsulation_key(m, peer, &ek);
  EVP_PKEY_free(ek);
  return st;
}

/* Known answers: priv is the 64-octet seed d | z or the expanded decapsulation key. */
static EVP_PKEY *key_from_private(const struct ike_ke_method *m, struct ike_bytes priv) {
  if (priv.len != MLKEM_SEED_LEN)
    return EVP_PKEY_new_raw_private_key_ex(NULL, m->ossl_name, NULL, priv.ptr, priv.len);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_ML_KEM_SEED, (void *)priv.ptr, priv.len),
      OSSL_PARAM_construct_end(),
  };
  return ke_key_fromdata(m->ossl_name, EVP_PKEY_KEYPAIR, params);
}

static enum ike_crypto_status kem_import_private(const struct ike_ke_method *m,
                                                 struct ike_bytes priv, struct ike_bytes pub,
                                                 struct ike_ke *ke) {
  if (pub.len && pub.len != m->initiator_len)
    return IKE_CRYPTO_E_BAD_LENGTH;
  ke->key = key_from_private(m, priv);
  if (!ke->key)
    return IKE_CRYPTO_E_INVALID_ARG;
  if (!pub.len)
    return IKE_CRYPTO_OK;
  uint8_t *derived = OPENSSL_malloc(m->initiator_len);
  size_t len = 0;
  enum ike_crypto_status st =
      derived ? kem_public_value(ke, derived, m->initiator_len, &len) : IKE_CRYPTO_E_NO_MEMORY;
  if (st == IKE_CRYPTO_OK && CRYPTO_memcmp(derived, pub.ptr, pub.len) != 0)
    st = IKE_CRYPTO_E_INVALID_ARG; /* the given key does not belong to priv */
  OPENSSL_free(derived);
  return st;
}

const struct ke_ops ke_kem_ops = {
    .initiate = kem_initiate,
    .respond = kem_respond,
    .finish = kem_finish,
    .public_value = kem_public_value,
    .check_peer = kem_check_peer,
    .import_private = kem_import_private,
};
