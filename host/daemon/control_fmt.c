/* JSON text writers for SA listings (see control_fmt.h and tools/schema/sa-list.json). */
#include "control_fmt.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* ---- the buffer ---------------------------------------------------------------------------- */

static bool sb_grow(struct nd_sb *sb, size_t more);

/* Inline: a 100k-SA listing reserves ~10 million times, and almost always there is room. */
static inline bool sb_reserve(struct nd_sb *sb, size_t more) {
  if (!sb->failed && sb->len + more + 1 <= sb->cap)
    return true;
  return sb_grow(sb, more);
}

static bool sb_grow(struct nd_sb *sb, size_t more) {
  if (sb->failed)
    return false;
  size_t cap = sb->cap ? sb->cap : 4096;
  while (cap < sb->len + more + 1)
    cap *= 2;
  char *grown = sb->secret ? malloc(cap) : realloc(sb->buf, cap);
  if (!grown) {
    sb->failed = true;
    return false;
  }
  if (sb->secret && sb->buf) {
    memcpy(grown, sb->buf, sb->len);
    OPENSSL_cleanse(sb->buf, sb->cap);
    free(sb->buf);
  }
  sb->buf = grown;
  sb->cap = cap;
  return true;
}

void nd_sb_free(struct nd_sb *sb) {
  free(sb->buf);
  *sb = (struct nd_sb){0};
}

void nd_sb_wipe_free(struct nd_sb *sb) {
  if (sb->buf)
    OPENSSL_cleanse(sb->buf, sb->cap);
  nd_sb_free(sb);
}

char *nd_sb_take(struct nd_sb *sb) {
  if (sb->failed || !sb_reserve(sb, 0)) {
    nd_sb_wipe_free(sb);
    return NULL;
  }
  sb->buf[sb->len] = '\0';
  char *text = sb->buf;
  *sb = (struct nd_sb){0};
  return text;
}

void nd_sb_raw(struct nd_sb *sb, const char *text, size_t len) {
  if (!sb_reserve(sb, len))
    return;
  memcpy(sb->buf + sb->len, text, len);
  sb->len += len;
}

void nd_sb_lit(struct nd_sb *sb, const char *text) {
  nd_sb_raw(sb, text, strlen(text));
}

void nd_sb_u64(struct nd_sb *sb, uint64_t v) {
  if (v < 10 && sb_reserve(sb, 1)) { /* most counters of a listing are 0 */
    sb->buf[sb->len++] = (char)('0' + v);
    return;
  }
  char digits[20];
  size_t n = 0;
  do {
    digits[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  if (!sb_reserve(sb, n))
    return;
  while (n)
    sb->buf[sb->len++] = digits[--n];
}

static const char hex_digits[] = "0123456789abcdef";

void nd_sb_jstr(struct nd_sb *sb, const char *text) {
  size_t n = strlen(text);
  if (!sb_reserve(sb, n * 6 + 2)) /* worst case: every octet as \u00XX */
    return;
  char *out = sb->buf + sb->len;
  *out++ = '"';
  for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
    if (*p == '"' || *p == '\\') {
      *out++ = '\\';
      *out++ = (char)*p;
    } else if (*p < 0x20) {
      memcpy(out, "\\u00", 4);
      out[4] = hex_digits[*p >> 4];
      out[5] = hex_digits[*p & 15];
      out += 6;
    } else {
      *out++ = (char)*p;
    }
  }
  *out++ = '"';
  sb->len = (size_t)(out - sb->buf);
}

void nd_sb_jhex(struct nd_sb *sb, const uint8_t *bytes, size_t len) {
  if (!sb_reserve(sb, 2 * len + 2))
    return;
  char *out = sb->buf + sb->len;
  *out++ = '"';
  for (size_t i = 0; i < len; i++) {
    *out++ = hex_digits[bytes[i] >> 4];
    *out++ = hex_digits[bytes[i] & 15];
  }
  *out++ = '"';
  sb->len = (size_t)(out - sb->buf);
}

/* ---- field helpers ------------------------------------------------------------------------- */

/* ,"name": — inline, so strlen of the literal names folds away: these run ~60 times an SA and
 * a 100k-SA listing is 200k objects. */
static inline void key(struct nd_sb *sb, const char *name) {
  size_t n = strlen(name);
  if (!sb_reserve(sb, n + 4))
    return;
  char *out = sb->buf + sb->len;
  out[0] = ',';
  out[1] = '"';
  memcpy(out + 2, name, n);
  out[n + 2] = '"';
  out[n + 3] = ':';
  sb->len += n + 4;
}

/* A top-level member of an SA (not its first): in the rows form only the separator, the name
 * being in the columns. */
static inline void member(struct nd_sb *sb, const char *name) {
  if (sb->rows)
    nd_sb_raw(sb, ",", 1);
  else
    key(sb, name);
}

/* A member of a nested object: named in both forms. */
static inline void nested_u64(struct nd_sb *sb, const char *name, uint64_t v) {
  key(sb, name);
  nd_sb_u64(sb, v);
}

static inline void field_u64(struct nd_sb *sb, const char *name, uint64_t v) {
  member(sb, name);
  nd_sb_u64(sb, v);
}

static inline void field_str(struct nd_sb *sb, const char *name, const char *v) {
  member(sb, name);
  nd_sb_jstr(sb, v ? v : "");
}

static inline void field_bool(struct nd_sb *sb, const char *name, bool v) {
  member(sb, name);
  nd_sb_raw(sb, v ? "true" : "false", v ? 4 : 5);
}

/* An SA's brackets: an object, or an array in the rows form. */
static void open_sa(struct nd_sb *sb) {
  nd_sb_raw(sb, sb->rows ? "[" : "{", 1);
}

static void close_sa(struct nd_sb *sb) {
  nd_sb_raw(sb, sb->rows ? "]" : "}", 1);
}

static void spi_hex(struct nd_sb *sb, uint32_t spi) {
  char text[10] = "\"";
  for (int i = 0; i < 8; i++)
    text[1 + i] = hex_digits[(spi >> (28 - 4 * i)) & 15];
  text[9] = '"';
  nd_sb_raw(sb, text, sizeof text);
}

/* Dotted quad without inet_ntop, whose sprintf was a tenth of a 100k-SA listing. */
static void ipv4_text(const uint8_t *b, char out[16]) {
  char *p = out;
  for (int i = 0; i < 4; i++) {
    unsigned v = b[i];
    if (v >= 100)
      *p++ = (char)('0' + v / 100);
    if (v >= 10)
      *p++ = (char)('0' + v / 10 % 10);
    *p++ = (char)('0' + v % 10);
    *p++ = i < 3 ? '.' : '\0';
  }
}

static void field_addr(struct nd_sb *sb, const char *name, const struct nicsec_hal_addr *a) {
  char text[INET6_ADDRSTRLEN] = "";
  if (a->family == NICSEC_HAL_AF_INET6)
    inet_ntop(AF_INET6, a->bytes, text, sizeof text);
  else
    ipv4_text(a->bytes, text);
  field_str(sb, name, text);
}

static const char *name_or(const char *name, const char *fallback) {
  return name ? name : fallback;
}

static const char *const state_names[] = {
    [NICSEC_HAL_SA_ACTIVE] = "active",
    [NICSEC_HAL_SA_STOPPED] = "stopped",
    [NICSEC_HAL_SA_DRAINED] = "drained",
};

static const char *state_name(enum nicsec_hal_sa_state s) {
  return (unsigned)s < sizeof state_names / sizeof state_names[0] && state_names[s]
             ? state_names[s]
             : "unknown";
}

static void limits_object(struct nd_sb *sb, const char *name, const struct nicsec_hal_limits *l) {
  member(sb, name);
  nd_sb_lit(sb, "{\"soft_packets\":");
  nd_sb_u64(sb, l->soft_packets);
  nested_u64(sb, "hard_packets", l->hard_packets);
  nested_u64(sb, "soft_bytes", l->soft_bytes);
  nested_u64(sb, "hard_bytes", l->hard_bytes);
  nd_sb_raw(sb, "}", 1);
}

/* The parameters both sides describe the same way: "dir":…,"reqid":… without braces. */
static void sa_params(struct nd_sb *sb, const struct nicsec_hal_sa *sa) {
  if (!sb->rows)
    nd_sb_lit(sb, "\"dir\":");
  nd_sb_jstr(sb, name_or(nicsec_hal_dir_name(sa->dir), "unknown"));
  member(sb, "spi");
  spi_hex(sb, sa->spi);
  field_str(sb, "offload", name_or(nicsec_hal_offload_name(sa->offload), "unknown"));
  field_str(sb, "mode", name_or(nicsec_hal_mode_name(sa->mode), "unknown"));
  field_addr(sb, "src", &sa->src);
  field_addr(sb, "dst", &sa->dst);
  member(sb, "encap");
  if (sa->encap.enabled) {
    nd_sb_lit(sb, "{\"sport\":");
    nd_sb_u64(sb, sa->encap.sport);
    nested_u64(sb, "dport", sa->encap.dport);
    nd_sb_raw(sb, "}", 1);
  } else {
    nd_sb_lit(sb, "null");
  }
  field_str(sb, "alg", name_or(nicsec_hal_alg_name(sa->alg), "unknown"));
  field_u64(sb, "key_bits", (uint64_t)sa->key_len * 8);
  field_u64(sb, "icv_bytes", sa->icv_len);
  field_bool(sb, "esn", sa->esn);
  field_u64(sb, "reqid", sa->reqid);
  limits_object(sb, "limits", &sa->limits);
}

/* ---- device and daemon objects ------------------------------------------------------------- */

static void left_value(struct nd_sb *sb, uint64_t limit, uint64_t used) {
  if (limit)
    nd_sb_u64(sb, used >= limit ? 0 : limit - used);
  else
    nd_sb_lit(sb, "null");
}

static void left_field(struct nd_sb *sb, const char *name, uint64_t limit, uint64_t used) {
  key(sb, name);
  left_value(sb, limit, used);
}

static void lifetime_left(struct nd_sb *sb, const struct nicsec_hal_sa_info *info) {
  const struct nicsec_hal_limits *l = &info->sa.limits;
  const struct nicsec_hal_sa_stats *s = &info->stats;
  member(sb, "lifetime_left");
  nd_sb_raw(sb, "{\"soft_packets\":", 16);
  left_value(sb, l->soft_packets, s->packets);
  left_field(sb, "hard_packets", l->hard_packets, s->packets);
  left_field(sb, "soft_bytes", l->soft_bytes, s->bytes);
  left_field(sb, "hard_bytes", l->hard_bytes, s->bytes);
  nd_sb_raw(sb, "}", 1);
}

static void drops_object(struct nd_sb *sb, const uint64_t drops[NICSEC_HAL_DROP__COUNT]) {
  member(sb, "drops");
  for (int r = 0; r < NICSEC_HAL_DROP__COUNT; r++) {
    nd_sb_raw(sb, r ? ",\"" : "{\"", 2);
    nd_sb_lit(sb, name_or(nicsec_hal_drop_name((enum nicsec_hal_drop)r), "unknown"));
    nd_sb_raw(sb, "\":", 2);
    nd_sb_u64(sb, drops[r]);
  }
  nd_sb_raw(sb, "}", 1);
}

static void replay_object(struct nd_sb *sb, const struct nicsec_hal_sa_info *info) {
  member(sb, "replay");
  if (info->sa.dir != NICSEC_HAL_DIR_IN) {
    nd_sb_lit(sb, "null");
    return;
  }
  nd_sb_lit(sb, "{\"window\":");
  nd_sb_u64(sb, info->sa.replay_window);
  nested_u64(sb, "highest_seq", info->stats.seq);
  nested_u64(sb, "seen", info->stats.replay_seen);
  nd_sb_raw(sb, "}", 1);
}

void nd_fmt_device_sa(struct nd_sb *sb, const struct nicsec_hal_sa_info *info, const char *backend,
                      uint64_t now_real_s, uint64_t stats_age_ms) {
  open_sa(sb);
  sa_params(sb, &info->sa);
  field_str(sb, "backend", backend);
  field_u64(sb, "handle", info->id);
  field_str(sb, "state", state_name(info->state));
  field_bool(sb, "offloaded", info->offloaded);
  replay_object(sb, info);
  field_u64(sb, "seq", info->stats.seq);
  field_u64(sb, "packets", info->stats.packets);
  field_u64(sb, "bytes", info->stats.bytes);
  drops_object(sb, info->stats.drops);
  lifetime_left(sb, info);
  field_u64(sb, "last_use_s", info->stats.last_use_s);
  member(sb, "idle_s");
  if (info->stats.last_use_s && now_real_s >= info->stats.last_use_s)
    nd_sb_u64(sb, now_real_s - info->stats.last_use_s);
  else
    nd_sb_lit(sb, "null");
  field_u64(sb, "stats_age_ms", stats_age_ms);
  close_sa(sb);
}

void nd_fmt_daemon_sa(struct nd_sb *sb, const struct nd_sa_belief *b, uint64_t now_ms) {
  open_sa(sb);
  sa_params(sb, b->desc);
  field_u64(sb, "handle", b->handle);
  field_u64(sb, "ike_sa", b->ike_sa);
  field_str(sb, "conn", b->conn);
  field_str(sb, "child", b->child);
  field_u64(sb, "child_id", b->child_id);
  field_str(sb, "state", b->state);
  member(sb, "replay_window");
  if (b->desc->dir == NICSEC_HAL_DIR_IN)
    nd_sb_u64(sb, b->desc->replay_window);
  else
    nd_sb_lit(sb, "null");
  field_u64(sb, "age_s", now_ms >= b->installed_ms ? (now_ms - b->installed_ms) / 1000 : 0);
  close_sa(sb);
}

/* The top-level members the writers above emit, in their order: the rows form's columns.
 * test_ctl_stream (rows_show_what_objects_show) checks that nicsecctl rebuilds from every row
 * the object written for the same SA. */
#define SA_PARAM_COLUMNS                                                                    \
  "\"dir\",\"spi\",\"offload\",\"mode\",\"src\",\"dst\",\"encap\",\"alg\",\"key_bits\","    \
  "\"icv_bytes\",\"esn\",\"reqid\",\"limits\","
static const char device_columns[] =
    "[" SA_PARAM_COLUMNS "\"backend\",\"handle\",\"state\",\"offloaded\",\"replay\",\"seq\","
    "\"packets\",\"bytes\",\"drops\",\"lifetime_left\",\"last_use_s\",\"idle_s\",\"stats_age_ms\"]";
static const char daemon_columns[] =
    "[" SA_PARAM_COLUMNS "\"handle\",\"ike_sa\",\"conn\",\"child\",\"child_id\",\"state\","
    "\"replay_window\",\"age_s\"]";

void nd_fmt_columns(struct nd_sb *sb, bool device) {
  nd_sb_raw(sb, device ? device_columns : daemon_columns,
            device ? sizeof device_columns - 1 : sizeof daemon_columns - 1);
}

/* ---- the device table ---------------------------------------------------------------------- */

struct table_walk {
  struct nd_sb *sb;
  const char *backend;
  uint64_t now_real_s, stats_age_ms;
  size_t count;
};

static int add_device_sa(const struct nicsec_hal_sa_info *info, void *ctx) {
  struct table_walk *w = ctx;
  if (w->count++)
    nd_sb_raw(w->sb, ",", 1);
  nd_fmt_device_sa(w->sb, info, w->backend, w->now_real_s, w->stats_age_ms);
  return w->sb->failed; /* out of memory: stop walking */
}

enum nicsec_hal_err nd_fmt_device_table(struct nd_sb *sb, struct nicsec_hal_dev *dev,
                                        uint64_t now_real_s, size_t *count) {
  const struct nicsec_hal_caps *caps = nicsec_hal_caps(dev);
  /* The counters were read during this walk, so they are at most the device's lag old. */
  struct table_walk w = {sb, caps->backend ? caps->backend : "", now_real_s,
                         caps->stats_freshness_ms, 0};
  nd_sb_lit(sb, "\"device_sas\":[");
  enum nicsec_hal_err rc = nicsec_hal_dump(dev, add_device_sa, &w);
  nd_sb_raw(sb, "]", 1);
  if (rc == NICSEC_HAL_OK && sb->failed)
    rc = NICSEC_HAL_E_NOMEM;
  *count = w.count;
  return rc;
}
