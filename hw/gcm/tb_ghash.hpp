// GHASH facts for the testbenches, derived from OpenSSL rather than from a software multiplier.
//
// GHASH_H(B1..Bm) = B1*H^m ^ B2*H^(m-1) ^ ... ^ Bm*H. With n-1 AAD blocks and no text, the GCM
// tag is A1*H^n ^ ... ^ L*H ^ E_K(J0). Two tags that differ only in A1 (the unit element e =
// 0x80 00..00 versus zero; GCM's bit order puts x^0 in the top bit) therefore differ by exactly
// H^n. So H^n = tag(e, 0, .., 0) ^ tag(0, 0, .., 0), and H itself is AES_K(0^128).
#pragma once

#include <array>

#include "tb_util.hpp"

namespace tb {

inline Block gcm_h_power(const Bytes &key, unsigned n) {
  Block out{};
  if (n == 1) {
    const uint8_t zero[16] = {0};
    aes_ecb_encrypt(key, zero, out.data());
    return out;
  }
  Bytes iv(12, 0x5a);
  Bytes aad(16 * (n - 1), 0);
  Bytes cipher;
  uint8_t tag_zero[16], tag_unit[16];
  aes_gcm_encrypt(key, iv, aad, {}, cipher, tag_zero);
  aad[0] = 0x80;
  aes_gcm_encrypt(key, iv, aad, {}, cipher, tag_unit);
  for (int i = 0; i < 16; i++) out[i] = tag_zero[i] ^ tag_unit[i];
  return out;
}

}  // namespace tb
