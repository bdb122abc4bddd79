/* Sample messages (see ike_samples.h). Values follow RFC 7296 section 1 exchanges; public
 * keys, nonces and digests are fixed patterns or public test values (RFC 7748 X25519 keys). */
#include "ike_samples.h"

#include <string.h>

#include "ikecodec.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define VIEW(array) ((struct wire_view){(const uint8_t *)(array), sizeof(array)})

/* RFC 7748 6.1: Alice's and Bob's X25519 public keys. */
static const uint8_t x25519_alice[32] = {
    0x85, 0x20, 0xf0, 0x09, 0x89, 0x30, 0xa7, 0x54, 0x74, 0x8b, 0x7d, 0xdc, 0xb4, 0x3e, 0xf7, 0x5a,
    0x0d, 0xbf, 0x3a, 0x0d, 0x26, 0x38, 0x1a, 0xf4, 0xeb, 0xa4, 0xa9, 0x8e, 0xaa, 0x9b, 0x4e, 0x6a};
static const uint8_t x25519_bob[32] = {
    0xde, 0x9e, 0xdb, 0x7d, 0x7b, 0x7d, 0xc1, 0xb4, 0xd3, 0x5b, 0x61, 0xc2, 0xec, 0xe4, 0x35, 0x37,
    0x3f, 0x83, 0x43, 0xc8, 0x5b, 0x78, 0x67, 0x4d, 0xad, 0xfc, 0x7e, 0x14, 0x6f, 0x88, 0x2b, 0x4f};

static uint8_t nonce_i[32], nonce_r[32], nat_src[20], nat_dst[20], vendor_id[16];
static uint8_t ca_hash[20], auth_mac[32], cert_der[64];
static const uint8_t esp_spi_i[4] = {0xc0, 0x01, 0x02, 0x03};
static const uint8_t esp_spi_r[4] = {0xd0, 0x04, 0x05, 0x06};
static const char id_initiator[] = "initiator.example";
static const char id_responder[] = "responder.example";

static void fill_pattern(uint8_t *p, size_t n, uint8_t start) {
  for (size_t i = 0; i < n; i++)
    p[i] = (uint8_t)(start + i);
}

static void init_patterns(void) {
  fill_pattern(nonce_i, sizeof nonce_i, 0x00);
  fill_pattern(nonce_r, sizeof nonce_r, 0x80);
  fill_pattern(nat_src, sizeof nat_src, 0x40);
  fill_pattern(nat_dst, sizeof nat_dst, 0x60);
  fill_pattern(vendor_id, sizeof vendor_id, 0xa0);
  fill_pattern(ca_hash, sizeof ca_hash, 0x20);
  fill_pattern(auth_mac, sizeof auth_mac, 0xb0);
  fill_pattern(cert_der, sizeof cert_der, 0x30);
}

static struct ike_payload_out out(uint8_t type, const union ike_payload_body *body) {
  return (struct ike_payload_out){.type = type, .body = body};
}

static size_t build_message(uint8_t *buf, size_t cap, const struct ike_header *hdr,
                            const struct ike_payload_out *payloads, size_t count) {
  struct wire_writer w;
  wire_writer_init(&w, buf, cap);
  struct ike_build_info info;
  return ike_message_build(&w, hdr, payloads, count, &info, NULL) == IKE_OK ? info.length : 0;
}

static size_t build_chain(uint8_t *buf, size_t cap, const struct ike_payload_out *payloads,
                          size_t count, uint8_t *first) {
  struct wire_writer w;
  wire_writer_init(&w, buf, cap);
  struct ike_build_info info;
  return ike_chain_build(&w, payloads, count, first, &info, NULL) == IKE_OK ? info.length : 0;
}

static void notify(union ike_payload_body *b, uint16_t type, const void *data, size_t len) {
  b->notify = (struct ike_notify_payload){.type = type, .data = {data, len}};
}

/* Two IKE proposals: AEAD (AES-GCM-16-256, PRF-SHA512, X25519 or P-256) and classic
 * (AES-CBC-256, HMAC-SHA2-256-128, PRF-SHA256, MODP-2048). */
static void ike_proposals(struct ike_sa_payload *sa) {
  sa->proposal_count = sa->transform_count = 0;
  ike_sa_add_proposal(sa, 1, IKE_PROTO_IKE, (struct wire_view){NULL, 0});
  ike_sa_add_transform(sa, IKE_TRANSFORM_ENCR, 20, 256);
  ike_sa_add_transform(sa, IKE_TRANSFORM_PRF, 7, 0);
  ike_sa_add_transform(sa, IKE_TRANSFORM_KE, 31, 0);
  ike_sa_add_transform(sa, IKE_TRANSFORM_KE, 19, 0);
  ike_sa_add_proposal(sa, 2, IKE_PROTO_IKE, (struct wire_view){NULL, 0});
  ike_sa_add_transform(sa, IKE_TRANSFORM_ENCR, 12, 256);
  ike_sa_add_transform(sa, IKE_TRANSFORM_INTEG, 12, 0);
  ike_sa_add_transform(sa, IKE_TRANSFORM_PRF, 5, 0);
  ike_sa_add_transform(sa, IKE_TRANSFORM_KE, 14, 0);
}

size_t sample_ike_sa_init_request(uint8_t *buf, size_t cap) {
  static union ike_payload_body sa, ke, ni, n_src, n_dst, n_frag, v;
  init_patterns();
  ike_proposals(&sa.sa);
  ke.ke = (struct ike_ke_payload){.ke_method = 31, .data = VIEW(x25519_alice)};
  ni.nonce.data = VIEW(nonce_i);
  notify(&n_src, IKE_N_NAT_DETECTION_SOURCE_IP, nat_src, sizeof nat_src);
  notify(&n_dst, IKE_N_NAT_DETECTION_DESTINATION_IP, nat_dst, sizeof nat_dst);
  notify(&n_frag, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
  v.vendor.data = VIEW(vendor_id);
  const struct ike_payload_out payloads[] = {
      out(IKE_PT_SA, &sa),        out(IKE_PT_KE, &ke),        out(IKE_PT_NONCE, &ni),
      out(IKE_PT_NOTIFY, &n_src), out(IKE_PT_NOTIFY, &n_dst), out(IKE_PT_NOTIFY, &n_frag),
      out(IKE_PT_VENDOR, &v)};
  struct ike_header hdr;
  ike_header_init(&hdr, IKE_EXCH_IKE_SA_INIT, IKE_FLAG_INITIATOR, 0, SAMPLE_SPI_I64, 0);
  return build_message(buf, cap, &hdr, payloads, ARRAY_LEN(payloads));
}

size_t sample_ike_sa_init_response(uint8_t *buf, size_t cap) {
  static union ike_payload_body sa, ke, nr, certreq, n_src, n_dst, n_frag;
  init_patterns();
  sa.sa.proposal_count = sa.sa.transform_count = 0;
  ike_sa_add_proposal(&sa.sa, 1, IKE_PROTO_IKE, (struct wire_view){NULL, 0});
  ike_sa_add_transform(&sa.sa, IKE_TRANSFORM_ENCR, 20, 256);
  ike_sa_add_transform(&sa.sa, IKE_TRANSFORM_PRF, 7, 0);
  ike_sa_add_transform(&sa.sa, IKE_TRANSFORM_KE, 31, 0);
  ke.ke = (struct ike_ke_payload){.ke_method = 31, .data = VIEW(x25519_bob)};
  nr.nonce.data = VIEW(nonce_r);
  certreq.cert =
      (struct ike_cert_payload){.encoding = IKE_CERT_X509_SIGNATURE, .data = VIEW(ca_hash)};
  notify(&n_src, IKE_N_NAT_DETECTION_SOURCE_IP, nat_dst, sizeof nat_dst);
  notify(&n_dst, IKE_N_NAT_DETECTION_DESTINATION_IP, nat_src, sizeof nat_src);
  notify(&n_frag, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
  const struct ike_payload_out payloads[] = {
      out(IKE_PT_SA, &sa),           out(IKE_PT_KE, &ke),        out(IKE_PT_NONCE, &nr),
      out(IKE_PT_CERTREQ, &certreq), out(IKE_PT_NOTIFY, &n_src), out(IKE_PT_NOTIFY, &n_dst),
      out(IKE_PT_NOTIFY, &n_frag)};
  struct ike_header hdr;
  ike_header_init(&hdr, IKE_EXCH_IKE_SA_INIT, IKE_FLAG_RESPONSE, 0, SAMPLE_SPI_I64, SAMPLE_SPI_R64);
  return build_message(buf, cap, &hdr, payloads, ARRAY_LEN(payloads));
}

size_t sample_cookie_response(uint8_t *buf, size_t cap) {
  static const uint8_t cookie[] = {0x00, 0x00, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef,
                                   0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80};
  static union ike_payload_body n_cookie;
  notify(&n_cookie, IKE_N_COOKIE, cookie, sizeof cookie);
  const struct ike_payload_out payloads[] = {out(IKE_PT_NOTIFY, &n_cookie)};
  struct ike_header hdr;
  ike_header_init(&hdr, IKE_EXCH_IKE_SA_INIT, IKE_FLAG_RESPONSE, 0, SAMPLE_SPI_I64, 0);
  return build_message(buf, cap, &hdr, payloads, ARRAY_LEN(payloads));
}

size_t sample_protected_message(uint8_t *buf, size_t cap, uint8_t exchange, uint8_t flags,
                                uint32_t message_id, uint8_t first_inner, size_t encrypted_len) {
  static uint8_t encrypted[2048];
  if (encrypted_len > sizeof encrypted)
    return 0;
  fill_pattern(encrypted, encrypted_len, 0x5a);
  static union ike_payload_body sk;
  sk.sk =
      (struct ike_sk_payload){.first_inner = first_inner, .encrypted = {encrypted, encrypted_len}};
  const struct ike_payload_out payloads[] = {out(IKE_PT_SK, &sk)};
  struct ike_header hdr;
  ike_header_init(&hdr, exchange, flags, message_id, SAMPLE_SPI_I64, SAMPLE_SPI_R64);
  return build_message(buf, cap, &hdr, payloads, ARRAY_LEN(payloads));
}

size_t sample_fragment_message(uint8_t *buf, size_t cap, uint16_t number, uint16_t total,
                               uint8_t first_inner) {
  static uint8_t encrypted[96];
  fill_pattern(encrypted, sizeof encrypted, (uint8_t)number);
  static union ike_payload_body skf;
  skf.skf = (struct ike_skf_payload){.first_inner = number == 1 ? first_inner : 0,
                                     .fragment_number = number,
                                     .total_fragments = total,
                                     .encrypted = VIEW(encrypted)};
  const struct ike_payload_out payloads[] = {out(IKE_PT_SKF, &skf)};
  struct ike_header hdr;
  ike_header_init(&hdr, IKE_EXCH_IKE_AUTH, IKE_FLAG_INITIATOR, 1, SAMPLE_SPI_I64, SAMPLE_SPI_R64);
  return build_message(buf, cap, &hdr, payloads, ARRAY_LEN(payloads));
}

/* ---- inner chains --------------------------------------------------------------------------- */

static void esp_proposal(struct ike_sa_payload *sa, const uint8_t spi[4]) {
  sa->proposal_count = sa->transform_count = 0;
  ike_sa_add_proposal(sa, 1, IKE_PROTO_ESP, (struct wire_view){spi, 4});
  ike_sa_add_transform(sa, IKE_TRANSFORM_ENCR, 20, 256);
  ike_sa_add_transform(sa, IKE_TRANSFORM_SN, 0, 0);
}

static void ipv4_range(struct ike_ts *ts, uint8_t net) {
  *ts = (struct ike_ts){.type = IKE_TS_IPV4_ADDR_RANGE, .end_port = 0xffff};
  memcpy(ts->start_addr, (const uint8_t[]){10, net, 0, 0}, 4);
  memcpy(ts->end_addr, (const uint8_t[]){10, net, 0, 255}, 4);
}

static void ipv6_range(struct ike_ts *ts) {
  *ts = (struct ike_ts){
      .type = IKE_TS_IPV6_ADDR_RANGE, .ip_protocol = 17, .start_port = 500, .end_port = 500};
  static const uint8_t prefix[8] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0};
  memcpy(ts->start_addr, prefix, 8);
  memcpy(ts->end_addr, prefix, 8);
  memset(ts->end_addr + 8, 0xff, 8);
}

static void traffic_selectors(union ike_payload_body *tsi, union ike_payload_body *tsr) {
  tsi->ts.count = 1;
  ipv4_range(&tsi->ts.selectors[0], 1);
  tsr->ts.count = 2;
  ipv4_range(&tsr->ts.selectors[0], 2);
  ipv6_range(&tsr->ts.selectors[1]);
}

size_t sample_ike_auth_request_inner(uint8_t *buf, size_t cap, uint8_t *first) {
  static union ike_payload_body idi, cert, n_ic, certreq, idr, auth, cp, sa, tsi, tsr;
  init_patterns();
  idi.id = (struct ike_id_payload){IKE_ID_FQDN,
                                   {(const uint8_t *)id_initiator, sizeof id_initiator - 1}};
  cert.cert = (struct ike_cert_payload){IKE_CERT_X509_SIGNATURE, VIEW(cert_der)};
  notify(&n_ic, IKE_N_INITIAL_CONTACT, NULL, 0);
  certreq.cert = (struct ike_cert_payload){IKE_CERT_X509_SIGNATURE, VIEW(ca_hash)};
  idr.id = (struct ike_id_payload){IKE_ID_FQDN,
                                   {(const uint8_t *)id_responder, sizeof id_responder - 1}};
  auth.auth = (struct ike_auth_payload){.method = 2, .data = VIEW(auth_mac)};
  cp.cp = (struct ike_cp_payload){.cfg_type = IKE_CFG_REQUEST, .count = 2};
  cp.cp.attrs[0] = (struct ike_cp_attr){.type = 1}; /* INTERNAL_IP4_ADDRESS */
  cp.cp.attrs[1] = (struct ike_cp_attr){.type = 3}; /* INTERNAL_IP4_DNS */
  esp_proposal(&sa.sa, esp_spi_i);
  traffic_selectors(&tsi, &tsr);
  const struct ike_payload_out payloads[] = {
      out(IKE_PT_IDI, &idi),         out(IKE_PT_CERT, &cert), out(IKE_PT_NOTIFY, &n_ic),
      out(IKE_PT_CERTREQ, &certreq), out(IKE_PT_IDR, &idr),   out(IKE_PT_AUTH, &auth),
      out(IKE_PT_CP, &cp),           out(IKE_PT_SA, &sa),     out(IKE_PT_TSI, &tsi),
      out(IKE_PT_TSR, &tsr)};
  return build_chain(buf, cap, payloads, ARRAY_LEN(payloads), first);
}

size_t sample_ike_auth_response_inner(uint8_t *buf, size_t cap, uint8_t *first) {
  static const uint8_t assigned_ip[4] = {10, 1, 0, 7};
  static union ike_payload_body idr, auth, cp, sa, tsi, tsr, n_tfc;
  init_patterns();
  idr.id = (struct ike_id_payload){IKE_ID_FQDN,
                                   {(const uint8_t *)id_responder, sizeof id_responder - 1}};
  auth.auth = (struct ike_auth_payload){.method = 2, .data = VIEW(auth_mac)};
  cp.cp = (struct ike_cp_payload){.cfg_type = IKE_CFG_REPLY, .count = 1};
  cp.cp.attrs[0] = (struct ike_cp_attr){.type = 1, .value = VIEW(assigned_ip)};
  esp_proposal(&sa.sa, esp_spi_r);
  traffic_selectors(&tsi, &tsr);
  notify(&n_tfc, IKE_N_ESP_TFC_PADDING_NOT_SUPPORTED, NULL, 0);
  const struct ike_payload_out payloads[] = {out(IKE_PT_IDR, &idr),     out(IKE_PT_AUTH, &auth),
                                             out(IKE_PT_CP, &cp),       out(IKE_PT_SA, &sa),
                                             out(IKE_PT_TSI, &tsi),     out(IKE_PT_TSR, &tsr),
                                             out(IKE_PT_NOTIFY, &n_tfc)};
  return build_chain(buf, cap, payloads, ARRAY_LEN(payloads), first);
}

size_t sample_create_child_request_inner(uint8_t *buf, size_t cap, uint8_t *first) {
  static union ike_payload_body n_rekey, sa, ni, ke, tsi, tsr;
  init_patterns();
  n_rekey.notify = (struct ike_notify_payload){
      .protocol = IKE_PROTO_ESP, .type = IKE_N_REKEY_SA, .spi = VIEW(esp_spi_i)};
  esp_proposal(&sa.sa, esp_spi_i);
  ike_sa_add_transform(&sa.sa, IKE_TRANSFORM_KE, 31, 0);
  ni.nonce.data = VIEW(nonce_i);
  ke.ke = (struct ike_ke_payload){.ke_method = 31, .data = VIEW(x25519_alice)};
  traffic_selectors(&tsi, &tsr);
  const struct ike_payload_out payloads[] = {out(IKE_PT_NOTIFY, &n_rekey), out(IKE_PT_SA, &sa),
                                             out(IKE_PT_NONCE, &ni),       out(IKE_PT_KE, &ke),
                                             out(IKE_PT_TSI, &tsi),        out(IKE_PT_TSR, &tsr)};
  return build_chain(buf, cap, payloads, ARRAY_LEN(payloads), first);
}

size_t sample_informational_delete_inner(uint8_t *buf, size_t cap, uint8_t *first) {
  static const uint8_t spis[8] = {0xc0, 0x01, 0x02, 0x03, 0xc0, 0x0a, 0x0b, 0x0c};
  static union ike_payload_body del;
  del.del = (struct ike_delete_payload){
      .protocol = IKE_PROTO_ESP, .spi_size = 4, .spi_count = 2, .spis = VIEW(spis)};
  const struct ike_payload_out payloads[] = {out(IKE_PT_DELETE, &del)};
  return build_chain(buf, cap, payloads, ARRAY_LEN(payloads), first);
}
