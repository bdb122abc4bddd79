/* Internal: a per-process cache of the OpenSSL algorithm objects nicsec_ikecrypto uses.
 *
 * Why: OpenSSL 3 resolves an algorithm name to a provider implementation on every
 * EVP_*_fetch, EVP_PKEY_CTX_new_from_name and digest-by-name parameter, and profiling showed
 * those look-ups dominating the CPU cost of a handshake. Everything here is fetched or set up
 * once on first use and kept until exit (an atexit handler frees it), so the hot paths only
 * duplicate or reuse ready objects.
 *
 * Thread safety: a mutex guards the table and every operation that uses a shared context
 * (key generation, import), so callers on several threads are safe; the daemon is
 * single-threaded and the lock is uncontended. Not part of the public API.
 */
#ifndef NICSEC_CRYPTO_CRYPTO_CACHE_H
#define NICSEC_CRYPTO_CRYPTO_CACHE_H

#include <openssl/evp.h>

/* The cipher of that OpenSSL name, or NULL. Owned by the cache: do not free. */
const EVP_CIPHER *crypto_cache_cipher(const char *name);

/* A new HMAC context for the named digest, keyed with key/key_len (key_len may be 0). It is a
 * duplicate of a cached context, so no name is resolved. Free with EVP_MAC_CTX_free. */
EVP_MAC_CTX *crypto_cache_hmac_new(const char *digest, const uint8_t *key, size_t key_len);

/* A fresh key pair: algorithm "DH"/"EC" with a group name, or "X25519"/"X448"/"ML-KEM-768"
 * with group NULL. Returns 1 on success (*key set), 0 on failure. */
int crypto_cache_generate(const char *algorithm, const char *group, EVP_PKEY **key);

/* EVP_PKEY_fromdata through a cached import context for the algorithm; NULL on failure. */
EVP_PKEY *crypto_cache_fromdata(const char *algorithm, int selection, const OSSL_PARAM *params);

/* Frees everything cached (also registered with atexit; safe to call more than once). */
void crypto_cache_free(void);

#endif
