/* The SA descriptor path through the whole engine (in-process nicsim): a descriptor INSTALL
 * leaves the same record, round key 0 and H in the table as the CSR mailbox INSTALL of the same
 * SA (H also checked against OpenSSL); a descriptor DELETE zeroizes (readback zeros); bad
 * descriptors complete with their DESC_STATUS and leave the table alone; CSR mailbox commands
 * issued while the loader streams a batch are served in between and both land. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "nicsec_regs.h"
#include "nicsim.h"
#include "sim_desc.h"
#include "sim_dev.h"

enum {
  RECORD_WORDS = (NICSEC_REG_SA_WINDOW_SEEN - NICSEC_REG_SA_SPI) / 4 + 1,
  PROBE_WORDS = 8, /* SA_KEYPROBE0..3, SA_HPROBE0..3 */
  SA_DEPTH = 4096,
};

struct readback {
  uint32_t rec[RECORD_WORDS];
  uint32_t probe[PROBE_WORDS];
};

static int create_sim(void **state) {
  struct nicsim *sim = nicsim_create();
  if (!sim || nicsim_mmio_write32(sim, NICSEC_REG_CONTROL, NICSEC_CONTROL_ENABLE_MASK))
    return -1;
  *state = sim;
  return 0;
}

static int destroy_sim(void **state) {
  nicsim_destroy(*state);
  return 0;
}

static struct nicsec_hal_sa test_sa(enum nicsec_hal_dir dir, uint32_t spi, size_t key_len,
                                    uint8_t seed) {
  struct nicsec_hal_sa sa = {.dir = dir,
                             .offload = NICSEC_HAL_OFFLOAD_PACKET,
                             .mode = NICSEC_HAL_MODE_TUNNEL,
                             .spi = spi,
                             .icv_len = 16,
                             .replay_window = dir == NICSEC_HAL_DIR_IN ? 256 : 0,
                             .esn = true,
                             .initial_seq = 0x1234567800000042ull,
                             .limits = {.soft_packets = 1000 + seed,
                                        .hard_packets = 2000,
                                        .soft_bytes = 1u << 20,
                                        .hard_bytes = 1u << 21}};
  sa.alg = key_len == 32 ? NICSEC_HAL_ALG_AES_GCM_256 : NICSEC_HAL_ALG_AES_GCM_128;
  sa.key_len = (uint8_t)key_len;
  for (size_t i = 0; i < key_len; i++)
    sa.key[i] = (uint8_t)(seed * 31 + 7 * i + 1);
  memcpy(sa.salt, "\xca\xfe\xba\xbe", 4);
  sa.salt[3] ^= seed;
  sa.src.family = sa.dst.family = NICSEC_HAL_AF_INET;
  memcpy(sa.src.bytes, "\xc0\x00\x02\x01", 4);
  memcpy(sa.dst.bytes, "\xc6\x33\x64\x01", 4);
  sa.dst.bytes[3] = seed;
  sa.encap.enabled = true;
  sa.encap.sport = 4500;
  sa.encap.dport = 4501;
  return sa;
}

/* READ through the mailbox, then every record and probe register. */
static void read_slot(struct nicsim *sim, enum nicsec_hal_dir dir, uint32_t slot,
                      struct readback *out) {
  struct sim_sa_state st;
  assert_int_equal(sim_sa_read(sim, dir, slot, &st), NICSEC_HAL_OK);
  for (uint32_t i = 0; i < RECORD_WORDS; i++)
    assert_int_equal(nicsim_mmio_read32(sim, NICSEC_REG_SA_SPI + 4 * i, &out->rec[i]), NICSIM_OK);
  for (uint32_t i = 0; i < PROBE_WORDS; i++)
    assert_int_equal(nicsim_mmio_read32(sim, NICSEC_REG_SA_KEYPROBE0 + 4 * i, &out->probe[i]),
                     NICSIM_OK);
}

/* One descriptor, run to its completion; returns its DESC_STATUS. */
static uint32_t run_one(struct nicsim *sim, const uint8_t desc[NICSIM_SA_DESC_OCTETS]) {
  uint32_t status = ~0u;
  assert_int_equal(sim_desc_run(sim, false, desc, 1, &status), NICSEC_HAL_OK);
  return status;
}

/* The H probe (big-endian words) against E_K(0^128) from OpenSSL. */
static void expect_h(const struct nicsec_hal_sa *sa, const uint32_t hprobe[4]) {
  uint8_t probe[16], h[16];
  for (int i = 0; i < 16; i++)
    probe[i] = (uint8_t)(hprobe[i / 4] >> (24 - 8 * (i % 4)));
  static const uint8_t zero_block[16];
  int out_len = 0;
  EVP_CIPHER_CTX *aes = EVP_CIPHER_CTX_new();
  assert_non_null(aes);
  assert_int_equal(EVP_CipherInit_ex(aes, sa->key_len == 32 ? EVP_aes_256_ecb() : EVP_aes_128_ecb(),
                                     NULL, sa->key, NULL, 1),
                   1);
  assert_int_equal(EVP_CipherUpdate(aes, h, &out_len, zero_block, sizeof zero_block), 1);
  assert_int_equal(out_len, 16);
  EVP_CIPHER_CTX_free(aes);
  assert_memory_equal(probe, h, 16);
}

static void install_matches_mailbox(void **state) {
  struct nicsim *sim = *state;
  for (int dir = 0; dir < 2; dir++) {
    for (size_t key_len = 16; key_len <= 32; key_len += 16) {
      struct nicsec_hal_sa sa = test_sa(dir ? NICSEC_HAL_DIR_IN : NICSEC_HAL_DIR_OUT, 0x300,
                                        key_len, (uint8_t)(key_len + dir));
      /* idle (inactive) so that the key probes show what the memories hold */
      assert_int_equal(sim_sa_install(sim, 10, &sa, false), NICSEC_HAL_OK);
      uint8_t desc[NICSIM_SA_DESC_OCTETS];
      sim_desc_encode(desc, NICSEC_SA_OP_INSTALL, 11, 0, &sa, false);
      assert_int_equal(run_one(sim, desc), NICSEC_DESC_STATUS_OK);
      struct readback by_csr, by_desc;
      read_slot(sim, sa.dir, 10, &by_csr);
      read_slot(sim, sa.dir, 11, &by_desc);
      assert_memory_equal(&by_csr, &by_desc, sizeof by_csr);
      assert_int_equal(by_desc.rec[0], 0x300);
      expect_h(&sa, by_desc.probe + 4);
      /* active through the descriptor: the record says so, the probes hide the key */
      sim_desc_encode(desc, NICSEC_SA_OP_INSTALL, 12, 0, &sa, true);
      assert_int_equal(run_one(sim, desc), NICSEC_DESC_STATUS_OK);
      read_slot(sim, sa.dir, 12, &by_desc);
      assert_true(by_desc.rec[2] & NICSEC_SA_FLAGS_ACTIVE_MASK);
      for (int i = 0; i < PROBE_WORDS; i++)
        assert_int_equal(by_desc.probe[i], 0);
    }
  }
}

static void delete_zeroizes(void **state) {
  struct nicsim *sim = *state;
  struct nicsec_hal_sa sa = test_sa(NICSEC_HAL_DIR_IN, 0x400, 32, 9);
  uint8_t desc[NICSIM_SA_DESC_OCTETS];
  sim_desc_encode(desc, NICSEC_SA_OP_INSTALL, 20, 0, &sa, false);
  assert_int_equal(run_one(sim, desc), NICSEC_DESC_STATUS_OK);
  struct readback rb;
  read_slot(sim, sa.dir, 20, &rb);
  expect_h(&sa, rb.probe + 4);
  sim_desc_encode(desc, NICSEC_SA_OP_DELETE, 20, 0, &sa, false);
  assert_int_equal(run_one(sim, desc), NICSEC_DESC_STATUS_OK);
  read_slot(sim, sa.dir, 20, &rb);
  static const struct readback zeros;
  assert_memory_equal(&rb, &zeros, sizeof rb);
}

static void bad_descriptors_leave_table_alone(void **state) {
  struct nicsim *sim = *state;
  struct nicsec_hal_sa sa = test_sa(NICSEC_HAL_DIR_OUT, 0x500, 16, 3);
  struct {
    unsigned offset;
    uint8_t value;
    uint32_t status;
  } edits[] = {
      {NICSEC_SA_DESC_OP, NICSEC_SA_OP_READ, NICSEC_DESC_STATUS_BAD_OP},
      {NICSEC_SA_DESC_OP, 7, NICSEC_DESC_STATUS_BAD_OP},
      {NICSEC_SA_DESC_DIR, 2, NICSEC_DESC_STATUS_BAD_FORMAT},
      {NICSEC_SA_DESC_RESERVED, 0x80, NICSEC_DESC_STATUS_BAD_FORMAT},
      {NICSEC_SA_DESC_INDEX, 0xff, NICSEC_DESC_STATUS_BAD_INDEX}, /* slot 0xff1e */
  };
  for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
    uint8_t desc[NICSIM_SA_DESC_OCTETS];
    sim_desc_encode(desc, NICSEC_SA_OP_INSTALL, 30, 0, &sa, true);
    desc[edits[i].offset] = edits[i].value;
    assert_int_equal(run_one(sim, desc), edits[i].status);
  }
  struct readback rb;
  static const struct readback zeros;
  read_slot(sim, sa.dir, 30, &rb);
  assert_memory_equal(&rb, &zeros, sizeof rb);
}

/* A batch of 64 installs is posted; each CSR access runs the clock, so the mailbox commands
 * below go in while the loader streams. Every SA of both paths must be there afterwards. */
static void mailbox_and_ring_interleave(void **state) {
  struct nicsim *sim = *state;
  enum { N = 64 };
  static uint8_t descs[N][NICSIM_SA_DESC_OCTETS];
  for (uint32_t i = 0; i < N; i++) {
    struct nicsec_hal_sa sa = test_sa(i % 2 ? NICSEC_HAL_DIR_IN : NICSEC_HAL_DIR_OUT, 0x1000 + i,
                                      i % 3 ? 16 : 32, (uint8_t)i);
    sim_desc_encode(descs[i], NICSEC_SA_OP_INSTALL, 100 + i, i, &sa, true);
  }
  assert_int_equal(nicsim_desc_post(sim, descs[0], N), N);
  for (uint32_t i = 0; i < 8; i++) {
    struct nicsec_hal_sa sa = test_sa(NICSEC_HAL_DIR_OUT, 0x2000 + i, 16, (uint8_t)(i + 100));
    assert_int_equal(sim_sa_install(sim, 200 + i, &sa, true), NICSEC_HAL_OK);
  }
  struct nicsim_desc_cpl cpl[N];
  size_t got = 0;
  for (int step = 0; got < N && step < 100000; step++) {
    got += nicsim_desc_reap(sim, cpl + got, N - got);
    nicsim_step(sim, 8);
  }
  assert_int_equal(got, N);
  for (uint32_t i = 0; i < N; i++) {
    assert_int_equal(cpl[i].tag, i);
    assert_int_equal(cpl[i].status, NICSEC_DESC_STATUS_OK);
    struct sim_sa_state st;
    assert_int_equal(sim_sa_read(sim, i % 2 ? NICSEC_HAL_DIR_IN : NICSEC_HAL_DIR_OUT, 100 + i, &st),
                     NICSEC_HAL_OK);
    assert_int_equal(st.spi, 0x1000 + i);
  }
  for (uint32_t i = 0; i < 8; i++) {
    struct sim_sa_state st;
    assert_int_equal(sim_sa_read(sim, NICSEC_HAL_DIR_OUT, 200 + i, &st), NICSEC_HAL_OK);
    assert_int_equal(st.spi, 0x2000 + i);
  }
  assert_int_equal(nicsim_desc_pending(sim), 0);
}

/* A mailbox command the engine refuses still reports ERROR after ring traffic ran. */
static void mailbox_error_is_its_own(void **state) {
  struct nicsim *sim = *state;
  assert_int_equal(nicsim_mmio_write32(sim, NICSEC_REG_SA_SELECT, SA_DEPTH + 1), NICSIM_OK);
  assert_int_equal(nicsim_mmio_write32(sim, NICSEC_REG_SA_CMD, NICSEC_SA_OP_INSTALL), NICSIM_OK);
  struct nicsec_hal_sa sa = test_sa(NICSEC_HAL_DIR_OUT, 0x600, 16, 5);
  uint8_t desc[NICSIM_SA_DESC_OCTETS];
  sim_desc_encode(desc, NICSEC_SA_OP_INSTALL, 40, 0, &sa, true);
  assert_int_equal(run_one(sim, desc), NICSEC_DESC_STATUS_OK);
  uint32_t status = 0;
  assert_int_equal(nicsim_mmio_read32(sim, NICSEC_REG_SA_CMD_STATUS, &status), NICSIM_OK);
  assert_int_equal(status, NICSEC_SA_CMD_STATUS_ERROR_MASK);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(install_matches_mailbox, create_sim, destroy_sim),
      cmocka_unit_test_setup_teardown(delete_zeroizes, create_sim, destroy_sim),
      cmocka_unit_test_setup_teardown(bad_descriptors_leave_table_alone, create_sim, destroy_sim),
      cmocka_unit_test_setup_teardown(mailbox_and_ring_interleave, create_sim, destroy_sim),
      cmocka_unit_test_setup_teardown(mailbox_error_is_its_own, create_sim, destroy_sim),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
