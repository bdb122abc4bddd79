/* The libcyaml schema of the configuration file, and translation of libcyaml's error log into
 * "line + field path + message". */
#include <cyaml/cyaml.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_raw.h"

/* ---- schema ------------------------------------------------------------------------------- */

static const cyaml_strval_t auth_names[] = {{"psk", ND_AUTH_PSK}, {"pubkey", ND_AUTH_PUBKEY}};
static const cyaml_strval_t mode_names[] = {{"tunnel", ND_MODE_TUNNEL},
                                            {"transport", ND_MODE_TRANSPORT}};
static const cyaml_strval_t start_names[] = {
    {"none", ND_START_NONE}, {"start", ND_START_START}, {"trap", ND_START_TRAP}};

static const cyaml_schema_value_t string_entry = {
    CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 1, CYAML_UNLIMITED),
};

#define STRING_LIST(key, structure, member)                                                     \
  CYAML_FIELD_SEQUENCE_COUNT(key, CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, structure, member,   \
                             n_##member, &string_entry, 0, CYAML_UNLIMITED)

#define OPT_UINT(key, structure, member)                                                        \
  CYAML_FIELD_UINT_PTR(key, CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, structure, member)

static const cyaml_schema_field_t endpoint_fields[] = {
    CYAML_FIELD_STRING_PTR("id", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct raw_endpoint, id,
                           1, CYAML_UNLIMITED),
    CYAML_FIELD_ENUM_PTR("auth", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL | CYAML_FLAG_STRICT,
                         struct raw_endpoint, auth, auth_names, CYAML_ARRAY_LEN(auth_names)),
    STRING_LIST("certs", struct raw_endpoint, certs),
    CYAML_FIELD_STRING_PTR("key", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct raw_endpoint,
                           key, 1, CYAML_UNLIMITED),
    STRING_LIST("cacerts", struct raw_endpoint, cacerts),
    CYAML_FIELD_END};

static const cyaml_schema_field_t child_fields[] = {
    CYAML_FIELD_STRING_PTR("name", CYAML_FLAG_POINTER, struct raw_child, name, 1, ND_NAME_MAX - 1),
    STRING_LIST("local_ts", struct raw_child, local_ts),
    STRING_LIST("remote_ts", struct raw_child, remote_ts),
    STRING_LIST("esp_proposals", struct raw_child, esp_proposals),
    CYAML_FIELD_ENUM_PTR("mode", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL | CYAML_FLAG_STRICT,
                         struct raw_child, mode, mode_names, CYAML_ARRAY_LEN(mode_names)),
    CYAML_FIELD_ENUM_PTR("start_action",
                         CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL | CYAML_FLAG_STRICT,
                         struct raw_child, start_action, start_names,
                         CYAML_ARRAY_LEN(start_names)),
    CYAML_FIELD_UINT_PTR("replay_window", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
                         struct raw_child, replay_window),
    OPT_UINT("rekey_time", struct raw_child, rekey_time),
    OPT_UINT("life_time", struct raw_child, life_time),
    OPT_UINT("rand_time", struct raw_child, rand_time),
    OPT_UINT("rekey_bytes", struct raw_child, rekey_bytes),
    OPT_UINT("life_bytes", struct raw_child, life_bytes),
    OPT_UINT("rekey_packets", struct raw_child, rekey_packets),
    OPT_UINT("life_packets", struct raw_child, life_packets),
    CYAML_FIELD_END};

static const cyaml_schema_value_t child_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct raw_child, child_fields),
};

static const cyaml_schema_field_t conn_fields[] = {
    CYAML_FIELD_STRING_PTR("name", CYAML_FLAG_POINTER, struct raw_conn, name, 1, ND_NAME_MAX - 1),
    CYAML_FIELD_STRING_PTR("local_addr", CYAML_FLAG_POINTER, struct raw_conn, local_addr, 1,
                           CYAML_UNLIMITED),
    CYAML_FIELD_STRING_PTR("remote_addr", CYAML_FLAG_POINTER, struct raw_conn, remote_addr, 1,
                           CYAML_UNLIMITED),
    CYAML_FIELD_UINT_PTR("remote_port", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct raw_conn,
                         remote_port),
    STRING_LIST("proposals", struct raw_conn, proposals),
    CYAML_FIELD_BOOL_PTR("encap", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct raw_conn,
                         encap),
    CYAML_FIELD_UINT_PTR("dpd_delay", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct raw_conn,
                         dpd_delay),
    OPT_UINT("rekey_time", struct raw_conn, rekey_time),
    OPT_UINT("reauth_time", struct raw_conn, reauth_time),
    CYAML_FIELD_BOOL_PTR("fragmentation", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
                         struct raw_conn, fragmentation),
    CYAML_FIELD_BOOL_PTR("optimized_rekey", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
                         struct raw_conn, optimized_rekey),
    CYAML_FIELD_BOOL_PTR("child_pfs_info", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
                         struct raw_conn, child_pfs_info),
    CYAML_FIELD_MAPPING_PTR("local", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct raw_conn,
                            local, endpoint_fields),
    CYAML_FIELD_MAPPING_PTR("remote", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct raw_conn,
                            remote, endpoint_fields),
    CYAML_FIELD_SEQUENCE_COUNT("children", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
                               struct raw_conn, children, n_children, &child_entry, 0,
                               CYAML_UNLIMITED),
    CYAML_FIELD_END};

static const cyaml_schema_value_t conn_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct raw_conn, conn_fields),
};

static const cyaml_schema_field_t secret_fields[] = {
    STRING_LIST("ids", struct raw_secret, ids),
    CYAML_FIELD_STRING_PTR("secret", CYAML_FLAG_POINTER, struct raw_secret, secret, 1,
                           CYAML_UNLIMITED),
    CYAML_FIELD_END};

static const cyaml_schema_value_t secret_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct raw_secret, secret_fields),
};

static const cyaml_schema_field_t daemon_fields[] = {
    CYAML_FIELD_UINT_PTR("ike_port", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct raw_daemon,
                         ike_port),
    CYAML_FIELD_UINT_PTR("natt_port", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct raw_daemon,
                         natt_port),
    CYAML_FIELD_UINT_PTR("retransmit_timeout_ms", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
                         struct raw_daemon, retransmit_timeout_ms),
    CYAML_FIELD_UINT_PTR("retransmit_tries", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
                         struct raw_daemon, retransmit_tries),
    CYAML_FIELD_UINT_PTR("half_open_threshold", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
                         struct raw_daemon, half_open_threshold),
    CYAML_FIELD_UINT_PTR("fragment_size", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
                         struct raw_daemon, fragment_size),
    OPT_UINT("inbound_drain_ms", struct raw_daemon, inbound_drain_ms),
    OPT_UINT("notify_optimized_rekey_supported", struct raw_daemon,
             notify_optimized_rekey_supported),
    OPT_UINT("notify_optimized_rekey", struct raw_daemon, notify_optimized_rekey),
    OPT_UINT("notify_child_pfs_info_supported", struct raw_daemon,
             notify_child_pfs_info_supported),
    CYAML_FIELD_END};

static const cyaml_schema_field_t hal_fields[] = {
    CYAML_FIELD_STRING_PTR("backend", CYAML_FLAG_POINTER, struct raw_hal, backend, 1,
                           ND_NAME_MAX - 1),
    CYAML_FIELD_STRING_PTR("args", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct raw_hal, args,
                           0, 255),
    CYAML_FIELD_END};

static const cyaml_schema_field_t root_fields[] = {
    CYAML_FIELD_MAPPING_PTR("daemon", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct raw_root,
                            daemon, daemon_fields),
    CYAML_FIELD_MAPPING_PTR("hal", CYAML_FLAG_POINTER, struct raw_root, hal, hal_fields),
    CYAML_FIELD_SEQUENCE_COUNT("connections", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
                               struct raw_root, connections, n_connections, &conn_entry, 0,
                               CYAML_UNLIMITED),
    CYAML_FIELD_SEQUENCE_COUNT("secrets", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
                               struct raw_root, secrets, n_secrets, &secret_entry, 0,
                               CYAML_UNLIMITED),
    CYAML_FIELD_END};

static const cyaml_schema_value_t root_schema = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct raw_root, root_fields),
};

/* ---- error capture ------------------------------------------------------------------------ */

enum { MAX_FRAMES = 16 };

/* libcyaml logs the failure first, then a backtrace from the innermost node outwards:
 *   "Load: Invalid ENUM value: foo"
 *   "Load: Backtrace:"
 *   "  in mapping field 'mode' (line: 12, column: 17)"
 *   "  in sequence entry '0' (line: 9, column: 7)" ... */
struct capture {
  char message[256];
  char frames[MAX_FRAMES][96]; /* ".mode", "[0]", ... innermost first */
  unsigned lines[MAX_FRAMES];
  size_t n_frames;
};

static void chomp_into(char *dst, size_t cap, const char *src) {
  size_t len = strnlen(src, cap - 1);
  memcpy(dst, src, len);
  dst[len] = '\0';
  while (len && (dst[len - 1] == '\n' || dst[len - 1] == ' '))
    dst[--len] = '\0';
}

static void capture_frame(struct capture *c, const char *line) {
  char name[80];
  size_t lineno = 0, column = 0;
  if (c->n_frames == MAX_FRAMES)
    return;
  char *frame = c->frames[c->n_frames];
  if (sscanf(line, " in mapping field '%79[^']' (line: %zu, column: %zu)", name, &lineno,
             &column) == 3)
    snprintf(frame, sizeof c->frames[0], ".%s", name);
  else if (sscanf(line, " in sequence entry '%79[^']' (line: %zu, column: %zu)", name, &lineno,
                  &column) == 3)
    /* libcyaml counts entries from 1 here; paths use 0-based indexes like the YAML tools. */
    snprintf(frame, sizeof c->frames[0], "[%ld]", strtol(name, NULL, 10) - 1);
  else if (sscanf(line, " in mapping (line: %zu, column: %zu)", &lineno, &column) == 2)
    frame[0] = '\0';
  else
    return;
  c->lines[c->n_frames++] = (unsigned)lineno;
}

static void capture_log(cyaml_log_t level, void *ctx, const char *fmt, va_list args)
    __attribute__((format(printf, 3, 0)));

static void capture_log(cyaml_log_t level, void *ctx, const char *fmt, va_list args) {
  struct capture *c = ctx;
  if (level < CYAML_LOG_ERROR)
    return;
  char line[512];
  vsnprintf(line, sizeof line, fmt, args);
  if (strncmp(line, "  in ", 5) == 0) {
    capture_frame(c, line);
    return;
  }
  const char *text = strncmp(line, "Load: ", 6) == 0 ? line + 6 : line;
  if (c->message[0] || strncmp(text, "Backtrace", 9) == 0)
    return;
  chomp_into(c->message, sizeof c->message, text);
}

/* Outermost frame first: ".connections" "[0]" ".mode" -> "connections[0].mode". */
static void capture_path(const struct capture *c, char *out, size_t cap) {
  size_t pos = 0;
  out[0] = '\0';
  for (size_t i = c->n_frames; i-- > 0 && pos < cap;) {
    const char *frame = c->frames[i];
    if (pos == 0 && frame[0] == '.')
      frame++;
    pos += (size_t)snprintf(out + pos, cap - pos, "%s", frame);
  }
}

static const cyaml_config_t *loader_config(struct capture *c) {
  static cyaml_config_t config;
  config = (cyaml_config_t){
      .log_fn = capture_log,
      .log_ctx = c,
      .mem_fn = cyaml_mem,
      .log_level = CYAML_LOG_ERROR,
      .flags = CYAML_CFG_NO_ALIAS,
  };
  return &config;
}

int nd_raw_load(const char *name, const char *text, size_t len, struct raw_root **out,
                struct nd_config_error *err) {
  struct capture c = {0};
  *out = NULL;
  cyaml_err_t rc = cyaml_load_data((const uint8_t *)text, len, loader_config(&c), &root_schema,
                                   (cyaml_data_t **)out, NULL);
  if (rc == CYAML_OK && *out)
    return 0;
  if (rc == CYAML_OK) {
    /* An empty document loads as nothing: the hal mapping is still required. */
    snprintf(err->message, sizeof err->message, "the file is empty (a 'hal' section is required)");
  } else {
    snprintf(err->message, sizeof err->message, "%s",
             c.message[0] ? c.message : cyaml_strerror(rc));
  }
  snprintf(err->file, sizeof err->file, "%s", name);
  err->line = c.n_frames ? c.lines[0] : 0;
  capture_path(&c, err->field, sizeof err->field);
  /* A YAML syntax error: the caller finds its position with libyaml itself. */
  if (strncmp(err->message, "libyaml: ", 9) == 0) {
    err->line = 0;
    err->field[0] = '\0';
    return -1;
  }
  /* A missing field is reported at its parent; libcyaml's innermost frame is the last field it
   * read there, which is replaced by the missing one. */
  const char *missing = strstr(err->message, "Missing required mapping field: ");
  if (missing) {
    char *last = strrchr(err->field, '.');
    if (last && c.n_frames > 1)
      *last = '\0';
    else if (c.n_frames <= 1)
      err->field[0] = '\0';
    size_t used = strlen(err->field);
    snprintf(err->field + used, sizeof err->field - used, "%s%s", used ? "." : "", missing + 32);
    return -1;
  }
  /* An unexpected key is best reported at the key itself. */
  const char *key = strstr(err->message, "Unexpected key: ");
  if (key) {
    size_t used = strlen(err->field);
    snprintf(err->field + used, sizeof err->field - used, "%s%s", used ? "." : "", key + 16);
  }
  return -1;
}

void nd_raw_free(struct raw_root *root) {
  struct capture c = {0};
  if (!root)
    return;
  /* Secrets pass through libcyaml's buffers: wipe them before handing memory back. */
  for (unsigned i = 0; i < root->n_secrets; i++)
    if (root->secrets[i].secret)
      OPENSSL_cleanse(root->secrets[i].secret, strlen(root->secrets[i].secret));
  cyaml_free(loader_config(&c), &root_schema, root, 0);
}
