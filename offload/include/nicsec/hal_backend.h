/* The backend side of the HAL: what a backend (soft, sim, xfrm, mlx5) implements and how it is
 * registered. nicsecd and tools never include this; they use nicsec/hal.h.
 *
 * Division of labour: the HAL core (offload/src) checks arguments, batch size and every SA
 * against the device's capabilities (nicsec_hal_sa_check), rejects duplicate SPIs inside one
 * batch, and fills NICSEC_HAL_E_ABORTED for rolled-back entries. A backend checks what needs
 * its own state (duplicates against installed SAs, table space, SPI window if stricter than its
 * caps), must make sa_add all-or-none, must honour the three-phase delete, and must wipe key
 * material it copied. Each backend does its own locking: the core holds no lock around calls.
 */
#ifndef NICSEC_HAL_BACKEND_H
#define NICSEC_HAL_BACKEND_H

#include "nicsec/hal.h"

#ifdef __cplusplus
extern "C" {
#endif

struct nicsec_hal_backend {
  const char *name;
  /* Creates a device; fills *caps (caps->backend is set by the core). */
  enum nicsec_hal_err (*open)(const char *args, void **priv, struct nicsec_hal_caps *caps);
  void (*close)(void *priv);
  /* Entries are already checked against caps and against each other. errs has n slots, all
   * pre-set to NICSEC_HAL_E_ABORTED; set the failing entry's error. */
  enum nicsec_hal_err (*sa_add)(void *priv, const struct nicsec_hal_sa *sas, size_t n,
                                nicsec_hal_sa_id *ids, enum nicsec_hal_err *errs);
  enum nicsec_hal_err (*sa_stop)(void *priv, nicsec_hal_sa_id id);
  enum nicsec_hal_err (*sa_drain)(void *priv, nicsec_hal_sa_id id);
  enum nicsec_hal_err (*sa_free)(void *priv, nicsec_hal_sa_id id);
  enum nicsec_hal_err (*sa_update)(void *priv, nicsec_hal_sa_id id,
                                   const struct nicsec_hal_sa_update *upd);
  enum nicsec_hal_err (*sa_stats)(void *priv, nicsec_hal_sa_id id, struct nicsec_hal_sa_stats *out);
  enum nicsec_hal_err (*dev_drops)(void *priv, uint64_t drops[NICSEC_HAL_DROP__COUNT]);
  enum nicsec_hal_err (*dump)(void *priv, nicsec_hal_dump_fn fn, void *ctx);
  /* Optional (NULL: NICSEC_HAL_E_NOT_SUPPORTED). */
  enum nicsec_hal_err (*policy_add)(void *priv, const struct nicsec_hal_policy *pol,
                                    nicsec_hal_policy_id *id);
  enum nicsec_hal_err (*policy_del)(void *priv, nicsec_hal_policy_id id);
  enum nicsec_hal_err (*poll_events)(void *priv, struct nicsec_hal_event *evs, size_t max,
                                     size_t *n);
  enum nicsec_hal_err (*encap)(void *priv, nicsec_hal_sa_id id, const uint8_t *in, size_t in_len,
                               uint8_t *out, size_t out_cap, size_t *out_len);
  enum nicsec_hal_err (*decap)(void *priv, const uint8_t *in, size_t in_len, uint8_t *out,
                               size_t out_cap, size_t *out_len, nicsec_hal_sa_id *sa);
  /* Datapath I/O (optional, NULL: NICSEC_HAL_E_NOT_SUPPORTED); see hal.h. The core has checked
   * pointers; budget is never 0 (the core substitutes the default). */
  enum nicsec_hal_err (*dp_fds)(void *priv, int *fds, size_t max, size_t *n);
  enum nicsec_hal_err (*dp_poll_in)(void *priv, int fd, size_t budget, size_t *done);
  enum nicsec_hal_err (*dp_attach_udp)(void *priv, int fd);
  enum nicsec_hal_err (*dp_deliver_udp)(void *priv, const uint8_t *data, size_t len,
                                        const struct nicsec_hal_endpoint *from,
                                        const struct nicsec_hal_endpoint *to);
  enum nicsec_hal_err (*dp_stats)(void *priv, struct nicsec_hal_dp_stats *out);
};

/* Registers a backend under b->name (the table keeps the pointer: b must outlive its use).
 * Built-in backends ("soft") are registered already; out-of-tree ones (the Verilator "sim"
 * harness) call this before nicsec_hal_open. */
enum nicsec_hal_err nicsec_hal_register(const struct nicsec_hal_backend *b);

/* Fills names with up to max registered backend names; returns how many exist. */
size_t nicsec_hal_backend_names(const char **names, size_t max);

#ifdef __cplusplus
}
#endif

#endif /* NICSEC_HAL_BACKEND_H */
