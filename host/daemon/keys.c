/* IKE SA keys (RFC 7296 2.14) and PSK authentication data (RFC 7296 2.15). */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"

static void put_be64(uint8_t *p, uint64_t v) {
  for (int i = 7; i >= 0; i--, v >>= 8)
    p[i] = (uint8_t)v;
}

static bool make_ciphers(struct nd_ike_sa *sa) {
  const struct ike_sa_keys *k = &sa->keys;
  /* The original initiator sends with SK_ei/SK_ai and receives with SK_er/SK_ar. */
  const struct ike_secret *seal_e = sa->initiator ? &k->sk_ei : &k->sk_er;
  const struct ike_secret *seal_a = sa->initiator ? &k->sk_ai : &k->sk_ar;
  const struct ike_secret *open_e = sa->initiator ? &k->sk_er : &k->sk_ei;
  const struct ike_secret *open_a = sa->initiator ? &k->sk_ar : &k->sk_ai;
  return ike_sk_cipher_new(sa->xf.encr, sa->xf.encr_key_bits, sa->xf.integ,
                           ike_secret_view(seal_e), ike_secret_view(seal_a), IKE_SK_SEAL,
                           &sa->seal) == IKE_CRYPTO_OK &&
         ike_sk_cipher_new(sa->xf.encr, sa->xf.encr_key_bits, sa->xf.integ,
                           ike_secret_view(open_e), ike_secret_view(open_a), IKE_SK_OPEN,
                           &sa->open) == IKE_CRYPTO_OK;
}

static void set_transforms(struct nd_ike_sa *sa) {
  sa->xf = (struct ike_sa_transforms){
      .encr = sa->ike_sel.encr,
      .encr_key_bits = sa->ike_sel.encr_bits,
      .prf = sa->ike_sel.prf,
      .integ = sa->ike_sel.has_integ ? sa->ike_sel.integ : IKE_INTEG_NONE,
  };
}

/* SK_* = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) and the SK ciphers; consumes nothing. */
static bool keys_from_skeyseed(struct nd_ike_sa *sa, const struct ike_secret *skeyseed) {
  uint8_t spi_i[IKE_SPI_LEN], spi_r[IKE_SPI_LEN];
  put_be64(spi_i, sa->spi_i);
  put_be64(spi_r, sa->spi_r);
  struct ike_bytes ni = ike_bytes_of(sa->ni, sa->ni_len), nr = ike_bytes_of(sa->nr, sa->nr_len);
  enum ike_crypto_status st = ike_kdf_sa_keys(&sa->xf, skeyseed, ni, nr, spi_i, spi_r, &sa->keys);
  if (st != IKE_CRYPTO_OK) {
    ND_ERROR("ike#%llu: key derivation failed: %s", (unsigned long long)sa->id,
             ike_crypto_strerror(st));
    return false;
  }
  if (!make_ciphers(sa)) {
    ND_ERROR("ike#%llu: cannot set up the SK payload cipher", (unsigned long long)sa->id);
    return false;
  }
  return true;
}

bool nd_keys_derive(struct nd_ike_sa *sa, const struct ike_secret *shared) {
  set_transforms(sa);
  struct ike_secret skeyseed = {0};
  struct ike_bytes ni = ike_bytes_of(sa->ni, sa->ni_len), nr = ike_bytes_of(sa->nr, sa->nr_len);
  enum ike_crypto_status st =
      ike_kdf_skeyseed(sa->xf.prf, ni, nr, ike_secret_view(shared), &skeyseed);
  bool ok = st == IKE_CRYPTO_OK && keys_from_skeyseed(sa, &skeyseed);
  if (st != IKE_CRYPTO_OK)
    ND_ERROR("ike#%llu: SKEYSEED failed: %s", (unsigned long long)sa->id, ike_crypto_strerror(st));
  ike_secret_free(&skeyseed);
  return ok;
}

bool nd_keys_derive_rekey(struct nd_ike_sa *sa, const struct nd_ike_sa *old,
                          const struct ike_secret *shared) {
  set_transforms(sa);
  /* Both steps use the old SA's PRF when the PRF changes (as strongSwan does); our proposals
   * for a rekey are the configured ones, so in practice it does not change. */
  struct ike_secret skeyseed = {0};
  struct ike_bytes g_ir = ike_secret_view(shared);
  enum ike_crypto_status st =
      ike_kdf_rekey_skeyseed(old->xf.prf, &old->keys.sk_d, &g_ir, 1,
                             ike_bytes_of(sa->ni, sa->ni_len), ike_bytes_of(sa->nr, sa->nr_len),
                             &skeyseed);
  uint16_t new_prf = sa->xf.prf;
  sa->xf.prf = old->xf.prf;
  bool ok = st == IKE_CRYPTO_OK && keys_from_skeyseed(sa, &skeyseed);
  sa->xf.prf = new_prf;
  if (st != IKE_CRYPTO_OK)
    ND_ERROR("ike#%llu: rekey SKEYSEED failed: %s", (unsigned long long)sa->id,
             ike_crypto_strerror(st));
  ike_secret_free(&skeyseed);
  return ok;
}

uint8_t *nd_keys_signed_octets(const struct nd_ike_sa *sa, bool for_initiator,
                               const struct ike_id_payload *id, size_t *len) {
  const struct ike_prf_alg *prf = ike_prf_alg_find(sa->xf.prf);
  if (!prf)
    return NULL;
  uint8_t id_head[4] = {id->id_type, 0, 0, 0};
  struct ike_bytes id_parts[2] = {ike_bytes_of(id_head, 4), ike_bytes_of(id->data.ptr, id->data.len)};
  const struct ike_secret *sk_p = for_initiator ? &sa->keys.sk_pi : &sa->keys.sk_pr;
  uint8_t maced_id[IKE_PRF_MAX_OUT];
  if (ike_prf(prf->id, ike_secret_view(sk_p), id_parts, 2, maced_id, sizeof maced_id) !=
      IKE_CRYPTO_OK)
    return NULL;
  /* InitiatorSignedOctets = RealMessage1 | NonceRData | MACedIDForI, and mirrored. */
  const uint8_t *msg = for_initiator ? sa->init_req : sa->init_resp;
  size_t msg_len = for_initiator ? sa->init_req_len : sa->init_resp_len;
  const uint8_t *nonce = for_initiator ? sa->nr : sa->ni;
  size_t nonce_len = for_initiator ? sa->nr_len : sa->ni_len;
  uint8_t *out = malloc(msg_len + nonce_len + prf->out_len);
  if (!out)
    return NULL;
  memcpy(out, msg, msg_len);
  memcpy(out + msg_len, nonce, nonce_len);
  memcpy(out + msg_len + nonce_len, maced_id, prf->out_len);
  *len = msg_len + nonce_len + prf->out_len;
  return out;
}

bool nd_keys_psk_auth(const struct nd_ike_sa *sa, bool for_initiator, const uint8_t *psk,
                      size_t psk_len, const struct ike_id_payload *id, uint8_t *out,
                      size_t *out_len) {
  static const char key_pad[] = "Key Pad for IKEv2"; /* 17 octets, no NUL (RFC 7296 2.15) */
  const struct ike_prf_alg *prf = ike_prf_alg_find(sa->xf.prf);
  size_t octets_len = 0;
  uint8_t *octets = prf ? nd_keys_signed_octets(sa, for_initiator, id, &octets_len) : NULL;
  if (!octets)
    return false;
  uint8_t pad_key[IKE_PRF_MAX_OUT];
  struct ike_bytes pad = ike_bytes_of(key_pad, sizeof key_pad - 1);
  struct ike_bytes signed_octets = ike_bytes_of(octets, octets_len);
  /* AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>) */
  bool ok = ike_prf(prf->id, ike_bytes_of(psk, psk_len), &pad, 1, pad_key, sizeof pad_key) ==
                IKE_CRYPTO_OK &&
            ike_prf(prf->id, ike_bytes_of(pad_key, prf->out_len), &signed_octets, 1, out,
                    IKE_PRF_MAX_OUT) == IKE_CRYPTO_OK;
  OPENSSL_cleanse(pad_key, sizeof pad_key);
  free(octets);
  *out_len = ok ? prf->out_len : 0;
  return ok;
}

void nd_keys_drop_handshake(struct nd_ike_sa *sa) {
  ike_ke_free(sa->ke);
  sa->ke = NULL;
  free(sa->init_req);
  free(sa->init_resp);
  sa->init_req = sa->init_resp = NULL;
  sa->init_req_len = sa->init_resp_len = 0;
  free(sa->cookie);
  sa->cookie = NULL;
  sa->cookie_len = 0;
  ike_secret_free(&sa->keys.sk_pi); /* only AUTH uses them (RFC 7296 2.15) */
  ike_secret_free(&sa->keys.sk_pr);
}

void nd_keys_free(struct nd_ike_sa *sa) {
  ike_sk_cipher_free(sa->seal);
  ike_sk_cipher_free(sa->open);
  sa->seal = sa->open = NULL;
  ike_sa_keys_free(&sa->keys);
}
