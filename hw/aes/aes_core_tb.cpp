// Testbench of aes_core (aes_key_expand + key-agile aes_enc_pipe), built once per LANES value.
//
//  1. KAT stream: every FIPS-197 and AESAVS AES-128/256 vector installed in its own SA and pushed
//     back to back, key size alternating every clock; checks ciphertexts, order, tags, a latency
//     of exactly 15 clocks for every beat and one output per clock after the fill.
//  2. Key agility: 64 random SAs (mixed sizes), random SA per beat, against OpenSSL AES-ECB; once
//     at full rate, once with random input gaps and output back-pressure.
//  3. Installs during traffic: install, re-install with the other key size, and zeroize SAs while
//     beats for other SAs flow; traffic must keep full rate and the new keys must take effect.
#include <verilated.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <memory>
#include <type_traits>
#include <vector>

#include "Vaes_core.h"
#include "tb_aes_model.hpp"
#include "tb_util.hpp"

namespace {

constexpr int LANES = TB_LANES;
constexpr unsigned NUM_SA = TB_NUM_SA;
constexpr uint64_t LATENCY = 15;

struct Beat {
  unsigned sa = 0;
  uint32_t tag = 0;
  std::array<tb::Block, LANES> blocks{};
};

struct InFlight {
  Beat expected;  // blocks hold the expected ciphertext
  uint64_t accepted_cycle;
};

struct SaState {
  tb::Bytes key;
  bool zeroized = false;
  bool usable = false;  // installed and not being re-installed
};

struct InstallJob {
  unsigned sa;
  tb::Bytes key;
  bool zeroize;
  enum class Step { drain, present, wait_done } step = Step::drain;
};

struct RunStats {
  uint64_t cycles = 0;
  uint64_t beats_in = 0;
  uint64_t beats_out = 0;
  uint64_t min_latency = UINT64_MAX;
  uint64_t max_latency = 0;
  uint64_t first_out_cycle = 0;
  uint64_t last_out_cycle = 0;
};

class Bench {
 public:
  explicit Bench(const tb::AesModel &model)
      : model_(model), ctx_(std::make_unique<VerilatedContext>()), sas_(NUM_SA) {
    ctx_->randReset(2);  // round-key RAMs and data registers start random
    top_ = std::make_unique<Vaes_core>(ctx_.get());
    top_->rst = 1;
    top_->inst_valid = 0;
    top_->in_valid = 0;
    top_->out_ready = 1;
    tick();
    tick();
    top_->rst = 0;
  }

  const SaState &sa(unsigned index) const { return sas_[index]; }

  // Queues an install (or zeroize); the SA stops being usable now and is re-enabled at inst_done.
  void request_install(unsigned sa, const tb::Bytes &key, bool zeroize) {
    sas_[sa].usable = false;
    installs_.push_back(InstallJob{sa, key, zeroize});
  }

  // Runs until next_beat() has nothing more, every beat has come out and installs are done.
  // gap/stall are probabilities in percent for an idle input clock and a refused output clock.
  RunStats run(const std::function<bool(Beat &)> &next_beat, unsigned gap_pct = 0,
               unsigned stall_pct = 0) {
    RunStats stats;
    Beat pending;
    bool have_pending = false;
    bool source_done = false;
    uint64_t start = cycle_;
    while (true) {
      if (!have_pending && !source_done) {
        have_pending = next_beat(pending);
        source_done = !have_pending;
      }
      if (source_done && scoreboard_.empty() && installs_.empty()) break;
      if (cycle_ - start > 10'000'000) tb::fatal("run did not finish");

      bool offer = have_pending && tb::random_below(100) >= gap_pct;
      top_->in_valid = offer;
      if (offer) drive_beat(pending);
      top_->out_ready = tb::random_below(100) >= stall_pct;
      drive_install();
      top_->eval();

      if (offer && top_->in_ready) {
        accept(pending);
        have_pending = false;
        stats.beats_in++;
      }
      if (top_->out_valid && top_->out_ready) collect(stats);
      observe_install();
      tick();
    }
    stats.cycles = cycle_ - start;
    return stats;
  }

  uint64_t cycle() const { return cycle_; }

 private:
  void tick() {
    top_->clk = 0;
    top_->eval();
    top_->clk = 1;
    top_->eval();
    cycle_++;
  }

  void drive_beat(const Beat &beat) {
    top_->in_sa = static_cast<std::remove_reference_t<decltype(top_->in_sa)>>(beat.sa);
    top_->in_tag = beat.tag;
    for (int l = 0; l < LANES; l++) {
      tb::put_be(top_->in_block.data(), 128 * l, beat.blocks[l].data(), 16);
    }
  }

  tb::Block reference(unsigned sa, const tb::Block &plain) const {
    const SaState &s = sas_[sa];
    tb::Block out;
    if (s.zeroized) {
      std::vector<tb::Block> zero_keys(s.key.size() == 32 ? 15 : 11, tb::Block{});
      return model_.encrypt(zero_keys, plain);
    }
    tb::aes_ecb_encrypt(s.key, plain.data(), out.data());
    return out;
  }

  void accept(const Beat &beat) {
    tb::check(sas_[beat.sa].usable, "testbench sent a beat for SA %u while not usable", beat.sa);
    InFlight f{beat, cycle_};
    for (int l = 0; l < LANES; l++) f.expected.blocks[l] = reference(beat.sa, beat.blocks[l]);
    scoreboard_.push_back(f);
  }

  void collect(RunStats &stats) {
    if (scoreboard_.empty()) {
      tb::check(false, "output beat with nothing in flight at cycle %llu",
                static_cast<unsigned long long>(cycle_));
      return;
    }
    InFlight f = scoreboard_.front();
    scoreboard_.pop_front();
    tb::check(top_->out_tag == f.expected.tag && top_->out_sa == f.expected.sa,
              "beat order: got tag %u sa %u, expected tag %u sa %u", top_->out_tag,
              static_cast<unsigned>(top_->out_sa), f.expected.tag, f.expected.sa);
    for (int l = 0; l < LANES; l++) {
      tb::Block got;
      tb::get_be(top_->out_block.data(), 128 * l, got.data(), 16);
      tb::check(got == f.expected.blocks[l], "tag %u lane %d: got %s expected %s",
                f.expected.tag, l, tb::to_hex(got.data(), 16).c_str(),
                tb::to_hex(f.expected.blocks[l].data(), 16).c_str());
    }
    uint64_t latency = cycle_ - f.accepted_cycle;
    stats.min_latency = std::min(stats.min_latency, latency);
    stats.max_latency = std::max(stats.max_latency, latency);
    if (stats.beats_out == 0) stats.first_out_cycle = cycle_;
    stats.last_out_cycle = cycle_;
    stats.beats_out++;
  }

  bool in_flight(unsigned sa) const {
    return std::any_of(scoreboard_.begin(), scoreboard_.end(),
                       [sa](const InFlight &f) { return f.expected.sa == sa; });
  }

  void drive_install() {
    top_->inst_valid = 0;
    if (installs_.empty()) return;
    InstallJob &job = installs_.front();
    if (job.step == InstallJob::Step::drain && !in_flight(job.sa)) {
      job.step = InstallJob::Step::present;
    }
    if (job.step != InstallJob::Step::present) return;
    tb::Bytes key256(32, 0);
    std::copy(job.key.begin(), job.key.end(), key256.begin());
    top_->inst_valid = 1;
    top_->inst_sa = static_cast<std::remove_reference_t<decltype(top_->inst_sa)>>(job.sa);
    tb::put_be(top_->inst_key.data(), 0, key256.data(), 32);
    top_->inst_is256 = job.key.size() == 32;
    top_->inst_zeroize = job.zeroize;
  }

  void observe_install() {
    if (installs_.empty()) {
      tb::check(!top_->inst_done, "inst_done without an install");
      return;
    }
    InstallJob &job = installs_.front();
    if (job.step == InstallJob::Step::present && top_->inst_ready) {
      job.step = InstallJob::Step::wait_done;
    } else if (job.step == InstallJob::Step::wait_done && top_->inst_done) {
      sas_[job.sa] = SaState{job.key, job.zeroize, true};
      installs_.pop_front();
    }
  }

  const tb::AesModel &model_;
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Vaes_core> top_;
  std::vector<SaState> sas_;
  std::deque<InFlight> scoreboard_;
  std::deque<InstallJob> installs_;
  uint64_t cycle_ = 0;
};

tb::Block to_block(const tb::Bytes &b) {
  tb::Block out;
  std::copy(b.begin(), b.end(), out.begin());
  return out;
}

tb::Block random_block() { return to_block(tb::random_bytes(16)); }

struct Kat {
  tb::Bytes key;
  tb::Block plain;
  tb::Block cipher;
};

std::vector<Kat> load_kats(int &skipped_192) {
  std::vector<Kat> k128, k256;
  for (const char *name : {"aes_fips197.json", "aes_ecb_kat_aesavs.json"}) {
    tb::VectorFile file(name);
    for (size_t i = 0; i < file.size(); i++) {
      json_t *v = file.at(i);
      Kat kat{tb::VectorFile::hex(v, "key"), to_block(tb::VectorFile::hex(v, "plaintext")),
              to_block(tb::VectorFile::hex(v, "ciphertext"))};
      if (kat.key.size() == 16) {
        k128.push_back(kat);
      } else if (kat.key.size() == 32) {
        k256.push_back(kat);
      } else {
        skipped_192++;
      }
    }
  }
  // Alternate key sizes so that neighbouring beats differ in SA and in key size.
  std::vector<Kat> mixed;
  for (size_t i = 0; i < std::max(k128.size(), k256.size()); i++) {
    if (i < k128.size()) mixed.push_back(k128[i]);
    if (i < k256.size()) mixed.push_back(k256[i]);
  }
  return mixed;
}

void kat_stream(Bench &bench) {
  int skipped_192 = 0;
  std::vector<Kat> kats = load_kats(skipped_192);
  tb::check(kats.size() == 96 && kats.size() <= NUM_SA, "expected 96 AES-128/256 KATs, got %zu",
            kats.size());
  for (unsigned i = 0; i < kats.size(); i++) bench.request_install(i, kats[i].key, false);
  bench.run([](Beat &) { return false; });

  // Lane 0 carries the KAT; the other lanes random blocks checked against OpenSSL.
  size_t next = 0;
  RunStats stats = bench.run([&](Beat &beat) {
    if (next == kats.size()) return false;
    beat.sa = static_cast<unsigned>(next);
    beat.tag = 0x4b000000u | static_cast<uint32_t>(next);
    beat.blocks[0] = kats[next].plain;
    for (int l = 1; l < LANES; l++) beat.blocks[l] = random_block();
    next++;
    return true;
  });
  // The scoreboard compared against OpenSSL; the KAT ciphertext itself must match too.
  for (const Kat &k : kats) {
    uint8_t out[16];
    tb::aes_ecb_encrypt(k.key, k.plain.data(), out);
    tb::check(std::equal(out, out + 16, k.cipher.begin()), "KAT disagrees with OpenSSL");
  }
  uint64_t out_span = stats.last_out_cycle - stats.first_out_cycle + 1;
  tb::check(stats.beats_out == kats.size(), "KAT: %llu beats out",
            static_cast<unsigned long long>(stats.beats_out));
  tb::check(stats.min_latency == LATENCY && stats.max_latency == LATENCY,
            "KAT latency %llu..%llu, expected %llu",
            static_cast<unsigned long long>(stats.min_latency),
            static_cast<unsigned long long>(stats.max_latency),
            static_cast<unsigned long long>(LATENCY));
  tb::check(out_span == stats.beats_out, "KAT: %llu beats took %llu output clocks",
            static_cast<unsigned long long>(stats.beats_out),
            static_cast<unsigned long long>(out_span));
  std::printf("KAT stream (LANES=%d): %zu vectors (%d AES-192 skipped), SA and key size change "
              "every beat; latency %llu clocks; %llu beats in %llu consecutive clocks "
              "(%.3f beats/clock after fill); %llu clocks total\n",
              LANES, kats.size(), skipped_192, static_cast<unsigned long long>(stats.min_latency),
              static_cast<unsigned long long>(stats.beats_out),
              static_cast<unsigned long long>(out_span),
              static_cast<double>(stats.beats_out) / static_cast<double>(out_span),
              static_cast<unsigned long long>(stats.cycles));
}

std::vector<unsigned> install_random_sas(Bench &bench, unsigned count, unsigned first_sa) {
  std::vector<unsigned> sas;
  for (unsigned i = 0; i < count; i++) {
    unsigned sa = first_sa + i;
    bench.request_install(sa, tb::random_bytes(tb::random_below(2) ? 32 : 16), false);
    sas.push_back(sa);
  }
  bench.run([](Beat &) { return false; });
  return sas;
}

std::function<bool(Beat &)> random_traffic(Bench &bench, std::vector<unsigned> &sas,
                                           uint64_t &remaining) {
  return [&bench, &sas, &remaining](Beat &beat) {
    if (remaining == 0) return false;
    // Pick among usable SAs only (an SA under re-install is off limits until inst_done).
    do {
      beat.sa = sas[tb::random_below(sas.size())];
    } while (!bench.sa(beat.sa).usable);
    beat.tag = static_cast<uint32_t>(remaining);
    for (int l = 0; l < LANES; l++) beat.blocks[l] = random_block();
    remaining--;
    return true;
  };
}

void key_agility(Bench &bench) {
  std::vector<unsigned> sas = install_random_sas(bench, 64, 128);
  uint64_t remaining = 20000;
  RunStats full = bench.run(random_traffic(bench, sas, remaining));
  tb::check(full.beats_out == 20000 && full.cycles == 20000 + LATENCY,
            "full rate: %llu beats in %llu clocks",
            static_cast<unsigned long long>(full.beats_out),
            static_cast<unsigned long long>(full.cycles));
  remaining = 20000;
  RunStats stalled = bench.run(random_traffic(bench, sas, remaining), 30, 30);
  tb::check(stalled.beats_out == 20000, "with stalls: %llu beats out",
            static_cast<unsigned long long>(stalled.beats_out));
  std::printf("key agility: 64 SAs, random SA per beat: 20000 beats in %llu clocks at full rate "
              "(= beats + latency); 20000 beats with 30%% input gaps and 30%% output stalls in "
              "%llu clocks, latency %llu..%llu\n",
              static_cast<unsigned long long>(full.cycles),
              static_cast<unsigned long long>(stalled.cycles),
              static_cast<unsigned long long>(stalled.min_latency),
              static_cast<unsigned long long>(stalled.max_latency));
}

void installs_during_traffic(Bench &bench) {
  std::vector<unsigned> busy_sas = install_random_sas(bench, 8, 200);
  const unsigned target = 220;
  std::vector<unsigned> pool = busy_sas;
  uint64_t remaining = 3000;
  auto traffic = random_traffic(bench, pool, remaining);
  uint64_t produced = 0;
  int stage = 0;
  // Every 500 beats the next install step is queued while traffic continues.
  auto scripted = [&](Beat &beat) {
    if (produced % 500 == 0 && produced / 500 == static_cast<uint64_t>(stage)) {
      switch (stage) {
        case 0: bench.request_install(target, tb::random_bytes(32), false); break;
        case 1: pool.push_back(target); break;
        case 2: bench.request_install(target, tb::random_bytes(16), false); break;  // 256 -> 128
        case 3: bench.request_install(target, tb::random_bytes(32), true); break;   // zeroize
        default: break;
      }
      stage++;
    }
    produced++;
    return traffic(beat);
  };
  RunStats stats = bench.run(scripted);
  tb::check(stats.beats_out == 3000 && stats.cycles == 3000 + LATENCY,
            "installs during traffic: %llu beats in %llu clocks (a stall happened)",
            static_cast<unsigned long long>(stats.beats_out),
            static_cast<unsigned long long>(stats.cycles));
  tb::check(bench.sa(target).zeroized && bench.sa(target).usable, "zeroize did not complete");
  // Beats after the zeroize were checked against the (OpenSSL-checked) model running on
  // all-zero round keys: the old key is gone from every stage's memory.
  std::printf("installs during traffic: install, 256->128 re-install and zeroize of SA %u while "
              "3000 beats ran on other SAs: %llu clocks (no stall)\n",
              target, static_cast<unsigned long long>(stats.cycles));
}

}  // namespace

int main(int argc, char **argv) {
  Verilated::commandArgs(argc, argv);
  tb::AesModel model;
  tb::check(model.self_check(), "software AES model disagrees with OpenSSL");
  Bench bench(model);
  kat_stream(bench);
  key_agility(bench);
  installs_during_traffic(bench);
  return tb::finish("aes_core_tb");
}
