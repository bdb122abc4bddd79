/* Register-level driver of the simulated ESP engine (nicsim): SA mailbox commands, events and
 * one-packet datapath calls. Every offset and field comes from the generated nicsec_regs.h.
 * Used by the "sim" HAL backend and by the RTL tests; not thread-safe (callers lock). */
#ifndef NICSEC_SIM_DEV_H
#define NICSEC_SIM_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nicsec/hal.h"
#include "nicsim.h"

/* What the engine reports about itself (CAPS, FEATURES). */
struct sim_dev_info {
  uint32_t lanes;
  uint32_t sa_depth;     /* SAs per direction */
  uint32_t max_window;   /* largest replay window */
  uint32_t features;     /* NICSEC_FEATURES_* bits */
  bool has_stop;         /* SA_OP_STOP (register map 2.1 and later) */
};

enum nicsec_hal_err sim_dev_probe(struct nicsim *sim, struct sim_dev_info *info);

/* SA record as the engine holds it (the READ result). */
struct sim_sa_state {
  uint32_t spi, flags;
  uint64_t seq, packets, bytes;
  uint32_t replay_drops, auth_fails, window_seen;
  uint32_t keyprobe[4], hprobe[4];
};

/* SA_FLAGS and SA_PORTS of an SA, as the mailbox and the descriptors carry them. */
uint32_t sim_sa_flags_word(const struct nicsec_hal_sa *sa, bool active);
uint32_t sim_sa_ports_word(const struct nicsec_hal_sa *sa);

/* Installs `sa` into slot idx of its direction's table (key, salt, addresses, limits, SN).
 * active = false installs it idle (keys loaded, no traffic). */
enum nicsec_hal_err sim_sa_install(struct nicsim *sim, uint32_t idx, const struct nicsec_hal_sa *sa,
                                   bool active);
/* Takes a slot off both datapaths (SA_OP_STOP: ACTIVE cleared) and leaves its record,
 * counters and keys in place. Needs info.has_stop. */
enum nicsec_hal_err sim_sa_deactivate(struct nicsim *sim, enum nicsec_hal_dir dir, uint32_t idx);
/* Zeroizes the key and H memories of a slot and clears its record. */
enum nicsec_hal_err sim_sa_delete(struct nicsim *sim, enum nicsec_hal_dir dir, uint32_t idx);
enum nicsec_hal_err sim_sa_read(struct nicsim *sim, enum nicsec_hal_dir dir, uint32_t idx,
                                struct sim_sa_state *out);
enum nicsec_hal_err sim_sa_update_limits(struct nicsim *sim, enum nicsec_hal_dir dir, uint32_t idx,
                                         const struct nicsec_hal_limits *limits);
enum nicsec_hal_err sim_sa_update_seq(struct nicsim *sim, enum nicsec_hal_dir dir, uint32_t idx,
                                      uint64_t seq);

struct sim_event {
  uint32_t type;  /* NICSEC_EVENT_TYPE_* */
  uint32_t slot;
  bool inbound, lost;
  uint64_t value;
};
/* 1 = an event was taken, 0 = FIFO empty, -1 = bus error. */
int sim_event_pop(struct nicsim *sim, struct sim_event *ev);

/* Maps a PKT_STATUS code to the HAL's datapath error. */
enum nicsec_hal_err sim_status_err(uint8_t code);

/* Sends one plaintext packet through egress for outbound slot idx and runs the clock until its
 * completion (and, if OK, its ESP packet) came out. *code = PKT_STATUS; out gets the packet. */
enum nicsec_hal_err sim_egress_one(struct nicsim *sim, uint32_t idx, const uint8_t *in,
                                   size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len,
                                   uint8_t *code);
/* Sends one wire packet through ingress and runs the clock until its status came out. */
enum nicsec_hal_err sim_ingress_one(struct nicsim *sim, const uint8_t *in, size_t in_len,
                                    uint8_t *out, size_t out_cap, size_t *out_len, uint8_t *code,
                                    uint32_t *slot);

#endif
