/* One SA's AEAD transform (RFC 4106 AES-GCM, RFC 7634 ChaCha20-Poly1305) over OpenSSL EVP.
 * The key is scheduled once at install; per packet only the nonce changes: one EVP context per
 * SA is re-armed with the new nonce, never re-created, and the tag moves through a prepared
 * OSSL_PARAM rather than EVP_CIPHER_CTX_ctrl (which builds one per call). */
#ifndef NICSEC_SOFT_ESP_AEAD_H
#define NICSEC_SOFT_ESP_AEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nicsec/hal.h"

enum { ESP_IV_LEN = 8, ESP_NONCE_LEN = 12, ESP_MAX_ICV = 16, ESP_MAX_AAD = 12 };

struct evp_cipher_ctx_st;

struct esp_aead {
  struct evp_cipher_ctx_st *ctx; /* holds the key schedule; freed (and cleansed) by OpenSSL */
  /* salt | IV: the salt part is set once; per packet only the IV part is written. Wiped with
   * the rest of the struct when the SA is freed. */
  uint8_t nonce[ESP_NONCE_LEN];
  uint8_t icv_len;
  bool encrypt;
};

/* Whether esp_aead_init would accept these parameters (without keying anything). */
enum nicsec_hal_err esp_aead_check(enum nicsec_hal_alg alg, size_t key_len, uint8_t icv_len);
/* Schedules key for one direction. Returns NICSEC_HAL_E_CRYPTO if OpenSSL refuses. */
enum nicsec_hal_err esp_aead_init(struct esp_aead *a, enum nicsec_hal_alg alg, const uint8_t *key,
                                  size_t key_len, const uint8_t salt[NICSEC_HAL_SALT_LEN],
                                  uint8_t icv_len, bool encrypt);
/* Frees the context and wipes the nonce (salt). Safe on a zeroed struct. */
void esp_aead_free(struct esp_aead *a);

/* Encrypts buf[0..len) in place and writes icv_len tag octets to icv. */
enum nicsec_hal_err esp_aead_seal(struct esp_aead *a, const uint8_t *aad, size_t aad_len,
                                  const uint8_t iv[ESP_IV_LEN], uint8_t *buf, size_t len,
                                  uint8_t *icv);
/* Encrypts src[0..src_len) followed by tail[0..tail_len) into dst (one AEAD message, so the
 * encapsulator never copies the payload next to its trailer first) and writes the tag to icv.
 * dst must not overlap src or tail unless it equals src and tail_len is 0. */
enum nicsec_hal_err esp_aead_seal_from(struct esp_aead *a, const uint8_t *aad, size_t aad_len,
                                       const uint8_t iv[ESP_IV_LEN], const uint8_t *src,
                                       size_t src_len, const uint8_t *tail, size_t tail_len,
                                       uint8_t *dst, uint8_t *icv);
/* Decrypts ct[0..len) into pt (may equal ct) if icv verifies; NICSEC_HAL_E_PKT_AUTH otherwise
 * (pt content is then unspecified and must not be used). */
enum nicsec_hal_err esp_aead_open(struct esp_aead *a, const uint8_t *aad, size_t aad_len,
                                  const uint8_t iv[ESP_IV_LEN], const uint8_t *ct, size_t len,
                                  const uint8_t *icv, uint8_t *pt);

#endif
