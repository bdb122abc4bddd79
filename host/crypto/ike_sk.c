/* SK payload protection: cipher objects, body layout and padding; the per-mode work is in
 * sk_aead.c and sk_cbc.c. */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include "crypto_cache.h"
#include "sk_internal.h"

static enum ike_crypto_status check_key_lengths(const struct ike_encr_alg *encr,
                                                const struct ike_integ_alg *integ,
                                                struct ike_bytes sk_e, struct ike_bytes sk_a) {
  if (!sk_e.ptr || sk_e.len != ike_encr_keymat_len(encr))
    return IKE_CRYPTO_E_INVALID_ARG;
  if (integ ? !sk_a.ptr || sk_a.len != integ->key_len : sk_a.len != 0)
    return IKE_CRYPTO_E_INVALID_ARG;
  return IKE_CRYPTO_OK;
}

static enum ike_crypto_status init_aead_iv(struct ike_sk_cipher *c) {
  /* A random starting point, so that two sealers accidentally created for the same key would
   * still be unlikely to overlap; then a plain counter guarantees uniqueness per sealer. */
  if (RAND_bytes((uint8_t *)&c->next_iv, sizeof c->next_iv) <= 0)
    return IKE_CRYPTO_E_LIBCRYPTO;
  c->ivs_left = UINT64_MAX;
  return IKE_CRYPTO_OK;
}

/* Copies the keys in and proves once that OpenSSL accepts them, so a bad suite fails here and
 * not at the first message. */
static enum ike_crypto_status setup_cipher(struct ike_sk_cipher *c, struct ike_bytes sk_e,
                                           struct ike_bytes sk_a) {
  if (c->encr->key_len > sizeof c->key || c->encr->salt_len > sizeof c->salt)
    return IKE_CRYPTO_E_UNSUPPORTED;
  memcpy(c->key, sk_e.ptr, c->encr->key_len);
  if (sk_a.len)
    memcpy(c->mac_key, sk_a.ptr, sk_a.len);
  EVP_CIPHER_CTX *probe = sk_ctx_open(c);
  if (!probe)
    return IKE_CRYPTO_E_LIBCRYPTO;
  sk_ctx_close(probe);
  if (c->encr->aead) {
    /* SK_e = key | salt: the salt is the last salt_len octets (RFC 5282, RFC 7634). */
    memcpy(c->salt, sk_e.ptr + c->encr->key_len, c->encr->salt_len);
    return c->role == IKE_SK_SEAL ? init_aead_iv(c) : IKE_CRYPTO_OK;
  }
  return IKE_CRYPTO_OK;
}

enum ike_crypto_status ike_sk_cipher_new(uint16_t encr_id, uint16_t encr_key_bits,
                                         uint16_t integ_id, struct ike_bytes sk_e,
                                         struct ike_bytes sk_a, enum ike_sk_role role,
                                         struct ike_sk_cipher **out) {
  if (!out || (role != IKE_SK_SEAL && role != IKE_SK_OPEN))
    return IKE_CRYPTO_E_INVALID_ARG;
  *out = NULL;
  const struct ike_encr_alg *encr;
  const struct ike_integ_alg *integ;
  enum ike_crypto_status st =
      ike_cipher_suite_resolve(encr_id, encr_key_bits, integ_id, &encr, &integ);
  if (st == IKE_CRYPTO_OK)
    st = check_key_lengths(encr, integ, sk_e, sk_a);
  if (st != IKE_CRYPTO_OK)
    return st;
  if (sk_a.len > SK_MAX_MAC_KEY)
    return IKE_CRYPTO_E_UNSUPPORTED;
  struct ike_sk_cipher *c = OPENSSL_zalloc(sizeof *c + sk_a.len);
  if (!c)
    return IKE_CRYPTO_E_NO_MEMORY;
  c->mac_key_len = (uint8_t)sk_a.len;
  c->encr = encr;
  c->integ = integ;
  c->role = (uint8_t)role;
  st = setup_cipher(c, sk_e, sk_a);
  if (st != IKE_CRYPTO_OK) {
    ike_sk_cipher_free(c);
    ERR_clear_error();
    return st;
  }
  *out = c;
  return IKE_CRYPTO_OK;
}

void ike_sk_cipher_free(struct ike_sk_cipher *c) {
  if (!c)
    return;
  sk_ctx_forget(c); /* a key schedule of ours left in this thread's context */
  OPENSSL_clear_free(c, sizeof *c + c->mac_key_len); /* raw keys, salt and IV state */
}

size_t ike_sk_iv_len(const struct ike_sk_cipher *c) { return c->encr->iv_len; }

size_t ike_sk_icv_len(const struct ike_sk_cipher *c) {
  return c->integ ? c->integ->icv_len : c->encr->icv_len;
}

/* inner | Padding | Pad Length rounded up to the cipher's alignment (RFC 7296 3.14). */
static size_t encrypted_len(const struct ike_sk_cipher *c, size_t inner_len) {
  size_t align = c->encr->align;
  return (inner_len + 1 + align - 1) / align * align;
}

size_t ike_sk_body_len(const struct ike_sk_cipher *c, size_t inner_len) {
  if (inner_len > IKE_SK_MAX_BODY)
    return SIZE_MAX; /* cannot be sealed; ike_sk_seal refuses it too */
  return c->encr->iv_len + encrypted_len(c, inner_len) + ike_sk_icv_len(c);
}

static enum ike_crypto_status next_iv(struct ike_sk_cipher *c, uint8_t iv[SK_MAX_IV]) {
  if (!c->encr->aead)
    return RAND_bytes(iv, c->encr->iv_len) > 0 ? IKE_CRYPTO_OK : IKE_CRYPTO_E_LIBCRYPTO;
  if (c->ivs_left == 0)
    return IKE_CRYPTO_E_IV_EXHAUSTED;
  c->ivs_left--;
  uint64_t counter = c->next_iv++;
  for (size_t i = 0; i < 8; i++)
    iv[i] = (uint8_t)(counter >> (56 - 8 * i));
  return IKE_CRYPTO_OK;
}

/* Lays out body = IV | inner | zero padding | Pad Length, then lets the mode encrypt in place
 * and append the ICV. */
static enum ike_crypto_status seal_into(struct ike_sk_cipher *c, struct ike_bytes aad,
                                        struct ike_bytes inner, const uint8_t *iv, uint8_t *body,
                                        size_t body_cap, size_t *body_len) {
  size_t need = ike_sk_body_len(c, inner.len);
  if (need == SIZE_MAX || need + 4 > 65535)
    return IKE_CRYPTO_E_INVALID_ARG;
  if (body_cap < need)
    return IKE_CRYPTO_E_BUFFER_TOO_SMALL;
  size_t iv_len = c->encr->iv_len, data_len = encrypted_len(c, inner.len);
  size_t pad = data_len - inner.len - 1;
  uint8_t *data = body + iv_len;
  if (inner.len)
    memmove(data, inner.ptr, inner.len); /* before the IV: inner may start at body */
  memcpy(body, iv, iv_len);
  memset(data + inner.len, 0, pad);
  data[data_len - 1] = (uint8_t)pad;
  const struct sk_seal_job job = {aad, body, data, data_len, data + data_len};
  enum ike_crypto_status st = c->encr->aead ? sk_aead_seal(c, &job) : sk_cbc_seal(c, &job);
  if (st != IKE_CRYPTO_OK) {
    OPENSSL_cleanse(body, need); /* never leave a half-encrypted plaintext behind */
    ERR_clear_error();
    return st;
  }
  *body_len = need;
  return IKE_CRYPTO_OK;
}

static bool seal_args_ok(const struct ike_sk_cipher *c, struct ike_bytes aad,
                         struct ike_bytes inner, const uint8_t *body, const size_t *body_len) {
  return c && c->role == IKE_SK_SEAL && body && body_len && (aad.ptr || !aad.len) &&
         (inner.ptr || !inner.len);
}

enum ike_crypto_status ike_sk_seal(struct ike_sk_cipher *c, struct ike_bytes aad,
                                   struct ike_bytes inner, uint8_t *body, size_t body_cap,
                                   size_t *body_len) {
  if (!seal_args_ok(c, aad, inner, body, body_len))
    return IKE_CRYPTO_E_INVALID_ARG;
  uint8_t iv[SK_MAX_IV];
  enum ike_crypto_status st = next_iv(c, iv);
  if (st != IKE_CRYPTO_OK)
    return st;
  return seal_into(c, aad, inner, iv, body, body_cap, body_len);
}

enum ike_crypto_status ike_sk_seal_with_iv(struct ike_sk_cipher *c, struct ike_bytes aad,
                                           struct ike_bytes inner, struct ike_bytes iv,
                                           uint8_t *body, size_t body_cap, size_t *body_len) {
  if (!seal_args_ok(c, aad, inner, body, body_len) || !iv.ptr || iv.len != c->encr->iv_len)
    return IKE_CRYPTO_E_INVALID_ARG;
  return seal_into(c, aad, inner, iv.ptr, body, body_cap, body_len);
}

/* Peer-controlled sizes: the IV and ICV must be exactly ours, the encrypted part non-empty
 * (it holds at least the Pad Length octet) and block-aligned for CBC. */
static enum ike_crypto_status check_open_lengths(const struct ike_sk_cipher *c, struct ike_bytes iv,
                                                 struct ike_bytes ciphertext,
                                                 struct ike_bytes icv) {
  if (iv.len != c->encr->iv_len || icv.len != ike_sk_icv_len(c))
    return IKE_CRYPTO_E_BAD_LENGTH;
  if (ciphertext.len == 0 || ciphertext.len % c->encr->align != 0 ||
      ciphertext.len > IKE_SK_MAX_BODY)
    return IKE_CRYPTO_E_BAD_LENGTH;
  return IKE_CRYPTO_OK;
}

/* RFC 7296 3.14: the receiver accepts any padding content; only Pad Length must fit. */
static enum ike_crypto_status strip_padding(uint8_t *out, size_t len, size_t *inner_len) {
  size_t pad = out[len - 1];
  if (pad + 1 > len) {
    OPENSSL_cleanse(out, len);
    return IKE_CRYPTO_E_BAD_PADDING;
  }
  *inner_len = len - pad - 1;
  return IKE_CRYPTO_OK;
}

enum ike_crypto_status ike_sk_open(struct ike_sk_cipher *c, struct ike_bytes aad,
                                   struct ike_bytes iv, struct ike_bytes ciphertext,
                                   struct ike_bytes icv, uint8_t *out, size_t out_cap,
                                   size_t *inner_len) {
  if (!c || c->role != IKE_SK_OPEN || !out || !inner_len || (aad.len && !aad.ptr) ||
      (iv.len && !iv.ptr) || (ciphertext.len && !ciphertext.ptr) || (icv.len && !icv.ptr))
    return IKE_CRYPTO_E_INVALID_ARG;
  *inner_len = 0;
  enum ike_crypto_status st = check_open_lengths(c, iv, ciphertext, icv);
  if (st != IKE_CRYPTO_OK)
    return st;
  if (out_cap < ciphertext.len)
    return IKE_CRYPTO_E_BUFFER_TOO_SMALL;
  const struct sk_open_job job = {aad, iv, ciphertext, icv, out};
  st = c->encr->aead ? sk_aead_open(c, &job) : sk_cbc_open(c, &job);
  ERR_clear_error(); /* a forged message leaves an entry on OpenSSL's queue */
  if (st != IKE_CRYPTO_OK)
    return st;
  return strip_padding(out, ciphertext.len, inner_len);
}

enum ike_crypto_status ike_sk_split_body(const struct ike_sk_cipher *c, struct ike_bytes body,
                                         struct ike_bytes *iv, struct ike_bytes *ciphertext,
                                         struct ike_bytes *icv) {
  if (!c || !iv || !ciphertext || !icv || (body.len && !body.ptr))
    return IKE_CRYPTO_E_INVALID_ARG;
  size_t iv_len = c->encr->iv_len, icv_len = ike_sk_icv_len(c);
  if (body.len < iv_len + icv_len + c->encr->align)
    return IKE_CRYPTO_E_BAD_LENGTH;
  *iv = ike_bytes_of(body.ptr, iv_len);
  *ciphertext = ike_bytes_of(body.ptr + iv_len, body.len - iv_len - icv_len);
  *icv = ike_bytes_of(body.ptr + body.len - icv_len, icv_len);
  return IKE_CRYPTO_OK;
}

enum ike_crypto_status ike_sk_open_body(struct ike_sk_cipher *c, struct ike_bytes aad,
                                        struct ike_bytes body, uint8_t *out, size_t out_cap,
                                        size_t *inner_len) {
  struct ike_bytes iv, ciphertext, icv;
  enum ike_crypto_status st = ike_sk_split_body(c, body, &iv, &ciphertext, &icv);
  if (st != IKE_CRYPTO_OK)
    return st;
  return ike_sk_open(c, aad, iv, ciphertext, icv, out, out_cap, inner_len);
}
