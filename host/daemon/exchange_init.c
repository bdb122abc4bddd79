/* IKE_SA_INIT (RFC 7296 1.2) for both roles, with cookies (2.6) and INVALID_KE_PAYLOAD (1.3). */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"
#include "rekey_opt.h"

enum { COOKIE_VERSION = 1, COOKIE_LEN = 1 + 32 };

static uint8_t *dup_bytes(const uint8_t *p, size_t len) {
  uint8_t *copy = malloc(len ? len : 1);
  if (copy && len)
    memcpy(copy, p, len);
  return copy;
}

/* A fresh nonce into *out (heap, exactly ND_NONCE_LEN octets). */
static bool random_nonce(uint8_t **out, size_t *len) {
  uint8_t nonce[ND_NONCE_LEN];
  return RAND_bytes(nonce, sizeof nonce) == 1 && nd_bytes_set(out, len, nonce, sizeof nonce);
}

static bool conn_matches(const struct nd_conn_cfg *c, const struct nd_addr *local,
                         const struct nd_addr *remote) {
  size_t n = local->family == AF_INET ? 4 : 16;
  if (c->local_addr.family != local->family || memcmp(c->local_addr.bytes, local->ip, n) != 0)
    return false;
  return c->remote_addr.family == 0 ||
         (c->remote_addr.family == remote->family && memcmp(c->remote_addr.bytes, remote->ip, n) == 0);
}

/* The first connection for these addresses; one with the exact remote address beats %any. */
static const struct nd_conn_cfg *conn_for(const struct nd_engine *e, const struct nd_addr *local,
                                          const struct nd_addr *remote) {
  const struct nd_config *cfg = nd_engine_config(e);
  const struct nd_conn_cfg *any = NULL;
  for (size_t i = 0; i < cfg->n_conns; i++) {
    const struct nd_conn_cfg *c = &cfg->conns[i];
    if (!conn_matches(c, local, remote))
      continue;
    if (c->remote_addr.family)
      return c;
    if (!any)
      any = c;
  }
  return any;
}

/* Cookie = version | SHA-256(secret | Ni | IPi | SPIi): stateless, tied to the initiator's
 * nonce, address and SPI (the construction RFC 7296 2.6 suggests). */
static void make_cookie(const struct nd_engine *e, const struct nd_rx *rx,
                        struct wire_view nonce, uint8_t out[COOKIE_LEN]) {
  uint8_t spi[8];
  for (int i = 0; i < 8; i++)
    spi[i] = (uint8_t)(rx->msg.hdr.spi_i >> (56 - 8 * i));
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  unsigned int n = 0;
  out[0] = COOKIE_VERSION;
  bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
            EVP_DigestUpdate(ctx, e->cookie_secret, sizeof e->cookie_secret) == 1 &&
            EVP_DigestUpdate(ctx, nonce.ptr, nonce.len) == 1 &&
            EVP_DigestUpdate(ctx, rx->remote.ip, rx->remote.family == AF_INET ? 4 : 16) == 1 &&
            EVP_DigestUpdate(ctx, spi, sizeof spi) == 1 &&
            EVP_DigestFinal_ex(ctx, out + 1, &n) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok)
    memset(out + 1, 0, COOKIE_LEN - 1);
}

/* Under load (half-open SAs at the threshold) only requests returning our cookie get state. */
static bool cookie_ok(struct nd_engine *e, const struct nd_rx *rx) {
  const struct nd_config *cfg = nd_engine_config(e);
  if (nd_count_half_open(e) < cfg->daemon.half_open_threshold)
    return true;
  union ike_payload_body nonce;
  if (!nd_decode_first(&rx->msg.clear, IKE_PT_NONCE, &nonce))
    return false;
  uint8_t expected[COOKIE_LEN];
  make_cookie(e, rx, nonce.nonce.data, expected);
  struct wire_view got;
  if (nd_notify_data(&rx->msg.clear, IKE_N_COOKIE, &got) && got.len == COOKIE_LEN &&
      CRYPTO_memcmp(got.ptr, expected, COOKIE_LEN) == 0)
    return true;
  e->stats.cookies_sent++;
  nd_send_init_notify(e, rx, IKE_N_COOKIE, expected, COOKIE_LEN);
  return false;
}

void nd_init_new_request(struct nd_engine *e, struct nd_rx *rx) {
  const struct nd_conn_cfg *conn = conn_for(e, &rx->local, &rx->remote);
  if (!conn) {
    char from[64];
    nd_addr_format(&rx->remote, from, sizeof from);
    ND_INFO("IKE_SA_INIT from %s matches no connection", from);
    e->stats.dropped++;
    return;
  }
  if (!cookie_ok(e, rx))
    return;
  struct nd_ike_sa *sa = nd_sa_new(e, conn, false);
  if (!sa)
    return;
  sa->spi_i = rx->msg.hdr.spi_i;
  nd_sa_index_peer(e, sa);
  sa->local = rx->local;
  sa->remote = rx->remote;
  nd_dispatch_new(e, sa, rx);
}

/* The hash algorithms the peer accepts in RFC 7427 signatures (SIGNATURE_HASH_ALGORITHMS). */
static void read_peer_hashes(struct nd_ike_sa *sa, const struct ike_chain *chain) {
  struct wire_view data;
  if (nd_notify_data(chain, IKE_N_SIGNATURE_HASH_ALGORITHMS, &data))
    sa->peer_hashes = nd_sig_parse_hashes(data.ptr, data.len);
}

/* ---- responder ------------------------------------------------------------------------------ */

static void put_be16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

/* Checks the request's SA and KE; on a mismatch answers statelessly and returns false. */
static bool responder_select(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_rx *rx,
                             const union ike_payload_body *sa_in, const union ike_payload_body *ke) {
  if (!nd_proposal_select(sa->conn->ike, sa->conn->n_ike, &sa_in->sa, false, &sa->ike_sel)) {
    ND_INFO("ike#%llu (%s): no acceptable IKE proposal", (unsigned long long)sa->id,
            sa->conn->name);
    nd_send_init_notify(e, rx, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
    return false;
  }
  if (ke->ke.ke_method != sa->ike_sel.ke) {
    uint8_t group[2];
    put_be16(group, sa->ike_sel.ke);
    ND_INFO("ike#%llu: KE method %u, we want %u: INVALID_KE_PAYLOAD", (unsigned long long)sa->id,
            ke->ke.ke_method, sa->ike_sel.ke);
    nd_send_init_notify(e, rx, IKE_N_INVALID_KE_PAYLOAD, group, 2);
    return false;
  }
  return true;
}

static int send_init_response(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_rx *rx,
                              bool peer_natd) {
  union ike_payload_body body_sa, body_ke, body_nonce, natd[2], frag, sig_hashes, certreq;
  union ike_payload_body pfs_info;
  uint8_t pub[IKE_KE_MAX_PUBLIC], hashes[2][20], hash_list[16];
  size_t pub_len = 0, n = 0;
  struct ike_payload_out out[10];
  memset(&body_sa, 0, sizeof body_sa);
  if (!nd_selected_to_sa(&sa->ike_sel, NULL, 0, &body_sa.sa) ||
      ike_ke_public_value(sa->ke, pub, sizeof pub, &pub_len) != IKE_CRYPTO_OK)
    return -1;
  body_ke.ke = (struct ike_ke_payload){sa->ke_method, {pub, pub_len}};
  body_nonce.nonce.data = (struct wire_view){sa->nr, sa->nr_len};
  out[n++] = nd_out(IKE_PT_SA, &body_sa);
  out[n++] = nd_out(IKE_PT_KE, &body_ke);
  out[n++] = nd_out(IKE_PT_NONCE, &body_nonce);
  if (peer_natd)
    nd_natd_add(sa, sa->conn->encap, natd, hashes, out, &n);
  if (sa->frag_ok) {
    nd_notify_body(&frag, IKE_PROTO_NONE, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
    out[n++] = nd_out(IKE_PT_NOTIFY, &frag);
  }
  /* RFC 7427 4: answer the peer's hash list with ours when certificates are in play. */
  if (sa->peer_hashes && nd_auth_hash_notify(sa->conn, &sig_hashes, hash_list, sizeof hash_list))
    out[n++] = nd_out(IKE_PT_NOTIFY, &sig_hashes);
  nd_opt_pfs_info_add(sa, true, &pfs_info, out, &n);
  if (nd_auth_certreq(sa, &certreq))
    out[n++] = nd_out(IKE_PT_CERTREQ, &certreq);
  return nd_send_response(e, sa, rx, out, n);
}

enum nd_hres nd_init_request(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_rx *rx) {
  const struct ike_chain *chain = &rx->msg.clear;
  union ike_payload_body sa_in, ke, nonce;
  if (!nd_decode_first(chain, IKE_PT_SA, &sa_in) || !nd_decode_first(chain, IKE_PT_KE, &ke) ||
      !nd_decode_first(chain, IKE_PT_NONCE, &nonce))
    return ND_HR_DROP;
  if (!responder_select(e, sa, rx, &sa_in, &ke))
    return ND_HR_DESTROY;
  struct ike_secret shared = {0};
  enum ike_crypto_status st = ike_ke_respond(sa->ike_sel.ke, ike_bytes_of(ke.ke.data.ptr,
                                             ke.ke.data.len), &sa->ke, &shared);
  if (st != IKE_CRYPTO_OK) {
    /* Wrong length, a point off the curve (RFC 6989) or an all-zero X25519/X448 result
     * (RFC 8031 2): the exchange ends here, silently. INVALID_SYNTAX may only travel protected
     * (RFC 7296 3.10.1) and INVALID_KE_PAYLOAD asks for another group, not the one sent. */
    ND_INFO("ike#%llu: peer's KE data rejected, IKE_SA_INIT dropped: %s",
            (unsigned long long)sa->id, ike_crypto_strerror(st));
    e->stats.dropped++;
    return ND_HR_DESTROY;
  }
  sa->ke_method = sa->ike_sel.ke;
  bool ok = nd_bytes_set(&sa->ni, &sa->ni_len, nonce.nonce.data.ptr, nonce.nonce.data.len) &&
            random_nonce(&sa->nr, &sa->nr_len) && nd_keys_derive(sa, &shared);
  ike_secret_free(&shared);
  bool peer_natd = nd_natd_present(chain);
  nd_natd_check(sa, chain);
  sa->frag_ok = sa->conn->fragmentation &&
                ike_chain_find_notify(chain, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED) >= 0;
  read_peer_hashes(sa, chain);
  nd_opt_pfs_info_note(sa, chain);
  if (!ok || send_init_response(e, sa, rx, peer_natd) != 0)
    return ND_HR_DESTROY;
  sa->init_req = dup_bytes(rx->data, rx->len);
  sa->init_req_len = rx->len;
  sa->init_resp = dup_bytes(sa->resp.dg.buf, sa->resp.dg.len);
  sa->init_resp_len = sa->resp.dg.len;
  ike_ke_free(sa->ke); /* the private value is no longer needed */
  sa->ke = NULL;
  if (!sa->init_req || !sa->init_resp)
    return ND_HR_DESTROY;
  ND_DEBUG("ike#%llu: IKE_SA_INIT answered (%s)", (unsigned long long)sa->id,
           sa->natt ? "NAT detected" : "no NAT");
  return ND_HR_NEXT;
}

/* ---- initiator ------------------------------------------------------------------------------ */

int nd_init_start(struct nd_engine *e, struct nd_ike_sa *sa) {
  const struct nd_conn_cfg *conn = sa->conn;
  const struct nd_config *cfg = nd_engine_config(e);
  sa->local = (struct nd_addr){.family = conn->local_addr.family, .port = cfg->daemon.ike_port};
  memcpy(sa->local.ip, conn->local_addr.bytes, 16);
  sa->remote = (struct nd_addr){.family = conn->remote_addr.family, .port = conn->remote_port};
  memcpy(sa->remote.ip, conn->remote_addr.bytes, 16);
  if (!sa->ke) {
    sa->ke_method = sa->ke_method ? sa->ke_method : nd_proposals_first_ke(conn->ike, conn->n_ike);
    if (ike_ke_initiate(sa->ke_method, &sa->ke) != IKE_CRYPTO_OK)
      return -1;
  }
  if (!sa->ni_len && !random_nonce(&sa->ni, &sa->ni_len))
    return -1;
  union ike_payload_body cookie, body_sa, body_ke, body_nonce, natd[2], frag, sig_hashes, pfs_info;
  uint8_t pub[IKE_KE_MAX_PUBLIC], hashes[2][20], hash_list[16];
  size_t pub_len = 0, n = 0;
  struct ike_payload_out out[9];
  if (sa->cookie_len) { /* RFC 7296 2.6: the cookie goes first */
    nd_notify_body(&cookie, IKE_PROTO_NONE, IKE_N_COOKIE, sa->cookie, sa->cookie_len);
    out[n++] = nd_out(IKE_PT_NOTIFY, &cookie);
  }
  memset(&body_sa, 0, sizeof body_sa);
  if (!nd_proposals_to_sa(conn->ike, conn->n_ike, NULL, 0, &body_sa.sa) ||
      ike_ke_public_value(sa->ke, pub, sizeof pub, &pub_len) != IKE_CRYPTO_OK)
    return -1;
  body_ke.ke = (struct ike_ke_payload){sa->ke_method, {pub, pub_len}};
  body_nonce.nonce.data = (struct wire_view){sa->ni, sa->ni_len};
  out[n++] = nd_out(IKE_PT_SA, &body_sa);
  out[n++] = nd_out(IKE_PT_KE, &body_ke);
  out[n++] = nd_out(IKE_PT_NONCE, &body_nonce);
  nd_natd_add(sa, conn->encap, natd, hashes, out, &n);
  if (conn->fragmentation) {
    nd_notify_body(&frag, IKE_PROTO_NONE, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
    out[n++] = nd_out(IKE_PT_NOTIFY, &frag);
  }
  if (nd_auth_hash_notify(conn, &sig_hashes, hash_list, sizeof hash_list))
    out[n++] = nd_out(IKE_PT_NOTIFY, &sig_hashes);
  nd_opt_pfs_info_add(sa, false, &pfs_info, out, &n);
  sa->next_mid = 0; /* a restarted IKE_SA_INIT keeps Message ID 0 */
  if (nd_send_request(e, sa, IKE_EXCH_IKE_SA_INIT, ND_REQ_IKE_SA_INIT, out, n) != 0)
    return -1;
  free(sa->init_req);
  sa->init_req = dup_bytes(sa->req.dg.buf, sa->req.dg.len);
  sa->init_req_len = sa->req.dg.len;
  nd_set_state(sa, ND_IKE_INIT_SENT);
  ND_INFO("ike#%llu (%s): initiating, KE method %u", (unsigned long long)sa->id, conn->name,
          sa->ke_method);
  return sa->init_req ? 0 : -1;
}

/* COOKIE or INVALID_KE_PAYLOAD: start IKE_SA_INIT again (same SPIi, Message ID 0). */
static enum nd_hres restart_init(struct nd_engine *e, struct nd_ike_sa *sa, const char *why) {
  if (++sa->init_retries > ND_MAX_INIT_RETRIES) {
    nd_sa_destroy(e, sa, "too many IKE_SA_INIT restarts");
    return ND_HR_DESTROY;
  }
  ND_INFO("ike#%llu: IKE_SA_INIT again: %s", (unsigned long long)sa->id, why);
  nd_request_done(sa);
  if (nd_init_start(e, sa) != 0) {
    nd_sa_destroy(e, sa, "cannot restart IKE_SA_INIT");
    return ND_HR_DESTROY;
  }
  return ND_HR_STAY;
}

static enum nd_hres handle_retry_notifies(struct nd_engine *e, struct nd_ike_sa *sa,
                                          const struct ike_chain *chain, bool *handled) {
  struct wire_view data;
  *handled = true;
  if (nd_notify_data(chain, IKE_N_COOKIE, &data)) {
    if (data.len < 1 || data.len > ND_COOKIE_MAX)
      return ND_HR_DROP;
    if (!nd_bytes_set(&sa->cookie, &sa->cookie_len, data.ptr, data.len))
      return ND_HR_DROP;
    return restart_init(e, sa, "the responder asks for a cookie");
  }
  if (nd_notify_data(chain, IKE_N_INVALID_KE_PAYLOAD, &data)) {
    uint16_t wanted = data.len == 2 ? (uint16_t)(data.ptr[0] << 8 | data.ptr[1]) : 0;
    if (!nd_proposals_offer_ke(sa->conn->ike, sa->conn->n_ike, wanted) ||
        wanted == sa->ke_method) {
      nd_sa_destroy(e, sa, "INVALID_KE_PAYLOAD for a method we did not offer");
      return ND_HR_DESTROY;
    }
    ike_ke_free(sa->ke);
    sa->ke = NULL;
    sa->ke_method = wanted;
    return restart_init(e, sa, "the responder wants another KE method");
  }
  *handled = false;
  return ND_HR_STAY;
}

/* Reads SAr1, KEr and Nr; derives the keys. */
static bool initiator_accept(struct nd_ike_sa *sa, const struct ike_chain *chain) {
  union ike_payload_body sa_in, ke, nonce;
  if (!nd_decode_first(chain, IKE_PT_SA, &sa_in) || !nd_decode_first(chain, IKE_PT_KE, &ke) ||
      !nd_decode_first(chain, IKE_PT_NONCE, &nonce))
    return false;
  if (!nd_proposal_check_answer(sa->conn->ike, sa->conn->n_ike, &sa_in.sa, false, &sa->ike_sel) ||
      sa->ike_sel.ke != sa->ke_method || ke.ke.ke_method != sa->ke_method) {
    ND_WARN("ike#%llu: the responder chose something we did not propose",
            (unsigned long long)sa->id);
    return false;
  }
  if (!nd_bytes_set(&sa->nr, &sa->nr_len, nonce.nonce.data.ptr, nonce.nonce.data.len))
    return false;
  struct ike_secret shared = {0};
  enum ike_crypto_status st =
      ike_ke_finish(sa->ke, ike_bytes_of(ke.ke.data.ptr, ke.ke.data.len), &shared);
  if (st != IKE_CRYPTO_OK) {
    ND_WARN("ike#%llu: responder's KE data rejected: %s", (unsigned long long)sa->id,
            ike_crypto_strerror(st));
    return false;
  }
  bool ok = nd_keys_derive(sa, &shared);
  ike_secret_free(&shared);
  return ok;
}

enum nd_hres nd_init_response(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_rx *rx) {
  const struct ike_chain *chain = &rx->msg.clear;
  bool handled;
  enum nd_hres r = handle_retry_notifies(e, sa, chain, &handled);
  if (handled)
    return r;
  uint16_t error = nd_first_error_notify(chain);
  if (error || rx->msg.hdr.spi_r == 0) {
    char why[96];
    snprintf(why, sizeof why, "IKE_SA_INIT answered with %s", ike_notify_name(error));
    nd_sa_destroy(e, sa, why);
    return ND_HR_DESTROY;
  }
  sa->spi_r = rx->msg.hdr.spi_r;
  if (!initiator_accept(sa, chain)) {
    nd_sa_destroy(e, sa, "IKE_SA_INIT response not acceptable");
    return ND_HR_DESTROY;
  }
  ike_ke_free(sa->ke);
  sa->ke = NULL;
  nd_natd_check(sa, chain);
  sa->frag_ok = sa->conn->fragmentation &&
                ike_chain_find_notify(chain, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED) >= 0;
  read_peer_hashes(sa, chain);
  nd_opt_pfs_info_note(sa, chain);
  free(sa->init_resp);
  sa->init_resp = dup_bytes(rx->data, rx->len);
  sa->init_resp_len = rx->len;
  nd_request_done(sa);
  if (sa->natt) { /* RFC 7296 2.23: continue on port 4500 from IKE_AUTH on */
    sa->local.port = nd_engine_config(e)->daemon.natt_port;
    if (sa->remote.port == 500)
      sa->remote.port = 4500;
  }
  if (!sa->init_resp || nd_auth_start(e, sa) != 0) {
    nd_sa_destroy(e, sa, "cannot send IKE_AUTH");
    return ND_HR_DESTROY;
  }
  return ND_HR_NEXT;
}
