/* Shared vocabulary of the IKEv2 crypto layer: status codes, byte ranges and secrets.
 *
 * Every function of nicsec_ikecrypto returns an enum ike_crypto_status. Codes that describe
 * peer input (BAD_LENGTH, INVALID_PUBLIC, INTEGRITY, BAD_PADDING) are distinct from caller
 * mistakes (INVALID_ARG, BUFFER_TOO_SMALL) so the daemon can pick the right RFC 7296 reaction:
 * INVALID_SYNTAX for a malformed KE value, a silent drop for a failed ICV.
 */
#ifndef NICSEC_CRYPTO_IKE_CRYPTO_BASE_H
#define NICSEC_CRYPTO_IKE_CRYPTO_BASE_H

#include <stddef.h>
#include <stdint.h>

enum ike_crypto_status {
  IKE_CRYPTO_OK = 0,
  IKE_CRYPTO_E_UNSUPPORTED,      /* transform ID, key length or KE method not implemented */
  IKE_CRYPTO_E_INVALID_ARG,      /* caller error: NULL pointer, wrong key length, bad combination */
  IKE_CRYPTO_E_BUFFER_TOO_SMALL, /* the output buffer cannot hold the result */
  IKE_CRYPTO_E_BAD_LENGTH,       /* peer data of the wrong size (KE value, IV, ciphertext, ICV) */
  IKE_CRYPTO_E_INVALID_PUBLIC,   /* peer KE value out of range, not on the curve, or low order */
  IKE_CRYPTO_E_INTEGRITY,        /* ICV / AEAD tag mismatch: the message is not authentic */
  IKE_CRYPTO_E_BAD_PADDING,      /* authentic message whose Pad Length exceeds the plaintext */
  IKE_CRYPTO_E_IV_EXHAUSTED,     /* the sealing key has produced all the IVs it may */
  IKE_CRYPTO_E_TOO_LONG,         /* prf+ asked for more than 255 blocks */
  IKE_CRYPTO_E_NO_MEMORY,
  IKE_CRYPTO_E_LIBCRYPTO, /* OpenSSL failed where it should not (internal error) */
};

/* A short constant English description ("integrity check failed"); never NULL. */
const char *ike_crypto_strerror(enum ike_crypto_status status);

/* A read-only byte range owned by someone else (a message buffer, a nonce, a key). Several of
 * them describe a concatenation (Ni | Nr | SPIi | SPIr) without copying. */
struct ike_bytes {
  const uint8_t *ptr;
  size_t len;
};

static inline struct ike_bytes ike_bytes_of(const void *ptr, size_t len) {
  return (struct ike_bytes){.ptr = ptr, .len = len};
}

/* Key material: SKEYSEED, SK_*, KEYMAT slices, KE shared secrets. Heap-owned; the bytes are
 * wiped with OPENSSL_cleanse when freed. A zero-initialised ike_secret is empty and may be
 * freed. Never print or log .bytes. */
struct ike_secret {
  uint8_t *bytes;
  size_t len;
};

/* Allocates len zero bytes (len may be 0: an empty secret, bytes == NULL). Any previous
 * contents of *s are NOT freed: pass an empty secret. */
enum ike_crypto_status ike_secret_alloc(struct ike_secret *s, size_t len);
/* Allocates and copies len bytes from src. */
enum ike_crypto_status ike_secret_copy(struct ike_secret *s, const void *src, size_t len);
/* Wipes and frees; leaves *s empty. Safe on an empty secret and on NULL. */
void ike_secret_free(struct ike_secret *s);

static inline struct ike_bytes ike_secret_view(const struct ike_secret *s) {
  return ike_bytes_of(s->bytes, s->len);
}

#endif
