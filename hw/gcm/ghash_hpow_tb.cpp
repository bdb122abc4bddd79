// Testbench of ghash_hpow: for random AES keys, H = AES_K(0^128) goes in and H, H^2 .. H^N must
// come out, each checked against the power derived from two OpenSSL GCM tags (tb_ghash.hpp),
// with `done` exactly N clocks after start (N-1 multiplies, then the pulse) and a start while
// busy ignored.
#include <verilated.h>

#include <memory>

#include "Vghash_hpow.h"
#include "tb_ghash.hpp"
#include "tb_util.hpp"

namespace {

constexpr unsigned N = TB_N;

class Bench {
 public:
  Bench() : ctx_(std::make_unique<VerilatedContext>()) {
    ctx_->randReset(2);
    top_ = std::make_unique<Vghash_hpow>(ctx_.get());
    top_->rst = 1;
    top_->start = 0;
    tick();
    top_->rst = 0;
  }

  // Returns the clocks from the accepting edge until done (or -1) and fills `out`.
  int run(const tb::Block &h, std::vector<tb::Block> &out) {
    tb::put_be(top_->h.data(), 0, h.data(), 16);
    top_->start = 1;
    top_->eval();
    tb::check(!top_->busy, "busy before start");
    tick();
    int clocks = -1;
    for (int c = 1; c <= static_cast<int>(N) + 4 && clocks < 0; c++) {
      // Keep start high with another H while busy: it must be ignored.
      top_->start = top_->busy;
      tb::Block other = h;
      other[0] ^= 0xff;
      tb::put_be(top_->h.data(), 0, other.data(), 16);
      top_->eval();
      if (top_->done) clocks = c;
      tick();
    }
    top_->start = 0;
    out.assign(N, tb::Block{});
    for (unsigned p = 0; p < N; p++) tb::get_be(top_->powers.data(), 128 * p, out[p].data(), 16);
    return clocks;
  }

 private:
  void tick() {
    top_->clk = 0;
    top_->eval();
    top_->clk = 1;
    top_->eval();
  }

  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Vghash_hpow> top_;
};

}  // namespace

int main(int argc, char **argv) {
  Verilated::commandArgs(argc, argv);
  Bench bench;
  const int expected_clocks = static_cast<int>(N);
  for (int trial = 0; trial < 200; trial++) {
    tb::Bytes key = tb::random_bytes(trial % 2 ? 32 : 16);
    tb::Block h = tb::gcm_h_power(key, 1);
    std::vector<tb::Block> powers;
    int clocks = bench.run(h, powers);
    tb::check(clocks == expected_clocks, "done after %d clocks, expected %d", clocks,
              expected_clocks);
    for (unsigned p = 0; p < N; p++) {
      tb::Block expected = tb::gcm_h_power(key, p + 1);
      tb::check(powers[p] == expected, "trial %d: H^%u = %s, expected %s", trial, p + 1,
                tb::to_hex(powers[p].data(), 16).c_str(), tb::to_hex(expected.data(), 16).c_str());
    }
  }
  std::printf("H powers (N=%u): 200 keys, H..H^%u match OpenSSL-derived powers, %d clock(s) per "
              "install\n", N, N, expected_clocks);
  return tb::finish("ghash_hpow_tb");
}
