/* Child SAs leave the daemon here, and only here: KEYMAT (RFC 7296 2.17) split into the two
 * directions and installed through the offload HAL as one all-or-none batch. */
#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"
#include "reauth.h"

enum { DRAIN_ATTEMPTS_MAX = 1000 };

/* ---- bookkeeping --------------------------------------------------------------------------- */

struct nd_child_sa *nd_child_add(struct nd_engine *e, struct nd_ike_sa *sa,
                                 const struct nd_child_cfg *cfg) {
  if (sa->n_children == ND_MAX_CHILDREN)
    return NULL;
  struct nd_child_sa *grown = realloc(sa->children, (sa->n_children + 1) * sizeof *grown);
  if (!grown)
    return NULL;
  sa->children = grown;
  struct nd_child_sa *c = &sa->children[sa->n_children++];
  memset(c, 0, sizeof *c);
  c->id = ++e->next_child_id;
  c->cfg = cfg;
  c->reqid = e->next_reqid++;
  nd_reauth_inherit_reqid(e, sa, c);
  return c;
}

void nd_child_remove(struct nd_ike_sa *sa, struct nd_child_sa *child) {
  size_t i = (size_t)(child - sa->children);
  if (i >= sa->n_children)
    return;
  sa->children[i] = sa->children[sa->n_children - 1];
  sa->n_children--;
}

struct nd_child_sa *nd_child_by_spi_out(struct nd_ike_sa *sa, uint32_t spi_out) {
  for (size_t i = 0; i < sa->n_children; i++)
    if (sa->children[i].spi_out == spi_out)
      return &sa->children[i];
  return NULL;
}

struct nd_child_sa *nd_child_by_spi_in(struct nd_ike_sa *sa, uint32_t spi_in) {
  for (size_t i = 0; i < sa->n_children; i++)
    if (sa->children[i].spi_in == spi_in)
      return &sa->children[i];
  return NULL;
}

static bool spi_in_use(const struct nd_engine *e, uint32_t spi) {
  for (const struct nd_ike_sa *sa = e->all; sa; sa = sa->next_all) {
    if (sa->child_spi == spi)
      return true;
    bool ccs_child = sa->req.kind == ND_REQ_CREATE_CHILD || sa->req.kind == ND_REQ_REKEY_CHILD;
    if (ccs_child && sa->ccs.spi == spi)
      return true;
    for (size_t i = 0; i < sa->n_children; i++)
      if (sa->children[i].spi_in == spi)
        return true;
  }
  return false;
}

/* Inbound SPIs walk the device's window from a random start: an SPI comes back only after
 * the whole window was used, long after its SA (and any packet for it) is gone, and never while
 * an SA with it still exists (draining ones included). Returns 0 when the window is full. */
uint32_t nd_child_alloc_spi(struct nd_engine *e) {
  const struct nicsec_hal_caps *caps = e->hal ? nicsec_hal_caps(e->hal) : NULL;
  /* Inbound SPIs must lie in the device's window (some NICs index their SA table by SPI). */
  uint64_t lo = caps && caps->spi_min > 256 ? caps->spi_min : 256;
  uint64_t hi = caps && caps->spi_max >= lo ? caps->spi_max : UINT32_MAX;
  uint64_t size = hi - lo + 1;
  if (e->spi_cursor < lo || e->spi_cursor > hi) {
    uint32_t r;
    if (RAND_bytes((unsigned char *)&r, sizeof r) != 1)
      abort(); /* no randomness: nothing safe is left to do */
    e->spi_cursor = (uint32_t)(lo + r % size);
    e->spi_fresh = size;
  }
  for (uint64_t tries = 0; tries < size && tries < (1u << 20); tries++) {
    uint32_t spi = e->spi_cursor;
    e->spi_cursor = spi >= hi ? (uint32_t)lo : spi + 1;
    /* Until the walk comes round to its start no SPI ahead of it was ever handed out, so none
     * can be in use: no scan over every SA for each new Child SA. */
    bool fresh = e->spi_fresh > 0;
    if (fresh)
      e->spi_fresh--;
    if (fresh || !spi_in_use(e, spi))
      return spi;
  }
  ND_ERROR("no free inbound SPI in the device's window %llu..%llu", (unsigned long long)lo,
           (unsigned long long)hi);
  return 0;
}

/* ---- HAL descriptions ---------------------------------------------------------------------- */

static bool hal_alg(const struct nd_selected *sel, enum nicsec_hal_alg *alg, uint8_t *icv) {
  switch (sel->encr) {
  case 18: /* AES-GCM with 8/12/16-octet ICV */
  case 19:
  case 20:
    *icv = sel->encr == 18 ? 8 : sel->encr == 19 ? 12 : 16;
    *alg = sel->encr_bits == 128   ? NICSEC_HAL_ALG_AES_GCM_128
           : sel->encr_bits == 192 ? NICSEC_HAL_ALG_AES_GCM_192
                                   : NICSEC_HAL_ALG_AES_GCM_256;
    return sel->encr_bits == 128 || sel->encr_bits == 192 || sel->encr_bits == 256;
  case 28:
    *alg = NICSEC_HAL_ALG_CHACHA20_POLY1305;
    *icv = 16;
    return true;
  default:
    return false;
  }
}

static struct nicsec_hal_addr hal_addr(const struct nd_addr *a) {
  struct nicsec_hal_addr h = {.family = a->family == AF_INET ? NICSEC_HAL_AF_INET
                                                             : NICSEC_HAL_AF_INET6};
  memcpy(h.bytes, a->ip, 16);
  return h;
}

/* The smallest window the device offers that holds the configured one. */
static uint32_t replay_window(const struct nicsec_hal_caps *caps, uint32_t wanted) {
  if (wanted == 0 && caps->replay_disable)
    return 0;
  if (caps->n_replay_windows == 0)
    return wanted;
  for (uint8_t i = 0; i < caps->n_replay_windows; i++)
    if (caps->replay_windows[i] >= wanted)
      return caps->replay_windows[i];
  return caps->replay_windows[caps->n_replay_windows - 1];
}

/* A packet-mode selector when both sides are one prefix with "any" or one port. */
static bool hal_selector(const struct nd_ts_list *src, const struct nd_ts_list *dst,
                         struct nicsec_hal_selector *sel) {
  if (src->count != 1 || dst->count != 1)
    return false;
  const struct nd_ts *s = &src->ts[0], *d = &dst->ts[0];
  bool s_any = s->start_port == 0 && s->end_port == 65535;
  bool d_any = d->start_port == 0 && d->end_port == 65535;
  if (!nd_ts_is_prefix(s, &sel->src_prefix) || !nd_ts_is_prefix(d, &sel->dst_prefix) ||
      (s->proto && d->proto && s->proto != d->proto) ||
      (!s_any && s->start_port != s->end_port) || (!d_any && d->start_port != d->end_port))
    return false;
  struct nd_addr sa = {.family = s->family}, da = {.family = d->family};
  memcpy(sa.ip, s->start, 16);
  memcpy(da.ip, d->start, 16);
  sel->src = hal_addr(&sa);
  sel->dst = hal_addr(&da);
  sel->proto = s->proto ? s->proto : d->proto;
  sel->sport = s_any ? 0 : s->start_port;
  sel->dport = d_any ? 0 : d->start_port;
  return true;
}

static void describe_common(const struct nd_engine *e, const struct nd_child_sa *child,
                            struct nicsec_hal_sa *h) {
  const struct nicsec_hal_caps *caps = nicsec_hal_caps(e->hal);
  h->offload = (caps->offload_modes & NICSEC_HAL_OFFLOAD_PACKET) ? NICSEC_HAL_OFFLOAD_PACKET
                                                                 : NICSEC_HAL_OFFLOAD_CRYPTO;
  h->mode = child->transport ? NICSEC_HAL_MODE_TRANSPORT : NICSEC_HAL_MODE_TUNNEL;
  h->fallback = NICSEC_HAL_FALLBACK_NONE;
  h->reqid = child->reqid;
  h->encap.enabled = child->encap;
  h->esn = child->sel.has_esn && child->sel.esn == 1;
  h->initial_seq = 0;
  /* Packet/byte lifetimes are counted by the device; it reports crossings as events. */
  h->limits = (struct nicsec_hal_limits){child->cfg->rekey_packets, child->cfg->life_packets,
                                         child->cfg->rekey_bytes, child->cfg->life_bytes};
}

/* Key (cipher key, then the 4-octet salt) of one direction. */
static bool set_key(struct nicsec_hal_sa *h, const struct ike_secret *keymat) {
  size_t key_len = nicsec_hal_alg_key_len(h->alg);
  if (key_len == 0 || keymat->len != key_len + NICSEC_HAL_SALT_LEN || key_len > NICSEC_HAL_MAX_KEY)
    return false;
  memcpy(h->key, keymat->bytes, key_len);
  h->key_len = (uint8_t)key_len;
  memcpy(h->salt, keymat->bytes + key_len, NICSEC_HAL_SALT_LEN);
  return true;
}

static bool describe(const struct nd_engine *e, const struct nd_ike_sa *sa,
                     const struct nd_child_sa *child, const struct ike_child_keys *keys,
                     bool exchange_initiator, struct nicsec_hal_sa out[2]) {
  memset(out, 0, 2 * sizeof *out);
  struct nicsec_hal_sa *in = &out[0], *o = &out[1];
  enum nicsec_hal_alg alg;
  uint8_t icv;
  if (!hal_alg(&child->sel, &alg, &icv))
    return false;
  for (int i = 0; i < 2; i++) {
    describe_common(e, child, &out[i]);
    out[i].alg = alg;
    out[i].icv_len = icv;
  }
  in->dir = NICSEC_HAL_DIR_IN;
  in->spi = child->spi_in;
  in->src = hal_addr(&sa->remote);
  in->dst = hal_addr(&sa->local);
  in->encap.sport = sa->remote.port;
  in->encap.dport = sa->local.port;
  in->replay_window = replay_window(nicsec_hal_caps(e->hal), child->cfg->replay_window);
  in->has_sel = hal_selector(&child->remote_ts, &child->local_ts, &in->sel);
  o->dir = NICSEC_HAL_DIR_OUT;
  o->spi = child->spi_out;
  o->src = hal_addr(&sa->local);
  o->dst = hal_addr(&sa->remote);
  o->encap.sport = sa->local.port;
  o->encap.dport = sa->remote.port;
  o->has_sel = hal_selector(&child->local_ts, &child->remote_ts, &o->sel);
  /* "_i" keys protect what the exchange initiator sends (RFC 7296 2.17). */
  const struct ike_secret *send_key = exchange_initiator ? &keys->encr_i : &keys->encr_r;
  const struct ike_secret *recv_key = exchange_initiator ? &keys->encr_r : &keys->encr_i;
  return set_key(in, recv_key) && set_key(o, send_key);
}

/* ---- key export (operator opt-in) ------------------------------------------------------------ */

void nd_engine_export_esp_keys(struct nd_engine *e, FILE *f) {
  e->key_export = f;
}

static const char *wireshark_alg(const struct nicsec_hal_sa *h) {
  if (h->alg == NICSEC_HAL_ALG_CHACHA20_POLY1305)
    return NULL; /* not in Wireshark 4.0's ESP table */
  return h->icv_len == 8    ? "AES-GCM with 8 octet ICV [RFC4106]"
         : h->icv_len == 12 ? "AES-GCM with 12 octet ICV [RFC4106]"
                            : "AES-GCM with 16 octet ICV [RFC4106]";
}

/* One Wireshark "uat:esp_sa" line: protocol, src, dst, SPI, algorithm, key||salt, auth, key. */
static void export_key(FILE *f, const struct nicsec_hal_sa *h) {
  char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
  int family = h->src.family == NICSEC_HAL_AF_INET ? AF_INET : AF_INET6;
  const char *alg = wireshark_alg(h);
  inet_ntop(family, h->src.bytes, src, sizeof src);
  inet_ntop(family, h->dst.bytes, dst, sizeof dst);
  fprintf(f, "%s\"%s\",\"%s\",\"%s\",\"0x%08x\",\"%s\",\"0x", alg ? "" : "# ",
          family == AF_INET ? "IPv4" : "IPv6", src, dst, h->spi,
          alg ? alg : nicsec_hal_alg_name(h->alg));
  for (size_t i = 0; i < h->key_len; i++)
    fprintf(f, "%02x", h->key[i]);
  for (size_t i = 0; i < NICSEC_HAL_SALT_LEN; i++)
    fprintf(f, "%02x", h->salt[i]);
  fprintf(f, "\",\"NULL\",\"\"\n");
  fflush(f);
}

/* ---- install / uninstall ------------------------------------------------------------------- */

static void log_install_error(const struct nd_child_sa *child, enum nicsec_hal_err rc,
                              const enum nicsec_hal_err errs[2]) {
  ND_ERROR("child %s: the HAL refused the SAs: %s (inbound: %s, outbound: %s)", child->cfg->name,
           nicsec_hal_strerror(rc), nicsec_hal_strerror(errs[0]), nicsec_hal_strerror(errs[1]));
}

bool nd_child_install(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_child_sa *child,
                      bool exchange_initiator) {
  return nd_child_install_with(e, sa, child, exchange_initiator, NULL, false);
}

/* Keeps the outbound description for later (rekey responder, make-before-break). */
static bool hold_outbound(struct nd_child_sa *child, const struct nicsec_hal_sa *out) {
  child->pending_out = malloc(sizeof *child->pending_out);
  if (child->pending_out)
    *child->pending_out = *out;
  return child->pending_out != NULL;
}

bool nd_child_install_with(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_child_sa *child,
                           bool exchange_initiator, const struct nd_keymat_in *kin,
                           bool defer_outbound) {
  if (!e->hal) {
    ND_ERROR("child %s: no HAL device", child->cfg->name);
    return false;
  }
  child->encap = sa->natt;
  struct ike_child_transforms t = {child->sel.encr, child->sel.encr_bits, IKE_INTEG_NONE};
  struct ike_child_keys keys = {0};
  /* The IKE_AUTH child uses the IKE_SA_INIT nonces; CREATE_CHILD_SA its own (and g^ir). */
  struct ike_bytes g_ir = kin && kin->shared ? ike_secret_view(kin->shared) : ike_bytes_of(NULL, 0);
  enum ike_crypto_status st = ike_kdf_child_keys(
      sa->xf.prf, &sa->keys.sk_d, &t, &g_ir, kin && kin->shared ? 1 : 0,
      kin ? ike_bytes_of(kin->ni, kin->ni_len) : ike_bytes_of(sa->ni, sa->ni_len),
      kin ? ike_bytes_of(kin->nr, kin->nr_len) : ike_bytes_of(sa->nr, sa->nr_len), &keys);
  struct nicsec_hal_sa sas[2];
  bool ok = st == IKE_CRYPTO_OK && describe(e, sa, child, &keys, exchange_initiator, sas);
  ok = ok && (!defer_outbound || hold_outbound(child, &sas[1]));
  ike_child_keys_free(&keys);
  if (!ok) {
    OPENSSL_cleanse(sas, sizeof sas);
    ND_ERROR("child %s: cannot derive or describe its keys", child->cfg->name);
    e->stats.child_install_failed++;
    return false;
  }
  nicsec_hal_sa_id ids[2] = {0, 0};
  enum nicsec_hal_err errs[2] = {NICSEC_HAL_OK, NICSEC_HAL_OK};
  size_t n_sas = defer_outbound ? 1 : 2;
  enum nicsec_hal_err rc = nicsec_hal_sa_add(e->hal, sas, n_sas, ids, errs);
  for (size_t i = 0; i < 2 && rc == NICSEC_HAL_OK && e->key_export; i++)
    export_key(e->key_export, &sas[i]);
  for (size_t i = 0; i < n_sas && rc == NICSEC_HAL_OK; i++) { /* kept without keys, for the audit */
    child->hal_desc[i] = sas[i];
    OPENSSL_cleanse(child->hal_desc[i].key, sizeof child->hal_desc[i].key);
    OPENSSL_cleanse(child->hal_desc[i].salt, sizeof child->hal_desc[i].salt);
  }
  OPENSSL_cleanse(sas, sizeof sas);
  if (rc != NICSEC_HAL_OK) {
    log_install_error(child, rc, errs);
    nd_stats_hal_error(&e->stats, rc);
    e->stats.child_install_failed++;
    nd_child_uninstall_dir(e, child, NICSEC_HAL_DIR_OUT); /* wipes a held-back outbound */
    return false;
  }
  child->hal_in = ids[0];
  child->hal_out = ids[1];
  child->installed = true;
  child->installed_ms = e->now_ms;
  child->keymat_ike_id = kin ? 0 : sa->id; /* nicsecctl keys can derive it again (control_keys.c) */
  e->stats.child_installed++;
  char proposal[96];
  nd_selected_describe(&child->sel, proposal, sizeof proposal);
  ND_INFO("child %s (ike#%llu) INSTALLED: SPIs %08x_i %08x_o, %s, %s%s", child->cfg->name,
          (unsigned long long)sa->id, child->spi_in, child->spi_out, proposal,
          child->transport ? "transport" : "tunnel", child->encap ? "-in-UDP" : "");
  return true;
}

static void queue_drain(struct nd_engine *e, nicsec_hal_sa_id id) {
  if (e->n_draining == e->cap_draining) {
    size_t cap = e->cap_draining ? e->cap_draining * 2 : 16;
    struct nd_pending_free *grown = realloc(e->draining, cap * sizeof *grown);
    if (!grown) {
      ND_ERROR("out of memory: HAL SA %llu stays stopped", (unsigned long long)id);
      return;
    }
    e->draining = grown;
    e->cap_draining = cap;
  }
  e->draining[e->n_draining++] = (struct nd_pending_free){id, 0};
}

/* The device forgets an SA's counters when it frees it; a drained SA's are final. */
static void retire_counters(struct nd_engine *e, nicsec_hal_sa_id id) {
  struct nicsec_hal_sa_stats st;
  if (nicsec_hal_sa_stats(e->hal, id, &st) != NICSEC_HAL_OK)
    return;
  e->stats.retired_sas++;
  e->stats.retired_packets += st.packets;
  e->stats.retired_replay_drops += st.replay_drops;
  e->stats.retired_auth_failures += st.auth_failures;
}

/* Phase 2 and 3 of the HAL delete; a busy drain is retried from the timer. */
static bool drain_and_free(struct nd_engine *e, nicsec_hal_sa_id id) {
  enum nicsec_hal_err rc = nicsec_hal_sa_drain(e->hal, id);
  if (rc == NICSEC_HAL_E_BUSY)
    return false;
  if (rc == NICSEC_HAL_OK) {
    retire_counters(e, id);
    rc = nicsec_hal_sa_free(e->hal, id);
  }
  if (rc != NICSEC_HAL_OK)
    ND_ERROR("HAL SA %llu: %s", (unsigned long long)id, nicsec_hal_strerror(rc));
  nd_stats_hal_error(&e->stats, rc);
  return true;
}

static void free_pending_out(struct nd_child_sa *child) {
  if (!child->pending_out)
    return;
  OPENSSL_cleanse(child->pending_out, sizeof *child->pending_out);
  free(child->pending_out);
  child->pending_out = NULL;
}

/* Stop, then drain and free (two-phase delete); a busy drain is finished from the timer. */
static void remove_sas(struct nd_engine *e, const nicsec_hal_sa_id *ids, size_t n) {
  for (size_t i = 0; i < n; i++) {
    enum nicsec_hal_err rc = ids[i] ? nicsec_hal_sa_stop(e->hal, ids[i]) : NICSEC_HAL_OK;
    if (rc != NICSEC_HAL_OK)
      ND_ERROR("HAL SA %llu stop: %s", (unsigned long long)ids[i], nicsec_hal_strerror(rc));
    nd_stats_hal_error(&e->stats, rc);
  }
  for (size_t i = 0; i < n; i++)
    if (ids[i] && !drain_and_free(e, ids[i]))
      queue_drain(e, ids[i]);
}

void nd_child_uninstall(struct nd_engine *e, struct nd_child_sa *child) {
  free_pending_out(child);
  if (!child->installed || !e->hal)
    return;
  child->installed = false;
  nicsec_hal_sa_id ids[2] = {child->hal_in, child->hal_out};
  /* Stop steering both directions first, then drain and free (two-phase delete). */
  remove_sas(e, ids, 2);
  child->hal_in = child->hal_out = 0;
  ND_INFO("child %s DELETED: SPIs %08x_i %08x_o", child->cfg ? child->cfg->name : "?",
          child->spi_in, child->spi_out);
}

/* ---- one direction at a time (rekeying, make-before-break) --------------------------------- */

void nd_child_uninstall_dir(struct nd_engine *e, struct nd_child_sa *child,
                            enum nicsec_hal_dir dir) {
  if (dir == NICSEC_HAL_DIR_OUT)
    free_pending_out(child);
  nicsec_hal_sa_id *id = dir == NICSEC_HAL_DIR_IN ? &child->hal_in : &child->hal_out;
  if (!e->hal || !*id)
    return;
  remove_sas(e, id, 1);
  ND_INFO("child %s: %s SA %08x removed", child->cfg ? child->cfg->name : "?",
          nicsec_hal_dir_name(dir), dir == NICSEC_HAL_DIR_IN ? child->spi_in : child->spi_out);
  *id = 0;
  child->installed = child->hal_in || child->hal_out;
}

bool nd_child_install_outbound(struct nd_engine *e, struct nd_child_sa *child) {
  if (!child->pending_out)
    return child->hal_out != 0;
  nicsec_hal_sa_id id = 0;
  enum nicsec_hal_err err = NICSEC_HAL_OK;
  enum nicsec_hal_err rc = e->hal ? nicsec_hal_sa_add(e->hal, child->pending_out, 1, &id, &err)
                                  : NICSEC_HAL_E_INVAL;
  if (rc == NICSEC_HAL_OK) {
    child->hal_out = id;
    child->installed = true;
    child->hal_desc[1] = *child->pending_out; /* kept without keys, for the audit */
    OPENSSL_cleanse(child->hal_desc[1].key, sizeof child->hal_desc[1].key);
    OPENSSL_cleanse(child->hal_desc[1].salt, sizeof child->hal_desc[1].salt);
    ND_INFO("child %s: outbound SA %08x installed", child->cfg->name, child->spi_out);
  } else {
    ND_ERROR("child %s: the HAL refused the outbound SA: %s", child->cfg->name,
             nicsec_hal_strerror(rc));
    nd_stats_hal_error(&e->stats, rc);
    e->stats.child_install_failed++;
  }
  free_pending_out(child);
  return rc == NICSEC_HAL_OK;
}

void nd_child_drain_pending(struct nd_engine *e) {
  for (size_t i = 0; i < e->n_draining;) {
    struct nd_pending_free *p = &e->draining[i];
    if (drain_and_free(e, p->id) || ++p->attempts > DRAIN_ATTEMPTS_MAX) {
      if (p->attempts > DRAIN_ATTEMPTS_MAX)
        ND_ERROR("HAL SA %llu never drained; left stopped", (unsigned long long)p->id);
      e->draining[i] = e->draining[--e->n_draining];
    } else {
      i++;
    }
  }
}
