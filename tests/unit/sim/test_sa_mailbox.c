/* The engine's SA mailbox and event FIFO through its registers: key memory readback (idle SA
 * shows the key and H = E_K(0^128), an active SA never shows them, a deleted SA reads zeros),
 * refused commands, soft/hard lifetime events with the hard limit refusing traffic, and STOP
 * (traffic refused, counters kept). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "nicsec_regs.h"
#include "nicsim.h"
#include "sim_dev.h"
#include "sim_fixture.h"

enum { BUF = 2048 };

static struct nicsec_hal_sa test_sa(enum nicsec_hal_dir dir, uint32_t spi, size_t key_len) {
  struct nicsec_hal_sa sa = {.dir = dir, .offload = NICSEC_HAL_OFFLOAD_PACKET,
                             .mode = NICSEC_HAL_MODE_TUNNEL, .spi = spi, .icv_len = 16,
                             .replay_window = 64};
  sa.alg = key_len == 32 ? NICSEC_HAL_ALG_AES_GCM_256 : NICSEC_HAL_ALG_AES_GCM_128;
  sa.key_len = (uint8_t)key_len;
  for (size_t i = 0; i < key_len; i++)
    sa.key[i] = (uint8_t)(0x11 * (i + 1));
  memcpy(sa.salt, "\xca\xfe\xba\xbe", 4);
  sa.src.family = sa.dst.family = NICSEC_HAL_AF_INET;
  memcpy(sa.src.bytes, "\xc0\x00\x02\x01", 4);
  memcpy(sa.dst.bytes, "\xc6\x33\x64\x01", 4);
  return sa;
}

static void be_words(const uint8_t *bytes, uint32_t *words, size_t n) {
  for (size_t i = 0; i < n; i++)
    words[i] = (uint32_t)bytes[4 * i] << 24 | (uint32_t)bytes[4 * i + 1] << 16 |
               (uint32_t)bytes[4 * i + 2] << 8 | bytes[4 * i + 3];
}

/* H = AES_K(0^128), computed by OpenSSL. */
static void ghash_key(const struct nicsec_hal_sa *sa, uint32_t h_words[4]) {
  uint8_t zero[16] = {0}, h[16];
  int len = 0;
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  assert_non_null(ctx);
  const EVP_CIPHER *c = sa->key_len == 32 ? EVP_aes_256_ecb() : EVP_aes_128_ecb();
  assert_int_equal(EVP_EncryptInit_ex(ctx, c, NULL, sa->key, NULL), 1);
  assert_int_equal(EVP_EncryptUpdate(ctx, h, &len, zero, 16), 1);
  EVP_CIPHER_CTX_free(ctx);
  be_words(h, h_words, 4);
}

static void key_readback_shows_zeros_after_delete(void **state) {
  struct nicsim *sim = *state;
  static const uint32_t zeros[4];
  for (size_t key_len = 16; key_len <= 32; key_len += 16) {
    struct nicsec_hal_sa sa = test_sa(NICSEC_HAL_DIR_IN, 300, key_len);
    uint32_t key_words[4], h_words[4];
    be_words(sa.key, key_words, 4);
    ghash_key(&sa, h_words);
    struct sim_sa_state st;
    /* Idle: the probes show what the memories really hold. */
    assert_int_equal(sim_sa_install(sim, 44, &sa, false), NICSEC_HAL_OK);
    assert_int_equal(sim_sa_read(sim, NICSEC_HAL_DIR_IN, 44, &st), NICSEC_HAL_OK);
    assert_memory_equal(st.keyprobe, key_words, sizeof key_words);
    assert_memory_equal(st.hprobe, h_words, sizeof h_words);
    assert_int_equal(st.spi, 300);
    /* The key registers of the BAR are cleared once the command is done. */
    for (uint32_t i = 0; i < 8; i++) {
      uint32_t v = 1;
      assert_int_equal(nicsim_mmio_read32(sim, NICSEC_REG_SA_KEY0 + 4 * i, &v), NICSIM_OK);
      assert_int_equal(v, 0);
    }
    /* Active: never exposed. */
    assert_int_equal(sim_sa_install(sim, 44, &sa, true), NICSEC_HAL_OK);
    assert_int_equal(sim_sa_read(sim, NICSEC_HAL_DIR_IN, 44, &st), NICSEC_HAL_OK);
    assert_memory_equal(st.keyprobe, zeros, sizeof zeros);
    assert_true(st.flags & NICSEC_SA_FLAGS_ACTIVE_MASK);
    /* Deleted: the memories hold zeros. */
    assert_int_equal(sim_sa_delete(sim, NICSEC_HAL_DIR_IN, 44), NICSEC_HAL_OK);
    assert_int_equal(sim_sa_read(sim, NICSEC_HAL_DIR_IN, 44, &st), NICSEC_HAL_OK);
    assert_memory_equal(st.keyprobe, zeros, sizeof zeros);
    assert_memory_equal(st.hprobe, zeros, sizeof zeros);
    assert_int_equal(st.spi, 0);
    assert_int_equal(st.flags, 0);
  }
}

static void bad_commands_are_refused(void **state) {
  struct nicsim *sim = *state;
  struct sim_dev_info info;
  assert_int_equal(sim_dev_probe(sim, &info), NICSEC_HAL_OK);
  struct nicsec_hal_sa sa = test_sa(NICSEC_HAL_DIR_OUT, 0x1000, 16);
  assert_int_equal(sim_sa_install(sim, info.sa_depth, &sa, true), NICSEC_HAL_E_DEVICE);
  assert_int_equal(nicsim_mmio_write32(sim, NICSEC_REG_SA_CMD, 7), NICSIM_OK);
  nicsim_step(sim, 4);
  uint32_t status = 0;
  assert_int_equal(nicsim_mmio_read32(sim, NICSEC_REG_SA_CMD_STATUS, &status), NICSIM_OK);
  assert_true(status & NICSEC_SA_CMD_STATUS_ERROR_MASK);
  assert_int_equal(sim_sa_install(sim, 0, &sa, true), NICSEC_HAL_OK); /* and it recovers */
}

static size_t plain_packet(uint8_t *p, size_t payload) {
  size_t total = 20 + payload;
  memset(p, 0, total);
  p[0] = 0x45, p[2] = (uint8_t)(total >> 8), p[3] = (uint8_t)total, p[8] = 64, p[9] = 59;
  memcpy(p + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
  uint32_t sum = 0;
  for (int i = 0; i < 20; i += 2)
    sum += (uint32_t)(p[i] << 8 | p[i + 1]);
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  p[10] = (uint8_t)(~sum >> 8), p[11] = (uint8_t)~sum;
  return total;
}

static void limits_raise_events_and_hard_limit_refuses(void **state) {
  struct nicsim *sim = *state;
  struct nicsec_hal_sa sa = test_sa(NICSEC_HAL_DIR_OUT, 0x2000, 32);
  uint8_t plain[BUF], esp[BUF];
  size_t plain_len = plain_packet(plain, 80), esp_len = 0;
  sa.limits = (struct nicsec_hal_limits){.soft_packets = 2, .hard_packets = 3,
                                         .soft_bytes = plain_len + 1};
  assert_int_equal(sim_sa_install(sim, 5, &sa, true), NICSEC_HAL_OK);
  uint8_t code = 0xff;
  struct sim_event ev;
  assert_int_equal(sim_egress_one(sim, 5, plain, plain_len, esp, BUF, &esp_len, &code), 0);
  assert_int_equal(code, NICSEC_PKT_STATUS_OK);
  assert_int_equal(sim_event_pop(sim, &ev), 0);
  assert_int_equal(sim_egress_one(sim, 5, plain, plain_len, esp, BUF, &esp_len, &code), 0);
  /* Second packet: soft packets and soft bytes, in type order. */
  assert_int_equal(sim_event_pop(sim, &ev), 1);
  assert_int_equal(ev.type, NICSEC_EVENT_TYPE_SOFT_PACKETS);
  assert_int_equal(ev.slot, 5);
  assert_false(ev.inbound);
  assert_int_equal(ev.value, 2);
  assert_int_equal(sim_event_pop(sim, &ev), 1);
  assert_int_equal(ev.type, NICSEC_EVENT_TYPE_SOFT_BYTES);
  assert_int_equal(ev.value, 2 * plain_len);
  assert_int_equal(sim_event_pop(sim, &ev), 0);
  assert_true(nicsim_irq(sim) == 0); /* IRQ_ENABLE is 0 */
  assert_int_equal(sim_egress_one(sim, 5, plain, plain_len, esp, BUF, &esp_len, &code), 0);
  assert_int_equal(sim_event_pop(sim, &ev), 1);
  assert_int_equal(ev.type, NICSEC_EVENT_TYPE_HARD_PACKETS);
  assert_int_equal(ev.value, 3);
  assert_int_equal(sim_egress_one(sim, 5, plain, plain_len, esp, BUF, &esp_len, &code), 0);
  assert_int_equal(code, NICSEC_PKT_STATUS_EXPIRED);
  assert_int_equal(sim_event_pop(sim, &ev), 0);
  /* New limits: traffic flows again and the soft limit fires again. */
  struct nicsec_hal_limits more = {.soft_packets = 4, .hard_packets = 10};
  assert_int_equal(sim_sa_update_limits(sim, NICSEC_HAL_DIR_OUT, 5, &more), NICSEC_HAL_OK);
  assert_int_equal(sim_egress_one(sim, 5, plain, plain_len, esp, BUF, &esp_len, &code), 0);
  assert_int_equal(code, NICSEC_PKT_STATUS_OK);
  assert_int_equal(sim_event_pop(sim, &ev), 1);
  assert_int_equal(ev.type, NICSEC_EVENT_TYPE_SOFT_PACKETS);
  assert_int_equal(ev.value, 4);
  struct sim_sa_state st;
  assert_int_equal(sim_sa_read(sim, NICSEC_HAL_DIR_OUT, 5, &st), NICSEC_HAL_OK);
  assert_int_equal(st.packets, 4);
  assert_int_equal(st.seq, 4);
}

static void sn_update_and_exhaustion(void **state) {
  struct nicsim *sim = *state;
  struct nicsec_hal_sa sa = test_sa(NICSEC_HAL_DIR_OUT, 0x3000, 16);
  uint8_t plain[BUF], esp[BUF];
  size_t plain_len = plain_packet(plain, 10), esp_len = 0;
  uint8_t code = 0xff;
  struct sim_event ev;
  assert_int_equal(sim_sa_install(sim, 9, &sa, true), NICSEC_HAL_OK);
  assert_int_equal(sim_sa_update_seq(sim, NICSEC_HAL_DIR_OUT, 9, UINT32_MAX - 1), NICSEC_HAL_OK);
  assert_int_equal(sim_egress_one(sim, 9, plain, plain_len, esp, BUF, &esp_len, &code), 0);
  assert_int_equal(code, NICSEC_PKT_STATUS_OK);
  assert_memory_equal(esp + 24, "\xff\xff\xff\xff", 4); /* SN on the wire */
  assert_int_equal(sim_event_pop(sim, &ev), 1);
  assert_int_equal(ev.type, NICSEC_EVENT_TYPE_SN_EXHAUSTED);
  assert_int_equal(ev.value, UINT32_MAX);
  assert_int_equal(sim_egress_one(sim, 9, plain, plain_len, esp, BUF, &esp_len, &code), 0);
  assert_int_equal(code, NICSEC_PKT_STATUS_SN_EXHAUSTED);
}

/* STOP (map 2.1) clears ACTIVE only: new packets of the SA are refused on both paths, and the
 * record and counters stay readable as the datapath left them. */
static void stop_refuses_traffic_and_keeps_counters(void **state) {
  struct nicsim *sim = *state;
  enum { SPI = 0x100 + 12, SLOT = 12 }; /* inbound slot = SPI - IN_SPI_BASE (reset 0x100) */
  struct nicsec_hal_sa out = test_sa(NICSEC_HAL_DIR_OUT, SPI, 16);
  struct nicsec_hal_sa in = test_sa(NICSEC_HAL_DIR_IN, SPI, 16);
  uint8_t plain[BUF], esp[2][BUF], back[BUF];
  size_t plain_len = plain_packet(plain, 40), esp_len[2] = {0}, back_len = 0;
  uint8_t code = 0xff;
  uint32_t slot = 0;
  assert_int_equal(sim_sa_install(sim, 3, &out, true), NICSEC_HAL_OK);
  assert_int_equal(sim_sa_install(sim, SLOT, &in, true), NICSEC_HAL_OK);
  for (int i = 0; i < 2; i++) {
    assert_int_equal(sim_egress_one(sim, 3, plain, plain_len, esp[i], BUF, &esp_len[i], &code), 0);
    assert_int_equal(code, NICSEC_PKT_STATUS_OK);
  }
  assert_int_equal(sim_ingress_one(sim, esp[0], esp_len[0], back, BUF, &back_len, &code, &slot), 0);
  assert_int_equal(code, NICSEC_PKT_STATUS_OK);

  assert_int_equal(sim_sa_deactivate(sim, NICSEC_HAL_DIR_OUT, 3), NICSEC_HAL_OK);
  assert_int_equal(sim_sa_deactivate(sim, NICSEC_HAL_DIR_IN, SLOT), NICSEC_HAL_OK);
  assert_int_equal(sim_egress_one(sim, 3, plain, plain_len, back, BUF, &back_len, &code), 0);
  assert_int_equal(code, NICSEC_PKT_STATUS_NO_SA);
  assert_int_equal(sim_ingress_one(sim, esp[1], esp_len[1], back, BUF, &back_len, &code, &slot), 0);
  assert_int_equal(code, NICSEC_PKT_STATUS_NO_SA);

  struct sim_sa_state st;
  assert_int_equal(sim_sa_read(sim, NICSEC_HAL_DIR_OUT, 3, &st), NICSEC_HAL_OK);
  assert_false(st.flags & NICSEC_SA_FLAGS_ACTIVE_MASK);
  assert_int_equal(st.spi, SPI);
  assert_int_equal(st.packets, 2);
  assert_int_equal(st.bytes, 2 * plain_len);
  assert_int_equal(st.seq, 2);
  assert_int_equal(sim_sa_read(sim, NICSEC_HAL_DIR_IN, SLOT, &st), NICSEC_HAL_OK);
  assert_false(st.flags & NICSEC_SA_FLAGS_ACTIVE_MASK);
  assert_int_equal(st.packets, 1);
  assert_int_equal(st.seq, 1);
  /* Stopped is not deleted: the key is still in memory until DELETE zeroizes it. */
  uint32_t key_words[4];
  be_words(in.key, key_words, 4);
  assert_memory_equal(st.keyprobe, key_words, sizeof key_words);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(key_readback_shows_zeros_after_delete, create_sim,
                                      destroy_sim),
      cmocka_unit_test_setup_teardown(bad_commands_are_refused, create_sim, destroy_sim),
      cmocka_unit_test_setup_teardown(limits_raise_events_and_hard_limit_refuses, create_sim,
                                      destroy_sim),
      cmocka_unit_test_setup_teardown(sn_update_and_exhaustion, create_sim, destroy_sim),
      cmocka_unit_test_setup_teardown(stop_refuses_traffic_and_keeps_counters, create_sim,
                                      destroy_sim),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
