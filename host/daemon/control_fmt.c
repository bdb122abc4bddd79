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

/* "00".."99": two digits a division, half the divisions of a digit at a time. */
static const char two_digits[201] =
    "0001020304050607080910111213141516171819202122232425262728293031323334353637383940414243444546"
    "4748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293"
    "949596979899";

void nd_sb_u64(struct nd_sb *sb, uint64_t v) {
  if (!sb_reserve(sb, 20))
    return;
  char *out = sb->buf + sb->len;
  if (v < 10) { /* most counters of a listing are 0 */
    *out = (char)('0' + v);
    sb->len++;
    return;
  }
  char digits[20];
  size_t n = sizeof digits;
  while (v >= 100) {
    n -= 2;
    memcpy(digits + n, two_digits + 2 * (v % 100), 2);
    v /= 100;
  }
  if (v >= 10) {
    n -= 2;
    memcpy(digits + n, two_digits + 2 * v, 2);
  } else {
    digits[--n] = (char)('0' + v);
  }
  memcpy(out, digits + n, sizeof digits - n);
  sb->len += sizeof digits - n;
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

/* The members of the nested objects, shared by the object writers and the rows form's columns
 * (nd_fmt_columns), so the two cannot drift apart. */
static const char *const limits_members[] = {"soft_packets", "hard_packets", "soft_bytes",
                                             "hard_bytes"};
static const char *const encap_members[] = {"sport", "dport"};
static const char *const replay_members[] = {"window", "highest_seq", "seen"};
enum { LIMITS_N = 4, ENCAP_N = 2, REPLAY_N = 3 };

/* A nested object name, up to the value of its first member: in the rows form its members are
 * columns of their own ("limits.soft_packets"), so only the separator goes out. */
static inline void nested_open(struct nd_sb *sb, const char *name, const char *first) {
  if (sb->rows) {
    nd_sb_raw(sb, ",", 1);
    return;
  }
  key(sb, name);
  nd_sb_raw(sb, "{\"", 2);
  nd_sb_lit(sb, first);
  nd_sb_raw(sb, "\":", 2);
}

/* A later member of a nested object. */
static inline void nested_key(struct nd_sb *sb, const char *name) {
  if (sb->rows)
    nd_sb_raw(sb, ",", 1);
  else
    key(sb, name);
}

static inline void nested_u64(struct nd_sb *sb, const char *name, uint64_t v) {
  nested_key(sb, name);
  nd_sb_u64(sb, v);
}

static inline void nested_close(struct nd_sb *sb) {
  if (!sb->rows)
    nd_sb_raw(sb, "}", 1);
}

/* An object that may be null (encap, replay): in the rows form a column of its own says which
 * (true or null) before its n members' columns, which hold null when it is. */
static void nullable_open(struct nd_sb *sb, const char *name, const char *first) {
  if (sb->rows)
    nd_sb_raw(sb, ",true", 5);
  nested_open(sb, name, first);
}

static void nullable_absent(struct nd_sb *sb, const char *name, size_t n) {
  if (!sb->rows) {
    key(sb, name);
    nd_sb_raw(sb, "null", 4);
    return;
  }
  for (size_t i = 0; i <= n; i++)
    nd_sb_raw(sb, ",null", 5);
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
  const uint64_t values[LIMITS_N] = {l->soft_packets, l->hard_packets, l->soft_bytes,
                                     l->hard_bytes};
  nested_open(sb, name, limits_members[0]);
  nd_sb_u64(sb, values[0]);
  for (int i = 1; i < LIMITS_N; i++)
    nested_u64(sb, limits_members[i], values[i]);
  nested_close(sb);
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
  if (sa->encap.enabled) {
    nullable_open(sb, "encap", encap_members[0]);
    nd_sb_u64(sb, sa->encap.sport);
    nested_u64(sb, encap_members[1], sa->encap.dport);
    nested_close(sb);
  } else {
    nullable_absent(sb, "encap", ENCAP_N);
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

static void lifetime_left(struct nd_sb *sb, const struct nicsec_hal_sa_info *info) {
  const struct nicsec_hal_limits *l = &info->sa.limits;
  const struct nicsec_hal_sa_stats *s = &info->stats;
  const uint64_t limits[LIMITS_N] = {l->soft_packets, l->hard_packets, l->soft_bytes,
                                     l->hard_bytes};
  const uint64_t used[LIMITS_N] = {s->packets, s->packets, s->bytes, s->bytes};
  nested_open(sb, "lifetime_left", limits_members[0]);
  left_value(sb, limits[0], used[0]);
  for (int i = 1; i < LIMITS_N; i++) {
    nested_key(sb, limits_members[i]);
    left_value(sb, limits[i], used[i]);
  }
  nested_close(sb);
}

static const char *drop_name(int reason) {
  return name_or(nicsec_hal_drop_name((enum nicsec_hal_drop)reason), "unknown");
}

static void drops_object(struct nd_sb *sb, const uint64_t drops[NICSEC_HAL_DROP__COUNT]) {
  nested_open(sb, "drops", drop_name(0));
  nd_sb_u64(sb, drops[0]);
  for (int r = 1; r < NICSEC_HAL_DROP__COUNT; r++)
    nested_u64(sb, drop_name(r), drops[r]);
  nested_close(sb);
}

static void replay_object(struct nd_sb *sb, const struct nicsec_hal_sa_info *info) {
  if (info->sa.dir != NICSEC_HAL_DIR_IN) {
    nullable_absent(sb, "replay", REPLAY_N);
    return;
  }
  nullable_open(sb, "replay", replay_members[0]);
  nd_sb_u64(sb, info->sa.replay_window);
  nested_u64(sb, replay_members[1], info->stats.seq);
  nested_u64(sb, replay_members[2], info->stats.replay_seen);
  nested_close(sb);
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

/* The rows form's columns, in the order the writers above emit values. A nested object's
 * members are columns of their own, named "object.member"; one that may be null has a column
 * named after it (true or null) before them. test_ctl_stream (rows_show_what_objects_show)
 * checks that nicsecctl rebuilds from every row the object written for the same SA. */
enum nested { FLAT, NESTED, NULLABLE, DROPS };
static const struct column {
  const char *name;
  enum nested nested;
  const char *const *members;
  size_t n_members;
} param_columns[] = {
    {"dir", FLAT, NULL, 0},       {"spi", FLAT, NULL, 0},
    {"offload", FLAT, NULL, 0},   {"mode", FLAT, NULL, 0},
    {"src", FLAT, NULL, 0},       {"dst", FLAT, NULL, 0},
    {"encap", NULLABLE, encap_members, ENCAP_N},
    {"alg", FLAT, NULL, 0},       {"key_bits", FLAT, NULL, 0},
    {"icv_bytes", FLAT, NULL, 0}, {"esn", FLAT, NULL, 0},
    {"reqid", FLAT, NULL, 0},     {"limits", NESTED, limits_members, LIMITS_N},
}, device_columns[] = {
    {"backend", FLAT, NULL, 0},   {"handle", FLAT, NULL, 0},
    {"state", FLAT, NULL, 0},     {"offloaded", FLAT, NULL, 0},
    {"replay", NULLABLE, replay_members, REPLAY_N},
    {"seq", FLAT, NULL, 0},       {"packets", FLAT, NULL, 0},
    {"bytes", FLAT, NULL, 0},     {"drops", DROPS, NULL, NICSEC_HAL_DROP__COUNT},
    {"lifetime_left", NESTED, limits_members, LIMITS_N},
    {"last_use_s", FLAT, NULL, 0}, {"idle_s", FLAT, NULL, 0},
    {"stats_age_ms", FLAT, NULL, 0},
}, daemon_columns[] = {
    {"handle", FLAT, NULL, 0},    {"ike_sa", FLAT, NULL, 0},
    {"conn", FLAT, NULL, 0},      {"child", FLAT, NULL, 0},
    {"child_id", FLAT, NULL, 0},  {"state", FLAT, NULL, 0},
    {"replay_window", FLAT, NULL, 0}, {"age_s", FLAT, NULL, 0},
};

static void column_name(struct nd_sb *sb, const char *object, const char *member_name) {
  bool first = sb->len && sb->buf[sb->len - 1] == '[';
  nd_sb_raw(sb, first ? "\"" : ",\"", first ? 1 : 2);
  nd_sb_lit(sb, object);
  if (member_name) {
    nd_sb_raw(sb, ".", 1);
    nd_sb_lit(sb, member_name);
  }
  nd_sb_raw(sb, "\"", 1);
}

static void write_columns(struct nd_sb *sb, const struct column *cols, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const struct column *c = &cols[i];
    if (c->nested == FLAT || c->nested == NULLABLE)
      column_name(sb, c->name, NULL);
    for (size_t m = 0; c->nested != FLAT && m < c->n_members; m++)
      column_name(sb, c->name, c->nested == DROPS ? drop_name((int)m) : c->members[m]);
  }
}

void nd_fmt_columns(struct nd_sb *sb, bool device) {
  nd_sb_raw(sb, "[", 1);
  write_columns(sb, param_columns, sizeof param_columns / sizeof param_columns[0]);
  if (device)
    write_columns(sb, device_columns, sizeof device_columns / sizeof device_columns[0]);
  else
    write_columns(sb, daemon_columns, sizeof daemon_columns / sizeof daemon_columns[0]);
  nd_sb_raw(sb, "]", 1);
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
