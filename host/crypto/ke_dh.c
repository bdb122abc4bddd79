/* Diffie-Hellman behaviour shared by every DH family (MODP, ECP, X25519/X448): the responder
 * generates its own key pair, and both sides derive g^ir from the peer's public value. */
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/dh.h>

#include "crypto_cache.h"
#include "ke_internal.h"

enum ike_crypto_status ke_generate_named(const char *algorithm, const char *group, EVP_PKEY **key) {
  *key = NULL;
  return crypto_cache_generate(algorithm, group, key) ? IKE_CRYPTO_OK : IKE_CRYPTO_E_LIBCRYPTO;
}

EVP_PKEY *ke_key_fromdata(const char *algorithm, int selection, const OSSL_PARAM *params) {
  return crypto_cache_fromdata(algorithm, selection, params);
}

EVP_PKEY *ke_raw_public_key(const char *algorithm, struct ike_bytes raw) {
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)raw.ptr, raw.len),
      OSSL_PARAM_construct_end(),
  };
  return crypto_cache_fromdata(algorithm, EVP_PKEY_PUBLIC_KEY, params);
}

bool ke_pairwise_ok(EVP_PKEY *key) {
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
  bool ok = ctx && EVP_PKEY_pairwise_check(ctx) > 0;
  EVP_PKEY_CTX_free(ctx);
  return ok;
}

/* A shared secret of all zero octets means the peer sent a low-order point (RFC 7748 6,
 * RFC 8031); checked for every family since it costs nothing. Constant time over len. */
static bool all_zero(const uint8_t *p, size_t len) {
  uint8_t acc = 0;
  for (size_t i = 0; i < len; i++)
    acc |= p[i];
  return acc == 0;
}

static enum ike_crypto_status derive_into(EVP_PKEY_CTX *ctx, const struct ike_ke_method *m,
                                          struct ike_secret *shared) {
  size_t len = 0;
  if (EVP_PKEY_derive(ctx, NULL, &len) <= 0 || len != m->secret_len)
    return IKE_CRYPTO_E_LIBCRYPTO;
  enum ike_crypto_status st = ike_secret_alloc(shared, len);
  if (st != IKE_CRYPTO_OK)
    return st;
  /* The peer value passed our checks, so a refusal here (OpenSSL's own X25519/X448 zero
   * check) is the peer's fault. */
  if (EVP_PKEY_derive(ctx, shared->bytes, &len) <= 0 || len != m->secret_len)
    st = IKE_CRYPTO_E_INVALID_PUBLIC;
  else if (all_zero(shared->bytes, len))
    st = IKE_CRYPTO_E_INVALID_PUBLIC;
  if (st != IKE_CRYPTO_OK)
    ike_secret_free(shared);
  return st;
}

/* g^ir from our private key and the peer's (already validated) public key. */
static enum ike_crypto_status dh_derive(const struct ike_ke_method *m, EVP_PKEY *own,
                                        EVP_PKEY *peer, struct ike_secret *shared) {
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, own, NULL);
  if (!ctx)
    return IKE_CRYPTO_E_NO_MEMORY;
  enum ike_crypto_status st = IKE_CRYPTO_E_LIBCRYPTO;
  /* validate = 0: the family's import_peer has done the range / on-curve checks; OpenSSL's
   * full public check would add a 2048-bit exponentiation per MODP exchange. */
  if (EVP_PKEY_derive_init(ctx) > 0 &&
      (!m->dh->pad_secret || EVP_PKEY_CTX_set_dh_pad(ctx, 1) > 0) &&
      EVP_PKEY_derive_set_peer_ex(ctx, peer, 0) > 0)
    st = derive_into(ctx, m, shared);
  EVP_PKEY_CTX_free(ctx);
  return st;
}

static enum ike_crypto_status dh_import_peer(const struct ike_ke_method *m, struct ike_bytes peer,
                                             size_t expected_len, EVP_PKEY **key) {
  *key = NULL;
  if (peer.len != expected_len)
    return IKE_CRYPTO_E_BAD_LENGTH;
  return m->dh->import_peer(m, peer, key);
}

static enum ike_crypto_status dh_initiate(const struct ike_ke_method *m, struct ike_ke *ke) {
  return m->dh->generate(m, &ke->key);
}

static enum ike_crypto_status dh_finish(const struct ike_ke *ke, struct ike_bytes peer,
                                        struct ike_secret *shared) {
  const struct ike_ke_method *m = ke->method;
  EVP_PKEY *peer_key;
  enum ike_crypto_status st = dh_import_peer(m, peer, m->responder_len, &peer_key);
  if (st == IKE_CRYPTO_OK)
    st = dh_derive(m, ke->key, peer_key, shared);
  EVP_PKEY_free(peer_key);
  return st;
}

static enum ike_crypto_status dh_respond(const struct ike_ke_method *m, struct ike_bytes peer,
                                         struct ike_ke *ke, struct ike_secret *shared) {
  EVP_PKEY *peer_key;
  /* Validate first: a bogus KEi must not cost us a key generation. */
  enum ike_crypto_status st = dh_import_peer(m, peer, m->initiator_len, &peer_key);
  if (st == IKE_CRYPTO_OK)
    st = m->dh->generate(m, &ke->key);
  if (st == IKE_CRYPTO_OK)
    st = dh_derive(m, ke->key, peer_key, shared);
  EVP_PKEY_free(peer_key);
  return st;
}

static enum ike_crypto_status dh_public_value(const struct ike_ke *ke, uint8_t *out, size_t cap,
                                              size_t *len) {
  /* For DH both directions carry the same kind of value. */
  const struct ike_ke_method *m = ke->method;
  if (cap < m->initiator_len)
    return IKE_CRYPTO_E_BUFFER_TOO_SMALL;
  enum ike_crypto_status st = m->dh->export_public(m, ke->key, out);
  *len = st == IKE_CRYPTO_OK ? m->initiator_len : 0;
  return st;
}

static enum ike_crypto_status dh_check_peer(const struct ike_ke_method *m, bool from_initiator,
                                            struct ike_bytes peer) {
  EVP_PKEY *peer_key;
  size_t expected = from_initiator ? m->initiator_len : m->responder_len;
  enum ike_crypto_status st = dh_import_peer(m, peer, expected, &peer_key);
  EVP_PKEY_free(peer_key);
  return st;
}

static enum ike_crypto_status dh_import_private(const struct ike_ke_method *m,
                                                struct ike_bytes priv, struct ike_bytes pub,
                                                struct ike_ke *ke) {
  return m->dh->import_private(m, priv, pub, &ke->key);
}

const struct ke_ops ke_dh_ops = {
    .initiate = dh_initiate,
    .respond = dh_respond,
    .finish = dh_finish,
    .public_value = dh_public_value,
    .check_peer = dh_check_peer,
    .import_private = dh_import_private,
};
