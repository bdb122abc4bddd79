// Shared helpers of the crypto-core testbenches (hw/aes, hw/gcm): vector files, hex, moving
// byte strings in and out of wide Verilator signals, OpenSSL reference calls and failure counting.
// Header-only because each testbench is a single translation unit beside its RTL.
#pragma once

#include <openssl/evp.h>
#include <jansson.h>

#include <array>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace tb {

using Bytes = std::vector<uint8_t>;
using Block = std::array<uint8_t, 16>;

// ---- failure accounting: every check counts; the first few failures are printed in full ------
inline int &failure_count() {
  static int count = 0;
  return count;
}

inline void check(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
inline void check(bool ok, const char *fmt, ...) {
  if (ok) return;
  if (++failure_count() <= 20) {
    va_list args;
    va_start(args, fmt);
    std::fprintf(stderr, "FAIL: ");
    std::vfprintf(stderr, fmt, args);
    std::fputc('\n', stderr);
    va_end(args);
  }
}

inline int finish(const char *name) {
  if (failure_count() != 0) {
    std::fprintf(stderr, "%s: %d check(s) failed\n", name, failure_count());
    return 1;
  }
  std::printf("%s: all checks passed\n", name);
  return 0;
}

[[noreturn]] inline void fatal(const char *what) {
  std::fprintf(stderr, "fatal: %s\n", what);
  std::exit(2);
}

// ---- hex ------------------------------------------------------------------------------------
inline Bytes from_hex(const char *hex) {
  Bytes out;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (const char *p = hex; p[0] != '\0'; p += 2) {
    int hi = nibble(p[0]);
    int lo = p[1] != '\0' ? nibble(p[1]) : -1;
    if (hi < 0 || lo < 0) fatal("malformed hex string in vector file");
    out.push_back(static_cast<uint8_t>(hi << 4 | lo));
  }
  return out;
}

inline std::string to_hex(const uint8_t *data, size_t len) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < len; i++) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 15];
  }
  return out;
}

inline std::string to_hex(const Bytes &b) { return to_hex(b.data(), b.size()); }

// ---- vector files (read from $NICSEC_VECTORS, never from ../shared) ----------------------------
class VectorFile {
 public:
  explicit VectorFile(const char *name) {
    const char *dir = std::getenv("NICSEC_VECTORS");
    if (dir == nullptr) fatal("NICSEC_VECTORS is not set (run the test through ctest)");
    std::string path = std::string(dir) + "/" + name;
    json_error_t err;
    root_ = json_load_file(path.c_str(), 0, &err);
    if (root_ == nullptr) {
      std::fprintf(stderr, "%s:%d: %s\n", path.c_str(), err.line, err.text);
      fatal("cannot parse vector file");
    }
    vectors_ = json_object_get(root_, "vectors");
    if (!json_is_array(vectors_)) fatal("vector file has no \"vectors\" array");
  }
  ~VectorFile() { json_decref(root_); }
  VectorFile(const VectorFile &) = delete;
  VectorFile &operator=(const VectorFile &) = delete;

  size_t size() const { return json_array_size(vectors_); }
  json_t *at(size_t i) const { return json_array_get(vectors_, i); }

  static Bytes hex(json_t *vec, const char *field) {
    json_t *value = json_object_get(vec, field);
    if (!json_is_string(value)) fatal(field);
    return from_hex(json_string_value(value));
  }
  static long long integer(json_t *vec, const char *field) {
    json_t *value = json_object_get(vec, field);
    if (!json_is_integer(value)) fatal(field);
    return json_integer_value(value);
  }
  static std::string text(json_t *vec, const char *field) {
    json_t *value = json_object_get(vec, field);
    if (!json_is_string(value)) fatal(field);
    return json_string_value(value);
  }

 private:
  json_t *root_ = nullptr;
  json_t *vectors_ = nullptr;
};

// ---- wide signals: a byte string is a big-endian number whose LSB sits at bit `lsb` ------------
// (byte 0 of a block lands in the top 8 bits of its 128-bit field, matching the RTL layout).
inline void put_be(uint32_t *words, size_t lsb, const uint8_t *bytes, size_t len) {
  for (size_t i = 0; i < len; i++) {
    size_t bit = lsb + 8 * (len - 1 - i);
    uint32_t &word = words[bit / 32];
    word = (word & ~(0xffu << (bit % 32))) | (static_cast<uint32_t>(bytes[i]) << (bit % 32));
  }
}

inline void get_be(const uint32_t *words, size_t lsb, uint8_t *bytes, size_t len) {
  for (size_t i = 0; i < len; i++) {
    size_t bit = lsb + 8 * (len - 1 - i);
    bytes[i] = static_cast<uint8_t>(words[bit / 32] >> (bit % 32));
  }
}

// ---- OpenSSL reference ----------------------------------------------------------------------
inline const EVP_CIPHER *ecb_cipher(size_t key_len) {
  return key_len == 16 ? EVP_aes_128_ecb() : key_len == 24 ? EVP_aes_192_ecb() : EVP_aes_256_ecb();
}

// One-block AES encryption through EVP (no padding).
inline void aes_ecb_encrypt(const Bytes &key, const uint8_t in[16], uint8_t out[16]) {
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  int len = 0;
  if (ctx == nullptr || EVP_EncryptInit_ex(ctx, ecb_cipher(key.size()), nullptr, key.data(),
                                           nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx, 0) != 1 || EVP_EncryptUpdate(ctx, out, &len, in, 16) != 1 ||
      len != 16) {
    fatal("OpenSSL AES-ECB failed");
  }
  EVP_CIPHER_CTX_free(ctx);
}

// AES-GCM encryption with a 96-bit IV through EVP; returns the full 16-byte tag.
inline void aes_gcm_encrypt(const Bytes &key, const Bytes &iv, const Bytes &aad, const Bytes &pt,
                            Bytes &ct, uint8_t tag[16]) {
  const EVP_CIPHER *cipher = key.size() == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  int len = 0;
  ct.assign(pt.size(), 0);
  bool ok = ctx != nullptr && EVP_EncryptInit_ex(ctx, cipher, nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(iv.size()),
                                nullptr) == 1 &&
            EVP_EncryptInit_ex(ctx, nullptr, nullptr, key.data(), iv.data()) == 1;
  if (ok && !aad.empty()) {
    ok = EVP_EncryptUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) == 1;
  }
  if (ok && !pt.empty()) {
    ok = EVP_EncryptUpdate(ctx, ct.data(), &len, pt.data(), static_cast<int>(pt.size())) == 1;
  }
  ok = ok && EVP_EncryptFinal_ex(ctx, ct.data() + ct.size(), &len) == 1 &&
       EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1;
  if (!ok) fatal("OpenSSL AES-GCM failed");
  EVP_CIPHER_CTX_free(ctx);
}

// ---- deterministic randomness (fixed seed: a failure reproduces) -------------------------------
inline std::mt19937_64 &rng() {
  static std::mt19937_64 gen(0x6e69637365630001ULL);
  return gen;
}

inline Bytes random_bytes(size_t len) {
  Bytes out(len);
  for (auto &b : out) b = static_cast<uint8_t>(rng()());
  return out;
}

inline uint64_t random_below(uint64_t bound) { return rng()() % bound; }

}  // namespace tb
