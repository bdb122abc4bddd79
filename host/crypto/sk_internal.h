/* Internal: the SK cipher object and the two protection modes (AEAD, CBC + HMAC). */
#ifndef NICSEC_CRYPTO_SK_INTERNAL_H
#define NICSEC_CRYPTO_SK_INTERNAL_H

#include <stdbool.h>

#include <openssl/evp.h>

#include "ike_sk.h"

enum { SK_MAX_SALT = 4, SK_MAX_IV = 16, SK_AEAD_NONCE = 12, SK_MAX_KEY = 32, SK_MAX_MAC_KEY = 64 };
_Static_assert(SK_MAX_MAC_KEY <= UINT8_MAX, "mac_key_len is one octet");

/* Only raw keys live here, not keyed OpenSSL contexts: an established IKE SA sends and receives
 * few messages, and two live contexts (key schedule, GHASH tables, HMAC pads) cost about 2 KB
 * per SA. sk_ctx_open() keys the thread's context for one message (sk_ctx.c). */
struct ike_sk_cipher {
  const struct ike_encr_alg *encr;
  const struct ike_integ_alg *integ; /* NULL with AEAD */
  uint64_t next_iv;                  /* AEAD sealer: IV counter */
  uint64_t ivs_left;                 /* AEAD sealer: IVs that may still be issued */
  uint8_t key[SK_MAX_KEY];           /* encryption key: wiped on free */
  uint8_t salt[SK_MAX_SALT];         /* AEAD nonce salt: key material, wiped on free */
  uint8_t role;                      /* enum ike_sk_role; a byte keeps an AEAD cipher at 72 */
  uint8_t mac_key_len;               /* 0 with AEAD */
  uint8_t mac_key[];                 /* SK_a (CBC mode only), allocated to its length: wiped */
};

/* sk_ctx.c: a cipher context keyed with c's key for one message (the IV is set per mode);
 * NULL on failure. Hand it back with sk_ctx_close after the message. It is the calling thread's
 * reused context (or a fresh one); sk_ctx_forget(c) wipes c's key schedule from it. */
EVP_CIPHER_CTX *sk_ctx_open(const struct ike_sk_cipher *c);
void sk_ctx_close(EVP_CIPHER_CTX *ctx);
void sk_ctx_forget(const struct ike_sk_cipher *c);

/* One message through the cipher. plain/ct are the encrypted part (inner | pad | pad length);
 * both modes encrypt in place inside body, so plain == ct there. */
struct sk_seal_job {
  struct ike_bytes aad;
  const uint8_t *iv; /* iv_len octets, already copied to the front of the body */
  uint8_t *data;     /* encrypted part, encrypted in place */
  size_t data_len;
  uint8_t *icv; /* where the ICV goes */
};

struct sk_open_job {
  struct ike_bytes aad, iv, ciphertext, icv;
  uint8_t *out; /* receives ciphertext.len octets */
};

enum ike_crypto_status sk_aead_seal(struct ike_sk_cipher *c, const struct sk_seal_job *job);
enum ike_crypto_status sk_aead_open(struct ike_sk_cipher *c, const struct sk_open_job *job);
enum ike_crypto_status sk_cbc_seal(struct ike_sk_cipher *c, const struct sk_seal_job *job);
enum ike_crypto_status sk_cbc_open(struct ike_sk_cipher *c, const struct sk_open_job *job);

#endif
