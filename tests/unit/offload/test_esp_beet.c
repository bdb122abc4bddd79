/* BEET mode (RFC 7402 appendix B) in the soft engine.
 *
 * Known packets: a fixed SA, SN and IV seal hand-built inner packets; the wire packet is then
 * taken apart here, independently of the engine: outer header fields, ESP header, and the
 * ciphertext decrypted with OpenSSL directly (AES-GCM, nonce = salt | IV, AAD = SPI | SN). The
 * plaintext must be the inner packet minus its IP header (no inner header in BEET), preceded by
 * the BEET pseudo header when the inner IPv4 header has options, followed by the RFC 4303
 * trailer whose next header names the inner protocol (or 94, the pseudo header). Decap must
 * rebuild the inner packet byte for byte; damaged pseudo headers are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "esp_engine.h"
#include "nicsec/hal.h"
#include "test_util.h"

enum { BUF = 2048, SPI = 0x1000, SEQ = 5, ICV = 16, UDP_PAYLOAD = 12 };
static const uint8_t iv[ESP_IV_LEN] = {0, 1, 2, 3, 4, 5, 6, 7};

static struct nicsec_hal_sa beet_sa(enum nicsec_hal_dir dir, bool v6) {
  struct nicsec_hal_sa sa = {.dir = dir,
                             .offload = NICSEC_HAL_OFFLOAD_PACKET,
                             .mode = NICSEC_HAL_MODE_BEET,
                             .spi = SPI,
                             .alg = NICSEC_HAL_ALG_AES_GCM_128,
                             .key_len = 16,
                             .icv_len = ICV,
                             .salt = {0xde, 0xad, 0xbe, 0xef},
                             .replay_window = 64};
  for (uint8_t i = 0; i < 16; i++)
    sa.key[i] = (uint8_t)(0x10 + i);
  sa.src = tu_addr(v6 ? "2001:db8::1" : "192.0.2.1");
  sa.dst = tu_addr(v6 ? "2001:db8::2" : "198.51.100.2");
  sa.beet.src = tu_addr(v6 ? "2001:db8:1::1" : "10.1.0.1");
  sa.beet.dst = tu_addr(v6 ? "2001:db8:2::1" : "10.2.0.1");
  return sa;
}

/* Inner IPv4/UDP packet with distinctive TOS, ID, DF and TTL, and opt_len octets of options. */
static size_t inner_v4(uint8_t *p, const uint8_t *opts, size_t opt_len) {
  size_t hdr = 20 + opt_len, total = hdr + 8 + UDP_PAYLOAD;
  const uint8_t base[20] = {(uint8_t)(0x40 | hdr / 4),
                            0x28,
                            0,
                            (uint8_t)total,
                            0x12,
                            0x34,
                            0x40,
                            0,
                            33,
                            17,
                            0,
                            0,
                            10,
                            1,
                            0,
                            1,
                            10,
                            2,
                            0,
                            1};
  memcpy(p, base, 20);
  if (opt_len)
    memcpy(p + 20, opts, opt_len);
  p[10] = (uint8_t)(tu_checksum(p, hdr, 0) >> 8);
  p[11] = (uint8_t)tu_checksum(p, hdr, 0);
  const uint8_t udp[8] = {0x04, 0xd2, 0x16, 0x2e, 0, 8 + UDP_PAYLOAD, 0, 0};
  memcpy(p + hdr, udp, 8);
  for (size_t i = 0; i < UDP_PAYLOAD; i++)
    p[hdr + 8 + i] = (uint8_t)(0xa0 + i);
  return total;
}

static size_t inner_v6(uint8_t *p) {
  size_t len = tu_udp6_packet(p, "2001:db8:1::1", "2001:db8:2::1", 1234, 5678, UDP_PAYLOAD);
  p[1] = 0xa5; /* traffic class / flow label bits that must survive */
  p[7] = 17;   /* hop limit */
  return len;
}

/* Decrypts the ESP packet with OpenSSL alone; returns the plaintext length (trailer kept). */
static size_t independent_open(const uint8_t *esp, size_t esp_len, uint8_t *pt) {
  const struct nicsec_hal_sa sa = beet_sa(NICSEC_HAL_DIR_IN, false);
  uint8_t nonce[12];
  memcpy(nonce, sa.salt, 4);
  memcpy(nonce + 4, esp + 8, 8);
  size_t ct_len = esp_len - 16 - ICV;
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  int outl = 0, finl = 0;
  assert_int_equal(EVP_DecryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, sa.key, nonce), 1);
  assert_int_equal(EVP_DecryptUpdate(ctx, NULL, &outl, esp, 8), 1); /* AAD: SPI | SN */
  assert_int_equal(EVP_DecryptUpdate(ctx, pt, &outl, esp + 16, (int)ct_len), 1);
  assert_int_equal(
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, ICV, (void *)(esp + 16 + ct_len)), 1);
  assert_int_equal(EVP_DecryptFinal_ex(ctx, pt + outl, &finl), 1);
  EVP_CIPHER_CTX_free(ctx);
  return ct_len;
}

/* Seals inner with the fixed SN and IV; returns the wire length. */
static size_t seal_known(const uint8_t *inner, size_t inner_len, bool v6, uint8_t *wire) {
  struct nicsec_hal_sa desc = beet_sa(NICSEC_HAL_DIR_OUT, v6);
  struct soft_sa sa;
  assert_int_equal(soft_sa_init(&sa, &desc), NICSEC_HAL_OK);
  size_t len = 0;
  assert_int_equal(soft_esp_build(&sa, SEQ, iv, inner, inner_len, wire, BUF, &len), NICSEC_HAL_OK);
  soft_sa_wipe(&sa);
  return len;
}

/* Decap through the engine; returns its verdict and the rebuilt packet. */
static enum nicsec_hal_err open_wire(const uint8_t *wire, size_t len, bool v6, uint8_t *out,
                                     size_t *out_len) {
  struct nicsec_hal_sa desc = beet_sa(NICSEC_HAL_DIR_IN, v6);
  struct soft_sa sa;
  assert_int_equal(soft_sa_init(&sa, &desc), NICSEC_HAL_OK);
  struct esp_outer o;
  uint32_t events = 0;
  enum nicsec_hal_err err = soft_esp_parse_outer(wire, len, &o);
  if (err == NICSEC_HAL_OK)
    err = soft_esp_decap(&sa, &o, wire, out, BUF, out_len, &events);
  soft_sa_wipe(&sa);
  return err;
}

/* The outer IPv4 header: the inner header's TOS, ID, flags and TTL, the SA's outer addresses,
 * protocol ESP, no options, a valid checksum; then SPI, SN, IV. */
static void check_outer_v4(const uint8_t *w, size_t len) {
  const uint8_t want[20] = {0x45,
                            0x28,
                            (uint8_t)(len >> 8),
                            (uint8_t)len,
                            0x12,
                            0x34,
                            0x40,
                            0,
                            33,
                            50,
                            w[10],
                            w[11],
                            192,
                            0,
                            2,
                            1,
                            198,
                            51,
                            100,
                            2};
  assert_memory_equal(w, want, 20);
  assert_int_equal(tu_checksum(w, 20, 0), 0);
  const uint8_t esp_hdr[16] = {0, 0, 0x10, 0, 0, 0, 0, SEQ, 0, 1, 2, 3, 4, 5, 6, 7};
  assert_memory_equal(w + 20, esp_hdr, 16);
}

static void test_known_v4_no_options(void **state) {
  (void)state;
  uint8_t inner[BUF], wire[BUF], pt[BUF], back[BUF];
  size_t inner_len = inner_v4(inner, NULL, 0);
  size_t len = seal_known(inner, inner_len, false, wire);
  /* 20 outer + 16 ESP/IV + 20 UDP + 2 padding + 2 trailer + 16 ICV: no inner IP header */
  assert_int_equal(len, 20 + 16 + 20 + 4 + ICV);
  check_outer_v4(wire, len);
  size_t pt_len = independent_open(wire + 20, len - 20, pt);
  assert_int_equal(pt_len, 24);
  assert_memory_equal(pt, inner + 20, 20); /* UDP header and payload, nothing before */
  const uint8_t trailer[4] = {1, 2, 2, 17};
  assert_memory_equal(pt + 20, trailer, 4);
  size_t back_len = 0;
  assert_int_equal(open_wire(wire, len, false, back, &back_len), NICSEC_HAL_OK);
  assert_int_equal(back_len, inner_len);
  assert_memory_equal(back, inner, inner_len);
}

/* IPv4 options travel in the pseudo header: 4 octets of options need no NOP padding (4 + 4 =
 * 8), 8 octets need 4 (4 + 4 + 8 = 16, Header Len 1). */
static void check_options(const uint8_t *opts, size_t opt_len, size_t want_pad) {
  uint8_t inner[BUF], wire[BUF], pt[BUF], back[BUF];
  size_t inner_len = inner_v4(inner, opts, opt_len);
  size_t len = seal_known(inner, inner_len, false, wire);
  check_outer_v4(wire, len);
  size_t pt_len = independent_open(wire + 20, len - 20, pt);
  size_t ph_len = 4 + want_pad + opt_len;
  assert_int_equal(ph_len % 8, 0);
  const uint8_t fixed[4] = {17, (uint8_t)(ph_len / 8 - 1), (uint8_t)want_pad, 0};
  assert_memory_equal(pt, fixed, 4);
  for (size_t i = 0; i < want_pad; i++)
    assert_int_equal(pt[4 + i], 1); /* NOP */
  assert_memory_equal(pt + 4 + want_pad, opts, opt_len);
  assert_memory_equal(pt + ph_len, inner + 20 + opt_len, 20);
  assert_int_equal(pt[pt_len - 1], 94); /* next header: BEETPH */
  size_t back_len = 0;
  assert_int_equal(open_wire(wire, len, false, back, &back_len), NICSEC_HAL_OK);
  assert_int_equal(back_len, inner_len);
  assert_memory_equal(back, inner, inner_len);
}

static void test_known_v4_options(void **state) {
  (void)state;
  const uint8_t router_alert[4] = {0x94, 0x04, 0x00, 0x00};
  const uint8_t alert_and_nops[8] = {0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00};
  check_options(router_alert, sizeof router_alert, 0);
  check_options(alert_and_nops, sizeof alert_and_nops, 4);
}

static void test_known_v6(void **state) {
  (void)state;
  uint8_t inner[BUF], wire[BUF], back[BUF];
  size_t inner_len = inner_v6(inner);
  size_t len = seal_known(inner, inner_len, true, wire);
  assert_int_equal(len, 40 + 16 + 20 + 4 + ICV);
  assert_memory_equal(wire, inner, 4); /* version, traffic class, flow label */
  assert_int_equal(wire[4] << 8 | wire[5], len - 40);
  assert_int_equal(wire[6], 50);
  assert_int_equal(wire[7], 17); /* the inner hop limit */
  struct nicsec_hal_addr src = tu_addr("2001:db8::1"), dst = tu_addr("2001:db8::2");
  assert_memory_equal(wire + 8, src.bytes, 16);
  assert_memory_equal(wire + 24, dst.bytes, 16);
  size_t back_len = 0;
  assert_int_equal(open_wire(wire, len, true, back, &back_len), NICSEC_HAL_OK);
  assert_int_equal(back_len, inner_len);
  assert_memory_equal(back, inner, inner_len);
}

/* Seals an arbitrary BEET plaintext (next header 94) and returns decap's verdict. */
static enum nicsec_hal_err open_crafted(const uint8_t *ph, size_t ph_len) {
  struct nicsec_hal_sa desc = beet_sa(NICSEC_HAL_DIR_OUT, false);
  struct soft_sa sa;
  assert_int_equal(soft_sa_init(&sa, &desc), NICSEC_HAL_OK);
  uint8_t esp[BUF], wire[BUF], back[BUF];
  memcpy(esp + ESP_HDR, ph, ph_len);
  size_t pad = (4 - (ph_len + 2) % 4) % 4;
  for (size_t i = 0; i < pad; i++)
    esp[ESP_HDR + ph_len + i] = (uint8_t)(i + 1);
  esp[ESP_HDR + ph_len + pad] = (uint8_t)pad;
  esp[ESP_HDR + ph_len + pad + 1] = 94;
  size_t esp_len = 0, back_len = 0;
  assert_int_equal(soft_esp_seal(&sa, SEQ, iv, esp, ph_len + pad + 2, &esp_len), NICSEC_HAL_OK);
  soft_sa_wipe(&sa);
  size_t len = tu_wrap_esp4(wire, esp, esp_len, "192.0.2.1", "198.51.100.2", 0);
  return open_wire(wire, len, false, back, &back_len);
}

static void test_bad_pseudo_headers(void **state) {
  (void)state;
  const uint8_t good[8] = {17, 0, 0, 0, 0x94, 0x04, 0, 0};
  assert_int_equal(open_crafted(good, sizeof good), NICSEC_HAL_OK);
  const uint8_t too_long[8] = {17, 1, 0, 0, 0x94, 0x04, 0, 0}; /* claims 16 octets */
  const uint8_t no_options[8] = {17, 0, 4, 0, 1, 1, 1, 1};     /* padding only */
  const uint8_t bad_nop[16] = {17, 1, 4, 0, 1, 1, 0, 1, 0x94, 0x04, 0, 0, 1, 1, 1, 0};
  const uint8_t odd_options[8] = {17, 0, 2, 0, 1, 1, 0x94, 0x04}; /* 2 octets of options */
  const uint8_t truncated[4] = {17, 0, 0, 0};
  assert_int_equal(open_crafted(too_long, sizeof too_long), NICSEC_HAL_E_PKT_MALFORMED);
  assert_int_equal(open_crafted(no_options, sizeof no_options), NICSEC_HAL_E_PKT_MALFORMED);
  assert_int_equal(open_crafted(bad_nop, sizeof bad_nop), NICSEC_HAL_E_PKT_MALFORMED);
  assert_int_equal(open_crafted(odd_options, sizeof odd_options), NICSEC_HAL_E_PKT_MALFORMED);
  assert_int_equal(open_crafted(truncated, sizeof truncated), NICSEC_HAL_E_PKT_MALFORMED);
}

/* Fragments cannot have their header replaced; the SA refuses them. */
static void test_fragment_refused(void **state) {
  (void)state;
  uint8_t inner[BUF], wire[BUF];
  size_t inner_len = inner_v4(inner, NULL, 0);
  inner[6] = 0x20; /* MF */
  inner[10] = inner[11] = 0;
  inner[10] = (uint8_t)(tu_checksum(inner, 20, 0) >> 8);
  inner[11] = (uint8_t)tu_checksum(inner, 20, 0);
  struct nicsec_hal_sa desc = beet_sa(NICSEC_HAL_DIR_OUT, false);
  struct soft_sa sa;
  assert_int_equal(soft_sa_init(&sa, &desc), NICSEC_HAL_OK);
  size_t len = 0;
  assert_int_equal(soft_esp_build(&sa, SEQ, iv, inner, inner_len, wire, BUF, &len),
                   NICSEC_HAL_E_PKT_UNSUPPORTED);
  soft_sa_wipe(&sa);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_known_v4_no_options),
      cmocka_unit_test(test_known_v4_options),
      cmocka_unit_test(test_known_v6),
      cmocka_unit_test(test_bad_pseudo_headers),
      cmocka_unit_test(test_fragment_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
