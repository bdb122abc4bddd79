/* IKEv2 key schedule (RFC 7296 sections 2.14, 2.17, 2.18).
 *
 *   IKE_SA_INIT:  SKEYSEED = prf(Ni | Nr, g^ir)
 *                 SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr
 *                          = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)
 *   IKE rekey:    SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr)   (old SA's PRF)
 *   Child SA:     KEYMAT   = prf+(SK_d, [g^ir (new) |] Ni | Nr)
 *                          = ENCR_i | INTEG_i | ENCR_r | INTEG_r
 *
 * Ni and Nr are nonce payload bodies; SPIs are the 8-octet header SPIs; g^ir is the output of
 * ike_ke_* (already in the RFC's format: padded MODP value, ECP x coordinate, X25519/X448 u).
 * The "_i" Child keys protect traffic sent by the initiator of the exchange that created the SA.
 *
 * Key lengths follow the negotiated transforms: SK_d/SK_pi/SK_pr = the PRF's preferred key
 * length; SK_a* = the INTEG key length (none for AEAD); SK_e* = cipher key plus the 4-octet
 * salt for AES-GCM and ChaCha20-Poly1305.
 *
 * RFC 9370 (additional key exchanges) appends further shared secrets after Ni | Nr; the
 * functions taking a ke_secrets list already accept them: ke_secrets[0] is g^ir (new), any
 * others follow the nonces.
 */
#ifndef NICSEC_CRYPTO_IKE_KDF_H
#define NICSEC_CRYPTO_IKE_KDF_H

#include "ike_crypto_base.h"
#include "ike_transforms.h"

enum { IKE_SPI_LEN = 8 };

/* The transforms of one IKE SA. integ is IKE_INTEG_NONE with an AEAD cipher and required
 * otherwise; encr_key_bits is the Key Length attribute (0 when absent, as for ChaCha20). */
struct ike_sa_transforms {
  uint16_t encr;
  uint16_t encr_key_bits;
  uint16_t prf;
  uint16_t integ;
};

/* The transforms protecting one Child SA (ESP). No PRF: Child keys come from the IKE SA's. */
struct ike_child_transforms {
  uint16_t encr;
  uint16_t encr_key_bits;
  uint16_t integ;
};

struct ike_sa_key_lengths {
  size_t sk_d; /* = sk_p */
  size_t sk_a; /* 0 with AEAD */
  size_t sk_e; /* includes the salt */
  size_t sk_p;
  size_t total; /* sk_d + 2 * (sk_a + sk_e + sk_p) */
};

struct ike_sa_keys {
  struct ike_secret sk_d, sk_ai, sk_ar, sk_ei, sk_er, sk_pi, sk_pr;
};

struct ike_child_keys {
  struct ike_secret encr_i, integ_i, encr_r, integ_r; /* integ_* empty with AEAD */
};

/* Checks the combination (AEAD <=> no INTEG) and returns the lengths it implies. */
enum ike_crypto_status ike_sa_key_lengths(const struct ike_sa_transforms *t,
                                          struct ike_sa_key_lengths *out);
/* Length of one direction of Child KEYMAT (ENCR_i | INTEG_i); the whole KEYMAT is twice that. */
enum ike_crypto_status ike_child_keymat_half_len(const struct ike_child_transforms *t, size_t *out);

/* SKEYSEED = prf(Ni | Nr, g^ir). *skeyseed must be empty; it receives prf-output octets. */
enum ike_crypto_status ike_kdf_skeyseed(uint16_t prf_id, struct ike_bytes ni, struct ike_bytes nr,
                                        struct ike_bytes g_ir, struct ike_secret *skeyseed);

/* SKEYSEED of a rekeyed IKE SA = prf(SK_d(old), ke_secrets[0] | Ni | Nr | ke_secrets[1..]).
 * prf_id is the OLD SA's PRF. n_ke_secrets must be >= 1: RFC 7296 1.3.2 makes the KE payload
 * mandatory when rekeying an IKE SA, so a rekey without a fresh shared secret is refused
 * (E_INVALID_ARG) rather than deriving keys that would add no forward secrecy. */
enum ike_crypto_status ike_kdf_rekey_skeyseed(uint16_t prf_id, const struct ike_secret *old_sk_d,
                                              const struct ike_bytes *ke_secrets,
                                              size_t n_ke_secrets, struct ike_bytes ni,
                                              struct ike_bytes nr, struct ike_secret *skeyseed);

/* {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr),
 * split by the lengths of t. *out must be zero-initialised; free it with ike_sa_keys_free. */
enum ike_crypto_status ike_kdf_sa_keys(const struct ike_sa_transforms *t,
                                       const struct ike_secret *skeyseed, struct ike_bytes ni,
                                       struct ike_bytes nr, const uint8_t spi_i[IKE_SPI_LEN],
                                       const uint8_t spi_r[IKE_SPI_LEN], struct ike_sa_keys *out);
void ike_sa_keys_free(struct ike_sa_keys *keys);

/* Raw Child SA KEYMAT of keymat_len octets: prf+(SK_d, ke_secrets[0] | Ni | Nr | ke_secrets[1..]),
 * or prf+(SK_d, Ni | Nr) when n_ke_secrets == 0 (no PFS). *keymat must be empty. */
enum ike_crypto_status ike_kdf_child_keymat(uint16_t prf_id, const struct ike_secret *sk_d,
                                            const struct ike_bytes *ke_secrets, size_t n_ke_secrets,
                                            struct ike_bytes ni, struct ike_bytes nr,
                                            size_t keymat_len, struct ike_secret *keymat);

/* Child SA KEYMAT split into ENCR_i | INTEG_i | ENCR_r | INTEG_r for the transforms t.
 * *out must be zero-initialised; free it with ike_child_keys_free. */
enum ike_crypto_status ike_kdf_child_keys(uint16_t prf_id, const struct ike_secret *sk_d,
                                          const struct ike_child_transforms *t,
                                          const struct ike_bytes *ke_secrets, size_t n_ke_secrets,
                                          struct ike_bytes ni, struct ike_bytes nr,
                                          struct ike_child_keys *out);
void ike_child_keys_free(struct ike_child_keys *keys);

#endif
