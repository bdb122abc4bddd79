/* nicsec_ikecrypto: the IKEv2 crypto layer of nicsecd (all through OpenSSL 3 EVP).
 *
 *   ike_crypto_base.h  status codes, byte ranges, ike_secret (wiped on free)
 *   ike_transforms.h   ENCR / PRF / INTEG tables and IDs
 *   ike_prf.h          prf, prf+, INTEG ICV
 *   ike_kdf.h          SKEYSEED, SK_*, rekey SKEYSEED, Child SA KEYMAT
 *   ike_ke.h           key exchange methods (MODP, ECP, Curve25519/448)
 *   ike_sk.h           SK payload seal / open
 */
#ifndef NICSEC_CRYPTO_IKE_CRYPTO_H
#define NICSEC_CRYPTO_IKE_CRYPTO_H

#include "ike_crypto_base.h"
#include "ike_kdf.h"
#include "ike_ke.h"
#include "ike_prf.h"
#include "ike_sk.h"
#include "ike_transforms.h"

#endif
