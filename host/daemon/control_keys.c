/* keys: the IKE and ESP keys of every SA, for an operator who asked for them explicitly
 * (nicsecctl keys --wireshark) and is root. Nothing else ever sends a key.
 *
 * ESP keys are not kept after installation (the device holds them, and dumps redact them), so
 * they are derived again from SK_d and the IKE_SA_INIT nonces (RFC 7296 2.17) — the derivation
 * the install path ran for the IKE_AUTH Child SA (child->keymat_ike_id says which IKE SA's).
 * Child SAs made by CREATE_CHILD_SA used that exchange's nonces (and maybe a KE), which are not
 * kept: they are listed without keys ("exportable": false); nicsecd --export-esp-keys writes
 * every Child SA's keys at install time. The answer text is wiped once sent. */
#include <arpa/inet.h>
#include <openssl/crypto.h>

#include "control_internal.h"
#include "engine_internal.h"

static void secret_field(struct nd_sb *sb, const char *name, const struct ike_secret *s) {
  nd_sb_raw(sb, ",\"", 2);
  nd_sb_lit(sb, name);
  nd_sb_raw(sb, "\":", 2);
  nd_sb_jhex(sb, s->bytes, s->len);
}

static void hex_spi64(struct nd_sb *sb, uint64_t spi) {
  uint8_t b[8];
  for (int i = 0; i < 8; i++)
    b[i] = (uint8_t)(spi >> (56 - 8 * i));
  nd_sb_jhex(sb, b, sizeof b);
}

static void ike_keys(struct nd_sb *sb, const struct nd_ike_sa *sa) {
  nd_sb_lit(sb, "{\"conn\":");
  nd_sb_jstr(sb, sa->conn ? sa->conn->name : "");
  nd_sb_lit(sb, ",\"spi_i\":");
  hex_spi64(sb, sa->spi_i);
  nd_sb_lit(sb, ",\"spi_r\":");
  hex_spi64(sb, sa->spi_r);
  nd_sb_lit(sb, ",\"encr\":");
  nd_sb_u64(sb, sa->xf.encr);
  nd_sb_lit(sb, ",\"encr_bits\":");
  nd_sb_u64(sb, sa->xf.encr_key_bits);
  nd_sb_lit(sb, ",\"integ\":");
  nd_sb_u64(sb, sa->xf.integ);
  secret_field(sb, "sk_ei", &sa->keys.sk_ei);
  secret_field(sb, "sk_er", &sa->keys.sk_er);
  secret_field(sb, "sk_ai", &sa->keys.sk_ai);
  secret_field(sb, "sk_ar", &sa->keys.sk_ar);
  nd_sb_raw(sb, "}", 1);
}

static void esp_key(struct nd_sb *sb, const struct nicsec_hal_sa *desc,
                    const struct ike_secret *keymat) {
  char src[INET6_ADDRSTRLEN] = "", dst[INET6_ADDRSTRLEN] = "";
  int family = desc->src.family == NICSEC_HAL_AF_INET6 ? AF_INET6 : AF_INET;
  inet_ntop(family, desc->src.bytes, src, sizeof src);
  inet_ntop(family, desc->dst.bytes, dst, sizeof dst);
  char spi[9];
  snprintf(spi, sizeof spi, "%08x", desc->spi);
  nd_sb_lit(sb, "{\"dir\":");
  nd_sb_jstr(sb, desc->dir == NICSEC_HAL_DIR_IN ? "in" : "out");
  nd_sb_lit(sb, ",\"spi\":");
  nd_sb_jstr(sb, spi);
  nd_sb_lit(sb, ",\"family\":");
  nd_sb_jstr(sb, family == AF_INET ? "IPv4" : "IPv6");
  nd_sb_lit(sb, ",\"src\":");
  nd_sb_jstr(sb, src);
  nd_sb_lit(sb, ",\"dst\":");
  nd_sb_jstr(sb, dst);
  nd_sb_lit(sb, ",\"alg\":");
  nd_sb_jstr(sb, nicsec_hal_alg_name(desc->alg) ? nicsec_hal_alg_name(desc->alg) : "unknown");
  nd_sb_lit(sb, ",\"icv_bytes\":");
  nd_sb_u64(sb, desc->icv_len);
  nd_sb_lit(sb, ",\"encap\":");
  nd_sb_lit(sb, desc->encap.enabled ? "true" : "false");
  secret_field(sb, "key", keymat); /* cipher key followed by the 4-octet salt */
  nd_sb_lit(sb, ",\"exportable\":true}");
}

/* A Child SA whose KEYMAT inputs are gone: its SPIs, no key. */
static void not_exportable(struct nd_sb *sb, const struct nd_child_sa *c, size_t *count) {
  const nicsec_hal_sa_id handles[2] = {c->hal_in, c->hal_out};
  for (int dir = 0; dir < 2; dir++) {
    if (!handles[dir])
      continue;
    char spi[9];
    snprintf(spi, sizeof spi, "%08x", c->hal_desc[dir].spi);
    if ((*count)++)
      nd_sb_raw(sb, ",", 1);
    nd_sb_lit(sb, "{\"dir\":");
    nd_sb_jstr(sb, dir == 0 ? "in" : "out");
    nd_sb_lit(sb, ",\"spi\":");
    nd_sb_jstr(sb, spi);
    nd_sb_lit(sb, ",\"exportable\":false}");
  }
}

/* The directions of one Child SA on the device; false when the keys cannot be derived again. */
static bool child_keys(struct nd_sb *sb, const struct nd_ike_sa *sa, const struct nd_child_sa *c,
                       size_t *count) {
  if (c->keymat_ike_id != sa->id) {
    not_exportable(sb, c, count);
    return true;
  }
  struct ike_child_transforms t = {c->sel.encr, c->sel.encr_bits, IKE_INTEG_NONE};
  struct ike_child_keys keys = {0};
  if (ike_kdf_child_keys(sa->xf.prf, &sa->keys.sk_d, &t, NULL, 0,
                         ike_bytes_of(sa->ni, sa->ni_len), ike_bytes_of(sa->nr, sa->nr_len),
                         &keys) != IKE_CRYPTO_OK) {
    ike_child_keys_free(&keys);
    return false;
  }
  /* "_i" keys protect what the exchange initiator sends; IKE_AUTH's initiator is the SA's. */
  const struct ike_secret *recv = sa->initiator ? &keys.encr_r : &keys.encr_i;
  const struct ike_secret *send = sa->initiator ? &keys.encr_i : &keys.encr_r;
  const nicsec_hal_sa_id handles[2] = {c->hal_in, c->hal_out};
  for (int dir = 0; dir < 2; dir++) {
    if (!handles[dir])
      continue;
    if ((*count)++)
      nd_sb_raw(sb, ",", 1);
    esp_key(sb, &c->hal_desc[dir], dir == 0 ? recv : send);
  }
  ike_child_keys_free(&keys);
  return true;
}

static bool has_ike_keys(const struct nd_ike_sa *sa) {
  return sa->state != ND_IKE_DEAD && sa->keys.sk_ei.len > 0 && sa->keys.sk_d.len > 0;
}

json_t *nd_ctl_keys(struct nd_daemon *d, const struct nd_peer *peer, struct nd_sb *out) {
  if (peer->uid != 0)
    return nd_ctl_error("only root may export keys");
  out->secret = true;
  size_t n_ike = 0, n_esp = 0;
  bool derived = true;
  nd_sb_lit(out, "{\"ok\":true,\"ike_sas\":[");
  for (const struct nd_ike_sa *sa = d->engine->all; sa; sa = sa->next_all)
    if (has_ike_keys(sa)) {
      if (n_ike++)
        nd_sb_raw(out, ",", 1);
      ike_keys(out, sa);
    }
  nd_sb_lit(out, "],\"esp_sas\":[");
  for (const struct nd_ike_sa *sa = d->engine->all; sa; sa = sa->next_all)
    for (size_t i = 0; has_ike_keys(sa) && i < sa->n_children; i++)
      if (sa->children[i].installed)
        derived &= child_keys(out, sa, &sa->children[i], &n_esp);
  nd_sb_lit(out, "]}");
  if (!derived || out->failed)
    return nd_ctl_error(derived ? "out of memory" : "could not derive the ESP keys again");
  ND_WARN("keys of %zu IKE SAs and %zu ESP SAs exported to uid 0 (nicsecctl keys)", n_ike, n_esp);
  return NULL;
}
