/* Internal: the key exchange method table and the per-family hooks behind ike_ke.h.
 *
 * Two levels keep new method kinds cheap to add:
 *  - struct ke_ops is the protocol behaviour of a kind of method: Diffie-Hellman (ke_dh.c) or a
 *    KEM (ke_mlkem.c: encapsulate to the initiator's key, decapsulate the responder's reply).
 *  - struct ke_dh_family maps KE payload data to and from OpenSSL keys for one DH family
 *    (MODP, ECP, X25519/X448); ke_dh.c runs the shared DH logic on top of it.
 */
#ifndef NICSEC_CRYPTO_KE_INTERNAL_H
#define NICSEC_CRYPTO_KE_INTERNAL_H

#include <stdbool.h>

#include <openssl/evp.h>

#include "ike_ke.h"

struct ike_ke_method;

struct ke_dh_family {
  /* A fresh random key pair of the method's group. */
  enum ike_crypto_status (*generate)(const struct ike_ke_method *m, EVP_PKEY **key);
  /* Validates peer KE data (length already checked) and turns it into a public key. */
  enum ike_crypto_status (*import_peer)(const struct ike_ke_method *m, struct ike_bytes peer,
                                        EVP_PKEY **key);
  /* Writes our public key as KE data (initiator_len octets). */
  enum ike_crypto_status (*export_public)(const struct ike_ke_method *m, const EVP_PKEY *key,
                                          uint8_t *out);
  /* Known-answer support: a key pair from a given private value (see ike_ke_import_private). */
  enum ike_crypto_status (*import_private)(const struct ike_ke_method *m, struct ike_bytes priv,
                                           struct ike_bytes pub, EVP_PKEY **key);
  /* Finite-field DH drops leading zero octets unless asked to pad to the modulus size. */
  bool pad_secret;
};

struct ke_ops {
  enum ike_crypto_status (*initiate)(const struct ike_ke_method *m, struct ike_ke *ke);
  enum ike_crypto_status (*respond)(const struct ike_ke_method *m, struct ike_bytes peer,
                                    struct ike_ke *ke, struct ike_secret *shared);
  enum ike_crypto_status (*finish)(const struct ike_ke *ke, struct ike_bytes peer,
                                   struct ike_secret *shared);
  enum ike_crypto_status (*public_value)(const struct ike_ke *ke, uint8_t *out, size_t cap,
                                         size_t *len);
  enum ike_crypto_status (*check_peer)(const struct ike_ke_method *m, bool from_initiator,
                                       struct ike_bytes peer);
  enum ike_crypto_status (*import_private)(const struct ike_ke_method *m, struct ike_bytes priv,
                                           struct ike_bytes pub, struct ike_ke *ke);
};

struct ike_ke_method {
  uint16_t id;
  const char *name;
  const char *ossl_name; /* OpenSSL group / algorithm name */
  size_t initiator_len;
  size_t responder_len;
  size_t secret_len;
  size_t coord_len; /* ECP: octets per coordinate; 0 otherwise */
  const struct ke_ops *ops;
  const struct ke_dh_family *dh; /* NULL for non-DH kinds */
};

struct ike_ke {
  const struct ike_ke_method *method;
  EVP_PKEY *key;  /* our private key (KEM: the initiator's decapsulation key) */
  uint8_t *reply; /* KEM responder: the ciphertext it sends; NULL otherwise */
  size_t reply_len;
};

const struct ike_ke_method *ke_method_find(uint16_t id);

extern const struct ke_ops ke_dh_ops;
extern const struct ke_dh_family ke_modp_family;
extern const struct ke_dh_family ke_ecp_family;
extern const struct ke_dh_family ke_ecx_family;
#if NICSEC_IKECRYPTO_MLKEM
extern const struct ke_ops ke_kem_ops;
#endif

/* Shared helper: generates a key with a "group" parameter (DH, EC) or for a named algorithm
 * (X25519, X448: group == NULL). */
enum ike_crypto_status ke_generate_named(const char *algorithm, const char *group, EVP_PKEY **key);
/* Shared helper: EVP_PKEY_fromdata for the given selection; returns NULL on failure. */
EVP_PKEY *ke_key_fromdata(const char *algorithm, int selection, const OSSL_PARAM *params);
/* Shared helper: a public key from its raw encoding (X25519/X448 u coordinate, ML-KEM
 * encapsulation key); NULL when OpenSSL refuses the value. */
EVP_PKEY *ke_raw_public_key(const char *algorithm, struct ike_bytes raw);
/* Shared helper: does the key's private part match its public part (OpenSSL pairwise check)? */
bool ke_pairwise_ok(EVP_PKEY *key);

#endif
