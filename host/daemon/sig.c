/* RFC 7427 "Digital Signature" authentication (AUTH method 14): the signature algorithms as a
 * table of AlgorithmIdentifier encodings (RFC 7427 Appendix A), signing with our key and
 * verifying with a peer's certificate through OpenSSL EVP. */
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>

#include "pki_internal.h"

/* AlgorithmIdentifier DER for each algorithm (RFC 7427 Appendix A). */
static const uint8_t alg_rsa_pss_sha256[] = {
    0x30, 0x41, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30,
    0x34, 0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
    0x02, 0x01, 0x05, 0x00, 0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
    0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
    0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x20};
static const uint8_t alg_rsa_pss_sha384[] = {
    0x30, 0x41, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30,
    0x34, 0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
    0x02, 0x02, 0x05, 0x00, 0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
    0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
    0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x30};
static const uint8_t alg_rsa_pss_sha512[] = {
    0x30, 0x41, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30,
    0x34, 0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
    0x02, 0x03, 0x05, 0x00, 0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
    0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
    0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x40};
static const uint8_t alg_rsa_sha256[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                         0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00};
static const uint8_t alg_rsa_sha384[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                         0xf7, 0x0d, 0x01, 0x01, 0x0c, 0x05, 0x00};
static const uint8_t alg_rsa_sha512[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                         0xf7, 0x0d, 0x01, 0x01, 0x0d, 0x05, 0x00};
static const uint8_t alg_ecdsa_sha256[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
                                           0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
static const uint8_t alg_ecdsa_sha384[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
                                           0x48, 0xce, 0x3d, 0x04, 0x03, 0x03};
static const uint8_t alg_ecdsa_sha512[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
                                           0x48, 0xce, 0x3d, 0x04, 0x03, 0x04};
static const uint8_t alg_ed25519[] = {0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70};

struct sig_alg {
  const char *name;
  int key_type;        /* EVP_PKEY_RSA, EVP_PKEY_EC, EVP_PKEY_ED25519 */
  const char *curve;   /* EC keys: the curve we sign with this row; NULL otherwise */
  bool pss;
  int salt_len;        /* RSASSA-PSS salt octets, as encoded in the parameters */
  uint8_t hash;        /* RFC 7427 hash number, announced in SIGNATURE_HASH_ALGORITHMS */
  const char *digest;  /* OpenSSL digest name; NULL for Ed25519 (the identity "hash") */
  bool sign;           /* rows we sign with (the others we only accept) */
  const uint8_t *algid;
  size_t algid_len;
};

#define ALG(x) x, sizeof x
static const struct sig_alg sig_algs[] = {
    {"RSASSA-PSS/SHA-256", EVP_PKEY_RSA, NULL, true, 32, ND_HASH_SHA256, "SHA256", true,
     ALG(alg_rsa_pss_sha256)},
    {"RSASSA-PSS/SHA-384", EVP_PKEY_RSA, NULL, true, 48, ND_HASH_SHA384, "SHA384", false,
     ALG(alg_rsa_pss_sha384)},
    {"RSASSA-PSS/SHA-512", EVP_PKEY_RSA, NULL, true, 64, ND_HASH_SHA512, "SHA512", false,
     ALG(alg_rsa_pss_sha512)},
    {"RSA/SHA-256", EVP_PKEY_RSA, NULL, false, 0, ND_HASH_SHA256, "SHA256", false,
     ALG(alg_rsa_sha256)},
    {"RSA/SHA-384", EVP_PKEY_RSA, NULL, false, 0, ND_HASH_SHA384, "SHA384", false,
     ALG(alg_rsa_sha384)},
    {"RSA/SHA-512", EVP_PKEY_RSA, NULL, false, 0, ND_HASH_SHA512, "SHA512", false,
     ALG(alg_rsa_sha512)},
    {"ECDSA/SHA-256", EVP_PKEY_EC, "prime256v1", false, 0, ND_HASH_SHA256, "SHA256", true,
     ALG(alg_ecdsa_sha256)},
    {"ECDSA/SHA-384", EVP_PKEY_EC, "secp384r1", false, 0, ND_HASH_SHA384, "SHA384", true,
     ALG(alg_ecdsa_sha384)},
    {"ECDSA/SHA-512", EVP_PKEY_EC, "secp521r1", false, 0, ND_HASH_SHA512, "SHA512", true,
     ALG(alg_ecdsa_sha512)},
    {"Ed25519", EVP_PKEY_ED25519, NULL, false, 0, ND_HASH_IDENTITY, NULL, true, ALG(alg_ed25519)},
};
#undef ALG

enum { N_ALGS = sizeof sig_algs / sizeof sig_algs[0] };

size_t nd_sig_hash_list(uint8_t *out, size_t cap) {
  static const uint8_t hashes[] = {0, ND_HASH_SHA256, 0, ND_HASH_SHA384,
                                   0, ND_HASH_SHA512, 0, ND_HASH_IDENTITY};
  if (cap < sizeof hashes)
    return 0;
  memcpy(out, hashes, sizeof hashes);
  return sizeof hashes;
}

uint32_t nd_sig_parse_hashes(const uint8_t *data, size_t len) {
  uint32_t set = 0;
  for (size_t i = 0; i + 1 < len; i += 2) {
    uint16_t h = (uint16_t)(data[i] << 8 | data[i + 1]);
    if (h < 32)
      set |= ND_HASH_BIT(h);
  }
  return set;
}

static bool key_fits(const struct sig_alg *a, EVP_PKEY *key, bool for_signing) {
  if (EVP_PKEY_get_base_id(key) != a->key_type)
    return false;
  if (!for_signing || !a->curve)
    return true;
  char group[64];
  size_t len = 0;
  return EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                        &len) == 1 &&
         strcmp(group, a->curve) == 0;
}

static bool set_pss(EVP_PKEY_CTX *pctx, const struct sig_alg *a) {
  return !a->pss || (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
                     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, a->salt_len) > 0 &&
                     EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, a->digest, NULL) > 0);
}

const char *nd_sig_sign(const struct nd_pki *local, uint32_t peer_hashes, const uint8_t *octets,
                        size_t octets_len, uint8_t **out, size_t *out_len) {
  const struct sig_alg *a = NULL;
  for (size_t i = 0; i < N_ALGS && !a; i++)
    if (sig_algs[i].sign && key_fits(&sig_algs[i], local->key, true) &&
        (peer_hashes & ND_HASH_BIT(sig_algs[i].hash)))
      a = &sig_algs[i];
  if (!a)
    return "the peer announced no hash algorithm our key can sign with";
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX *pctx = NULL;
  size_t sig_len = 0;
  uint8_t *buf = NULL;
  bool ok = ctx && EVP_DigestSignInit_ex(ctx, &pctx, a->digest, NULL, NULL, local->key, NULL) == 1 &&
            set_pss(pctx, a) && EVP_DigestSign(ctx, NULL, &sig_len, octets, octets_len) == 1 &&
            (buf = malloc(1 + a->algid_len + sig_len)) != NULL &&
            EVP_DigestSign(ctx, buf + 1 + a->algid_len, &sig_len, octets, octets_len) == 1;
  EVP_MD_CTX_free(ctx);
  ERR_clear_error();
  if (!ok) {
    free(buf);
    return "signing failed";
  }
  buf[0] = (uint8_t)a->algid_len; /* RFC 7427 3: ASN.1 Length | AlgorithmIdentifier | Signature */
  memcpy(buf + 1, a->algid, a->algid_len);
  *out = buf;
  *out_len = 1 + a->algid_len + sig_len;
  return NULL;
}

const char *nd_sig_verify(const struct nd_pki *peer, const uint8_t *auth, size_t auth_len,
                          const uint8_t *octets, size_t octets_len) {
  if (auth_len < 2 || (size_t)auth[0] + 1 >= auth_len)
    return "AUTH data too short for an AlgorithmIdentifier and a signature";
  const struct sig_alg *a = NULL;
  for (size_t i = 0; i < N_ALGS && !a; i++)
    if (sig_algs[i].algid_len == auth[0] && memcmp(sig_algs[i].algid, auth + 1, auth[0]) == 0)
      a = &sig_algs[i];
  if (!a)
    return "unsupported signature algorithm";
  EVP_PKEY *key = X509_get0_pubkey(sk_X509_value(peer->certs, 0));
  if (!key || !key_fits(a, key, false))
    return "the signature algorithm does not match the certificate's key";
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX *pctx = NULL;
  const uint8_t *sig = auth + 1 + auth[0];
  size_t sig_len = auth_len - 1 - auth[0];
  bool ok = ctx && EVP_DigestVerifyInit_ex(ctx, &pctx, a->digest, NULL, NULL, key, NULL) == 1 &&
            set_pss(pctx, a) && EVP_DigestVerify(ctx, sig, sig_len, octets, octets_len) == 1;
  EVP_MD_CTX_free(ctx);
  ERR_clear_error();
  return ok ? NULL : "signature does not verify";
}
