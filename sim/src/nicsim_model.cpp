// C ABI over the Verilated nicsec_engine: clocking and AXI4-Lite master transactions.
#include <memory>
#include <new>

#include "Vnicsec_engine.h"
#include "nicsim.h"
#include "verilated.h"

namespace {
constexpr int kResetCycles = 4;
constexpr uint8_t kRespSlvErr = 2, kRespDecErr = 3;

enum nicsim_status from_resp(uint8_t resp) {
  switch (resp) {
  case 0:
  case 1:
    return NICSIM_OK;
  case kRespSlvErr:
    return NICSIM_SLVERR;
  case kRespDecErr:
  default:
    return NICSIM_DECERR;
  }
}
}  // namespace

struct nicsim {
  // Each handle owns its context, so several simulated NICs can live in one process.
  std::unique_ptr<VerilatedContext> context;
  std::unique_ptr<Vnicsec_engine> top;
  uint64_t cycles = 0;

  nicsim() : context(new VerilatedContext), top(new Vnicsec_engine(context.get(), "nicsec")) {}

  void tick() {
    top->clk = 0;
    top->eval();
    top->clk = 1;
    top->eval();
    cycles++;
  }

  void reset() {
    top->rst_n = 0;
    top->s_axil_awvalid = top->s_axil_wvalid = top->s_axil_arvalid = 0;
    top->s_axil_bready = top->s_axil_rready = 0;
    for (int i = 0; i < kResetCycles; i++) tick();
    top->rst_n = 1;
    tick();
  }

  // Holds `valid` until the slave's `ready` is seen at a clock edge.
  bool handshake(CData &valid, const CData &ready) {
    valid = 1;
    for (int waited = 0; waited < NICSIM_BUS_TIMEOUT_CYCLES; waited++) {
      top->eval();
      bool accepted = ready;
      tick();
      if (accepted) {
        valid = 0;
        return true;
      }
    }
    valid = 0;
    return false;
  }

  // Waits for a response channel's `valid`, consuming it with `ready` held high.
  bool await_response(const CData &valid, CData &ready) {
    ready = 1;
    for (int waited = 0; waited < NICSIM_BUS_TIMEOUT_CYCLES; waited++) {
      top->eval();
      if (valid) return true;
      tick();
    }
    ready = 0;
    return false;
  }
};

extern "C" {

struct nicsim *nicsim_create(void) {
  nicsim *sim = new (std::nothrow) nicsim;
  if (sim) sim->reset();
  return sim;
}

void nicsim_destroy(struct nicsim *sim) {
  if (!sim) return;
  sim->top->final();
  delete sim;
}

void nicsim_reset(struct nicsim *sim) { sim->reset(); }

enum nicsim_status nicsim_mmio_write32(struct nicsim *sim, uint32_t addr, uint32_t value) {
  Vnicsec_engine &top = *sim->top;
  top.s_axil_awaddr = addr;
  top.s_axil_wdata = value;
  top.s_axil_wstrb = 0xf;
  top.s_axil_awvalid = top.s_axil_wvalid = 1;
  // AW and W are offered together; each drops once accepted.
  for (int waited = 0; top.s_axil_awvalid || top.s_axil_wvalid; waited++) {
    if (waited == NICSIM_BUS_TIMEOUT_CYCLES) {
      top.s_axil_awvalid = top.s_axil_wvalid = 0;
      return NICSIM_TIMEOUT;
    }
    top.eval();
    bool aw_taken = top.s_axil_awvalid && top.s_axil_awready;
    bool w_taken = top.s_axil_wvalid && top.s_axil_wready;
    sim->tick();
    if (aw_taken) top.s_axil_awvalid = 0;
    if (w_taken) top.s_axil_wvalid = 0;
  }
  if (!sim->await_response(top.s_axil_bvalid, top.s_axil_bready)) return NICSIM_TIMEOUT;
  uint8_t resp = top.s_axil_bresp;
  sim->tick();
  top.s_axil_bready = 0;
  return from_resp(resp);
}

enum nicsim_status nicsim_mmio_read32(struct nicsim *sim, uint32_t addr, uint32_t *value) {
  Vnicsec_engine &top = *sim->top;
  top.s_axil_araddr = addr;
  if (!sim->handshake(top.s_axil_arvalid, top.s_axil_arready)) return NICSIM_TIMEOUT;
  if (!sim->await_response(top.s_axil_rvalid, top.s_axil_rready)) return NICSIM_TIMEOUT;
  *value = top.s_axil_rdata;
  uint8_t resp = top.s_axil_rresp;
  sim->tick();
  top.s_axil_rready = 0;
  return from_resp(resp);
}

void nicsim_step(struct nicsim *sim, uint64_t cycles) {
  for (uint64_t i = 0; i < cycles; i++) sim->tick();
}

uint64_t nicsim_cycles(const struct nicsim *sim) { return sim->cycles; }

int nicsim_irq(const struct nicsim *sim) { return sim->top->irq; }

const char *nicsim_status_str(enum nicsim_status status) {
  switch (status) {
  case NICSIM_OK:
    return "ok";
  case NICSIM_SLVERR:
    return "register refused the access (SLVERR)";
  case NICSIM_DECERR:
    return "no register at that address (DECERR)";
  case NICSIM_TIMEOUT:
    return "bus timeout";
  }
  return "unknown status";
}

}  // extern "C"
