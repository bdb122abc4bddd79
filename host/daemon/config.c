/* Configuration: file loading, validation of what libcyaml loaded, lookups. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_locate.h"
#include "config_raw.h"
#include "ikecodec_notify.h"

enum { MAX_CONFIG_BYTES = 4 << 20, ND_MAX_PKI_FILES = 8 };

/* Validation context: where errors go. Lines are looked up only once an error happened, so
 * a good file is parsed once. */
struct vctx {
  const char *file;
  char base_dir[4096]; /* folder of the file: relative certificate paths start there */
  struct nd_config_error *err;
};

static int fail(struct vctx *v, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void field_path(char *out, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Field paths ("connections[0].children[1].mode") for error messages; a path longer than the
 * buffer is cut, which only shortens the message. */
static void field_path(char *out, size_t cap, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(out, cap, fmt, ap);
  va_end(ap);
}

static int fail(struct vctx *v, const char *path, const char *fmt, ...) {
  snprintf(v->err->file, sizeof v->err->file, "%s", v->file);
  snprintf(v->err->field, sizeof v->err->field, "%s", path);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(v->err->message, sizeof v->err->message, fmt, ap);
  va_end(ap);
  return -1;
}

static int parse_ip(struct vctx *v, const char *path, const char *text, bool allow_any,
                    struct nd_ip *out) {
  memset(out, 0, sizeof *out);
  if (allow_any && strcmp(text, "%any") == 0)
    return 0;
  if (inet_pton(AF_INET, text, out->bytes) == 1) {
    out->family = AF_INET;
    return 0;
  }
  if (inet_pton(AF_INET6, text, out->bytes) == 1) {
    out->family = AF_INET6;
    return 0;
  }
  return fail(v, path, "'%s' is not an IPv4 or IPv6 address%s", text,
              allow_any ? " (or %any)" : "");
}

static int parse_proposals(struct vctx *v, const char *path, char **texts, unsigned n,
                           uint8_t protocol, struct nd_proposal *out, size_t *n_out) {
  char where[128], msg[256];
  if (n > ND_MAX_PROPOSALS)
    return fail(v, path, "at most %d proposals are supported", ND_MAX_PROPOSALS);
  for (unsigned i = 0; i < n; i++) {
    field_path(where, sizeof where, "%s[%u]", path, i);
    if (nd_proposal_parse(texts[i], protocol, &out[i], msg, sizeof msg) != 0)
      return fail(v, where, "%s", msg);
  }
  *n_out = n;
  return 0;
}

static int parse_ts_list(struct vctx *v, const char *path, char **texts, unsigned n,
                         struct nd_ts_cfg *out, size_t *n_out) {
  char where[128], msg[256];
  if (n > ND_MAX_TS)
    return fail(v, path, "at most %d traffic selectors are supported", ND_MAX_TS);
  if (n == 0) {
    /* strongSwan's default: the IKE SA's own address on each side. */
    memset(&out[0], 0, sizeof out[0]);
    out[0].dynamic = true;
    out[0].ts.end_port = 65535;
    *n_out = 1;
    return 0;
  }
  for (unsigned i = 0; i < n; i++) {
    field_path(where, sizeof where, "%s[%u]", path, i);
    if (nd_ts_parse(texts[i], &out[i], msg, sizeof msg) != 0)
      return fail(v, where, "%s", msg);
  }
  *n_out = n;
  return 0;
}

/* strongSwan's defaults: rekey after an hour, hard limit 10% later, jitter the difference. */
static int convert_lifetimes(struct vctx *v, const char *path, const struct raw_child *raw,
                             struct nd_child_cfg *out) {
  char where[160];
  out->rekey_time_s = raw->rekey_time ? *raw->rekey_time : 3600;
  uint64_t life = raw->life_time ? *raw->life_time
                                 : (uint64_t)out->rekey_time_s + out->rekey_time_s / 10;
  out->life_time_s = life > UINT32_MAX ? UINT32_MAX : (uint32_t)life;
  if (out->rekey_time_s && out->life_time_s && out->life_time_s <= out->rekey_time_s) {
    field_path(where, sizeof where, "%s.life_time", path);
    return fail(v, where, "must be above rekey_time (%u s), or 0 for no hard limit",
                out->rekey_time_s);
  }
  uint32_t room = out->life_time_s ? out->life_time_s - out->rekey_time_s : out->rekey_time_s / 10;
  out->rand_time_s = raw->rand_time ? *raw->rand_time : room;
  if (out->rand_time_s > out->rekey_time_s)
    out->rand_time_s = out->rekey_time_s;
  out->rekey_bytes = raw->rekey_bytes ? *raw->rekey_bytes : 0;
  out->life_bytes = raw->life_bytes ? *raw->life_bytes : 0;
  out->rekey_packets = raw->rekey_packets ? *raw->rekey_packets : 0;
  out->life_packets = raw->life_packets ? *raw->life_packets : 0;
  if ((out->life_bytes && out->rekey_bytes > out->life_bytes) ||
      (out->life_packets && out->rekey_packets > out->life_packets)) {
    field_path(where, sizeof where, "%s.rekey_%s", path,
               out->rekey_bytes > out->life_bytes ? "bytes" : "packets");
    return fail(v, where, "the soft limit must not exceed the hard (life_) limit");
  }
  return 0;
}

static int convert_child(struct vctx *v, const char *path, const struct raw_child *raw,
                         struct nd_child_cfg *out) {
  char where[128];
  snprintf(out->name, sizeof out->name, "%s", raw->name);
  field_path(where, sizeof where, "%s.local_ts", path);
  if (parse_ts_list(v, where, raw->local_ts, raw->n_local_ts, out->local_ts, &out->n_local_ts))
    return -1;
  field_path(where, sizeof where, "%s.remote_ts", path);
  if (parse_ts_list(v, where, raw->remote_ts, raw->n_remote_ts, out->remote_ts,
                    &out->n_remote_ts))
    return -1;
  field_path(where, sizeof where, "%s.esp_proposals", path);
  if (raw->n_esp_proposals == 0)
    return fail(v, where, "child '%s' needs at least one ESP proposal (e.g. aes256gcm16)",
                raw->name);
  if (parse_proposals(v, where, raw->esp_proposals, raw->n_esp_proposals, IKE_PROTO_ESP,
                      out->esp, &out->n_esp))
    return -1;
  out->mode = raw->mode ? *raw->mode : ND_MODE_TUNNEL;
  out->start_action = raw->start_action ? *raw->start_action : ND_START_NONE;
  out->replay_window = raw->replay_window ? *raw->replay_window : 32;
  if (convert_lifetimes(v, path, raw, out))
    return -1;
  if (out->start_action == ND_START_TRAP) {
    field_path(where, sizeof where, "%s.start_action", path);
    return fail(v, where, "'trap' needs acquire events from the datapath, which the offload HAL "
                          "does not provide yet; use none or start");
  }
  return 0;
}

/* A file named in the configuration: absolute, or relative to the configuration's folder. */
static void resolve_path(const struct vctx *v, const char *name, char *out, size_t cap) {
  if (name[0] == '/' || !v->base_dir[0])
    field_path(out, cap, "%s", name);
  else
    field_path(out, cap, "%s/%s", v->base_dir, name);
}

static int load_pki(struct vctx *v, const char *path, const struct raw_endpoint *raw, bool local,
                    struct nd_pki **out) {
  char where[160], msg[300];
  char files[ND_MAX_PKI_FILES][512];
  const char *list[ND_MAX_PKI_FILES];
  char **names = local ? raw->certs : raw->cacerts;
  unsigned n = local ? raw->n_certs : raw->n_cacerts;
  field_path(where, sizeof where, "%s.%s", path, local ? "certs" : "cacerts");
  if (n == 0 || n > ND_MAX_PKI_FILES || (local && !raw->key))
    return fail(v, where, "auth: pubkey needs %s (1..%d files)%s", local ? "certs" : "cacerts",
                ND_MAX_PKI_FILES, local ? " and key" : "");
  for (unsigned i = 0; i < n; i++) {
    resolve_path(v, names[i], files[i], sizeof files[i]);
    list[i] = files[i];
  }
  char key[512] = "";
  if (local)
    resolve_path(v, raw->key, key, sizeof key);
  *out = local ? nd_pki_load_local(list, n, key, msg, sizeof msg)
               : nd_pki_load_cas(list, n, msg, sizeof msg);
  return *out ? 0 : fail(v, where, "%s", msg);
}

static int convert_endpoint(struct vctx *v, const char *path, const struct raw_endpoint *raw,
                            const struct nd_ip *addr, bool local, struct nd_identity *id,
                            enum nd_auth_method *auth, struct nd_pki **pki) {
  char where[128], msg[256];
  *auth = raw && raw->auth ? *raw->auth : ND_AUTH_PSK;
  bool has_files = raw && (raw->n_certs || raw->key || raw->n_cacerts);
  if (*auth == ND_AUTH_PSK && has_files)
    return fail(v, path, "certs, key and cacerts need auth: pubkey");
  if (*auth == ND_AUTH_PUBKEY && load_pki(v, path, raw, local, pki) != 0)
    return -1;
  field_path(where, sizeof where, "%s.id", path);
  if (raw && raw->id && nd_identity_parse(raw->id, id, msg, sizeof msg) != 0)
    return fail(v, where, "%s", msg);
  if (!raw || !raw->id) {
    /* Defaults: our certificate's subject, else the address; any peer identity. */
    if (local && *pki)
      return nd_pki_subject_id(*pki, id) ? 0 : fail(v, path, "certificate subject too long");
    if (local && addr->family)
      nd_identity_from_ip(addr->family, addr->bytes, id);
    else
      id->type = ND_ID_ANY;
    return 0;
  }
  if (id->type == ND_ID_ANY && local)
    return fail(v, where, "our own identity cannot be %%any");
  if (local && *pki && !nd_pki_cert_has_id(*pki, id))
    return fail(v, where, "'%s' is neither the subject nor a subjectAltName of our certificate",
                raw->id);
  return 0;
}

static int check_unique_names(struct vctx *v, const struct nd_config *cfg, size_t i) {
  char where[64];
  for (size_t j = 0; j < i; j++)
    if (strcmp(cfg->conns[j].name, cfg->conns[i].name) == 0) {
      field_path(where, sizeof where, "connections[%zu].name", i);
      return fail(v, where, "connection name '%s' is used twice", cfg->conns[i].name);
    }
  return 0;
}

static int convert_conn(struct vctx *v, size_t index, const struct raw_conn *raw,
                        struct nd_conn_cfg *out) {
  char path[64], where[128];
  field_path(path, sizeof path, "connections[%zu]", index);
  snprintf(out->name, sizeof out->name, "%s", raw->name);
  field_path(where, sizeof where, "%s.local_addr", path);
  if (parse_ip(v, where, raw->local_addr, false, &out->local_addr))
    return -1;
  field_path(where, sizeof where, "%s.remote_addr", path);
  if (parse_ip(v, where, raw->remote_addr, true, &out->remote_addr))
    return -1;
  if (out->remote_addr.family && out->remote_addr.family != out->local_addr.family)
    return fail(v, where, "local and remote addresses are of different families");
  out->remote_port = raw->remote_port ? *raw->remote_port : 500;
  field_path(where, sizeof where, "%s.proposals", path);
  if (raw->n_proposals == 0)
    return fail(v, where, "connection '%s' needs at least one IKE proposal", raw->name);
  if (parse_proposals(v, where, raw->proposals, raw->n_proposals, IKE_PROTO_IKE, out->ike,
                      &out->n_ike))
    return -1;
  out->encap = raw->encap && *raw->encap;
  out->fragmentation = !raw->fragmentation || *raw->fragmentation;
  out->dpd_delay_s = raw->dpd_delay ? *raw->dpd_delay : 0;
  out->rekey_time_s = raw->rekey_time ? *raw->rekey_time : 14400;
  out->reauth_time_s = raw->reauth_time ? *raw->reauth_time : 0;
  out->optimized_rekey = raw->optimized_rekey && *raw->optimized_rekey;
  out->child_pfs_info = raw->child_pfs_info && *raw->child_pfs_info;
  field_path(where, sizeof where, "%s.local", path);
  if (convert_endpoint(v, where, raw->local, &out->local_addr, true, &out->local_id,
                       &out->local_auth, &out->local_pki))
    return -1;
  field_path(where, sizeof where, "%s.remote", path);
  if (convert_endpoint(v, where, raw->remote, &out->remote_addr, false, &out->remote_id,
                       &out->remote_auth, &out->remote_pki))
    return -1;
  out->children = calloc(raw->n_children ? raw->n_children : 1, sizeof *out->children);
  if (!out->children)
    return fail(v, path, "out of memory");
  for (unsigned c = 0; c < raw->n_children; c++) {
    field_path(where, sizeof where, "%s.children[%u]", path, c);
    if (convert_child(v, where, &raw->children[c], &out->children[c]))
      return -1;
    out->n_children = c + 1;
  }
  return 0;
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static int parse_secret_value(struct vctx *v, const char *path, const char *text,
                              struct nd_secret *out) {
  size_t len = strlen(text);
  bool hex = len > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  size_t key_len = hex ? (len - 2) / 2 : len;
  if (key_len == 0 || key_len > ND_SECRET_MAX || (hex && len % 2))
    return fail(v, path, "secret must be 1..%d octets (hex: an even number of digits)",
                ND_SECRET_MAX);
  out->key = malloc(key_len);
  if (!out->key)
    return fail(v, path, "out of memory");
  out->key_len = key_len;
  if (!hex) {
    memcpy(out->key, text, len);
    return 0;
  }
  for (size_t i = 0; i < key_len; i++) {
    int hi = hex_digit(text[2 + 2 * i]), lo = hex_digit(text[3 + 2 * i]);
    if (hi < 0 || lo < 0)
      return fail(v, path, "secret is not valid hex");
    out->key[i] = (uint8_t)(hi << 4 | lo);
  }
  return 0;
}

static int convert_secret(struct vctx *v, size_t index, const struct raw_secret *raw,
                          struct nd_secret *out) {
  char where[96], msg[256];
  if (raw->n_ids > ND_SECRET_IDS) {
    field_path(where, sizeof where, "secrets[%zu].ids", index);
    return fail(v, where, "at most %d identities per secret", ND_SECRET_IDS);
  }
  for (unsigned i = 0; i < raw->n_ids; i++) {
    field_path(where, sizeof where, "secrets[%zu].ids[%u]", index, i);
    if (nd_identity_parse(raw->ids[i], &out->ids[i], msg, sizeof msg) != 0)
      return fail(v, where, "%s", msg);
  }
  out->n_ids = raw->n_ids;
  field_path(where, sizeof where, "secrets[%zu].secret", index);
  return parse_secret_value(v, where, raw->secret, out);
}

static void apply_daemon_defaults(const struct raw_daemon *raw, struct nd_daemon_cfg *out) {
  out->ike_port = raw && raw->ike_port ? *raw->ike_port : 500;
  out->natt_port = raw && raw->natt_port ? *raw->natt_port : 4500;
  out->retransmit_timeout_ms =
      raw && raw->retransmit_timeout_ms ? *raw->retransmit_timeout_ms : 1000;
  out->retransmit_tries = raw && raw->retransmit_tries ? *raw->retransmit_tries : 5;
  out->half_open_threshold = raw && raw->half_open_threshold ? *raw->half_open_threshold : 100;
  out->fragment_size = raw && raw->fragment_size ? *raw->fragment_size : 1280;
  out->inbound_drain_ms = raw && raw->inbound_drain_ms ? *raw->inbound_drain_ms : 2000;
  out->notify_optimized_rekey_supported = raw && raw->notify_optimized_rekey_supported
                                              ? *raw->notify_optimized_rekey_supported
                                              : IKE_N_OPTIMIZED_REKEY_SUPPORTED_PRIVATE;
  out->notify_optimized_rekey = raw && raw->notify_optimized_rekey
                                    ? *raw->notify_optimized_rekey
                                    : IKE_N_OPTIMIZED_REKEY_PRIVATE;
  out->notify_child_pfs_info_supported = raw && raw->notify_child_pfs_info_supported
                                             ? *raw->notify_child_pfs_info_supported
                                             : IKE_N_CHILD_SA_PFS_INFO_SUPPORTED_PRIVATE;
}

/* The draft notifies must be private-use status types (a registered or error value would be
 * read by peers as something else) and distinct from each other. */
static bool private_notifies_ok(const struct nd_daemon_cfg *d) {
  uint16_t t[3] = {d->notify_optimized_rekey_supported, d->notify_optimized_rekey,
                   d->notify_child_pfs_info_supported};
  for (int i = 0; i < 3; i++)
    if (t[i] < IKE_N_FIRST_PRIVATE_STATUS)
      return false;
  return t[0] != t[1] && t[0] != t[2] && t[1] != t[2];
}

static int convert_root(struct vctx *v, const struct raw_root *raw, struct nd_config *cfg) {
  apply_daemon_defaults(raw->daemon, &cfg->daemon);
  if (cfg->daemon.retransmit_tries > 16 || cfg->daemon.retransmit_timeout_ms == 0)
    return fail(v, "daemon", "retransmit_tries must be <= 16 and retransmit_timeout_ms > 0");
  if (cfg->daemon.fragment_size < 200 || cfg->daemon.fragment_size > 65535)
    return fail(v, "daemon.fragment_size", "must be 200..65535 octets (a whole IP datagram)");
  if (!private_notifies_ok(&cfg->daemon))
    return fail(v, "daemon", "notify_* types must be distinct private-use status types "
                             "(40960..65535)");
  snprintf(cfg->hal.backend, sizeof cfg->hal.backend, "%s", raw->hal->backend);
  snprintf(cfg->hal.args, sizeof cfg->hal.args, "%s", raw->hal->args ? raw->hal->args : "");
  cfg->conns = calloc(raw->n_connections ? raw->n_connections : 1, sizeof *cfg->conns);
  cfg->secrets = calloc(raw->n_secrets ? raw->n_secrets : 1, sizeof *cfg->secrets);
  if (!cfg->conns || !cfg->secrets)
    return fail(v, "", "out of memory");
  for (unsigned i = 0; i < raw->n_connections; i++) {
    cfg->n_conns = i + 1;
    if (convert_conn(v, i, &raw->connections[i], &cfg->conns[i]) || check_unique_names(v, cfg, i))
      return -1;
  }
  for (unsigned i = 0; i < raw->n_secrets; i++) {
    cfg->n_secrets = i + 1;
    if (convert_secret(v, i, &raw->secrets[i], &cfg->secrets[i]))
      return -1;
  }
  return 0;
}

int nd_config_load_text(const char *name, const char *text, size_t len, struct nd_config *cfg,
                        struct nd_config_error *err) {
  memset(cfg, 0, sizeof *cfg);
  memset(err, 0, sizeof *err);
  struct raw_root *raw = NULL;
  if (nd_raw_load(name, text, len, &raw, err) != 0) {
    struct nd_locate loc;
    if (err->field[0] && nd_locate_build(&loc, text, len) == 0) {
      /* libcyaml's line is where it stopped reading; the index knows where the field is. */
      unsigned line = nd_locate_line(&loc, err->field, NULL);
      if (line)
        err->line = line;
      nd_locate_free(&loc);
    }
    if (err->line == 0) {
      char problem[200];
      unsigned line = nd_locate_syntax_error(text, len, problem, sizeof problem);
      if (line) {
        err->line = line;
        snprintf(err->message, sizeof err->message, "%s", problem);
      }
    }
    return -1;
  }
  struct vctx v = {.file = name, .err = err};
  const char *slash = strrchr(name, '/');
  if (slash)
    snprintf(v.base_dir, sizeof v.base_dir, "%.*s", (int)(slash - name), name);
  int rc = convert_root(&v, raw, cfg);
  nd_raw_free(raw);
  if (rc != 0) {
    nd_config_free(cfg);
    struct nd_locate loc;
    if (nd_locate_build(&loc, text, len) == 0) {
      err->line = nd_locate_line(&loc, err->field, NULL);
      nd_locate_free(&loc);
    }
  }
  return rc;
}

int nd_config_load_file(const char *path, struct nd_config *cfg, struct nd_config_error *err) {
  memset(cfg, 0, sizeof *cfg);
  memset(err, 0, sizeof *err);
  snprintf(err->file, sizeof err->file, "%s", path);
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err->message, sizeof err->message, "cannot open: %s", strerror(errno));
    return -1;
  }
  char *text = malloc(MAX_CONFIG_BYTES);
  size_t len = text ? fread(text, 1, MAX_CONFIG_BYTES, f) : 0;
  bool too_big = text && len == MAX_CONFIG_BYTES;
  fclose(f);
  if (!text || too_big) {
    snprintf(err->message, sizeof err->message, "%s",
             text ? "file larger than 4 MiB" : "out of memory");
    free(text);
    return -1;
  }
  int rc = nd_config_load_text(path, text, len, cfg, err);
  OPENSSL_cleanse(text, len); /* the file holds secrets */
  free(text);
  return rc;
}

void nd_config_free(struct nd_config *cfg) {
  for (size_t i = 0; i < cfg->n_conns; i++) {
    free(cfg->conns[i].children);
    nd_pki_unref(cfg->conns[i].local_pki);
    nd_pki_unref(cfg->conns[i].remote_pki);
  }
  free(cfg->conns);
  for (size_t i = 0; i < cfg->n_secrets; i++) {
    if (cfg->secrets[i].key)
      OPENSSL_cleanse(cfg->secrets[i].key, cfg->secrets[i].key_len);
    free(cfg->secrets[i].key);
  }
  free(cfg->secrets);
  memset(cfg, 0, sizeof *cfg);
}

int nd_config_clone(const struct nd_config *src, struct nd_config *dst) {
  *dst = *src;
  dst->conns = calloc(src->n_conns ? src->n_conns : 1, sizeof *dst->conns);
  dst->secrets = calloc(src->n_secrets ? src->n_secrets : 1, sizeof *dst->secrets);
  dst->n_conns = dst->n_secrets = 0;
  if (!dst->conns || !dst->secrets)
    goto fail;
  for (size_t i = 0; i < src->n_conns; i++) {
    const struct nd_conn_cfg *c = &src->conns[i];
    dst->conns[i] = *c;
    nd_pki_ref(c->local_pki);
    nd_pki_ref(c->remote_pki);
    dst->conns[i].children = calloc(c->n_children ? c->n_children : 1, sizeof *c->children);
    dst->n_conns = i + 1;
    if (!dst->conns[i].children)
      goto fail;
    memcpy(dst->conns[i].children, c->children, c->n_children * sizeof *c->children);
  }
  for (size_t i = 0; i < src->n_secrets; i++) {
    dst->secrets[i] = src->secrets[i];
    dst->secrets[i].key = malloc(src->secrets[i].key_len);
    dst->n_secrets = i + 1;
    if (!dst->secrets[i].key)
      goto fail;
    memcpy(dst->secrets[i].key, src->secrets[i].key, src->secrets[i].key_len);
  }
  return 0;
fail:
  nd_config_free(dst);
  return -1;
}

void nd_config_error_format(const struct nd_config_error *err, char *out, size_t len) {
  char line[24] = "";
  if (err->line)
    snprintf(line, sizeof line, ":%u", err->line);
  snprintf(out, len, "%s%s: %s%s%s", err->file, line, err->field, err->field[0] ? ": " : "",
           err->message);
}

const struct nd_conn_cfg *nd_config_find_conn(const struct nd_config *cfg, const char *name) {
  for (size_t i = 0; i < cfg->n_conns; i++)
    if (strcmp(cfg->conns[i].name, name) == 0)
      return &cfg->conns[i];
  return NULL;
}

static bool secret_lists(const struct nd_secret *s, const struct nd_identity *id) {
  for (size_t i = 0; i < s->n_ids; i++)
    if (nd_identity_equal(&s->ids[i], id))
      return true;
  return false;
}

const struct nd_secret *nd_config_find_psk(const struct nd_config *cfg,
                                           const struct nd_identity *local,
                                           const struct nd_identity *remote) {
  const struct nd_secret *remote_only = NULL, *wildcard = NULL;
  for (size_t i = 0; i < cfg->n_secrets; i++) {
    const struct nd_secret *s = &cfg->secrets[i];
    if (s->n_ids == 0 && !wildcard)
      wildcard = s;
    bool has_remote = secret_lists(s, remote);
    if (has_remote && secret_lists(s, local))
      return s;
    if (has_remote && !remote_only)
      remote_only = s;
  }
  return remote_only ? remote_only : wildcard;
}
