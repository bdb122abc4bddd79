/* Internal state of a "sim" HAL device, shared by the backend's lifecycle (sim_backend.c) and
 * its stats/events/datapath half (sim_ops.c). */
#ifndef NICSEC_SIM_HAL_H
#define NICSEC_SIM_HAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "nicsec/hal.h"
#include "sim_dev.h"
#include "sim_steer.h"

/* One engine slot as the driver knows it. The engine holds the SA; the driver keeps what the
 * registers cannot give back: the handle, the delete phase, the reqid, and (only for an engine
 * older than register map 2.1, which has no SA_OP_STOP and is stopped by installing the SA
 * again idle, see do_stop in sim_backend.c) the key. The key copy is wiped right after the
 * install when the engine has STOP, and at free otherwise. */
struct sim_sa {
  nicsec_hal_sa_id id; /* 0 = slot free */
  enum nicsec_hal_sa_state state;
  struct nicsec_hal_sa desc;
  /* The engine's counters as read just before the idle re-install at stop: a stopped SA takes
   * no traffic, so these are its final values. */
  struct sim_sa_state frozen;
  /* Drops the engine reports per packet (completion / RX status) but does not count per SA. */
  uint64_t drops[NICSEC_HAL_DROP__COUNT];
  uint64_t last_use_s;
  uint64_t stop_cycle; /* engine cycle counter when the SA was stopped (drain bound) */
  /* Attached outbound stop: the engine keeps the SA active until the packets nicsim steered to
   * it before the steering entry went are done (see outbound_queue_passed in sim_backend.c). */
  bool engine_stop_pending;
  bool tx_mark_taken;
  uint64_t stop_loops_mark; /* nicsim loop count by which the classifier has seen the removal */
  uint64_t stop_tx_mark;    /* host-TX packets pushed by then: completions must reach this */
  uint64_t stop_ms;
};

struct sim_hal_dev {
  pthread_mutex_t lock; /* every call; the engine is driven by one thread at a time */
  struct nicsim *sim;
  bool attached; /* the engine lives in a nicsim process (no host datapath here) */
  struct sim_dev_info info;
  uint32_t spi_base;
  struct sim_sa *in, *out; /* info.sa_depth slots each; inbound slot = SPI - spi_base */
  uint32_t n_out;
  uint64_t next_serial;
  uint64_t dev_drops[NICSEC_HAL_DROP__COUNT];
  /* An event popped from the engine that did not fit in the caller's array. */
  struct nicsec_hal_event carry;
  bool has_carry;
  struct sim_steer steer; /* the engine's TX steering table: outbound SA selectors */
};

/* Handles: serial << 17 | inbound << 16 | slot. Serials only grow, so no handle comes back. */
enum { SIM_ID_DIR_SHIFT = 16, SIM_ID_SERIAL_SHIFT = 17, SIM_MAX_DEPTH = 1u << 16 };

/* The slot a handle names, or NULL when the handle is unknown or freed. */
struct sim_sa *sim_sa_by_id(struct sim_hal_dev *d, nicsec_hal_sa_id id, enum nicsec_hal_dir *dir,
                            uint32_t *slot);
/* HAL stats of a slot: the engine's counters (live, or frozen at stop) plus the driver's. */
enum nicsec_hal_err sim_sa_fill_stats(struct sim_hal_dev *d, struct sim_sa *s,
                                      enum nicsec_hal_dir dir, uint32_t slot,
                                      struct nicsec_hal_sa_stats *out);

/* Vtable entries of sim_ops.c. */
enum nicsec_hal_err sim_op_stats(void *priv, nicsec_hal_sa_id id, struct nicsec_hal_sa_stats *out);
enum nicsec_hal_err sim_op_dev_drops(void *priv, uint64_t drops[NICSEC_HAL_DROP__COUNT]);
enum nicsec_hal_err sim_op_dump(void *priv, nicsec_hal_dump_fn fn, void *ctx);
enum nicsec_hal_err sim_op_poll_events(void *priv, struct nicsec_hal_event *evs, size_t max,
                                       size_t *n);
enum nicsec_hal_err sim_op_encap(void *priv, nicsec_hal_sa_id id, const uint8_t *in,
                                 size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len);
enum nicsec_hal_err sim_op_decap(void *priv, const uint8_t *in, size_t in_len, uint8_t *out,
                                 size_t out_cap, size_t *out_len, nicsec_hal_sa_id *sa);

#endif
