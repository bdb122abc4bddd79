// Testbench for nicsec_csr: drives the AXI4-Lite slave like a master with random delays on every
// channel and checks the register map as generated into nicsec_regs.h (the C view of the same
// JSON the RTL uses). Exits non-zero on the first mismatch.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>

#include "Vnicsec_csr.h"
#include "nicsec_regs.h"
#include "verilated.h"

namespace {

constexpr unsigned kLanes = 1, kSaDepthLog2 = 12, kReplayWinLog2 = 10; // module defaults
constexpr uint8_t kOkay = 0, kSlvErr = 2, kDecErr = 3;

int failures = 0;

#define CHECK_EQ(got, want, what)                                                                  \
  do {                                                                                             \
    uint64_t g_ = (got), w_ = (want);                                                              \
    if (g_ != w_) {                                                                                \
      std::fprintf(stderr, "FAIL %s:%d %s: got 0x%llx, want 0x%llx\n", __FILE__, __LINE__, what,   \
                   (unsigned long long)g_, (unsigned long long)w_);                                \
      failures++;                                                                                  \
    }                                                                                              \
  } while (0)

struct Bus {
  Vnicsec_csr &dut;
  uint64_t rng = 0x9e3779b97f4a7c15ULL;
  unsigned max_delay = 0; // random stall cycles inserted on each channel, 0 = back-to-back

  explicit Bus(Vnicsec_csr &d) : dut(d) {}

  unsigned delay() {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return max_delay ? static_cast<unsigned>(rng % (max_delay + 1)) : 0;
  }

  void tick() {
    dut.clk = 0;
    dut.eval();
    dut.clk = 1;
    dut.eval();
  }

  void reset() {
    dut.rst_n = 0;
    dut.s_awvalid = dut.s_wvalid = dut.s_arvalid = 0;
    dut.s_bready = dut.s_rready = 0;
    dut.event_fifo_nonempty = dut.event_pushed = dut.error_seen = 0;
    for (int i = 0; i < 4; i++)
      tick();
    dut.rst_n = 1;
    tick();
  }

  // Waits until `ready` is high with `valid` asserted, then completes the handshake.
  void handshake(CData &valid, const CData &ready) {
    valid = 1;
    for (int guard = 0; guard < 1000; guard++) {
      dut.eval();
      bool done = ready;
      tick();
      if (done) {
        valid = 0;
        return;
      }
    }
    std::fprintf(stderr, "FAIL: handshake never completed\n");
    std::exit(1);
  }

  // Waits for a response channel's valid, after a random delay in asserting ready.
  void response(const CData &valid, CData &ready, const std::function<void()> &capture) {
    for (unsigned d = delay(); d > 0; d--)
      tick();
    ready = 1;
    for (int guard = 0; guard < 1000; guard++) {
      dut.eval();
      if (valid) {
        capture();
        tick();
        ready = 0;
        return;
      }
      tick();
    }
    std::fprintf(stderr, "FAIL: response never came\n");
    std::exit(1);
  }

  uint8_t write(uint32_t addr, uint32_t data, uint8_t strb = 0xf, bool data_first = false) {
    dut.s_awaddr = addr;
    dut.s_wdata = data;
    dut.s_wstrb = strb;
    for (unsigned d = delay(); d > 0; d--)
      tick();
    if (data_first) {
      handshake(dut.s_wvalid, dut.s_wready);
      for (unsigned d = delay(); d > 0; d--)
        tick();
      handshake(dut.s_awvalid, dut.s_awready);
    } else if (max_delay == 0) {
      // Both channels in the same cycle: the common case for real masters.
      dut.s_awvalid = dut.s_wvalid = 1;
      dut.eval();
      tick();
      dut.s_awvalid = dut.s_wvalid = 0;
    } else {
      handshake(dut.s_awvalid, dut.s_awready);
      for (unsigned d = delay(); d > 0; d--)
        tick();
      handshake(dut.s_wvalid, dut.s_wready);
    }
    uint8_t resp = 0xff;
    response(dut.s_bvalid, dut.s_bready, [&] { resp = dut.s_bresp; });
    return resp;
  }

  uint32_t read(uint32_t addr, uint8_t *resp_out = nullptr) {
    dut.s_araddr = addr;
    for (unsigned d = delay(); d > 0; d--)
      tick();
    handshake(dut.s_arvalid, dut.s_arready);
    uint32_t value = 0;
    uint8_t resp = 0xff;
    response(dut.s_rvalid, dut.s_rready, [&] {
      value = dut.s_rdata;
      resp = dut.s_rresp;
    });
    if (resp_out)
      *resp_out = resp;
    return value;
  }
};

void reset_values(Bus &bus) {
  CHECK_EQ(bus.read(NICSEC_REG_ID), NICSEC_REG_ID_RESET, "ID");
  CHECK_EQ(bus.read(NICSEC_REG_VERSION), NICSEC_REG_VERSION_RESET, "VERSION");
  CHECK_EQ(bus.read(NICSEC_REG_SCRATCH), NICSEC_REG_SCRATCH_RESET, "SCRATCH");
  CHECK_EQ(bus.read(NICSEC_REG_CONTROL), NICSEC_REG_CONTROL_RESET, "CONTROL");
  CHECK_EQ(bus.read(NICSEC_REG_IRQ_STATUS), 0, "IRQ_STATUS");
  CHECK_EQ(bus.read(NICSEC_REG_IRQ_ENABLE), 0, "IRQ_ENABLE");
  uint32_t caps = bus.read(NICSEC_REG_CAPS);
  CHECK_EQ((caps & NICSEC_CAPS_LANES_MASK) >> NICSEC_CAPS_LANES_LSB, kLanes, "CAPS.LANES");
  CHECK_EQ((caps & NICSEC_CAPS_SA_DEPTH_LOG2_MASK) >> NICSEC_CAPS_SA_DEPTH_LOG2_LSB, kSaDepthLog2,
           "CAPS.SA_DEPTH_LOG2");
  CHECK_EQ((caps & NICSEC_CAPS_REPLAY_WIN_LOG2_MASK) >> NICSEC_CAPS_REPLAY_WIN_LOG2_LSB,
           kReplayWinLog2, "CAPS.REPLAY_WIN_LOG2");
}

void scratch_and_strobes(Bus &bus) {
  CHECK_EQ(bus.write(NICSEC_REG_SCRATCH, 0xdeadbeef), kOkay, "SCRATCH write resp");
  CHECK_EQ(bus.read(NICSEC_REG_SCRATCH), 0xdeadbeef, "SCRATCH readback");
  CHECK_EQ(bus.write(NICSEC_REG_SCRATCH, 0x11223344, 0x5), kOkay, "strobed write resp");
  CHECK_EQ(bus.read(NICSEC_REG_SCRATCH), 0xde22be44, "only strobed bytes change");
  CHECK_EQ(bus.write(NICSEC_REG_SCRATCH, 0xcafef00d, 0xf, true), kOkay, "W-before-AW resp");
  CHECK_EQ(bus.read(NICSEC_REG_SCRATCH), 0xcafef00d, "W-before-AW readback");
  // The two low address bits select a byte, not another register.
  CHECK_EQ(bus.read(NICSEC_REG_SCRATCH + 2), 0xcafef00d, "unaligned read hits the word");
}

void error_responses(Bus &bus) {
  CHECK_EQ(bus.write(NICSEC_REG_ID, 0), kSlvErr, "write to read-only ID");
  CHECK_EQ(bus.read(NICSEC_REG_ID), NICSEC_REG_ID_RESET, "ID unchanged");
  CHECK_EQ(bus.write(NICSEC_REG_CAPS, 0), kSlvErr, "write to read-only CAPS");
  uint8_t resp = 0;
  CHECK_EQ(bus.read(0xffc, &resp), 0, "unmapped read returns 0");
  CHECK_EQ(resp, kDecErr, "unmapped read resp");
  CHECK_EQ(bus.write(0x800, 1), kDecErr, "unmapped write resp");
  bus.read(NICSEC_REG_ID, &resp);
  CHECK_EQ(resp, kOkay, "mapped read resp");
}

void control_drives_outputs(Bus &bus) {
  bus.write(NICSEC_REG_CONTROL, 0xffffffff);
  CHECK_EQ(bus.read(NICSEC_REG_CONTROL),
           NICSEC_CONTROL_ENABLE_MASK,
           "CONTROL keeps only defined bits");
  CHECK_EQ(bus.dut.ctrl_enable, 1, "ctrl_enable output");
  CHECK_EQ(bus.read(NICSEC_REG_STATUS) & NICSEC_STATUS_ENABLED_MASK, NICSEC_STATUS_ENABLED_MASK,
           "STATUS.ENABLED");
  bus.dut.event_fifo_nonempty = 1;
  CHECK_EQ(bus.read(NICSEC_REG_STATUS) & NICSEC_STATUS_EVENT_PENDING_MASK,
           NICSEC_STATUS_EVENT_PENDING_MASK, "STATUS.EVENT_PENDING follows the FIFO");
  bus.dut.event_fifo_nonempty = 0;
  bus.write(NICSEC_REG_CONTROL, 0);
  CHECK_EQ(bus.dut.ctrl_enable, 0, "ctrl_enable cleared");
}

void cycle_counter_is_consistent(Bus &bus) {
  uint32_t lo1 = bus.read(NICSEC_REG_CYCLE_LO);
  uint32_t hi1 = bus.read(NICSEC_REG_CYCLE_HI);
  uint64_t first = (uint64_t(hi1) << 32) | lo1;
  for (int i = 0; i < 50; i++)
    bus.tick();
  uint32_t lo2 = bus.read(NICSEC_REG_CYCLE_LO);
  uint32_t hi2 = bus.read(NICSEC_REG_CYCLE_HI);
  uint64_t second = (uint64_t(hi2) << 32) | lo2;
  if (second <= first + 50) {
    std::fprintf(stderr, "FAIL cycle counter did not advance: %llu then %llu\n",
                 (unsigned long long)first, (unsigned long long)second);
    failures++;
  }
}

void pulse(Bus &bus, CData &line) {
  line = 1;
  bus.tick();
  line = 0;
}

void interrupts(Bus &bus) {
  pulse(bus, bus.dut.event_pushed);
  CHECK_EQ(bus.read(NICSEC_REG_IRQ_STATUS), NICSEC_IRQ_STATUS_EVENT_MASK, "EVENT cause latched");
  CHECK_EQ(bus.dut.irq, 0, "no irq while disabled");
  bus.write(NICSEC_REG_IRQ_ENABLE, NICSEC_IRQ_STATUS_EVENT_MASK);
  bus.dut.eval();
  CHECK_EQ(bus.dut.irq, 1, "irq once enabled");
  pulse(bus, bus.dut.error_seen);
  CHECK_EQ(bus.read(NICSEC_REG_IRQ_STATUS),
           NICSEC_IRQ_STATUS_EVENT_MASK | NICSEC_IRQ_STATUS_ERROR_MASK, "both causes");
  bus.write(NICSEC_REG_IRQ_STATUS, NICSEC_IRQ_STATUS_EVENT_MASK);
  CHECK_EQ(bus.read(NICSEC_REG_IRQ_STATUS), NICSEC_IRQ_STATUS_ERROR_MASK, "W1C clears EVENT only");
  bus.dut.eval();
  CHECK_EQ(bus.dut.irq, 0, "ERROR cause is not enabled");
  bus.write(NICSEC_REG_IRQ_STATUS, 0xffffffff);
  CHECK_EQ(bus.read(NICSEC_REG_IRQ_STATUS), 0, "all cleared");
}

// A cause raised in the very cycle software clears it must survive the clear.
void raise_wins_over_clear(Bus &bus) {
  pulse(bus, bus.dut.event_pushed);
  bus.dut.s_awaddr = NICSEC_REG_IRQ_STATUS;
  bus.dut.s_wdata = NICSEC_IRQ_STATUS_EVENT_MASK;
  bus.dut.s_wstrb = 0xf;
  bus.dut.s_awvalid = bus.dut.s_wvalid = 1;
  bus.dut.event_pushed = 1; // same clock edge as the write
  bus.dut.eval();
  bus.tick();
  bus.dut.s_awvalid = bus.dut.s_wvalid = 0;
  bus.dut.event_pushed = 0;
  bus.response(bus.dut.s_bvalid, bus.dut.s_bready, [] {});
  CHECK_EQ(bus.read(NICSEC_REG_IRQ_STATUS), NICSEC_IRQ_STATUS_EVENT_MASK,
           "event raised during clear is kept");
  bus.write(NICSEC_REG_IRQ_STATUS, 0xffffffff);
}

void run_all(Bus &bus) {
  reset_values(bus);
  scratch_and_strobes(bus);
  error_responses(bus);
  control_drives_outputs(bus);
  cycle_counter_is_consistent(bus);
  interrupts(bus);
  raise_wins_over_clear(bus);
}

} // namespace

int main(int argc, char **argv) {
  Verilated::commandArgs(argc, argv);
  Vnicsec_csr dut;
  Bus bus(dut);
  bus.reset();
  run_all(bus); // back-to-back handshakes
  for (unsigned stall : {1u, 3u, 7u}) {
    bus.max_delay = stall; // random stalls on every channel
    bus.reset();
    run_all(bus);
  }
  dut.final();
  if (failures) {
    std::fprintf(stderr, "nicsec_csr: %d check(s) failed\n", failures);
    return 1;
  }
  std::printf(
      "nicsec_csr: all checks passed (back-to-back and with random stalls up to 7 cycles)\n");
  return 0;
}
