/* The "soft" backend: SA table, three-phase delete, events and policies around the ESP engine.
 *
 * Concurrency: one mutex per device covers the control path and each packet from SA lookup to
 * counter update. So once sa_stop returns no packet can still be using the SA, and drain
 * completes at once; the phases are still enforced so callers are written for real devices.
 * The datapath I/O (soft_io.c) calls in through soft_dev.h under the same lock. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "esp_engine.h"
#include "nicsec/hal_backend.h"
#include "soft_config.h"
#include "soft_dev.h"
#include "soft_io.h"
#include "soft_policy.h"

enum { MIN_HASH_BITS = 10, MAX_HASH_BITS = 22, EVENT_QUEUE = 4096 };

#define LIMIT_EVENT_BITS                                                                          \
  (SOFT_EV_BIT(NICSEC_HAL_EV_SOFT_PACKETS) | SOFT_EV_BIT(NICSEC_HAL_EV_HARD_PACKETS) |            \
   SOFT_EV_BIT(NICSEC_HAL_EV_SOFT_BYTES) | SOFT_EV_BIT(NICSEC_HAL_EV_HARD_BYTES))

/* Links are slot index + 1, 0 = none. Both lists are doubly linked so that freeing an SA
 * unlinks it in O(1) whatever its position (a singly linked outbound list made deleting 100k
 * SAs oldest first take ~35 s). */
struct slot_links {
  uint32_t next, prev; /* prev 0: first in its list */
};

struct soft_slot {
  struct soft_sa *sa; /* NULL when the slot is free */
  uint32_t gen;
  enum nicsec_hal_sa_state state;
  struct slot_links hash; /* SAs with the same SPI hash */
  struct slot_links out;  /* outbound SAs, newest first */
};

enum slot_list { LIST_HASH, LIST_OUT };

struct soft_dev {
  pthread_mutex_t lock;
  struct nicsec_hal_caps caps;
  struct soft_slot *slots;
  uint32_t n_slots, n_in, n_out;
  uint32_t *free_stack; /* free slot indices */
  uint32_t n_free;
  uint32_t next_gen;
  uint32_t *buckets;                 /* SPI hash -> first slot index + 1 */
  unsigned hash_bits;                /* 2^hash_bits buckets, at least one per installed SA */
  unsigned max_hash_bits;            /* about one bucket per slot: where growing stops */
  uint32_t slots_touched;            /* slots [0, slots_touched) have ever held an SA */
  uint32_t out_head;                 /* newest outbound SA: slot index + 1; 0 = none */
  struct soft_policies policies;
  struct soft_io *io;                /* datapath I/O; NULL when opened without a TUN device */
  struct nicsec_hal_event events[EVENT_QUEUE];
  size_t ev_head, ev_count;
  bool ev_overflow;
  uint64_t dev_drops[NICSEC_HAL_DROP__COUNT];
};

/* ---- ids and lookup ----------------------------------------------------------------------- */

static nicsec_hal_sa_id make_id(uint32_t gen, uint32_t idx) {
  return (uint64_t)gen << 32 | (uint64_t)(idx + 1);
}

static struct soft_slot *slot_by_id(struct soft_dev *d, nicsec_hal_sa_id id) {
  uint32_t idx = (uint32_t)id - 1;
  if ((uint32_t)id == 0 || idx >= d->n_slots)
    return NULL;
  struct soft_slot *s = &d->slots[idx];
  return s->sa && s->gen == (uint32_t)(id >> 32) ? s : NULL;
}

static nicsec_hal_sa_id id_of(const struct soft_dev *d, const struct soft_slot *s) {
  return make_id(s->gen, (uint32_t)(s - d->slots));
}

static uint32_t spi_hash(const struct soft_dev *d, uint32_t spi) {
  return (spi * 2654435761u) >> (32 - d->hash_bits);
}

static bool same_addr(const struct nicsec_hal_addr *a, const struct nicsec_hal_addr *b) {
  return a->family == b->family &&
         memcmp(a->bytes, b->bytes, a->family == NICSEC_HAL_AF_INET ? 4 : 16) == 0;
}

/* An installed SA (in any delete phase) holding the same lookup key as desc. */
static bool key_taken(const struct soft_dev *d, const struct nicsec_hal_sa *desc) {
  for (uint32_t i = d->buckets[spi_hash(d, desc->spi)]; i; i = d->slots[i - 1].hash.next) {
    const struct nicsec_hal_sa *other = &d->slots[i - 1].sa->desc;
    if (other->spi == desc->spi && other->dir == desc->dir &&
        (desc->dir == NICSEC_HAL_DIR_IN || same_addr(&other->dst, &desc->dst)))
      return true;
  }
  return false;
}

static struct soft_slot *find_inbound(struct soft_dev *d, uint32_t spi) {
  for (uint32_t i = d->buckets[spi_hash(d, spi)]; i; i = d->slots[i - 1].hash.next) {
    struct soft_slot *s = &d->slots[i - 1];
    if (s->sa->desc.spi == spi && s->sa->desc.dir == NICSEC_HAL_DIR_IN &&
        s->state == NICSEC_HAL_SA_ACTIVE)
      return s;
  }
  return NULL;
}

static struct slot_links *links_of(struct soft_dev *d, uint32_t idx, enum slot_list list) {
  return list == LIST_HASH ? &d->slots[idx].hash : &d->slots[idx].out;
}

/* Unlinks slot idx from the list whose first entry is *head. */
static void list_unlink(struct soft_dev *d, uint32_t *head, uint32_t idx, enum slot_list list) {
  struct slot_links *l = links_of(d, idx, list);
  if (l->prev)
    links_of(d, l->prev - 1, list)->next = l->next;
  else
    *head = l->next;
  if (l->next)
    links_of(d, l->next - 1, list)->prev = l->prev;
  *l = (struct slot_links){0};
}

/* Makes slot idx the first entry of the list whose first entry is *head. */
static void list_push(struct soft_dev *d, uint32_t *head, uint32_t idx, enum slot_list list) {
  *links_of(d, idx, list) = (struct slot_links){.next = *head};
  if (*head)
    links_of(d, *head - 1, list)->prev = idx + 1;
  *head = idx + 1;
}

/* ---- events ------------------------------------------------------------------------------- */

static void push_event(struct soft_dev *d, const struct soft_slot *s, enum nicsec_hal_event_type t,
                       uint64_t value) {
  if (d->ev_count == EVENT_QUEUE) {
    d->ev_overflow = true;
    return;
  }
  struct nicsec_hal_event *ev = &d->events[(d->ev_head + d->ev_count++) % EVENT_QUEUE];
  *ev = (struct nicsec_hal_event){.type = t, .sa = id_of(d, s), .dir = s->sa->desc.dir,
                                  .spi = s->sa->desc.spi, .reqid = s->sa->desc.reqid,
                                  .value = value};
}

static uint64_t event_value(const struct soft_sa *sa, enum nicsec_hal_event_type t) {
  switch (t) {
  case NICSEC_HAL_EV_SOFT_BYTES:
  case NICSEC_HAL_EV_HARD_BYTES: return sa->stats.bytes;
  case NICSEC_HAL_EV_SOFT_PACKETS:
  case NICSEC_HAL_EV_HARD_PACKETS: return sa->stats.packets;
  default: return sa->stats.seq;
  }
}

static void push_events(struct soft_dev *d, const struct soft_slot *s, uint32_t bits) {
  if (!bits) /* the common case, per packet */
    return;
  for (enum nicsec_hal_event_type t = NICSEC_HAL_EV_SOFT_PACKETS; t <= NICSEC_HAL_EV_OVERFLOW; t++)
    if (bits & SOFT_EV_BIT(t))
      push_event(d, s, t, event_value(s->sa, t));
}

static enum nicsec_hal_err soft_poll_events(void *priv, struct nicsec_hal_event *evs, size_t max,
                                            size_t *n) {
  struct soft_dev *d = priv;
  pthread_mutex_lock(&d->lock);
  size_t out = 0;
  if (d->ev_overflow && out < max) {
    evs[out++] = (struct nicsec_hal_event){.type = NICSEC_HAL_EV_OVERFLOW};
    d->ev_overflow = false;
  }
  while (d->ev_count && out < max) {
    evs[out++] = d->events[d->ev_head];
    d->ev_head = (d->ev_head + 1) % EVENT_QUEUE;
    d->ev_count--;
  }
  pthread_mutex_unlock(&d->lock);
  *n = out;
  return NICSEC_HAL_OK;
}

/* ---- open / close ------------------------------------------------------------------------- */

static void free_all(struct soft_dev *d) {
  for (uint32_t i = 0; d->slots && i < d->n_slots; i++) {
    if (d->slots[i].sa) {
      soft_sa_wipe(d->slots[i].sa);
      free(d->slots[i].sa);
    }
  }
  free(d->slots);
  free(d->free_stack);
  free(d->buckets);
  soft_policies_free(&d->policies);
}

static enum nicsec_hal_err soft_open(const char *args, void **priv, struct nicsec_hal_caps *caps) {
  struct soft_dev *d = calloc(1, sizeof *d);
  if (!d)
    return NICSEC_HAL_E_NOMEM;
  struct soft_io_config io_cfg;
  enum nicsec_hal_err err = soft_config_parse(args, &d->caps, &io_cfg);
  if (err != NICSEC_HAL_OK) {
    free(d);
    return err;
  }
  d->n_slots = d->caps.max_sa_in + d->caps.max_sa_out;
  d->slots = calloc(d->n_slots, sizeof *d->slots);
  d->free_stack = calloc(d->n_slots, sizeof *d->free_stack);
  for (d->max_hash_bits = MIN_HASH_BITS;
       d->max_hash_bits < MAX_HASH_BITS && (1u << d->max_hash_bits) < d->n_slots;)
    d->max_hash_bits++;
  d->hash_bits = MIN_HASH_BITS;
  d->buckets = calloc((size_t)1 << d->hash_bits, sizeof *d->buckets);
  err = soft_policies_init(&d->policies, d->caps.max_policies);
  if (!d->slots || !d->free_stack || !d->buckets || err != NICSEC_HAL_OK) {
    free_all(d);
    free(d);
    return NICSEC_HAL_E_NOMEM;
  }
  for (uint32_t i = 0; i < d->n_slots; i++)
    d->free_stack[i] = d->n_slots - 1 - i; /* pop order 0, 1, 2, ... */
  d->n_free = d->n_slots;
  pthread_mutex_init(&d->lock, NULL);
  if (io_cfg.tun[0] || io_cfg.tun_fd >= 0) {
    err = soft_io_open(&io_cfg, d, &d->io);
    if (err != NICSEC_HAL_OK) {
      pthread_mutex_destroy(&d->lock);
      free_all(d);
      free(d);
      return err;
    }
  }
  *caps = d->caps;
  *priv = d;
  return NICSEC_HAL_OK;
}

static void soft_close(void *priv) {
  struct soft_dev *d = priv;
  soft_io_close(d->io); /* first: no packet may arrive for SAs being freed */
  free_all(d);
  pthread_mutex_destroy(&d->lock);
  free(d);
}

/* ---- add (all or none) -------------------------------------------------------------------- */

/* Checks what needs table state: duplicates and room per direction. */
static size_t first_rejected(const struct soft_dev *d, const struct nicsec_hal_sa *sas, size_t n,
                             enum nicsec_hal_err *err) {
  uint32_t want_in = d->n_in, want_out = d->n_out;
  for (size_t i = 0; i < n; i++) {
    bool in = sas[i].dir == NICSEC_HAL_DIR_IN;
    if (key_taken(d, &sas[i])) {
      *err = NICSEC_HAL_E_DUPLICATE_SPI;
      return i;
    }
    uint32_t *count = in ? &want_in : &want_out;
    if (++*count > (in ? d->caps.max_sa_in : d->caps.max_sa_out)) {
      *err = NICSEC_HAL_E_TABLE_FULL;
      return i;
    }
  }
  *err = NICSEC_HAL_OK;
  return n;
}

/* The bucket table grows with the SAs installed rather than being sized for max_sa up front:
 * SPIs hash all over it, so a capacity-sized table (512 KB at max_sa=65536) would be resident
 * after a few thousand SAs. Only slots that ever held an SA are walked, so untouched pages of
 * the slot array stay untouched. Out of memory: the table keeps its size (longer chains). */
static void grow_buckets(struct soft_dev *d) {
  uint32_t installed = d->n_in + d->n_out;
  if (installed < (1u << d->hash_bits) || d->hash_bits >= d->max_hash_bits)
    return;
  uint32_t *bigger = calloc((size_t)1 << (d->hash_bits + 1), sizeof *bigger);
  if (!bigger)
    return;
  free(d->buckets);
  d->buckets = bigger;
  d->hash_bits++;
  for (uint32_t idx = 0; idx < d->slots_touched; idx++)
    if (d->slots[idx].sa)
      list_push(d, &d->buckets[spi_hash(d, d->slots[idx].sa->desc.spi)], idx, LIST_HASH);
}

static void commit(struct soft_dev *d, struct soft_sa *sa, nicsec_hal_sa_id *id) {
  grow_buckets(d);
  uint32_t idx = d->free_stack[--d->n_free];
  if (idx >= d->slots_touched)
    d->slots_touched = idx + 1;
  struct soft_slot *s = &d->slots[idx];
  *s = (struct soft_slot){.sa = sa, .gen = ++d->next_gen, .state = NICSEC_HAL_SA_ACTIVE};
  if (s->gen == 0) /* keep ids non-zero-generation after 2^32 installs */
    s->gen = ++d->next_gen;
  list_push(d, &d->buckets[spi_hash(d, sa->desc.spi)], idx, LIST_HASH);
  if (sa->desc.dir == NICSEC_HAL_DIR_IN) {
    d->n_in++;
  } else {
    d->n_out++;
    list_push(d, &d->out_head, idx, LIST_OUT);
  }
  *id = make_id(s->gen, idx);
}

static enum nicsec_hal_err soft_sa_add(void *priv, const struct nicsec_hal_sa *sas, size_t n,
                                       nicsec_hal_sa_id *ids, enum nicsec_hal_err *errs) {
  struct soft_dev *d = priv;
  struct soft_sa **prepared = calloc(n, sizeof *prepared);
  if (!prepared)
    return NICSEC_HAL_E_NOMEM;
  pthread_mutex_lock(&d->lock);
  enum nicsec_hal_err err;
  size_t bad = first_rejected(d, sas, n, &err);
  /* Key schedules are built before anything is committed, so a late failure leaves no trace. */
  for (size_t i = 0; bad == n && i < n; i++) {
    prepared[i] = malloc(sizeof *prepared[i]);
    err = prepared[i] ? soft_sa_init(prepared[i], &sas[i]) : NICSEC_HAL_E_NOMEM;
    if (err != NICSEC_HAL_OK)
      bad = i;
  }
  if (bad < n) {
    errs[bad] = err;
    for (size_t i = 0; i < n && prepared[i]; i++) {
      soft_sa_wipe(prepared[i]);
      free(prepared[i]);
    }
  } else {
    for (size_t i = 0; i < n; i++)
      commit(d, prepared[i], &ids[i]);
  }
  pthread_mutex_unlock(&d->lock);
  free(prepared);
  return err;
}

/* ---- three-phase delete, update, stats, dump ---------------------------------------------- */

/* Runs op on the SA's slot under the device lock. */
static enum nicsec_hal_err with_slot(struct soft_dev *d, nicsec_hal_sa_id id,
                                     enum nicsec_hal_err (*op)(struct soft_dev *d,
                                                               struct soft_slot *s, void *arg),
                                     void *arg) {
  pthread_mutex_lock(&d->lock);
  struct soft_slot *s = slot_by_id(d, id);
  enum nicsec_hal_err err = s ? op(d, s, arg) : NICSEC_HAL_E_NO_SUCH_SA;
  pthread_mutex_unlock(&d->lock);
  return err;
}

static enum nicsec_hal_err do_stop(struct soft_dev *d, struct soft_slot *s, void *arg) {
  (void)d, (void)arg;
  if (s->state != NICSEC_HAL_SA_ACTIVE)
    return NICSEC_HAL_E_SA_STATE;
  s->state = NICSEC_HAL_SA_STOPPED;
  return NICSEC_HAL_OK;
}

static enum nicsec_hal_err do_drain(struct soft_dev *d, struct soft_slot *s, void *arg) {
  (void)d, (void)arg;
  if (s->state == NICSEC_HAL_SA_ACTIVE)
    return NICSEC_HAL_E_SA_STATE;
  s->state = NICSEC_HAL_SA_DRAINED; /* the lock guarantees nothing is in flight */
  return NICSEC_HAL_OK;
}

static enum nicsec_hal_err do_free(struct soft_dev *d, struct soft_slot *s, void *arg) {
  (void)arg;
  if (s->state != NICSEC_HAL_SA_DRAINED)
    return NICSEC_HAL_E_SA_STATE;
  uint32_t idx = (uint32_t)(s - d->slots);
  list_unlink(d, &d->buckets[spi_hash(d, s->sa->desc.spi)], idx, LIST_HASH);
  if (s->sa->desc.dir == NICSEC_HAL_DIR_IN) {
    d->n_in--;
  } else {
    d->n_out--;
    list_unlink(d, &d->out_head, idx, LIST_OUT);
  }
  soft_sa_wipe(s->sa);
  free(s->sa);
  s->sa = NULL;
  d->free_stack[d->n_free++] = idx;
  return NICSEC_HAL_OK;
}

static enum nicsec_hal_err soft_sa_stop(void *priv, nicsec_hal_sa_id id) {
  return with_slot(priv, id, do_stop, NULL);
}
static enum nicsec_hal_err soft_sa_drain(void *priv, nicsec_hal_sa_id id) {
  return with_slot(priv, id, do_drain, NULL);
}
static enum nicsec_hal_err soft_sa_free(void *priv, nicsec_hal_sa_id id) {
  return with_slot(priv, id, do_free, NULL);
}

static enum nicsec_hal_err update_seq(struct soft_sa *sa, uint64_t seq) {
  if (!sa->desc.esn && seq > UINT32_MAX)
    return NICSEC_HAL_E_SEQ;
  if (sa->desc.dir == NICSEC_HAL_DIR_OUT) {
    sa->seq_out = seq;
  } else {
    uint64_t seen = sa->replay.seen;
    esp_replay_free(&sa->replay);
    if (!esp_replay_init(&sa->replay, sa->desc.replay_window, sa->desc.esn, seq))
      return NICSEC_HAL_E_REPLAY_WINDOW;
    sa->replay.seen = seen;
  }
  sa->stats.seq = seq;
  return NICSEC_HAL_OK;
}

static enum nicsec_hal_err do_update(struct soft_dev *d, struct soft_slot *s, void *arg) {
  (void)d;
  const struct nicsec_hal_sa_update *upd = arg;
  if (upd->what & NICSEC_HAL_UPD_SEQ) {
    enum nicsec_hal_err err = update_seq(s->sa, upd->seq);
    if (err != NICSEC_HAL_OK)
      return err;
  }
  if (upd->what & NICSEC_HAL_UPD_LIMITS) {
    s->sa->desc.limits = upd->limits;
    s->sa->fired &= ~LIMIT_EVENT_BITS; /* new limits may fire again */
  }
  return NICSEC_HAL_OK;
}

static enum nicsec_hal_err soft_sa_update(void *priv, nicsec_hal_sa_id id,
                                          const struct nicsec_hal_sa_update *upd) {
  return with_slot(priv, id, do_update, (void *)upd);
}

static enum nicsec_hal_err do_stats(struct soft_dev *d, struct soft_slot *s, void *arg) {
  (void)d;
  *(struct nicsec_hal_sa_stats *)arg = s->sa->stats;
  return NICSEC_HAL_OK;
}

static enum nicsec_hal_err soft_sa_stats(void *priv, nicsec_hal_sa_id id,
                                         struct nicsec_hal_sa_stats *out) {
  return with_slot(priv, id, do_stats, out);
}

static enum nicsec_hal_err soft_dev_drops(void *priv, uint64_t drops[NICSEC_HAL_DROP__COUNT]) {
  struct soft_dev *d = priv;
  pthread_mutex_lock(&d->lock);
  memcpy(drops, d->dev_drops, sizeof d->dev_drops);
  pthread_mutex_unlock(&d->lock);
  return NICSEC_HAL_OK;
}

static enum nicsec_hal_err soft_dump(void *priv, nicsec_hal_dump_fn fn, void *ctx) {
  struct soft_dev *d = priv;
  pthread_mutex_lock(&d->lock);
  for (uint32_t i = 0; i < d->n_slots; i++) {
    const struct soft_slot *s = &d->slots[i];
    if (!s->sa)
      continue;
    struct nicsec_hal_sa_info info = {.id = id_of(d, s), .state = s->state, .offloaded = true,
                                      .sa = s->sa->desc, .stats = s->sa->stats};
    /* desc.key/salt were wiped at install; clear again so redaction never depends on that. */
    memset(info.sa.key, 0, sizeof info.sa.key);
    memset(info.sa.salt, 0, sizeof info.sa.salt);
    if (fn(&info, ctx))
      break;
  }
  pthread_mutex_unlock(&d->lock);
  return NICSEC_HAL_OK;
}

/* ---- policies ----------------------------------------------------------------------------- */

static enum nicsec_hal_err soft_policy_add(void *priv, const struct nicsec_hal_policy *pol,
                                           nicsec_hal_policy_id *id) {
  struct soft_dev *d = priv;
  pthread_mutex_lock(&d->lock);
  enum nicsec_hal_err err = soft_policies_add(&d->policies, pol, d->next_gen + 1, id);
  if (err == NICSEC_HAL_OK)
    d->next_gen++;
  pthread_mutex_unlock(&d->lock);
  return err;
}

static enum nicsec_hal_err soft_policy_del(void *priv, nicsec_hal_policy_id id) {
  struct soft_dev *d = priv;
  pthread_mutex_lock(&d->lock);
  enum nicsec_hal_err err = soft_policies_del(&d->policies, id);
  pthread_mutex_unlock(&d->lock);
  return err;
}

/* ---- datapath ----------------------------------------------------------------------------- */

/* Called with the lock held, on an outbound SA. */
static enum nicsec_hal_err encap_locked(struct soft_dev *d, struct soft_slot *s, const uint8_t *in,
                                        size_t in_len, uint8_t *out, size_t out_cap,
                                        size_t *out_len) {
  enum nicsec_hal_err err = NICSEC_HAL_E_PKT_NO_SA;
  uint32_t events = 0;
  if (s->state == NICSEC_HAL_SA_ACTIVE)
    err = soft_esp_encap(s->sa, in, in_len, out, out_cap, out_len, &events);
  if (err != NICSEC_HAL_OK)
    soft_sa_count_drop(&s->sa->stats, err);
  push_events(d, s, events);
  return err;
}

static enum nicsec_hal_err soft_encap(void *priv, nicsec_hal_sa_id id, const uint8_t *in,
                                      size_t in_len, uint8_t *out, size_t out_cap,
                                      size_t *out_len) {
  struct soft_dev *d = priv;
  pthread_mutex_lock(&d->lock);
  struct soft_slot *s = slot_by_id(d, id);
  enum nicsec_hal_err err = NICSEC_HAL_E_NO_SUCH_SA;
  if (s && s->sa->desc.dir != NICSEC_HAL_DIR_OUT)
    err = NICSEC_HAL_E_INVAL;
  else if (s)
    err = encap_locked(d, s, in, in_len, out, out_cap, out_len);
  pthread_mutex_unlock(&d->lock);
  return err;
}

/* The newest active outbound SA of a reqid (make-before-break: a rekeyed SA takes over once it
 * is installed). The walk is linear in the outbound SAs: host-scale tables of tens of SAs. */
static struct soft_slot *out_by_reqid(struct soft_dev *d, uint32_t reqid) {
  for (uint32_t i = d->out_head; i; i = d->slots[i - 1].out.next) {
    struct soft_slot *s = &d->slots[i - 1];
    if (s->state == NICSEC_HAL_SA_ACTIVE && s->sa->desc.reqid == reqid)
      return s;
  }
  return NULL;
}

/* Without a matching policy: the most specific matching SA selector, the newest among equals. */
static struct soft_slot *out_by_selector(struct soft_dev *d, const struct ip_view *v,
                                         const uint8_t *pkt) {
  struct soft_slot *best = NULL;
  for (uint32_t i = d->out_head; i; i = d->slots[i - 1].out.next) {
    struct soft_slot *s = &d->slots[i - 1];
    const struct nicsec_hal_sa *desc = &s->sa->desc;
    if (s->state != NICSEC_HAL_SA_ACTIVE || !desc->has_sel ||
        !soft_selector_match(&desc->sel, v, pkt))
      continue;
    if (!best || soft_selector_cmp(&desc->sel, &best->sa->desc.sel) > 0)
      best = s;
  }
  return best;
}

/* Called with the lock held: the SA for this packet, or NULL with the verdict saying why. */
static struct soft_slot *route_locked(struct soft_dev *d, const struct ip_view *v,
                                      const uint8_t *pkt, enum soft_out_verdict *verdict) {
  const struct nicsec_hal_policy *pol =
      soft_policies_lookup(&d->policies, NICSEC_HAL_DIR_OUT, v, pkt);
  struct soft_slot *s = NULL;
  if (!pol) {
    s = out_by_selector(d, v, pkt);
    *verdict = SOFT_OUT_NO_POLICY;
  } else if (pol->action == NICSEC_HAL_POLICY_PROTECT) {
    s = out_by_reqid(d, pol->reqid);
    *verdict = SOFT_OUT_NO_SA;
  } else {
    *verdict = SOFT_OUT_POLICY_DROP;
  }
  if (!s)
    d->dev_drops[*verdict == SOFT_OUT_POLICY_DROP ? NICSEC_HAL_DROP_POLICY
                                                  : NICSEC_HAL_DROP_NO_SA]++;
  return s;
}

enum soft_out_verdict soft_dev_encap_routed(struct soft_dev *d, const uint8_t *in, size_t in_len,
                                            uint8_t *out, size_t out_cap, size_t *out_len) {
  struct ip_view v;
  bool parsed = ip_parse(in, in_len, &v) == NICSEC_HAL_OK;
  enum soft_out_verdict verdict = SOFT_OUT_ENCAP_ERROR;
  pthread_mutex_lock(&d->lock);
  struct soft_slot *s = parsed ? route_locked(d, &v, in, &verdict) : NULL;
  if (!parsed)
    d->dev_drops[NICSEC_HAL_DROP_MALFORMED]++;
  if (s)
    verdict = encap_locked(d, s, in, in_len, out, out_cap, out_len) == NICSEC_HAL_OK
                  ? SOFT_OUT_ENCAPPED
                  : SOFT_OUT_ENCAP_ERROR;
  pthread_mutex_unlock(&d->lock);
  return verdict;
}

static enum nicsec_hal_err soft_decap(void *priv, const uint8_t *in, size_t in_len, uint8_t *out,
                                      size_t out_cap, size_t *out_len, nicsec_hal_sa_id *sa_id) {
  struct soft_dev *d = priv;
  struct esp_outer o;
  enum nicsec_hal_err err = soft_esp_parse_outer(in, in_len, &o);
  pthread_mutex_lock(&d->lock);
  struct soft_slot *s = err == NICSEC_HAL_OK ? find_inbound(d, o.spi) : NULL;
  if (err == NICSEC_HAL_OK && !s)
    err = NICSEC_HAL_E_PKT_NO_SA;
  if (s) {
    uint32_t events = 0;
    err = soft_esp_decap(s->sa, &o, in, out, out_cap, out_len, &events);
    if (err != NICSEC_HAL_OK)
      soft_sa_count_drop(&s->sa->stats, err);
    push_events(d, s, events);
    if (sa_id)
      *sa_id = id_of(d, s);
  } else if (err != NICSEC_HAL_E_PKT_NOT_ESP) { /* not ESP is not a drop: the host takes it */
    d->dev_drops[soft_drop_reason(err)]++;
  }
  pthread_mutex_unlock(&d->lock);
  return err;
}

enum nicsec_hal_err soft_dev_decap(struct soft_dev *d, const uint8_t *in, size_t in_len,
                                   uint8_t *out, size_t out_cap, size_t *out_len) {
  return soft_decap(d, in, in_len, out, out_cap, out_len, NULL);
}

/* ---- datapath I/O (soft_io.c) ------------------------------------------------------------- */

static struct soft_io *io_of(void *priv) { return ((struct soft_dev *)priv)->io; }

static enum nicsec_hal_err soft_dp_fds(void *priv, int *fds, size_t max, size_t *n) {
  return io_of(priv) ? soft_io_fds(io_of(priv), fds, max, n) : NICSEC_HAL_E_NOT_SUPPORTED;
}

static enum nicsec_hal_err soft_dp_poll_in(void *priv, int fd, size_t budget, size_t *done) {
  return io_of(priv) ? soft_io_poll_in(io_of(priv), fd, budget, done)
                     : NICSEC_HAL_E_NOT_SUPPORTED;
}

static enum nicsec_hal_err soft_dp_attach_udp(void *priv, int fd) {
  return io_of(priv) ? soft_io_attach_udp(io_of(priv), fd) : NICSEC_HAL_E_NOT_SUPPORTED;
}

static enum nicsec_hal_err soft_dp_deliver_udp(void *priv, const uint8_t *data, size_t len,
                                               const struct nicsec_hal_endpoint *from,
                                               const struct nicsec_hal_endpoint *to) {
  return io_of(priv) ? soft_io_deliver_udp(io_of(priv), data, len, from, to)
                     : NICSEC_HAL_E_NOT_SUPPORTED;
}

static enum nicsec_hal_err soft_dp_stats(void *priv, struct nicsec_hal_dp_stats *out) {
  if (!io_of(priv))
    return NICSEC_HAL_E_NOT_SUPPORTED;
  soft_io_stats(io_of(priv), out);
  return NICSEC_HAL_OK;
}

const struct nicsec_hal_backend nicsec_soft_backend = {
    .name = "soft",
    .open = soft_open,
    .close = soft_close,
    .sa_add = soft_sa_add,
    .sa_stop = soft_sa_stop,
    .sa_drain = soft_sa_drain,
    .sa_free = soft_sa_free,
    .sa_update = soft_sa_update,
    .sa_stats = soft_sa_stats,
    .dev_drops = soft_dev_drops,
    .dump = soft_dump,
    .policy_add = soft_policy_add,
    .policy_del = soft_policy_del,
    .poll_events = soft_poll_events,
    .encap = soft_encap,
    .decap = soft_decap,
    .dp_fds = soft_dp_fds,
    .dp_poll_in = soft_dp_poll_in,
    .dp_attach_udp = soft_dp_attach_udp,
    .dp_deliver_udp = soft_dp_deliver_udp,
    .dp_stats = soft_dp_stats,
};
