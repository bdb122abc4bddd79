/* Loading certificates and keys, verifying a peer's chain, matching identities to certificates. */
#include "pki_internal.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ikecodec_consts.h"

static struct nd_pki *pki_new(void) {
  struct nd_pki *p = calloc(1, sizeof *p);
  if (p) {
    p->refs = 1;
    p->certs = sk_X509_new_null();
    p->cas = sk_X509_new_null();
  }
  if (p && (!p->certs || !p->cas)) {
    nd_pki_unref(p);
    return NULL;
  }
  return p;
}

struct nd_pki *nd_pki_ref(struct nd_pki *p) {
  if (p)
    p->refs++;
  return p;
}

void nd_pki_unref(struct nd_pki *p) {
  if (!p || --p->refs > 0)
    return;
  for (int i = 0; p->der && i < sk_X509_num(p->certs); i++)
    free(p->der[i]);
  free(p->der);
  free(p->der_len);
  sk_X509_pop_free(p->certs, X509_free);
  sk_X509_pop_free(p->cas, X509_free);
  EVP_PKEY_free(p->key);
  free(p->certreq);
  free(p);
}

/* Every certificate of a PEM file, appended to `to`. */
static int read_certs(const char *path, STACK_OF(X509) *to, char *err, size_t err_len) {
  FILE *f = fopen(path, "r");
  if (!f) {
    snprintf(err, err_len, "cannot read certificate file '%s'", path);
    return -1;
  }
  int n = 0;
  for (X509 *x; (x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL; n++)
    sk_X509_push(to, x);
  fclose(f);
  ERR_clear_error(); /* the loop ends on "no start line" */
  if (n == 0)
    snprintf(err, err_len, "'%s' holds no PEM certificate", path);
  return n ? 0 : -1;
}

/* Key types nicsec signs with (RFC 7427): RSA (RSASSA-PSS), ECDSA on P-256/384/521, Ed25519. */
static bool key_supported(EVP_PKEY *key) {
  int type = EVP_PKEY_get_base_id(key);
  if (type == EVP_PKEY_RSA)
    return EVP_PKEY_get_bits(key) >= 2048;
  return type == EVP_PKEY_EC || type == EVP_PKEY_ED25519;
}

static bool cache_der(struct nd_pki *p) {
  int n = sk_X509_num(p->certs);
  p->der = calloc((size_t)n, sizeof *p->der);
  p->der_len = calloc((size_t)n, sizeof *p->der_len);
  if (!p->der || !p->der_len)
    return false;
  for (int i = 0; i < n; i++) {
    unsigned char *der = NULL;
    int len = i2d_X509(sk_X509_value(p->certs, i), &der);
    if (len <= 0)
      return false;
    p->der[i] = malloc((size_t)len);
    if (!p->der[i]) {
      OPENSSL_free(der);
      return false;
    }
    memcpy(p->der[i], der, (size_t)len);
    p->der_len[i] = (size_t)len;
    OPENSSL_free(der);
  }
  return true;
}

struct nd_pki *nd_pki_load_local(const char *const *certs, size_t n_certs, const char *key,
                                 char *err, size_t err_len) {
  struct nd_pki *p = pki_new();
  if (!p) {
    snprintf(err, err_len, "out of memory");
    return NULL;
  }
  for (size_t i = 0; i < n_certs; i++)
    if (read_certs(certs[i], p->certs, err, err_len) != 0)
      goto fail;
  FILE *f = fopen(key, "r");
  p->key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
  if (f)
    fclose(f);
  if (!p->key) {
    snprintf(err, err_len, "cannot read a PEM private key from '%s'", key);
    goto fail;
  }
  if (!key_supported(p->key)) {
    snprintf(err, err_len, "'%s': only RSA (2048 bits or more), ECDSA and Ed25519 keys", key);
    goto fail;
  }
  if (X509_check_private_key(sk_X509_value(p->certs, 0), p->key) != 1) {
    snprintf(err, err_len, "'%s' is not the key of certificate '%s'", key, certs[0]);
    goto fail;
  }
  if (!cache_der(p)) {
    snprintf(err, err_len, "cannot encode certificate '%s'", certs[0]);
    goto fail;
  }
  ERR_clear_error();
  return p;
fail:
  ERR_clear_error();
  nd_pki_unref(p);
  return NULL;
}

/* SHA-1 of each anchor's SubjectPublicKeyInfo, for CERTREQ. */
static bool make_certreq(struct nd_pki *p) {
  int n = sk_X509_num(p->cas);
  p->certreq = malloc((size_t)n * 20 + 1);
  if (!p->certreq)
    return false;
  for (int i = 0; i < n; i++) {
    unsigned char *spki = NULL;
    int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(sk_X509_value(p->cas, i)), &spki);
    unsigned int md_len = 0;
    bool ok = len > 0 && EVP_Digest(spki, (size_t)len, p->certreq + 20 * i, &md_len,
                                     EVP_sha1(), NULL) == 1;
    OPENSSL_free(spki);
    if (!ok)
      return false;
  }
  p->certreq_len = (size_t)n * 20;
  return true;
}

struct nd_pki *nd_pki_load_cas(const char *const *cas, size_t n_cas, char *err, size_t err_len) {
  struct nd_pki *p = pki_new();
  if (!p) {
    snprintf(err, err_len, "out of memory");
    return NULL;
  }
  for (size_t i = 0; i < n_cas; i++)
    if (read_certs(cas[i], p->cas, err, err_len) != 0) {
      nd_pki_unref(p);
      return NULL;
    }
  if (!make_certreq(p)) {
    snprintf(err, err_len, "cannot hash the CA keys");
    nd_pki_unref(p);
    return NULL;
  }
  return p;
}

bool nd_pki_subject_id(const struct nd_pki *p, struct nd_identity *out) {
  unsigned char *der = NULL;
  int len = i2d_X509_NAME(X509_get_subject_name(sk_X509_value(p->certs, 0)), &der);
  bool ok = len > 0 && nd_identity_from_wire(IKE_ID_DER_ASN1_DN, der, (size_t)len, out);
  OPENSSL_free(der);
  return ok;
}

static bool cert_has_id(X509 *cert, const struct nd_identity *id) {
  char text[ND_ID_MAX + 1];
  memcpy(text, id->data, id->len);
  text[id->len] = '\0';
  switch (id->type) {
  case IKE_ID_DER_ASN1_DN: {
    const unsigned char *p = id->data;
    X509_NAME *name = d2i_X509_NAME(NULL, &p, id->len);
    bool same = name && X509_NAME_cmp(name, X509_get_subject_name(cert)) == 0;
    X509_NAME_free(name);
    return same;
  }
  case IKE_ID_FQDN:
    return X509_check_host(cert, text, id->len, X509_CHECK_FLAG_NO_WILDCARDS, NULL) == 1;
  case IKE_ID_RFC822_ADDR:
    return X509_check_email(cert, text, id->len, 0) == 1;
  case IKE_ID_IPV4_ADDR:
  case IKE_ID_IPV6_ADDR:
    return X509_check_ip(cert, id->data, id->len, 0) == 1;
  default:
    return false;
  }
}

bool nd_pki_cert_has_id(const struct nd_pki *p, const struct nd_identity *id) {
  return sk_X509_num(p->certs) > 0 && cert_has_id(sk_X509_value(p->certs, 0), id);
}

size_t nd_pki_cert_count(const struct nd_pki *p) {
  return (size_t)sk_X509_num(p->certs);
}

bool nd_pki_cert_der(const struct nd_pki *p, size_t index, const uint8_t **der, size_t *len) {
  if (!p->der || index >= nd_pki_cert_count(p))
    return false;
  *der = p->der[index];
  *len = p->der_len[index];
  return true;
}

bool nd_pki_certreq(const struct nd_pki *p, const uint8_t **data, size_t *len) {
  *data = p->certreq;
  *len = p->certreq_len;
  return p->certreq_len > 0;
}

static const char *verify_chain(const struct nd_pki *anchors, struct nd_pki *peer) {
  X509_STORE *store = X509_STORE_new();
  X509_STORE_CTX *ctx = X509_STORE_CTX_new();
  const char *why = NULL;
  if (!store || !ctx) {
    why = "out of memory";
  } else {
    for (int i = 0; i < sk_X509_num(anchors->cas); i++)
      X509_STORE_add_cert(store, sk_X509_value(anchors->cas, i));
    STACK_OF(X509) *untrusted = sk_X509_dup(peer->certs);
    (void)sk_X509_shift(untrusted); /* intermediates only */
    if (X509_STORE_CTX_init(ctx, store, sk_X509_value(peer->certs, 0), untrusted) != 1)
      why = "cannot set up chain verification";
    else if (X509_verify_cert(ctx) != 1)
      why = X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx));
    sk_X509_free(untrusted);
  }
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  return why;
}

const char *nd_pki_verify_peer(const struct nd_pki *anchors, const uint8_t *const *der,
                               const size_t *der_len, size_t n, const struct nd_identity *id,
                               struct nd_pki **verified) {
  *verified = NULL;
  if (!anchors || n == 0)
    return !anchors ? "no trust anchors configured" : "no certificate received";
  struct nd_pki *peer = pki_new();
  if (!peer)
    return "out of memory";
  for (size_t i = 0; i < n; i++) {
    const unsigned char *p = der[i];
    X509 *x = d2i_X509(NULL, &p, (long)der_len[i]);
    if (!x || p != der[i] + der_len[i]) {
      X509_free(x);
      nd_pki_unref(peer);
      ERR_clear_error();
      return "a CERT payload is not a DER X.509 certificate";
    }
    sk_X509_push(peer->certs, x);
  }
  const char *why = verify_chain(anchors, peer);
  if (!why && !cert_has_id(sk_X509_value(peer->certs, 0), id))
    why = "the certificate does not vouch for the peer's identity";
  ERR_clear_error();
  if (why) {
    nd_pki_unref(peer);
    return why;
  }
  *verified = peer;
  return NULL;
}
