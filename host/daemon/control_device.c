/* caps, metrics and the test-only test-hal: what the HAL device says about itself. */
#include "control_internal.h"
#include "ikecodec_notify.h"

/* ---- caps ------------------------------------------------------------------------------------ */

/* Names of the set bits of a capability mask, from a table of (bit, name). */
struct bit_name {
  uint32_t bit;
  const char *name;
};

static json_t *bit_names(uint32_t mask, const struct bit_name *table, size_t n) {
  json_t *arr = json_array();
  for (size_t i = 0; i < n; i++)
    if (mask & table[i].bit)
      json_array_append_new(arr, json_string(table[i].name));
  return arr;
}

#define BIT_NAMES(mask, table) bit_names((mask), (table), sizeof(table) / sizeof((table)[0]))

static const struct bit_name offload_bits[] = {
    {NICSEC_HAL_OFFLOAD_CRYPTO, "crypto"},
    {NICSEC_HAL_OFFLOAD_PACKET, "packet"},
};
static const struct bit_name alg_bits[] = {
    {NICSEC_HAL_ALG_BIT(NICSEC_HAL_ALG_AES_GCM_128), "aes-gcm-128"},
    {NICSEC_HAL_ALG_BIT(NICSEC_HAL_ALG_AES_GCM_192), "aes-gcm-192"},
    {NICSEC_HAL_ALG_BIT(NICSEC_HAL_ALG_AES_GCM_256), "aes-gcm-256"},
    {NICSEC_HAL_ALG_BIT(NICSEC_HAL_ALG_CHACHA20_POLY1305), "chacha20-poly1305"},
};
static const struct bit_name mode_bits[] = {
    {NICSEC_HAL_MODE_TUNNEL, "tunnel"},
    {NICSEC_HAL_MODE_TRANSPORT, "transport"},
    {NICSEC_HAL_MODE_BEET, "beet"},
};
static const struct bit_name family_bits[] = {
    {NICSEC_HAL_AF_INET, "ipv4"},
    {NICSEC_HAL_AF_INET6, "ipv6"},
};

static const struct {
  uint32_t bit;
  int octets;
} icv_bits[] = {{NICSEC_HAL_ICV_8, 8}, {NICSEC_HAL_ICV_12, 12}, {NICSEC_HAL_ICV_16, 16}};

static json_t *icv_sizes(uint32_t mask) {
  json_t *sizes = json_array();
  for (size_t i = 0; i < sizeof icv_bits / sizeof icv_bits[0]; i++)
    if (mask & icv_bits[i].bit)
      json_array_append_new(sizes, json_integer(icv_bits[i].octets));
  return sizes;
}

json_t *nd_ctl_caps_json(const struct nicsec_hal_caps *c) {
  json_t *windows = json_array();
  for (uint8_t i = 0; i < c->n_replay_windows && i < NICSEC_HAL_MAX_WINDOW_SIZES; i++)
    json_array_append_new(windows, json_integer(c->replay_windows[i]));
  return json_pack(
      "{s:s, s:o, s:o, s:o, s:o, s:o, s:b, s:b, s:b, s:o, s:{s:I, s:I}, s:I, s:{s:I, s:I}, "
      "s:{s:b, s:b}, s:I, s:I, s:b}",
      "backend", c->backend ? c->backend : "", "offload_modes",
      BIT_NAMES(c->offload_modes, offload_bits), "algs", BIT_NAMES(c->algs, alg_bits),
      "aes_gcm_icv_bytes", icv_sizes(c->aes_gcm_icv), "modes", BIT_NAMES(c->modes, mode_bits),
      "families", BIT_NAMES(c->families, family_bits), "esn", c->esn, "udp_encap", c->udp_encap,
      "replay_disable", c->replay_disable, "replay_windows", windows, "max_sas", "in",
      (json_int_t)c->max_sa_in, "out", (json_int_t)c->max_sa_out, "max_policies",
      (json_int_t)c->max_policies, "spi_window", "min", (json_int_t)c->spi_min, "max",
      (json_int_t)c->spi_max, "hw_lifetime", "packets", c->hw_lifetime_packets, "bytes",
      c->hw_lifetime_bytes, "max_batch", (json_int_t)c->max_batch, "stats_freshness_ms",
      (json_int_t)c->stats_freshness_ms, "host_datapath", c->host_datapath);
}

json_t *nd_ctl_caps(struct nd_daemon *d) {
  if (!d->hal)
    return nd_ctl_error("nicsecd has no HAL device");
  json_t *reply = nd_ctl_ok();
  json_object_set_new(reply, "devices",
                      json_pack("[o]", nd_ctl_caps_json(nicsec_hal_caps(d->hal))));
  return reply;
}

/* ---- metrics --------------------------------------------------------------------------------- */

static json_t *drops_json(const uint64_t drops[NICSEC_HAL_DROP__COUNT]) {
  json_t *o = json_object();
  for (int r = 0; r < NICSEC_HAL_DROP__COUNT; r++) {
    const char *name = nicsec_hal_drop_name((enum nicsec_hal_drop)r);
    if (name)
      json_object_set_new(o, name, json_integer((json_int_t)drops[r]));
  }
  return o;
}

/* The device's datapath counters, or null when the device moves no packets itself. */
static json_t *datapath_json(struct nicsec_hal_dev *dev) {
  struct nicsec_hal_dp_stats s;
  if (nicsec_hal_dp_stats(dev, &s) != NICSEC_HAL_OK)
    return json_null();
  return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "plain_in",
                   (json_int_t)s.plain_in, "plain_out", (json_int_t)s.plain_out, "esp_in",
                   (json_int_t)s.esp_in, "esp_out", (json_int_t)s.esp_out, "udp_in",
                   (json_int_t)s.udp_in, "udp_out", (json_int_t)s.udp_out, "no_policy",
                   (json_int_t)s.no_policy, "policy_drops", (json_int_t)s.policy_drops, "no_sa",
                   (json_int_t)s.no_sa, "encap_errors", (json_int_t)s.encap_errors,
                   "decap_errors", (json_int_t)s.decap_errors, "io_errors",
                   (json_int_t)s.io_errors);
}

/* Every registered error notify type below ND_NOTIFY_COUNTED by name (zeros too, so each
 * Prometheus series exists from the start), and "OTHER" for the rest. */
static json_t *notify_counts(const uint64_t counts[ND_NOTIFY_COUNTED]) {
  json_t *o = json_object();
  for (uint16_t t = 1; t < ND_NOTIFY_COUNTED; t++)
    if (ike_notify_is_error(t) && ike_notify_lookup(t))
      json_object_set_new(o, ike_notify_name(t), json_integer((json_int_t)counts[t]));
  json_object_set_new(o, "OTHER", json_integer((json_int_t)counts[0]));
  return o;
}

/* Failed HAL calls: [{"code":N,"error":"<nicsec_hal_strerror>","count":N}], non-zero only. */
static json_t *hal_error_counts(const uint64_t counts[ND_HAL_ERR_COUNTED]) {
  json_t *arr = json_array();
  for (int code = 0; code < ND_HAL_ERR_COUNTED; code++)
    if (counts[code])
      json_array_append_new(
          arr, json_pack("{s:i, s:s, s:I}", "code", code, "error",
                         code ? nicsec_hal_strerror((enum nicsec_hal_err)code) : "other",
                         (json_int_t)counts[code]));
  return arr;
}

static json_t *event_counters(const struct nd_engine *e) {
  struct nd_engine_stats s;
  nd_engine_stats(e, &s);
  return json_pack("{s:{s:o, s:o}, s:{s:{s:I, s:I}, s:{s:I, s:I}}, s:{s:I, s:I}, s:o}",
                   "notifies", "sent", notify_counts(s.notify_sent), "received",
                   notify_counts(s.notify_received), "rekeys", "child", "initiated",
                   (json_int_t)s.rekey_child_initiated, "responded",
                   (json_int_t)s.rekey_child_responded, "ike", "initiated",
                   (json_int_t)s.rekey_ike_initiated, "responded",
                   (json_int_t)s.rekey_ike_responded, "handshakes", "ok",
                   (json_int_t)s.handshakes_ok, "failed", (json_int_t)s.handshakes_failed,
                   "hal_errors", hal_error_counts(s.hal_errors));
}

json_t *nd_ctl_metrics(struct nd_daemon *d) {
  json_t *req = json_pack("{s:s}", "cmd", "stats");
  json_t *reply = nd_control_handle(d, req);
  json_decref(req);
  json_t *devices = json_array();
  if (d->hal) {
    uint64_t drops[NICSEC_HAL_DROP__COUNT] = {0};
    enum nicsec_hal_err rc = nicsec_hal_dev_drops(d->hal, drops);
    json_array_append_new(
        devices, json_pack("{s:s, s:o, s:o}", "backend", d->hal_backend, "drops",
                           rc == NICSEC_HAL_OK ? drops_json(drops) : json_null(), "datapath",
                           datapath_json(d->hal)));
  }
  json_object_set_new(reply, "devices", devices);
  json_object_set_new(reply, "events", event_counters(d->engine));
  return reply;
}
