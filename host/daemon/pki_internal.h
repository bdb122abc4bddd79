/* Internal to pki.c and sig.c: the certificate holder. */
#ifndef NICSEC_DAEMON_PKI_INTERNAL_H
#define NICSEC_DAEMON_PKI_INTERNAL_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "pki.h"

struct nd_pki {
  unsigned refs;
  STACK_OF(X509) *certs; /* our chain, or a peer's verified chain; end entity first */
  EVP_PKEY *key;         /* our private key (local side only) */
  STACK_OF(X509) *cas;   /* trust anchors (remote side only) */
  uint8_t *certreq;      /* SHA-1 of each anchor's SubjectPublicKeyInfo, back to back */
  size_t certreq_len;
  uint8_t **der;         /* DER of certs, for CERT payloads */
  size_t *der_len;
};

#endif
