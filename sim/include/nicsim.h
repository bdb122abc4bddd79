/* The simulated NIC as a C library: one Verilated nicsec_engine per handle, driven cycle by
 * cycle. Tests use it in-process (deterministic: nothing runs unless a call steps the clock);
 * nicsim (the NIC you can ping through) wraps the same calls behind a shared-memory BAR.
 *
 * MMIO accesses are AXI4-Lite transactions on the engine's CSR port; they take simulated clock
 * cycles, which nicsim_cycles() counts. */
#ifndef NICSEC_NICSIM_H
#define NICSEC_NICSIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct nicsim;

enum nicsim_status {
  NICSIM_OK = 0,
  NICSIM_SLVERR = 1,  /* the register refused the access (e.g. write to a read-only register) */
  NICSIM_DECERR = 2,  /* no register at that address */
  NICSIM_TIMEOUT = 3, /* the bus did not answer within NICSIM_BUS_TIMEOUT_CYCLES */
};

enum { NICSIM_BUS_TIMEOUT_CYCLES = 1000 };

/* Creates an engine held in reset for a few cycles, then released. NULL if out of memory. */
struct nicsim *nicsim_create(void);
/* Attaches to the engine of a running nicsim process through its shared-memory BAR
 * (/dev/shm/<shm_name>). Such a handle has MMIO (each access a request the nicsim loop serves),
 * nicsim_cycles and nicsim_in_flight; the packet calls refuse (NICSIM_DECERR / 0) because the
 * packets flow between nicsim's TAP device and its wire, and nicsim_step/nicsim_reset do
 * nothing. NULL if no such BAR. Released with nicsim_destroy. */
struct nicsim *nicsim_attach(const char *shm_name);
void nicsim_destroy(struct nicsim *sim);
/* Applies reset again: every register returns to its reset value. */
void nicsim_reset(struct nicsim *sim);

enum nicsim_status nicsim_mmio_read32(struct nicsim *sim, uint32_t addr, uint32_t *value);
enum nicsim_status nicsim_mmio_write32(struct nicsim *sim, uint32_t addr, uint32_t value);

/* Advances the clock by `cycles` rising edges. */
void nicsim_step(struct nicsim *sim, uint64_t cycles);
/* Rising edges since nicsim_create (not reset by nicsim_reset). */
uint64_t nicsim_cycles(const struct nicsim *sim);
/* Level of the engine's interrupt line. */
int nicsim_irq(const struct nicsim *sim);

const char *nicsim_status_str(enum nicsim_status status);

/* ---- packet ports ----------------------------------------------------------------------------
 * Packets are queued here and move through the engine's AXI-Stream ports only while the clock
 * runs (nicsim_step, or the cycles an MMIO access takes). Every port is 128 bits wide; the
 * harness splits and joins 16-octet beats. Pulled packets come out in the order the engine
 * produced them. */

enum { NICSIM_MAX_PKT = 65535 };

/* Host TX: a plaintext IP packet for SA slot `sa` of the outbound table (crypto offload: the
 * slot is TX descriptor metadata). NICSIM_DECERR if len is 0 or above NICSIM_MAX_PKT. */
enum nicsim_status nicsim_tx_push(struct nicsim *sim, uint16_t sa, const uint8_t *pkt,
                                  size_t len);
/* One TX completion per host TX packet: its SA slot and PKT_STATUS code. 1 if one was
 * waiting, 0 if not. */
int nicsim_txc_pull(struct nicsim *sim, uint16_t *sa, uint8_t *code);
/* Wire side: the next ESP packet the engine sent. 1 = *len octets copied (truncated to cap),
 * 0 = none waiting. */
int nicsim_wire_tx_pull(struct nicsim *sim, uint8_t *buf, size_t cap, size_t *len);
/* Wire RX: an outer IP packet arriving from the network. */
enum nicsim_status nicsim_wire_rx_push(struct nicsim *sim, const uint8_t *pkt, size_t len);
/* Host RX: the engine's verdict on the next wire RX packet (PKT_STATUS code, inbound SA slot)
 * and, for code 0, the decrypted inner packet. 1 if one was waiting, 0 if not. */
int nicsim_rx_pull(struct nicsim *sim, uint8_t *buf, size_t cap, size_t *len, uint8_t *code,
                   uint16_t *sa);
/* Packets queued at the inputs and not yet fully taken by the engine. */
size_t nicsim_pending_inputs(const struct nicsim *sim);
/* Packets handed to the engine (queued or inside the pipelines) whose TX completion (and, when
 * OK, ESP packet) or RX status has not come out yet: every input packet produces exactly that,
 * so 0 means nothing of any SA is in flight (what a driver's drain waits for). */
size_t nicsim_in_flight(const struct nicsim *sim);

/* Host-TX progress since the last reset: packets handed to the engine's TX input and TX
 * completions the engine has put out, plus (attached handles only; 0 in process) how often the
 * nicsim loop has gone round. A driver that removed a steering entry waits one loop for the
 * classifier to see it, notes `pushed`, and knows every packet steered before is done once
 * `completed` reaches that mark — without waiting for unrelated traffic to stop. */
struct nicsim_tx_progress {
  uint64_t pushed, completed, loops;
};
void nicsim_tx_progress(const struct nicsim *sim, struct nicsim_tx_progress *out);

/* Host TX asking for a lookup (packet offload): the engine's TX steering table (STEER_*
 * registers) picks the SA from the packet's addresses, protocol and ports. The completion says
 * what happened: the SA slot and egress's code, or STEER_BYPASS (no entry, SA 0xffff, or a
 * BYPASS entry: the caller sends the packet unchanged) / STEER_DROP. Errors as nicsim_tx_push. */
enum nicsim_status nicsim_tx_push_lookup(struct nicsim *sim, const uint8_t *pkt, size_t len);

/* ---- SA descriptor ring ----------------------------------------------------------------------
 * The engine's bulk SA command path (register map FEATURES.SA_DESC): the host writes SA
 * descriptors (register map SA_DESC layout) into a ring and rings a doorbell; the harness plays
 * the DMA engine, streaming each descriptor into the engine's loader one 16-octet beat per
 * clock, and writes the loader's completions {tag, DESC_STATUS} into a completion ring, in
 * order. In process the ring is the harness's and moves only while the clock runs
 * (nicsim_step); on an attached handle it is in nicsim's BAR and nicsim's loop runs the clock
 * while descriptors wait, so posting and reaping cost the host no simulation. A descriptor slot
 * is free again once its completion was reaped. One thread per ring (callers lock). */
enum { NICSIM_SA_DESC_OCTETS = 112, NICSIM_DESC_RING = 512 };

struct nicsim_desc_cpl {
  uint32_t tag;    /* the descriptor's TAG */
  uint32_t status; /* DESC_STATUS */
};

/* Copies up to n descriptors (n * NICSIM_SA_DESC_OCTETS octets) into free slots and rings the
 * doorbell once; returns how many were posted (fewer when the ring is full). */
size_t nicsim_desc_post(struct nicsim *sim, const uint8_t *descs, size_t n);
/* Takes up to max completions, oldest first; returns how many were taken. */
size_t nicsim_desc_reap(struct nicsim *sim, struct nicsim_desc_cpl *cpls, size_t max);
/* Descriptors posted whose completion has not been written yet (0 = the loader is idle). */
size_t nicsim_desc_pending(const struct nicsim *sim);

/* For the nicsim program: serve the ring that lives in its BAR (nicsim_shm.h) instead of the
 * handle's own, so drivers attached to that BAR post into it. */
struct nicsim_desc_ring;
void nicsim_desc_bind(struct nicsim *sim, struct nicsim_desc_ring *ring);

#ifdef __cplusplus
}
#endif

#endif
