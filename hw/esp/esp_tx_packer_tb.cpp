// esp_tx_packer (the gearbox egress and ingress share): random packets, each a header of 16..96
// octets (any multiple of 4) then body chunks of 16 octets with a last chunk of 0..16, under
// random gaps on both inputs and random back-pressure on the output. Every packet must come out
// as exactly header || body, in dense 16-octet beats, with m_last on its final beat. Octets past
// a chunk's count are zero, as both users guarantee (gcm_core's output, ingress masks).
#include <verilated.h>

#include <cstdint>
#include <cstdio>
#include <deque>
#include <random>
#include <vector>

#include "Vesp_tx_packer.h"
#include "tb_util.hpp"

namespace {

constexpr int kHdrMax = 96;
constexpr int kPackets = 3000;

struct Packet {
  tb::Bytes hdr;
  std::vector<tb::Bytes> chunks;  // body chunks as handed over (last may be short or empty)
  tb::Bytes expect;               // header || body octets
};

Packet random_packet(std::mt19937 &rng) {
  Packet p;
  size_t hlen = 16 + 4 * (rng() % ((kHdrMax - 16) / 4 + 1));
  for (size_t i = 0; i < hlen; i++) p.hdr.push_back(static_cast<uint8_t>(rng()));
  size_t full = rng() % 6, last = rng() % 17;
  p.expect = p.hdr;
  for (size_t c = 0; c <= full; c++) {
    size_t n = c == full ? last : 16;
    tb::Bytes chunk;
    for (size_t i = 0; i < n; i++) chunk.push_back(static_cast<uint8_t>(rng()));
    p.expect.insert(p.expect.end(), chunk.begin(), chunk.end());
    p.chunks.push_back(chunk);
  }
  return p;
}

void drive_header(Vesp_tx_packer &top, const Packet &p) {
  uint8_t wide[kHdrMax] = {0};
  for (size_t i = 0; i < p.hdr.size(); i++) wide[i] = p.hdr[i];
  tb::put_be(top.hdr_data.data(), 0, wide, kHdrMax);
  top.hdr_len = static_cast<uint8_t>(p.hdr.size());
}

void drive_chunk(Vesp_tx_packer &top, const tb::Bytes &chunk, bool last) {
  uint8_t beat[16];
  for (size_t i = 0; i < 16; i++) beat[i] = i < chunk.size() ? chunk[i] : 0;
  uint32_t words[4] = {0, 0, 0, 0};
  tb::put_be(words, 0, beat, 16);
  for (int w = 0; w < 4; w++) top.body_data[w] = words[w];
  top.body_nbytes = static_cast<uint8_t>(chunk.size());
  top.body_last = last;
}

}  // namespace

int main(int argc, char **argv) {
  Verilated::commandArgs(argc, argv);
  std::mt19937 rng(0x7ac4e3u);
  Vesp_tx_packer top;
  std::deque<Packet> hdr_q, body_q, out_q;
  for (int i = 0; i < kPackets; i++) {
    Packet p = random_packet(rng);
    hdr_q.push_back(p);
    body_q.push_back(p);
    out_q.push_back(p);
  }
  size_t chunk_idx = 0;
  tb::Bytes got;
  int done = 0;
  uint64_t cycles = 0;

  top.rst = 1;
  top.clk = 0;
  top.eval();
  for (int i = 0; i < 4; i++) {
    top.clk = 1;
    top.eval();
    top.clk = 0;
    top.eval();
  }
  top.rst = 0;

  while (done < kPackets && cycles < 2000000) {
    // inputs for this clock (headers run ahead of bodies, as in egress)
    top.hdr_valid = !hdr_q.empty() && rng() % 4 != 0;
    if (!hdr_q.empty()) drive_header(top, hdr_q.front());
    top.body_valid = !body_q.empty() && rng() % 4 != 0;
    if (!body_q.empty()) {
      const Packet &p = body_q.front();
      drive_chunk(top, p.chunks[chunk_idx], chunk_idx + 1 == p.chunks.size());
    }
    top.m_ready = rng() % 3 != 0;
    top.eval();
    bool hdr_pop = top.hdr_pop, body_take = top.body_valid && top.body_ready;
    bool out_fire = top.m_valid && top.m_ready;
    if (out_fire) {
      uint8_t beat[16];
      uint32_t words[4] = {top.m_data[0], top.m_data[1], top.m_data[2], top.m_data[3]};
      tb::get_be(words, 0, beat, 16);
      tb::check(top.m_nbytes <= 16 && (top.m_last || top.m_nbytes == 16),
                "packet %d: beat of %u octets not last", done, top.m_nbytes);
      got.insert(got.end(), beat, beat + top.m_nbytes);
      if (top.m_last) {
        const Packet &want = out_q.front();
        tb::check(got == want.expect, "packet %d (header %zu, %zu octets): got %zu octets%s", done,
                  want.hdr.size(), want.expect.size(), got.size(),
                  got.size() == want.expect.size() ? ", contents differ" : "");
        out_q.pop_front();
        got.clear();
        done++;
      }
    }
    top.clk = 1;
    top.eval();
    top.clk = 0;
    top.eval();
    cycles++;
    if (hdr_pop) hdr_q.pop_front();
    if (body_take) {
      if (++chunk_idx == body_q.front().chunks.size()) {
        body_q.pop_front();
        chunk_idx = 0;
      }
    }
  }
  tb::check(done == kPackets, "only %d of %d packets came out in %llu cycles", done, kPackets,
            static_cast<unsigned long long>(cycles));
  top.final();
  return tb::finish("esp_tx_packer_tb");
}
