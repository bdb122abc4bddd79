// Testbench of ghash_acc (and through it ghash_mul), built for LANES = 1 and 4.
//
// The reference is OpenSSL's AES-GCM tag: tag = GHASH_H(A || C || len(A) || len(C)) ^ E_K(J0),
// with H = E_K(0^128) and E_K(J0) from OpenSSL AES-ECB. For random keys, IVs, AAD lengths
// (empty, partial and multi-block, AAD-only = the GMAC case) and ciphertexts, the RTL absorbs
// the padded blocks in beats of a random 1..LANES blocks, with idle and disabled (en = 0)
// clocks in between, packets back to back; y ^ E_K(J0) one clock after the last beat must equal
// the OpenSSL tag. The powers H^2..H^LANES are derived from OpenSSL tags too (tb_ghash.hpp).
#include <verilated.h>

#include <memory>
#include <vector>

#include "Vghash_acc.h"
#include "tb_ghash.hpp"
#include "tb_util.hpp"

namespace {

constexpr int LANES = TB_LANES;
using tb::Block;

void append_padded(std::vector<Block> &blocks, const tb::Bytes &data) {
  for (size_t off = 0; off < data.size(); off += 16) {
    Block b{};
    std::copy(data.begin() + off, data.begin() + std::min(data.size(), off + 16), b.begin());
    blocks.push_back(b);
  }
}

Block length_block(size_t aad_len, size_t text_len) {
  Block b{};
  uint64_t bits[2] = {8 * static_cast<uint64_t>(aad_len), 8 * static_cast<uint64_t>(text_len)};
  for (int half = 0; half < 2; half++) {
    for (int i = 0; i < 8; i++) b[8 * half + i] = static_cast<uint8_t>(bits[half] >> (56 - 8 * i));
  }
  return b;
}

class Bench {
 public:
  Bench() : ctx_(std::make_unique<VerilatedContext>()) {
    ctx_->randReset(2);  // Y starts random: in_first must be what clears it
    top_ = std::make_unique<Vghash_acc>(ctx_.get());
    top_->en = 1;
    top_->in_valid = 0;
    tick();
  }

  // Absorbs one packet's blocks and returns y as seen one clock after the last beat.
  Block hash(const std::vector<Block> &blocks, const std::vector<Block> &powers) {
    for (int p = 0; p < LANES; p++) tb::put_be(top_->h_powers.data(), 128 * p, powers[p].data(), 16);
    size_t next = 0;
    while (next < blocks.size()) {
      idle_clocks();
      size_t cnt = std::min<size_t>(blocks.size() - next, 1 + tb::random_below(LANES));
      for (int l = 0; l < LANES; l++) {
        // Unused lanes carry garbage on purpose: a zero power must cancel them.
        Block b = l < static_cast<int>(cnt) ? blocks[next + l] : random_block();
        tb::put_be(top_->in_blocks.data(), 128 * l, b.data(), 16);
      }
      top_->in_valid = 1;
      top_->in_first = next == 0;
      top_->in_cnt = static_cast<uint8_t>(cnt);
      beats_++;
      tick();
      next += cnt;
    }
    top_->in_valid = 0;
    Block y;
    tb::get_be(top_->y.data(), 0, y.data(), 16);
    return y;
  }

  uint64_t beats() const { return beats_; }

 private:
  static Block random_block() {
    tb::Bytes r = tb::random_bytes(16);
    Block b;
    std::copy(r.begin(), r.end(), b.begin());
    return b;
  }

  // Random idle clocks and clocks with a valid beat but en = 0: neither may change Y.
  void idle_clocks() {
    while (tb::random_below(4) == 0) {
      bool disabled = tb::random_below(2);
      top_->in_valid = disabled;
      top_->in_first = 1;
      top_->in_cnt = 1;
      top_->en = !disabled;
      tick();
    }
    top_->en = 1;
  }

  void tick() {
    top_->clk = 0;
    top_->eval();
    top_->clk = 1;
    top_->eval();
  }

  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Vghash_acc> top_;
  uint64_t beats_ = 0;
};

size_t pick_length() {
  static const size_t edges[] = {0, 1, 15, 16, 17, 31, 32, 33, 64, 100};
  return tb::random_below(3) ? edges[tb::random_below(10)] : tb::random_below(300);
}

}  // namespace

int main(int argc, char **argv) {
  Verilated::commandArgs(argc, argv);
  Bench bench;
  const Block zero{};
  int aad_only = 0;
  size_t total_blocks = 0;
  for (int trial = 0; trial < 2000; trial++) {
    tb::Bytes key = tb::random_bytes(trial % 2 ? 32 : 16);
    tb::Bytes iv = tb::random_bytes(12);
    tb::Bytes aad = tb::random_bytes(pick_length());
    tb::Bytes plain = tb::random_bytes(trial % 4 == 0 ? 0 : pick_length());
    aad_only += plain.empty();

    tb::Bytes cipher;
    uint8_t tag[16];
    tb::aes_gcm_encrypt(key, iv, aad, plain, cipher, tag);

    Block h, ek_j0, j0{};
    tb::aes_ecb_encrypt(key, zero.data(), h.data());
    std::copy(iv.begin(), iv.end(), j0.begin());
    j0[15] = 1;
    tb::aes_ecb_encrypt(key, j0.data(), ek_j0.data());

    std::vector<Block> powers{h};
    while (powers.size() < LANES) {
      powers.push_back(tb::gcm_h_power(key, static_cast<unsigned>(powers.size()) + 1));
    }

    std::vector<Block> blocks;
    append_padded(blocks, aad);
    append_padded(blocks, cipher);
    blocks.push_back(length_block(aad.size(), cipher.size()));
    total_blocks += blocks.size();

    Block y = bench.hash(blocks, powers);
    for (int i = 0; i < 16; i++) y[i] ^= ek_j0[i];
    tb::check(std::equal(y.begin(), y.end(), tag), "trial %d (aad %zu, text %zu): tag %s, OpenSSL %s",
              trial, aad.size(), plain.size(), tb::to_hex(y.data(), 16).c_str(),
              tb::to_hex(tag, 16).c_str());
  }
  std::printf("GHASH (LANES=%d): 2000 OpenSSL GCM tags compared (%d AAD-only), %zu blocks in "
              "%llu beats; result 1 clock after the last beat\n",
              LANES, aad_only, total_blocks, static_cast<unsigned long long>(bench.beats()));
  return tb::finish("ghash_acc_tb");
}
