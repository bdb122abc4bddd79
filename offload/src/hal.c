/* HAL core: argument checks common to all backends, then dispatch through the backend vtable.
 * Checks live here (not in each backend) so every device rejects a bad SA with the same error. */
#include <stdlib.h>

#include "hal_internal.h"

struct nicsec_hal_dev {
  const struct nicsec_hal_backend *backend;
  void *priv;
  struct nicsec_hal_caps caps;
};

enum nicsec_hal_err nicsec_hal_open(const char *backend, const char *args,
                                    struct nicsec_hal_dev **out) {
  if (!backend || !out)
    return NICSEC_HAL_E_INVAL;
  *out = NULL;
  const struct nicsec_hal_backend *b = nicsec_hal_find_backend(backend);
  if (!b)
    return NICSEC_HAL_E_NO_BACKEND;
  struct nicsec_hal_dev *dev = calloc(1, sizeof *dev);
  if (!dev)
    return NICSEC_HAL_E_NOMEM;
  dev->backend = b;
  enum nicsec_hal_err err = b->open(args ? args : "", &dev->priv, &dev->caps);
  if (err != NICSEC_HAL_OK) {
    free(dev);
    return err;
  }
  dev->caps.backend = b->name;
  *out = dev;
  return NICSEC_HAL_OK;
}

void nicsec_hal_close(struct nicsec_hal_dev *dev) {
  if (!dev)
    return;
  dev->backend->close(dev->priv);
  free(dev);
}

const struct nicsec_hal_caps *nicsec_hal_caps(const struct nicsec_hal_dev *dev) {
  return dev ? &dev->caps : NULL;
}

static bool same_addr(const struct nicsec_hal_addr *a, const struct nicsec_hal_addr *b) {
  size_t len = a->family == NICSEC_HAL_AF_INET ? 4 : 16;
  if (a->family != b->family)
    return false;
  for (size_t i = 0; i < len; i++)
    if (a->bytes[i] != b->bytes[i])
      return false;
  return true;
}

/* Inbound SAs collide on SPI alone (lookup is by SPI); outbound on (destination, SPI). */
static bool same_sa_key(const struct nicsec_hal_sa *a, const struct nicsec_hal_sa *b) {
  if (a->dir != b->dir || a->spi != b->spi)
    return false;
  return a->dir == NICSEC_HAL_DIR_IN || same_addr(&a->dst, &b->dst);
}

struct sa_order {
  enum nicsec_hal_dir dir;
  uint32_t spi;
  size_t index;
};

static int compare_sa_order(const void *pa, const void *pb) {
  const struct sa_order *a = pa, *b = pb;
  if (a->dir != b->dir)
    return a->dir < b->dir ? -1 : 1;
  if (a->spi != b->spi)
    return a->spi < b->spi ? -1 : 1;
  return a->index < b->index ? -1 : a->index > b->index;
}

/* Sets dup[i] when entry i repeats the key of an earlier entry. Sorting by (direction, SPI) keeps
 * this O(n log n): only entries of one run are compared, where the pairwise check over a batch of
 * 1024 made batched installs slower than one call per SA. */
static bool mark_duplicates(const struct nicsec_hal_sa *sas, size_t n, bool *dup) {
  struct sa_order *order = malloc(n * sizeof *order);
  if (!order)
    return false;
  for (size_t i = 0; i < n; i++)
    order[i] = (struct sa_order){sas[i].dir, sas[i].spi, i};
  qsort(order, n, sizeof *order, compare_sa_order);
  for (size_t run = 0; run < n;) {
    size_t end = run + 1;
    while (end < n && order[end].dir == order[run].dir && order[end].spi == order[run].spi)
      end++;
    for (size_t k = run + 1; k < end; k++)
      for (size_t j = run; j < k && !dup[order[k].index]; j++)
        dup[order[k].index] = same_sa_key(&sas[order[k].index], &sas[order[j].index]);
    run = end;
  }
  free(order);
  return true;
}

/* Checks every entry alone and against the earlier entries; returns the index of the first bad
 * one (n if all are good) with its error in *err. */
static size_t first_bad_entry(const struct nicsec_hal_caps *caps, const struct nicsec_hal_sa *sas,
                              size_t n, enum nicsec_hal_err *err) {
  if (n == 1) { /* the common single install: nothing to compare with */
    *err = nicsec_hal_sa_check(caps, &sas[0]);
    return *err == NICSEC_HAL_OK ? 1 : 0;
  }
  bool *dup = calloc(n, sizeof *dup);
  if (!dup || !mark_duplicates(sas, n, dup)) {
    free(dup);
    *err = NICSEC_HAL_E_NOMEM;
    return 0;
  }
  size_t bad = n;
  *err = NICSEC_HAL_OK;
  for (size_t i = 0; i < n && bad == n; i++) {
    *err = nicsec_hal_sa_check(caps, &sas[i]);
    if (*err == NICSEC_HAL_OK && dup[i])
      *err = NICSEC_HAL_E_DUPLICATE_SPI;
    if (*err != NICSEC_HAL_OK)
      bad = i;
  }
  free(dup);
  return bad;
}

enum nicsec_hal_err nicsec_hal_sa_add(struct nicsec_hal_dev *dev, const struct nicsec_hal_sa *sas,
                                      size_t n, nicsec_hal_sa_id *ids, enum nicsec_hal_err *errs) {
  if (!dev || !sas || !ids || n == 0)
    return NICSEC_HAL_E_INVAL;
  if (n > dev->caps.max_batch)
    return NICSEC_HAL_E_BATCH_TOO_LARGE;
  enum nicsec_hal_err local_errs_one;
  enum nicsec_hal_err *e = errs;
  if (!e) {
    e = n == 1 ? &local_errs_one : malloc(n * sizeof *e);
    if (!e)
      return NICSEC_HAL_E_NOMEM;
  }
  for (size_t i = 0; i < n; i++)
    e[i] = NICSEC_HAL_E_ABORTED;
  enum nicsec_hal_err err;
  size_t bad = first_bad_entry(&dev->caps, sas, n, &err);
  if (bad < n)
    e[bad] = err;
  else
    err = dev->backend->sa_add(dev->priv, sas, n, ids, e);
  if (err == NICSEC_HAL_OK)
    for (size_t i = 0; i < n; i++)
      e[i] = NICSEC_HAL_OK;
  if (e != errs && e != &local_errs_one)
    free(e);
  return err;
}

enum nicsec_hal_err nicsec_hal_sa_stop(struct nicsec_hal_dev *dev, nicsec_hal_sa_id id) {
  return dev ? dev->backend->sa_stop(dev->priv, id) : NICSEC_HAL_E_INVAL;
}

enum nicsec_hal_err nicsec_hal_sa_drain(struct nicsec_hal_dev *dev, nicsec_hal_sa_id id) {
  return dev ? dev->backend->sa_drain(dev->priv, id) : NICSEC_HAL_E_INVAL;
}

enum nicsec_hal_err nicsec_hal_sa_free(struct nicsec_hal_dev *dev, nicsec_hal_sa_id id) {
  return dev ? dev->backend->sa_free(dev->priv, id) : NICSEC_HAL_E_INVAL;
}

enum nicsec_hal_err nicsec_hal_sa_update(struct nicsec_hal_dev *dev, nicsec_hal_sa_id id,
                                         const struct nicsec_hal_sa_update *upd) {
  if (!dev || !upd || (upd->what & ~(uint32_t)(NICSEC_HAL_UPD_SEQ | NICSEC_HAL_UPD_LIMITS)))
    return NICSEC_HAL_E_INVAL;
  if ((upd->what & NICSEC_HAL_UPD_LIMITS) &&
      ((upd->limits.soft_packets && upd->limits.hard_packets &&
        upd->limits.soft_packets > upd->limits.hard_packets) ||
       (upd->limits.soft_bytes && upd->limits.hard_bytes &&
        upd->limits.soft_bytes > upd->limits.hard_bytes)))
    return NICSEC_HAL_E_LIFETIME;
  return dev->backend->sa_update(dev->priv, id, upd);
}

enum nicsec_hal_err nicsec_hal_sa_stats(struct nicsec_hal_dev *dev, nicsec_hal_sa_id id,
                                        struct nicsec_hal_sa_stats *out) {
  if (!dev || !out)
    return NICSEC_HAL_E_INVAL;
  return dev->backend->sa_stats(dev->priv, id, out);
}

enum nicsec_hal_err nicsec_hal_dev_drops(struct nicsec_hal_dev *dev,
                                         uint64_t drops[NICSEC_HAL_DROP__COUNT]) {
  if (!dev || !drops)
    return NICSEC_HAL_E_INVAL;
  return dev->backend->dev_drops(dev->priv, drops);
}

enum nicsec_hal_err nicsec_hal_dump(struct nicsec_hal_dev *dev, nicsec_hal_dump_fn fn, void *ctx) {
  if (!dev || !fn)
    return NICSEC_HAL_E_INVAL;
  return dev->backend->dump(dev->priv, fn, ctx);
}

enum nicsec_hal_err nicsec_hal_policy_add(struct nicsec_hal_dev *dev,
                                          const struct nicsec_hal_policy *pol,
                                          nicsec_hal_policy_id *id) {
  if (!dev || !pol || !id)
    return NICSEC_HAL_E_INVAL;
  if (!dev->backend->policy_add || !(dev->caps.offload_modes & NICSEC_HAL_OFFLOAD_PACKET))
    return NICSEC_HAL_E_NOT_SUPPORTED;
  bool dir_ok = pol->dir == NICSEC_HAL_DIR_IN || pol->dir == NICSEC_HAL_DIR_OUT;
  bool action_ok =
      pol->action >= NICSEC_HAL_POLICY_PROTECT && pol->action <= NICSEC_HAL_POLICY_DISCARD;
  if (!dir_ok || !action_ok)
    return NICSEC_HAL_E_INVAL;
  return dev->backend->policy_add(dev->priv, pol, id);
}

enum nicsec_hal_err nicsec_hal_policy_del(struct nicsec_hal_dev *dev, nicsec_hal_policy_id id) {
  if (!dev)
    return NICSEC_HAL_E_INVAL;
  if (!dev->backend->policy_del)
    return NICSEC_HAL_E_NOT_SUPPORTED;
  return dev->backend->policy_del(dev->priv, id);
}

enum nicsec_hal_err nicsec_hal_poll_events(struct nicsec_hal_dev *dev, struct nicsec_hal_event *evs,
                                           size_t max, size_t *n) {
  if (!dev || !n || (max && !evs))
    return NICSEC_HAL_E_INVAL;
  *n = 0;
  if (!dev->backend->poll_events)
    return NICSEC_HAL_E_NOT_SUPPORTED;
  return dev->backend->poll_events(dev->priv, evs, max, n);
}

enum nicsec_hal_err nicsec_hal_encap(struct nicsec_hal_dev *dev, nicsec_hal_sa_id id,
                                     const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
                                     size_t *out_len) {
  if (!dev || !in || !out || !out_len)
    return NICSEC_HAL_E_INVAL;
  if (!dev->backend->encap)
    return NICSEC_HAL_E_NOT_SUPPORTED;
  return dev->backend->encap(dev->priv, id, in, in_len, out, out_cap, out_len);
}

enum nicsec_hal_err nicsec_hal_decap(struct nicsec_hal_dev *dev, const uint8_t *in, size_t in_len,
                                     uint8_t *out, size_t out_cap, size_t *out_len,
                                     nicsec_hal_sa_id *sa) {
  if (!dev || !in || !out || !out_len)
    return NICSEC_HAL_E_INVAL;
  if (!dev->backend->decap)
    return NICSEC_HAL_E_NOT_SUPPORTED;
  return dev->backend->decap(dev->priv, in, in_len, out, out_cap, out_len, sa);
}

/* ---- datapath I/O ------------------------------------------------------------------------- */

enum { DP_DEFAULT_BUDGET = 64 };

enum nicsec_hal_err nicsec_hal_dp_fds(struct nicsec_hal_dev *dev, int *fds, size_t max, size_t *n) {
  if (!dev || !n || (max && !fds))
    return NICSEC_HAL_E_INVAL;
  *n = 0;
  if (!dev->backend->dp_fds)
    return NICSEC_HAL_E_NOT_SUPPORTED;
  return dev->backend->dp_fds(dev->priv, fds, max, n);
}

enum nicsec_hal_err nicsec_hal_dp_poll_in(struct nicsec_hal_dev *dev, int fd, size_t budget,
                                          size_t *done) {
  size_t local_done;
  if (!dev || fd < 0)
    return NICSEC_HAL_E_INVAL;
  if (!done)
    done = &local_done;
  *done = 0;
  if (!dev->backend->dp_poll_in)
    return NICSEC_HAL_E_NOT_SUPPORTED;
  return dev->backend->dp_poll_in(dev->priv, fd, budget ? budget : DP_DEFAULT_BUDGET, done);
}

enum nicsec_hal_err nicsec_hal_dp_attach_udp(struct nicsec_hal_dev *dev, int fd) {
  if (!dev || fd < 0)
    return NICSEC_HAL_E_INVAL;
  if (!dev->backend->dp_attach_udp)
    return NICSEC_HAL_E_NOT_SUPPORTED;
  return dev->backend->dp_attach_udp(dev->priv, fd);
}

enum nicsec_hal_err nicsec_hal_dp_deliver_udp(struct nicsec_hal_dev *dev, const uint8_t *data,
                                              size_t len, const struct nicsec_hal_endpoint *from,
                                              const struct nicsec_hal_endpoint *to) {
  if (!dev || (len && !data) || !from || !to)
    return NICSEC_HAL_E_INVAL;
  if (!dev->backend->dp_deliver_udp)
    return NICSEC_HAL_E_NOT_SUPPORTED;
  return dev->backend->dp_deliver_udp(dev->priv, data, len, from, to);
}

enum nicsec_hal_err nicsec_hal_dp_stats(struct nicsec_hal_dev *dev,
                                        struct nicsec_hal_dp_stats *out) {
  if (!dev || !out)
    return NICSEC_HAL_E_INVAL;
  if (!dev->backend->dp_stats)
    return NICSEC_HAL_E_NOT_SUPPORTED;
  return dev->backend->dp_stats(dev->priv, out);
}
