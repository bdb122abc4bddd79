/* draft-mcgrew-gcm-test-01 ESP packets (tests/vectors/esp_aes_gcm_mcgrew.json, AES-GCM-ESP
 * with 128- and 256-bit keys) through the RTL ingress with a TRANSPORT-mode SA.
 *
 * There is no public transport-mode ESP vector with an outer IP header: the draft gives ESP
 * packets from the SPI onward. Most of its plaintexts end in next header 1 (ICMP, e.g. case 17
 * is an ICMP echo request), which is what a transport SA carries, so each packet goes behind an
 * IPv4 header built here (protocol 50) and the engine must rebuild that header in front of the
 * decrypted payload: protocol = the trailer's next header, total length = 20 + payload,
 * checksum recomputed (RFC 4303 3.1.1 / 3.4.4.1). Checked for each vector:
 *   - RTL verdict = soft verdict (vectors whose padding is not the default 1, 2, 3... end as
 *     TRAILER in both)
 *   - delivered packets: RTL output = soft output = the header computed here from the vector's
 *     plaintext (payload = plaintext minus padding, pad length and next header)
 *   - one flipped ciphertext bit: AUTH */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "esp_engine.h"
#include "esp_kat_common.h"
#include "nicsec_regs.h"
#include "nicsim.h"
#include "sim_dev.h"
#include "sim_fixture.h"
#include "test_util.h"

enum { BUF = KAT_BUF, SLOT = 0, IPV4_HDR = 20, ESP_HDR_IV = 16 };

static struct nicsec_hal_sa transport_sa(const json_t *v) {
  /* window edge just below the packet */
  return kat_vector_sa(v, NICSEC_HAL_MODE_TRANSPORT, json_is_true(json_object_get(v, "esn")),
                       tu_hex_number(v, "seq") - 1);
}

/* What the receiver must deliver: the outer header with protocol and length of the payload,
 * then the payload. Returns its length, 0 when the trailer is not RFC 4303 default padding. */
static size_t expected_packet(const json_t *v, const uint8_t *wire, uint8_t *out) {
  uint8_t pt[BUF];
  size_t pt_len = tu_hex_field(v, "plaintext", pt, sizeof pt);
  if (pt_len < 2)
    return 0;
  size_t pad = pt[pt_len - 2];
  if (pad + 2 > pt_len)
    return 0;
  size_t payload = pt_len - 2 - pad;
  for (size_t i = 0; i < pad; i++)
    if (pt[payload + i] != i + 1)
      return 0;
  size_t total = IPV4_HDR + payload;
  memcpy(out, wire, IPV4_HDR);
  out[2] = (uint8_t)(total >> 8), out[3] = (uint8_t)total;
  out[9] = pt[pt_len - 1];
  out[10] = out[11] = 0;
  uint16_t csum = kat_ipv4_checksum(out, IPV4_HDR);
  out[10] = (uint8_t)(csum >> 8), out[11] = (uint8_t)csum;
  memcpy(out + IPV4_HDR, pt, payload);
  return total;
}

static uint8_t rtl_ingress(struct nicsim *sim, const struct nicsec_hal_sa *sa, const uint8_t *wire,
                           size_t len, uint8_t *out, size_t *out_len) {
  uint8_t code = 0xff;
  uint32_t slot = 0;
  assert_int_equal(nicsim_mmio_write32(sim, NICSEC_REG_IN_SPI_BASE, sa->spi), NICSIM_OK);
  assert_int_equal(sim_sa_install(sim, SLOT, sa, true), NICSEC_HAL_OK);
  assert_int_equal(sim_ingress_one(sim, wire, len, out, BUF, out_len, &code, &slot),
                   NICSEC_HAL_OK);
  return code;
}

/* Returns whether the vector was delivered. */
static bool one_vector(struct nicsim *sim, const json_t *v) {
  uint8_t esp[BUF], wire[BUF], want[BUF], hw[BUF], sw[BUF];
  size_t esp_len = tu_hex_field(v, "esp_packet", esp, sizeof esp);
  size_t len = tu_wrap_esp4(wire, esp, esp_len, "192.0.2.1", "192.0.2.2", 0);
  struct nicsec_hal_sa sa = transport_sa(v);
  size_t want_len = expected_packet(v, wire, want), hw_len = 0, sw_len = 0;

  enum nicsec_hal_err soft = kat_soft_ingress(&sa, wire, len, sw, &sw_len);
  enum nicsec_hal_err rtl = sim_status_err(rtl_ingress(sim, &sa, wire, len, hw, &hw_len));
  assert_int_equal(rtl, soft);
  assert_int_equal(soft, want_len ? NICSEC_HAL_OK : NICSEC_HAL_E_PKT_TRAILER);
  if (want_len) {
    assert_int_equal(sw_len, want_len);
    assert_memory_equal(sw, want, want_len);
    assert_int_equal(hw_len, want_len);
    assert_memory_equal(hw, want, want_len);
  }

  wire[IPV4_HDR + ESP_HDR_IV] ^= 0x01; /* first ciphertext octet */
  assert_int_equal(rtl_ingress(sim, &sa, wire, len, hw, &hw_len), NICSEC_PKT_STATUS_AUTH);
  return want_len != 0;
}

static void mcgrew_vectors_in_transport_mode(void **state) {
  json_t *vectors = kat_engine_vectors(), *v;
  size_t idx, delivered = 0;
  json_array_foreach(vectors, idx, v) {
    delivered += one_vector(*state, v);
  }
  assert_true(delivered >= 10); /* most vectors use default padding */
  json_decref(vectors);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(mcgrew_vectors_in_transport_mode, create_sim, destroy_sim),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
