/* The AUTH payload both ways: pre-shared keys (RFC 7296 2.15, method 2) and certificates with
 * RFC 7427 digital signatures (method 14), including CERT and CERTREQ payloads. */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"

static const struct nd_secret *psk_for(const struct nd_ike_sa *sa,
                                       const struct nd_identity *peer) {
  return nd_config_find_psk(&sa->cfg_ref->cfg, &sa->conn->local_id, peer);
}

bool nd_auth_hash_notify(const struct nd_conn_cfg *conn, union ike_payload_body *body,
                         uint8_t *buf, size_t cap) {
  if (conn->local_auth != ND_AUTH_PUBKEY && conn->remote_auth != ND_AUTH_PUBKEY)
    return false;
  size_t len = nd_sig_hash_list(buf, cap);
  nd_notify_body(body, IKE_PROTO_NONE, IKE_N_SIGNATURE_HASH_ALGORITHMS, buf, len);
  return len > 0;
}

bool nd_auth_certreq(const struct nd_ike_sa *sa, union ike_payload_body *body) {
  const uint8_t *data;
  size_t len;
  if (sa->conn->remote_auth != ND_AUTH_PUBKEY || !sa->conn->remote_pki ||
      !nd_pki_certreq(sa->conn->remote_pki, &data, &len))
    return false;
  body->cert = (struct ike_cert_payload){IKE_CERT_X509_SIGNATURE, {data, len}};
  return true;
}

static int psk_auth(struct nd_ike_sa *sa, const union ike_payload_body *our_id,
                    struct nd_auth_out *st) {
  /* The initiator does not know the peer's identity yet: the configured one stands in. */
  const struct nd_identity *peer = sa->peer_id ? sa->peer_id : &sa->conn->remote_id;
  const struct nd_secret *psk = psk_for(sa, peer);
  size_t len = 0;
  if (!psk) {
    ND_ERROR("ike#%llu (%s): no pre-shared key for this pair of identities",
             (unsigned long long)sa->id, sa->conn->name);
    return -1;
  }
  if (!nd_keys_psk_auth(sa, sa->initiator, psk->key, psk->key_len, &our_id->id, st->mac, &len))
    return -1;
  st->auth.auth = (struct ike_auth_payload){ND_AUTH_METHOD_PSK, {st->mac, len}};
  return 0;
}

static int signature_auth(struct nd_ike_sa *sa, const union ike_payload_body *our_id,
                          struct nd_auth_out *st) {
  size_t octets_len = 0, sig_len = 0;
  uint8_t *octets = nd_keys_signed_octets(sa, sa->initiator, &our_id->id, &octets_len);
  const char *why = octets ? nd_sig_sign(sa->conn->local_pki, sa->peer_hashes, octets,
                                         octets_len, &st->sig, &sig_len)
                           : "cannot assemble the signed octets";
  free(octets);
  if (why) {
    ND_ERROR("ike#%llu (%s): cannot sign AUTH: %s", (unsigned long long)sa->id, sa->conn->name,
             why);
    return -1;
  }
  st->auth.auth = (struct ike_auth_payload){ND_AUTH_METHOD_SIGNATURE, {st->sig, sig_len}};
  return 0;
}

int nd_auth_ours(struct nd_ike_sa *sa, const union ike_payload_body *our_id,
                 struct nd_auth_out *st, struct ike_payload_out *out) {
  memset(st, 0, sizeof *st);
  int n = 0;
  if (sa->conn->local_auth == ND_AUTH_PUBKEY) {
    const struct nd_pki *pki = sa->conn->local_pki;
    for (size_t i = 0; i < nd_pki_cert_count(pki) && i < ND_MAX_CERTS; i++) {
      const uint8_t *der;
      size_t len;
      if (!nd_pki_cert_der(pki, i, &der, &len))
        return -1;
      st->certs[i].cert = (struct ike_cert_payload){IKE_CERT_X509_SIGNATURE, {der, len}};
      out[n++] = nd_out(IKE_PT_CERT, &st->certs[i]);
    }
    if (signature_auth(sa, our_id, st) != 0)
      return -1;
  } else if (psk_auth(sa, our_id, st) != 0) {
    return -1;
  }
  out[n++] = nd_out(IKE_PT_AUTH, &st->auth);
  return n;
}

void nd_auth_out_free(struct nd_auth_out *st) {
  OPENSSL_cleanse(st->mac, sizeof st->mac);
  free(st->sig);
  st->sig = NULL;
}

static const char *check_psk(struct nd_ike_sa *sa, const union ike_payload_body *auth,
                             const union ike_payload_body *peer_id_body,
                             const struct nd_identity *peer) {
  const struct nd_secret *psk = psk_for(sa, peer);
  uint8_t expected[IKE_PRF_MAX_OUT];
  size_t len = 0;
  if (!psk)
    return "no pre-shared key for the peer's identity";
  if (auth->auth.method != ND_AUTH_METHOD_PSK)
    return "the peer did not authenticate with the pre-shared key (AUTH method)";
  bool ok = nd_keys_psk_auth(sa, !sa->initiator, psk->key, psk->key_len, &peer_id_body->id,
                             expected, &len) &&
            auth->auth.data.len == len && CRYPTO_memcmp(auth->auth.data.ptr, expected, len) == 0;
  OPENSSL_cleanse(expected, sizeof expected);
  return ok ? NULL : "the pre-shared key AUTH does not verify";
}

static const char *check_signature(struct nd_ike_sa *sa, const struct ike_chain *in,
                                   const union ike_payload_body *auth,
                                   const union ike_payload_body *peer_id_body,
                                   const struct nd_identity *peer) {
  const uint8_t *der[ND_MAX_CERTS];
  size_t der_len[ND_MAX_CERTS], n = 0;
  if (auth->auth.method != ND_AUTH_METHOD_SIGNATURE)
    return "the peer did not use an RFC 7427 signature (AUTH method 14)";
  for (size_t i = 0; i < in->count && n < ND_MAX_CERTS; i++) {
    union ike_payload_body cert;
    if (in->payloads[i].type != IKE_PT_CERT || ike_chain_decode(&in->payloads[i], &cert) != IKE_OK ||
        cert.cert.encoding != IKE_CERT_X509_SIGNATURE)
      continue;
    der[n] = cert.cert.data.ptr;
    der_len[n++] = cert.cert.data.len;
  }
  struct nd_pki *verified = NULL;
  const char *why = nd_pki_verify_peer(sa->conn->remote_pki, der, der_len, n, peer, &verified);
  if (why)
    return why;
  size_t octets_len = 0;
  uint8_t *octets = nd_keys_signed_octets(sa, !sa->initiator, &peer_id_body->id, &octets_len);
  why = octets ? nd_sig_verify(verified, auth->auth.data.ptr, auth->auth.data.len, octets,
                               octets_len)
               : "cannot assemble the signed octets";
  free(octets);
  nd_pki_unref(verified);
  return why;
}

const char *nd_auth_check_peer(struct nd_ike_sa *sa, const struct ike_chain *in,
                               const union ike_payload_body *peer_id_body,
                               const struct nd_identity *peer) {
  union ike_payload_body auth;
  if (!nd_decode_first(in, IKE_PT_AUTH, &auth))
    return "no AUTH payload";
  return sa->conn->remote_auth == ND_AUTH_PUBKEY
             ? check_signature(sa, in, &auth, peer_id_body, peer)
             : check_psk(sa, &auth, peer_id_body, peer);
}
