/* Proposal strings and proposal selection. */
#include "proposal.h"

#include <stdio.h>
#include <string.h>

#include "ike_ke.h"
#include "ike_transforms.h"

enum { FOR_IKE = 1, FOR_ESP = 2, FOR_BOTH = FOR_IKE | FOR_ESP };

/* The strongSwan keywords nicsec understands. implied_prf: an IKE integrity keyword also
 * proposes the matching PRF when the string names no PRF itself (strongSwan's convention). */
struct keyword {
  const char *name;
  uint8_t type;
  uint16_t id;
  uint16_t key_bits;
  uint8_t protocols;
  uint16_t implied_prf;
  const char *display;
};

static const struct keyword keywords[] = {
    {"aes128", IKE_TRANSFORM_ENCR, 12, 128, FOR_IKE, 0, "AES_CBC_128"},
    {"aes192", IKE_TRANSFORM_ENCR, 12, 192, FOR_IKE, 0, "AES_CBC_192"},
    {"aes256", IKE_TRANSFORM_ENCR, 12, 256, FOR_IKE, 0, "AES_CBC_256"},
    {"aes128gcm16", IKE_TRANSFORM_ENCR, 20, 128, FOR_BOTH, 0, "AES_GCM_16_128"},
    {"aes128gcm128", IKE_TRANSFORM_ENCR, 20, 128, FOR_BOTH, 0, "AES_GCM_16_128"},
    {"aes192gcm16", IKE_TRANSFORM_ENCR, 20, 192, FOR_BOTH, 0, "AES_GCM_16_192"},
    {"aes256gcm16", IKE_TRANSFORM_ENCR, 20, 256, FOR_BOTH, 0, "AES_GCM_16_256"},
    {"aes256gcm128", IKE_TRANSFORM_ENCR, 20, 256, FOR_BOTH, 0, "AES_GCM_16_256"},
    {"aes128gcm12", IKE_TRANSFORM_ENCR, 19, 128, FOR_ESP, 0, "AES_GCM_12_128"},
    {"aes256gcm12", IKE_TRANSFORM_ENCR, 19, 256, FOR_ESP, 0, "AES_GCM_12_256"},
    {"aes128gcm8", IKE_TRANSFORM_ENCR, 18, 128, FOR_ESP, 0, "AES_GCM_8_128"},
    {"aes256gcm8", IKE_TRANSFORM_ENCR, 18, 256, FOR_ESP, 0, "AES_GCM_8_256"},
    {"chacha20poly1305", IKE_TRANSFORM_ENCR, 28, 0, FOR_BOTH, 0, "CHACHA20_POLY1305"},
    {"sha256", IKE_TRANSFORM_INTEG, 12, 0, FOR_IKE, 5, "HMAC_SHA2_256_128"},
    {"sha2_256", IKE_TRANSFORM_INTEG, 12, 0, FOR_IKE, 5, "HMAC_SHA2_256_128"},
    {"sha384", IKE_TRANSFORM_INTEG, 13, 0, FOR_IKE, 6, "HMAC_SHA2_384_192"},
    {"sha2_384", IKE_TRANSFORM_INTEG, 13, 0, FOR_IKE, 6, "HMAC_SHA2_384_192"},
    {"sha512", IKE_TRANSFORM_INTEG, 14, 0, FOR_IKE, 7, "HMAC_SHA2_512_256"},
    {"sha2_512", IKE_TRANSFORM_INTEG, 14, 0, FOR_IKE, 7, "HMAC_SHA2_512_256"},
    {"prfsha1", IKE_TRANSFORM_PRF, 2, 0, FOR_IKE, 0, "PRF_HMAC_SHA1"},
    {"prfsha256", IKE_TRANSFORM_PRF, 5, 0, FOR_IKE, 0, "PRF_HMAC_SHA2_256"},
    {"prfsha384", IKE_TRANSFORM_PRF, 6, 0, FOR_IKE, 0, "PRF_HMAC_SHA2_384"},
    {"prfsha512", IKE_TRANSFORM_PRF, 7, 0, FOR_IKE, 0, "PRF_HMAC_SHA2_512"},
    {"modp2048", IKE_TRANSFORM_KE, 14, 0, FOR_BOTH, 0, "MODP_2048"},
    {"modp3072", IKE_TRANSFORM_KE, 15, 0, FOR_BOTH, 0, "MODP_3072"},
    {"ecp256", IKE_TRANSFORM_KE, 19, 0, FOR_BOTH, 0, "ECP_256"},
    {"ecp384", IKE_TRANSFORM_KE, 20, 0, FOR_BOTH, 0, "ECP_384"},
    {"ecp521", IKE_TRANSFORM_KE, 21, 0, FOR_BOTH, 0, "ECP_521"},
    {"x25519", IKE_TRANSFORM_KE, 31, 0, FOR_BOTH, 0, "CURVE_25519"},
    {"curve25519", IKE_TRANSFORM_KE, 31, 0, FOR_BOTH, 0, "CURVE_25519"},
    {"x448", IKE_TRANSFORM_KE, 32, 0, FOR_BOTH, 0, "CURVE_448"},
    {"curve448", IKE_TRANSFORM_KE, 32, 0, FOR_BOTH, 0, "CURVE_448"},
    {"noesn", IKE_TRANSFORM_SN, 0, 0, FOR_ESP, 0, "NO_EXT_SEQ"},
    {"esn", IKE_TRANSFORM_SN, 1, 0, FOR_ESP, 0, "EXT_SEQ"},
};

static const struct keyword *keyword_find(const char *name, size_t len) {
  for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
    if (strlen(keywords[i].name) == len && strncmp(keywords[i].name, name, len) == 0)
      return &keywords[i];
  return NULL;
}

static const char *xform_display(uint8_t type, uint16_t id, uint16_t bits) {
  for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
    if (keywords[i].type == type && keywords[i].id == id && keywords[i].key_bits == bits)
      return keywords[i].display;
  return "?";
}

static bool has_xform(const struct nd_proposal *p, uint8_t type, uint16_t id, uint16_t bits) {
  for (size_t i = 0; i < p->count; i++)
    if (p->xforms[i].type == type && p->xforms[i].id == id && p->xforms[i].key_bits == bits)
      return true;
  return false;
}

static size_t count_type(const struct nd_proposal *p, uint8_t type) {
  size_t n = 0;
  for (size_t i = 0; i < p->count; i++)
    n += p->xforms[i].type == type;
  return n;
}

static int add_xform(struct nd_proposal *p, uint8_t type, uint16_t id, uint16_t bits) {
  if (has_xform(p, type, id, bits))
    return 0;
  if (p->count == ND_MAX_XFORMS)
    return -1;
  p->xforms[p->count++] = (struct nd_xform){type, id, bits};
  return 0;
}

/* Whether nicsec can run the algorithm for that protocol: IKE algorithms through the crypto
 * layer, ESP ciphers through the offload HAL (AEAD only: AES-GCM and ChaCha20-Poly1305). */
static bool implemented(const struct keyword *k, uint8_t protocol) {
  switch (k->type) {
  case IKE_TRANSFORM_ENCR:
    if (protocol == IKE_PROTO_IKE)
      return ike_encr_alg_find(k->id, k->key_bits) != NULL;
    return k->id == 18 || k->id == 19 || k->id == 20 || k->id == 28;
  case IKE_TRANSFORM_PRF:
    return ike_prf_alg_find(k->id) != NULL;
  case IKE_TRANSFORM_INTEG:
    return ike_integ_alg_find(k->id) != NULL;
  case IKE_TRANSFORM_KE:
    return ike_ke_supported(k->id);
  default:
    return true;
  }
}

static bool encr_is_aead(uint16_t id) {
  return id == 18 || id == 19 || id == 20 || id == 28;
}

static int check_complete(const struct nd_proposal *p, char *err, size_t err_len) {
  size_t aead = 0, plain = 0;
  for (size_t i = 0; i < p->count; i++)
    if (p->xforms[i].type == IKE_TRANSFORM_ENCR)
      *(encr_is_aead(p->xforms[i].id) ? &aead : &plain) += 1;
  size_t integ = count_type(p, IKE_TRANSFORM_INTEG);
  const char *problem = NULL;
  if (aead + plain == 0)
    problem = "names no encryption algorithm";
  else if (aead && plain)
    problem = "mixes AEAD and non-AEAD encryption (split it into two proposals)";
  else if (aead && integ)
    problem = "adds an integrity algorithm to an AEAD cipher";
  else if (p->protocol == IKE_PROTO_IKE && plain && !integ)
    problem = "needs an integrity algorithm (e.g. sha256) for a non-AEAD cipher";
  else if (p->protocol == IKE_PROTO_IKE && !count_type(p, IKE_TRANSFORM_PRF))
    problem = "names no PRF (e.g. prfsha256)";
  else if (p->protocol == IKE_PROTO_IKE && !count_type(p, IKE_TRANSFORM_KE))
    problem = "names no key exchange method (e.g. x25519)";
  if (problem) {
    snprintf(err, err_len, "proposal '%s' %s", p->text, problem);
    return -1;
  }
  return 0;
}

static int parse_keyword(struct nd_proposal *p, const char *word, size_t len, bool *prf_given,
                         uint16_t *implied, size_t *n_implied, char *err, size_t err_len) {
  const struct keyword *k = keyword_find(word, len);
  uint8_t want = p->protocol == IKE_PROTO_IKE ? FOR_IKE : FOR_ESP;
  if (!k || !(k->protocols & want) || !implemented(k, p->protocol)) {
    snprintf(err, err_len, "proposal '%s': '%.*s' is %s", p->text, (int)len, word,
             !k ? "not a known algorithm keyword"
                : !(k->protocols & want) ? "not usable in this kind of proposal"
                                         : "not implemented by nicsec");
    return -1;
  }
  if (k->type == IKE_TRANSFORM_PRF)
    *prf_given = true;
  if (k->implied_prf && *n_implied < 4)
    implied[(*n_implied)++] = k->implied_prf;
  if (add_xform(p, k->type, k->id, k->key_bits) != 0) {
    snprintf(err, err_len, "proposal '%s' has too many algorithms", p->text);
    return -1;
  }
  return 0;
}

int nd_proposal_parse(const char *text, uint8_t protocol, struct nd_proposal *out, char *err,
                      size_t err_len) {
  memset(out, 0, sizeof *out);
  out->protocol = protocol;
  snprintf(out->text, sizeof out->text, "%s", text);
  if (!text[0] || strlen(text) >= sizeof out->text) {
    snprintf(err, err_len, "proposal '%s' is empty or too long", out->text);
    return -1;
  }
  bool prf_given = false;
  uint16_t implied[4];
  size_t n_implied = 0;
  for (const char *p = text; *p;) {
    size_t len = strcspn(p, "-");
    if (len == 0) {
      snprintf(err, err_len, "proposal '%s' has an empty keyword", text);
      return -1;
    }
    if (parse_keyword(out, p, len, &prf_given, implied, &n_implied, err, err_len) != 0)
      return -1;
    p += len + (p[len] == '-');
  }
  for (size_t i = 0; i < n_implied && !prf_given && protocol == IKE_PROTO_IKE; i++)
    (void)add_xform(out, IKE_TRANSFORM_PRF, implied[i], 0);
  if (protocol == IKE_PROTO_ESP && !count_type(out, IKE_TRANSFORM_SN))
    (void)add_xform(out, IKE_TRANSFORM_SN, 0, 0);
  return check_complete(out, err, err_len);
}

void nd_proposal_without_ke(const struct nd_proposal *p, struct nd_proposal *out) {
  *out = *p;
  out->count = 0;
  for (size_t i = 0; i < p->count; i++)
    if (p->xforms[i].type != IKE_TRANSFORM_KE)
      out->xforms[out->count++] = p->xforms[i];
}

bool nd_proposals_to_sa(const struct nd_proposal *ours, size_t n_ours, const uint8_t *spi,
                        size_t spi_len, struct ike_sa_payload *sa) {
  for (size_t i = 0; i < n_ours; i++) {
    struct wire_view spi_view = {spi, spi ? spi_len : 0};
    if (!ike_sa_add_proposal(sa, (uint8_t)(i + 1), ours[i].protocol, spi_view))
      return false;
    for (size_t t = 0; t < ours[i].count; t++) {
      const struct nd_xform *x = &ours[i].xforms[t];
      if (!ike_sa_add_transform(sa, x->type, x->id, x->key_bits))
        return false;
    }
  }
  return true;
}

/* The peer's transforms of one proposal, reduced to what selection compares. */
struct peer_set {
  struct nd_xform x[IKE_MAX_TRANSFORMS];
  size_t count;
};

static void peer_set_of(const struct ike_sa_payload *sa, const struct ike_proposal *p,
                        bool ignore_ke, struct peer_set *out) {
  out->count = 0;
  for (size_t i = 0; i < p->transform_count; i++) {
    const struct ike_transform *t = ike_proposal_transform(sa, p, i);
    /* RFC 7296 3.3.6: a transform with an attribute we do not understand is not selectable. */
    if (t->unknown_attrs || (ignore_ke && t->type == IKE_TRANSFORM_KE))
      continue;
    out->x[out->count++] =
        (struct nd_xform){t->type, t->id, t->has_key_length ? t->key_length : 0};
  }
}

static bool peer_has(const struct peer_set *s, uint8_t type, uint16_t id, uint16_t bits) {
  for (size_t i = 0; i < s->count; i++)
    if (s->x[i].type == type && s->x[i].id == id && s->x[i].key_bits == bits)
      return true;
  return false;
}

static bool peer_has_type(const struct peer_set *s, uint8_t type) {
  for (size_t i = 0; i < s->count; i++)
    if (s->x[i].type == type)
      return true;
  return false;
}

static void record(struct nd_selected *sel, const struct nd_xform *x) {
  switch (x->type) {
  case IKE_TRANSFORM_ENCR:
    sel->encr = x->id;
    sel->encr_bits = x->key_bits;
    break;
  case IKE_TRANSFORM_PRF:
    sel->prf = x->id;
    break;
  case IKE_TRANSFORM_INTEG:
    sel->integ = x->id;
    sel->has_integ = x->id != 0;
    break;
  case IKE_TRANSFORM_KE:
    sel->ke = x->id;
    sel->has_ke = x->id != 0;
    break;
  case IKE_TRANSFORM_SN:
    sel->esn = x->id;
    sel->has_esn = true;
    break;
  default:
    break;
  }
}

static const uint8_t selection_types[] = {IKE_TRANSFORM_ENCR, IKE_TRANSFORM_PRF,
                                          IKE_TRANSFORM_INTEG, IKE_TRANSFORM_KE, IKE_TRANSFORM_SN};

/* For one transform type: our first algorithm the peer offers. A type only the peer lists is
 * acceptable when it offers NONE (id 0) for it, e.g. INTEG NONE beside an AEAD cipher. */
static bool select_type(const struct nd_proposal *ours, const struct peer_set *peer, uint8_t type,
                        bool ignore_ke, struct nd_selected *sel) {
  bool ours_has = false;
  for (size_t i = 0; i < ours->count; i++) {
    const struct nd_xform *x = &ours->xforms[i];
    if (x->type != type || (ignore_ke && type == IKE_TRANSFORM_KE))
      continue;
    ours_has = true;
    if (peer_has(peer, x->type, x->id, x->key_bits)) {
      record(sel, x);
      return true;
    }
  }
  if (ours_has)
    return false;
  return !peer_has_type(peer, type) || peer_has(peer, type, 0, 0);
}

static bool match_one(const struct nd_proposal *ours, const struct ike_sa_payload *sa,
                      const struct ike_proposal *p, bool ignore_ke, struct nd_selected *sel) {
  if (p->protocol != ours->protocol)
    return false;
  if (ours->protocol == IKE_PROTO_ESP && p->spi.len != 4)
    return false;
  struct peer_set peer;
  peer_set_of(sa, p, ignore_ke, &peer);
  memset(sel, 0, sizeof *sel);
  for (size_t t = 0; t < sizeof selection_types; t++)
    if (!select_type(ours, &peer, selection_types[t], ignore_ke, sel))
      return false;
  sel->proposal_number = p->number;
  sel->protocol = p->protocol;
  if (p->spi.len == 4)
    sel->peer_spi = (uint32_t)p->spi.ptr[0] << 24 | (uint32_t)p->spi.ptr[1] << 16 |
                    (uint32_t)p->spi.ptr[2] << 8 | p->spi.ptr[3];
  return true;
}

bool nd_proposal_select(const struct nd_proposal *ours, size_t n_ours,
                        const struct ike_sa_payload *peer, bool ignore_ke, struct nd_selected *sel) {
  for (size_t i = 0; i < n_ours; i++)
    for (size_t j = 0; j < peer->proposal_count; j++)
      if (match_one(&ours[i], peer, &peer->proposals[j], ignore_ke, sel))
        return true;
  return false;
}

bool nd_proposal_check_answer(const struct nd_proposal *ours, size_t n_ours,
                              const struct ike_sa_payload *answer, bool ignore_ke,
                              struct nd_selected *sel) {
  if (answer->proposal_count != 1)
    return false;
  const struct ike_proposal *p = &answer->proposals[0];
  for (size_t i = 0; i < p->transform_count; i++)
    if (ike_proposal_transform(answer, p, i)->unknown_attrs)
      return false; /* an answered transform carries an attribute we never sent */
  struct peer_set peer;
  peer_set_of(answer, p, ignore_ke, &peer);
  for (size_t a = 0; a < peer.count; a++)
    for (size_t b = a + 1; b < peer.count; b++)
      if (peer.x[a].type == peer.x[b].type)
        return false; /* an answer has exactly one transform per type */
  for (size_t i = 0; i < n_ours; i++) {
    if (!match_one(&ours[i], answer, p, ignore_ke, sel))
      continue;
    /* Every answered transform must be one we offered (match_one only checks ours -> peer). */
    bool all_offered = true;
    for (size_t a = 0; a < peer.count && all_offered; a++)
      all_offered = peer.x[a].id == 0 ||
                    has_xform(&ours[i], peer.x[a].type, peer.x[a].id, peer.x[a].key_bits);
    if (all_offered)
      return true;
  }
  return false;
}

bool nd_selected_to_sa(const struct nd_selected *sel, const uint8_t *spi, size_t spi_len,
                       struct ike_sa_payload *sa) {
  struct wire_view spi_view = {spi, spi ? spi_len : 0};
  bool ok = ike_sa_add_proposal(sa, sel->proposal_number, sel->protocol, spi_view) &&
            ike_sa_add_transform(sa, IKE_TRANSFORM_ENCR, sel->encr, sel->encr_bits);
  if (ok && sel->protocol == IKE_PROTO_IKE)
    ok = ike_sa_add_transform(sa, IKE_TRANSFORM_PRF, sel->prf, 0);
  if (ok && sel->has_integ)
    ok = ike_sa_add_transform(sa, IKE_TRANSFORM_INTEG, sel->integ, 0);
  if (ok && sel->has_ke)
    ok = ike_sa_add_transform(sa, IKE_TRANSFORM_KE, sel->ke, 0);
  if (ok && sel->has_esn)
    ok = ike_sa_add_transform(sa, IKE_TRANSFORM_SN, sel->esn, 0);
  return ok;
}

void nd_selected_describe(const struct nd_selected *sel, char *out, size_t len) {
  int n = snprintf(out, len, "%s", xform_display(IKE_TRANSFORM_ENCR, sel->encr, sel->encr_bits));
  if (sel->protocol == IKE_PROTO_IKE && n >= 0 && (size_t)n < len)
    n += snprintf(out + n, len - (size_t)n, "/%s", xform_display(IKE_TRANSFORM_PRF, sel->prf, 0));
  if (sel->has_integ && n >= 0 && (size_t)n < len)
    n += snprintf(out + n, len - (size_t)n, "/%s",
                  xform_display(IKE_TRANSFORM_INTEG, sel->integ, 0));
  if (sel->has_ke && n >= 0 && (size_t)n < len)
    n += snprintf(out + n, len - (size_t)n, "/%s", xform_display(IKE_TRANSFORM_KE, sel->ke, 0));
  if (sel->has_esn && n >= 0 && (size_t)n < len)
    snprintf(out + n, len - (size_t)n, "/%s", xform_display(IKE_TRANSFORM_SN, sel->esn, 0));
}

bool nd_proposals_offer_ke(const struct nd_proposal *ours, size_t n_ours, uint16_t ke) {
  for (size_t i = 0; i < n_ours; i++)
    if (has_xform(&ours[i], IKE_TRANSFORM_KE, ke, 0))
      return true;
  return false;
}

uint16_t nd_proposals_first_ke(const struct nd_proposal *ours, size_t n_ours) {
  for (size_t i = 0; i < n_ours; i++)
    for (size_t t = 0; t < ours[i].count; t++)
      if (ours[i].xforms[t].type == IKE_TRANSFORM_KE)
        return ours[i].xforms[t].id;
  return 0;
}
