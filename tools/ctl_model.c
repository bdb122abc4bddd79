/* Join, audit and rates (see ctl_model.h). */
#include "ctl_model.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *str_of(const json_t *o, const char *key) {
  const char *s = json_string_value(json_object_get(o, key));
  return s ? s : "";
}

void ctl_sa_key(const json_t *side, char *out, size_t len) {
  const char *dir = str_of(side, "dir"), *spi = str_of(side, "spi"), *dst = str_of(side, "dst");
  if (!*dir || !*spi)
    snprintf(out, len, "%s", "");
  else
    snprintf(out, len, "%s/%s/%s", dir, spi, dst);
}

/* The joined entry of key in index (created on first use), ordered later. */
static json_t *entry_for(json_t *index, const json_t *side) {
  char key[96];
  ctl_sa_key(side, key, sizeof key);
  if (!key[0])
    return NULL;
  json_t *e = json_object_get(index, key);
  if (!e) {
    e = json_pack("{s:s, s:s, s:s, s:n, s:n}", "key", key, "dir", str_of(side, "dir"), "spi",
                  str_of(side, "spi"), "device", "daemon");
    json_object_set_new(index, key, e);
  }
  return e;
}

static void add_side(json_t *index, const json_t *list, const char *side_name) {
  size_t i;
  json_t *side;
  json_array_foreach(list, i, side) {
    json_t *e = entry_for(index, side);
    if (e)
      json_object_set(e, side_name, side);
  }
}

static int by_key(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *ctl_join(const json_t *table) {
  const json_t *dev = json_object_get(table, "device_sas");
  const json_t *own = json_object_get(table, "daemon_sas");
  if (!json_is_array(dev) || !json_is_array(own))
    return NULL;
  json_t *index = json_object();
  add_side(index, dev, "device");
  add_side(index, own, "daemon");
  size_t n = json_object_size(index), i = 0;
  const char **keys = malloc((n ? n : 1) * sizeof *keys);
  const char *key;
  json_t *value;
  json_object_foreach(index, key, value) keys[i++] = key;
  qsort(keys, n, sizeof *keys, by_key);
  json_t *sas = json_array();
  for (i = 0; i < n; i++)
    json_array_append(sas, json_object_get(index, keys[i]));
  free(keys);
  json_decref(index);
  json_t *devices = json_object_get(table, "devices");
  return json_pack("{s:s, s:O, s:o}", "schema", CTL_SCHEMA_SA_LIST, "devices",
                   devices ? devices : json_array(), "sas", sas);
}

bool ctl_parse_spi(const char *text, char out[9]) {
  if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
    text += 2;
  size_t n = strlen(text);
  if (n == 0 || n > 8)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!isxdigit((unsigned char)text[i]))
      return false;
  snprintf(out, 9, "%08lx", strtoul(text, NULL, 16));
  return true;
}

json_t *ctl_filter_spi(const json_t *list, const char *spi) {
  json_t *out = json_deep_copy(list), *kept = json_array();
  size_t i;
  json_t *sa;
  json_array_foreach(json_object_get(list, "sas"), i, sa) if (strcmp(str_of(sa, "spi"), spi) ==
                                                              0) json_array_append(kept, sa);
  json_object_set_new(out, "sas", kept);
  return out;
}

/* ---- audit ----------------------------------------------------------------------------------- */

const struct ctl_audit_rule ctl_audit_rules[CTL_AUDIT_RULES] = {
    {"handle", "handle", "handle"},
    {"offload", "offload", "offload"},
    {"mode", "mode", "mode"},
    {"src", "src", "src"},
    {"dst", "dst", "dst"},
    {"encap", "encap", "encap"},
    {"alg", "alg", "alg"},
    {"key_bits", "key_bits", "key_bits"},
    {"icv_bytes", "icv_bytes", "icv_bytes"},
    {"esn", "esn", "esn"},
    {"reqid", "reqid", "reqid"},
    {"replay_window", "replay.window", "replay_window"},
    {"limits", "limits", "limits"},
};

/* A value by a one- or two-level path; JSON null when absent (so null == absent). */
static const json_t *at_path(const json_t *o, const char *path) {
  const char *dot = strchr(path, '.');
  if (!dot)
    return json_object_get(o, path);
  char first[32];
  snprintf(first, sizeof first, "%.*s", (int)(dot - path), path);
  return json_object_get(json_object_get(o, first), dot + 1);
}

static bool same(const json_t *a, const json_t *b) {
  bool a_null = !a || json_is_null(a), b_null = !b || json_is_null(b);
  return (a_null && b_null) || (!a_null && !b_null && json_equal(a, b));
}

void ctl_audit_mismatch(json_t *list, const char *key, const char *field, const json_t *dev,
                        const json_t *own) {
  json_array_append_new(list, json_pack("{s:s, s:s, s:O, s:O}", "key", key, "field", field,
                                        "device", dev ? dev : json_null(), "daemon",
                                        own ? own : json_null()));
}

void ctl_audit_compare(json_t *mismatches, const char *key, const json_t *dev,
                       const json_t *own) {
  for (size_t r = 0; r < CTL_AUDIT_RULES; r++) {
    const json_t *a = at_path(dev, ctl_audit_rules[r].device_path);
    const json_t *b = at_path(own, ctl_audit_rules[r].daemon_path);
    if (!same(a, b))
      ctl_audit_mismatch(mismatches, key, ctl_audit_rules[r].name, a, b);
  }
  /* nicsecd believes every SA it lists is live: the device must have it active. */
  const json_t *state = json_object_get(dev, "state");
  if (strcmp(json_string_value(state) ? json_string_value(state) : "", "active") != 0) {
    json_t *active = json_string("active");
    ctl_audit_mismatch(mismatches, key, "state", state, active);
    json_decref(active);
  }
}

json_t *ctl_audit(const json_t *list) {
  json_t *dev_only = json_array(), *own_only = json_array(), *mismatches = json_array();
  size_t i, compared = 0;
  json_t *sa;
  json_array_foreach(json_object_get(list, "sas"), i, sa) {
    const json_t *dev = json_object_get(sa, "device"), *own = json_object_get(sa, "daemon");
    const char *key = str_of(sa, "key");
    bool has_dev = dev && !json_is_null(dev), has_own = own && !json_is_null(own);
    if (has_dev && has_own) {
      compared++;
      ctl_audit_compare(mismatches, key, dev, own);
    } else if (has_dev) {
      json_array_append_new(dev_only, json_string(key));
    } else if (has_own) {
      json_array_append_new(own_only, json_string(key));
    }
  }
  return ctl_audit_document(compared, dev_only, own_only, mismatches);
}

json_t *ctl_audit_document(size_t compared, json_t *dev_only, json_t *own_only,
                           json_t *mismatches) {
  bool consistent = json_array_size(dev_only) == 0 && json_array_size(own_only) == 0 &&
                    json_array_size(mismatches) == 0;
  return json_pack("{s:s, s:b, s:I, s:o, s:o, s:o}", "schema", CTL_SCHEMA_AUDIT, "consistent",
                   consistent, "compared", (json_int_t)compared, "device_only", dev_only,
                   "daemon_only", own_only, "mismatches", mismatches);
}

/* ---- watch ----------------------------------------------------------------------------------- */

uint64_t ctl_drops_total(const json_t *drops) {
  uint64_t total = 0;
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)drops, k, v) total += (uint64_t)json_integer_value(v);
  return total;
}

static json_t *or_null(json_t *v) {
  return v ? v : json_null();
}

static json_t *rate(const json_t *prev_dev, const json_t *dev, const char *field, double dt_s) {
  if (!prev_dev || json_is_null(prev_dev) || dt_s <= 0)
    return json_null();
  json_int_t now = json_integer_value(json_object_get(dev, field));
  json_int_t before = json_integer_value(json_object_get(prev_dev, field));
  /* A counter that went backwards belongs to a new SA under the same key: no rate. */
  return now >= before ? json_real((double)(now - before) / dt_s) : json_null();
}

static json_t *prev_index(const json_t *prev) {
  json_t *index = json_object();
  size_t i;
  json_t *sa;
  json_array_foreach(json_object_get(prev, "sas"), i, sa)
      json_object_set(index, str_of(sa, "key"), json_object_get(sa, "device"));
  return index;
}

json_t *ctl_watch_frame(const json_t *prev, const json_t *cur, double dt_s, double time_s) {
  json_t *index = prev ? prev_index(prev) : json_object(), *rows = json_array();
  size_t i;
  json_t *sa;
  json_array_foreach(json_object_get(cur, "sas"), i, sa) {
    const json_t *dev = json_object_get(sa, "device");
    if (!dev || json_is_null(dev))
      continue;
    const json_t *before = json_object_get(index, str_of(sa, "key"));
    const json_t *own = json_object_get(sa, "daemon");
    json_array_append_new(
        rows, json_pack("{s:s, s:s, s:s, s:s, s:s, s:O, s:O, s:I, s:o, s:o, s:O}", "key",
                        str_of(sa, "key"), "dir", str_of(sa, "dir"), "spi", str_of(sa, "spi"),
                        "peer", str_of(dev, strcmp(str_of(sa, "dir"), "in") == 0 ? "src" : "dst"),
                        "conn", json_is_object(own) ? str_of(own, "conn") : "", "packets",
                        or_null(json_object_get(dev, "packets")), "bytes",
                        or_null(json_object_get(dev, "bytes")),
                        "drops", (json_int_t)ctl_drops_total(json_object_get(dev, "drops")),
                        "packets_per_s", rate(before, dev, "packets", dt_s), "bytes_per_s",
                        rate(before, dev, "bytes", dt_s), "idle_s",
                        or_null(json_object_get(dev, "idle_s"))));
  }
  json_decref(index);
  return json_pack("{s:s, s:f, s:o, s:o}", "schema", CTL_SCHEMA_WATCH, "time", time_s,
                   "interval_s", prev ? json_real(dt_s) : json_null(), "sas", rows);
}
