// Testbench for esp_tx_steer: programs the steering table through its register window, checks
// read-back and zeroization, then streams packets through it while a model of esp_egress takes
// beats and answers completions, with random stalls on every handshake.
//   known answers  hand-built entries (prefix lengths 0/8/24/32/128, protocol, port ranges,
//                  priority, IPv6, actions) and packets with the SA / code each must get
//   random         random tables and packets against a reference matcher in this file
//   throughput     64-octet packets back to back: one per 4 clocks
// Exits non-zero on a failed check.
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <random>
#include <vector>

#include "Vesp_tx_steer.h"
#include "nicsec_regs.h"
#include "verilated.h"

namespace {

using Bytes = std::vector<uint8_t>;
constexpr unsigned kDepth = 64; // module default
constexpr uint16_t kNoEntry = 0xffff;

int failures = 0;

void check(bool ok, const char *what, long a = 0, long b = 0) {
  if (ok) return;
  if (++failures <= 20) std::fprintf(stderr, "FAIL: %s (%ld vs %ld)\n", what, a, b);
}

// ---- table entries and the reference matcher --------------------------------------------------

struct Entry {
  bool valid = true, v6 = false, proto_any = true;
  uint8_t action = NICSEC_STEER_ACTION_PROTECT, proto = 0, src_plen = 0, dst_plen = 0;
  uint16_t sa = 0, sport_lo = 0, sport_hi = 0xffff, dport_lo = 0, dport_hi = 0xffff;
  std::array<uint8_t, 16> src{}, dst{}; // IPv4: octets 0..3
};

struct Key {
  bool ok = false, v6 = false, has_ports = false;
  uint8_t proto = 0;
  uint16_t sport = 0, dport = 0;
  std::array<uint8_t, 16> src{}, dst{};
};

bool prefix_match(const std::array<uint8_t, 16> &a, const std::array<uint8_t, 16> &b,
                  unsigned plen) {
  for (unsigned bit = 0; bit < plen; bit++) {
    unsigned mask = 0x80u >> (bit % 8);
    if ((a[bit / 8] & mask) != (b[bit / 8] & mask)) return false;
  }
  return true;
}

bool entry_matches(const Entry &e, const Key &k) {
  unsigned limit = e.v6 ? 128 : 32;
  unsigned sp = e.src_plen > limit ? limit : e.src_plen, dp = e.dst_plen > limit ? limit : e.dst_plen;
  bool ports_any = e.sport_lo == 0 && e.sport_hi == 0xffff && e.dport_lo == 0 && e.dport_hi == 0xffff;
  bool ports_ok = ports_any || (k.has_ports && k.sport >= e.sport_lo && k.sport <= e.sport_hi &&
                                k.dport >= e.dport_lo && k.dport <= e.dport_hi);
  return e.valid && k.ok && e.v6 == k.v6 && prefix_match(e.src, k.src, sp) &&
         prefix_match(e.dst, k.dst, dp) && (e.proto_any || e.proto == k.proto) && ports_ok;
}

Key parse(const Bytes &p) {
  Key k;
  if (p.empty()) return k;
  unsigned l4;
  if (p[0] >> 4 == 4) {
    l4 = (p[0] & 15u) * 4;
    k.ok = (p[0] & 15) >= 5 && p.size() >= l4;
    if (!k.ok) return k;
    k.proto = p[9];
    std::memcpy(k.src.data(), &p[12], 4);
    std::memcpy(k.dst.data(), &p[16], 4);
    k.has_ports = ((p[6] & 0x1f) | p[7]) == 0;
  } else if (p[0] >> 4 == 6 && p.size() >= 40) {
    l4 = 40;
    k.ok = k.v6 = k.has_ports = true;
    k.proto = p[6];
    std::memcpy(k.src.data(), &p[8], 16);
    std::memcpy(k.dst.data(), &p[24], 16);
  } else {
    return k;
  }
  k.has_ports = k.has_ports && (k.proto == 6 || k.proto == 17 || k.proto == 132) &&
                p.size() >= l4 + 4;
  if (k.has_ports) {
    k.sport = static_cast<uint16_t>(p[l4] << 8 | p[l4 + 1]);
    k.dport = static_cast<uint16_t>(p[l4 + 2] << 8 | p[l4 + 3]);
  }
  return k;
}

// ---- packets ----------------------------------------------------------------------------------

struct Packet {
  Bytes data;
  bool lookup = true;
  uint16_t sa = 0; // crypto offload slot when !lookup
};

std::mt19937_64 rng(20261122);

Bytes ipv4(std::array<uint8_t, 4> src, std::array<uint8_t, 4> dst, uint8_t proto, uint16_t sport,
           uint16_t dport, size_t len = 64, unsigned ihl = 5, uint16_t frag = 0) {
  Bytes p(len);
  for (auto &b : p) b = static_cast<uint8_t>(rng());
  p[0] = static_cast<uint8_t>(0x40 | ihl);
  p[2] = static_cast<uint8_t>(len >> 8), p[3] = static_cast<uint8_t>(len);
  p[6] = static_cast<uint8_t>(frag >> 8), p[7] = static_cast<uint8_t>(frag);
  p[9] = proto;
  std::memcpy(&p[12], src.data(), 4);
  std::memcpy(&p[16], dst.data(), 4);
  size_t l4 = ihl * 4;
  if (len >= l4 + 4) {
    p[l4] = static_cast<uint8_t>(sport >> 8), p[l4 + 1] = static_cast<uint8_t>(sport);
    p[l4 + 2] = static_cast<uint8_t>(dport >> 8), p[l4 + 3] = static_cast<uint8_t>(dport);
  }
  return p;
}

Bytes ipv6(const std::array<uint8_t, 16> &src, const std::array<uint8_t, 16> &dst, uint8_t proto,
           uint16_t sport, uint16_t dport, size_t len = 80) {
  Bytes p(len);
  for (auto &b : p) b = static_cast<uint8_t>(rng());
  p[0] = 0x60;
  p[6] = proto;
  std::memcpy(&p[8], src.data(), 16);
  std::memcpy(&p[24], dst.data(), 16);
  p[40] = static_cast<uint8_t>(sport >> 8), p[41] = static_cast<uint8_t>(sport);
  p[42] = static_cast<uint8_t>(dport >> 8), p[43] = static_cast<uint8_t>(dport);
  return p;
}

// ---- the DUT, its register window and its streams ---------------------------------------------

struct Expect {
  bool to_egress;
  uint16_t sa;
  uint8_t code;
};

// esp_egress's answer for a packet it took (any deterministic function of the slot will do:
// the test checks the steering block passes egress's code through unchanged).
uint8_t egress_code(uint16_t sa) { return sa % 5 == 1 ? NICSEC_PKT_STATUS_EXPIRED : NICSEC_PKT_STATUS_OK; }

struct Bench {
  Vesp_tx_steer dut;
  unsigned stall_pct = 0; // chance of a stall on each handshake, per clock
  uint64_t cycles = 0;

  // in flight
  std::deque<Packet> to_send;
  size_t beat = 0;
  Bytes egress_cur;
  uint16_t egress_cur_sa = 0, egress_cur_len = 0;
  std::deque<std::pair<uint64_t, uint16_t>> egress_cpl; // (due cycle, sa)
  std::deque<std::pair<Bytes, uint16_t>> egress_got;    // packets egress took
  std::deque<std::pair<uint16_t, uint8_t>> cpl_got;

  bool stall() { return stall_pct && rng() % 100 < stall_pct; }

  void tick() {
    dut.clk = 0;
    dut.eval();
    dut.clk = 1;
    dut.eval();
    cycles++;
  }

  void reset() {
    dut.rst = 1;
    dut.enable = 1;
    dut.reg_we = 0;
    dut.s_valid = dut.m_ready = dut.e_valid = dut.c_ready = 0;
    for (int i = 0; i < 4; i++) tick();
    dut.rst = 0;
    tick();
  }

  void reg_write(uint32_t addr, uint32_t value) {
    dut.reg_we = 1;
    dut.reg_waddr = addr;
    dut.reg_wdata = value;
    dut.reg_wmask = 0xffffffffu;
    tick();
    dut.reg_we = 0;
  }

  uint32_t reg_read(uint32_t addr) {
    dut.reg_raddr = addr;
    dut.eval();
    return dut.reg_rdata;
  }

  static uint32_t word(const std::array<uint8_t, 16> &a, int i) {
    return uint32_t(a[4 * i]) << 24 | uint32_t(a[4 * i + 1]) << 16 | uint32_t(a[4 * i + 2]) << 8 |
           a[4 * i + 3];
  }

  void stage(const Entry &e) {
    reg_write(NICSEC_REG_STEER_CTRL,
              uint32_t(e.valid) << NICSEC_STEER_CTRL_VALID_LSB |
                  uint32_t(e.v6) << NICSEC_STEER_CTRL_IPV6_LSB |
                  uint32_t(e.proto_any) << NICSEC_STEER_CTRL_PROTO_ANY_LSB |
                  uint32_t(e.action) << NICSEC_STEER_CTRL_ACTION_LSB |
                  uint32_t(e.proto) << NICSEC_STEER_CTRL_PROTO_LSB |
                  uint32_t(e.src_plen) << NICSEC_STEER_CTRL_SRC_PLEN_LSB |
                  uint32_t(e.dst_plen) << NICSEC_STEER_CTRL_DST_PLEN_LSB);
    reg_write(NICSEC_REG_STEER_SA, e.sa);
    reg_write(NICSEC_REG_STEER_SPORT, uint32_t(e.sport_hi) << 16 | e.sport_lo);
    reg_write(NICSEC_REG_STEER_DPORT, uint32_t(e.dport_hi) << 16 | e.dport_lo);
    for (int i = 0; i < 4; i++) {
      reg_write(NICSEC_REG_STEER_SRC0 + 4 * i, word(e.src, i));
      reg_write(NICSEC_REG_STEER_DST0 + 4 * i, word(e.dst, i));
    }
  }

  void command(unsigned index, uint32_t op) {
    reg_write(NICSEC_REG_STEER_INDEX, index);
    reg_write(NICSEC_REG_STEER_CMD, op);
  }

  void write_entry(unsigned index, const Entry &e) {
    stage(e);
    command(index, NICSEC_STEER_OP_WRITE);
    check(!(reg_read(NICSEC_REG_STEER_STATUS) & NICSEC_STEER_STATUS_ERROR_MASK), "write error");
  }

  // Drives the input stream (with gaps), the egress model and the completion sink for a clock.
  void cycle() {
    dut.s_valid = 0;
    if (!to_send.empty() && !stall()) {
      const Packet &p = to_send.front();
      size_t nbeats = (p.data.size() + 15) / 16;
      dut.s_valid = 1;
      dut.s_last = beat + 1 == nbeats;
      dut.s_sa = p.sa;
      dut.s_len = static_cast<uint16_t>(p.data.size());
      dut.s_lookup = p.lookup;
      for (int w = 0; w < 4; w++) {
        uint32_t v = 0;
        for (int b = 0; b < 4; b++) {
          size_t at = beat * 16 + (3 - w) * 4 + b;
          v = v << 8 | (at < p.data.size() ? p.data[at] : 0);
        }
        dut.s_data[w] = v;
      }
    }
    dut.m_ready = !stall();
    dut.c_ready = !stall();
    dut.e_valid = !egress_cpl.empty() && egress_cpl.front().first <= cycles;
    if (dut.e_valid) {
      dut.e_sa = egress_cpl.front().second;
      dut.e_code = egress_code(egress_cpl.front().second);
    }
    dut.clk = 0;
    dut.eval();
    bool s_fire = dut.s_valid && dut.s_ready, m_fire = dut.m_valid && dut.m_ready;
    bool e_fire = dut.e_valid && dut.e_ready, c_fire = dut.c_valid && dut.c_ready;
    if (m_fire) take_egress_beat();
    if (c_fire) cpl_got.emplace_back(dut.c_sa, dut.c_code);
    if (e_fire) egress_cpl.pop_front();
    if (s_fire && dut.s_last) {
      to_send.pop_front();
      beat = 0;
    } else if (s_fire) {
      beat++;
    }
    tick();
  }

  void take_egress_beat() {
    if (egress_cur.empty()) {
      egress_cur_sa = dut.m_sa;
      egress_cur_len = dut.m_len;
    }
    for (int w = 3; w >= 0; w--)
      for (int b = 3; b >= 0; b--) egress_cur.push_back(static_cast<uint8_t>(dut.m_data[w] >> (8 * b)));
    if (!dut.m_last) return;
    egress_cur.resize(egress_cur_len);
    egress_got.emplace_back(egress_cur, egress_cur_sa);
    egress_cpl.emplace_back(cycles + rng() % (stall_pct ? 20 : 1), egress_cur_sa);
    egress_cur.clear();
  }

  // Runs until every packet's completion is out; false on a hang.
  bool run(size_t packets) {
    for (uint64_t guard = 0; cpl_got.size() < packets; guard++) {
      if (guard > 200000) return false;
      cycle();
    }
    return true;
  }
};

// Streams the packets and checks the egress packets and completions against the expectations.
void stream(Bench &tb, const std::vector<Packet> &pkts, const std::vector<Expect> &want,
            const char *what) {
  for (const auto &p : pkts) tb.to_send.push_back(p);
  if (!tb.run(pkts.size())) {
    std::fprintf(stderr, "FAIL %s: hang (%zu of %zu completions)\n", what, tb.cpl_got.size(),
                 pkts.size());
    failures++;
    return;
  }
  for (size_t i = 0; i < pkts.size(); i++) {
    auto [sa, code] = tb.cpl_got[i];
    uint8_t want_code = want[i].to_egress ? egress_code(want[i].sa) : want[i].code;
    if (sa != want[i].sa || code != want_code) {
      std::fprintf(stderr, "FAIL %s: packet %zu: completion sa %u code %u, want sa %u code %u\n",
                   what, i, sa, code, want[i].sa, want_code);
      failures++;
    }
    if (!want[i].to_egress) continue;
    if (tb.egress_got.empty()) {
      check(false, "packet missing at egress", long(i));
      continue;
    }
    check(tb.egress_got.front().first == pkts[i].data, "egress bytes", long(i));
    check(tb.egress_got.front().second == want[i].sa, "egress slot", tb.egress_got.front().second,
          want[i].sa);
    tb.egress_got.pop_front();
  }
  check(tb.egress_got.empty(), "extra packets at egress", long(tb.egress_got.size()));
  tb.cpl_got.clear();
  tb.egress_got.clear();
}

Expect expect_for(const std::vector<Entry> &table, const Packet &p) {
  if (!p.lookup) return {true, p.sa, 0};
  Key k = parse(p.data);
  for (unsigned i = 0; i < table.size(); i++) {
    if (!entry_matches(table[i], k)) continue;
    if (table[i].action == NICSEC_STEER_ACTION_PROTECT) return {true, table[i].sa, 0};
    uint8_t code = table[i].action == NICSEC_STEER_ACTION_DROP ? NICSEC_PKT_STATUS_STEER_DROP
                                                                : NICSEC_PKT_STATUS_STEER_BYPASS;
    return {false, static_cast<uint16_t>(i), code};
  }
  return {false, kNoEntry, NICSEC_PKT_STATUS_STEER_BYPASS};
}

// ---- register window ------------------------------------------------------------------------

void test_registers(Bench &tb) {
  check((tb.reg_read(NICSEC_REG_STEER_STATUS) >> NICSEC_STEER_STATUS_DEPTH_LSB) == kDepth, "depth");
  Entry e;
  e.v6 = true, e.proto_any = false, e.proto = 17, e.src_plen = 200, e.dst_plen = 64, e.sa = 0x123;
  e.action = NICSEC_STEER_ACTION_DROP, e.sport_lo = 10, e.sport_hi = 20, e.dport_lo = 30;
  for (int i = 0; i < 16; i++) e.src[i] = uint8_t(i + 1), e.dst[i] = uint8_t(0xf0 + i);
  tb.write_entry(9, e);
  tb.stage(Entry{}); // scribble over the staging registers, then read the entry back
  tb.command(9, NICSEC_STEER_OP_READ);
  uint32_t ctrl = tb.reg_read(NICSEC_REG_STEER_CTRL);
  check(((ctrl >> NICSEC_STEER_CTRL_SRC_PLEN_LSB) & 0xff) == 128, "IPv6 prefix clamped to 128");
  check(((ctrl >> NICSEC_STEER_CTRL_DST_PLEN_LSB) & 0xff) == 64, "dst prefix read back");
  check(((ctrl >> NICSEC_STEER_CTRL_PROTO_LSB) & 0xff) == 17, "proto read back");
  check(((ctrl >> NICSEC_STEER_CTRL_ACTION_LSB) & 3) == NICSEC_STEER_ACTION_DROP, "action read back");
  check((ctrl & NICSEC_STEER_CTRL_IPV6_MASK) && (ctrl & NICSEC_STEER_CTRL_VALID_MASK) &&
            !(ctrl & NICSEC_STEER_CTRL_PROTO_ANY_MASK), "flags read back");
  check(tb.reg_read(NICSEC_REG_STEER_SA) == 0x123, "sa read back");
  check(tb.reg_read(NICSEC_REG_STEER_SPORT) == (20u << 16 | 10), "sport read back");
  check(tb.reg_read(NICSEC_REG_STEER_DPORT) == (0xffffu << 16 | 30), "dport read back");
  for (int i = 0; i < 4; i++) {
    check(tb.reg_read(NICSEC_REG_STEER_SRC0 + 4 * i) == Bench::word(e.src, i), "src read back", i);
    check(tb.reg_read(NICSEC_REG_STEER_DST0 + 4 * i) == Bench::word(e.dst, i), "dst read back", i);
  }
  tb.command(9, NICSEC_STEER_OP_DELETE);
  tb.command(9, NICSEC_STEER_OP_READ);
  uint32_t any = tb.reg_read(NICSEC_REG_STEER_CTRL) | tb.reg_read(NICSEC_REG_STEER_SA) |
                 tb.reg_read(NICSEC_REG_STEER_SPORT) | tb.reg_read(NICSEC_REG_STEER_DPORT);
  for (int i = 0; i < 4; i++)
    any |= tb.reg_read(NICSEC_REG_STEER_SRC0 + 4 * i) | tb.reg_read(NICSEC_REG_STEER_DST0 + 4 * i);
  check(any == 0, "deleted entry reads back as zeros", any);
  tb.command(kDepth, NICSEC_STEER_OP_READ);
  check(tb.reg_read(NICSEC_REG_STEER_STATUS) & NICSEC_STEER_STATUS_ERROR_MASK, "index beyond depth refused");
  tb.command(0, 7);
  check(tb.reg_read(NICSEC_REG_STEER_STATUS) & NICSEC_STEER_STATUS_ERROR_MASK, "unknown op refused");
  tb.command(0, NICSEC_STEER_OP_READ);
  check(!(tb.reg_read(NICSEC_REG_STEER_STATUS) & NICSEC_STEER_STATUS_ERROR_MASK), "error clears");
}

// ---- known answers ----------------------------------------------------------------------------

std::array<uint8_t, 16> v6addr(uint16_t a, uint16_t b, uint16_t last) {
  std::array<uint8_t, 16> x{};
  x[0] = uint8_t(a >> 8), x[1] = uint8_t(a), x[2] = uint8_t(b >> 8), x[3] = uint8_t(b);
  x[14] = uint8_t(last >> 8), x[15] = uint8_t(last);
  return x;
}

std::vector<Entry> known_table() {
  std::vector<Entry> t(kDepth);
  for (auto &e : t) e.valid = false;
  Entry drop_udp; // 2: host route 10.1.0.9/32, UDP to ports 5000..5010: DROP
  drop_udp.dst = {10, 1, 0, 9}, drop_udp.dst_plen = 32, drop_udp.proto_any = false;
  drop_udp.proto = 17, drop_udp.dport_lo = 5000, drop_udp.dport_hi = 5010;
  drop_udp.action = NICSEC_STEER_ACTION_DROP;
  t[2] = drop_udp;
  Entry bypass_tcp; // 3: TCP from 192.0.0.0/8: BYPASS
  bypass_tcp.src = {192, 0, 0, 0}, bypass_tcp.src_plen = 8, bypass_tcp.proto_any = false;
  bypass_tcp.proto = 6, bypass_tcp.action = NICSEC_STEER_ACTION_BYPASS;
  t[3] = bypass_tcp;
  Entry net24; // 5: 10.1.0.0/24 → SA 7
  net24.dst = {10, 1, 0, 0}, net24.dst_plen = 24, net24.sa = 7;
  t[5] = net24;
  Entry sports; // 6: source ports 1000..1999 to 10.2.0.0/16 → SA 8
  sports.dst = {10, 2, 0, 0}, sports.dst_plen = 16, sports.sport_lo = 1000, sports.sport_hi = 1999;
  sports.sa = 8;
  t[6] = sports;
  Entry host6; // 10: 2001:db8::1/128 → SA 20
  host6.v6 = true, host6.dst = v6addr(0x2001, 0xdb8, 1), host6.dst_plen = 128, host6.sa = 20;
  t[10] = host6;
  Entry net6; // 11: 2001:db8::/32, UDP → SA 21
  net6.v6 = true, net6.dst = v6addr(0x2001, 0xdb8, 0), net6.dst_plen = 32, net6.sa = 21;
  net6.proto_any = false, net6.proto = 17;
  t[11] = net6;
  Entry all4; // 63: 0.0.0.0/0 → SA 99
  all4.sa = 99;
  t[63] = all4;
  return t;
}

void test_known(Bench &tb) {
  std::vector<Entry> table = known_table();
  for (unsigned i = 0; i < kDepth; i++)
    if (table[i].valid) tb.write_entry(i, table[i]);
  struct Case {
    Packet pkt;
    Expect want;
  };
  const std::array<uint8_t, 4> me = {172, 16, 0, 1};
  std::vector<Case> cases = {
      {{ipv4(me, {10, 1, 0, 3}, 1, 0, 0)}, {true, 7, 0}},                     // /24
      {{ipv4(me, {10, 1, 0, 9}, 17, 4000, 5005)}, {false, 2, NICSEC_PKT_STATUS_STEER_DROP}},
      {{ipv4(me, {10, 1, 0, 9}, 17, 4000, 5011)}, {true, 7, 0}},              // port out of range
      {{ipv4(me, {10, 1, 0, 9}, 6, 4000, 5005)}, {true, 7, 0}},               // not UDP
      {{ipv4(me, {10, 1, 0, 9}, 17, 4000, 5005, 64, 5, 0x0010)}, {true, 7, 0}}, // later fragment
      {{ipv4(me, {10, 1, 0, 9}, 17, 4000, 5000, 64, 6)}, {false, 2, NICSEC_PKT_STATUS_STEER_DROP}},
      {{ipv4(me, {10, 1, 0, 9}, 17, 4000, 5000, 96, 15)}, {false, 2, NICSEC_PKT_STATUS_STEER_DROP}},
      {{ipv4({192, 168, 1, 1}, {10, 1, 0, 3}, 6, 1, 2)}, {false, 3, NICSEC_PKT_STATUS_STEER_BYPASS}},
      {{ipv4({193, 168, 1, 1}, {10, 1, 0, 3}, 6, 1, 2)}, {true, 7, 0}},       // /8 boundary
      {{ipv4(me, {10, 2, 3, 4}, 17, 1500, 53)}, {true, 8, 0}},
      {{ipv4(me, {10, 2, 3, 4}, 17, 2000, 53)}, {true, 99, 0}},               // sport out of range
      {{ipv4(me, {10, 2, 3, 4}, 1, 0, 0)}, {true, 99, 0}},                    // ICMP: no ports
      {{ipv4(me, {11, 0, 0, 1}, 17, 1, 2, 200)}, {true, 99, 0}},              // /0, 13 beats
      {{ipv6(v6addr(0xfe80, 0, 1), v6addr(0x2001, 0xdb8, 1), 58, 0, 0)}, {true, 20, 0}}, // /128
      {{ipv6(v6addr(0xfe80, 0, 1), v6addr(0x2001, 0xdb8, 2), 17, 9, 9)}, {true, 21, 0}},
      {{ipv6(v6addr(0xfe80, 0, 1), v6addr(0x2001, 0xdb8, 2), 6, 9, 9)},
       {false, kNoEntry, NICSEC_PKT_STATUS_STEER_BYPASS}},                    // v6: no /0 entry
      {{ipv6(v6addr(0xfe80, 0, 1), v6addr(0x2001, 0xdb9, 1), 17, 9, 9)},
       {false, kNoEntry, NICSEC_PKT_STATUS_STEER_BYPASS}},
      {{Bytes(60, 0x00)}, {false, kNoEntry, NICSEC_PKT_STATUS_STEER_BYPASS}}, // not IP
      {{ipv4(me, {10, 1, 0, 3}, 1, 0, 0, 20)}, {true, 7, 0}},                 // one beat
      {{ipv4(me, {10, 1, 0, 3}, 17, 1, 2), false, 42}, {true, 42, 0}},        // crypto offload
      {{ipv4(me, {10, 1, 0, 3}, 17, 1, 2), false, 11}, {true, 11, 0}},
  };
  std::vector<Packet> pkts;
  std::vector<Expect> want;
  for (const auto &c : cases) {
    pkts.push_back(c.pkt);
    want.push_back(c.want);
    Expect model = expect_for(table, c.pkt);
    check(model.to_egress == c.want.to_egress && model.sa == c.want.sa, "reference model agrees",
          model.sa, c.want.sa);
  }
  stream(tb, pkts, want, "known answers");
  tb.stall_pct = 30;
  stream(tb, pkts, want, "known answers, random stalls");
  tb.stall_pct = 0;
  // delete the catch-all: what it caught now misses
  tb.command(63, NICSEC_STEER_OP_DELETE);
  stream(tb, {{ipv4(me, {11, 0, 0, 1}, 17, 1, 2)}},
         {{false, kNoEntry, NICSEC_PKT_STATUS_STEER_BYPASS}}, "after delete");
  for (unsigned i = 0; i < kDepth; i++) tb.command(i, NICSEC_STEER_OP_DELETE);
}

// ---- random tables and packets against the reference matcher ---------------------------------

Entry random_entry(const std::vector<std::array<uint8_t, 16>> &pool) {
  Entry e;
  e.v6 = rng() % 3 == 0;
  unsigned bits = e.v6 ? 128 : 32;
  e.src = pool[rng() % pool.size()], e.dst = pool[rng() % pool.size()];
  e.src_plen = uint8_t(rng() % 2 ? 0 : rng() % (bits + 1));
  e.dst_plen = uint8_t(rng() % (bits + 1));
  e.proto_any = rng() % 2;
  e.proto = rng() % 2 ? 17 : 6;
  if (rng() % 3 == 0) e.dport_lo = uint16_t(rng() % 8), e.dport_hi = uint16_t(e.dport_lo + rng() % 4);
  if (rng() % 4 == 0) e.sport_lo = uint16_t(rng() % 8), e.sport_hi = uint16_t(e.sport_lo + rng() % 4);
  e.action = uint8_t(rng() % 6 == 0 ? rng() % 3 : 0);
  e.sa = uint16_t(rng() % 4096);
  return e;
}

Packet random_packet(const std::vector<std::array<uint8_t, 16>> &pool) {
  Packet p;
  auto src = pool[rng() % pool.size()], dst = pool[rng() % pool.size()];
  dst[15] ^= uint8_t(rng() % 2), dst[3] ^= uint8_t(rng() % 2); // near the pool's addresses
  uint8_t proto = uint8_t(rng() % 3 == 0 ? 1 : rng() % 2 ? 17 : 6);
  uint16_t sport = uint16_t(rng() % 10), dport = uint16_t(rng() % 10);
  size_t len = 20 + rng() % 180;
  if (rng() % 3 == 0)
    p.data = ipv6(src, dst, proto, sport, dport, len + 40);
  else
    p.data = ipv4({src[0], src[1], src[2], src[3]}, {dst[0], dst[1], dst[2], dst[3]}, proto, sport,
                  dport, len);
  p.lookup = rng() % 8 != 0;
  p.sa = uint16_t(rng() % 4096);
  return p;
}

void test_random(Bench &tb, unsigned rounds, unsigned per_round) {
  std::vector<std::array<uint8_t, 16>> pool(6);
  for (auto &a : pool)
    for (auto &b : a) b = uint8_t(rng() % 4 ? rng() % 4 : rng()); // few distinct values: matches
  for (unsigned r = 0; r < rounds; r++) {
    std::vector<Entry> table(kDepth);
    for (unsigned i = 0; i < kDepth; i++) {
      table[i] = random_entry(pool);
      table[i].valid = rng() % 4 != 0;
      tb.write_entry(i, table[i]);
    }
    std::vector<Packet> pkts;
    std::vector<Expect> want;
    for (unsigned i = 0; i < per_round; i++) {
      pkts.push_back(random_packet(pool));
      want.push_back(expect_for(table, pkts.back()));
    }
    tb.stall_pct = r % 2 ? 25 : 0;
    stream(tb, pkts, want, "random");
  }
  tb.stall_pct = 0;
}

// ---- throughput -------------------------------------------------------------------------------

void test_throughput(Bench &tb) {
  Entry net;
  net.dst = {10, 9, 0, 0}, net.dst_plen = 16, net.sa = 3;
  tb.write_entry(kDepth - 1, net); // the last entry: the whole priority chain in front of it
  constexpr size_t kPackets = 500;
  std::vector<Packet> pkts;
  std::vector<Expect> want;
  for (size_t i = 0; i < kPackets; i++) {
    pkts.push_back({ipv4({1, 2, 3, 4}, {10, 9, uint8_t(i), 1}, 17, 1, 2, 64)});
    want.push_back({true, 3, 0});
  }
  uint64_t start = tb.cycles;
  stream(tb, pkts, want, "throughput");
  uint64_t spent = tb.cycles - start;
  std::printf("esp_tx_steer: %zu 64-octet packets in %llu clocks (%.2f clocks/packet)\n", kPackets,
              (unsigned long long)spent, double(spent) / kPackets);
  check(spent <= 4 * kPackets + 32, "one 64-octet packet per 4 clocks", long(spent),
        long(4 * kPackets + 32));
  tb.command(kDepth - 1, NICSEC_STEER_OP_DELETE);
}

} // namespace

int main(int argc, char **argv) {
  Verilated::commandArgs(argc, argv);
  Bench tb;
  tb.reset();
  test_registers(tb);
  test_known(tb);
  test_random(tb, 8, 400);
  test_throughput(tb);
  tb.dut.final();
  if (failures) {
    std::fprintf(stderr, "esp_tx_steer_tb: %d check(s) failed\n", failures);
    return 1;
  }
  std::printf("esp_tx_steer_tb: all checks passed\n");
  return 0;
}
