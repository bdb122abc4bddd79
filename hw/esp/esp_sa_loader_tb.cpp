// esp_sa_loader: descriptors in, SA table commands and completions out.
//   - a known-answer descriptor (literal octets) gives the expected record words and key
//   - random valid descriptors under random DMA gaps, table stalls/latencies and completion
//     back-pressure: every command equals its descriptor, completions come in order with the tag
//   - bad descriptors (READ / unknown op, direction 2, index past the table, reserved octets set,
//     6 and 8 beats) complete with their DESC_STATUS and never reach the table; a table refusal
//     completes REFUSED
//   - the key leaves the loader with the command (cmd_key reads zero when idle)
//   - overlap: with a table of latency L the loader runs one descriptor per max(8, L + 2) clocks
#include <cstdint>
#include <cstdio>
#include <deque>
#include <random>
#include <vector>

#include "Vesp_sa_loader.h"
#include "nicsec_regs.h"
#include "tb_util.hpp"
#include "verilated.h"

namespace {
constexpr int kNumSa = 4096; // the RTL default
constexpr int kBeat = 16;
constexpr int kWords = 24;
constexpr int W_SPI = 0, W_SALT = 1, W_FLAGS = 2, W_SRC = 3, W_DST = 4, W_PORTS = 5, W_SEQ = 6;
constexpr int W_SOFT_PKTS = 8, W_HARD_PKTS = 10, W_SOFT_BYTES = 12, W_HARD_BYTES = 14;

using tb::Bytes;
using tb::check;

struct Desc {
  Bytes octets = Bytes(NICSEC_SA_DESC_SIZE, 0);
  int beats = NICSEC_SA_DESC_SIZE / kBeat; // as sent (bad framing sends another count)
  void put(unsigned off, uint64_t v, int n) {
    for (int i = n - 1; i >= 0; i--, v >>= 8)
      octets[off + i] = (uint8_t)v;
  }
  uint64_t get(unsigned off, int n) const {
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
      v = v << 8 | octets[off + i];
    return v;
  }
};

struct Expect {
  uint32_t tag;
  unsigned status;
  bool reaches_table;
  bool refuse; // the table model answers with an error
  Desc desc;
};

struct Cmd {
  bool dir_in;
  unsigned op, idx;
  uint32_t words[kWords];
  uint8_t key[32];
};

class Bench {
public:
  Bench() : top_(&ctx_) {
    top_.rst = 1;
    for (int i = 0; i < 4; i++)
      tick();
    top_.rst = 0;
  }

  // knobs of the random stalls (probabilities in percent) and table latency range
  int dma_gap = 0, table_stall = 0, cpl_stall = 0, lat_min = 0, lat_max = 0;
  std::mt19937 rng{7};

  void expect(const Expect &e) {
    sent_.push_back(e);
    if (e.reaches_table)
      to_table_.push_back(e);
  }

  // Runs until every queued descriptor completed; returns the clocks it took.
  uint64_t run() {
    uint64_t start = cycles_, limit = cycles_ + 200 * (sent_.size() + 1) * (lat_max + 10);
    while (!sent_.empty() && cycles_ < limit)
      tick();
    check(sent_.empty() && to_table_.empty(), "descriptors left after %llu clocks",
          (unsigned long long)(cycles_ - start));
    return cycles_ - start;
  }

  bool key_is_zero() {
    top_.eval();
    for (int i = 0; i < 8; i++)
      if (top_.cmd_key[i])
        return false;
    return true;
  }

private:
  VerilatedContext ctx_;
  Vesp_sa_loader top_;
  uint64_t cycles_ = 0;
  std::deque<Expect> sent_;     // not yet completed, in order
  std::deque<Expect> to_table_; // commands the table has still to see, in order
  size_t beat_ = 0;             // next beat of sent_[streamed_]
  size_t streamed_ = 0;         // descriptors of sent_ fully streamed
  int table_left_ = -1;         // clocks until the running command is done (-1: none)
  bool table_err_ = false;
  size_t issued_ = 0; // commands the table took

  bool roll(int percent) { return (int)(rng() % 100) < percent; }

  void drive_beat() {
    top_.s_valid = 0;
    if (streamed_ >= sent_.size() || roll(dma_gap))
      return;
    const Desc &d = sent_[streamed_].desc;
    uint8_t beat[kBeat] = {0};
    for (int i = 0; i < kBeat; i++) {
      size_t off = beat_ * kBeat + i;
      beat[i] = off < d.octets.size() ? d.octets[off] : 0x5a; // an 8th beat carries junk
    }
    for (int w = 0; w < 4; w++) {
      const uint8_t *b = beat + 4 * (3 - w);
      top_.s_data[w] = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    }
    top_.s_valid = 1;
    top_.s_last = beat_ + 1 == (size_t)d.beats;
  }

  Cmd capture() const {
    Cmd c{};
    c.dir_in = top_.cmd_dir_in;
    c.op = top_.cmd_op;
    c.idx = top_.cmd_idx;
    for (int i = 0; i < kWords; i++)
      c.words[i] = top_.cmd_words[i];
    for (int i = 0; i < 32; i++)
      c.key[i] = (uint8_t)(top_.cmd_key[7 - i / 4] >> (24 - 8 * (i % 4)));
    return c;
  }

  void check_cmd(const Cmd &c) {
    size_t n = issued_++;
    if (to_table_.empty()) {
      check(false, "command %zu with no descriptor", n);
      return;
    }
    Expect e = to_table_.front();
    to_table_.pop_front();
    const Desc &d = e.desc;
    table_err_ = e.refuse;
    check(c.op == d.get(NICSEC_SA_DESC_OP, 1) && c.idx == d.get(NICSEC_SA_DESC_INDEX, 2) &&
              c.dir_in == (d.get(NICSEC_SA_DESC_DIR, 1) == 1),
          "command %zu: op %u idx %u dir %d", n, c.op, c.idx, c.dir_in);
    const std::pair<int, unsigned> word_of[] = {
        {W_SPI, NICSEC_SA_DESC_SPI},     {W_SALT, NICSEC_SA_DESC_SALT},
        {W_FLAGS, NICSEC_SA_DESC_FLAGS}, {W_SRC, NICSEC_SA_DESC_SRC},
        {W_DST, NICSEC_SA_DESC_DST},     {W_PORTS, NICSEC_SA_DESC_PORTS}};
    for (auto [w, off] : word_of)
      check(c.words[w] == d.get(off, 4), "command %zu: word %d %08x", n, w, c.words[w]);
    const std::pair<int, unsigned> pair_of[] = {{W_SEQ, NICSEC_SA_DESC_SEQ},
                                                {W_SOFT_PKTS, NICSEC_SA_DESC_SOFT_PKTS},
                                                {W_HARD_PKTS, NICSEC_SA_DESC_HARD_PKTS},
                                                {W_SOFT_BYTES, NICSEC_SA_DESC_SOFT_BYTES},
                                                {W_HARD_BYTES, NICSEC_SA_DESC_HARD_BYTES}};
    for (auto [w, off] : pair_of)
      check(((uint64_t)c.words[w + 1] << 32 | c.words[w]) == d.get(off, 8),
            "command %zu: 64-bit word %d", n, w);
    for (int w = W_HARD_BYTES + 2; w < kWords; w++)
      check(c.words[w] == 0, "command %zu: counter word %d not zero", n, w);
    for (int i = 0; i < 32; i++)
      check(c.key[i] == d.octets[NICSEC_SA_DESC_KEY + i], "command %zu: key octet %d", n, i);
  }

  void tick() {
    drive_beat();
    top_.cmd_ready = table_left_ < 0 && !roll(table_stall);
    top_.cmd_done = table_left_ == 0;
    top_.cmd_err = table_left_ == 0 && table_err_;
    top_.m_cpl_ready = !roll(cpl_stall);
    top_.clk = 0;
    top_.eval();
    bool beat_taken = top_.s_valid && top_.s_ready;
    bool cmd_taken = top_.cmd_valid && top_.cmd_ready;
    bool cpl_taken = top_.m_cpl_valid && top_.m_cpl_ready;
    if (cmd_taken)
      check_cmd(capture());
    if (cpl_taken)
      take_completion();
    if (table_left_ == 0) {
      table_left_ = -1;
    } else if (table_left_ > 0) {
      table_left_--;
    }
    if (cmd_taken)
      table_left_ = lat_min + (int)(rng() % (lat_max - lat_min + 1));
    top_.clk = 1;
    top_.eval();
    cycles_++;
    if (beat_taken && ++beat_ == (size_t)sent_[streamed_].desc.beats) {
      beat_ = 0;
      streamed_++;
    }
  }

  void take_completion() {
    if (sent_.empty()) {
      check(false, "completion with nothing outstanding");
      return;
    }
    const Expect &e = sent_.front();
    check(top_.m_cpl_tag == e.tag && top_.m_cpl_status == e.status,
          "completion tag %08x status %u, expected %08x %u", top_.m_cpl_tag, top_.m_cpl_status,
          e.tag, e.status);
    sent_.pop_front();
    streamed_--;
  }
};

Desc random_desc(std::mt19937 &rng, uint32_t tag) {
  static const unsigned ops[] = {NICSEC_SA_OP_INSTALL, NICSEC_SA_OP_DELETE,
                                 NICSEC_SA_OP_UPDATE_LIMITS, NICSEC_SA_OP_UPDATE_SEQ,
                                 NICSEC_SA_OP_STOP};
  Desc d;
  for (auto &o : d.octets)
    o = (uint8_t)rng();
  d.put(NICSEC_SA_DESC_OP, ops[rng() % 5], 1);
  d.put(NICSEC_SA_DESC_DIR, rng() & 1, 1);
  d.put(NICSEC_SA_DESC_INDEX, rng() % kNumSa, 2);
  d.put(NICSEC_SA_DESC_TAG, tag, 4);
  d.put(NICSEC_SA_DESC_RESERVED, 0, 8);
  return d;
}

// Literal octets: the field offsets of the register map, checked against hand-written words.
void known_answer(Bench &b) {
  Desc d;
  d.octets = tb::from_hex("01010123"
                          "cafef00d"
                          "11223344"
                          "55667788" // INSTALL in[0x123] tag, SPI, salt
                          "00400f01"
                          "c0000201"
                          "c6336401"
                          "11941194" // flags, src, dst, ports
                          "0000000100000002"
                          "0000000000000003" // SEQ, soft packets
                          "0000000000000004"
                          "0000000000000500" // hard packets, soft bytes
                          "0000000000000600"
                          "0000000000000000"                 // hard bytes, reserved
                          "000102030405060708090a0b0c0d0e0f" // key
                          "101112131415161718191a1b1c1d1e1f");
  check(d.get(NICSEC_SA_DESC_SPI, 4) == 0x11223344 && d.get(NICSEC_SA_DESC_SEQ, 8) == 0x100000002,
        "known-answer descriptor does not follow the register map's SA_DESC offsets");
  b.expect({0xcafef00d, NICSEC_DESC_STATUS_OK, true, false, d});
  b.run();
}

void bad_descriptors(Bench &b) {
  std::vector<std::pair<Desc, unsigned>> bad;
  auto add = [&](auto edit, unsigned status) {
    Desc d = random_desc(b.rng, 0xbad00000u + (uint32_t)bad.size());
    edit(d);
    bad.push_back({d, status});
  };
  add([](Desc &d) { d.put(NICSEC_SA_DESC_OP, NICSEC_SA_OP_READ, 1); }, NICSEC_DESC_STATUS_BAD_OP);
  add([](Desc &d) { d.put(NICSEC_SA_DESC_OP, 0, 1); }, NICSEC_DESC_STATUS_BAD_OP);
  add([](Desc &d) { d.put(NICSEC_SA_DESC_OP, 0x81, 1); }, NICSEC_DESC_STATUS_BAD_OP);
  add([](Desc &d) { d.put(NICSEC_SA_DESC_INDEX, kNumSa, 2); }, NICSEC_DESC_STATUS_BAD_INDEX);
  add([](Desc &d) { d.put(NICSEC_SA_DESC_INDEX, 0xffff, 2); }, NICSEC_DESC_STATUS_BAD_INDEX);
  add([](Desc &d) { d.put(NICSEC_SA_DESC_DIR, 2, 1); }, NICSEC_DESC_STATUS_BAD_FORMAT);
  add([](Desc &d) { d.put(NICSEC_SA_DESC_RESERVED + 7, 1, 1); }, NICSEC_DESC_STATUS_BAD_FORMAT);
  add([](Desc &d) { d.beats = 6; }, NICSEC_DESC_STATUS_BAD_FORMAT);
  add([](Desc &d) { d.beats = 8; }, NICSEC_DESC_STATUS_BAD_FORMAT);
  for (auto &[d, status] : bad) {
    b.expect({(uint32_t)d.get(NICSEC_SA_DESC_TAG, 4), status, false, false, d});
    // a good one after each bad one: the loader is back in step
    Desc good = random_desc(b.rng, (uint32_t)d.get(NICSEC_SA_DESC_TAG, 4) | 0x8000u);
    b.expect({(uint32_t)good.get(NICSEC_SA_DESC_TAG, 4), NICSEC_DESC_STATUS_OK, true, false, good});
  }
  Desc refused = random_desc(b.rng, 0x7ef05ed0u);
  b.expect({0x7ef05ed0u, NICSEC_DESC_STATUS_REFUSED, true, true, refused});
  b.run();
}

void random_stream(Bench &b, int n) {
  for (int i = 0; i < n; i++) {
    Desc d = random_desc(b.rng, 0x10000u + (uint32_t)i);
    bool refuse = b.rng() % 16 == 0;
    b.expect({0x10000u + (uint32_t)i, refuse ? NICSEC_DESC_STATUS_REFUSED : NICSEC_DESC_STATUS_OK,
              true, refuse, d});
  }
  b.run();
}

// No stalls: one descriptor per max(7 beats + check, latency + 2) clocks once the pipe is full.
void overlap(int latency) {
  Bench b;
  b.lat_min = b.lat_max = latency;
  const int n = 64;
  for (int i = 0; i < n; i++) {
    Desc d = random_desc(b.rng, (uint32_t)i);
    b.expect({(uint32_t)i, NICSEC_DESC_STATUS_OK, true, false, d});
  }
  uint64_t clocks = b.run();
  uint64_t per = (uint64_t)std::max(8, latency + 2);
  check(clocks <= per * n + 20, "latency %d: %llu clocks for %d descriptors (bound %llu)", latency,
        (unsigned long long)clocks, n, (unsigned long long)(per * n + 20));
  std::printf("table latency %2d: %.2f clocks per descriptor\n", latency, (double)clocks / n);
}
} // namespace

int main(int argc, char **argv) {
  Verilated::commandArgs(argc, argv);
  {
    Bench b;
    b.lat_min = b.lat_max = 3;
    known_answer(b);
    check(b.key_is_zero(), "key still on cmd_key after the command left");
  }
  {
    Bench b;
    b.dma_gap = 30, b.table_stall = 30, b.cpl_stall = 40, b.lat_min = 0, b.lat_max = 45;
    bad_descriptors(b);
    random_stream(b, 2000);
    check(b.key_is_zero(), "key still on cmd_key after the stream");
  }
  overlap(0);
  overlap(40);
  return tb::finish("esp_sa_loader_tb");
}
