#include "esp_aead.h"

#include <limits.h>
#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

/* Provider ciphers by OpenSSL name, fetched once per process: the EVP_aes_*_gcm() shortcuts
 * make OpenSSL fetch (a locked name lookup) again on every context they initialise, i.e. on
 * every SA install. The fetched objects live until exit. */
static const char *const cipher_names[NICSEC_HAL_ALG__MAX + 1] = {
    [NICSEC_HAL_ALG_AES_GCM_128] = "AES-128-GCM",
    [NICSEC_HAL_ALG_AES_GCM_192] = "AES-192-GCM",
    [NICSEC_HAL_ALG_AES_GCM_256] = "AES-256-GCM",
    [NICSEC_HAL_ALG_CHACHA20_POLY1305] = "ChaCha20-Poly1305",
};
static EVP_CIPHER *fetched[NICSEC_HAL_ALG__MAX + 1];
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

static void fetch_ciphers(void) {
  for (size_t i = 0; i <= NICSEC_HAL_ALG__MAX; i++)
    if (cipher_names[i])
      fetched[i] = EVP_CIPHER_fetch(NULL, cipher_names[i], NULL);
}

static const EVP_CIPHER *cipher_for(enum nicsec_hal_alg alg) {
  if ((unsigned)alg > NICSEC_HAL_ALG__MAX)
    return NULL;
  pthread_once(&fetch_once, fetch_ciphers);
  return fetched[alg];
}

enum nicsec_hal_err esp_aead_check(enum nicsec_hal_alg alg, size_t key_len, uint8_t icv_len) {
  const EVP_CIPHER *cipher = cipher_for(alg);
  if (!cipher || (size_t)EVP_CIPHER_get_key_length(cipher) != key_len || icv_len > ESP_MAX_ICV)
    return NICSEC_HAL_E_INVAL;
  return NICSEC_HAL_OK;
}

enum nicsec_hal_err esp_aead_init(struct esp_aead *a, enum nicsec_hal_alg alg, const uint8_t *key,
                                  size_t key_len, const uint8_t salt[NICSEC_HAL_SALT_LEN],
                                  uint8_t icv_len, bool encrypt) {
  memset(a, 0, sizeof *a);
  enum nicsec_hal_err err = esp_aead_check(alg, key_len, icv_len);
  if (err != NICSEC_HAL_OK)
    return err;
  const EVP_CIPHER *cipher = cipher_for(alg);
  a->ctx = EVP_CIPHER_CTX_new();
  if (!a->ctx)
    return NICSEC_HAL_E_NOMEM;
  /* Both ciphers default to the 12-octet nonce that salt|IV forms; no IVLEN control needed. */
  if (EVP_CipherInit_ex(a->ctx, cipher, NULL, key, NULL, encrypt ? 1 : 0) != 1) {
    esp_aead_free(a);
    return NICSEC_HAL_E_CRYPTO;
  }
  memcpy(a->nonce, salt, NICSEC_HAL_SALT_LEN);
  a->icv_len = icv_len;
  a->encrypt = encrypt;
  return NICSEC_HAL_OK;
}

void esp_aead_free(struct esp_aead *a) {
  EVP_CIPHER_CTX_free(a->ctx); /* the provider wipes its key schedule on free */
  OPENSSL_cleanse(a->nonce, sizeof a->nonce);
  a->ctx = NULL;
}

static bool start_packet(struct esp_aead *a, const uint8_t *aad, size_t aad_len,
                         const uint8_t iv[ESP_IV_LEN]) {
  memcpy(a->nonce + NICSEC_HAL_SALT_LEN, iv, ESP_IV_LEN);
  int outl = 0;
  return EVP_CipherInit_ex(a->ctx, NULL, NULL, NULL, a->nonce, -1) == 1 &&
         EVP_CipherUpdate(a->ctx, NULL, &outl, aad, (int)aad_len) == 1;
}

/* The tag as a provider parameter (get after final when sealing, set before final when
 * opening). */
static bool get_tag(struct esp_aead *a, uint8_t *tag) {
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, a->icv_len),
      OSSL_PARAM_construct_end()};
  return EVP_CIPHER_CTX_get_params(a->ctx, params) == 1;
}

static bool set_tag(struct esp_aead *a, uint8_t *tag) {
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, a->icv_len),
      OSSL_PARAM_construct_end()};
  return EVP_CIPHER_CTX_set_params(a->ctx, params) == 1;
}

enum nicsec_hal_err esp_aead_seal_from(struct esp_aead *a, const uint8_t *aad, size_t aad_len,
                                       const uint8_t iv[ESP_IV_LEN], const uint8_t *src,
                                       size_t src_len, const uint8_t *tail, size_t tail_len,
                                       uint8_t *dst, uint8_t *icv) {
  if (!a->encrypt || src_len > INT_MAX || tail_len > INT_MAX)
    return NICSEC_HAL_E_INVAL;
  int outl = 0, taill = 0, finl = 0;
  if (!start_packet(a, aad, aad_len, iv) ||
      (src_len && EVP_CipherUpdate(a->ctx, dst, &outl, src, (int)src_len) != 1) ||
      (tail_len && EVP_CipherUpdate(a->ctx, dst + outl, &taill, tail, (int)tail_len) != 1) ||
      EVP_CipherFinal_ex(a->ctx, dst + outl + taill, &finl) != 1 || !get_tag(a, icv))
    return NICSEC_HAL_E_CRYPTO;
  return NICSEC_HAL_OK;
}

enum nicsec_hal_err esp_aead_seal(struct esp_aead *a, const uint8_t *aad, size_t aad_len,
                                  const uint8_t iv[ESP_IV_LEN], uint8_t *buf, size_t len,
                                  uint8_t *icv) {
  return esp_aead_seal_from(a, aad, aad_len, iv, buf, len, NULL, 0, buf, icv);
}

enum nicsec_hal_err esp_aead_open(struct esp_aead *a, const uint8_t *aad, size_t aad_len,
                                  const uint8_t iv[ESP_IV_LEN], const uint8_t *ct, size_t len,
                                  const uint8_t *icv, uint8_t *pt) {
  if (a->encrypt || len > INT_MAX)
    return NICSEC_HAL_E_INVAL;
  uint8_t tag[ESP_MAX_ICV];
  if (a->icv_len == ESP_MAX_ICV) /* a fixed-size copy is two moves; a variable one is a loop */
    memcpy(tag, icv, ESP_MAX_ICV);
  else
    memcpy(tag, icv, a->icv_len);
  int outl = 0, finl = 0;
  if (!start_packet(a, aad, aad_len, iv) ||
      (len && EVP_CipherUpdate(a->ctx, pt, &outl, ct, (int)len) != 1) ||
      !set_tag(a, tag))
    return NICSEC_HAL_E_CRYPTO;
  /* Final is where the tag is compared (in constant time by OpenSSL). */
  if (EVP_CipherFinal_ex(a->ctx, pt + outl, &finl) != 1)
    return NICSEC_HAL_E_PKT_AUTH;
  return NICSEC_HAL_OK;
}
