/* Prometheus and Wireshark formats (see ctl_export.h). */
#include "ctl_export.h"

#include <inttypes.h>
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

/* The label set naming one SA: {dir,spi,backend,conn,child}. */
static void sa_labels(const json_t *sa, char *out, size_t len) {
  const json_t *dev = json_object_get(sa, "device"), *own = json_object_get(sa, "daemon");
  char conn[128], child[128], backend[64];
  ctl_prom_escape(present(own) ? str_of(own, "conn") : "", conn, sizeof conn);
  ctl_prom_escape(present(own) ? str_of(own, "child") : "", child, sizeof child);
  ctl_prom_escape(str_of(dev, "backend"), backend, sizeof backend);
  snprintf(out, len, "dir=\"%s\",spi=\"0x%s\",backend=\"%s\",conn=\"%s\",child=\"%s\"",
           str_of(sa, "dir"), str_of(sa, "spi"), backend, conn, child);
}

/* The per-SA families: name, type, help, field of the device object. */
static const struct sa_metric {
  const char *name, *type, *help, *field;
} sa_metrics[] = {
    {"nicsec_sa_packets_total", "counter", "Packets the device processed for the SA.", "packets"},
    {"nicsec_sa_bytes_total", "counter", "Plaintext bytes the device processed for the SA.",
     "bytes"},
    {"nicsec_sa_seq", "gauge", "Outbound: last sequence number sent; inbound: highest accepted.",
     "seq"},
    {"nicsec_sa_stats_age_ms", "gauge", "Upper bound on the age of the SA's counters.",
     "stats_age_ms"},
};

static void write_sa_metrics(FILE *f, const json_t *list) {
  const json_t *sas = json_object_get(list, "sas");
  char labels[512];
  size_t i;
  json_t *sa;
  for (size_t m = 0; m < sizeof sa_metrics / sizeof sa_metrics[0]; m++) {
    header(f, sa_metrics[m].name, sa_metrics[m].type, sa_metrics[m].help);
    json_array_foreach(sas, i, sa) {
      const json_t *dev = json_object_get(sa, "device");
      if (!present(dev))
        continue;
      sa_labels(sa, labels, sizeof labels);
      fprintf(f, "%s{%s} %" JSON_INTEGER_FORMAT "\n", sa_metrics[m].name, labels,
              json_integer_value(json_object_get(dev, sa_metrics[m].field)));
    }
  }
  header(f, "nicsec_sa_drops_total", "counter", "Packets the device dropped for the SA, by reason.");
  json_array_foreach(sas, i, sa) {
    const json_t *dev = json_object_get(sa, "device");
    if (!present(dev))
      continue;
    sa_labels(sa, labels, sizeof labels);
    write_members(f, "nicsec_sa_drops_total", labels, "reason", json_object_get(dev, "drops"));
  }
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

void ctl_prom_write(FILE *f, const json_t *list, const json_t *metrics) {
  write_global_metrics(f, json_object_get(metrics, "stats"));
  write_event_metrics(f, json_object_get(metrics, "events"));
  write_device_metrics(f, json_object_get(metrics, "devices"));
  header(f, "nicsec_sas", "gauge", "SAs the device holds.");
  fprintf(f, "nicsec_sas %zu\n", json_array_size(json_object_get(list, "sas")));
  write_sa_metrics(f, list);
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
