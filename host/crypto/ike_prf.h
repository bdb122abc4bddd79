/* IKEv2 pseudo-random functions and integrity checksums (HMAC through OpenSSL EVP_MAC).
 *
 * Inputs are given as a list of byte ranges that are concatenated, so callers never build
 * "Ni | Nr | SPIi | SPIr" by hand.
 */
#ifndef NICSEC_CRYPTO_IKE_PRF_H
#define NICSEC_CRYPTO_IKE_PRF_H

#include "ike_crypto_base.h"
#include "ike_transforms.h"

/* Largest PRF output and largest INTEG ICV over the table (HMAC-SHA2-512). */
enum { IKE_PRF_MAX_OUT = 64, IKE_INTEG_MAX_ICV = 32 };

/* prf(key, data[0] | data[1] | ...): writes the PRF's out_len octets to out (out_cap >= out_len).
 * Any key length is accepted (HMAC); IKE uses e.g. Ni | Nr as a key. */
enum ike_crypto_status ike_prf(uint16_t prf_id, struct ike_bytes key, const struct ike_bytes *data,
                               size_t n_data, uint8_t *out, size_t out_cap);

/* prf+(key, seed) of RFC 7296 section 2.13, truncated to out_len octets:
 *   T1 = prf(K, S | 0x01), Tn = prf(K, T(n-1) | S | n), output = T1 | T2 | ...
 * The block counter is one octet, so out_len may be at most 255 PRF outputs (E_TOO_LONG). */
enum ike_crypto_status ike_prf_plus(uint16_t prf_id, struct ike_bytes key,
                                    const struct ike_bytes *seed, size_t n_seed, uint8_t *out,
                                    size_t out_len);

/* The truncated HMAC ICV of an INTEG transform (RFC 4868) over the concatenated data.
 * key.len must equal the transform's key length; writes icv_len octets (icv_cap >= icv_len). */
enum ike_crypto_status ike_integ_icv(uint16_t integ_id, struct ike_bytes key,
                                     const struct ike_bytes *data, size_t n_data, uint8_t *icv,
                                     size_t icv_cap);

#endif
