/* Internal: keyed HMAC contexts shared by the PRF, prf+ and the SK payload ICV.
 * Not part of the public API of nicsec_ikecrypto. */
#ifndef NICSEC_CRYPTO_CRYPTO_HMAC_H
#define NICSEC_CRYPTO_CRYPTO_HMAC_H

#include <stdbool.h>

#include <openssl/evp.h>

#include "ike_crypto_base.h"

/* A fresh HMAC context keyed with key for the named OpenSSL digest; NULL on failure. The key is
 * copied into OpenSSL's (cleansed-on-free) storage; free with EVP_MAC_CTX_free. */
EVP_MAC_CTX *crypto_hmac_new(const char *digest, struct ike_bytes key);

/* Puts a keyed context back to its just-keyed state (whatever it absorbed before); false on
 * an OpenSSL failure. */
bool crypto_hmac_restart(EVP_MAC_CTX *keyed);

/* HMAC of the concatenated parts under an already keyed context, which is restarted first, so
 * one keyed context serves many messages (one at a time: the context is the scratch space).
 * Writes the full digest length to out; out_cap must hold it. */
enum ike_crypto_status crypto_hmac_run(EVP_MAC_CTX *keyed, const struct ike_bytes *parts,
                                       size_t n_parts, uint8_t *out, size_t out_cap);

#endif
