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

/* Host-side TX steering of an attached nicsim: plaintext from its TAP device whose IPv4
 * destination matches dst/prefix_len (longest prefix wins) goes to outbound slot `sa` as TX
 * metadata. on = 0 removes every entry of that slot. NICSIM_DECERR on an in-process handle
 * (callers pass the slot to nicsim_tx_push) or when the table is full. */
enum nicsim_status nicsim_tx_steer(struct nicsim *sim, uint16_t sa, const uint8_t dst[4],
                                   uint8_t prefix_len, int on);

#ifdef __cplusplus
}
#endif

#endif
