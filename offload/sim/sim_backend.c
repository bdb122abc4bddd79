/* The "sim" backend's device lifecycle: open (capabilities read from the engine), transactional
 * batch add, the three-phase delete with a zeroization check, updates, close. */
#include "sim_backend.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "nicsec_regs.h"
#include "sim_desc.h"
#include "sim_hal.h"

enum {
  SIM_MAX_BATCH = 256,
  SIM_SPI_FIRST = 256, /* RFC 4303: SPIs below are reserved */
  SIM_MIN_WINDOW = 32, /* RFC 4303 3.4.3 minimum; the engine's bitmap also starts there */
  ATTACH_NAME_MAX = 64,
  DRAIN_STEP_CYCLES = 64,
  /* Longest an attached outbound SA stays active after its stop for packets nicsim queued for
   * it (the caller is not held meanwhile; a stuck nicsim must not keep it forever). */
  STOP_QUEUE_WAIT_MS = 5000,
  /* More than a full engine input queue of 9,000 B packets needs at 16 B/cycle (a stopped SA's
   * packet may sit behind all of them). */
  DRAIN_BOUND_CYCLES = 1 << 16,
};

#define GET(reg_field, v) (((v) & NICSEC_##reg_field##_MASK) >> NICSEC_##reg_field##_LSB)

struct sim_args {
  bool has_spi_base;
  uint32_t spi_base;
  char attach[ATTACH_NAME_MAX + 1]; /* "" = create an engine in this process */
};

/* ---- options ------------------------------------------------------------------------------ */

static bool parse_u32(const char *text, size_t len, uint32_t *out) {
  char buf[16];
  if (len == 0 || len >= sizeof buf)
    return false;
  memcpy(buf, text, len);
  buf[len] = '\0';
  char *end = NULL;
  errno = 0;
  unsigned long long v = strtoull(buf, &end, 0);
  if (errno || *end || buf[0] == '-' || v > UINT32_MAX)
    return false;
  *out = (uint32_t)v;
  return true;
}

static bool shm_name_ok(const char *text, size_t len) {
  if (len == 0 || len > ATTACH_NAME_MAX)
    return false;
  for (size_t i = 0; i < len; i++) {
    char c = text[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok)
      return false;
  }
  return true;
}

/* One "key=value" token of len octets. */
static bool parse_option(const char *tok, size_t len, struct sim_args *a) {
  const char *eq = memchr(tok, '=', len);
  if (!eq)
    return false;
  size_t klen = (size_t)(eq - tok), vlen = len - klen - 1;
  if (klen == 8 && memcmp(tok, "spi_base", 8) == 0) {
    a->has_spi_base = parse_u32(eq + 1, vlen, &a->spi_base) && a->spi_base >= SIM_SPI_FIRST;
    return a->has_spi_base;
  }
  if (klen == 6 && memcmp(tok, "attach", 6) == 0 && shm_name_ok(eq + 1, vlen)) {
    memcpy(a->attach, eq + 1, vlen);
    a->attach[vlen] = '\0';
    return true;
  }
  return false;
}

static enum nicsec_hal_err parse_args(const char *args, struct sim_args *a) {
  memset(a, 0, sizeof *a);
  for (const char *p = args; *p;) {
    size_t len = strcspn(p, ",");
    if (!parse_option(p, len, a))
      return NICSEC_HAL_E_INVAL;
    p += len;
    if (*p == ',')
      p++;
  }
  return NICSEC_HAL_OK;
}

/* ---- capabilities ------------------------------------------------------------------------- */

/* Everything comes from CAPS / FEATURES / IN_SPI_BASE, never from what this file assumes. The
 * engine builds headers, numbers packets, checks replay and counts lifetimes, so it is a packet
 * offload device. Its TX steering table is filled from the outbound SAs' selectors
 * (sim_steer.c); HAL policies are not mapped onto it, hence no policies. */
static void fill_caps(const struct sim_hal_dev *d, struct nicsec_hal_caps *c) {
  uint32_t f = d->info.features;
  memset(c, 0, sizeof *c);
  c->offload_modes = NICSEC_HAL_OFFLOAD_PACKET;
  c->algs = NICSEC_HAL_ALG_BIT(NICSEC_HAL_ALG_AES_GCM_128);
  if (f & NICSEC_FEATURES_AES256_MASK)
    c->algs |= NICSEC_HAL_ALG_BIT(NICSEC_HAL_ALG_AES_GCM_256);
  c->aes_gcm_icv = ((f & NICSEC_FEATURES_ICV8_MASK) ? NICSEC_HAL_ICV_8 : 0) |
                   ((f & NICSEC_FEATURES_ICV12_MASK) ? NICSEC_HAL_ICV_12 : 0) |
                   ((f & NICSEC_FEATURES_ICV16_MASK) ? NICSEC_HAL_ICV_16 : 0);
  c->modes = ((f & NICSEC_FEATURES_TUNNEL_MASK) ? NICSEC_HAL_MODE_TUNNEL : 0) |
             ((f & NICSEC_FEATURES_TRANSPORT_MASK) ? NICSEC_HAL_MODE_TRANSPORT : 0);
  c->families = NICSEC_HAL_AF_INET |
                ((f & NICSEC_FEATURES_OUTER_IPV6_MASK) ? NICSEC_HAL_AF_INET6 : 0);
  c->esn = f & NICSEC_FEATURES_ESN_MASK;
  c->udp_encap = f & NICSEC_FEATURES_UDP_ENCAP_MASK;
  c->replay_disable = false; /* the engine always checks a window */
  for (uint32_t w = SIM_MIN_WINDOW; w <= d->info.max_window &&
                                    c->n_replay_windows < NICSEC_HAL_MAX_WINDOW_SIZES;
       w *= 2)
    c->replay_windows[c->n_replay_windows++] = (uint16_t)w;
  c->max_sa_in = c->max_sa_out = d->info.sa_depth;
  c->spi_min = d->spi_base;
  c->spi_max = d->spi_base + (d->info.sa_depth - 1);
  c->hw_lifetime_packets = c->hw_lifetime_bytes = true; /* the engine counts both per packet */
  c->max_batch = SIM_MAX_BATCH;
  c->stats_freshness_ms = 0; /* read from the engine on every call */
  c->host_datapath = !d->attached;
}

/* ---- open / close ------------------------------------------------------------------------- */

static enum nicsec_hal_err setup_engine(struct sim_hal_dev *d, const struct sim_args *a) {
  enum nicsec_hal_err err = sim_dev_probe(d->sim, &d->info);
  if (err)
    return err;
  if (d->info.sa_depth > SIM_MAX_DEPTH || d->info.max_window < SIM_MIN_WINDOW)
    return NICSEC_HAL_E_DEVICE;
  if (a->has_spi_base &&
      nicsim_mmio_write32(d->sim, NICSEC_REG_IN_SPI_BASE, a->spi_base) != NICSIM_OK)
    return NICSEC_HAL_E_DEVICE;
  if (nicsim_mmio_read32(d->sim, NICSEC_REG_IN_SPI_BASE, &d->spi_base) != NICSIM_OK ||
      d->spi_base < SIM_SPI_FIRST || d->spi_base > UINT32_MAX - (d->info.sa_depth - 1))
    return NICSEC_HAL_E_DEVICE;
  if (nicsim_mmio_write32(d->sim, NICSEC_REG_CONTROL, NICSEC_CONTROL_ENABLE_MASK) != NICSIM_OK)
    return NICSEC_HAL_E_DEVICE;
  err = sim_steer_init(d->sim, &d->info, &d->steer);
  if (err)
    return err;
  d->in = calloc(d->info.sa_depth, sizeof *d->in);
  d->out = calloc(d->info.sa_depth, sizeof *d->out);
  return d->in && d->out ? NICSEC_HAL_OK : NICSEC_HAL_E_NOMEM;
}

static void wipe_sa(struct sim_sa *s) { OPENSSL_cleanse(s, sizeof *s); }
static enum nicsec_hal_err steer_out(struct sim_hal_dev *d, const struct nicsec_hal_sa *sa,
                                     uint32_t slot, bool on);

static void destroy_dev(struct sim_hal_dev *d) {
  for (uint32_t i = 0; d->in && d->out && i < d->info.sa_depth; i++) {
    /* The contract of close: every SA freed and its key erased, in the engine too. */
    if (d->in[i].id)
      (void)sim_sa_delete(d->sim, NICSEC_HAL_DIR_IN, i);
    if (d->out[i].id) {
      (void)steer_out(d, &d->out[i].desc, i, false);
      (void)sim_sa_delete(d->sim, NICSEC_HAL_DIR_OUT, i);
    }
    wipe_sa(&d->in[i]);
    wipe_sa(&d->out[i]);
  }
  free(d->in);
  free(d->out);
  if (d->sim)
    nicsim_destroy(d->sim);
  pthread_mutex_destroy(&d->lock);
  free(d);
}

static enum nicsec_hal_err sim_open(const char *args, void **priv, struct nicsec_hal_caps *caps) {
  struct sim_args a;
  enum nicsec_hal_err err = parse_args(args, &a);
  if (err)
    return err;
  struct sim_hal_dev *d = calloc(1, sizeof *d);
  if (!d)
    return NICSEC_HAL_E_NOMEM;
  pthread_mutex_init(&d->lock, NULL);
  d->attached = a.attach[0] != '\0';
  d->sim = d->attached ? nicsim_attach(a.attach) : nicsim_create();
  d->next_serial = 1;
  err = d->sim ? setup_engine(d, &a) : NICSEC_HAL_E_DEVICE;
  if (err) {
    destroy_dev(d);
    return err;
  }
  fill_caps(d, caps);
  *priv = d;
  return NICSEC_HAL_OK;
}

static void sim_close(void *priv) { destroy_dev(priv); }

/* ---- lookup ------------------------------------------------------------------------------- */

struct sim_sa *sim_sa_by_id(struct sim_hal_dev *d, nicsec_hal_sa_id id, enum nicsec_hal_dir *dir,
                            uint32_t *slot) {
  uint32_t idx = (uint32_t)(id & (SIM_MAX_DEPTH - 1));
  bool inbound = (id >> SIM_ID_DIR_SHIFT) & 1;
  if (id == 0 || idx >= d->info.sa_depth)
    return NULL;
  struct sim_sa *s = inbound ? &d->in[idx] : &d->out[idx];
  if (s->id != id)
    return NULL;
  *dir = inbound ? NICSEC_HAL_DIR_IN : NICSEC_HAL_DIR_OUT;
  *slot = idx;
  return s;
}

static bool same_dst(const struct nicsec_hal_sa *a, const struct nicsec_hal_sa *b) {
  return a->dst.family == b->dst.family && memcmp(a->dst.bytes, b->dst.bytes, 16) == 0;
}

/* ---- batch add ---------------------------------------------------------------------------- */

/* An outbound SA collides with an installed one of the same (destination, SPI). */
static bool out_duplicate(const struct sim_hal_dev *d, const struct nicsec_hal_sa *sa) {
  for (uint32_t i = 0; i < d->info.sa_depth; i++)
    if (d->out[i].id && d->out[i].desc.spi == sa->spi && same_dst(&d->out[i].desc, sa))
      return true;
  return false;
}

/* Picks a slot for every entry without touching the engine; the first entry that cannot have
 * one gets its error. reserved[] marks outbound slots taken by earlier entries of the batch. */
static size_t plan_slots(struct sim_hal_dev *d, const struct nicsec_hal_sa *sas, size_t n,
                         uint32_t *slots, bool *reserved, enum nicsec_hal_err *err) {
  uint32_t next_free = 0;
  for (size_t i = 0; i < n; i++) {
    const struct nicsec_hal_sa *sa = &sas[i];
    if (sa->dir == NICSEC_HAL_DIR_IN) {
      slots[i] = sa->spi - d->spi_base; /* the core checked the SPI window */
      *err = d->in[slots[i]].id ? NICSEC_HAL_E_DUPLICATE_SPI : NICSEC_HAL_OK;
    } else if (out_duplicate(d, sa)) {
      *err = NICSEC_HAL_E_DUPLICATE_SPI;
    } else {
      while (next_free < d->info.sa_depth && (d->out[next_free].id || reserved[next_free]))
        next_free++;
      *err = next_free < d->info.sa_depth ? NICSEC_HAL_OK : NICSEC_HAL_E_TABLE_FULL;
      if (!*err) {
        slots[i] = next_free;
        reserved[next_free] = true;
      }
    }
    if (*err)
      return i;
  }
  return n;
}

/* An outbound SA's selector goes into the engine's TX steering table (sim_steer.c): plaintext
 * the host sends for a lookup (nicsim's TAP traffic, attached) finds the SA there. An engine
 * without the table still does crypto offload in process (the slot as TX metadata). */
static enum nicsec_hal_err steer_out(struct sim_hal_dev *d, const struct nicsec_hal_sa *sa,
                                     uint32_t slot, bool on) {
  if (sa->dir != NICSEC_HAL_DIR_OUT || !sa->has_sel)
    return NICSEC_HAL_OK;
  if (!d->steer.depth)
    return d->attached ? NICSEC_HAL_E_UNSUPPORTED_OFFLOAD : NICSEC_HAL_OK;
  return on ? sim_steer_add(d->sim, &d->steer, &sa->sel, slot)
            : sim_steer_remove(d->sim, &d->steer, slot);
}

/* Takes entries 0..upto back out: steering off, slot deleted (keys zeroized). */
static void uninstall(struct sim_hal_dev *d, const struct nicsec_hal_sa *sas,
                      const uint32_t *slots, size_t upto) {
  for (size_t j = 0; j <= upto; j++) {
    (void)steer_out(d, &sas[j], slots[j], false);
    (void)sim_sa_delete(d->sim, sas[j].dir, slots[j]);
  }
}

/* Installs the planned entries: one SA descriptor each through the engine's descriptor ring
 * when it has one (the whole batch behind one doorbell), else one mailbox command each. Then
 * steers the outbound ones. On a failure every entry is deleted (zeroized) again. */
static size_t install_all(struct sim_hal_dev *d, const struct nicsec_hal_sa *sas, size_t n,
                          const uint32_t *slots, enum nicsec_hal_err *err) {
  bool by_ring = d->info.features & NICSEC_FEATURES_SA_DESC_MASK;
  if (by_ring) {
    size_t in = sim_desc_install_batch(d->sim, d->attached, sas, n, slots, err);
    if (in < n)
      return in; /* the batch deleted itself */
  }
  for (size_t i = 0; i < n; i++) {
    *err = by_ring ? NICSEC_HAL_OK : sim_sa_install(d->sim, slots[i], &sas[i], true);
    if (!*err)
      *err = steer_out(d, &sas[i], slots[i], true);
    if (*err) {
      uninstall(d, sas, slots, by_ring ? n - 1 : i);
      return i;
    }
  }
  return n;
}

static void commit(struct sim_hal_dev *d, const struct nicsec_hal_sa *sa, uint32_t slot,
                   nicsec_hal_sa_id *id) {
  bool inbound = sa->dir == NICSEC_HAL_DIR_IN;
  struct sim_sa *s = inbound ? &d->in[slot] : &d->out[slot];
  memset(s, 0, sizeof *s);
  s->desc = *sa;
  if (d->info.has_stop) /* nothing needs the key again: STOP does not re-install */
    OPENSSL_cleanse(s->desc.key, sizeof s->desc.key);
  s->state = NICSEC_HAL_SA_ACTIVE;
  s->id = d->next_serial++ << SIM_ID_SERIAL_SHIFT | (uint64_t)inbound << SIM_ID_DIR_SHIFT | slot;
  if (!inbound)
    d->n_out++;
  *id = s->id;
}

static enum nicsec_hal_err sim_sa_add(void *priv, const struct nicsec_hal_sa *sas, size_t n,
                                      nicsec_hal_sa_id *ids, enum nicsec_hal_err *errs) {
  struct sim_hal_dev *d = priv;
  uint32_t *slots = calloc(n, sizeof *slots);
  bool *reserved = calloc(d->info.sa_depth, sizeof *reserved);
  enum nicsec_hal_err err = NICSEC_HAL_E_NOMEM;
  if (slots && reserved) {
    pthread_mutex_lock(&d->lock);
    size_t bad = plan_slots(d, sas, n, slots, reserved, &err);
    if (bad == n)
      bad = install_all(d, sas, n, slots, &err);
    if (bad < n)
      errs[bad] = err;
    for (size_t i = 0; bad == n && i < n; i++)
      commit(d, &sas[i], slots[i], &ids[i]);
    pthread_mutex_unlock(&d->lock);
  }
  free(slots);
  free(reserved);
  return err;
}

/* ---- three-phase delete ------------------------------------------------------------------- */

typedef enum nicsec_hal_err (*slot_op)(struct sim_hal_dev *d, struct sim_sa *s,
                                       enum nicsec_hal_dir dir, uint32_t slot, const void *arg);

static enum nicsec_hal_err with_sa(struct sim_hal_dev *d, nicsec_hal_sa_id id, slot_op op,
                                   const void *arg) {
  pthread_mutex_lock(&d->lock);
  enum nicsec_hal_dir dir;
  uint32_t slot;
  struct sim_sa *s = sim_sa_by_id(d, id, &dir, &slot);
  enum nicsec_hal_err err = s ? op(d, s, dir, slot, arg) : NICSEC_HAL_E_NO_SUCH_SA;
  pthread_mutex_unlock(&d->lock);
  return err;
}

/* Attached, plaintext nicsim already steered to an outbound SA waits in its queue in front of
 * the engine, and the engine refuses a stopped SA's packets. So an attached outbound stop only
 * removes the steering entry at once; the engine keeps the SA active until (1) the nicsim loop
 * has gone round twice, so its classifier has seen the removal, and (2) the TX completions have
 * reached the count of packets pushed by then: everything steered to the SA is through. Waiting
 * for the whole engine to empty instead would stall a rekey behind unrelated traffic. The
 * caller is not held: drain answers BUSY until then (bounded by STOP_QUEUE_WAIT_MS). */
static bool outbound_queue_passed(struct sim_hal_dev *d, struct sim_sa *s) {
  struct nicsim_tx_progress p;
  nicsim_tx_progress(d->sim, &p);
  if (!s->tx_mark_taken) {
    if (p.loops < s->stop_loops_mark)
      return false;
    s->stop_tx_mark = p.pushed;
    s->tx_mark_taken = true;
  }
  return p.completed >= s->stop_tx_mark;
}

static uint64_t monotonic_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
}

/* Takes the SA off the engine: final counters, then STOP (or the idle re-install on an older
 * engine, whose only command that writes ACTIVE is INSTALL: same round keys and H). */
static enum nicsec_hal_err deactivate(struct sim_hal_dev *d, struct sim_sa *s,
                                      enum nicsec_hal_dir dir, uint32_t slot) {
  enum nicsec_hal_err err = sim_sa_read(d->sim, dir, slot, &s->frozen);
  if (!err)
    err = d->info.has_stop ? sim_sa_deactivate(d->sim, dir, slot)
                           : sim_sa_install(d->sim, slot, &s->desc, false);
  if (!err) {
    s->engine_stop_pending = false;
    s->stop_cycle = nicsim_cycles(d->sim);
  }
  return err;
}

/* Stop removes steering, freezes the counters (READ) and takes the SA off the datapath: the
 * engine then answers NO_SA for it on both paths while its keys stay in place for packets
 * already inside the pipeline (register map 2.1: SA_OP_STOP). */
static enum nicsec_hal_err do_stop(struct sim_hal_dev *d, struct sim_sa *s,
                                   enum nicsec_hal_dir dir, uint32_t slot, const void *arg) {
  (void)arg;
  if (s->state != NICSEC_HAL_SA_ACTIVE)
    return NICSEC_HAL_E_SA_STATE;
  enum nicsec_hal_err err = steer_out(d, &s->desc, slot, false);
  if (err)
    return err;
  if (d->attached && dir == NICSEC_HAL_DIR_OUT) {
    struct nicsim_tx_progress p;
    nicsim_tx_progress(d->sim, &p);
    err = sim_sa_read(d->sim, dir, slot, &s->frozen); /* stats until the engine lets go */
    s->engine_stop_pending = true;
    s->tx_mark_taken = false;
    s->stop_loops_mark = p.loops + 2;
    s->stop_ms = monotonic_ms();
  } else {
    err = deactivate(d, s, dir, slot);
  }
  if (!err)
    s->state = NICSEC_HAL_SA_STOPPED;
  return err;
}

/* Every packet handed to the engine produces exactly one completion or RX status, so "nothing
 * of this SA in flight" is implied by "nothing in flight". Under constant traffic the engine is
 * never empty, so that alone would keep a stopped SA forever; but no packet of a stopped SA
 * enters any more, and the pipelines are in order with a bounded latency, so once
 * DRAIN_BOUND_CYCLES have run since the stop every packet that was inside has left. */
static enum nicsec_hal_err do_drain(struct sim_hal_dev *d, struct sim_sa *s,
                                    enum nicsec_hal_dir dir, uint32_t slot, const void *arg) {
  (void)arg;
  if (s->state == NICSEC_HAL_SA_ACTIVE)
    return NICSEC_HAL_E_SA_STATE;
  if (s->engine_stop_pending) {
    if (!outbound_queue_passed(d, s) && monotonic_ms() - s->stop_ms < STOP_QUEUE_WAIT_MS)
      return NICSEC_HAL_E_BUSY;
    enum nicsec_hal_err err = deactivate(d, s, dir, slot);
    if (err)
      return err;
  }
  if (nicsim_in_flight(d->sim) > 0 &&
      nicsim_cycles(d->sim) - s->stop_cycle < DRAIN_BOUND_CYCLES) {
    if (!d->attached)
      nicsim_step(d->sim, DRAIN_STEP_CYCLES);
    return NICSEC_HAL_E_BUSY;
  }
  s->state = NICSEC_HAL_SA_DRAINED;
  return NICSEC_HAL_OK;
}

static bool all_zero(const uint32_t *w, size_t n) {
  uint32_t acc = 0;
  for (size_t i = 0; i < n; i++)
    acc |= w[i];
  return acc == 0;
}

/* DELETE zeroizes the key and H memories; the READ that follows proves it (the SA is no longer
 * active, so the probes show what the memories hold). */
static enum nicsec_hal_err do_free(struct sim_hal_dev *d, struct sim_sa *s,
                                   enum nicsec_hal_dir dir, uint32_t slot, const void *arg) {
  (void)arg;
  if (s->state != NICSEC_HAL_SA_DRAINED)
    return NICSEC_HAL_E_SA_STATE;
  struct sim_sa_state after;
  enum nicsec_hal_err err = sim_sa_delete(d->sim, dir, slot);
  if (!err)
    err = sim_sa_read(d->sim, dir, slot, &after);
  if (!err && !(all_zero(after.keyprobe, 4) && all_zero(after.hprobe, 4)))
    err = NICSEC_HAL_E_DEVICE;
  if (err)
    return err;
  if (dir == NICSEC_HAL_DIR_OUT)
    d->n_out--;
  wipe_sa(s);
  return NICSEC_HAL_OK;
}

static enum nicsec_hal_err sim_sa_stop(void *priv, nicsec_hal_sa_id id) {
  return with_sa(priv, id, do_stop, NULL);
}
static enum nicsec_hal_err sim_sa_drain(void *priv, nicsec_hal_sa_id id) {
  return with_sa(priv, id, do_drain, NULL);
}
static enum nicsec_hal_err sim_sa_free(void *priv, nicsec_hal_sa_id id) {
  return with_sa(priv, id, do_free, NULL);
}

/* ---- update ------------------------------------------------------------------------------- */

static enum nicsec_hal_err do_update(struct sim_hal_dev *d, struct sim_sa *s,
                                     enum nicsec_hal_dir dir, uint32_t slot, const void *arg) {
  const struct nicsec_hal_sa_update *upd = arg;
  if (s->state != NICSEC_HAL_SA_ACTIVE)
    return NICSEC_HAL_E_SA_STATE;
  if ((upd->what & NICSEC_HAL_UPD_SEQ) && !s->desc.esn && upd->seq > UINT32_MAX)
    return NICSEC_HAL_E_SEQ;
  enum nicsec_hal_err err = NICSEC_HAL_OK;
  if (upd->what & NICSEC_HAL_UPD_SEQ)
    err = sim_sa_update_seq(d->sim, dir, slot, upd->seq);
  if (!err && (upd->what & NICSEC_HAL_UPD_LIMITS)) {
    err = sim_sa_update_limits(d->sim, dir, slot, &upd->limits);
    if (!err)
      s->desc.limits = upd->limits;
  }
  return err;
}

static enum nicsec_hal_err sim_sa_update(void *priv, nicsec_hal_sa_id id,
                                         const struct nicsec_hal_sa_update *upd) {
  return with_sa(priv, id, do_update, upd);
}

/* ---- registration ------------------------------------------------------------------------- */

const struct nicsec_hal_backend nicsec_sim_backend = {
    .name = "sim",
    .open = sim_open,
    .close = sim_close,
    .sa_add = sim_sa_add,
    .sa_stop = sim_sa_stop,
    .sa_drain = sim_sa_drain,
    .sa_free = sim_sa_free,
    .sa_update = sim_sa_update,
    .sa_stats = sim_op_stats,
    .dev_drops = sim_op_dev_drops,
    .dump = sim_op_dump,
    .poll_events = sim_op_poll_events,
    .encap = sim_op_encap,
    .decap = sim_op_decap,
};

enum nicsec_hal_err nicsec_hal_sim_register(void) {
  enum nicsec_hal_err err = nicsec_hal_register(&nicsec_sim_backend);
  return err == NICSEC_HAL_E_BACKEND_EXISTS ? NICSEC_HAL_OK : err;
}
