// A small software AES with explicit round keys, for the two things OpenSSL's EVP interface
// cannot give a testbench: the round-key schedule itself (to check aes_key_expand on random keys)
// and encryption under arbitrary round keys (to check that a zeroized SA really runs on all-zero
// round keys). Testbenches must first call self_check(), which compares this model with OpenSSL
// on random keys, so a bug here cannot make a wrong RTL result look right.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

#include "tb_util.hpp"

namespace tb {

class AesModel {
 public:
  AesModel() {
    for (int a = 0; a < 256; a++) sbox_[a] = sbox_entry(static_cast<uint8_t>(a));
  }

  // FIPS-197 key expansion for Nk = 4 (AES-128) or 8 (AES-256): Nr+1 round keys.
  std::vector<Block> expand(const Bytes &key) const {
    const size_t nk = key.size() / 4;
    const size_t nr = nk + 6;
    std::vector<std::array<uint8_t, 4>> w(4 * (nr + 1));
    for (size_t i = 0; i < nk; i++) std::memcpy(w[i].data(), &key[4 * i], 4);
    uint8_t rcon = 1;
    for (size_t i = nk; i < w.size(); i++) {
      std::array<uint8_t, 4> t = w[i - 1];
      if (i % nk == 0) {
        t = {static_cast<uint8_t>(sbox_[t[1]] ^ rcon), sbox_[t[2]], sbox_[t[3]], sbox_[t[0]]};
        rcon = xtime(rcon);
      } else if (nk > 6 && i % nk == 4) {
        for (auto &b : t) b = sbox_[b];
      }
      for (int j = 0; j < 4; j++) w[i][j] = static_cast<uint8_t>(w[i - nk][j] ^ t[j]);
    }
    std::vector<Block> round_keys(nr + 1);
    for (size_t r = 0; r <= nr; r++) {
      for (size_t j = 0; j < 4; j++) std::memcpy(&round_keys[r][4 * j], w[4 * r + j].data(), 4);
    }
    return round_keys;
  }

  // Encryption with the given round keys (their count fixes Nr).
  Block encrypt(const std::vector<Block> &round_keys, const Block &in) const {
    Block s = in;
    add(s, round_keys[0]);
    const size_t nr = round_keys.size() - 1;
    for (size_t r = 1; r <= nr; r++) {
      for (auto &b : s) b = sbox_[b];
      shift_rows(s);
      if (r != nr) mix_columns(s);
      add(s, round_keys[r]);
    }
    return s;
  }

  // Agreement with OpenSSL on random AES-128/256 keys; returns false on any mismatch.
  bool self_check() const {
    for (int trial = 0; trial < 64; trial++) {
      Bytes key = random_bytes(trial % 2 ? 32 : 16);
      Bytes plain = random_bytes(16);
      Block in;
      std::memcpy(in.data(), plain.data(), 16);
      uint8_t expected[16];
      aes_ecb_encrypt(key, in.data(), expected);
      if (std::memcmp(encrypt(expand(key), in).data(), expected, 16) != 0) return false;
    }
    return true;
  }

 private:
  static uint8_t xtime(uint8_t b) {
    return static_cast<uint8_t>((b << 1) ^ ((b & 0x80) ? 0x1b : 0));
  }
  static uint8_t gf_mul(uint8_t a, uint8_t b) {
    uint8_t p = 0;
    for (; b != 0; b >>= 1, a = xtime(a)) {
      if (b & 1) p ^= a;
    }
    return p;
  }
  static uint8_t sbox_entry(uint8_t a) {
    uint8_t inv = 0;  // a^254 = a^-1, and 0 -> 0
    if (a != 0) {
      inv = 1;
      for (int i = 0; i < 254; i++) inv = gf_mul(inv, a);
    }
    uint8_t out = 0x63;
    for (int s = 0; s < 5; s++) out ^= static_cast<uint8_t>((inv << s) | (inv >> (8 - s)));
    return out;
  }
  static void add(Block &s, const Block &k) {
    for (int i = 0; i < 16; i++) s[i] ^= k[i];
  }
  static void shift_rows(Block &s) {
    Block t = s;
    for (int c = 0; c < 4; c++) {
      for (int r = 0; r < 4; r++) s[4 * c + r] = t[4 * ((c + r) % 4) + r];
    }
  }
  static void mix_columns(Block &s) {
    for (int c = 0; c < 4; c++) {
      uint8_t *a = &s[4 * c];
      uint8_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
      a[0] = static_cast<uint8_t>(xtime(a0) ^ xtime(a1) ^ a1 ^ a2 ^ a3);
      a[1] = static_cast<uint8_t>(a0 ^ xtime(a1) ^ xtime(a2) ^ a2 ^ a3);
      a[2] = static_cast<uint8_t>(a0 ^ a1 ^ xtime(a2) ^ xtime(a3) ^ a3);
      a[3] = static_cast<uint8_t>(xtime(a0) ^ a0 ^ a1 ^ a2 ^ xtime(a3));
    }
  }

  uint8_t sbox_[256];
};

}  // namespace tb
