// Testbench of gcm_core (aes_core in CTR mode + ghash_acc + install sequencer).
//
//  1. CAVP: all 124 AES-128/256-GCM vectors of aes_gcm_cavp.json (encrypt with 128/96/64-bit
//     tags, decrypt pass and fail) in batches of 16 SAs; the next batch is installed into the
//     other half of the SA table while the current batch streams (install during traffic).
//  2. Full rate: 2000 random ESP-like packets (AAD 8/12 bytes or random, text 0..300 bytes,
//     ICV 8/12/16, both directions, 32 SAs) against OpenSSL, back to back; the run must take
//     exactly sum(slots) + 18 clocks, slots = 2 + AAD blocks + text blocks per packet.
//  3. Stress: the same traffic with random din/desc gaps, dout back-pressure and re-installs.
#include <verilated.h>

#include <algorithm>
#include <array>
#include <deque>
#include <memory>
#include <type_traits>
#include <vector>

#include "Vgcm_core.h"
#include "tb_util.hpp"

namespace {

constexpr unsigned NUM_SA = TB_NUM_SA;
constexpr uint64_t TEXT_LATENCY = 17;  // din text block accepted -> its dout beat
constexpr uint64_t TAG_AFTER_LAST_SLOT = 18;
constexpr uint64_t INSTALL_CLOCKS_128 = 30;
constexpr uint64_t INSTALL_CLOCKS_256 = 34;

struct Packet {
  std::string name;
  unsigned sa = 0;
  unsigned gen = 0;  // install generation of `sa` this packet needs
  tb::Bytes nonce, aad, text_in;
  unsigned icv = 16;
  bool decrypt = false;
  tb::Bytes expect_text;  // empty if unknown (CAVP decrypt failures)
  tb::Bytes expect_tag;   // icv bytes; for decrypt: the received ICV
  bool expect_tag_match = true;
};

struct InstallJob {
  unsigned sa;
  unsigned gen;
  tb::Bytes key;
};

struct Stats {
  uint64_t cycles = 0;
  uint64_t first_desc_cycle = 0;
  uint64_t last_tag_cycle = 0;
  uint64_t slots = 0;
  uint64_t min_text_latency = UINT64_MAX;
  uint64_t max_text_latency = 0;
};

size_t blocks_of(size_t len) { return (len + 15) / 16; }

class Bench {
 public:
  Bench() : ctx_(std::make_unique<VerilatedContext>()), sa_gen_(NUM_SA, 0) {
    ctx_->randReset(2);  // RAMs and data registers start random
    top_ = std::make_unique<Vgcm_core>(ctx_.get());
    top_->rst = 1;
    top_->inst_valid = 0;
    top_->desc_valid = 0;
    top_->din_valid = 0;
    top_->dout_ready = 1;
    tick();
    tick();
    top_->rst = 0;
  }

  Stats run(const std::vector<Packet> &pkts, const std::vector<InstallJob> &jobs,
            unsigned gap_pct = 0, unsigned stall_pct = 0) {
    pkts_ = &pkts;
    jobs_ = &jobs;
    next_desc_ = next_job_ = next_out_ = 0;
    job_presented_ = false;
    Stats stats;
    uint64_t start = cycle_;
    while (next_out_ < pkts.size() || next_job_ < jobs.size()) {
      if (cycle_ - start > 5'000'000) tb::fatal("run did not finish");
      bool desc_offer = drive_desc(gap_pct);
      bool din_offer = !din_.empty() && tb::random_below(100) >= gap_pct;
      top_->din_valid = din_offer;
      if (din_offer) tb::put_be(top_->din_data.data(), 0, din_.front().data.data(), 16);
      top_->dout_ready = tb::random_below(100) >= stall_pct;
      drive_install();
      top_->eval();

      if (desc_offer && top_->desc_ready) accept_desc(stats);
      if (din_offer && top_->din_ready) accept_din();
      if (top_->dout_valid && top_->dout_ready) collect(stats);
      observe_install();
      tick();
    }
    tb::check(din_.empty() && text_in_cycles_.empty(), "run ended with blocks left over");
    stats.cycles = cycle_ - start;
    return stats;
  }

 private:
  struct DinBlock {
    std::array<uint8_t, 16> data;
    bool is_text;
  };

  void tick() {
    top_->clk = 0;
    top_->eval();
    top_->clk = 1;
    top_->eval();
    cycle_++;
  }

  // A packet may go once its SA holds the generation it was built for.
  bool drive_desc(unsigned gap_pct) {
    top_->desc_valid = 0;
    if (next_desc_ == pkts_->size()) return false;
    const Packet &p = (*pkts_)[next_desc_];
    if (sa_gen_[p.sa] != p.gen || tb::random_below(100) < gap_pct) return false;
    top_->desc_valid = 1;
    top_->desc_sa = static_cast<std::remove_reference_t<decltype(top_->desc_sa)>>(p.sa);
    tb::put_be(top_->desc_nonce.data(), 0, p.nonce.data(), 12);
    top_->desc_aad_len = static_cast<uint16_t>(p.aad.size());
    top_->desc_text_len = static_cast<uint16_t>(p.text_in.size());
    top_->desc_icv_len = static_cast<uint8_t>(p.icv);
    top_->desc_decrypt = p.decrypt;
    return true;
  }

  void accept_desc(Stats &stats) {
    const Packet &p = (*pkts_)[next_desc_++];
    if (stats.slots == 0) stats.first_desc_cycle = cycle_;
    stats.slots += 2 + blocks_of(p.aad.size()) + blocks_of(p.text_in.size());
    in_flight_[p.sa]++;
    auto push = [this](const tb::Bytes &data, bool is_text) {
      for (size_t off = 0; off < data.size(); off += 16) {
        DinBlock b{{}, is_text};
        std::copy(data.begin() + off, data.begin() + std::min(data.size(), off + 16),
                  b.data.begin());
        din_.push_back(b);
      }
    };
    push(p.aad, false);
    push(p.text_in, true);
  }

  void accept_din() {
    if (din_.front().is_text) text_in_cycles_.push_back(cycle_);
    din_.pop_front();
  }

  void collect(Stats &stats) {
    if (next_out_ >= pkts_->size()) {
      tb::check(false, "dout beat after the last packet");
      return;
    }
    const Packet &p = (*pkts_)[next_out_];
    uint8_t beat[16];
    tb::get_be(top_->dout_data.data(), 0, beat, 16);
    unsigned nbytes = top_->dout_nbytes;
    tb::check(top_->dout_last == top_->dout_is_tag, "%s: dout_last != dout_is_tag", p.name.c_str());
    if (!top_->dout_is_tag) {
      size_t expect_n = std::min<size_t>(16, p.text_in.size() - out_text_.size());
      tb::check(nbytes == expect_n, "%s: text beat has %u bytes, expected %zu", p.name.c_str(),
                nbytes, expect_n);
      for (unsigned i = nbytes; i < 16; i++) {
        tb::check(beat[i] == 0, "%s: byte %u beyond nbytes is not zero", p.name.c_str(), i);
      }
      out_text_.insert(out_text_.end(), beat, beat + std::min(nbytes, 16u));
      if (!text_in_cycles_.empty()) {
        uint64_t latency = cycle_ - text_in_cycles_.front();
        text_in_cycles_.pop_front();
        stats.min_text_latency = std::min(stats.min_text_latency, latency);
        stats.max_text_latency = std::max(stats.max_text_latency, latency);
      }
      return;
    }
    check_packet(p, beat, nbytes);
    stats.last_tag_cycle = cycle_;
    in_flight_[p.sa]--;
    out_text_.clear();
    next_out_++;
  }

  void check_packet(const Packet &p, const uint8_t *tag, unsigned nbytes) {
    tb::check(out_text_.size() == p.text_in.size(), "%s: %zu text bytes out, expected %zu",
              p.name.c_str(), out_text_.size(), p.text_in.size());
    if (!p.expect_text.empty() || p.text_in.empty()) {
      tb::check(out_text_ == p.expect_text, "%s: text %s, expected %s", p.name.c_str(),
                tb::to_hex(out_text_).c_str(), tb::to_hex(p.expect_text).c_str());
    }
    tb::check(nbytes == p.icv, "%s: tag has %u bytes, expected %u", p.name.c_str(), nbytes, p.icv);
    for (unsigned i = p.icv; i < 16; i++) {
      tb::check(tag[i] == 0, "%s: tag byte %u beyond the ICV is not zero", p.name.c_str(), i);
    }
    bool match = std::equal(p.expect_tag.begin(), p.expect_tag.end(), tag);
    tb::check(match == p.expect_tag_match, "%s: tag %s vs %s, match expected %d", p.name.c_str(),
              tb::to_hex(tag, p.icv).c_str(), tb::to_hex(p.expect_tag).c_str(),
              p.expect_tag_match);
  }

  // Installs go in list order; a job waits until no packet of the SA's previous generation is
  // queued or in flight (the two-phase delete the engine requires).
  void drive_install() {
    top_->inst_valid = 0;
    if (next_job_ == jobs_->size() || job_presented_) return;
    const InstallJob &job = (*jobs_)[next_job_];
    for (size_t i = next_desc_; i < pkts_->size(); i++) {
      const Packet &p = (*pkts_)[i];
      if (p.sa == job.sa && p.gen < job.gen) return;
    }
    if (in_flight_[job.sa] != 0) return;
    tb::Bytes key256(32, 0);
    std::copy(job.key.begin(), job.key.end(), key256.begin());
    top_->inst_valid = 1;
    top_->inst_sa = static_cast<std::remove_reference_t<decltype(top_->inst_sa)>>(job.sa);
    tb::put_be(top_->inst_key.data(), 0, key256.data(), 32);
    top_->inst_is256 = job.key.size() == 32;
    top_->inst_zeroize = 0;
  }

  void observe_install() {
    if (top_->inst_valid && top_->inst_ready) {
      job_presented_ = true;
      inst_accept_cycle_ = cycle_;
      sa_gen_[(*jobs_)[next_job_].sa] = 0;  // unusable until done
    } else if (job_presented_ && top_->inst_done) {
      const InstallJob &job = (*jobs_)[next_job_];
      sa_gen_[job.sa] = job.gen;
      job_presented_ = false;
      install_clocks_[job.key.size() == 32].push_back(cycle_ - inst_accept_cycle_);
      next_job_++;
    } else {
      tb::check(!top_->inst_done, "inst_done without an install");
    }
  }

  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Vgcm_core> top_;
  std::vector<unsigned> sa_gen_;
  std::array<unsigned, NUM_SA> in_flight_{};
  const std::vector<Packet> *pkts_ = nullptr;
  const std::vector<InstallJob> *jobs_ = nullptr;
  size_t next_desc_ = 0, next_job_ = 0, next_out_ = 0;
  bool job_presented_ = false;
  std::deque<DinBlock> din_;
  std::deque<uint64_t> text_in_cycles_;
  tb::Bytes out_text_;
  uint64_t cycle_ = 0;
  uint64_t inst_accept_cycle_ = 0;

 public:
  // Clocks from install acceptance to inst_done, [0] AES-128, [1] AES-256.
  std::array<std::vector<uint64_t>, 2> install_clocks_;
};

// Per-SA generation counters shared by every phase (the DUT keeps its SAs between phases).
std::vector<unsigned> &generations() {
  static std::vector<unsigned> gen(NUM_SA, 0);
  return gen;
}

InstallJob new_install(unsigned sa, const tb::Bytes &key) {
  return InstallJob{sa, ++generations()[sa], key};
}

Packet cavp_packet(json_t *v, unsigned sa, unsigned gen) {
  Packet p;
  p.name = "CAVP id " + std::to_string(tb::VectorFile::integer(v, "id"));
  p.sa = sa;
  p.gen = gen;
  p.nonce = tb::VectorFile::hex(v, "iv");
  p.aad = tb::VectorFile::hex(v, "aad");
  p.icv = static_cast<unsigned>(tb::VectorFile::integer(v, "tag_bits") / 8);
  p.decrypt = tb::VectorFile::text(v, "direction") == "decrypt";
  p.expect_tag = tb::VectorFile::hex(v, "tag");
  bool pass = tb::VectorFile::text(v, "result") == "pass";
  p.expect_tag_match = pass;
  tb::Bytes pt = json_is_string(json_object_get(v, "pt")) ? tb::VectorFile::hex(v, "pt")
                                                           : tb::Bytes{};
  tb::Bytes ct = tb::VectorFile::hex(v, "ct");
  p.text_in = p.decrypt ? ct : pt;
  p.expect_text = p.decrypt ? (pass ? pt : tb::Bytes{}) : ct;
  return p;
}

void cavp(Bench &bench) {
  tb::VectorFile file("aes_gcm_cavp.json");
  std::vector<Packet> pkts;
  std::vector<InstallJob> jobs;
  const unsigned batch = NUM_SA / 2;
  int decrypt_fail = 0;
  for (size_t i = 0; i < file.size(); i++) {
    json_t *v = file.at(i);
    // Batch b uses SA half (b % 2): the next batch installs while this one streams.
    unsigned sa = static_cast<unsigned>((i / batch) % 2 * batch + i % batch);
    jobs.push_back(new_install(sa, tb::VectorFile::hex(v, "key")));
    pkts.push_back(cavp_packet(v, sa, jobs.back().gen));
    decrypt_fail += !pkts.back().expect_tag_match;
  }
  Stats s = bench.run(pkts, jobs);
  std::printf("CAVP: %zu vectors (%d decrypt failures detected as tag mismatch), %zu installs "
              "interleaved with traffic, %llu clocks; text latency %llu clocks\n",
              pkts.size(), decrypt_fail, jobs.size(), static_cast<unsigned long long>(s.cycles),
              static_cast<unsigned long long>(s.min_text_latency));
  // With no back-pressure an install is key expansion (12/16) + H block through the pipeline.
  for (int is256 = 0; is256 < 2; is256++) {
    const std::vector<uint64_t> &c = bench.install_clocks_[is256];
    uint64_t expected = is256 ? INSTALL_CLOCKS_256 : INSTALL_CLOCKS_128;
    bool exact = !c.empty() && std::all_of(c.begin(), c.end(), [&](uint64_t v) {
      return v == expected;
    });
    tb::check(exact, "AES-%d installs did not all take %llu clocks", is256 ? 256 : 128,
              static_cast<unsigned long long>(expected));
    std::printf("install AES-%d: %zu installs, %llu clocks each (acceptance to inst_done)\n",
                is256 ? 256 : 128, c.size(), static_cast<unsigned long long>(expected));
  }
}

Packet random_packet(const std::vector<tb::Bytes> &keys, unsigned sa, unsigned gen, int n) {
  Packet p;
  p.name = "random " + std::to_string(n);
  p.sa = sa;
  p.gen = gen;
  p.nonce = tb::random_bytes(12);
  static const size_t esp_aad[] = {8, 12};
  p.aad = tb::random_bytes(tb::random_below(4) ? esp_aad[tb::random_below(2)]
                                               : tb::random_below(70));
  static const unsigned icvs[] = {8, 12, 16};
  p.icv = icvs[tb::random_below(3)];
  p.decrypt = tb::random_below(2);
  tb::Bytes plain = tb::random_bytes(tb::random_below(10) ? tb::random_below(301) : 0);
  tb::Bytes cipher;
  uint8_t tag[16];
  tb::aes_gcm_encrypt(keys[sa], p.nonce, p.aad, plain, cipher, tag);
  p.text_in = p.decrypt ? cipher : plain;
  p.expect_text = p.decrypt ? plain : cipher;
  p.expect_tag.assign(tag, tag + p.icv);
  return p;
}

void random_traffic(Bench &bench) {
  std::vector<tb::Bytes> keys(NUM_SA);
  std::vector<InstallJob> jobs;
  for (unsigned sa = 0; sa < NUM_SA; sa++) {
    keys[sa] = tb::random_bytes(sa % 2 ? 32 : 16);
    jobs.push_back(new_install(sa, keys[sa]));
  }
  bench.run({}, jobs);

  std::vector<Packet> pkts;
  for (int n = 0; n < 2000; n++) {
    unsigned sa = static_cast<unsigned>(tb::random_below(NUM_SA));
    pkts.push_back(random_packet(keys, sa, generations()[sa], n));
  }
  Stats s = bench.run(pkts, {});
  uint64_t span = s.last_tag_cycle - s.first_desc_cycle;
  tb::check(span == s.slots - 1 + TAG_AFTER_LAST_SLOT,
            "full rate: %llu slots took %llu clocks from first descriptor to last tag",
            static_cast<unsigned long long>(s.slots), static_cast<unsigned long long>(span));
  tb::check(s.min_text_latency == TEXT_LATENCY && s.max_text_latency == TEXT_LATENCY,
            "text latency %llu..%llu", static_cast<unsigned long long>(s.min_text_latency),
            static_cast<unsigned long long>(s.max_text_latency));
  std::printf("full rate: 2000 random packets on %u SAs (mixed key sizes, both directions): "
              "%llu issue slots in %llu clocks from first descriptor to last tag (= slots + %llu, "
              "one slot per clock); text latency %llu, tag %llu clocks after the last slot\n",
              NUM_SA, static_cast<unsigned long long>(s.slots),
              static_cast<unsigned long long>(span),
              static_cast<unsigned long long>(TAG_AFTER_LAST_SLOT - 1),
              static_cast<unsigned long long>(s.min_text_latency),
              static_cast<unsigned long long>(TAG_AFTER_LAST_SLOT));

  // Stress: gaps, back-pressure, and every 100 packets one SA gets a new key of the other size.
  pkts.clear();
  jobs.clear();
  for (int n = 0; n < 2000; n++) {
    if (n % 100 == 50) {
      unsigned sa = static_cast<unsigned>(tb::random_below(NUM_SA));
      keys[sa] = tb::random_bytes(keys[sa].size() == 16 ? 32 : 16);
      jobs.push_back(new_install(sa, keys[sa]));
    }
    unsigned sa = static_cast<unsigned>(tb::random_below(NUM_SA));
    pkts.push_back(random_packet(keys, sa, generations()[sa], n));
  }
  Stats stressed = bench.run(pkts, jobs, 25, 25);
  std::printf("stress: 2000 packets, %zu re-installs, 25%% input gaps and 25%% output stalls: "
              "%llu clocks for %llu slots\n",
              jobs.size(), static_cast<unsigned long long>(stressed.cycles),
              static_cast<unsigned long long>(stressed.slots));
}

}  // namespace

int main(int argc, char **argv) {
  Verilated::commandArgs(argc, argv);
  Bench bench;
  cavp(bench);
  random_traffic(bench);
  return tb::finish("gcm_core_tb");
}
