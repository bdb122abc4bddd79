/* The HAL core on its own: error texts, names, the capability rule table, the registry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "nicsec/hal.h"
#include "nicsec/hal_backend.h"
#include "test_util.h"

static void test_every_error_has_text(void **state) {
  (void)state;
  for (int e = 0; e < NICSEC_HAL_E__COUNT; e++) {
    const char *text = nicsec_hal_strerror((enum nicsec_hal_err)e);
    assert_non_null(text);
    assert_string_not_equal(text, "unknown HAL error");
    for (int other = 0; other < e; other++) /* texts tell errors apart */
      assert_string_not_equal(text, nicsec_hal_strerror((enum nicsec_hal_err)other));
  }
  assert_string_equal(nicsec_hal_strerror(NICSEC_HAL_E__COUNT), "unknown HAL error");
  assert_string_equal(nicsec_hal_strerror((enum nicsec_hal_err)-1), "unknown HAL error");
  for (int d = 0; d < NICSEC_HAL_DROP__COUNT; d++)
    assert_non_null(nicsec_hal_drop_name((enum nicsec_hal_drop)d));
  assert_null(nicsec_hal_drop_name(NICSEC_HAL_DROP__COUNT));
}

static void test_names(void **state) {
  (void)state;
  assert_string_equal(nicsec_hal_alg_name(NICSEC_HAL_ALG_AES_GCM_256), "aes-gcm-256");
  assert_string_equal(nicsec_hal_alg_name(NICSEC_HAL_ALG_CHACHA20_POLY1305), "chacha20-poly1305");
  assert_string_equal(nicsec_hal_alg_name((enum nicsec_hal_alg)77), "unknown");
  assert_int_equal(nicsec_hal_alg_key_len(NICSEC_HAL_ALG_AES_GCM_128), 16);
  assert_int_equal(nicsec_hal_alg_key_len((enum nicsec_hal_alg)77), 0);
  assert_string_equal(nicsec_hal_mode_name(NICSEC_HAL_MODE_BEET), "beet");
  assert_string_equal(nicsec_hal_dir_name(NICSEC_HAL_DIR_IN), "in");
  assert_string_equal(nicsec_hal_offload_name(NICSEC_HAL_OFFLOAD_PACKET), "packet");
  assert_string_equal(nicsec_hal_event_name(NICSEC_HAL_EV_ESN_WRAP), "esn-wrap");
}

/* A NIC like mlx5: packet offload of AES-GCM-128/256 with ICV 16 only, fixed windows. */
static const struct nicsec_hal_caps nic_caps = {
    .offload_modes = NICSEC_HAL_OFFLOAD_PACKET | NICSEC_HAL_OFFLOAD_CRYPTO,
    .algs = NICSEC_HAL_ALG_BIT(NICSEC_HAL_ALG_AES_GCM_128) |
            NICSEC_HAL_ALG_BIT(NICSEC_HAL_ALG_AES_GCM_256),
    .aes_gcm_icv = NICSEC_HAL_ICV_16,
    .modes = NICSEC_HAL_MODE_TUNNEL | NICSEC_HAL_MODE_TRANSPORT,
    .families = NICSEC_HAL_AF_INET,
    .esn = false,
    .udp_encap = false,
    .replay_windows = {32, 64, 128, 256},
    .n_replay_windows = 4,
    .max_sa_in = 100,
    .max_sa_out = 100,
    .spi_min = 256,
    .spi_max = 511,
    .max_batch = 8,
};

static void test_rule_table(void **state) {
  (void)state;
  const struct nicsec_hal_sa good = tu_sa_for(&nic_caps, NICSEC_HAL_DIR_IN, 300);
  assert_int_equal(nicsec_hal_sa_check(&nic_caps, &good), NICSEC_HAL_OK);
  struct nicsec_hal_sa sa = good;
  sa.icv_len = 8;
  assert_int_equal(nicsec_hal_sa_check(&nic_caps, &sa), NICSEC_HAL_E_UNSUPPORTED_ICV);
  sa = good;
  sa.esn = true;
  assert_int_equal(nicsec_hal_sa_check(&nic_caps, &sa), NICSEC_HAL_E_UNSUPPORTED_ESN);
  sa = good;
  sa.encap.enabled = true;
  assert_int_equal(nicsec_hal_sa_check(&nic_caps, &sa), NICSEC_HAL_E_UNSUPPORTED_ENCAP);
  sa = good;
  sa.spi = 512;
  assert_int_equal(nicsec_hal_sa_check(&nic_caps, &sa), NICSEC_HAL_E_SPI_OUT_OF_WINDOW);
  sa.dir = NICSEC_HAL_DIR_OUT;
  assert_int_equal(nicsec_hal_sa_check(&nic_caps, &sa), NICSEC_HAL_OK);
  sa = good;
  sa.replay_window = 0; /* replay_disable not offered */
  assert_int_equal(nicsec_hal_sa_check(&nic_caps, &sa), NICSEC_HAL_E_REPLAY_WINDOW);
  sa.replay_window = 512;
  assert_int_equal(nicsec_hal_sa_check(&nic_caps, &sa), NICSEC_HAL_E_REPLAY_WINDOW);
  sa = good;
  sa.src = sa.dst = tu_addr("2001:db8::1");
  assert_int_equal(nicsec_hal_sa_check(&nic_caps, &sa), NICSEC_HAL_E_UNSUPPORTED_FAMILY);
  sa = good;
  sa.mode = NICSEC_HAL_MODE_TUNNEL | NICSEC_HAL_MODE_TRANSPORT; /* a set, not a mode */
  assert_int_equal(nicsec_hal_sa_check(&nic_caps, &sa), NICSEC_HAL_E_INVAL);
  sa = good;
  sa.dir = (enum nicsec_hal_dir)0;
  assert_int_equal(nicsec_hal_sa_check(&nic_caps, &sa), NICSEC_HAL_E_INVAL);
  sa = good;
  sa.has_sel = true;
  sa.sel.src = sa.sel.dst = tu_addr("10.0.0.0");
  sa.sel.src_prefix = 33;
  assert_int_equal(nicsec_hal_sa_check(&nic_caps, &sa), NICSEC_HAL_E_INVAL);
  assert_int_equal(nicsec_hal_sa_check(NULL, &sa), NICSEC_HAL_E_INVAL);
}

static enum nicsec_hal_err fake_open(const char *args, void **priv, struct nicsec_hal_caps *caps) {
  (void)args;
  *caps = nic_caps;
  *priv = NULL;
  return NICSEC_HAL_OK;
}

static void test_registry_rules(void **state) {
  (void)state;
  struct nicsec_hal_backend incomplete = {.name = "fake", .open = fake_open};
  assert_int_equal(nicsec_hal_register(&incomplete), NICSEC_HAL_E_INVAL);
  assert_int_equal(nicsec_hal_register(NULL), NICSEC_HAL_E_INVAL);
  /* "soft" is built in; a second backend of that name is refused. */
  struct nicsec_hal_dev *dev;
  assert_int_equal(nicsec_hal_open("soft", "", &dev), NICSEC_HAL_OK);
  nicsec_hal_close(dev);
  assert_int_equal(nicsec_hal_open("soft", "max_sa=0", &dev), NICSEC_HAL_E_INVAL);
  assert_int_equal(nicsec_hal_open("soft", "bogus=1", &dev), NICSEC_HAL_E_INVAL);
  assert_int_equal(nicsec_hal_open("soft", "spi_min=600,spi_max=500", &dev), NICSEC_HAL_E_INVAL);
  assert_int_equal(nicsec_hal_open("soft", "max_sa=-1", &dev), NICSEC_HAL_E_INVAL);
  assert_int_equal(nicsec_hal_open("soft", "max_sa=8,spi_min=1024,spi_max=2047", &dev),
                   NICSEC_HAL_OK);
  assert_int_equal(nicsec_hal_caps(dev)->max_sa_in, 8);
  assert_int_equal(nicsec_hal_caps(dev)->spi_max, 2047);
  nicsec_hal_close(dev);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_error_has_text),
      cmocka_unit_test(test_names),
      cmocka_unit_test(test_rule_table),
      cmocka_unit_test(test_registry_rules),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
