/* Prometheus and Wireshark formats (see ctl_export.h). */
#include "ctl_export.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_model.h"

static const char *str_of(const json_t *o, const char *key) {
  const char *s = json_string_value(json_object_get(o, key));
  return s ? s : "";
}

static bool present(const json_t *v) {
  return v && !json_is_null(v);
}

/* ---- Prometheus ------------------------------------------------------------------------------ */

void ctl_prom_escape(const char *in, char *out, size_t len) {
  size_t o = 0;
  for (; *in && o + 3 < len; in++) {
    if (*in == '\\' || *in == '"') {
      out[o++] = '\\';
      out[o++] = *in;
    } else if (*in == '\n') {
      out[o++] = '\\';
      out[o++] = 'n';
    } else {
      out[o++] = *in;
    }
  }
  out[o] = '\0';
}

static void header(FILE *f, const char *name, const char *type, const char *help) {
  fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One sample per member of obj: name{fixed,label="<member name, escaped>"} <value>. */
static void write_members(FILE *f, const char *name, const char *fixed, const char *label,
                          const json_t *obj) {
  const char *member;
  json_t *v;
  json_object_foreach((json_t *)obj, member, v) {
    char value[128];
    ctl_prom_escape(member, value, sizeof value);
    fprintf(f, "%s{%s%s%s=\"%s\"} %" JSON_INTEGER_FORMAT "\n", name, fixed, fixed[0] ? "," : "",
            label, value, json_integer_value(v));
  }
}

void ctl_prom_labels(const struct ctl_prom_names *n, char *out, size_t len) {
  char conn[128], child[128], backend[64];
  ctl_prom_escape(n->conn, conn, sizeof conn);
  ctl_prom_escape(n->child, child, sizeof child);
  ctl_prom_escape(n->backend, backend, sizeof backend);
  snprintf(out, len, "dir=\"%s\",spi=\"0x%s\",backend=\"%s\",conn=\"%s\",child=\"%s\"",
           n->dir, n->spi, backend, conn, child);
}

/* The per-SA families: name, type, help, field of the device object (ctl_prom_sa.value). */
static const struct sa_metric {
  const char *name, *type, *help, *field;
} sa_metrics[CTL_PROM_SA_VALUES] = {
    {"nicsec_sa_packets_total", "counter", "Packets the device processed for the SA.", "packets"},
    {"nicsec_sa_bytes_total", "counter", "Plaintext bytes the device processed for the SA.",
     "bytes"},
    {"nicsec_sa_seq", "gauge", "Outbound: last sequence number sent; inbound: highest accepted.",
     "seq"},
    {"nicsec_sa_stats_age_ms", "gauge", "Upper bound on the age of the SA's counters.",
     "stats_age_ms"},
};

/* ctl_prom_sas over the sa-list document. */
static bool list_sa(const void *ctx, size_t i, bool drops, struct ctl_prom_sa *out) {
  const json_t *sa = json_array_get(json_object_get(ctx, "sas"), i);
  const json_t *dev = json_object_get(sa, "device"), *own = json_object_get(sa, "daemon");
  if (!present(dev))
    return false;
  struct ctl_prom_names names = {str_of(sa, "dir"), str_of(sa, "spi"), str_of(dev, "backend"),
                                 present(own) ? str_of(own, "conn") : "",
                                 present(own) ? str_of(own, "child") : ""};
  ctl_prom_labels(&names, out->labels, sizeof out->labels);
  for (size_t m = 0; m < CTL_PROM_SA_VALUES; m++)
    out->value[m] = json_integer_value(json_object_get(dev, sa_metrics[m].field));
  out->n_drops = 0;
  const char *reason;
  json_t *v;
  json_object_foreach(drops ? json_object_get(dev, "drops") : NULL, reason, v) {
    if (out->n_drops == CTL_PROM_MAX_DROPS)
      break;
    ctl_prom_escape(reason, out->reason[out->n_drops], sizeof out->reason[0]);
    out->drops[out->n_drops++] = json_integer_value(v);
  }
  return true;
}

/* One sample line, name{labels[,reason="..."]} value, built in memory and written at once: a
 * 100k-SA exposition is 1.5 million lines and printf's format parsing was most of it. */
static void sample(FILE *f, const char *name, const char *labels, const char *reason,
                   json_int_t v) {
  char line[1024], digits[24];
  size_t n = 0, name_len = strlen(name), labels_len = strlen(labels);
  size_t reason_len = reason ? strlen(reason) : 0;
  if (name_len + labels_len + reason_len + 64 > sizeof line) /* cannot happen: bounded fields */
    return;
  memcpy(line, name, name_len);
  n = name_len;
  line[n++] = '{';
  memcpy(line + n, labels, labels_len);
  n += labels_len;
  if (reason) {
    memcpy(line + n, ",reason=\"", 9);
    memcpy(line + n + 9, reason, reason_len);
    n += 9 + reason_len;
    line[n++] = '"';
  }
  line[n++] = '}';
  line[n++] = ' ';
  uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
  size_t d = sizeof digits;
  do {
    digits[--d] = (char)('0' + mag % 10);
    mag /= 10;
  } while (mag);
  if (v < 0)
    digits[--d] = '-';
  memcpy(line + n, digits + d, sizeof digits - d);
  n += sizeof digits - d;
  line[n++] = '\n';
  fwrite(line, 1, n, f);
}

/* The SAs' labels and values, read once for the four value families. */
struct sa_samples {
  char *labels; /* NUL-terminated label sets, one after the other */
  size_t *at;   /* where each SA's starts; SIZE_MAX: the device does not hold it */
  json_int_t *value;
};

static bool read_samples(const struct ctl_prom_sas *sas, struct ctl_prom_sa *sa,
                         struct sa_samples *out) {
  size_t cap = 4096, used = 0;
  out->labels = malloc(cap);
  out->at = malloc((sas->n ? sas->n : 1) * sizeof *out->at);
  out->value = malloc((sas->n ? sas->n : 1) * CTL_PROM_SA_VALUES * sizeof *out->value);
  for (size_t i = 0; out->labels && out->at && out->value && i < sas->n; i++) {
    out->at[i] = SIZE_MAX;
    if (!sas->get(sas->ctx, i, false, sa))
      continue;
    size_t len = strlen(sa->labels) + 1;
    while (used + len > cap) {
      char *grown = realloc(out->labels, cap *= 2);
      if (!grown)
        return false;
      out->labels = grown;
    }
    memcpy(out->labels + used, sa->labels, len);
    out->at[i] = used;
    used += len;
    memcpy(&out->value[i * CTL_PROM_SA_VALUES], sa->value, sizeof sa->value);
  }
  return out->labels && out->at && out->value;
}

static void write_sa_metrics(FILE *f, const struct ctl_prom_sas *sas) {
  struct ctl_prom_sa *sa = malloc(sizeof *sa);
  struct sa_samples got = {0};
  bool ok = sa && read_samples(sas, sa, &got);
  for (size_t m = 0; ok && m < CTL_PROM_SA_VALUES; m++) {
    header(f, sa_metrics[m].name, sa_metrics[m].type, sa_metrics[m].help);
    for (size_t i = 0; i < sas->n; i++)
      if (got.at[i] != SIZE_MAX)
        sample(f, sa_metrics[m].name, got.labels + got.at[i], NULL,
               got.value[i * CTL_PROM_SA_VALUES + m]);
  }
  free(got.labels);
  free(got.at);
  free(got.value);
  header(f, "nicsec_sa_drops_total", "counter", "Packets the device dropped for the SA, by reason.");
  for (size_t i = 0; ok && i < sas->n; i++) {
    if (!sas->get(sas->ctx, i, true, sa))
      continue;
    for (size_t d = 0; d < sa->n_drops; d++)
      sample(f, "nicsec_sa_drops_total", sa->labels, sa->reason[d], sa->drops[d]);
  }
  free(sa);
}

/* Global counters: metric name, type, help, field of the daemon's stats object. */
static const struct global_metric {
  const char *name, *type, *help, *field, *label;
} global_metrics[] = {
    {"nicsec_ike_messages_total", "counter", "IKE messages by direction.", "rx", "dir=\"rx\""},
    {"nicsec_ike_messages_total", NULL, NULL, "tx", "dir=\"tx\""},
    {"nicsec_ike_retransmits_total", "counter", "IKE requests sent again.", "retransmits", ""},
    {"nicsec_ike_invalid_total", "counter", "IKE messages refused as invalid.", "invalid", ""},
    {"nicsec_ike_dropped_total", "counter", "IKE messages dropped unprocessed.", "dropped", ""},
    {"nicsec_ike_sas_established_total", "counter",
     "IKE SAs established, by handshake or by rekey.", "ike_established", ""},
    {"nicsec_ike_auth_failures_total", "counter", "IKE_AUTH exchanges that failed authentication.",
     "auth_failures", ""},
    {"nicsec_cookies_sent_total", "counter", "COOKIE challenges sent.", "cookies_sent", ""},
    {"nicsec_child_sa_installs_total", "counter", "Child SA installs through the HAL, by result.",
     "child_installed", "result=\"ok\""},
    {"nicsec_child_sa_installs_total", NULL, NULL, "child_install_failed", "result=\"failed\""},
    {"nicsec_ike_sas", "gauge", "IKE SAs.", "ike_sas", ""},
    {"nicsec_ike_sas_half_open", "gauge", "Half-open IKE SAs.", "half_open", ""},
    {"nicsec_natt_keepalives_total", "counter", "NAT-T keepalives received.", "natt_keepalives",
     ""},
};

static void write_global_metrics(FILE *f, const json_t *stats) {
  for (size_t m = 0; m < sizeof global_metrics / sizeof global_metrics[0]; m++) {
    const struct global_metric *g = &global_metrics[m];
    const json_t *v = json_object_get(stats, g->field);
    if (g->type)
      header(f, g->name, g->type, g->help);
    if (!json_is_integer(v))
      continue; /* an older nicsecd without this counter */
    fprintf(f, "%s%s%s%s %" JSON_INTEGER_FORMAT "\n", g->name, g->label[0] ? "{" : "", g->label,
            g->label[0] ? "}" : "", json_integer_value(v));
  }
}

static void backend_label(const json_t *dev, char *out, size_t len) {
  char backend[64];
  ctl_prom_escape(str_of(dev, "backend"), backend, sizeof backend);
  snprintf(out, len, "backend=\"%s\"", backend);
}

static void write_device_metrics(FILE *f, const json_t *devices) {
  size_t i;
  json_t *dev;
  header(f, "nicsec_device_drops_total", "counter",
         "Packets the device dropped that no SA claimed, by reason.");
  char labels[96];
  json_array_foreach(devices, i, dev) {
    backend_label(dev, labels, sizeof labels);
    write_members(f, "nicsec_device_drops_total", labels, "reason", json_object_get(dev, "drops"));
  }
  header(f, "nicsec_datapath_packets_total", "counter",
         "Datapath I/O counters of host-datapath devices, by counter.");
  json_array_foreach(devices, i, dev) {
    backend_label(dev, labels, sizeof labels);
    write_members(f, "nicsec_datapath_packets_total", labels, "counter",
                  json_object_get(dev, "datapath"));
  }
}

/* Counters with two fixed labels, from events.<group>.<a>.<b>: which labels, which values. */
static const struct event_metric {
  const char *name, *help, *group, *label_a, *label_b;
  const char *values_a[2], *values_b[2];
} event_metrics[] = {
    {"nicsec_rekeys_total", "Completed rekeys by SA kind and our role in the exchange.", "rekeys",
     "sa", "role", {"child", "ike"}, {"initiated", "responded"}},
};

static void write_event_pairs(FILE *f, const json_t *events) {
  for (size_t m = 0; m < sizeof event_metrics / sizeof event_metrics[0]; m++) {
    const struct event_metric *em = &event_metrics[m];
    header(f, em->name, "counter", em->help);
    const json_t *group = json_object_get(events, em->group);
    for (int a = 0; a < 2; a++)
      for (int b = 0; b < 2; b++)
        fprintf(f, "%s{%s=\"%s\",%s=\"%s\"} %" JSON_INTEGER_FORMAT "\n", em->name,
                em->label_a, em->values_a[a], em->label_b, em->values_b[b],
                json_integer_value(json_object_get(json_object_get(group, em->values_a[a]),
                                                   em->values_b[b])));
  }
}

static void write_notify_metrics(FILE *f, const json_t *notifies) {
  static const char *const directions[] = {"sent", "received"};
  header(f, "nicsec_ike_error_notifies_total", "counter",
         "IKE error notifications (RFC 7296 3.10.1) by direction and type.");
  for (size_t d = 0; d < 2; d++) {
    char labels[32];
    snprintf(labels, sizeof labels, "direction=\"%s\"", directions[d]);
    write_members(f, "nicsec_ike_error_notifies_total", labels, "type",
                  json_object_get(notifies, directions[d]));
  }
}

/* Events counted by the engine (nicsecd's metrics answer, "events"); absent from older ones. */
static void write_event_metrics(FILE *f, const json_t *events) {
  if (!json_is_object(events))
    return;
  write_notify_metrics(f, json_object_get(events, "notifies"));
  write_event_pairs(f, events);
  const json_t *hs = json_object_get(events, "handshakes");
  header(f, "nicsec_handshakes_total", "counter",
         "IKE handshakes (IKE_SA_INIT and IKE_AUTH) by result.");
  fprintf(f, "nicsec_handshakes_total{result=\"ok\"} %" JSON_INTEGER_FORMAT "\n",
          json_integer_value(json_object_get(hs, "ok")));
  fprintf(f, "nicsec_handshakes_total{result=\"failed\"} %" JSON_INTEGER_FORMAT "\n",
          json_integer_value(json_object_get(hs, "failed")));
  header(f, "nicsec_hal_errors_total", "counter", "HAL calls that failed, by error code.");
  size_t i;
  json_t *err;
  json_array_foreach(json_object_get(events, "hal_errors"), i, err) {
    char text[160];
    ctl_prom_escape(str_of(err, "error"), text, sizeof text);
    fprintf(f, "nicsec_hal_errors_total{code=\"%" JSON_INTEGER_FORMAT "\",error=\"%s\"} "
               "%" JSON_INTEGER_FORMAT "\n",
            json_integer_value(json_object_get(err, "code")), text,
            json_integer_value(json_object_get(err, "count")));
  }
}

void ctl_prom_write_sas(FILE *f, const struct ctl_prom_sas *sas, const json_t *metrics) {
  write_global_metrics(f, json_object_get(metrics, "stats"));
  write_event_metrics(f, json_object_get(metrics, "events"));
  write_device_metrics(f, json_object_get(metrics, "devices"));
  header(f, "nicsec_sas", "gauge", "SAs the device holds.");
  fprintf(f, "nicsec_sas %zu\n", sas->n_sas);
  write_sa_metrics(f, sas);
}

void ctl_prom_write(FILE *f, const json_t *list, const json_t *metrics) {
  size_t n = json_array_size(json_object_get(list, "sas"));
  struct ctl_prom_sas sas = {n, n, list_sa, list};
  ctl_prom_write_sas(f, &sas, metrics);
}

/* ---- Wireshark ------------------------------------------------------------------------------- */

/* IKEv2 encryption transforms (RFC 7296 / IANA) as Wireshark 4.0 names them; key bits 0 = any. */
static const struct ws_ike_encr {
  unsigned id, bits;
  const char *name;
} ws_ike_encr[] = {
    {12, 128, "AES-CBC-128 [RFC3602]"},
    {12, 192, "AES-CBC-192 [RFC3602]"},
    {12, 256, "AES-CBC-256 [RFC3602]"},
    {18, 128, "AES-GCM-128 with 8 octet ICV [RFC5282]"},
    {18, 192, "AES-GCM-192 with 8 octet ICV [RFC5282]"},
    {18, 256, "AES-GCM-256 with 8 octet ICV [RFC5282]"},
    {19, 128, "AES-GCM-128 with 12 octet ICV [RFC5282]"},
    {19, 192, "AES-GCM-192 with 12 octet ICV [RFC5282]"},
    {19, 256, "AES-GCM-256 with 12 octet ICV [RFC5282]"},
    {20, 128, "AES-GCM-128 with 16 octet ICV [RFC5282]"},
    {20, 192, "AES-GCM-192 with 16 octet ICV [RFC5282]"},
    {20, 256, "AES-GCM-256 with 16 octet ICV [RFC5282]"},
};

static const struct ws_ike_integ {
  unsigned id;
  const char *name;
} ws_ike_integ[] = {
    {0, "NONE [RFC4306]"},
    {2, "HMAC_SHA1_96 [RFC2404]"},
    {12, "HMAC_SHA2_256_128 [RFC4868]"},
    {13, "HMAC_SHA2_384_192 [RFC4868]"},
    {14, "HMAC_SHA2_512_256 [RFC4868]"},
};

/* ESP: (HAL algorithm name, ICV octets) -> Wireshark's esp_sa encryption name. */
static const struct ws_esp_encr {
  const char *alg;
  unsigned icv;
  const char *name;
} ws_esp_encr[] = {
    {"aes-gcm-128", 8, "AES-GCM with 8 octet ICV [RFC4106]"},
    {"aes-gcm-128", 12, "AES-GCM with 12 octet ICV [RFC4106]"},
    {"aes-gcm-128", 16, "AES-GCM with 16 octet ICV [RFC4106]"},
    {"aes-gcm-192", 8, "AES-GCM with 8 octet ICV [RFC4106]"},
    {"aes-gcm-192", 12, "AES-GCM with 12 octet ICV [RFC4106]"},
    {"aes-gcm-192", 16, "AES-GCM with 16 octet ICV [RFC4106]"},
    {"aes-gcm-256", 8, "AES-GCM with 8 octet ICV [RFC4106]"},
    {"aes-gcm-256", 12, "AES-GCM with 12 octet ICV [RFC4106]"},
    {"aes-gcm-256", 16, "AES-GCM with 16 octet ICV [RFC4106]"},
};

static const char *ike_encr_name(unsigned id, unsigned bits) {
  for (size_t i = 0; i < sizeof ws_ike_encr / sizeof ws_ike_encr[0]; i++)
    if (ws_ike_encr[i].id == id && ws_ike_encr[i].bits == bits)
      return ws_ike_encr[i].name;
  return NULL;
}

static const char *ike_integ_name(unsigned id) {
  for (size_t i = 0; i < sizeof ws_ike_integ / sizeof ws_ike_integ[0]; i++)
    if (ws_ike_integ[i].id == id)
      return ws_ike_integ[i].name;
  return NULL;
}

static const char *esp_encr_name(const char *alg, unsigned icv) {
  for (size_t i = 0; i < sizeof ws_esp_encr / sizeof ws_esp_encr[0]; i++)
    if (strcmp(ws_esp_encr[i].alg, alg) == 0 && ws_esp_encr[i].icv == icv)
      return ws_esp_encr[i].name;
  return NULL;
}

static unsigned uint_of(const json_t *o, const char *key) {
  return (unsigned)json_integer_value(json_object_get(o, key));
}

static int write_ike(FILE *f, const json_t *sas) {
  int usable = 0;
  size_t i;
  json_t *sa;
  fprintf(f, "# ikev2_decryption_table: SPIi,SPIr,SK_ei,SK_er,encryption,SK_ai,SK_ar,integrity\n");
  json_array_foreach(sas, i, sa) {
    const char *encr = ike_encr_name(uint_of(sa, "encr"), uint_of(sa, "encr_bits"));
    const char *integ = ike_integ_name(uint_of(sa, "integ"));
    if (!encr || !integ) {
      fprintf(f, "# IKE SA %s_i %s_r (%s): encryption %u/%u or integrity %u unknown to "
                 "Wireshark\n",
              str_of(sa, "spi_i"), str_of(sa, "spi_r"), str_of(sa, "conn"), uint_of(sa, "encr"),
              uint_of(sa, "encr_bits"), uint_of(sa, "integ"));
      continue;
    }
    fprintf(f, "%s,%s,%s,%s,\"%s\",%s,%s,\"%s\"\n", str_of(sa, "spi_i"), str_of(sa, "spi_r"),
            str_of(sa, "sk_ei"), str_of(sa, "sk_er"), encr, str_of(sa, "sk_ai"),
            str_of(sa, "sk_ar"), integ);
    usable++;
  }
  return usable;
}

static int write_esp(FILE *f, const json_t *sas) {
  int usable = 0;
  size_t i;
  json_t *sa;
  fprintf(f, "# esp_sa: protocol,src,dst,SPI,encryption,key||salt,authentication,auth key\n");
  json_array_foreach(sas, i, sa) {
    const char *encr = esp_encr_name(str_of(sa, "alg"), uint_of(sa, "icv_bytes"));
    if (json_is_false(json_object_get(sa, "exportable"))) {
      fprintf(f, "# ESP SA %s %s: made by CREATE_CHILD_SA, its keys cannot be derived again "
                 "(nicsecd --export-esp-keys records them at install time)\n",
              str_of(sa, "dir"), str_of(sa, "spi"));
      continue;
    }
    if (!encr) {
      fprintf(f, "# ESP SA %s %s: %s is not in Wireshark 4.0's ESP table\n", str_of(sa, "dir"),
              str_of(sa, "spi"), str_of(sa, "alg"));
      continue;
    }
    fprintf(f, "\"%s\",\"%s\",\"%s\",\"0x%s\",\"%s\",\"0x%s\",\"NULL\",\"\"\n",
            str_of(sa, "family"), str_of(sa, "src"), str_of(sa, "dst"), str_of(sa, "spi"), encr,
            str_of(sa, "key"));
    usable++;
  }
  return usable;
}

int ctl_wireshark_write(FILE *f, const json_t *keys) {
  int n = write_ike(f, json_object_get(keys, "ike_sas"));
  return n + write_esp(f, json_object_get(keys, "esp_sas"));
}
