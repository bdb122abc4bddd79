/* Fuzzes SK payload decryption (ike_sk_open_body) with hostile bodies and AADs.
 *
 * Input: byte 0 = suite (index into the table below), byte 1 = mode, byte 2 = AAD length
 * (mod 65), then the AAD, then the rest.
 *   mode bit 0 clear: the rest is an SK payload body from the wire; it is opened. A forged body
 *     must never be accepted; anything accepted must report an inner length inside the body.
 *   mode bit 0 set: the rest is an inner payload chain; it is sealed, opened again (must give
 *     it back), and then opened with its last octet flipped (must fail integrity).
 * Keys are fixed: SK_e = 80 81 82 ..., SK_a = 40 41 42 ..., so for ChaCha20-Poly1305 they are
 * the RFC 7634 example keys and the seed corpus holds that RFC's IKEv2 message. The other
 * seeds are bodies sealed with these keys by an independent implementation (Python
 * cryptography), so the fuzzer starts from inputs that pass the integrity check. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ike_sk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
  uint16_t encr, key_bits, integ;
} suites[] = {
    {IKE_ENCR_AES_GCM_16, 128, IKE_INTEG_NONE},
    {IKE_ENCR_AES_GCM_16, 256, IKE_INTEG_NONE},
    {IKE_ENCR_CHACHA20_POLY1305, 0, IKE_INTEG_NONE},
    {IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA2_256_128},
    {IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_512_256},
    {IKE_ENCR_AES_CBC, 192, IKE_INTEG_HMAC_SHA2_384_192},
};
enum { N_SUITES = sizeof suites / sizeof suites[0], MAX_AAD = 64 };

static struct ike_sk_cipher *sealers[N_SUITES], *openers[N_SUITES];

static void check(int condition) {
  if (!condition)
    abort();
}

static void setup_suite(size_t s) {
  uint8_t sk_e[36], sk_a[64];
  for (size_t i = 0; i < sizeof sk_e; i++)
    sk_e[i] = (uint8_t)(0x80 + i);
  for (size_t i = 0; i < sizeof sk_a; i++)
    sk_a[i] = (uint8_t)(0x40 + i);
  const struct ike_encr_alg *e = ike_encr_alg_find(suites[s].encr, suites[s].key_bits);
  const struct ike_integ_alg *a = ike_integ_alg_find(suites[s].integ);
  const struct ike_bytes key_e = ike_bytes_of(sk_e, ike_encr_keymat_len(e));
  const struct ike_bytes key_a = ike_bytes_of(sk_a, a ? a->key_len : 0);
  check(ike_sk_cipher_new(suites[s].encr, suites[s].key_bits, suites[s].integ, key_e, key_a,
                          IKE_SK_SEAL, &sealers[s]) == IKE_CRYPTO_OK);
  check(ike_sk_cipher_new(suites[s].encr, suites[s].key_bits, suites[s].integ, key_e, key_a,
                          IKE_SK_OPEN, &openers[s]) == IKE_CRYPTO_OK);
}

static void open_wire_body(size_t s, struct ike_bytes aad, struct ike_bytes body) {
  /* exact-size heap buffer, so ASan sees any write past the capacity we pass */
  uint8_t *out = malloc(body.len ? body.len : 1);
  size_t inner_len = 12345;
  enum ike_crypto_status st = ike_sk_open_body(openers[s], aad, body, out, body.len, &inner_len);
  if (st == IKE_CRYPTO_OK)
    check(inner_len < body.len);
  else
    check(inner_len == 0 || st == IKE_CRYPTO_E_BAD_LENGTH || st == IKE_CRYPTO_E_INVALID_ARG);
  free(out);
}

static void seal_then_open(size_t s, struct ike_bytes aad, struct ike_bytes inner) {
  size_t cap = ike_sk_body_len(sealers[s], inner.len);
  if (cap == SIZE_MAX)
    return;
  uint8_t *body = malloc(cap), *out = malloc(cap);
  size_t body_len = 0, inner_len = 0;
  check(ike_sk_seal(sealers[s], aad, inner, body, cap, &body_len) == IKE_CRYPTO_OK);
  check(body_len == cap);
  check(ike_sk_open_body(openers[s], aad, ike_bytes_of(body, body_len), out, cap, &inner_len) ==
        IKE_CRYPTO_OK);
  check(inner_len == inner.len && (inner.len == 0 || memcmp(out, inner.ptr, inner.len) == 0));
  body[body_len - 1] ^= 0x80;
  check(ike_sk_open_body(openers[s], aad, ike_bytes_of(body, body_len), out, cap, &inner_len) ==
        IKE_CRYPTO_E_INTEGRITY);
  free(body);
  free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 3)
    return 0;
  size_t s = data[0] % N_SUITES;
  if (!openers[s])
    setup_suite(s);
  int seal_first = data[1] & 1;
  size_t aad_len = data[2] % (MAX_AAD + 1);
  if (aad_len > size - 3)
    aad_len = size - 3;
  const struct ike_bytes aad = ike_bytes_of(data + 3, aad_len);
  const struct ike_bytes rest = ike_bytes_of(data + 3 + aad_len, size - 3 - aad_len);
  if (seal_first)
    seal_then_open(s, aad, rest);
  else
    open_wire_body(s, aad, rest);
  return 0;
}
