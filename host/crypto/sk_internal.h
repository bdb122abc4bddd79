/* Internal: the SK cipher object and the two protection modes (AEAD, CBC + HMAC). */
#ifndef NICSEC_CRYPTO_SK_INTERNAL_H
#define NICSEC_CRYPTO_SK_INTERNAL_H

#include <stdbool.h>

#include <openssl/evp.h>

#include "ike_sk.h"

enum { SK_MAX_SALT = 4, SK_MAX_IV = 16, SK_AEAD_NONCE = 12 };

struct ike_sk_cipher {
  const struct ike_encr_alg *encr;
  const struct ike_integ_alg *integ; /* NULL with AEAD */
  enum ike_sk_role role;
  EVP_CIPHER_CTX *cipher;    /* keyed once; each message only sets the IV */
  EVP_MAC_CTX *mac;          /* keyed HMAC (CBC mode only) */
  uint8_t salt[SK_MAX_SALT]; /* AEAD nonce salt: key material, wiped on free */
  uint64_t next_iv;          /* AEAD sealer: IV counter */
  uint64_t ivs_left;         /* AEAD sealer: IVs that may still be issued */
};

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
