/* Optimized rekeys and Child SA PFS info: negotiation, eligibility and inheritance (rekey_opt.h
 * has the wire forms). */
#include "rekey_opt.h"

#include <stdio.h>
#include <string.h>

/* Notifies that would change a property of the Child SA. An optimized rekey inherits every
 * property, so they are never sent in one and a request carrying one is refused (the draft's
 * failure answer, NO_PROPOSAL_CHOSEN: the initiator then rekeys regularly, where such changes
 * are negotiated). IPCOMP_SUPPORTED is only legitimate when the old SA used IPComp, which
 * nicsec never negotiates. */
static const uint16_t property_notifies[] = {
    IKE_N_USE_TRANSPORT_MODE,            /* RFC 7296 1.3.1 */
    IKE_N_ESP_TFC_PADDING_NOT_SUPPORTED, /* RFC 7296 1.3.1 */
    IKE_N_NON_FIRST_FRAGMENTS_ALSO,      /* RFC 7296 1.3.1 */
    IKE_N_IPCOMP_SUPPORTED,              /* RFC 7296 2.22 */
    IKE_N_ROHC_SUPPORTED,                /* RFC 5857 */
    IKE_N_USE_AGGFRAG,                   /* RFC 9347 */
};

static const struct nd_daemon_cfg *daemon_cfg(const struct nd_ike_sa *sa) {
  return &sa->cfg_ref->cfg.daemon;
}

/* ---- negotiation ----------------------------------------------------------------------------- */

/* Our "supported" notify of a draft: in a request when the connection enables the draft, in a
 * response when both peers do. */
static void add_supported(bool wanted, uint16_t type, union ike_payload_body *body,
                          struct ike_payload_out *out, size_t *n) {
  if (!wanted)
    return;
  nd_notify_body(body, IKE_PROTO_NONE, type, NULL, 0);
  out[(*n)++] = nd_out(IKE_PT_NOTIFY, body);
}

static bool peer_supports(bool ours, const struct ike_chain *in, uint16_t type) {
  return ours && ike_chain_find_notify(in, type) >= 0;
}

void nd_opt_auth_add(const struct nd_ike_sa *sa, bool response, union ike_payload_body *body,
                     struct ike_payload_out *out, size_t *n) {
  add_supported(response ? sa->opt_rekey : sa->conn->optimized_rekey,
                daemon_cfg(sa)->notify_optimized_rekey_supported, body, out, n);
}

void nd_opt_auth_note(struct nd_ike_sa *sa, const struct ike_chain *in) {
  sa->opt_rekey = peer_supports(sa->conn->optimized_rekey, in,
                                daemon_cfg(sa)->notify_optimized_rekey_supported);
}

void nd_opt_pfs_info_add(const struct nd_ike_sa *sa, bool response, union ike_payload_body *body,
                         struct ike_payload_out *out, size_t *n) {
  add_supported(response ? sa->pfs_info : sa->conn->child_pfs_info,
                daemon_cfg(sa)->notify_child_pfs_info_supported, body, out, n);
}

void nd_opt_pfs_info_note(struct nd_ike_sa *sa, const struct ike_chain *in) {
  sa->pfs_info = peer_supports(sa->conn->child_pfs_info, in,
                               daemon_cfg(sa)->notify_child_pfs_info_supported);
}

/* ---- both roles ------------------------------------------------------------------------------ */

uint16_t nd_opt_notify_type(const struct nd_ike_sa *sa) {
  return daemon_cfg(sa)->notify_optimized_rekey;
}

bool nd_opt_find(const struct nd_ike_sa *sa, const struct ike_chain *in, struct wire_view *spi) {
  int i = ike_chain_find_notify(in, nd_opt_notify_type(sa));
  union ike_payload_body body;
  if (i < 0 || ike_chain_decode(&in->payloads[i], &body) != IKE_OK)
    return false;
  /* Protocol ID 0 and SPI Size 0: the new SPI travels as Notification Data. */
  if (body.notify.protocol != IKE_PROTO_NONE || body.notify.spi.len != 0)
    return false;
  *spi = body.notify.data;
  return true;
}

void nd_opt_body(const struct nd_ike_sa *sa, union ike_payload_body *body, const uint8_t *spi,
                 size_t spi_len) {
  nd_notify_body(body, IKE_PROTO_NONE, nd_opt_notify_type(sa), spi, spi_len);
}

bool nd_opt_selection_allowed(const struct nd_proposal *ours, size_t n_ours,
                              const struct nd_selected *sel) {
  union ike_payload_body as_sa;
  struct nd_selected again;
  memset(&as_sa.sa, 0, sizeof as_sa.sa);
  uint8_t spi[8] = {0};
  size_t spi_len = sel->protocol == IKE_PROTO_IKE ? 8 : 4;
  if (!nd_selected_to_sa(sel, spi, spi_len, &as_sa.sa) ||
      !nd_proposal_select(ours, n_ours, &as_sa.sa, false, &again))
    return false;
  return again.encr == sel->encr && again.encr_bits == sel->encr_bits &&
         again.prf == sel->prf && again.integ == sel->integ && again.ke == sel->ke &&
         again.has_ke == sel->has_ke && again.esn == sel->esn;
}

/* The child's configuration as loaded now (a reload may have changed or removed it). */
static const struct nd_child_cfg *current_child_cfg(const struct nd_engine *e,
                                                    const struct nd_ike_sa *sa,
                                                    const struct nd_child_sa *child) {
  const struct nd_conn_cfg *conn = nd_config_find_conn(nd_engine_config(e), sa->conn->name);
  for (size_t i = 0; conn && i < conn->n_children; i++)
    if (strcmp(conn->children[i].name, child->cfg->name) == 0)
      return &conn->children[i];
  return NULL;
}

/* An optimized rekey reuses old's algorithms, selectors and mode: only valid while the current
 * configuration would still agree to all of them. */
static bool config_unchanged(const struct nd_engine *e, const struct nd_ike_sa *sa,
                             const struct nd_child_sa *old) {
  const struct nd_child_cfg *now = current_child_cfg(e, sa, old);
  return now && (now->mode == ND_MODE_TRANSPORT) == old->transport &&
         nd_opt_selection_allowed(now->esp, now->n_esp, &old->sel);
}

/* ---- Child SAs ------------------------------------------------------------------------------- */

bool nd_opt_child_eligible(const struct nd_engine *e, const struct nd_ike_sa *sa,
                           const struct nd_child_sa *old) {
  /* PPK hook (RFC 9867, a later issue): when the old SA's keys included a PPK, the optimized
   * rekey must renegotiate its use in this exchange. nicsec does not negotiate PPKs yet, so no
   * SA has one; the PPK work adds that renegotiation (or a regular rekey) here. */
  return sa->opt_rekey && old && old->ke_known && !old->force_regular &&
         config_unchanged(e, sa, old);
}

static bool has_property_notify(const struct ike_chain *in) {
  for (size_t i = 0; i < sizeof property_notifies / sizeof property_notifies[0]; i++)
    if (ike_chain_find_notify(in, property_notifies[i]) >= 0)
      return true;
  return false;
}

static uint32_t get_be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The properties a Child SA rekey keeps: everything but SPIs and keys. */
static void inherit_child(const struct nd_child_sa *old, uint32_t peer_spi,
                          struct nd_child_sa *out) {
  out->cfg = old->cfg;
  out->sel = old->sel;
  out->sel.peer_spi = peer_spi;
  out->transport = old->transport;
  out->encap = old->encap;
  out->local_ts = old->local_ts;
  out->remote_ts = old->remote_ts;
  out->spi_out = peer_spi;
}

uint16_t nd_opt_child_inherit(const struct nd_engine *e, const struct nd_ike_sa *sa,
                              const struct ike_chain *in, const struct nd_child_sa *old,
                              struct wire_view peer_spi, struct nd_child_sa *out) {
  if (peer_spi.len != 4 || ike_chain_find(in, IKE_PT_SA, 0) >= 0 ||
      ike_chain_find(in, IKE_PT_TSI, 0) >= 0)
    return IKE_N_INVALID_SYNTAX; /* the notify replaces SA and TS; a 4-octet ESP SPI */
  if (!sa->opt_rekey || !old->ke_known || has_property_notify(in) ||
      !config_unchanged(e, sa, old))
    return IKE_N_NO_PROPOSAL_CHOSEN; /* the draft's "cannot do it optimized": retry regular */
  /* KE iff the old SA had PFS, with its method (a KE for a no-PFS SA would add PFS: a change). */
  bool has_ke = ike_chain_find(in, IKE_PT_KE, 0) >= 0;
  if (has_ke != old->sel.has_ke)
    return IKE_N_NO_PROPOSAL_CHOSEN;
  uint32_t spi = get_be32(peer_spi.ptr);
  if (spi < 256)
    return IKE_N_INVALID_SYNTAX; /* RFC 4303 2.1: 1..255 reserved, 0 never on the wire */
  inherit_child(old, spi, out);
  return 0;
}

const char *nd_opt_child_answer(const struct nd_ike_sa *sa, const struct ike_chain *in,
                                const struct nd_child_sa *old, struct nd_child_sa *child) {
  struct wire_view spi;
  if (!old)
    return "the Child SA being rekeyed is gone";
  if (!nd_opt_find(sa, in, &spi) || spi.len != 4)
    return "no OPTIMIZED_REKEY with a 4-octet SPI in the answer";
  if (ike_chain_find(in, IKE_PT_SA, 0) >= 0 || ike_chain_find(in, IKE_PT_TSI, 0) >= 0 ||
      has_property_notify(in))
    return "the optimized answer changes properties";
  if ((ike_chain_find(in, IKE_PT_KE, 0) >= 0) != old->sel.has_ke)
    return "KE payload does not match the rekeyed SA's PFS";
  uint32_t peer_spi = get_be32(spi.ptr);
  if (peer_spi < 256)
    return "reserved SPI";
  inherit_child(old, peer_spi, child);
  return NULL;
}

bool nd_opt_refusal_retries_regular(uint16_t error) {
  /* NO_PROPOSAL_CHOSEN is the draft's refusal; INVALID_KE_PAYLOAD asks for another KE method
   * than the one in effect, which only a regular rekey can negotiate. */
  return error == IKE_N_NO_PROPOSAL_CHOSEN || error == IKE_N_INVALID_KE_PAYLOAD;
}

/* ---- IKE SA ---------------------------------------------------------------------------------- */

bool nd_opt_ike_eligible(const struct nd_ike_sa *sa) {
  /* The IKE SA's connection is the one it was created with: reloads leave it alone, so the
   * selection check only guards against a connection that never offered the selection. */
  return sa->opt_rekey && sa->ike_sel.has_ke &&
         nd_opt_selection_allowed(sa->conn->ike, sa->conn->n_ike, &sa->ike_sel);
}

/* ---- operator and listings ------------------------------------------------------------------- */

int nd_engine_rekey_child_regular(struct nd_engine *e, uint64_t now_ms, const char *conn,
                                  const char *child, char *err, size_t err_len) {
  for (struct nd_ike_sa *sa = e->all; sa; sa = sa->next_all) {
    if (!sa->conn || strcmp(sa->conn->name, conn) != 0)
      continue;
    for (size_t i = 0; i < sa->n_children; i++)
      if (!child || strcmp(sa->children[i].cfg->name, child) == 0)
        sa->children[i].force_regular = sa->children[i].state == ND_CHILD_LIVE;
  }
  return nd_engine_rekey_child(e, now_ms, conn, child, err, err_len);
}

const char *nd_child_origin_name(enum nd_child_origin origin) {
  switch (origin) {
  case ND_ORIGIN_REGULAR:
    return "regular";
  case ND_ORIGIN_OPTIMIZED:
    return "optimized";
  case ND_ORIGIN_INITIAL:
  default:
    return "initial";
  }
}
