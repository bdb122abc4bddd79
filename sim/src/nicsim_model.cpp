// C ABI over the Verilated nicsec_engine: clocking and AXI4-Lite master transactions.
#include <algorithm>
#include <cstring>
#include <deque>
#include <memory>
#include <new>
#include <vector>

#include "Vnicsec_engine.h"
#include "nicsim.h"
#include "nicsim_desc_ring.h"
#include "nicsim_remote.h"
#include "nicsim_shm.h"
#include "verilated.h"

namespace {
constexpr int kResetCycles = 4;
constexpr uint8_t kRespSlvErr = 2, kRespDecErr = 3;
constexpr size_t kBeat = 16;
constexpr unsigned kDescBeats = NICSIM_SA_DESC_OCTETS / kBeat;

using Bytes = std::vector<uint8_t>;

// tdata[127:0] as Verilator's four 32-bit words; octet 0 of the beat is in bits 127:120.
void put_beat(VlWide<4> &w, const uint8_t *p, size_t n) {
  uint8_t beat[kBeat] = {0};
  std::memcpy(beat, p, n);
  for (int word = 0; word < 4; word++) {
    const uint8_t *b = beat + 4 * (3 - word);
    w[word] = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
  }
}

void get_beat(const VlWide<4> &w, uint8_t *p, size_t n) {
  uint8_t beat[kBeat];
  for (int word = 0; word < 4; word++) {
    uint8_t *b = beat + 4 * (3 - word);
    b[0] = (uint8_t)(w[word] >> 24);
    b[1] = (uint8_t)(w[word] >> 16);
    b[2] = (uint8_t)(w[word] >> 8);
    b[3] = (uint8_t)w[word];
  }
  std::memcpy(p, beat, n);
}

// A packet queued for an input port, sent beat by beat.
struct InPacket {
  Bytes data;
  uint16_t sa = 0;
  bool lookup = false;  // TX: SA from the engine's steering table instead of `sa`
  size_t sent = 0;  // octets already accepted
};

struct RxPacket {
  Bytes data;
  uint8_t code = 0;
  uint16_t sa = 0;
};

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
  // Packets pushed minus verdicts produced (TX completions, RX statuses), per direction.
  // A TX completion can come out before the ESP packet's last beat: an OK completion counts as
  // in flight until its wire packet is out too.
  uint64_t tx_pushed = 0, txc_seen = 0, txc_ok = 0, wtx_seen = 0, wrx_pushed = 0, rx_seen = 0;
  std::deque<InPacket> tx_in, wrx_in;
  std::deque<std::pair<uint16_t, uint8_t>> txc_out;
  std::deque<Bytes> wtx_out;
  std::deque<RxPacket> rx_out;
  Bytes wtx_cur;
  RxPacket rx_cur;

  // Set for a handle from nicsim_attach: the engine lives in a nicsim process and only the
  // BAR (MMIO) is reachable; context/top stay empty.
  nicsim_remote *remote = nullptr;

  // SA descriptor ring: the handle's own (in process), or a BAR's (attached handle, or the
  // nicsim program after nicsim_desc_bind). desc_beat = next beat of descriptor `fetched`.
  std::unique_ptr<nicsim_desc_ring> own_ring;
  nicsim_desc_ring *ring = nullptr;
  unsigned desc_beat = 0;

  nicsim() = default;
  bool make_local() {
    context.reset(new (std::nothrow) VerilatedContext);
    if (!context) return false;
    top.reset(new (std::nothrow) Vnicsec_engine(context.get(), "nicsec"));
    own_ring.reset(new (std::nothrow) nicsim_desc_ring());
    ring = own_ring.get();
    return top != nullptr && ring != nullptr;
  }

  // One clock: present the head beat of each input queue with the clock low, let outputs be
  // taken (every output is always ready), then the rising edge; handshakes seen before the edge
  // completed at it. Nothing in the engine uses the falling edge, so the low phase and the
  // settling of the new inputs share one evaluation (each eval() costs a full pass over the
  // input-driven logic).
  void tick() {
    drive_input(tx_in, top->s_tx_valid, top->s_tx_data, top->s_tx_last, true);
    drive_input(wrx_in, top->s_wrx_valid, top->s_wrx_data, top->s_wrx_last, false);
    drive_desc();
    top->m_wtx_ready = top->m_txc_ready = top->m_rx_ready = 1;
    top->clk = 0;
    top->eval();
    bool tx_taken = top->s_tx_valid && top->s_tx_ready;
    bool wrx_taken = top->s_wrx_valid && top->s_wrx_ready;
    bool desc_taken = top->s_desc_valid && top->s_desc_ready;
    collect_outputs();
    collect_desc_completion();
    top->clk = 1;
    top->eval();
    cycles++;
    if (tx_taken) advance(tx_in);
    if (wrx_taken) advance(wrx_in);
    if (desc_taken) advance_desc();
  }

  // The DMA side of the descriptor ring: beat desc_beat of descriptor `fetched` while the host
  // has posted more than was fetched; completions are taken while the completion ring has room.
  void drive_desc() {
    uint32_t fetched = __atomic_load_n(&ring->fetched, __ATOMIC_RELAXED);
    top->s_desc_valid = fetched != __atomic_load_n(&ring->posted, __ATOMIC_ACQUIRE);
    if (top->s_desc_valid) {
      const uint8_t *d = ring->desc[fetched % NICSIM_DESC_RING];
      put_beat(top->s_desc_data, d + kBeat * desc_beat, kBeat);
      top->s_desc_last = desc_beat + 1 == kDescBeats;
    }
    uint32_t completed = __atomic_load_n(&ring->completed, __ATOMIC_RELAXED);
    top->m_dcpl_ready =
        completed - __atomic_load_n(&ring->reaped, __ATOMIC_ACQUIRE) < NICSIM_DESC_RING;
  }

  void advance_desc() {
    if (++desc_beat < kDescBeats) return;
    desc_beat = 0;
    __atomic_store_n(&ring->fetched, ring->fetched + 1, __ATOMIC_RELEASE);
  }

  void collect_desc_completion() {
    if (!(top->m_dcpl_valid && top->m_dcpl_ready)) return;
    uint32_t completed = ring->completed;
    ring->cpl[completed % NICSIM_DESC_RING] = {top->m_dcpl_tag, top->m_dcpl_status};
    __atomic_store_n(&ring->completed, completed + 1, __ATOMIC_RELEASE);
  }

  void drive_input(const std::deque<InPacket> &q, CData &valid, VlWide<4> &data, CData &last,
                   bool tx) {
    valid = !q.empty();
    if (q.empty()) return;
    const InPacket &p = q.front();
    size_t n = std::min(kBeat, p.data.size() - p.sent);
    put_beat(data, p.data.data() + p.sent, n);
    last = p.sent + n == p.data.size();
    if (tx) {
      top->s_tx_sa = p.sa;
      top->s_tx_len = (uint16_t)p.data.size();
      top->s_tx_lookup = p.lookup;
    } else {
      top->s_wrx_len = (uint16_t)p.data.size();
    }
  }

  static void advance(std::deque<InPacket> &q) {
    InPacket &p = q.front();
    p.sent += std::min(kBeat, p.data.size() - p.sent);
    if (p.sent == p.data.size()) q.pop_front();
  }

  void collect_outputs() {
    if (top->m_txc_valid) {
      txc_out.emplace_back(top->m_txc_sa, top->m_txc_code);
      txc_seen++;
      if (top->m_txc_code == 0) txc_ok++;
    }
    if (top->m_wtx_valid) {
      append(wtx_cur, top->m_wtx_data, top->m_wtx_nbytes);
      if (top->m_wtx_last) {
        wtx_out.push_back(std::move(wtx_cur));
        wtx_seen++;
        wtx_cur.clear();
      }
    }
    if (top->m_rx_valid) {
      append(rx_cur.data, top->m_rx_data, top->m_rx_nbytes);
      if (top->m_rx_last) {
        rx_cur.code = top->m_rx_code;
        rx_cur.sa = top->m_rx_sa;
        rx_out.push_back(std::move(rx_cur));
        rx_seen++;
        rx_cur = RxPacket();
      }
    }
  }

  static void append(Bytes &to, const VlWide<4> &beat, uint8_t nbytes) {
    size_t n = std::min<size_t>(nbytes, kBeat);
    uint8_t buf[kBeat];
    get_beat(beat, buf, n);
    to.insert(to.end(), buf, buf + n);
  }

  void reset() {
    tx_pushed = txc_seen = txc_ok = wtx_seen = wrx_pushed = rx_seen = 0;
    tx_in.clear();
    wrx_in.clear();
    txc_out.clear();
    wtx_out.clear();
    rx_out.clear();
    wtx_cur.clear();
    rx_cur = RxPacket();
    // Reset loses what the loader held: descriptors without a completion are fetched again.
    desc_beat = 0;
    __atomic_store_n(&ring->fetched, ring->completed, __ATOMIC_RELEASE);
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
  if (!sim) return nullptr;
  if (!sim->make_local()) {
    delete sim;
    return nullptr;
  }
  sim->reset();
  return sim;
}

struct nicsim *nicsim_attach(const char *shm_name) {
  nicsim *sim = new (std::nothrow) nicsim;
  if (!sim) return nullptr;
  sim->remote = nicsim_remote_open(shm_name);
  if (!sim->remote) {
    delete sim;
    return nullptr;
  }
  sim->ring = nicsim_remote_desc_ring(sim->remote);
  return sim;
}

void nicsim_destroy(struct nicsim *sim) {
  if (!sim) return;
  if (sim->remote) nicsim_remote_close(sim->remote);
  if (sim->top) sim->top->final();
  delete sim;
}

void nicsim_reset(struct nicsim *sim) {
  if (!sim->remote) sim->reset();
}

enum nicsim_status nicsim_mmio_write32(struct nicsim *sim, uint32_t addr, uint32_t value) {
  if (sim->remote) return nicsim_remote_access(sim->remote, NICSIM_SHM_OP_WRITE, addr, &value);
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
  if (sim->remote) {
    *value = 0;
    return nicsim_remote_access(sim->remote, NICSIM_SHM_OP_READ, addr, value);
  }
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
  if (sim->remote) return;  // nicsim's own loop runs that clock
  for (uint64_t i = 0; i < cycles; i++) sim->tick();
}

uint64_t nicsim_cycles(const struct nicsim *sim) {
  return sim->remote ? nicsim_remote_cycles(sim->remote) : sim->cycles;
}

int nicsim_irq(const struct nicsim *sim) { return sim->remote ? 0 : sim->top->irq; }

static enum nicsim_status tx_push(struct nicsim *sim, uint16_t sa, bool lookup,
                                  const uint8_t *pkt, size_t len) {
  if (sim->remote || len == 0 || len > NICSIM_MAX_PKT) return NICSIM_DECERR;
  InPacket p;
  p.data.assign(pkt, pkt + len);
  p.sa = sa;
  p.lookup = lookup;
  sim->tx_in.push_back(std::move(p));
  sim->tx_pushed++;
  return NICSIM_OK;
}

enum nicsim_status nicsim_tx_push(struct nicsim *sim, uint16_t sa, const uint8_t *pkt,
                                  size_t len) {
  return tx_push(sim, sa, false, pkt, len);
}

enum nicsim_status nicsim_tx_push_lookup(struct nicsim *sim, const uint8_t *pkt, size_t len) {
  return tx_push(sim, 0, true, pkt, len);
}

int nicsim_txc_pull(struct nicsim *sim, uint16_t *sa, uint8_t *code) {
  if (sim->txc_out.empty()) return 0;
  *sa = sim->txc_out.front().first;
  *code = sim->txc_out.front().second;
  sim->txc_out.pop_front();
  return 1;
}

int nicsim_wire_tx_pull(struct nicsim *sim, uint8_t *buf, size_t cap, size_t *len) {
  if (sim->wtx_out.empty()) return 0;
  const Bytes &p = sim->wtx_out.front();
  *len = p.size();
  std::memcpy(buf, p.data(), std::min(cap, p.size()));
  sim->wtx_out.pop_front();
  return 1;
}

enum nicsim_status nicsim_wire_rx_push(struct nicsim *sim, const uint8_t *pkt, size_t len) {
  if (sim->remote || len == 0 || len > NICSIM_MAX_PKT) return NICSIM_DECERR;
  InPacket p;
  p.data.assign(pkt, pkt + len);
  sim->wrx_in.push_back(std::move(p));
  sim->wrx_pushed++;
  return NICSIM_OK;
}

int nicsim_rx_pull(struct nicsim *sim, uint8_t *buf, size_t cap, size_t *len, uint8_t *code,
                   uint16_t *sa) {
  if (sim->rx_out.empty()) return 0;
  const RxPacket &p = sim->rx_out.front();
  *len = p.data.size();
  *code = p.code;
  *sa = p.sa;
  std::memcpy(buf, p.data.data(), std::min(cap, p.data.size()));
  sim->rx_out.pop_front();
  return 1;
}

size_t nicsim_pending_inputs(const struct nicsim *sim) {
  if (sim->remote) return 0;
  return sim->tx_in.size() + sim->wrx_in.size();
}

size_t nicsim_in_flight(const struct nicsim *sim) {
  if (sim->remote) return (size_t)nicsim_remote_in_flight(sim->remote);
  return (size_t)((sim->tx_pushed - sim->txc_seen) + (sim->txc_ok - sim->wtx_seen) +
                  (sim->wrx_pushed - sim->rx_seen));
}

void nicsim_tx_progress(const struct nicsim *sim, struct nicsim_tx_progress *out) {
  if (sim->remote) {
    nicsim_remote_tx_progress(sim->remote, out);
    return;
  }
  out->pushed = sim->tx_pushed;
  out->completed = sim->txc_seen;
  out->loops = 0;
}

size_t nicsim_desc_post(struct nicsim *sim, const uint8_t *descs, size_t n) {
  return nicsim_ring_post(sim->ring, descs, n);
}

size_t nicsim_desc_reap(struct nicsim *sim, struct nicsim_desc_cpl *cpls, size_t max) {
  return nicsim_ring_reap(sim->ring, cpls, max);
}

size_t nicsim_desc_pending(const struct nicsim *sim) { return nicsim_ring_pending(sim->ring); }

void nicsim_desc_bind(struct nicsim *sim, struct nicsim_desc_ring *ring) {
  if (sim->remote) return;  // an attached handle is a host: it posts into the BAR, not serves it
  sim->ring = ring;
  sim->desc_beat = 0;
}

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
