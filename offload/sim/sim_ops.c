/* The "sim" backend's reading half and datapath: stats from the engine's per-SA counters, dump,
 * events from the engine's event FIFO, and encap/decap through the engine's packet ports. */
#include <string.h>
#include <time.h>

#include "nicsec_regs.h"
#include "sim_hal.h"

/* ---- stats -------------------------------------------------------------------------------- */

enum nicsec_hal_err sim_sa_fill_stats(struct sim_hal_dev *d, struct sim_sa *s,
                                      enum nicsec_hal_dir dir, uint32_t slot,
                                      struct nicsec_hal_sa_stats *out) {
  struct sim_sa_state hw = s->frozen;
  if (s->state == NICSEC_HAL_SA_ACTIVE || s->engine_stop_pending) {
    enum nicsec_hal_err err = sim_sa_read(d->sim, dir, slot, &hw);
    if (err)
      return err;
  }
  memset(out, 0, sizeof *out);
  memcpy(out->drops, s->drops, sizeof out->drops);
  out->packets = hw.packets;
  out->bytes = hw.bytes;
  /* Replay and ICV failures are the engine's own per-SA counters. */
  out->replay_drops = out->drops[NICSEC_HAL_DROP_REPLAY] = hw.replay_drops;
  out->auth_failures = out->drops[NICSEC_HAL_DROP_AUTH] = hw.auth_fails;
  out->seq = hw.seq;
  out->replay_seen = dir == NICSEC_HAL_DIR_IN ? hw.window_seen : 0;
  out->last_use_s = s->last_use_s;
  return NICSEC_HAL_OK;
}

enum nicsec_hal_err sim_op_stats(void *priv, nicsec_hal_sa_id id, struct nicsec_hal_sa_stats *out) {
  struct sim_hal_dev *d = priv;
  pthread_mutex_lock(&d->lock);
  enum nicsec_hal_dir dir;
  uint32_t slot;
  struct sim_sa *s = sim_sa_by_id(d, id, &dir, &slot);
  enum nicsec_hal_err err = s ? sim_sa_fill_stats(d, s, dir, slot, out) : NICSEC_HAL_E_NO_SUCH_SA;
  pthread_mutex_unlock(&d->lock);
  return err;
}

enum nicsec_hal_err sim_op_dev_drops(void *priv, uint64_t drops[NICSEC_HAL_DROP__COUNT]) {
  struct sim_hal_dev *d = priv;
  pthread_mutex_lock(&d->lock);
  memcpy(drops, d->dev_drops, sizeof d->dev_drops);
  pthread_mutex_unlock(&d->lock);
  return NICSEC_HAL_OK;
}

/* ---- dump --------------------------------------------------------------------------------- */

/* Returns non-zero when fn asked to stop, -1 on an engine error. */
static int dump_table(struct sim_hal_dev *d, enum nicsec_hal_dir dir, nicsec_hal_dump_fn fn,
                      void *ctx) {
  struct sim_sa *table = dir == NICSEC_HAL_DIR_IN ? d->in : d->out;
  for (uint32_t i = 0; i < d->info.sa_depth; i++) {
    struct sim_sa *s = &table[i];
    if (!s->id)
      continue;
    struct nicsec_hal_sa_info info = {.id = s->id, .state = s->state, .offloaded = true,
                                      .sa = s->desc};
    memset(info.sa.key, 0, sizeof info.sa.key);
    memset(info.sa.salt, 0, sizeof info.sa.salt);
    if (sim_sa_fill_stats(d, s, dir, i, &info.stats))
      return -1;
    if (fn(&info, ctx))
      return 1;
  }
  return 0;
}

enum nicsec_hal_err sim_op_dump(void *priv, nicsec_hal_dump_fn fn, void *ctx) {
  struct sim_hal_dev *d = priv;
  pthread_mutex_lock(&d->lock);
  int rc = dump_table(d, NICSEC_HAL_DIR_IN, fn, ctx);
  if (rc == 0)
    rc = dump_table(d, NICSEC_HAL_DIR_OUT, fn, ctx);
  pthread_mutex_unlock(&d->lock);
  return rc < 0 ? NICSEC_HAL_E_DEVICE : NICSEC_HAL_OK;
}

/* ---- events ------------------------------------------------------------------------------- */

static const struct {
  uint32_t hw;
  enum nicsec_hal_event_type hal;
} event_map[] = {
    {NICSEC_EVENT_TYPE_SOFT_PACKETS, NICSEC_HAL_EV_SOFT_PACKETS},
    {NICSEC_EVENT_TYPE_HARD_PACKETS, NICSEC_HAL_EV_HARD_PACKETS},
    {NICSEC_EVENT_TYPE_SOFT_BYTES, NICSEC_HAL_EV_SOFT_BYTES},
    {NICSEC_EVENT_TYPE_HARD_BYTES, NICSEC_HAL_EV_HARD_BYTES},
    {NICSEC_EVENT_TYPE_ESN_WRAP, NICSEC_HAL_EV_ESN_WRAP},
    {NICSEC_EVENT_TYPE_SN_EXHAUSTED, NICSEC_HAL_EV_SN_EXHAUSTED},
};

/* The HAL event for an engine event; false when its SA is gone (freed since) or the type is
 * unknown to this driver. */
static bool translate_event(struct sim_hal_dev *d, const struct sim_event *ev,
                            struct nicsec_hal_event *out) {
  if (ev->slot >= d->info.sa_depth)
    return false;
  const struct sim_sa *s = ev->inbound ? &d->in[ev->slot] : &d->out[ev->slot];
  if (!s->id)
    return false;
  for (size_t i = 0; i < sizeof event_map / sizeof event_map[0]; i++) {
    if (event_map[i].hw != ev->type)
      continue;
    *out = (struct nicsec_hal_event){.type = event_map[i].hal, .sa = s->id,
                                     .dir = s->desc.dir, .spi = s->desc.spi,
                                     .reqid = s->desc.reqid, .value = ev->value};
    return true;
  }
  return false;
}

/* Queues an event for the caller, or into the carry slot when the caller's array is full. */
static void deliver(struct sim_hal_dev *d, const struct nicsec_hal_event *ev,
                    struct nicsec_hal_event *evs, size_t max, size_t *n) {
  if (*n < max) {
    evs[(*n)++] = *ev;
  } else {
    d->carry = *ev;
    d->has_carry = true;
  }
}

enum nicsec_hal_err sim_op_poll_events(void *priv, struct nicsec_hal_event *evs, size_t max,
                                       size_t *n) {
  struct sim_hal_dev *d = priv;
  enum nicsec_hal_err err = NICSEC_HAL_OK;
  pthread_mutex_lock(&d->lock);
  if (d->has_carry && *n < max) {
    evs[(*n)++] = d->carry;
    d->has_carry = false;
  }
  /* At most one popped event can overflow into the carry slot; stop before a second could. */
  while (*n < max && !d->has_carry) {
    struct sim_event ev;
    int got = sim_event_pop(d->sim, &ev);
    if (got < 0)
      err = NICSEC_HAL_E_DEVICE;
    if (got <= 0)
      break;
    struct nicsec_hal_event hal;
    if (ev.lost) {
      hal = (struct nicsec_hal_event){.type = NICSEC_HAL_EV_OVERFLOW};
      deliver(d, &hal, evs, max, n);
    }
    if (translate_event(d, &ev, &hal))
      deliver(d, &hal, evs, max, n);
  }
  pthread_mutex_unlock(&d->lock);
  return err;
}

/* ---- datapath ----------------------------------------------------------------------------- */

static uint64_t now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec;
}

static enum nicsec_hal_drop drop_of(enum nicsec_hal_err err) {
  switch (err) {
  case NICSEC_HAL_E_PKT_MALFORMED: return NICSEC_HAL_DROP_MALFORMED;
  case NICSEC_HAL_E_PKT_UNSUPPORTED: return NICSEC_HAL_DROP_UNSUPPORTED;
  case NICSEC_HAL_E_PKT_REPLAY: return NICSEC_HAL_DROP_REPLAY;
  case NICSEC_HAL_E_PKT_AUTH: return NICSEC_HAL_DROP_AUTH;
  case NICSEC_HAL_E_PKT_TRAILER: return NICSEC_HAL_DROP_TRAILER;
  case NICSEC_HAL_E_PKT_DUMMY: return NICSEC_HAL_DROP_DUMMY;
  case NICSEC_HAL_E_PKT_POLICY: return NICSEC_HAL_DROP_POLICY;
  case NICSEC_HAL_E_PKT_EXPIRED: return NICSEC_HAL_DROP_EXPIRED;
  case NICSEC_HAL_E_PKT_SN_EXHAUSTED: return NICSEC_HAL_DROP_SN_EXHAUSTED;
  case NICSEC_HAL_E_PKT_TOO_BIG: return NICSEC_HAL_DROP_TOO_BIG;
  default: return NICSEC_HAL_DROP_NO_SA;
  }
}

/* Counts a refused packet for an SA; replay and ICV failures the engine counts itself. */
static void count_sa_drop(struct sim_sa *s, enum nicsec_hal_err err) {
  if (err != NICSEC_HAL_E_PKT_REPLAY && err != NICSEC_HAL_E_PKT_AUTH)
    s->drops[drop_of(err)]++;
}

static enum nicsec_hal_err encap_locked(struct sim_hal_dev *d, struct sim_sa *s, uint32_t slot,
                                        const uint8_t *in, size_t in_len, uint8_t *out,
                                        size_t out_cap, size_t *out_len) {
  uint8_t code = 0;
  enum nicsec_hal_err err = NICSEC_HAL_E_PKT_NO_SA; /* stopped: not handed to the engine */
  if (s->state == NICSEC_HAL_SA_ACTIVE && (in_len == 0 || in_len > NICSIM_MAX_PKT))
    err = NICSEC_HAL_E_PKT_MALFORMED;
  else if (s->state == NICSEC_HAL_SA_ACTIVE) {
    err = sim_egress_one(d->sim, slot, in, in_len, out, out_cap, out_len, &code);
    if (!err)
      err = sim_status_err(code);
  }
  if (err == NICSEC_HAL_OK)
    s->last_use_s = now_s();
  else if (err != NICSEC_HAL_E_DEVICE)
    count_sa_drop(s, err);
  return err;
}

enum nicsec_hal_err sim_op_encap(void *priv, nicsec_hal_sa_id id, const uint8_t *in,
                                 size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len) {
  struct sim_hal_dev *d = priv;
  if (d->attached)
    return NICSEC_HAL_E_NOT_SUPPORTED; /* packets flow through nicsim's own ports */
  pthread_mutex_lock(&d->lock);
  enum nicsec_hal_dir dir;
  uint32_t slot;
  struct sim_sa *s = sim_sa_by_id(d, id, &dir, &slot);
  enum nicsec_hal_err err = NICSEC_HAL_E_NO_SUCH_SA;
  if (s && dir != NICSEC_HAL_DIR_OUT)
    err = NICSEC_HAL_E_INVAL;
  else if (s)
    err = encap_locked(d, s, slot, in, in_len, out, out_cap, out_len);
  pthread_mutex_unlock(&d->lock);
  return err;
}

/* Verdicts only an SA's processing can give are that SA's; the rest (no SA, bad outer headers)
 * are the device's. NOT_ESP is the host's packet and is not counted. */
static bool sa_verdict(enum nicsec_hal_err err) {
  return err == NICSEC_HAL_OK || err == NICSEC_HAL_E_PKT_REPLAY || err == NICSEC_HAL_E_PKT_AUTH ||
         err == NICSEC_HAL_E_PKT_TRAILER || err == NICSEC_HAL_E_PKT_DUMMY ||
         err == NICSEC_HAL_E_PKT_EXPIRED || err == NICSEC_HAL_E_PKT_TOO_BIG;
}

static enum nicsec_hal_err decap_locked(struct sim_hal_dev *d, const uint8_t *in, size_t in_len,
                                        uint8_t *out, size_t out_cap, size_t *out_len,
                                        nicsec_hal_sa_id *sa) {
  if (in_len == 0 || in_len > NICSIM_MAX_PKT) {
    d->dev_drops[NICSEC_HAL_DROP_MALFORMED]++;
    return NICSEC_HAL_E_PKT_MALFORMED;
  }
  uint8_t code = 0;
  uint32_t slot = 0;
  enum nicsec_hal_err err = sim_ingress_one(d->sim, in, in_len, out, out_cap, out_len, &code,
                                            &slot);
  if (err == NICSEC_HAL_E_DEVICE)
    return err;
  if (!err)
    err = sim_status_err(code);
  struct sim_sa *s = slot < d->info.sa_depth && d->in[slot].id ? &d->in[slot] : NULL;
  if (err == NICSEC_HAL_E_PKT_NOT_ESP)
    return err;
  if (!s && err == NICSEC_HAL_OK)
    return NICSEC_HAL_E_DEVICE; /* the engine decrypted for a slot this driver never filled */
  if (!s || !sa_verdict(err)) {
    d->dev_drops[drop_of(err)]++;
    return err;
  }
  if (err == NICSEC_HAL_OK) {
    s->last_use_s = now_s();
    if (sa)
      *sa = s->id;
  } else {
    count_sa_drop(s, err);
  }
  return err;
}

enum nicsec_hal_err sim_op_decap(void *priv, const uint8_t *in, size_t in_len, uint8_t *out,
                                 size_t out_cap, size_t *out_len, nicsec_hal_sa_id *sa) {
  struct sim_hal_dev *d = priv;
  if (d->attached)
    return NICSEC_HAL_E_NOT_SUPPORTED;
  pthread_mutex_lock(&d->lock);
  enum nicsec_hal_err err = decap_locked(d, in, in_len, out, out_cap, out_len, sa);
  pthread_mutex_unlock(&d->lock);
  return err;
}
