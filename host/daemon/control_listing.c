/* The sa-table answer as a snapshot formatted piecewise (see control_fmt.h, nd_listing).
 *
 * The device's table and nicsecd's beliefs are copied when the request arrives (a few tens of
 * MB at 100k SAs, far cheaper than formatting them), so the answer describes one instant even
 * though it leaves over many turns of the event loop, and IKE SAs that die meanwhile cannot
 * leave dangling pointers behind. Copies of device SAs hold no key: dumps redact them. */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "control_fmt.h"

/* One belief with its strings copied: the engine may free or reload them mid-answer. The
 * copy's pointers are set when it is formatted (the array moves as it grows). */
struct listed_belief {
  struct nd_sa_belief b;
  struct nicsec_hal_sa desc;
  char conn[64], child[64], state[32];
};

/* Where the next piece starts. */
enum listing_phase { PHASE_HEAD, PHASE_DEVICE, PHASE_MIDDLE, PHASE_DAEMON, PHASE_DONE };

struct nd_listing {
  struct nicsec_hal_sa_info *device;
  size_t n_device, cap_device;
  struct listed_belief *daemon;
  size_t n_daemon, cap_daemon;
  char backend[64];
  uint64_t stats_freshness_ms, now_real_s, now_ms;
  enum listing_phase phase;
  size_t next; /* index within the phase's list */
  bool failed; /* out of memory while copying */
  bool rows;   /* the compact rows form (nd_fmt_columns) */
};

/* Grows *items (of size each) to hold one more; false when out of memory. */
static bool make_room(void **items, size_t *cap, size_t n, size_t size) {
  if (n < *cap)
    return true;
  size_t grown_cap = *cap ? *cap * 2 : 1024;
  void *grown = realloc(*items, grown_cap * size);
  if (!grown)
    return false;
  *items = grown;
  *cap = grown_cap;
  return true;
}

/* A bounded copy of a name (snprintf's format parsing was a visible part of 100k copies). */
static void copy_name(char *out, size_t size, const char *name) {
  size_t n = name ? strnlen(name, size - 1) : 0;
  memcpy(out, name ? name : "", n);
  out[n] = '\0';
}

static int copy_device_sa(const struct nicsec_hal_sa_info *info, void *ctx) {
  struct nd_listing *l = ctx;
  if (!make_room((void **)&l->device, &l->cap_device, l->n_device, sizeof *l->device)) {
    l->failed = true;
    return 1; /* stop the walk */
  }
  l->device[l->n_device++] = *info;
  return 0;
}

struct nd_listing *nd_listing_new(struct nicsec_hal_dev *dev, uint64_t now_real_s,
                                  uint64_t now_ms, enum nicsec_hal_err *rc) {
  struct nd_listing *l = calloc(1, sizeof *l);
  *rc = NICSEC_HAL_E_NOMEM;
  if (!l)
    return NULL;
  const struct nicsec_hal_caps *caps = nicsec_hal_caps(dev);
  snprintf(l->backend, sizeof l->backend, "%s", caps->backend ? caps->backend : "");
  /* The counters are read during this walk, so they are at most the device's lag old. */
  l->stats_freshness_ms = caps->stats_freshness_ms;
  l->now_real_s = now_real_s;
  l->now_ms = now_ms;
  *rc = nicsec_hal_dump(dev, copy_device_sa, l);
  if (*rc == NICSEC_HAL_OK && l->failed)
    *rc = NICSEC_HAL_E_NOMEM;
  if (*rc != NICSEC_HAL_OK) {
    nd_listing_free(l);
    return NULL;
  }
  return l;
}

bool nd_listing_add_belief(struct nd_listing *l, const struct nd_sa_belief *b) {
  if (!make_room((void **)&l->daemon, &l->cap_daemon, l->n_daemon, sizeof *l->daemon))
    return false;
  struct listed_belief *copy = &l->daemon[l->n_daemon++];
  copy->b = *b;
  copy->desc = *b->desc;
  OPENSSL_cleanse(copy->desc.key, sizeof copy->desc.key); /* zero already; stays so */
  OPENSSL_cleanse(copy->desc.salt, sizeof copy->desc.salt);
  copy_name(copy->conn, sizeof copy->conn, b->conn);
  copy_name(copy->child, sizeof copy->child, b->child);
  copy_name(copy->state, sizeof copy->state, b->state);
  return true;
}

void nd_listing_use_rows(struct nd_listing *l) {
  l->rows = true;
}

size_t nd_listing_device_count(const struct nd_listing *l) {
  return l->n_device;
}

/* "device_sas":[ or "daemon_sas":[, the list's columns before it in the rows form. */
static void list_start(const struct nd_listing *l, struct nd_sb *sb, bool device) {
  if (l->rows) {
    nd_sb_lit(sb, device ? "\"device_columns\":" : "\"daemon_columns\":");
    nd_fmt_columns(sb, device);
    nd_sb_raw(sb, ",", 1);
  }
  nd_sb_lit(sb, device ? "\"device_sas\":[" : "\"daemon_sas\":[");
}

static void head(struct nd_listing *l, struct nd_sb *sb) {
  nd_sb_lit(sb, "{\"ok\":true,\"schema\":\"nicsec.sa-table/1\",\"now_real_s\":");
  nd_sb_u64(sb, l->now_real_s);
  nd_sb_lit(sb, ",\"devices\":[{\"backend\":");
  nd_sb_jstr(sb, l->backend);
  nd_sb_lit(sb, ",\"stats_freshness_ms\":");
  nd_sb_u64(sb, l->stats_freshness_ms);
  nd_sb_lit(sb, "}],");
  list_start(l, sb, true);
}

static void daemon_sa(struct nd_sb *sb, const struct listed_belief *copy, uint64_t now_ms) {
  struct nd_sa_belief b = copy->b;
  b.conn = copy->conn;
  b.child = copy->child;
  b.state = copy->state;
  b.desc = &copy->desc;
  nd_fmt_daemon_sa(sb, &b, now_ms);
}

/* Formats SAs of the current phase until sb holds budget octets or the list ends; true at the
 * end of the list. */
static bool items(struct nd_listing *l, struct nd_sb *sb, size_t budget, bool device) {
  size_t n = device ? l->n_device : l->n_daemon;
  sb->rows = l->rows;
  for (; l->next < n && sb->len < budget && !sb->failed; l->next++) {
    if (l->next)
      nd_sb_raw(sb, ",", 1);
    if (device)
      nd_fmt_device_sa(sb, &l->device[l->next], l->backend, l->now_real_s,
                       l->stats_freshness_ms);
    else
      daemon_sa(sb, &l->daemon[l->next], l->now_ms);
  }
  sb->rows = false;
  return l->next == n;
}

bool nd_listing_next(struct nd_listing *l, struct nd_sb *sb, size_t budget) {
  while (l->phase != PHASE_DONE && sb->len < budget && !sb->failed) {
    switch (l->phase) {
    case PHASE_HEAD:
      head(l, sb);
      l->phase = PHASE_DEVICE;
      break;
    case PHASE_DEVICE:
    case PHASE_DAEMON:
      if (items(l, sb, budget, l->phase == PHASE_DEVICE)) {
        if (l->phase == PHASE_DAEMON)
          nd_sb_lit(sb, "]}\n");
        l->phase++;
        l->next = 0;
      }
      break;
    case PHASE_MIDDLE:
      nd_sb_lit(sb, "],");
      list_start(l, sb, false);
      l->phase = PHASE_DAEMON;
      break;
    case PHASE_DONE:
      break;
    }
  }
  return l->phase == PHASE_DONE;
}

void nd_listing_free(struct nd_listing *l) {
  if (!l)
    return;
  free(l->device);
  free(l->daemon);
  free(l);
}
