/* IKEv2 key exchange (Transform Type 4): Diffie-Hellman groups today, KEMs later.
 *
 * Every method follows the same three-step shape, which fits both DH and a KEM such as ML-KEM:
 *
 *   initiator                                   responder
 *   ike_ke_initiate(id) -> ke
 *   ike_ke_public_value(ke) -> KEi data  ---->  ike_ke_respond(id, KEi data) -> ke, shared
 *                                               ike_ke_public_value(ke) -> KEr data
 *   ike_ke_finish(ke, KEr data) -> shared  <----
 *
 * For DH the responder simply generates its own key pair and derives; for a KEM it encapsulates
 * to the initiator's key and KEr data is the ciphertext. KE data is exactly the Key Exchange
 * Data field of the KE payload (RFC 7296 3.4); the shared secret is the "g^ir" that feeds
 * ike_kdf_* (RFC 7296 2.14, RFC 5903 7, RFC 8031).
 *
 * ML-KEM-768 (FIPS 203) is in the table when the library is built against OpenSSL >= 3.5
 * (NICSEC_IKECRYPTO_MLKEM is then defined to 1 for users of the library).
 *
 * Peer values are validated before use; a bad one gives E_BAD_LENGTH (wrong size, which the
 * daemon answers with INVALID_SYNTAX) or E_INVALID_PUBLIC (out of range, not on the curve,
 * low-order point giving an all-zero secret).
 */
#ifndef NICSEC_CRYPTO_IKE_KE_H
#define NICSEC_CRYPTO_IKE_KE_H

#include <stdbool.h>

#include "ike_crypto_base.h"

enum ike_ke_id {
  IKE_KE_MODP_2048 = 14,
  IKE_KE_ECP_256 = 19,
  IKE_KE_ECP_384 = 20,
  IKE_KE_ECP_521 = 21,
  IKE_KE_CURVE25519 = 31,
  IKE_KE_CURVE448 = 32,
  IKE_KE_ML_KEM_768 = 36, /* only when built with OpenSSL >= 3.5 (NICSEC_IKECRYPTO_MLKEM) */
};

/* Largest KE data (ML-KEM-768 encapsulation key) and shared secret (MODP-2048) of any
 * method in the table, in every build. */
enum { IKE_KE_MAX_PUBLIC = 1184, IKE_KE_MAX_SECRET = 256 };

struct ike_ke_info {
  uint16_t id;
  const char *name;     /* e.g. "ECP_256", "Curve25519" */
  size_t initiator_len; /* KE data length sent by the initiator */
  size_t responder_len; /* KE data length sent by the responder (differs for KEMs) */
  size_t secret_len;    /* shared secret length */
};

/* Fills *out for an implemented method; E_UNSUPPORTED otherwise. */
enum ike_crypto_status ike_ke_info(uint16_t id, struct ike_ke_info *out);
bool ike_ke_supported(uint16_t id);

/* One side of one key exchange: our ephemeral private key (or KEM state). */
struct ike_ke;

/* Initiator: generates a fresh key pair for method id. */
enum ike_crypto_status ike_ke_initiate(uint16_t id, struct ike_ke **out);

/* Responder: validates the initiator's KE data, creates our side and computes the shared
 * secret at once. *shared must be empty; on success it holds secret_len octets. */
enum ike_crypto_status ike_ke_respond(uint16_t id, struct ike_bytes peer, struct ike_ke **out,
                                      struct ike_secret *shared);

/* Initiator: validates the responder's KE data and computes the shared secret. May be called
 * again (e.g. on a retransmitted response); *shared must be empty. */
enum ike_crypto_status ike_ke_finish(const struct ike_ke *ke, struct ike_bytes peer,
                                     struct ike_secret *shared);

/* Our KE data for the KE payload. *len receives its length (cap must be large enough). */
enum ike_crypto_status ike_ke_public_value(const struct ike_ke *ke, uint8_t *out, size_t cap,
                                           size_t *len);

/* Validates peer KE data without computing anything secret (length, range, curve membership),
 * e.g. to answer INVALID_SYNTAX before spending time. from_initiator says which side sent it. */
enum ike_crypto_status ike_ke_check_peer(uint16_t id, bool from_initiator, struct ike_bytes peer);

uint16_t ike_ke_method_id(const struct ike_ke *ke);

/* Wipes the private key and frees. NULL-safe. */
void ike_ke_free(struct ike_ke *ke);

/* Known-answer support: uses a given private value instead of a random one.
 *   MODP: priv = exponent (big-endian), pub = KE data; the pair is checked (pub == g^priv).
 *   ECP:  priv = scalar (big-endian), pub = KE data (x | y); the pair is checked.
 *   X25519/X448: priv = the RFC 7748 scalar; pub may be empty (it is derived) or must match.
 *   ML-KEM: priv = the 64-octet seed d | z or the decapsulation key; pub as for X25519.
 * Not for production keys: the daemon always uses ike_ke_initiate / ike_ke_respond. */
enum ike_crypto_status ike_ke_import_private(uint16_t id, struct ike_bytes priv,
                                             struct ike_bytes pub, struct ike_ke **out);

#endif
