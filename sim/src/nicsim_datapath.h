/* nicsim's datapath: frames between the TAP (host) and the wire through the classifier and the
 * Verilated engine, the BAR's MMIO requests served in between, counters for every verdict.
 *
 * The engine sees IP packets; the Ethernet header around them is kept per packet in FIFOs
 * (the engine answers in order): an outbound ESP packet leaves with the MAC addresses of the
 * plaintext frame the host sent (the host resolved its next hop), with the ethertype of the
 * outer header; a decrypted packet reaches the TAP addressed to the TAP's MAC from the sender
 * of the ESP frame. Inbound ESP the engine has no SA for (or does not handle) reaches the host
 * unchanged, as a real NIC leaves it to software. Outbound IP the engine's TX steering table
 * does not cover (completion STEER_BYPASS) leaves unchanged from the kept frame. */
#ifndef NICSEC_NICSIM_DATAPATH_H
#define NICSEC_NICSIM_DATAPATH_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "nicsim.h"
#include "nicsim_classify.h"
#include "nicsim_l2.h"
#include "nicsim_pcap.h"
#include "nicsim_shm.h"

enum {
  NICSIM_CODES = 16,    /* PKT_STATUS values the counters keep apart */
  NICSIM_CTX_RING = 512 /* packets per direction inside the engine at most */
};

struct nicsim_counters {
  uint64_t tap_in, tap_out, wire_in, wire_out;
  uint64_t egress[NICSIM_R_COUNT], ingress[NICSIM_R_COUNT]; /* classifier verdicts */
  uint64_t tx_code[NICSIM_CODES]; /* engine TX completions, by PKT_STATUS */
  uint64_t rx_code[NICSIM_CODES]; /* engine RX verdicts, by PKT_STATUS */
  uint64_t rx_to_host;            /* of those, frames handed to the host unchanged */
  uint64_t tap_write_errors;
  int tap_last_errno;
  uint64_t engine_refused; /* pushes the engine's queue did not take */
  uint64_t engine_off;     /* engine-bound frames while the driver has it disabled */
};

/* Per-packet context kept while the engine holds the packet. */
struct nicsim_ctx {
  uint8_t *data;
  size_t len, cap;
};

struct nicsim_ctx_ring {
  struct nicsim_ctx slot[NICSIM_CTX_RING];
  size_t head, count;
};

struct nicsim_dp {
  struct nicsim *sim;
  struct nicsim_shm *bar;
  int tap_fd;
  struct nicsim_wire wire;
  struct nicsim_pcap *pcap;
  uint8_t tap_mac[NICSIM_MAC_LEN];
  bool engine_enabled; /* CONTROL.ENABLE as the driver last wrote it (reset: off) */
  uint64_t tap_mac_read_ms;
  uint64_t loops; /* published as the BAR's tx_loops */
  struct nicsim_counters n;
  /* Egress: whole frames of packets in the engine (a bypassed one leaves unchanged), then the
   * MAC pairs of those whose completion said OK and whose ESP packet is still to come.
   * Ingress: whole frames, for the pass-through. */
  struct nicsim_ctx_ring tx_ctx, esp_ctx, rx_ctx;
  struct nicsim_batch tap_in, wire_in, wire_out;
  uint8_t buf[NICSIM_FRAME_MAX];
};

/* Runs until *stop is set. */
void nicsim_dp_run(struct nicsim_dp *dp, const volatile sig_atomic_t *stop);
/* Prints every non-zero counter to `out`. */
void nicsim_dp_report(const struct nicsim_dp *dp, const char *name, FILE *out);
/* Frees the per-packet contexts. */
void nicsim_dp_release(struct nicsim_dp *dp);

#endif
