/* draft-mcgrew-gcm-test-01 ESP packets through the RTL ingress (tests/vectors/
 * esp_aes_gcm_mcgrew.json, the AES-GCM-ESP vectors with 128- and 256-bit keys; the engine has
 * no AES-192, and id 15 is GMAC).
 *
 * What the vectors pin down in the engine: the nonce (salt || IV taken from the wire), the AAD
 * (SPI || SN, or SPI || SN-high || SN-low with ESN, where the high half is never sent and the
 * engine must infer it from its window, RFC 4303 A2.2), GHASH, the ICV compare and the window
 * update to the packet's 64-bit SN. The vectors' inner "packets" end in next header 1, which a
 * tunnel-mode SA refuses after authentication, so every vector must authenticate and then end
 * as TRAILER, exactly as the soft engine decides; its plaintext is not handed to the host.
 * Egress cannot reproduce the vectors' bytes: their IVs are arbitrary, the engine's IV is the
 * SN. Checked for each vector:
 *   - verdict TRAILER from the RTL and from soft, window edge = the vector's SN, no auth fail
 *   - one flipped ICV bit: AUTH, counted
 *   - ESN vectors with a non-zero high half, installed without ESN: AUTH (the inferred high
 *     half is really covered by the ICV) */
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

enum { BUF = KAT_BUF, SLOT = 0 };

static struct nicsec_hal_sa vector_sa(const json_t *v, bool esn, uint64_t top) {
  return kat_vector_sa(v, NICSEC_HAL_MODE_TUNNEL, esn, top);
}

/* The vector's ESP packet behind an outer IPv4 header; *icv_at = offset of the ICV. */
static size_t wire_packet(const json_t *v, uint8_t *wire, size_t *icv_at) {
  uint8_t esp[BUF];
  size_t esp_len = tu_hex_field(v, "esp_packet", esp, sizeof esp);
  size_t len = tu_wrap_esp4(wire, esp, esp_len, "192.0.2.1", "192.0.2.2", 0);
  *icv_at = len - tu_hex_field(v, "icv", (uint8_t[16]){0}, 16);
  return len;
}

/* Installs the vector's SA in inbound slot 0 (IN_SPI_BASE = its SPI) and sends one packet;
 * returns the RTL's PKT_STATUS and the SA record after it. */
static uint8_t rtl_ingress(struct nicsim *sim, const struct nicsec_hal_sa *sa, const uint8_t *wire,
                           size_t len, struct sim_sa_state *after) {
  uint8_t out[BUF], code = 0xff;
  size_t out_len = 0;
  uint32_t slot = 0;
  assert_int_equal(nicsim_mmio_write32(sim, NICSEC_REG_IN_SPI_BASE, sa->spi), NICSIM_OK);
  assert_int_equal(sim_sa_install(sim, SLOT, sa, true), NICSEC_HAL_OK);
  assert_int_equal(sim_ingress_one(sim, wire, len, out, BUF, &out_len, &code, &slot),
                   NICSEC_HAL_OK);
  assert_int_equal(sim_sa_read(sim, NICSEC_HAL_DIR_IN, SLOT, after), NICSEC_HAL_OK);
  return code;
}

/* The golden model's verdict on the same wire packet. */
static enum nicsec_hal_err soft_ingress(const struct nicsec_hal_sa *desc, const uint8_t *wire,
                                        size_t len) {
  uint8_t out[KAT_BUF];
  size_t out_len = 0;
  return kat_soft_ingress(desc, wire, len, out, &out_len);
}

static void one_vector(struct nicsim *sim, const json_t *v) {
  uint64_t seq = tu_hex_number(v, "seq");
  bool esn = json_is_true(json_object_get(v, "esn"));
  uint8_t wire[BUF];
  size_t icv_at = 0, len = wire_packet(v, wire, &icv_at);
  struct sim_sa_state st;
  struct nicsec_hal_sa sa = vector_sa(v, esn, seq - 1); /* window edge just below the packet */

  assert_int_equal(soft_ingress(&sa, wire, len), NICSEC_HAL_E_PKT_TRAILER);
  assert_int_equal(rtl_ingress(sim, &sa, wire, len, &st), NICSEC_PKT_STATUS_TRAILER);
  assert_int_equal(st.seq, seq);
  assert_int_equal(st.window_seen, 1);
  assert_int_equal(st.auth_fails, 0);

  wire[icv_at + (seq % 16)] ^= 0x10; /* one ICV bit */
  assert_int_equal(rtl_ingress(sim, &sa, wire, len, &st), NICSEC_PKT_STATUS_AUTH);
  assert_int_equal(st.auth_fails, 1);
  assert_int_equal(st.window_seen, 0);
  wire[icv_at + (seq % 16)] ^= 0x10;

  if (esn && (seq >> 32) != 0 && (uint32_t)seq != 0) {
    struct nicsec_hal_sa no_esn = vector_sa(v, false, (uint32_t)seq - 1);
    assert_int_equal(rtl_ingress(sim, &no_esn, wire, len, &st), NICSEC_PKT_STATUS_AUTH);
  }
}

static void mcgrew_vectors_through_rtl_ingress(void **state) {
  json_t *vectors = kat_engine_vectors(), *v;
  size_t idx, esn_cases = 0;
  json_array_foreach(vectors, idx, v) {
    one_vector(*state, v);
    esn_cases += json_is_true(json_object_get(v, "esn"));
  }
  assert_true(esn_cases >= 10);
  json_decref(vectors);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(mcgrew_vectors_through_rtl_ingress, create_sim,
                                      destroy_sim),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
