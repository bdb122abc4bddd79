/* IKE_AUTH (RFC 7296 1.2): identities, authentication (auth.c) and the first Child SA. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "engine_internal.h"
#include "reauth.h"
#include "rekey_opt.h"

static void id_body(const struct nd_identity *id, union ike_payload_body *body) {
  body->id.id_type = id->type;
  body->id.data = (struct wire_view){id->data, id->len};
}

/* ---- initiator ------------------------------------------------------------------------------ */

int nd_auth_start(struct nd_engine *e, struct nd_ike_sa *sa) {
  const struct nd_conn_cfg *conn = sa->conn;
  union ike_payload_body idi, idr, contact, certreq, child[4], opt_supported;
  struct nd_auth_out auth;
  uint8_t spi_bytes[4];
  size_t n = 0;
  struct ike_payload_out out[10 + ND_MAX_CERTS];
  id_body(&conn->local_id, &idi);
  out[n++] = nd_out(IKE_PT_IDI, &idi);
  if (!sa->reauth_of) { /* a reauthentication keeps the old IKE SA valid until it is deleted */
    nd_notify_body(&contact, IKE_PROTO_NONE, IKE_N_INITIAL_CONTACT, NULL, 0);
    out[n++] = nd_out(IKE_PT_NOTIFY, &contact);
  }
  nd_opt_auth_add(sa, false, &opt_supported, out, &n);
  if (nd_auth_certreq(sa, &certreq))
    out[n++] = nd_out(IKE_PT_CERTREQ, &certreq);
  if (conn->remote_id.type != ND_ID_ANY) {
    id_body(&conn->remote_id, &idr);
    out[n++] = nd_out(IKE_PT_IDR, &idr);
  }
  int added = nd_auth_ours(sa, &idi, &auth, out + n);
  if (added < 0) {
    nd_auth_out_free(&auth);
    return -1;
  }
  n += (size_t)added;
  sa->child_spi = nd_child_alloc_spi(e);
  n += nd_child_request_payloads(sa, sa->child_to_create, sa->child_spi, spi_bytes, child,
                                 out + n);
  int rc = nd_send_request(e, sa, IKE_EXCH_IKE_AUTH, ND_REQ_IKE_AUTH, out, n);
  nd_auth_out_free(&auth);
  return rc;
}

static void mark_established(struct nd_engine *e, struct nd_ike_sa *sa) {
  char local[64], remote[64], peer[128];
  nd_addr_format(&sa->local, local, sizeof local);
  nd_addr_format(&sa->remote, remote, sizeof remote);
  nd_identity_format(sa->peer_id, peer, sizeof peer);
  sa->established_ms = e->now_ms;
  nd_keys_drop_handshake(sa);
  e->stats.ike_established++;
  e->stats.handshakes_ok++;
  nd_life_ike_start(e, sa);
  ND_INFO("ike#%llu (%s) ESTABLISHED %s <-> %s '%s', SPIs %016llx_i %016llx_r%s",
          (unsigned long long)sa->id, sa->conn->name, local, remote, peer,
          (unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r,
          sa->natt ? ", NAT-T" : "");
}

/* The response's Child part: SAr2/TSi/TSr, or the notify saying why there is none. */
static void initiator_child(struct nd_engine *e, struct nd_ike_sa *sa, const struct ike_chain *in) {
  if (ike_chain_find(in, IKE_PT_SA, 0) < 0) {
    uint16_t error = nd_first_error_notify(in);
    ND_WARN("ike#%llu: no Child SA: the responder answered %s", (unsigned long long)sa->id,
            error ? ike_notify_name(error) : "without one");
    return;
  }
  struct nd_child_sa *child = nd_child_add(e, sa, sa->child_to_create);
  if (!child)
    return;
  child->spi_in = sa->child_spi;
  uint16_t problem = nd_child_check_response(sa, in, child);
  if (problem) {
    ND_WARN("ike#%llu: Child SA answer not acceptable (%s)", (unsigned long long)sa->id,
            ike_notify_name(problem));
    nd_child_remove(sa, child);
    return;
  }
  child->ke_known = sa->pfs_info; /* child-pfs-info: its KE method was negotiated */
  if (!nd_child_install(e, sa, child, true))
    nd_child_remove(sa, child);
  else
    nd_life_child_start(e, child);
}

enum nd_hres nd_auth_response(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_rx *rx) {
  const struct ike_chain *in = &rx->inner;
  union ike_payload_body idr;
  nd_request_done(sa);
  if (!nd_decode_first(in, IKE_PT_IDR, &idr) || ike_chain_find(in, IKE_PT_AUTH, 0) < 0) {
    char why[96];
    snprintf(why, sizeof why, "IKE_AUTH failed: peer answered %s",
             ike_notify_name(nd_first_error_notify(in)));
    nd_sa_destroy(e, sa, why);
    return ND_HR_DESTROY;
  }
  struct nd_identity peer;
  const char *why = "unexpected responder identity";
  if (nd_identity_from_wire(idr.id.id_type, idr.id.data.ptr, idr.id.data.len, &peer) &&
      nd_identity_matches(&sa->conn->remote_id, &peer))
    why = nd_auth_check_peer(sa, in, &idr, &peer);
  if (why) {
    char text[200];
    snprintf(text, sizeof text, "responder authentication failed: %s", why);
    e->stats.auth_failures++;
    nd_sa_destroy(e, sa, text);
    return ND_HR_DESTROY;
  }
  if (!nd_sa_set_peer_id(e, sa, &peer)) {
    nd_sa_destroy(e, sa, "out of memory");
    return ND_HR_DESTROY;
  }
  nd_opt_auth_note(sa, in);
  mark_established(e, sa);
  initiator_child(e, sa, in);
  return ND_HR_NEXT;
}

/* ---- responder ------------------------------------------------------------------------------ */

/* The connection for this peer identity among those matching the SA's addresses (RFC 7296
 * lets the identity pick the policy only now, after IKE_SA_INIT). */
static const struct nd_conn_cfg *conn_for_identity(const struct nd_ike_sa *sa,
                                                   const struct nd_identity *peer) {
  if (nd_identity_matches(&sa->conn->remote_id, peer))
    return sa->conn;
  const struct nd_config *cfg = &sa->cfg_ref->cfg;
  for (size_t i = 0; i < cfg->n_conns; i++) {
    const struct nd_conn_cfg *c = &cfg->conns[i];
    bool same_local = c->local_addr.family == sa->local.family &&
                      memcmp(c->local_addr.bytes, sa->local.ip, 16) == 0;
    bool remote_ok = c->remote_addr.family == 0 ||
                     (c->remote_addr.family == sa->remote.family &&
                      memcmp(c->remote_addr.bytes, sa->remote.ip, 16) == 0);
    /* Switching is only safe if this connection would have chosen the same IKE proposal. */
    if (same_local && remote_ok && nd_identity_matches(&c->remote_id, peer) &&
        c->n_ike == sa->conn->n_ike && memcmp(c->ike, sa->conn->ike, sizeof c->ike) == 0)
      return c;
  }
  return NULL;
}

static enum nd_hres auth_failed(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_rx *rx,
                                const char *why) {
  union ike_payload_body n;
  nd_notify_body(&n, IKE_PROTO_NONE, IKE_N_AUTHENTICATION_FAILED, NULL, 0);
  struct ike_payload_out out = nd_out(IKE_PT_NOTIFY, &n);
  e->stats.auth_failures++;
  nd_send_response(e, sa, rx, &out, 1);
  nd_sa_destroy(e, sa, why);
  return ND_HR_DESTROY;
}

/* Authenticates the initiator; NULL on success, else why not (answered AUTHENTICATION_FAILED
 * by the caller). */
static const char *authenticate_initiator(struct nd_engine *e, struct nd_ike_sa *sa,
                                          struct nd_rx *rx) {
  const struct ike_chain *in = &rx->inner;
  union ike_payload_body idi, idr;
  struct nd_identity peer, wanted;
  nd_decode_first(in, IKE_PT_IDI, &idi);
  if (!nd_identity_from_wire(idi.id.id_type, idi.id.data.ptr, idi.id.data.len, &peer))
    return "initiator identity not acceptable";
  const struct nd_conn_cfg *conn = conn_for_identity(sa, &peer);
  if (!conn)
    return "no connection for the initiator's identity";
  sa->conn = conn;
  if (nd_decode_first(in, IKE_PT_IDR, &idr) &&
      (!nd_identity_from_wire(idr.id.id_type, idr.id.data.ptr, idr.id.data.len, &wanted) ||
       !nd_identity_equal(&wanted, &conn->local_id)))
    return "initiator asked for an identity (IDr) that is not ours";
  const char *why = nd_auth_check_peer(sa, in, &idi, &peer);
  if (!why && !nd_sa_set_peer_id(e, sa, &peer))
    why = "out of memory";
  return why;
}

/* INITIAL_CONTACT: the peer has no other IKE SA with us, so older ones are stale. */
static void initial_contact(struct nd_engine *e, struct nd_ike_sa *sa) {
  for (struct nd_ike_sa *other = nd_sa_peer_first(e, sa); other;
       other = nd_sa_peer_next(sa, other))
    if (other->conn == sa->conn && other->state == ND_IKE_ESTABLISHED)
      nd_sa_destroy(e, other, "replaced (peer sent INITIAL_CONTACT)");
}

/* Negotiates and installs the Child SA of the request; 0 or the error notify to send. */
static uint16_t responder_child(struct nd_engine *e, struct nd_ike_sa *sa, const struct ike_chain *in,
                                struct nd_child_sa **out) {
  *out = NULL;
  if (ike_chain_find(in, IKE_PT_SA, 0) < 0)
    return 0;
  struct nd_child_sa *child = nd_child_add(e, sa, NULL);
  if (!child)
    return IKE_N_NO_ADDITIONAL_SAS;
  uint16_t error = nd_child_negotiate(e, sa, in, child);
  if (!error) {
    child->spi_in = nd_child_alloc_spi(e);
    child->ke_known = sa->pfs_info;
    if (!nd_reauth_install_responder(e, sa, child))
      error = IKE_N_NO_PROPOSAL_CHOSEN; /* the HAL refused it; the log says why */
    else
      nd_life_child_start(e, child);
  }
  if (error) {
    nd_child_remove(sa, child);
    return error;
  }
  *out = child;
  return 0;
}

enum nd_hres nd_auth_request(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_rx *rx) {
  const char *why = authenticate_initiator(e, sa, rx);
  if (why)
    return auth_failed(e, sa, rx, why);
  union ike_payload_body idr, error_notify, child_bodies[4], opt_supported;
  struct nd_auth_out auth;
  uint8_t spi_bytes[4];
  size_t n = 0;
  struct ike_payload_out out[10 + ND_MAX_CERTS];
  id_body(&sa->conn->local_id, &idr);
  out[n++] = nd_out(IKE_PT_IDR, &idr);
  nd_opt_auth_note(sa, &rx->inner); /* with the connection the identity chose */
  nd_opt_auth_add(sa, true, &opt_supported, out, &n);
  int added = nd_auth_ours(sa, &idr, &auth, out + n);
  if (added < 0) {
    nd_auth_out_free(&auth);
    return auth_failed(e, sa, rx, "cannot compute our AUTH");
  }
  n += (size_t)added;
  if (rx->local.port == nd_engine_config(e)->daemon.natt_port) {
    sa->local = rx->local; /* the initiator moved to NAT-T: answer (and send) from there */
    sa->remote = rx->remote;
  }
  struct nd_child_sa *child;
  uint16_t error = responder_child(e, sa, &rx->inner, &child);
  if (child) {
    n += nd_child_response_payloads(child, spi_bytes, child_bodies, out + n);
  } else if (error) {
    ND_WARN("ike#%llu: Child SA refused: %s", (unsigned long long)sa->id, ike_notify_name(error));
    nd_notify_body(&error_notify, IKE_PROTO_NONE, error, NULL, 0);
    out[n++] = nd_out(IKE_PT_NOTIFY, &error_notify);
  }
  int rc = nd_send_response(e, sa, rx, out, n);
  nd_auth_out_free(&auth);
  if (rc != 0) {
    nd_sa_destroy(e, sa, "cannot send the IKE_AUTH response");
    return ND_HR_DESTROY;
  }
  mark_established(e, sa);
  if (ike_chain_find_notify(&rx->inner, IKE_N_INITIAL_CONTACT) >= 0)
    initial_contact(e, sa);
  return ND_HR_NEXT;
}
