/* Protection of the Encrypted and Authenticated (SK) payload, RFC 7296 3.14 (AES-CBC with an
 * HMAC-SHA2 INTEG transform), RFC 5282 (AES-GCM-16) and RFC 7634 (ChaCha20-Poly1305).
 *
 * SK payload body = IV | E(inner payloads | Padding | Pad Length) | ICV.
 *
 * aad is always the message from the first octet of the IKE header through the last octet of
 * the SK generic payload header (for SKF, RFC 7383: through Total Fragments). With AEAD it is
 * the associated data; with CBC + HMAC the ICV covers aad | IV | ciphertext, i.e. the whole
 * message up to the ICV. Length fields inside aad must already be final, so a sender first asks
 * ike_sk_body_len() for the body size, writes the headers, then seals.
 *
 * This layer never parses payloads: the codec hands it the byte ranges.
 *
 * One ike_sk_cipher holds one direction's keys (SK_ei + SK_ai to send as original initiator,
 * SK_er + SK_ar to receive, and so on) and is either a sealer or an opener. It is not safe to
 * use one object from two threads at once. It holds the raw keys only (about 150 octets); each
 * message keys a short-lived OpenSSL context, so idle IKE SAs carry no key schedules.
 */
#ifndef NICSEC_CRYPTO_IKE_SK_H
#define NICSEC_CRYPTO_IKE_SK_H

#include "ike_crypto_base.h"
#include "ike_transforms.h"

/* The SK payload length field is 16 bits, header included. */
enum { IKE_SK_MAX_BODY = 65535 - 4 };

enum ike_sk_role {
  IKE_SK_SEAL, /* encrypts outgoing messages */
  IKE_SK_OPEN, /* verifies and decrypts incoming messages */
};

struct ike_sk_cipher;

/* sk_e = SK_ei/SK_er (cipher key, then the 4-octet salt for AEAD); sk_a = SK_ai/SK_ar, empty
 * with AEAD. integ_id must be IKE_INTEG_NONE with AEAD ciphers. */
enum ike_crypto_status ike_sk_cipher_new(uint16_t encr_id, uint16_t encr_key_bits,
                                         uint16_t integ_id, struct ike_bytes sk_e,
                                         struct ike_bytes sk_a, enum ike_sk_role role,
                                         struct ike_sk_cipher **out);
/* Frees the cipher and wipes the keys it holds. NULL-safe. */
void ike_sk_cipher_free(struct ike_sk_cipher *c);

size_t ike_sk_iv_len(const struct ike_sk_cipher *c);
size_t ike_sk_icv_len(const struct ike_sk_cipher *c);
/* The body length sealing inner_len octets of payloads produces (IV | encrypted part | ICV). */
size_t ike_sk_body_len(const struct ike_sk_cipher *c, size_t inner_len);

/* Seals inner (the chain of inner payloads) into body, with a fresh IV: a per-key counter for
 * AEAD (IVs must never repeat under one key), random for CBC (must be unpredictable; RFC 7296
 * 3.14). Padding is minimal and zero; Pad Length is the last encrypted octet. inner may be a
 * range inside body (it is moved into place). *body_len = ike_sk_body_len(c, inner.len). */
enum ike_crypto_status ike_sk_seal(struct ike_sk_cipher *c, struct ike_bytes aad,
                                   struct ike_bytes inner, uint8_t *body, size_t body_cap,
                                   size_t *body_len);

/* As ike_sk_seal with a caller-chosen IV of ike_sk_iv_len() octets. For known-answer tests and
 * callers that manage IV uniqueness themselves; reusing an AEAD IV under one key is fatal. */
enum ike_crypto_status ike_sk_seal_with_iv(struct ike_sk_cipher *c, struct ike_bytes aad,
                                           struct ike_bytes inner, struct ike_bytes iv,
                                           uint8_t *body, size_t body_cap, size_t *body_len);

/* Verifies, then decrypts. Nothing is returned unless the ICV / tag is good: E_INTEGRITY, and
 * out is wiped if it was written. Other peer errors: E_BAD_LENGTH (IV/ICV size, empty or
 * misaligned ciphertext), E_BAD_PADDING (authentic but Pad Length too large).
 * out needs ciphertext.len octets (out == ciphertext.ptr decrypts in place; no other overlap).
 * On success out[0 .. *inner_len) holds the inner payloads, followed by padding and Pad Length. */
enum ike_crypto_status ike_sk_open(struct ike_sk_cipher *c, struct ike_bytes aad,
                                   struct ike_bytes iv, struct ike_bytes ciphertext,
                                   struct ike_bytes icv, uint8_t *out, size_t out_cap,
                                   size_t *inner_len);

/* Splits an SK payload body into IV, ciphertext and ICV by the cipher's sizes. E_BAD_LENGTH
 * if the body cannot hold an IV, an ICV and at least one encrypted octet (or block, for CBC). */
enum ike_crypto_status ike_sk_split_body(const struct ike_sk_cipher *c, struct ike_bytes body,
                                         struct ike_bytes *iv, struct ike_bytes *ciphertext,
                                         struct ike_bytes *icv);

/* ike_sk_split_body followed by ike_sk_open. */
enum ike_crypto_status ike_sk_open_body(struct ike_sk_cipher *c, struct ike_bytes aad,
                                        struct ike_bytes body, uint8_t *out, size_t out_cap,
                                        size_t *inner_len);

#endif
