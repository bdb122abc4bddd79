/* The control protocol: one JSON object per line in each direction.
 *
 *   {"cmd":"load"[,"path":"/etc/nicsec/nicsecd.yaml"]}   -> {"ok":true,"connections":N}
 *   {"cmd":"initiate","conn":"peer"[,"child":"net"]}      -> {"ok":true}
 *   {"cmd":"terminate","conn":"peer"}                     -> {"ok":true,"ike_sas":N}
 *   {"cmd":"rekey","ike":"peer"}                          -> {"ok":true,"sas":N}
 *   {"cmd":"rekey","child":"net"|"c0ffee01"[,"conn":"peer"]} -> {"ok":true,"sas":N,"conn":..}
 *   {"cmd":"list-sas"}                                     -> {"ok":true,"ike_sas":[...]}
 *   {"cmd":"stats"}                                        -> {"ok":true,"stats":{...}}
 *   {"cmd":"sa-table"}       -> {"ok":true,"devices":[..],"device_sas":[..],"daemon_sas":[..]}
 *   {"cmd":"sa-table","form":"rows"} -> the same with "device_columns":["dir",..] before
 *                               "device_sas":[[..],..] (each SA an array of values in the
 *                               columns' order, nested objects flat: "limits.soft_bytes",
 *                               a nullable one announced by its own column, true or null:
 *                               "encap","encap.sport",..), likewise "daemon_columns" and
 *                               "daemon_sas"
 *   {"cmd":"caps"}           -> {"ok":true,"devices":[{capabilities}]}
 *   {"cmd":"metrics"}        -> {"ok":true,"stats":{...},"devices":[{drops, datapath}]}
 *   {"cmd":"keys"}           -> {"ok":true,"ike_sas":[..],"esp_sas":[..]}   (root only)
 *   {"cmd":"test-hal",...}   -> test-only, see control_test.c
 * Failures: {"ok":false,"error":"<sentence>"}. Keys appear in the answer to "keys" only, which
 * only root may ask for; that answer is wiped from memory once sent. Answers leave without
 * blocking the event loop (control_stream.c); sa-table is formatted as the socket drains. The fields of sa-table are
 * documented in tools/schema/sa-list.json. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "control_internal.h"

json_t *nd_ctl_error(const char *text) {
  return json_pack("{s:b, s:s}", "ok", 0, "error", text);
}

json_t *nd_ctl_ok(void) {
  return json_pack("{s:b}", "ok", 1);
}

static json_t *addr_json(const struct nd_addr *a) {
  char ip[INET6_ADDRSTRLEN] = "";
  if (a->family)
    inet_ntop(a->family, a->ip, ip, sizeof ip);
  return json_pack("{s:s, s:i}", "address", ip, "port", a->port);
}

static json_t *strings_json(char (*items)[64], size_t n) {
  json_t *arr = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(arr, json_string(items[i]));
  return arr;
}

static void hex_u64(uint64_t v, char out[17]) {
  snprintf(out, 17, "%016llx", (unsigned long long)v);
}

static void hex_u32(uint32_t v, char out[9]) {
  snprintf(out, 9, "%08x", v);
}

static json_t *child_json(const struct nd_child_view *c) {
  char in[9], out[9];
  hex_u32(c->spi_in, in);
  hex_u32(c->spi_out, out);
  return json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:i, s:s, s:o, s:o, "
                   "s:{s:I, s:I}}",
                   "name", c->name, "id", (json_int_t)c->id, "state", c->state, "rekey", c->rekey,
                   "protocol", "ESP",
                   "mode", c->mode, "encap", c->encap, "spi_in", in, "spi_out", out, "reqid",
                   (int)c->reqid, "proposal", c->proposal, "local_ts",
                   strings_json((char(*)[64])c->local_ts, c->n_local_ts), "remote_ts",
                   strings_json((char(*)[64])c->remote_ts, c->n_remote_ts), "hal", "in",
                   (json_int_t)c->hal_in, "out", (json_int_t)c->hal_out);
}

static void add_ike(void *ctx, const struct nd_ike_view *v, const struct nd_child_view *children,
                    size_t n_children) {
  json_t *list = ctx;
  char spi_i[17], spi_r[17];
  hex_u64(v->spi_i, spi_i);
  hex_u64(v->spi_r, spi_r);
  json_t *kids = json_array();
  for (size_t i = 0; i < n_children; i++)
    json_array_append_new(kids, child_json(&children[i]));
  json_t *ike = json_pack(
      "{s:s, s:I, s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:s, s:s, s:{s:b, s:b}, s:{s:i, s:i}, s:o}",
      "name", v->conn, "id", (json_int_t)v->id, "state", v->state, "role",
      v->initiator ? "initiator" : "responder", "spi_i", spi_i, "spi_r", spi_r, "local",
      addr_json(&v->local), "remote", addr_json(&v->remote), "local_id", v->local_id,
      "remote_id", v->remote_id, "proposal", v->proposal, "nat", "local", v->nat_local,
      "remote", v->nat_remote, "message_ids", "next_request", (int)v->next_request_mid,
      "expected_request", (int)v->expected_request_mid, "children", kids);
  json_array_append_new(list, ike);
}

json_t *nd_sas_json(const struct nd_engine *e) {
  json_t *list = json_array();
  nd_engine_visit(e, add_ike, list);
  return list;
}

static json_t *stats_json(const struct nd_daemon *d) {
  struct nd_engine_stats s;
  nd_engine_stats(d->engine, &s);
  json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
                   "rx", (json_int_t)s.rx, "tx", (json_int_t)s.tx, "retransmits",
                   (json_int_t)s.retransmits, "dropped", (json_int_t)s.dropped, "invalid",
                   (json_int_t)s.invalid, "auth_failures", (json_int_t)s.auth_failures,
                   "cookies_sent", (json_int_t)s.cookies_sent, "ike_established",
                   (json_int_t)s.ike_established, "child_installed",
                   (json_int_t)s.child_installed, "child_install_failed",
                   (json_int_t)s.child_install_failed, "ike_sas", (json_int_t)s.ike_sas,
                   "half_open", (json_int_t)s.half_open, "natt_keepalives",
                   (json_int_t)d->natt_keepalives, "esp_unhandled", (json_int_t)d->esp_unhandled);
  /* Counters of SAs the device already freed (it forgets them): rekeys stay accountable. */
  json_object_set_new(o, "retired_sas", json_integer((json_int_t)s.retired_sas));
  json_object_set_new(o, "retired_packets", json_integer((json_int_t)s.retired_packets));
  json_object_set_new(o, "retired_replay_drops", json_integer((json_int_t)s.retired_replay_drops));
  json_object_set_new(o, "retired_auth_failures",
                      json_integer((json_int_t)s.retired_auth_failures));
  return o;
}

int nd_daemon_reload(struct nd_daemon *d, const char *path, char *err_text, size_t len) {
  struct nd_config cfg;
  struct nd_config_error err;
  if (nd_config_load_file(path, &cfg, &err) != 0) {
    nd_config_error_format(&err, err_text, len);
    return -1;
  }
  if (strcmp(cfg.hal.backend, d->hal_backend) != 0) {
    snprintf(err_text, len, "%s: hal.backend changed from '%s' to '%s': restart nicsecd", path,
             d->hal_backend, cfg.hal.backend);
    nd_config_free(&cfg);
    return -1;
  }
  nd_engine_load(d->engine, &cfg, nd_now_ms());
  return 0;
}

static json_t *cmd_load(struct nd_daemon *d, const json_t *req) {
  const char *path = json_string_value(json_object_get(req, "path"));
  char err[600];
  if (nd_daemon_reload(d, path ? path : d->config_path, err, sizeof err) != 0)
    return nd_ctl_error(err);
  if (path)
    snprintf(d->config_path, sizeof d->config_path, "%s", path);
  json_t *reply = nd_ctl_ok();
  json_object_set_new(reply, "connections",
                      json_integer((json_int_t)nd_engine_config(d->engine)->n_conns));
  return reply;
}

static json_t *cmd_initiate(struct nd_daemon *d, const json_t *req) {
  const char *conn = json_string_value(json_object_get(req, "conn"));
  const char *child = json_string_value(json_object_get(req, "child"));
  char err[200];
  if (!conn)
    return nd_ctl_error("initiate needs \"conn\"");
  if (nd_engine_initiate(d->engine, nd_now_ms(), conn, child, err, sizeof err) != 0)
    return nd_ctl_error(err);
  return nd_ctl_ok();
}

static json_t *cmd_terminate(struct nd_daemon *d, const json_t *req) {
  const char *conn = json_string_value(json_object_get(req, "conn"));
  char err[200];
  if (!conn)
    return nd_ctl_error("terminate needs \"conn\"");
  int n = nd_engine_terminate(d->engine, nd_now_ms(), conn, err, sizeof err);
  if (n < 0)
    return nd_ctl_error(err);
  json_t *reply = nd_ctl_ok();
  json_object_set_new(reply, "ike_sas", json_integer(n));
  return reply;
}

/* ---- rekey ---------------------------------------------------------------------------------- */

/* Which connection and child config a "child" argument names: a Child SA name, or (when no
 * name matches) the inbound or outbound SPI of a live Child SA, in hex. */
struct child_target {
  const char *wanted, *conn_filter;
  uint32_t spi;
  bool by_spi;
  char conn[64], child[64];
  int matches;
};

static void match_child(void *ctx, const struct nd_ike_view *v, const struct nd_child_view *kids,
                        size_t n) {
  struct child_target *t = ctx;
  if (t->conn_filter && strcmp(t->conn_filter, v->conn) != 0)
    return;
  for (size_t i = 0; i < n; i++) {
    bool hit = t->by_spi ? kids[i].spi_in == t->spi || kids[i].spi_out == t->spi
                         : strcmp(kids[i].name, t->wanted) == 0;
    /* one connection per target: a name shared by two connections needs "conn" */
    if (hit && (t->matches == 0 || strcmp(t->conn, v->conn) != 0)) {
      snprintf(t->conn, sizeof t->conn, "%s", v->conn);
      snprintf(t->child, sizeof t->child, "%s", kids[i].name);
      t->matches++;
    }
  }
}

static bool parse_spi(const char *text, uint32_t *spi) {
  if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
    text += 2;
  size_t n = strlen(text);
  char *end = NULL;
  unsigned long v = n && n <= 8 ? strtoul(text, &end, 16) : 0;
  *spi = (uint32_t)v;
  return end && !*end && text[0] != '-' && text[0] != '+' && v != 0;
}

static bool find_child(const struct nd_engine *e, struct child_target *t) {
  nd_engine_visit(e, match_child, t);
  if (t->matches == 0 && parse_spi(t->wanted, &t->spi)) {
    t->by_spi = true;
    nd_engine_visit(e, match_child, t);
  }
  return t->matches == 1;
}

static json_t *rekey_reply(int n, const char *err, const char *conn, const char *child) {
  if (n < 0)
    return nd_ctl_error(err);
  json_t *reply = nd_ctl_ok();
  json_object_set_new(reply, "sas", json_integer(n));
  json_object_set_new(reply, "conn", json_string(conn));
  if (child)
    json_object_set_new(reply, "child", json_string(child));
  return reply;
}

static json_t *cmd_rekey(struct nd_daemon *d, const json_t *req) {
  const char *ike = json_string_value(json_object_get(req, "ike"));
  const char *child = json_string_value(json_object_get(req, "child"));
  char err[200];
  if (!ike == !child)
    return nd_ctl_error("rekey needs either \"ike\" (a connection) or \"child\" (a name or SPI)");
  if (ike)
    return rekey_reply(nd_engine_rekey_ike(d->engine, nd_now_ms(), ike, err, sizeof err), err,
                       ike, NULL);
  struct child_target t = {.wanted = child,
                           .conn_filter = json_string_value(json_object_get(req, "conn"))};
  if (!find_child(d->engine, &t)) {
    snprintf(err, sizeof err,
             t.matches ? "child '%s' exists in several connections: name one with \"conn\""
                       : "no Child SA is named '%s' or has that SPI",
             child);
    return nd_ctl_error(err);
  }
  int n = nd_engine_rekey_child(d->engine, nd_now_ms(), t.conn, t.child, err, sizeof err);
  return rekey_reply(n, err, t.conn, t.child);
}

static json_t *cmd_list_sas(struct nd_daemon *d, const json_t *req) {
  (void)req;
  json_t *reply = nd_ctl_ok();
  json_object_set_new(reply, "ike_sas", nd_sas_json(d->engine));
  return reply;
}

static json_t *cmd_stats(struct nd_daemon *d, const json_t *req) {
  (void)req;
  json_t *reply = nd_ctl_ok();
  json_object_set_new(reply, "stats", stats_json(d));
  return reply;
}

static json_t *cmd_caps(struct nd_daemon *d, const json_t *req) {
  (void)req;
  return nd_ctl_caps(d);
}

static json_t *cmd_metrics(struct nd_daemon *d, const json_t *req) {
  (void)req;
  return nd_ctl_metrics(d);
}

/* Each command answers with a jansson object (json), with text written straight into a buffer
 * (text: answers too secret for jansson's allocations), or with a listing sent as the socket
 * drains (listing: answers of up to 100 MB and more). */
static const struct control_cmd {
  const char *name;
  json_t *(*json)(struct nd_daemon *d, const json_t *req);
  json_t *(*text)(struct nd_daemon *d, const struct nd_peer *peer, struct nd_sb *out);
  struct nd_listing *(*listing)(struct nd_daemon *d, json_t **error);
  bool test_only;
} commands[] = {
    {"load", cmd_load, NULL, NULL, false},
    {"initiate", cmd_initiate, NULL, NULL, false},
    {"terminate", cmd_terminate, NULL, NULL, false},
    {"rekey", cmd_rekey, NULL, NULL, false},
    {"list-sas", cmd_list_sas, NULL, NULL, false},
    {"stats", cmd_stats, NULL, NULL, false},
    {"sa-table", NULL, NULL, nd_ctl_sa_table, false},
    {"caps", cmd_caps, NULL, NULL, false},
    {"metrics", cmd_metrics, NULL, NULL, false},
    {"keys", NULL, nd_ctl_keys, NULL, false},
    {"test-hal", nd_ctl_test_hal, NULL, NULL, true},
};

static const struct control_cmd *find_command(const char *name) {
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp(commands[i].name, name) == 0)
      return &commands[i];
  return NULL;
}

/* Test-only commands exist only when the operator (a test) started nicsecd with them on. */
static bool test_commands_enabled(void) {
  const char *v = getenv("NICSECD_TEST_COMMANDS");
  return v && strcmp(v, "1") == 0;
}

json_t *nd_control_handle(struct nd_daemon *d, const json_t *request) {
  const char *name = json_string_value(json_object_get(request, "cmd"));
  if (!name)
    return nd_ctl_error("request needs a \"cmd\" string");
  const struct control_cmd *cmd = find_command(name);
  if (!cmd || (cmd->test_only && !test_commands_enabled()))
    return nd_ctl_error("unknown command (load, initiate, terminate, rekey, list-sas, stats, "
                        "sa-table, caps, metrics, keys)");
  if (cmd->json)
    return cmd->json(d, request);
  return nd_ctl_error("this command needs the control socket");
}

static struct nd_peer peer_of(int fd) {
  struct ucred cred;
  socklen_t len = sizeof cred;
  struct nd_peer peer = {.uid = (uid_t)-1};
  if (fd >= 0 && getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
    peer.uid = cred.uid;
  return peer;
}

/* How a listing's SAs are written: objects, or rows of values after their columns (the compact
 * form nicsecctl asks for). */
enum listing_form { FORM_OBJECTS, FORM_ROWS, FORM_UNKNOWN };

static enum listing_form form_of(const json_t *req) {
  const json_t *form = json_object_get(req, "form");
  const char *name = json_string_value(form);
  if (!form || (name && strcmp(name, "objects") == 0))
    return FORM_OBJECTS;
  return name && strcmp(name, "rows") == 0 ? FORM_ROWS : FORM_UNKNOWN;
}

/* The answer to a request object: a listing stream, or text in sb (a jansson reply dumped, or
 * what a text handler wrote). */
static struct nd_ctl_stream *answer_into(struct nd_daemon *d, int fd, const json_t *req,
                                         struct nd_sb *sb) {
  const char *name = json_string_value(json_object_get(req, "cmd"));
  const struct control_cmd *cmd = name ? find_command(name) : NULL;
  json_t *reply = NULL;
  enum listing_form form = cmd && cmd->listing ? form_of(req) : FORM_OBJECTS;
  if (form == FORM_UNKNOWN) {
    reply = nd_ctl_error("\"form\" is \"objects\" (the default) or \"rows\"");
  } else if (cmd && cmd->listing) {
    struct nd_listing *l = cmd->listing(d, &reply);
    if (l && form == FORM_ROWS)
      nd_listing_use_rows(l);
    struct nd_ctl_stream *s = l ? nd_ctl_stream_listing(l) : NULL;
    if (s)
      return s;
    if (l)
      reply = nd_ctl_error("out of memory while listing SAs");
  } else if (cmd && cmd->text) {
    struct nd_peer peer = peer_of(fd);
    reply = cmd->text(d, &peer, sb);
  } else {
    reply = nd_control_handle(d, req);
  }
  if (reply) {
    char *text = json_dumps(reply, JSON_COMPACT);
    json_decref(reply);
    nd_sb_wipe_free(sb); /* whatever a failed text handler left, and its failure flag */
    nd_sb_lit(sb, text ? text : "{\"ok\":false,\"error\":\"out of memory\"}");
    free(text);
  }
  return NULL;
}

struct nd_ctl_stream *nd_control_start(struct nd_daemon *d, int fd, const char *line) {
  struct nd_sb sb = {0};
  struct nd_ctl_stream *listing = NULL;
  json_error_t jerr;
  json_t *req = json_loads(line, 0, &jerr);
  if (req && json_is_object(req))
    listing = answer_into(d, fd, req, &sb);
  else
    nd_sb_lit(&sb, "{\"ok\":false,\"error\":\"request is not a JSON object\"}");
  json_decref(req);
  if (listing)
    return listing;
  nd_sb_raw(&sb, "\n", 1);
  if (sb.failed) {
    nd_sb_wipe_free(&sb);
    return NULL;
  }
  return nd_ctl_stream_text(&sb);
}
