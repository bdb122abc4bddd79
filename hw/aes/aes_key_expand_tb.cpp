// Testbench of aes_key_expand: the round keys it writes for an SA must equal the FIPS-197
// expansion (the derived round keys of the FIPS-197 vectors, then random keys against the
// software schedule, which is itself checked against OpenSSL first), written in index order,
// one per clock, with the SA and key-size bit attached; zeroize must write zeros.
#include <verilated.h>

#include <memory>
#include <vector>

#include "Vaes_key_expand.h"
#include "tb_aes_model.hpp"
#include "tb_util.hpp"

namespace {

struct Write {
  unsigned idx;
  unsigned sa;
  bool is256;
  tb::Block data;
};

struct Expansion {
  std::vector<Write> writes;
  int cycles_to_done = -1;  // clocks from the accepting edge until `done` is seen
};

class Bench {
 public:
  Bench() : ctx_(std::make_unique<VerilatedContext>()) {
    ctx_->randReset(2);  // unreset state starts random: the design must not rely on zeros
    top_ = std::make_unique<Vaes_key_expand>(ctx_.get());
    top_->rst = 1;
    top_->start = 0;
    tick();
    tick();
    top_->rst = 0;
  }

  void tick() {
    top_->clk = 0;
    top_->eval();
    top_->clk = 1;
    top_->eval();
  }

  // Runs one expansion and records every round-key write until `done`.
  Expansion expand(unsigned sa, const tb::Bytes &key, bool zeroize) {
    tb::Bytes key256(32, 0);
    std::copy(key.begin(), key.end(), key256.begin());
    tb::put_be(top_->key.data(), 0, key256.data(), 32);
    top_->sa = static_cast<uint8_t>(sa);
    top_->is256 = key.size() == 32;
    top_->zeroize = zeroize;
    top_->start = 1;
    top_->eval();
    tb::check(!top_->busy, "expander busy before start");
    tick();
    Expansion result;
    for (int cycle = 1; cycle < 40 && result.cycles_to_done < 0; cycle++) {
      // A start while busy must be ignored: keep it asserted (with another SA) while busy.
      top_->eval();
      top_->start = top_->busy;
      top_->sa = static_cast<uint8_t>(sa ^ 1);
      top_->eval();
      if (top_->rk_we) {
        Write w{top_->rk_idx, top_->rk_sa, top_->rk_is256 != 0, {}};
        tb::get_be(top_->rk_data.data(), 0, w.data.data(), 16);
        result.writes.push_back(w);
      }
      if (top_->done) result.cycles_to_done = cycle;
      tick();
    }
    top_->start = 0;
    return result;
  }

 private:
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Vaes_key_expand> top_;
};

void check_expansion(const Expansion &got, const std::vector<tb::Block> &expected, unsigned sa,
                     bool is256, const char *what) {
  tb::check(got.writes.size() == expected.size(), "%s: %zu round-key writes, expected %zu", what,
            got.writes.size(), expected.size());
  // done pulses the clock after the last write: writes take clocks 1..Nr+1.
  tb::check(got.cycles_to_done == static_cast<int>(expected.size()) + 1,
            "%s: done after %d clocks, expected %zu", what, got.cycles_to_done,
            expected.size() + 1);
  for (size_t i = 0; i < got.writes.size() && i < expected.size(); i++) {
    const Write &w = got.writes[i];
    tb::check(w.idx == i && w.sa == sa && w.is256 == is256,
              "%s: write %zu has idx %u sa %u is256 %d", what, i, w.idx, w.sa, w.is256);
    tb::check(w.data == expected[i], "%s: round key %zu = %s, expected %s", what, i,
              tb::to_hex(w.data.data(), 16).c_str(), tb::to_hex(expected[i].data(), 16).c_str());
  }
}

void fips197_round_keys(Bench &bench) {
  tb::VectorFile file("aes_fips197.json");
  int checked = 0;
  for (size_t v = 0; v < file.size(); v++) {
    json_t *vec = file.at(v);
    long long bits = tb::VectorFile::integer(vec, "key_bits");
    if (bits == 192) continue;  // the core implements AES-128 and AES-256 only
    json_t *list = json_object_get(vec, "derived_round_keys");
    std::vector<tb::Block> expected;
    for (size_t r = 0; r < json_array_size(list); r++) {
      tb::Bytes rk = tb::from_hex(json_string_value(json_array_get(list, r)));
      tb::Block b;
      std::copy(rk.begin(), rk.end(), b.begin());
      expected.push_back(b);
    }
    Expansion got = bench.expand(5, tb::VectorFile::hex(vec, "key"), false);
    std::string what = "FIPS-197 " + tb::VectorFile::text(vec, "ref");
    check_expansion(got, expected, 5, bits == 256, what.c_str());
    checked++;
  }
  tb::check(checked == 3, "expected 3 FIPS-197 AES-128/256 vectors, found %d", checked);
  std::printf("FIPS-197 derived round keys: %d key schedules checked\n", checked);
}

void random_round_keys(Bench &bench, const tb::AesModel &model) {
  for (int trial = 0; trial < 200; trial++) {
    tb::Bytes key = tb::random_bytes(trial % 2 ? 32 : 16);
    unsigned sa = static_cast<unsigned>(tb::random_below(16));
    check_expansion(bench.expand(sa, key, false), model.expand(key), sa, key.size() == 32,
                    "random key");
  }
  std::printf("random keys: 200 key schedules match the software schedule\n");
}

void zeroize(Bench &bench) {
  for (size_t len : {16u, 32u}) {
    tb::Bytes key = tb::random_bytes(len);
    std::vector<tb::Block> zeros(len == 16 ? 11 : 15, tb::Block{});
    check_expansion(bench.expand(3, key, true), zeros, 3, len == 32, "zeroize");
  }
  std::printf("zeroize: all round keys written as zero (AES-128 and AES-256)\n");
}

}  // namespace

int main(int argc, char **argv) {
  Verilated::commandArgs(argc, argv);
  tb::AesModel model;
  tb::check(model.self_check(), "software AES model disagrees with OpenSSL");
  Bench bench;
  fips197_round_keys(bench);
  random_round_keys(bench, model);
  zeroize(bench);
  return tb::finish("aes_key_expand_tb");
}
