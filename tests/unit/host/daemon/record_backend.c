/* The "record" test backend. */
#include "record_backend.h"

#include <stdlib.h>
#include <string.h>

#include "nicsec/hal_backend.h"

static struct rec_device *devices[REC_MAX_DEVICES];
static size_t n_devices;

static enum nicsec_hal_err rec_open(const char *args, void **priv, struct nicsec_hal_caps *caps) {
  (void)args;
  if (n_devices == REC_MAX_DEVICES)
    return NICSEC_HAL_E_NOMEM;
  struct rec_device *d = calloc(1, sizeof *d);
  if (!d)
    return NICSEC_HAL_E_NOMEM;
  *caps = (struct nicsec_hal_caps){
      .offload_modes = NICSEC_HAL_OFFLOAD_CRYPTO,
      .algs = NICSEC_HAL_ALG_BIT(NICSEC_HAL_ALG_AES_GCM_128) |
              NICSEC_HAL_ALG_BIT(NICSEC_HAL_ALG_AES_GCM_256) |
              NICSEC_HAL_ALG_BIT(NICSEC_HAL_ALG_CHACHA20_POLY1305),
      .aes_gcm_icv = NICSEC_HAL_ICV_16,
      .modes = NICSEC_HAL_MODE_TUNNEL | NICSEC_HAL_MODE_TRANSPORT,
      .families = NICSEC_HAL_AF_INET | NICSEC_HAL_AF_INET6,
      .esn = true,
      .udp_encap = true,
      .replay_windows = {32, 64, 128},
      .n_replay_windows = 3,
      .max_sa_in = REC_MAX_SAS / 2,
      .max_sa_out = REC_MAX_SAS / 2,
      .spi_min = 0x1000,
      .spi_max = 0x1fff, /* a narrow window: the daemon must allocate inside it */
      .max_batch = 8,
  };
  devices[n_devices++] = d;
  *priv = d;
  return NICSEC_HAL_OK;
}

static void rec_close(void *priv) {
  for (size_t i = 0; i < n_devices; i++)
    if (devices[i] == priv)
      devices[i] = NULL; /* the test may still ask: it gets NULL */
  free(priv);
}

static struct rec_entry *find(struct rec_device *d, nicsec_hal_sa_id id) {
  for (size_t i = 0; i < REC_MAX_SAS; i++)
    if (d->entries[i].used && d->entries[i].id == id)
      return &d->entries[i];
  return NULL;
}

static enum nicsec_hal_err rec_add(void *priv, const struct nicsec_hal_sa *sas, size_t n,
                                   nicsec_hal_sa_id *ids, enum nicsec_hal_err *errs) {
  struct rec_device *d = priv;
  if (d->fail_next_add) {
    d->fail_next_add = false;
    errs[0] = NICSEC_HAL_E_TABLE_FULL;
    return NICSEC_HAL_E_TABLE_FULL;
  }
  size_t free_slots = 0;
  for (size_t i = 0; i < REC_MAX_SAS; i++)
    free_slots += !d->entries[i].used;
  if (free_slots < n) {
    errs[0] = NICSEC_HAL_E_TABLE_FULL;
    return NICSEC_HAL_E_TABLE_FULL;
  }
  for (size_t k = 0; k < n && d->n_history < REC_MAX_HISTORY; k++) {
    struct rec_added *a = &d->history[d->n_history++];
    *a = (struct rec_added){.dir = sas[k].dir, .spi = sas[k].spi, .key_len = sas[k].key_len};
    memcpy(a->key, sas[k].key, sizeof a->key);
    memcpy(a->salt, sas[k].salt, sizeof a->salt);
  }
  for (size_t k = 0, i = 0; k < n; i++) {
    if (d->entries[i].used)
      continue;
    d->entries[i] = (struct rec_entry){true, ++d->next_id, NICSEC_HAL_SA_ACTIVE, sas[k]};
    ids[k] = d->next_id;
    errs[k++] = NICSEC_HAL_OK;
  }
  d->adds += (unsigned)n;
  return NICSEC_HAL_OK;
}

static enum nicsec_hal_err rec_stop(void *priv, nicsec_hal_sa_id id) {
  struct rec_entry *e = find(priv, id);
  if (!e)
    return NICSEC_HAL_E_NO_SUCH_SA;
  e->state = NICSEC_HAL_SA_STOPPED;
  return NICSEC_HAL_OK;
}

static enum nicsec_hal_err rec_drain(void *priv, nicsec_hal_sa_id id) {
  struct rec_entry *e = find(priv, id);
  if (!e || e->state == NICSEC_HAL_SA_ACTIVE)
    return e ? NICSEC_HAL_E_SA_STATE : NICSEC_HAL_E_NO_SUCH_SA;
  e->state = NICSEC_HAL_SA_DRAINED;
  return NICSEC_HAL_OK;
}

static enum nicsec_hal_err rec_free(void *priv, nicsec_hal_sa_id id) {
  struct rec_device *d = priv;
  struct rec_entry *e = find(d, id);
  if (!e || e->state != NICSEC_HAL_SA_DRAINED)
    return e ? NICSEC_HAL_E_SA_STATE : NICSEC_HAL_E_NO_SUCH_SA;
  memset(e, 0, sizeof *e);
  d->frees++;
  return NICSEC_HAL_OK;
}

static enum nicsec_hal_err rec_update(void *priv, nicsec_hal_sa_id id,
                                      const struct nicsec_hal_sa_update *upd) {
  (void)upd;
  return find(priv, id) ? NICSEC_HAL_OK : NICSEC_HAL_E_NO_SUCH_SA;
}

static enum nicsec_hal_err rec_stats(void *priv, nicsec_hal_sa_id id,
                                     struct nicsec_hal_sa_stats *out) {
  memset(out, 0, sizeof *out);
  return find(priv, id) ? NICSEC_HAL_OK : NICSEC_HAL_E_NO_SUCH_SA;
}

static enum nicsec_hal_err rec_drops(void *priv, uint64_t drops[NICSEC_HAL_DROP__COUNT]) {
  (void)priv;
  memset(drops, 0, sizeof(uint64_t) * NICSEC_HAL_DROP__COUNT);
  return NICSEC_HAL_OK;
}

static enum nicsec_hal_err rec_dump(void *priv, nicsec_hal_dump_fn fn, void *ctx) {
  struct rec_device *d = priv;
  for (size_t i = 0; i < REC_MAX_SAS; i++) {
    if (!d->entries[i].used)
      continue;
    struct nicsec_hal_sa_info info = {.id = d->entries[i].id, .state = d->entries[i].state,
                                      .offloaded = true, .sa = d->entries[i].sa};
    memset(info.sa.key, 0, sizeof info.sa.key);
    memset(info.sa.salt, 0, sizeof info.sa.salt);
    if (fn(&info, ctx))
      break;
  }
  return NICSEC_HAL_OK;
}

static enum nicsec_hal_err rec_poll(void *priv, struct nicsec_hal_event *evs, size_t max,
                                    size_t *n) {
  struct rec_device *d = priv;
  *n = d->n_events < max ? d->n_events : max;
  memcpy(evs, d->events, *n * sizeof *evs);
  memmove(d->events, d->events + *n, (d->n_events - *n) * sizeof *evs);
  d->n_events -= *n;
  return NICSEC_HAL_OK;
}

static const struct nicsec_hal_backend rec_backend = {
    .name = "record",
    .open = rec_open,
    .close = rec_close,
    .sa_add = rec_add,
    .sa_stop = rec_stop,
    .sa_drain = rec_drain,
    .sa_free = rec_free,
    .sa_update = rec_update,
    .sa_stats = rec_stats,
    .dev_drops = rec_drops,
    .dump = rec_dump,
    .poll_events = rec_poll,
};

void rec_register(void) {
  (void)nicsec_hal_register(&rec_backend); /* BACKEND_EXISTS on the second call is fine */
}

struct rec_device *rec_device(size_t index) {
  return index < n_devices ? devices[index] : NULL;
}

void rec_reset(void) {
  n_devices = 0;
}

size_t rec_active(const struct rec_device *d, enum nicsec_hal_dir dir, const struct rec_entry **out,
                  size_t max) {
  size_t n = 0;
  for (size_t i = 0; i < REC_MAX_SAS && n < max; i++)
    if (d->entries[i].used && d->entries[i].state == NICSEC_HAL_SA_ACTIVE &&
        d->entries[i].sa.dir == dir)
      out[n++] = &d->entries[i];
  return n;
}

size_t rec_held(const struct rec_device *d) {
  size_t n = 0;
  for (size_t i = 0; i < REC_MAX_SAS; i++)
    n += d->entries[i].used;
  return n;
}

bool rec_inject_event(struct rec_device *d, enum nicsec_hal_event_type type, nicsec_hal_sa_id id) {
  struct rec_entry *e = find(d, id);
  if (!e || d->n_events == REC_MAX_EVENTS)
    return false;
  d->events[d->n_events++] = (struct nicsec_hal_event){
      .type = type, .sa = id, .dir = e->sa.dir, .spi = e->sa.spi, .reqid = e->sa.reqid};
  return true;
}
