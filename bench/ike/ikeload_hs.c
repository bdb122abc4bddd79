#include "ikeload_hs.h"

#include <arpa/inet.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "ikecodec.h"

enum { AUTH_METHOD_PSK = 2, ESP_SPI_LEN = 4, COOKIE_MAX = 64 };

static const struct ike_sa_transforms ike_suite = {.encr = IKE_ENCR_AES_GCM_16,
                                                   .encr_key_bits = 256,
                                                   .prf = IKE_PRF_HMAC_SHA2_256,
                                                   .integ = IKE_INTEG_NONE};

int hs_profile_init(struct hs_profile *p, const char *psk, const char *id, const char *local_net,
                    const char *remote_net) {
  memset(p, 0, sizeof *p);
  p->psk = psk;
  p->id = id;
  if (inet_pton(AF_INET, local_net, p->local_net) != 1 ||
      inet_pton(AF_INET, remote_net, p->remote_net) != 1)
    return -1;
  return ike_ke_initiate(IKE_KE_CURVE25519, &p->ke) == IKE_CRYPTO_OK ? 0 : -1;
}

void hs_profile_free(struct hs_profile *p) {
  ike_ke_free(p->ke);
  p->ke = NULL;
}

static bool fail(struct hs *h, const char *why) {
  h->state = HS_FAILED;
  h->error = why;
  return false;
}

/* ---- IKE_SA_INIT ----------------------------------------------------------------------------- */

static bool build_init(struct hs *h, const struct hs_profile *p, struct wire_view cookie) {
  union ike_payload_body sa = {0}, ke, nonce, n_cookie;
  ike_sa_add_proposal(&sa.sa, 1, IKE_PROTO_IKE, (struct wire_view){NULL, 0});
  ike_sa_add_transform(&sa.sa, IKE_TRANSFORM_ENCR, IKE_ENCR_AES_GCM_16, 256);
  ike_sa_add_transform(&sa.sa, IKE_TRANSFORM_PRF, IKE_PRF_HMAC_SHA2_256, 0);
  ike_sa_add_transform(&sa.sa, IKE_TRANSFORM_KE, IKE_KE_CURVE25519, 0);
  uint8_t pub[32];
  size_t pub_len = 0;
  if (ike_ke_public_value(p->ke, pub, sizeof pub, &pub_len) != IKE_CRYPTO_OK)
    return fail(h, "no public value");
  ke.ke = (struct ike_ke_payload){IKE_KE_CURVE25519, {pub, pub_len}};
  nonce.nonce.data = (struct wire_view){h->ni, HS_NONCE};
  n_cookie.notify = (struct ike_notify_payload){.type = IKE_N_COOKIE, .data = cookie};
  static const uint8_t no_match[20]; /* a SHA-1 no real address and port hash to */
  union ike_payload_body natd_src, natd_dst;
  natd_src.notify = (struct ike_notify_payload){.type = IKE_N_NAT_DETECTION_SOURCE_IP,
                                                .data = {no_match, sizeof no_match}};
  natd_dst.notify = (struct ike_notify_payload){.type = IKE_N_NAT_DETECTION_DESTINATION_IP,
                                                .data = {no_match, sizeof no_match}};
  struct ike_payload_out out[6];
  size_t n = 0;
  if (cookie.len)
    out[n++] = (struct ike_payload_out){.type = IKE_PT_NOTIFY, .body = &n_cookie};
  out[n++] = (struct ike_payload_out){.type = IKE_PT_SA, .body = &sa};
  out[n++] = (struct ike_payload_out){.type = IKE_PT_KE, .body = &ke};
  out[n++] = (struct ike_payload_out){.type = IKE_PT_NONCE, .body = &nonce};
  if (p->natt) {
    out[n++] = (struct ike_payload_out){.type = IKE_PT_NOTIFY, .body = &natd_src};
    out[n++] = (struct ike_payload_out){.type = IKE_PT_NOTIFY, .body = &natd_dst};
  }
  struct ike_header hdr;
  ike_header_init(&hdr, IKE_EXCH_IKE_SA_INIT, IKE_FLAG_INITIATOR, 0, h->spi_i, 0);
  struct wire_writer w;
  struct ike_build_info info;
  wire_writer_init(&w, h->init_request, sizeof h->init_request);
  if (ike_message_build(&w, &hdr, out, n, &info, NULL) != IKE_OK)
    return fail(h, "cannot build IKE_SA_INIT");
  h->init_request_len = info.length;
  memcpy(h->request, h->init_request, info.length);
  h->request_len = info.length;
  h->state = HS_INIT_SENT;
  return true;
}

/* The profile's identity with "%u" replaced by seq. False when it does not fit. */
static bool format_id(char out[HS_MAX_ID + 1], const char *pattern, unsigned seq) {
  const char *mark = strstr(pattern, "%u");
  int n = mark ? snprintf(out, HS_MAX_ID + 1, "%.*s%u%s", (int)(mark - pattern), pattern, seq,
                          mark + 2)
               : snprintf(out, HS_MAX_ID + 1, "%s", pattern);
  return n > 0 && n <= HS_MAX_ID;
}

int hs_start(struct hs *h, const struct hs_profile *p, uint64_t spi_i, unsigned seq) {
  hs_clear(h);
  h->spi_i = spi_i;
  if (!format_id(h->id, p->id, seq))
    return -1;
  if (RAND_bytes(h->ni, HS_NONCE) != 1)
    return -1;
  return build_init(h, p, (struct wire_view){NULL, 0}) ? 0 : -1;
}

/* ---- IKE_AUTH -------------------------------------------------------------------------------- */

/* AUTH = prf(prf(PSK, "Key Pad for IKEv2"), IKE_SA_INIT request | Nr | prf(SK_pi, IDi body)),
 * RFC 7296 2.15. */
static bool psk_auth(const struct hs *h, const struct hs_profile *p, const uint8_t *id_body,
                     size_t id_len, uint8_t out[32]) {
  static const char pad[] = "Key Pad for IKEv2";
  uint8_t macid[32], pad_key[32];
  struct ike_bytes id = ike_bytes_of(id_body, id_len), pad_bytes = ike_bytes_of(pad, 17);
  const struct ike_bytes octets[] = {ike_bytes_of(h->init_request, h->init_request_len),
                                     ike_bytes_of(h->nr, h->nr_len), ike_bytes_of(macid, 32)};
  bool ok = ike_prf(IKE_PRF_HMAC_SHA2_256, ike_secret_view(&h->keys.sk_pi), &id, 1, macid, 32) ==
                IKE_CRYPTO_OK &&
            ike_prf(IKE_PRF_HMAC_SHA2_256, ike_bytes_of(p->psk, strlen(p->psk)), &pad_bytes, 1,
                    pad_key, 32) == IKE_CRYPTO_OK &&
            ike_prf(IKE_PRF_HMAC_SHA2_256, ike_bytes_of(pad_key, 32), octets, 3, out, 32) ==
                IKE_CRYPTO_OK;
  OPENSSL_cleanse(pad_key, sizeof pad_key);
  return ok;
}

static void single_ts(union ike_payload_body *b, const uint8_t addr[4]) {
  memset(b, 0, sizeof *b);
  b->ts.count = 1;
  struct ike_ts *ts = &b->ts.selectors[0];
  ts->type = IKE_TS_IPV4_ADDR_RANGE;
  ts->end_port = 65535;
  memcpy(ts->start_addr, addr, 4);
  memcpy(ts->end_addr, addr, 4);
}

/* The inner payloads IDi, AUTH, SA (ESP), TSi, TSr into plain; returns the first type or 0. */
static uint8_t build_auth_inner(const struct hs *h, const struct hs_profile *p, uint8_t *plain,
                                size_t cap, size_t *len) {
  size_t id_len = strlen(h->id);
  uint8_t id_body[4 + HS_MAX_ID] = {IKE_ID_RFC822_ADDR}, auth[32], spi[ESP_SPI_LEN];
  if (id_len > HS_MAX_ID || RAND_bytes(spi, sizeof spi) != 1)
    return 0;
  memcpy(id_body + 4, h->id, id_len);
  if (!psk_auth(h, p, id_body, 4 + id_len, auth))
    return 0;
  union ike_payload_body idi, auth_body, sa = {0}, tsi, tsr;
  idi.id = (struct ike_id_payload){IKE_ID_RFC822_ADDR, {(const uint8_t *)h->id, id_len}};
  auth_body.auth = (struct ike_auth_payload){AUTH_METHOD_PSK, {auth, sizeof auth}};
  ike_sa_add_proposal(&sa.sa, 1, IKE_PROTO_ESP, (struct wire_view){spi, sizeof spi});
  ike_sa_add_transform(&sa.sa, IKE_TRANSFORM_ENCR, IKE_ENCR_AES_GCM_16, 256);
  ike_sa_add_transform(&sa.sa, IKE_TRANSFORM_SN, 0, 0);
  single_ts(&tsi, p->local_net);
  single_ts(&tsr, p->remote_net);
  const struct ike_payload_out out[] = {{.type = IKE_PT_IDI, .body = &idi},
                                        {.type = IKE_PT_AUTH, .body = &auth_body},
                                        {.type = IKE_PT_SA, .body = &sa},
                                        {.type = IKE_PT_TSI, .body = &tsi},
                                        {.type = IKE_PT_TSR, .body = &tsr}};
  struct wire_writer w;
  struct ike_build_info info;
  uint8_t first = 0;
  wire_writer_init(&w, plain, cap);
  if (ike_chain_build(&w, out, 5, &first, &info, NULL) != IKE_OK)
    return 0;
  *len = info.length;
  return first;
}

static bool new_cipher(struct ike_secret *key, enum ike_sk_role role, struct ike_sk_cipher **c) {
  return ike_sk_cipher_new(IKE_ENCR_AES_GCM_16, 256, IKE_INTEG_NONE, ike_secret_view(key),
                           ike_bytes_of(NULL, 0), role, c) == IKE_CRYPTO_OK;
}

static bool build_auth(struct hs *h, const struct hs_profile *p) {
  uint8_t plain[HS_MAX_MSG];
  size_t plain_len = 0;
  uint8_t first = build_auth_inner(h, p, plain, sizeof plain, &plain_len);
  struct ike_sk_cipher *seal = NULL;
  if (!first || !new_cipher(&h->keys.sk_ei, IKE_SK_SEAL, &seal))
    return fail(h, "cannot build IKE_AUTH");
  union ike_payload_body sk;
  sk.sk = (struct ike_sk_payload){first, {NULL, ike_sk_body_len(seal, plain_len)}};
  const struct ike_payload_out out = {.type = IKE_PT_SK, .body = &sk};
  struct ike_header hdr;
  ike_header_init(&hdr, IKE_EXCH_IKE_AUTH, IKE_FLAG_INITIATOR, 1, h->spi_i, h->spi_r);
  struct wire_writer w;
  struct ike_build_info info;
  size_t body_len = 0;
  wire_writer_init(&w, h->request, sizeof h->request);
  bool ok = ike_message_build(&w, &hdr, &out, 1, &info, NULL) == IKE_OK &&
            ike_sk_seal(seal, ike_bytes_of(h->request, info.encrypted_offset),
                        ike_bytes_of(plain, plain_len), h->request + info.encrypted_offset,
                        sizeof h->request - info.encrypted_offset, &body_len) == IKE_CRYPTO_OK;
  ike_sk_cipher_free(seal);
  OPENSSL_cleanse(plain, sizeof plain);
  if (!ok)
    return fail(h, "cannot protect IKE_AUTH");
  h->request_len = info.length;
  h->state = HS_AUTH_SENT;
  return true;
}

/* ---- responses ------------------------------------------------------------------------------- */

static bool first_error(const struct ike_chain *chain, const char **why) {
  for (size_t i = 0; i < chain->count; i++)
    if (chain->payloads[i].type == IKE_PT_NOTIFY &&
        ike_notify_is_error(ike_ref_notify_type(&chain->payloads[i]))) {
      *why = ike_notify_name(ike_ref_notify_type(&chain->payloads[i]));
      return true;
    }
  return false;
}

static bool derive_keys(struct hs *h, const struct hs_profile *p, struct wire_view peer_ke) {
  struct ike_secret shared = {0}, skeyseed = {0};
  struct ike_bytes ni = ike_bytes_of(h->ni, HS_NONCE), nr = ike_bytes_of(h->nr, h->nr_len);
  uint8_t spi_i[8], spi_r[8];
  for (int i = 0; i < 8; i++) {
    spi_i[i] = (uint8_t)(h->spi_i >> (56 - 8 * i));
    spi_r[i] = (uint8_t)(h->spi_r >> (56 - 8 * i));
  }
  bool ok =
      ike_ke_finish(p->ke, ike_bytes_of(peer_ke.ptr, peer_ke.len), &shared) == IKE_CRYPTO_OK &&
      ike_kdf_skeyseed(IKE_PRF_HMAC_SHA2_256, ni, nr, ike_secret_view(&shared), &skeyseed) ==
          IKE_CRYPTO_OK &&
      ike_kdf_sa_keys(&ike_suite, &skeyseed, ni, nr, spi_i, spi_r, &h->keys) == IKE_CRYPTO_OK;
  ike_secret_free(&shared);
  ike_secret_free(&skeyseed);
  return ok;
}

static bool on_init_response(struct hs *h, const struct hs_profile *p,
                             const struct ike_message *m) {
  const struct ike_chain *c = &m->clear;
  int cookie = ike_chain_find_notify(c, IKE_N_COOKIE);
  union ike_payload_body ke, nonce, n;
  if (cookie >= 0 && ike_chain_decode(&c->payloads[cookie], &n) == IKE_OK &&
      n.notify.data.len <= COOKIE_MAX) {
    uint8_t copy[COOKIE_MAX];
    memcpy(copy, n.notify.data.ptr, n.notify.data.len);
    return build_init(h, p, (struct wire_view){copy, n.notify.data.len});
  }
  const char *why = NULL;
  if (first_error(c, &why))
    return fail(h, why);
  int i_ke = ike_chain_find(c, IKE_PT_KE, 0), i_nonce = ike_chain_find(c, IKE_PT_NONCE, 0);
  if (i_ke < 0 || i_nonce < 0 || ike_chain_decode(&c->payloads[i_ke], &ke) != IKE_OK ||
      ike_chain_decode(&c->payloads[i_nonce], &nonce) != IKE_OK ||
      nonce.nonce.data.len > sizeof h->nr)
    return fail(h, "IKE_SA_INIT response without KE or Nonce");
  h->spi_r = m->hdr.spi_r;
  h->nr_len = nonce.nonce.data.len;
  memcpy(h->nr, nonce.nonce.data.ptr, h->nr_len);
  if (!derive_keys(h, p, ke.ke.data))
    return fail(h, "key derivation failed");
  return build_auth(h, p);
}

static void on_auth_response(struct hs *h, const struct ike_message *m) {
  if (m->encrypted_index < 0 || m->clear.payloads[m->encrypted_index].type != IKE_PT_SK) {
    fail(h, "IKE_AUTH response not protected");
    return;
  }
  const struct ike_payload_ref *sk = &m->clear.payloads[m->encrypted_index];
  struct ike_sk_cipher *open = NULL;
  uint8_t plain[HS_MAX_MSG];
  size_t plain_len = 0;
  struct ike_chain inner;
  bool ok = new_cipher(&h->keys.sk_er, IKE_SK_OPEN, &open) &&
            ike_sk_open_body(open, ike_bytes_of(m->aad.ptr, m->aad.len),
                             ike_bytes_of(sk->body.ptr, sk->body.len), plain, sizeof plain,
                             &plain_len) == IKE_CRYPTO_OK &&
            ike_inner_parse(sk->next_payload, plain, plain_len, &inner, NULL) == IKE_OK;
  ike_sk_cipher_free(open);
  const char *why = NULL;
  if (!ok)
    why = "IKE_AUTH response does not open or parse";
  else if (!first_error(&inner, &why) &&
           (ike_chain_find(&inner, IKE_PT_AUTH, 0) < 0 || ike_chain_find(&inner, IKE_PT_SA, 0) < 0))
    why = "IKE_AUTH response without AUTH or Child SA";
  if (why)
    fail(h, why);
  else
    h->state = HS_DONE;
}

bool hs_receive(struct hs *h, const struct hs_profile *p, const uint8_t *msg, size_t len) {
  struct ike_message m;
  if (ike_message_parse(msg, len, &m, NULL) != IKE_OK || !ike_header_is_response(&m.hdr) ||
      m.hdr.spi_i != h->spi_i)
    return false;
  if (h->state == HS_INIT_SENT && m.hdr.exchange == IKE_EXCH_IKE_SA_INIT)
    return on_init_response(h, p, &m);
  if (h->state == HS_AUTH_SENT && m.hdr.exchange == IKE_EXCH_IKE_AUTH && m.hdr.message_id == 1 &&
      m.hdr.spi_r == h->spi_r)
    on_auth_response(h, &m);
  return false;
}

void hs_clear(struct hs *h) {
  ike_sa_keys_free(&h->keys);
  memset(h, 0, sizeof *h);
}
