/* The IKE-level verbs of nicsecctl: load, initiate, terminate, list-sas, stats. */
#include "ctl_ike.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
  nanosleep(&ts, NULL);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static json_t *list_ike_sas(struct ctl *c) {
  json_t *reply = ctl_call(c, json_pack("{s:s}", "cmd", "list-sas"));
  if (!reply || !ctl_reply_ok(reply)) {
    json_decref(reply);
    return NULL;
  }
  json_t *sas = json_incref(json_object_get(reply, "ike_sas"));
  json_decref(reply);
  return sas;
}

/* ---- list-sas as text ------------------------------------------------------------------------ */

static const char *str(const json_t *o, const char *key) {
  const char *s = json_string_value(json_object_get(o, key));
  return s ? s : "";
}

static void print_ts(const char *label, const json_t *list) {
  size_t i;
  const json_t *ts;
  printf("    %-6s", label);
  json_array_foreach(list, i, ts) printf(" %s", json_string_value(ts));
  printf("\n");
}

static void print_child(const json_t *c) {
  const json_t *hal = json_object_get(c, "hal");
  printf("  %s: #%lld, reqid %lld, %s, %s%s, ESP:%s\n", str(c, "name"),
         json_integer_value(json_object_get(c, "id")),
         json_integer_value(json_object_get(c, "reqid")), str(c, "state"), str(c, "mode"),
         json_is_true(json_object_get(c, "encap")) ? "-in-UDP" : "", str(c, "proposal"));
  printf("    in  %s  (HAL SA %lld)\n", str(c, "spi_in"),
         json_integer_value(json_object_get(hal, "in")));
  printf("    out %s  (HAL SA %lld)\n", str(c, "spi_out"),
         json_integer_value(json_object_get(hal, "out")));
  print_ts("local", json_object_get(c, "local_ts"));
  print_ts("remote", json_object_get(c, "remote_ts"));
  /* How the SA was made: "initial" (IKE_AUTH / CREATE_CHILD_SA), "regular" or "optimized" rekey. */
  const char *origin = json_string_value(json_object_get(c, "rekey"));
  if (origin)
    printf("    made   %s%s\n", origin, strcmp(origin, "initial") == 0 ? "" : " rekey");
}

static void print_ike(const json_t *sa) {
  const json_t *local = json_object_get(sa, "local"), *remote = json_object_get(sa, "remote");
  const json_t *nat = json_object_get(sa, "nat");
  bool initiator = strcmp(str(sa, "role"), "initiator") == 0;
  printf("%s: #%lld, %s, IKEv2, %s_i%s %s_r%s\n", str(sa, "name"),
         json_integer_value(json_object_get(sa, "id")), str(sa, "state"), str(sa, "spi_i"),
         initiator ? "*" : "", str(sa, "spi_r"), initiator ? "" : "*");
  printf("  local  '%s' @ %s[%lld]%s\n", str(sa, "local_id"), str(local, "address"),
         json_integer_value(json_object_get(local, "port")),
         json_is_true(json_object_get(nat, "local")) ? " (behind NAT)" : "");
  printf("  remote '%s' @ %s[%lld]%s\n", str(sa, "remote_id"), str(remote, "address"),
         json_integer_value(json_object_get(remote, "port")),
         json_is_true(json_object_get(nat, "remote")) ? " (behind NAT)" : "");
  if (str(sa, "proposal")[0])
    printf("  %s\n", str(sa, "proposal"));
  size_t i;
  const json_t *c;
  json_array_foreach(json_object_get(sa, "children"), i, c) print_child(c);
}

int ctl_cmd_list_ike(struct ctl *c, bool as_json) {
  json_t *sas = list_ike_sas(c);
  if (!sas)
    return 1;
  if (as_json) {
    json_t *doc = json_pack("{s:O}", "ike_sas", sas);
    json_dumpf(doc, stdout, JSON_INDENT(2));
    printf("\n");
    json_decref(doc);
  } else {
    size_t i;
    const json_t *sa;
    json_array_foreach(sas, i, sa) print_ike(sa);
  }
  json_decref(sas);
  return 0;
}

/* ---- initiate / terminate -------------------------------------------------------------------- */

/* Highest IKE SA id of a connection (0 if none), and whether it is up with all its children. */
static json_int_t newest_sa(const json_t *sas, const char *conn, const json_t **newest) {
  json_int_t best = 0;
  size_t i;
  const json_t *sa;
  *newest = NULL;
  json_array_foreach(sas, i, sa) {
    json_int_t id = json_integer_value(json_object_get(sa, "id"));
    if (strcmp(str(sa, "name"), conn) == 0 && id > best) {
      best = id;
      *newest = sa;
    }
  }
  return best;
}

static int wait_established(struct ctl *c, const char *conn, json_int_t after, double timeout) {
  for (double start = now_s(); now_s() - start < timeout; sleep_ms(20)) {
    json_t *sas = list_ike_sas(c);
    const json_t *sa;
    if (sas && newest_sa(sas, conn, &sa) > after &&
        strcmp(str(sa, "state"), "ESTABLISHED") == 0) {
      const json_t *child = json_array_get(json_object_get(sa, "children"), 0);
      printf("IKE SA %s #%lld established (%s_i %s_r)", conn,
             json_integer_value(json_object_get(sa, "id")), str(sa, "spi_i"), str(sa, "spi_r"));
      if (child)
        printf(", CHILD SA %s installed (in %s, out %s)", str(child, "name"),
               str(child, "spi_in"), str(child, "spi_out"));
      printf("\n");
      json_decref(sas);
      return child ? 0 : 1;
    }
    json_decref(sas);
  }
  fprintf(stderr, "nicsecctl: %s not established within %.0f s (see the nicsecd log)\n", conn,
          timeout);
  return 1;
}

int ctl_cmd_initiate(struct ctl *c, const char *conn, const char *child, double timeout,
                        bool wait) {
  json_t *before = list_ike_sas(c);
  const json_t *sa;
  json_int_t after = before ? newest_sa(before, conn, &sa) : 0;
  json_decref(before);
  json_t *req = json_pack("{s:s, s:s}", "cmd", "initiate", "conn", conn);
  if (child)
    json_object_set_new(req, "child", json_string(child));
  json_t *reply = ctl_call(c, req);
  bool ok = reply && ctl_reply_ok(reply);
  json_decref(reply);
  if (!ok)
    return 1;
  return wait ? wait_established(c, conn, after, timeout) : 0;
}

int ctl_cmd_terminate(struct ctl *c, const char *conn, double timeout, bool wait) {
  json_t *reply = ctl_call(c, json_pack("{s:s, s:s}", "cmd", "terminate", "conn", conn));
  bool ok = reply && ctl_reply_ok(reply);
  json_decref(reply);
  if (!ok || !wait)
    return ok ? 0 : 1;
  for (double start = now_s(); now_s() - start < timeout; sleep_ms(20)) {
    json_t *sas = list_ike_sas(c);
    const json_t *sa;
    bool gone = sas && newest_sa(sas, conn, &sa) == 0;
    json_decref(sas);
    if (gone) {
      printf("%s terminated\n", conn);
      return 0;
    }
  }
  fprintf(stderr, "nicsecctl: %s still has IKE SAs after %.0f s\n", conn, timeout);
  return 1;
}

int ctl_cmd_simple(struct ctl *c, json_t *req, const char *field, bool as_json) {
  json_t *reply = ctl_call(c, req);
  bool ok = reply && ctl_reply_ok(reply);
  if (ok && as_json) {
    json_dumpf(json_object_get(reply, field), stdout, JSON_INDENT(2));
    printf("\n");
  } else if (ok && field) {
    const char *key;
    json_t *value;
    json_object_foreach(json_object_get(reply, field), key, value)
        printf("%-22s %lld\n", key, json_integer_value(value));
  } else if (ok) {
    printf("ok\n");
  }
  json_decref(reply);
  return ok ? 0 : 1;
}

