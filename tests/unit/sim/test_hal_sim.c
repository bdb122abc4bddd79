/* The "sim" backend beyond the shared conformance suite: capabilities exactly as the engine's
 * CAPS/FEATURES/IN_SPI_BASE registers say, the outbound table filled to TABLE_FULL (the
 * conformance case only fills inbound tables wider than their SPI window), the same SAs on "soft"
 * and "sim" producing byte-identical ESP through the HAL (and each decapsulating the other's),
 * ESN wrap and SN update through nicsec_hal_sa_update, and the SA install rate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "nicsec/hal.h"
#include "sim_backend.h"
#include "test_util.h"

enum { BUF = 9300, DEPTH = 4096, SPI_BASE = 0x10000 };

static int open_sim(void **state) {
  struct nicsec_hal_dev *dev = NULL;
  if (nicsec_hal_open("sim", "spi_base=0x10000", &dev) != NICSEC_HAL_OK)
    return -1;
  *state = dev;
  return 0;
}

static int close_sim(void **state) {
  nicsec_hal_close(*state);
  return 0;
}

static void caps_follow_the_registers(void **state) {
  const struct nicsec_hal_caps *c = nicsec_hal_caps(*state);
  assert_string_equal(c->backend, "sim");
  assert_int_equal(c->offload_modes, NICSEC_HAL_OFFLOAD_PACKET);
  assert_int_equal(c->algs, NICSEC_HAL_ALG_BIT(NICSEC_HAL_ALG_AES_GCM_128) |
                                NICSEC_HAL_ALG_BIT(NICSEC_HAL_ALG_AES_GCM_256));
  assert_int_equal(c->aes_gcm_icv, NICSEC_HAL_ICV_8 | NICSEC_HAL_ICV_12 | NICSEC_HAL_ICV_16);
  assert_int_equal(c->modes, NICSEC_HAL_MODE_TUNNEL | NICSEC_HAL_MODE_TRANSPORT);
  assert_int_equal(c->families, NICSEC_HAL_AF_INET);
  assert_true(c->esn && c->udp_encap && !c->replay_disable);
  static const uint16_t windows[] = {32, 64, 128, 256, 512, 1024};
  assert_int_equal(c->n_replay_windows, 6);
  assert_memory_equal(c->replay_windows, windows, sizeof windows);
  assert_int_equal(c->max_sa_in, DEPTH);
  assert_int_equal(c->max_sa_out, DEPTH);
  assert_int_equal(c->spi_min, SPI_BASE);
  assert_int_equal(c->spi_max, SPI_BASE + DEPTH - 1);
  assert_int_equal(c->max_policies, 0);
  assert_true(c->host_datapath);
  /* What the engine lacks is refused with the rule's own error. */
  struct nicsec_hal_sa sa = tu_sa_for(c, NICSEC_HAL_DIR_IN, SPI_BASE);
  nicsec_hal_sa_id id;
  sa.mode = NICSEC_HAL_MODE_BEET;
  assert_int_equal(nicsec_hal_sa_add(*state, &sa, 1, &id, NULL), NICSEC_HAL_E_UNSUPPORTED_MODE);
  sa = tu_sa_for(c, NICSEC_HAL_DIR_IN, SPI_BASE);
  sa.replay_window = 0;
  assert_int_equal(nicsec_hal_sa_add(*state, &sa, 1, &id, NULL), NICSEC_HAL_E_REPLAY_WINDOW);
  sa.replay_window = 2048;
  assert_int_equal(nicsec_hal_sa_add(*state, &sa, 1, &id, NULL), NICSEC_HAL_E_REPLAY_WINDOW);
  sa = tu_sa_for(c, NICSEC_HAL_DIR_IN, SPI_BASE);
  sa.src = tu_addr("2001:db8::1");
  sa.dst = tu_addr("2001:db8::2");
  assert_int_equal(nicsec_hal_sa_add(*state, &sa, 1, &id, NULL),
                   NICSEC_HAL_E_UNSUPPORTED_FAMILY);
  struct nicsec_hal_dev *bad = NULL;
  assert_int_equal(nicsec_hal_open("sim", "spi_base=255", &bad), NICSEC_HAL_E_INVAL);
  assert_int_equal(nicsec_hal_open("sim", "colour=blue", &bad), NICSEC_HAL_E_INVAL);
  assert_null(bad);
}

/* Fills the outbound table in full batches; prints the install rate (host time) on the way. */
static void outbound_table_full(void **state) {
  struct nicsec_hal_dev *dev = *state;
  const struct nicsec_hal_caps *c = nicsec_hal_caps(dev);
  size_t batch = c->max_batch;
  struct nicsec_hal_sa *sas = calloc(batch, sizeof *sas);
  nicsec_hal_sa_id *ids = calloc(DEPTH, sizeof *ids);
  assert_non_null(sas);
  assert_non_null(ids);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (uint32_t done = 0; done < DEPTH; done += (uint32_t)batch) {
    for (size_t i = 0; i < batch; i++)
      sas[i] = tu_sa_for(c, NICSEC_HAL_DIR_OUT, 0x1000 + done + (uint32_t)i);
    assert_int_equal(nicsec_hal_sa_add(dev, sas, batch, ids + done, NULL), NICSEC_HAL_OK);
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  printf("sim: %d outbound SA installs in %.3f s host time = %.0f installs/s\n", DEPTH, secs,
         DEPTH / secs);
  /* One more in a batch with a valid inbound SA: table full, nothing installed. */
  struct nicsec_hal_sa two[2] = {tu_sa_for(c, NICSEC_HAL_DIR_IN, SPI_BASE + 7),
                                 tu_sa_for(c, NICSEC_HAL_DIR_OUT, 0x9999)};
  nicsec_hal_sa_id two_ids[2];
  enum nicsec_hal_err errs[2];
  assert_int_equal(nicsec_hal_sa_add(dev, two, 2, two_ids, errs), NICSEC_HAL_E_TABLE_FULL);
  assert_int_equal(errs[0], NICSEC_HAL_E_ABORTED);
  assert_int_equal(errs[1], NICSEC_HAL_E_TABLE_FULL);
  /* Two-phase delete of one frees its slot (and proves the key memory reads zero). */
  assert_int_equal(nicsec_hal_sa_stop(dev, ids[100]), NICSEC_HAL_OK);
  assert_int_equal(nicsec_hal_sa_drain(dev, ids[100]), NICSEC_HAL_OK);
  assert_int_equal(nicsec_hal_sa_free(dev, ids[100]), NICSEC_HAL_OK);
  assert_int_equal(nicsec_hal_sa_add(dev, two, 2, two_ids, errs), NICSEC_HAL_OK);
  free(sas);
  free(ids);
}

/* ---- soft vs sim through the HAL ------------------------------------------------------------ */

struct config {
  enum nicsec_hal_alg alg;
  uint8_t icv;
  bool esn, udp;
  uint64_t initial_seq;
};

static const struct config configs[] = {
    {NICSEC_HAL_ALG_AES_GCM_128, 16, false, false, 0},
    {NICSEC_HAL_ALG_AES_GCM_256, 12, true, false, UINT32_MAX - 2}, /* crosses the ESN wrap */
    {NICSEC_HAL_ALG_AES_GCM_128, 8, false, true, 0},
    {NICSEC_HAL_ALG_AES_GCM_256, 16, true, true, (UINT64_C(5) << 32) + 10},
};

static struct nicsec_hal_sa config_sa(const struct config *cfg, enum nicsec_hal_dir dir,
                                      uint32_t spi) {
  struct nicsec_hal_sa sa = {.dir = dir, .offload = NICSEC_HAL_OFFLOAD_PACKET,
                             .mode = NICSEC_HAL_MODE_TUNNEL, .spi = spi, .reqid = 3,
                             .alg = cfg->alg, .icv_len = cfg->icv, .esn = cfg->esn,
                             .replay_window = 128};
  sa.src = tu_addr("192.0.2.10");
  sa.dst = tu_addr("198.51.100.20");
  sa.key_len = (uint8_t)nicsec_hal_alg_key_len(cfg->alg);
  for (size_t i = 0; i < sa.key_len; i++)
    sa.key[i] = (uint8_t)(spi * 7 + i * 13);
  memcpy(sa.salt, "\x5a\x17\xc0\xde", 4);
  sa.encap.enabled = cfg->udp;
  sa.encap.sport = sa.encap.dport = 4500;
  sa.initial_seq = cfg->initial_seq;
  return sa;
}

struct side {
  struct nicsec_hal_dev *dev;
  nicsec_hal_sa_id out, in;
};

static void install_pair(struct side *s, const struct config *cfg, uint32_t spi) {
  struct nicsec_hal_sa sas[2] = {config_sa(cfg, NICSEC_HAL_DIR_OUT, spi),
                                 config_sa(cfg, NICSEC_HAL_DIR_IN, spi)};
  nicsec_hal_sa_id ids[2];
  assert_int_equal(nicsec_hal_sa_add(s->dev, sas, 2, ids, NULL), NICSEC_HAL_OK);
  s->out = ids[0];
  s->in = ids[1];
}

static void decap_expect(struct side *s, const uint8_t *esp, size_t esp_len, const uint8_t *plain,
                         size_t plain_len) {
  static uint8_t out[BUF];
  size_t out_len = 0;
  nicsec_hal_sa_id got = 0;
  assert_int_equal(nicsec_hal_decap(s->dev, esp, esp_len, out, BUF, &out_len, &got),
                   NICSEC_HAL_OK);
  assert_int_equal(got, s->in);
  assert_int_equal(out_len, plain_len);
  assert_memory_equal(out, plain, plain_len);
}

static void same_esp_as_soft(void **state) {
  struct side sim = {.dev = *state}, soft = {0};
  static uint8_t plain[BUF], esp_sim[BUF], esp_soft[BUF];
  static const size_t sizes[] = {1, 15, 16, 17, 100, 1400, 1472, 4000, 8972};
  assert_int_equal(nicsec_hal_open("soft", "", &soft.dev), NICSEC_HAL_OK);
  for (size_t k = 0; k < sizeof configs / sizeof configs[0]; k++) {
    uint32_t spi = SPI_BASE + 100 + (uint32_t)k;
    install_pair(&sim, &configs[k], spi);
    install_pair(&soft, &configs[k], spi);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
      size_t plain_len = tu_udp4_packet(plain, "10.1.0.1", "10.2.0.1", 1000, 2000, sizes[i], 0);
      size_t sim_len = 0, soft_len = 0;
      assert_int_equal(nicsec_hal_encap(sim.dev, sim.out, plain, plain_len, esp_sim, BUF,
                                        &sim_len),
                       NICSEC_HAL_OK);
      assert_int_equal(nicsec_hal_encap(soft.dev, soft.out, plain, plain_len, esp_soft, BUF,
                                        &soft_len),
                       NICSEC_HAL_OK);
      assert_int_equal(sim_len, soft_len);
      assert_memory_equal(esp_sim, esp_soft, sim_len);
      /* Each decapsulates the other's packet (same bytes, so also its own). */
      decap_expect(&sim, esp_soft, soft_len, plain, plain_len);
      decap_expect(&soft, esp_sim, sim_len, plain, plain_len);
    }
    struct nicsec_hal_sa_stats a, b;
    assert_int_equal(nicsec_hal_sa_stats(sim.dev, sim.in, &a), NICSEC_HAL_OK);
    assert_int_equal(nicsec_hal_sa_stats(soft.dev, soft.in, &b), NICSEC_HAL_OK);
    assert_int_equal(a.packets, b.packets);
    assert_int_equal(a.bytes, b.bytes);
    assert_int_equal(a.seq, b.seq);
  }
  nicsec_hal_close(soft.dev);
}

/* The low 32 SN bits wrap on an ESN SA: the engine's event arrives as the HAL's, with the SA's
 * handle, SPI and reqid. */
static void esn_wrap_event(void **state) {
  struct side sim = {.dev = *state};
  install_pair(&sim, &configs[1], SPI_BASE + 200);
  struct nicsec_hal_sa_update upd = {.what = NICSEC_HAL_UPD_SEQ, .seq = UINT32_MAX};
  assert_int_equal(nicsec_hal_sa_update(sim.dev, sim.out, &upd), NICSEC_HAL_OK);
  static uint8_t plain[BUF], esp[BUF];
  size_t plain_len = tu_udp4_packet(plain, "10.1.0.1", "10.2.0.1", 1, 2, 10, 0), esp_len;
  assert_int_equal(nicsec_hal_encap(sim.dev, sim.out, plain, plain_len, esp, BUF, &esp_len),
                   NICSEC_HAL_OK);
  struct nicsec_hal_event evs[4];
  size_t n = 0;
  assert_int_equal(nicsec_hal_poll_events(sim.dev, evs, 4, &n), NICSEC_HAL_OK);
  assert_int_equal(n, 1);
  assert_int_equal(evs[0].type, NICSEC_HAL_EV_ESN_WRAP);
  assert_int_equal(evs[0].sa, sim.out);
  assert_int_equal(evs[0].spi, SPI_BASE + 200);
  assert_int_equal(evs[0].reqid, 3);
  struct nicsec_hal_sa_stats st;
  assert_int_equal(nicsec_hal_sa_stats(sim.dev, sim.out, &st), NICSEC_HAL_OK);
  assert_int_equal(st.seq, UINT64_C(1) << 32);
  /* A non-ESN SA refuses an SN beyond 32 bits. */
  struct side plain_sa = {.dev = *state};
  install_pair(&plain_sa, &configs[0], SPI_BASE + 201);
  upd.seq = UINT64_C(1) << 32;
  assert_int_equal(nicsec_hal_sa_update(sim.dev, plain_sa.out, &upd), NICSEC_HAL_E_SEQ);
}

int main(void) {
  if (nicsec_hal_sim_register() != NICSEC_HAL_OK)
    return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(caps_follow_the_registers, open_sim, close_sim),
      cmocka_unit_test_setup_teardown(outbound_table_full, open_sim, close_sim),
      cmocka_unit_test_setup_teardown(same_esp_as_soft, open_sim, close_sim),
      cmocka_unit_test_setup_teardown(esn_wrap_event, open_sim, close_sim),
  };
  return cmocka_run_group_tests_name("hal sim backend", tests, NULL, NULL);
}
