/* Certificates for IKE_AUTH with digital signatures (RFC 7296 3.6-3.7, RFC 7427).
 *
 * A connection's local side holds its certificate chain and private key; its remote side holds
 * the trust anchors (CA certificates) a peer's chain must lead to. Objects are reference counted
 * so a configuration clone shares them. Keys are OpenSSL EVP_PKEYs: never copied out, freed
 * (and so wiped) by OpenSSL.
 */
#ifndef NICSEC_DAEMON_PKI_H
#define NICSEC_DAEMON_PKI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ident.h"

struct nd_pki;

/* Loads PEM files: certs[0] is our end-entity certificate, further ones intermediates; key is
 * the private key of certs[0]. Returns NULL and writes a sentence to err on failure (unreadable
 * file, key not matching the certificate, unsupported key type). */
struct nd_pki *nd_pki_load_local(const char *const *certs, size_t n_certs, const char *key,
                                 char *err, size_t err_len);
/* Loads PEM CA certificates (trust anchors). */
struct nd_pki *nd_pki_load_cas(const char *const *cas, size_t n_cas, char *err, size_t err_len);
struct nd_pki *nd_pki_ref(struct nd_pki *p);
void nd_pki_unref(struct nd_pki *p);

/* Our identity by default: the certificate's subject DN (DER_ASN1_DN). */
bool nd_pki_subject_id(const struct nd_pki *p, struct nd_identity *out);
/* Whether a certificate vouches for an identity: equal subject DN, or a subjectAltName entry of
 * the identity's type (DNS, e-mail, IP address). */
bool nd_pki_cert_has_id(const struct nd_pki *p, const struct nd_identity *id);

/* DER of our certificates, end entity first, for CERT payloads. */
size_t nd_pki_cert_count(const struct nd_pki *p);
bool nd_pki_cert_der(const struct nd_pki *p, size_t index, const uint8_t **der, size_t *len);
/* CERTREQ data (RFC 7296 3.7): the SHA-1 hashes of the trust anchors' SubjectPublicKeyInfo. */
bool nd_pki_certreq(const struct nd_pki *p, const uint8_t **data, size_t *len);

/* Verifies the chain of DER certificates (end entity first) against the trust anchors and that
 * the end entity vouches for id. On success *verified holds the end entity's public key for the
 * signature check. Returns NULL on success or a sentence saying why not. */
const char *nd_pki_verify_peer(const struct nd_pki *anchors, const uint8_t *const *der,
                               const size_t *der_len, size_t n, const struct nd_identity *id,
                               struct nd_pki **verified);

/* ---- RFC 7427 signatures (sig.c) -------------------------------------------------------- */

enum { ND_HASH_SHA256 = 2, ND_HASH_SHA384 = 3, ND_HASH_SHA512 = 4, ND_HASH_IDENTITY = 5 };
/* Bit of an RFC 7427 hash algorithm number in a peer's SIGNATURE_HASH_ALGORITHMS set. */
#define ND_HASH_BIT(h) (1u << (h))

/* The SIGNATURE_HASH_ALGORITHMS notify data we send: 2-octet numbers. */
size_t nd_sig_hash_list(uint8_t *out, size_t cap);
/* Parses a peer's SIGNATURE_HASH_ALGORITHMS data into a set of ND_HASH_BIT()s. */
uint32_t nd_sig_parse_hashes(const uint8_t *data, size_t len);

/* Authentication Data of an AUTH payload with method 14: ASN.1 length | AlgorithmIdentifier |
 * signature over `octets` with our private key, using a hash the peer announced (peer_hashes).
 * *out is heap-allocated. Returns NULL or a sentence on failure. */
const char *nd_sig_sign(const struct nd_pki *local, uint32_t peer_hashes, const uint8_t *octets,
                        size_t octets_len, uint8_t **out, size_t *out_len);
/* Checks method-14 Authentication Data against the peer's verified certificate. */
const char *nd_sig_verify(const struct nd_pki *peer, const uint8_t *auth, size_t auth_len,
                          const uint8_t *octets, size_t octets_len);

#endif
