/* Known-answer tests of the soft ESP engine against public vectors:
 *  - draft-mcgrew-gcm-test-01 (AES-GCM ESP, incl. 64-bit ESN): the ESP layer of encap must
 *    produce the vector's ESP packet byte for byte, and decap must infer the ESN high half from
 *    the replay window (it is not on the wire) and recover the plaintext.
 *  - RFC 7634 ESP example (ChaCha20-Poly1305, tunnel mode): the full outer IPv4 packet,
 *    including padding and trailer, and decap through the public HAL API.
 * The vectors' IVs are arbitrary, while the datapath uses IV = SN; the layer below the datapath
 * (soft_esp_seal / soft_esp_build) takes the IV explicitly, which is what is tested here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "esp_engine.h"
#include "nicsec/hal.h"
#include "test_util.h"

enum { BUF = 2048 };

static enum nicsec_hal_alg gcm_alg(json_int_t key_bits) {
  switch (key_bits) {
  case 128: return NICSEC_HAL_ALG_AES_GCM_128;
  case 192: return NICSEC_HAL_ALG_AES_GCM_192;
  default: return NICSEC_HAL_ALG_AES_GCM_256;
  }
}

/* SA description from a McGrew vector. */
static struct nicsec_hal_sa mcgrew_sa(const json_t *v, enum nicsec_hal_dir dir) {
  struct nicsec_hal_sa sa = {0};
  sa.dir = dir;
  sa.offload = NICSEC_HAL_OFFLOAD_PACKET;
  sa.mode = NICSEC_HAL_MODE_TUNNEL;
  sa.src = tu_addr("192.0.2.1");
  sa.dst = tu_addr("192.0.2.2");
  sa.spi = (uint32_t)tu_hex_number(v, "spi");
  sa.alg = gcm_alg(json_integer_value(json_object_get(v, "key_bits")));
  sa.key_len = (uint8_t)tu_hex_field(v, "key", sa.key, sizeof sa.key);
  tu_hex_field(v, "salt", sa.salt, sizeof sa.salt);
  sa.icv_len = (uint8_t)(tu_hex_field(v, "icv", (uint8_t[16]){0}, 16));
  sa.esn = json_is_true(json_object_get(v, "esn"));
  sa.replay_window = 64;
  return sa;
}

static bool is_gcm_esp(const json_t *v) {
  return strcmp(json_string_value(json_object_get(v, "algorithm")), "AES-GCM-ESP") == 0;
}

static void mcgrew_encap_one(const json_t *v) {
  struct nicsec_hal_sa desc = mcgrew_sa(v, NICSEC_HAL_DIR_OUT);
  struct soft_sa sa;
  assert_int_equal(soft_sa_init(&sa, &desc), NICSEC_HAL_OK);
  uint8_t iv[ESP_IV_LEN], want[BUF], buf[BUF];
  tu_hex_field(v, "iv", iv, sizeof iv);
  size_t pt_len = tu_hex_field(v, "plaintext", buf + ESP_HDR, BUF - ESP_HDR);
  size_t want_len = tu_hex_field(v, "esp_packet", want, sizeof want);
  size_t esp_len = 0;
  assert_int_equal(soft_esp_seal(&sa, tu_hex_number(v, "seq"), iv, buf, pt_len, &esp_len),
                   NICSEC_HAL_OK);
  assert_int_equal(esp_len, want_len);
  assert_memory_equal(buf, want, want_len);
  soft_sa_wipe(&sa);
}

/* Decap with the window's right edge `top`; returns the engine's verdict. */
static enum nicsec_hal_err mcgrew_open(const json_t *v, uint64_t top, bool esn, uint8_t *pt,
                                       size_t *pt_len, uint64_t *seq) {
  struct nicsec_hal_sa desc = mcgrew_sa(v, NICSEC_HAL_DIR_IN);
  desc.esn = esn;
  desc.initial_seq = top;
  struct soft_sa sa;
  assert_int_equal(soft_sa_init(&sa, &desc), NICSEC_HAL_OK);
  uint8_t esp[BUF];
  size_t esp_len = tu_hex_field(v, "esp_packet", esp, sizeof esp);
  uint32_t events = 0;
  enum nicsec_hal_err err = soft_esp_open(&sa, esp, esp_len, pt, BUF, pt_len, seq, &events);
  soft_sa_wipe(&sa);
  return err;
}

static void mcgrew_decap_one(const json_t *v) {
  uint64_t seq = tu_hex_number(v, "seq");
  bool esn = json_is_true(json_object_get(v, "esn"));
  uint8_t want[BUF], pt[BUF];
  size_t want_len = tu_hex_field(v, "plaintext", want, sizeof want), pt_len = 0;
  uint64_t got_seq = 0;
  /* Window edge just below the packet, and (when possible) just above it: both sides of the
   * RFC 4303 A2.2 inference must land on the right high half. */
  uint64_t tops[2] = {seq - 1, seq + 10};
  size_t n_tops = (esn ? seq < UINT64_MAX - 10 : seq < UINT32_MAX - 10) ? 2 : 1;
  for (size_t i = 0; i < n_tops; i++) {
    assert_int_equal(mcgrew_open(v, tops[i], esn, pt, &pt_len, &got_seq), NICSEC_HAL_OK);
    assert_int_equal(got_seq, seq);
    assert_int_equal(pt_len, want_len);
    assert_memory_equal(pt, want, want_len);
  }
  if (esn && (seq >> 32) != 0 && (uint32_t)seq != 0) { /* low half 0 is never valid w/o ESN */
    /* Without ESN the AAD lacks the high half: authentication must fail. This proves the
     * high half, never sent, is covered by the ICV. */
    assert_int_equal(mcgrew_open(v, (uint32_t)seq - 1, false, pt, &pt_len, &got_seq),
                     NICSEC_HAL_E_PKT_AUTH);
  }
}

static void test_mcgrew_vectors(void **state) {
  (void)state;
  json_t *root = tu_load_vectors("esp_aes_gcm_mcgrew.json");
  json_t *vectors = json_object_get(root, "vectors");
  size_t idx, tested = 0, esn_cases = 0;
  json_t *v;
  json_array_foreach(vectors, idx, v) {
    if (!is_gcm_esp(v))
      continue; /* id 15 is AES-GMAC (RFC 4543, ENCR_NULL_AUTH_AES_GMAC): not offered */
    mcgrew_encap_one(v);
    mcgrew_decap_one(v);
    tested++;
    esn_cases += json_is_true(json_object_get(v, "esn"));
  }
  assert_int_equal(tested, 16);
  assert_int_equal(esn_cases, 11);
  json_decref(root);
}

static void test_mcgrew_tampered_icv(void **state) {
  (void)state;
  json_t *root = tu_load_vectors("esp_aes_gcm_mcgrew.json");
  json_t *v = json_array_get(json_object_get(root, "vectors"), 0);
  struct nicsec_hal_sa desc = mcgrew_sa(v, NICSEC_HAL_DIR_IN);
  desc.initial_seq = tu_hex_number(v, "seq") - 1;
  struct soft_sa sa;
  assert_int_equal(soft_sa_init(&sa, &desc), NICSEC_HAL_OK);
  uint8_t esp[BUF], pt[BUF];
  size_t esp_len = tu_hex_field(v, "esp_packet", esp, sizeof esp), pt_len;
  uint64_t seq;
  uint32_t events = 0;
  for (size_t bit = 0; bit < esp_len * 8; bit += 61) {
    esp[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    enum nicsec_hal_err err = soft_esp_open(&sa, esp, esp_len, pt, BUF, &pt_len, &seq, &events);
    /* SPI bits: wrong SA; SN bits: a different (inferred) SN, so replay or a bad ICV. */
    if (err != NICSEC_HAL_E_PKT_AUTH && err != NICSEC_HAL_E_PKT_REPLAY &&
        !(bit < 32 && err == NICSEC_HAL_E_PKT_NO_SA))
      fail_msg("bit %zu: %s", bit, nicsec_hal_strerror(err));
    esp[bit / 8] ^= (uint8_t)(1u << (bit % 8));
  }
  assert_int_equal(soft_esp_open(&sa, esp, esp_len, pt, BUF, &pt_len, &seq, &events),
                   NICSEC_HAL_OK);
  soft_sa_wipe(&sa);
  json_decref(root);
}

/* ---- RFC 7634 ----------------------------------------------------------------------------- */

static const json_t *rfc7634_esp(json_t *root) {
  size_t idx;
  json_t *v;
  json_array_foreach(json_object_get(root, "vectors"), idx, v)
    if (json_object_get(v, "esp_packet"))
      return v;
  fail_msg("RFC 7634 ESP example missing");
  return NULL;
}

static struct nicsec_hal_sa rfc7634_sa(const json_t *v, enum nicsec_hal_dir dir) {
  struct nicsec_hal_sa sa = {0};
  sa.dir = dir;
  sa.offload = NICSEC_HAL_OFFLOAD_PACKET;
  sa.mode = NICSEC_HAL_MODE_TUNNEL;
  sa.src = tu_addr("203.0.113.153"); /* from the vector's outer header */
  sa.dst = tu_addr("203.0.113.5");
  sa.spi = (uint32_t)tu_hex_number(v, "spi");
  sa.alg = NICSEC_HAL_ALG_CHACHA20_POLY1305;
  sa.key_len = (uint8_t)tu_hex_field(v, "key", sa.key, sizeof sa.key);
  tu_hex_field(v, "salt", sa.salt, sizeof sa.salt);
  sa.icv_len = 16;
  sa.replay_window = 64;
  return sa;
}

static void test_rfc7634_encap(void **state) {
  (void)state;
  json_t *root = tu_load_vectors("chacha20poly1305_rfc.json");
  const json_t *v = rfc7634_esp(root);
  struct nicsec_hal_sa desc = rfc7634_sa(v, NICSEC_HAL_DIR_OUT);
  struct soft_sa sa;
  assert_int_equal(soft_sa_init(&sa, &desc), NICSEC_HAL_OK);
  uint8_t inner[BUF], want[BUF], out[BUF], iv[ESP_IV_LEN], hdr[IPV4_MIN_HDR];
  size_t inner_len = tu_hex_field(v, "inner_packet", inner, sizeof inner);
  size_t want_len = tu_hex_field(v, "ip_packet", want, sizeof want);
  tu_hex_field(v, "iv", iv, sizeof iv);
  tu_hex_field(v, "outer_ip_header", hdr, sizeof hdr);
  sa.ip_id = get_be16(hdr + IPV4_ID); /* the only outer field the sender picks freely */
  size_t out_len = 0;
  assert_int_equal(soft_esp_build(&sa, tu_hex_number(v, "seq"), iv, inner, inner_len, out,
                                  sizeof out, &out_len),
                   NICSEC_HAL_OK);
  assert_int_equal(out_len, want_len);
  assert_memory_equal(out, want, want_len); /* header, padding 01 02, pad length, NH 4, tag */
  soft_sa_wipe(&sa);
  json_decref(root);
}

static void test_rfc7634_decap_via_hal(void **state) {
  (void)state;
  json_t *root = tu_load_vectors("chacha20poly1305_rfc.json");
  const json_t *v = rfc7634_esp(root);
  struct nicsec_hal_dev *dev;
  assert_int_equal(nicsec_hal_open("soft", NULL, &dev), NICSEC_HAL_OK);
  struct nicsec_hal_sa desc = rfc7634_sa(v, NICSEC_HAL_DIR_IN);
  nicsec_hal_sa_id id, got = 0;
  assert_int_equal(nicsec_hal_sa_add(dev, &desc, 1, &id, NULL), NICSEC_HAL_OK);
  uint8_t pkt[BUF], inner[BUF], out[BUF];
  size_t pkt_len = tu_hex_field(v, "ip_packet", pkt, sizeof pkt);
  size_t inner_len = tu_hex_field(v, "inner_packet", inner, sizeof inner), out_len = 0;
  assert_int_equal(nicsec_hal_decap(dev, pkt, pkt_len, out, sizeof out, &out_len, &got),
                   NICSEC_HAL_OK);
  assert_int_equal(got, id);
  assert_int_equal(out_len, inner_len);
  assert_memory_equal(out, inner, inner_len);
  /* The same packet again is a replay. */
  assert_int_equal(nicsec_hal_decap(dev, pkt, pkt_len, out, sizeof out, &out_len, &got),
                   NICSEC_HAL_E_PKT_REPLAY);
  nicsec_hal_close(dev);
  json_decref(root);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_mcgrew_vectors),
      cmocka_unit_test(test_mcgrew_tampered_icv),
      cmocka_unit_test(test_rfc7634_encap),
      cmocka_unit_test(test_rfc7634_decap_via_hal),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
