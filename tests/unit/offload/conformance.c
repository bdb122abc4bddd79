/* The HAL conformance suite: what every backend must do, whatever hardware is behind it.
 * It only uses nicsec/hal.h and derives every SA from the device's own capabilities, so the same
 * tests run on soft, sim, xfrm and mlx5. Traffic-based checks need caps.host_datapath and are
 * skipped (not passed) on devices whose datapath the host cannot drive. */
#include "conformance.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nicsec/hal.h"
#include "nicsec/hal_backend.h"
#include "test_util.h"

enum { PKT_BUF = 2048, MAX_EVENTS = 64 };

static const char *backend_name;
static const char *backend_args;

struct fixture {
  struct nicsec_hal_dev *dev;
  const struct nicsec_hal_caps *caps;
};

static int open_dev(void **state) {
  struct fixture *f = calloc(1, sizeof *f);
  assert_non_null(f);
  assert_int_equal(nicsec_hal_open(backend_name, backend_args, &f->dev), NICSEC_HAL_OK);
  f->caps = nicsec_hal_caps(f->dev);
  *state = f;
  return 0;
}

static int close_dev(void **state) {
  struct fixture *f = *state;
  nicsec_hal_close(f->dev);
  free(f);
  return 0;
}

static uint32_t in_spi(const struct fixture *f, uint32_t k) { return f->caps->spi_min + k; }

static int count_cb(const struct nicsec_hal_sa_info *info, void *ctx) {
  (void)info;
  ++*(size_t *)ctx;
  return 0;
}

static size_t sa_count(struct fixture *f) {
  size_t n = 0;
  assert_int_equal(nicsec_hal_dump(f->dev, count_cb, &n), NICSEC_HAL_OK);
  return n;
}

static nicsec_hal_sa_id add_one(struct fixture *f, const struct nicsec_hal_sa *sa) {
  nicsec_hal_sa_id id = 0;
  enum nicsec_hal_err err = nicsec_hal_sa_add(f->dev, sa, 1, &id, NULL);
  if (err != NICSEC_HAL_OK)
    fail_msg("sa_add: %s", nicsec_hal_strerror(err));
  return id;
}

static void delete_sa(struct fixture *f, nicsec_hal_sa_id id) {
  assert_int_equal(nicsec_hal_sa_stop(f->dev, id), NICSEC_HAL_OK);
  assert_int_equal(nicsec_hal_sa_drain(f->dev, id), NICSEC_HAL_OK);
  assert_int_equal(nicsec_hal_sa_free(f->dev, id), NICSEC_HAL_OK);
}

/* ---- registry and capabilities ------------------------------------------------------------ */

static void test_registry(void **state) {
  (void)state;
  struct nicsec_hal_dev *dev = NULL;
  assert_int_equal(nicsec_hal_open("no-such-backend", NULL, &dev), NICSEC_HAL_E_NO_BACKEND);
  assert_null(dev);
  const char *names[16];
  size_t n = nicsec_hal_backend_names(names, 16);
  bool found = false;
  for (size_t i = 0; i < n && i < 16; i++)
    found |= strcmp(names[i], backend_name) == 0;
  assert_true(found);
}

static void test_caps_sane(void **state) {
  struct fixture *f = *state;
  const struct nicsec_hal_caps *c = f->caps;
  assert_string_equal(c->backend, backend_name);
  assert_true(c->offload_modes & (NICSEC_HAL_OFFLOAD_CRYPTO | NICSEC_HAL_OFFLOAD_PACKET));
  assert_true(c->algs != 0);
  if (c->algs & ~NICSEC_HAL_ALG_BIT(NICSEC_HAL_ALG_CHACHA20_POLY1305))
    assert_true(c->aes_gcm_icv != 0); /* an AES-GCM device offers some ICV length */
  assert_true(c->modes &
              (NICSEC_HAL_MODE_TUNNEL | NICSEC_HAL_MODE_TRANSPORT | NICSEC_HAL_MODE_BEET));
  assert_true(c->families != 0);
  assert_true(c->max_sa_in > 0 && c->max_sa_out > 0);
  assert_true(c->spi_min >= 256 && c->spi_min <= c->spi_max);
  assert_true(c->max_batch >= 1);
  assert_true(c->n_replay_windows >= 1 && c->n_replay_windows <= NICSEC_HAL_MAX_WINDOW_SIZES);
  for (unsigned i = 0; i < c->n_replay_windows; i++) {
    assert_true(c->replay_windows[i] >= 32); /* RFC 4303 3.4.3 minimum */
    if (i)
      assert_true(c->replay_windows[i] > c->replay_windows[i - 1]);
  }
  assert_int_equal(sa_count(f), 0);
}

/* ---- add ---------------------------------------------------------------------------------- */

static void test_batch_add_ok(void **state) {
  struct fixture *f = *state;
  size_t n = f->caps->max_batch < 4 ? f->caps->max_batch : 4;
  struct nicsec_hal_sa sas[4] = {0};
  nicsec_hal_sa_id ids[4] = {0};
  enum nicsec_hal_err errs[4];
  for (size_t i = 0; i < n; i++)
    sas[i] = tu_sa_for(f->caps, NICSEC_HAL_DIR_IN, in_spi(f, (uint32_t)i));
  assert_int_equal(nicsec_hal_sa_add(f->dev, sas, n, ids, errs), NICSEC_HAL_OK);
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(errs[i], NICSEC_HAL_OK);
    assert_true(ids[i] != 0);
    for (size_t j = 0; j < i; j++)
      assert_true(ids[i] != ids[j]);
  }
  assert_int_equal(sa_count(f), n);
}

/* The last entry duplicates the first inside the batch: nothing may be installed. */
static void test_batch_all_or_none_in_batch(void **state) {
  struct fixture *f = *state;
  if (f->caps->max_batch < 3)
    skip();
  struct nicsec_hal_sa sas[3] = {tu_sa_for(f->caps, NICSEC_HAL_DIR_IN, in_spi(f, 0)),
                                 tu_sa_for(f->caps, NICSEC_HAL_DIR_IN, in_spi(f, 1)),
                                 tu_sa_for(f->caps, NICSEC_HAL_DIR_IN, in_spi(f, 0))};
  nicsec_hal_sa_id ids[3];
  enum nicsec_hal_err errs[3];
  assert_int_equal(nicsec_hal_sa_add(f->dev, sas, 3, ids, errs), NICSEC_HAL_E_DUPLICATE_SPI);
  assert_int_equal(errs[0], NICSEC_HAL_E_ABORTED);
  assert_int_equal(errs[1], NICSEC_HAL_E_ABORTED);
  assert_int_equal(errs[2], NICSEC_HAL_E_DUPLICATE_SPI);
  assert_int_equal(sa_count(f), 0);
}

/* The failure needs table state (an SPI installed earlier), so the backend must roll back. */
static void test_batch_all_or_none_vs_table(void **state) {
  struct fixture *f = *state;
  if (f->caps->max_batch < 3)
    skip();
  struct nicsec_hal_sa first = tu_sa_for(f->caps, NICSEC_HAL_DIR_IN, in_spi(f, 9));
  add_one(f, &first);
  struct nicsec_hal_sa sas[3] = {tu_sa_for(f->caps, NICSEC_HAL_DIR_IN, in_spi(f, 10)),
                                 tu_sa_for(f->caps, NICSEC_HAL_DIR_OUT, 0x5000),
                                 tu_sa_for(f->caps, NICSEC_HAL_DIR_IN, in_spi(f, 9))};
  nicsec_hal_sa_id ids[3];
  enum nicsec_hal_err errs[3];
  assert_int_equal(nicsec_hal_sa_add(f->dev, sas, 3, ids, errs), NICSEC_HAL_E_DUPLICATE_SPI);
  assert_int_equal(errs[0], NICSEC_HAL_E_ABORTED);
  assert_int_equal(errs[1], NICSEC_HAL_E_ABORTED);
  assert_int_equal(errs[2], NICSEC_HAL_E_DUPLICATE_SPI);
  assert_int_equal(sa_count(f), 1);
  /* The rolled-back SPIs are free: the same batch minus the bad entry goes in. */
  assert_int_equal(nicsec_hal_sa_add(f->dev, sas, 2, ids, errs), NICSEC_HAL_OK);
  assert_int_equal(sa_count(f), 3);
}

static void test_batch_too_large(void **state) {
  struct fixture *f = *state;
  size_t n = (size_t)f->caps->max_batch + 1;
  struct nicsec_hal_sa *sas = calloc(n, sizeof *sas);
  nicsec_hal_sa_id *ids = calloc(n, sizeof *ids);
  assert_non_null(sas);
  assert_non_null(ids);
  for (size_t i = 0; i < n; i++)
    sas[i] = tu_sa_for(f->caps, NICSEC_HAL_DIR_OUT, 0x10000 + (uint32_t)i);
  assert_int_equal(nicsec_hal_sa_add(f->dev, sas, n, ids, NULL), NICSEC_HAL_E_BATCH_TOO_LARGE);
  assert_int_equal(sa_count(f), 0);
  free(sas);
  free(ids);
}

static void test_duplicate_spi(void **state) {
  struct fixture *f = *state;
  struct nicsec_hal_sa in = tu_sa_for(f->caps, NICSEC_HAL_DIR_IN, in_spi(f, 3));
  add_one(f, &in);
  nicsec_hal_sa_id id;
  enum nicsec_hal_err err;
  assert_int_equal(nicsec_hal_sa_add(f->dev, &in, 1, &id, &err), NICSEC_HAL_E_DUPLICATE_SPI);
  assert_int_equal(err, NICSEC_HAL_E_DUPLICATE_SPI);
  /* Outbound SAs are keyed by (destination, SPI): another peer may pick the same SPI. */
  struct nicsec_hal_sa out = tu_sa_for(f->caps, NICSEC_HAL_DIR_OUT, 0x4444);
  add_one(f, &out);
  assert_int_equal(nicsec_hal_sa_add(f->dev, &out, 1, &id, NULL), NICSEC_HAL_E_DUPLICATE_SPI);
  out.dst.bytes[out.dst.family == NICSEC_HAL_AF_INET ? 3 : 15] ^= 1;
  add_one(f, &out);
  assert_int_equal(sa_count(f), 3);
}

static void test_spi_window(void **state) {
  struct fixture *f = *state;
  nicsec_hal_sa_id id;
  struct nicsec_hal_sa sa = tu_sa_for(f->caps, NICSEC_HAL_DIR_IN, 255);
  assert_int_equal(nicsec_hal_sa_add(f->dev, &sa, 1, &id, NULL), NICSEC_HAL_E_SPI_RESERVED);
  sa.spi = 0;
  assert_int_equal(nicsec_hal_sa_add(f->dev, &sa, 1, &id, NULL), NICSEC_HAL_E_SPI_RESERVED);
  if (f->caps->spi_min > 256) {
    sa.spi = f->caps->spi_min - 1;
    assert_int_equal(nicsec_hal_sa_add(f->dev, &sa, 1, &id, NULL),
                     NICSEC_HAL_E_SPI_OUT_OF_WINDOW);
  }
  if (f->caps->spi_max < UINT32_MAX) {
    sa.spi = f->caps->spi_max + 1;
    assert_int_equal(nicsec_hal_sa_add(f->dev, &sa, 1, &id, NULL),
                     NICSEC_HAL_E_SPI_OUT_OF_WINDOW);
    /* The window binds inbound SPIs only: the peer chooses ours for outbound. */
    struct nicsec_hal_sa out = tu_sa_for(f->caps, NICSEC_HAL_DIR_OUT, f->caps->spi_max + 1);
    add_one(f, &out);
  }
  sa.spi = f->caps->spi_max;
  add_one(f, &sa);
  sa.spi = f->caps->spi_min;
  add_one(f, &sa);
}

/* Each SA breaks one rule; the error must name that rule. */
static void test_rejects_with_reason(void **state) {
  struct fixture *f = *state;
  const struct nicsec_hal_caps *c = f->caps;
  struct nicsec_hal_sa good = tu_sa_for(c, NICSEC_HAL_DIR_IN, in_spi(f, 1)), sa;
  nicsec_hal_sa_id id;
  sa = good;
  sa.alg = (enum nicsec_hal_alg)99;
  assert_int_equal(nicsec_hal_sa_add(f->dev, &sa, 1, &id, NULL), NICSEC_HAL_E_UNSUPPORTED_ALG);
  sa = good;
  sa.key_len = 5;
  assert_int_equal(nicsec_hal_sa_add(f->dev, &sa, 1, &id, NULL), NICSEC_HAL_E_KEY_LENGTH);
  sa = good;
  sa.icv_len = 10;
  assert_int_equal(nicsec_hal_sa_add(f->dev, &sa, 1, &id, NULL), NICSEC_HAL_E_UNSUPPORTED_ICV);
  sa = good;
  sa.replay_window = 100;
  assert_int_equal(nicsec_hal_sa_add(f->dev, &sa, 1, &id, NULL), NICSEC_HAL_E_REPLAY_WINDOW);
  sa = good;
  sa.limits.soft_packets = 10;
  sa.limits.hard_packets = 5;
  assert_int_equal(nicsec_hal_sa_add(f->dev, &sa, 1, &id, NULL), NICSEC_HAL_E_LIFETIME);
  sa = good;
  sa.dst = tu_addr(sa.src.family == NICSEC_HAL_AF_INET ? "2001:db8::9" : "192.0.2.9");
  assert_int_equal(nicsec_hal_sa_add(f->dev, &sa, 1, &id, NULL),
                   NICSEC_HAL_E_UNSUPPORTED_FAMILY);
  sa = good;
  sa.esn = false;
  sa.initial_seq = UINT64_C(1) << 32;
  assert_int_equal(nicsec_hal_sa_add(f->dev, &sa, 1, &id, NULL), NICSEC_HAL_E_SEQ);
  if (!(c->modes & NICSEC_HAL_MODE_BEET)) {
    sa = good;
    sa.mode = NICSEC_HAL_MODE_BEET;
    assert_int_equal(nicsec_hal_sa_add(f->dev, &sa, 1, &id, NULL),
                     NICSEC_HAL_E_UNSUPPORTED_MODE);
  }
  if (!(c->offload_modes & NICSEC_HAL_OFFLOAD_CRYPTO)) { /* a mode it does not implement */
    sa = good;
    sa.offload = NICSEC_HAL_OFFLOAD_CRYPTO;
    assert_int_equal(nicsec_hal_sa_add(f->dev, &sa, 1, &id, NULL),
                     NICSEC_HAL_E_UNSUPPORTED_OFFLOAD);
  }
  if (c->modes & NICSEC_HAL_MODE_BEET) { /* inner addresses must be in the outer family */
    sa = good;
    sa.mode = NICSEC_HAL_MODE_BEET;
    assert_int_equal(nicsec_hal_sa_add(f->dev, &sa, 1, &id, NULL),
                     NICSEC_HAL_E_UNSUPPORTED_FAMILY);
  }
  if (!(c->algs & NICSEC_HAL_ALG_BIT(NICSEC_HAL_ALG_CHACHA20_POLY1305))) {
    sa = good;
    sa.alg = NICSEC_HAL_ALG_CHACHA20_POLY1305;
    sa.key_len = 32;
    assert_int_equal(nicsec_hal_sa_add(f->dev, &sa, 1, &id, NULL), NICSEC_HAL_E_UNSUPPORTED_ALG);
  }
  assert_int_equal(sa_count(f), 0);
  assert_string_not_equal(nicsec_hal_strerror(NICSEC_HAL_E_SPI_OUT_OF_WINDOW),
                          nicsec_hal_strerror(NICSEC_HAL_E_TABLE_FULL));
}

/* Fills the inbound table in batches; one more must fail with TABLE_FULL, and freeing one SA
 * makes room again. Skipped for tables too large to fill in a unit test. */
static void test_table_full(void **state) {
  struct fixture *f = *state;
  uint32_t max = f->caps->max_sa_in;
  if (max > 65536 || (uint64_t)f->caps->spi_max - f->caps->spi_min + 1 <= max)
    skip();
  size_t batch = f->caps->max_batch;
  struct nicsec_hal_sa *sas = calloc(batch, sizeof *sas);
  nicsec_hal_sa_id *ids = calloc(max, sizeof *ids);
  assert_non_null(sas);
  assert_non_null(ids);
  for (uint32_t done = 0; done < max;) {
    size_t n = max - done < batch ? max - done : batch;
    for (size_t i = 0; i < n; i++)
      sas[i] = tu_sa_for(f->caps, NICSEC_HAL_DIR_IN, in_spi(f, done + (uint32_t)i));
    assert_int_equal(nicsec_hal_sa_add(f->dev, sas, n, ids + done, NULL), NICSEC_HAL_OK);
    done += (uint32_t)n;
  }
  struct nicsec_hal_sa extra = tu_sa_for(f->caps, NICSEC_HAL_DIR_IN, in_spi(f, max));
  nicsec_hal_sa_id id;
  assert_int_equal(nicsec_hal_sa_add(f->dev, &extra, 1, &id, NULL), NICSEC_HAL_E_TABLE_FULL);
  delete_sa(f, ids[0]);
  add_one(f, &extra);
  assert_int_equal(sa_count(f), max);
  free(sas);
  free(ids);
}

/* ---- delete ------------------------------------------------------------------------------- */

static void test_two_phase_delete(void **state) {
  struct fixture *f = *state;
  struct nicsec_hal_sa sa = tu_sa_for(f->caps, NICSEC_HAL_DIR_IN, in_spi(f, 5));
  nicsec_hal_sa_id id = add_one(f, &sa);
  struct nicsec_hal_sa_stats st;
  /* Phases in order only. */
  assert_int_equal(nicsec_hal_sa_free(f->dev, id), NICSEC_HAL_E_SA_STATE);
  assert_int_equal(nicsec_hal_sa_drain(f->dev, id), NICSEC_HAL_E_SA_STATE);
  assert_int_equal(nicsec_hal_sa_stop(f->dev, id), NICSEC_HAL_OK);
  assert_int_equal(nicsec_hal_sa_stop(f->dev, id), NICSEC_HAL_E_SA_STATE);
  assert_int_equal(nicsec_hal_sa_free(f->dev, id), NICSEC_HAL_E_SA_STATE);
  assert_int_equal(nicsec_hal_sa_stats(f->dev, id, &st), NICSEC_HAL_OK); /* still readable */
  enum nicsec_hal_err err;
  while ((err = nicsec_hal_sa_drain(f->dev, id)) == NICSEC_HAL_E_BUSY)
    ;
  assert_int_equal(err, NICSEC_HAL_OK);
  assert_int_equal(nicsec_hal_sa_free(f->dev, id), NICSEC_HAL_OK);
  /* Gone for good; the handle is not reused and the SPI is free again. */
  assert_int_equal(nicsec_hal_sa_stats(f->dev, id, &st), NICSEC_HAL_E_NO_SUCH_SA);
  assert_int_equal(nicsec_hal_sa_free(f->dev, id), NICSEC_HAL_E_NO_SUCH_SA);
  assert_int_equal(nicsec_hal_sa_stop(f->dev, id), NICSEC_HAL_E_NO_SUCH_SA);
  nicsec_hal_sa_id again = add_one(f, &sa);
  assert_true(again != id);
  assert_int_equal(sa_count(f), 1);
}

/* ---- traffic: stats, replay, lifetimes ---------------------------------------------------- */

struct pair {
  nicsec_hal_sa_id out, in;
};

/* An outbound SA and the inbound SA a peer would hold for it, both on this device, so the
 * device's encap output can be fed to its own decap. */
static struct pair add_pair(struct fixture *f, uint32_t k, const struct nicsec_hal_limits *out_l) {
  struct nicsec_hal_sa out = tu_sa_for(f->caps, NICSEC_HAL_DIR_OUT, in_spi(f, k));
  struct nicsec_hal_sa in = out;
  in.dir = NICSEC_HAL_DIR_IN;
  if (out_l)
    out.limits = *out_l;
  return (struct pair){add_one(f, &out), add_one(f, &in)};
}

static size_t plain_packet(const struct fixture *f, uint8_t *buf, size_t payload) {
  if (f->caps->families & NICSEC_HAL_AF_INET)
    return tu_udp4_packet(buf, "10.1.0.1", "10.2.0.1", 1000, 2000, payload, 0);
  return tu_udp6_packet(buf, "2001:db8:1::1", "2001:db8:2::1", 1000, 2000, payload);
}

static enum nicsec_hal_err send_one(struct fixture *f, nicsec_hal_sa_id id, size_t payload,
                                    uint8_t *esp, size_t *esp_len) {
  uint8_t pkt[PKT_BUF];
  size_t len = plain_packet(f, pkt, payload);
  return nicsec_hal_encap(f->dev, id, pkt, len, esp, PKT_BUF, esp_len);
}

static void test_stats_counters(void **state) {
  struct fixture *f = *state;
  if (!f->caps->host_datapath)
    skip();
  struct pair p = add_pair(f, 20, NULL);
  uint8_t plain[PKT_BUF], esp[3][PKT_BUF], out[PKT_BUF];
  size_t plain_len = plain_packet(f, plain, 100), esp_len[3], out_len;
  for (int i = 0; i < 3; i++)
    assert_int_equal(nicsec_hal_encap(f->dev, p.out, plain, plain_len, esp[i], PKT_BUF,
                                      &esp_len[i]),
                     NICSEC_HAL_OK);
  nicsec_hal_sa_id got = 0;
  for (int i = 0; i < 3; i++) {
    assert_int_equal(nicsec_hal_decap(f->dev, esp[i], esp_len[i], out, PKT_BUF, &out_len, &got),
                     NICSEC_HAL_OK);
    assert_int_equal(got, p.in);
    assert_memory_equal(out, plain, plain_len);
    assert_int_equal(out_len, plain_len);
  }
  assert_int_equal(nicsec_hal_decap(f->dev, esp[1], esp_len[1], out, PKT_BUF, &out_len, NULL),
                   NICSEC_HAL_E_PKT_REPLAY);
  uint8_t fresh[PKT_BUF];
  size_t fresh_len;
  assert_int_equal(send_one(f, p.out, 100, fresh, &fresh_len), NICSEC_HAL_OK);
  fresh[fresh_len - 1] ^= 0x01;
  assert_int_equal(nicsec_hal_decap(f->dev, fresh, fresh_len, out, PKT_BUF, &out_len, NULL),
                   NICSEC_HAL_E_PKT_AUTH);
  struct nicsec_hal_sa_stats so, si;
  assert_int_equal(nicsec_hal_sa_stats(f->dev, p.out, &so), NICSEC_HAL_OK);
  assert_int_equal(nicsec_hal_sa_stats(f->dev, p.in, &si), NICSEC_HAL_OK);
  assert_int_equal(so.packets, 4);
  assert_int_equal(so.bytes, 4 * plain_len);
  assert_int_equal(so.seq, 4);
  assert_int_equal(si.packets, 3);
  assert_int_equal(si.bytes, 3 * plain_len);
  assert_int_equal(si.seq, 3);
  assert_int_equal(si.replay_drops, 1);
  assert_int_equal(si.drops[NICSEC_HAL_DROP_REPLAY], 1);
  assert_int_equal(si.auth_failures, 1);
  assert_int_equal(si.drops[NICSEC_HAL_DROP_AUTH], 1);
  assert_true(si.last_use_s > 0 && so.last_use_s > 0);
}

/* ---- BEET mode (RFC 7402 appendix B) -------------------------------------------------------- */

/* A BEET pair binding the inner hosts of plain_packet(); outer addresses from tu_sa_for. */
static struct pair add_beet_pair(struct fixture *f, uint32_t k) {
  bool v4 = f->caps->families & NICSEC_HAL_AF_INET;
  struct nicsec_hal_sa out = tu_sa_for(f->caps, NICSEC_HAL_DIR_OUT, in_spi(f, k));
  out.mode = NICSEC_HAL_MODE_BEET;
  out.beet.src = tu_addr(v4 ? "10.1.0.1" : "2001:db8:1::1");
  out.beet.dst = tu_addr(v4 ? "10.2.0.1" : "2001:db8:2::1");
  struct nicsec_hal_sa in = out;
  in.dir = NICSEC_HAL_DIR_IN;
  return (struct pair){add_one(f, &out), add_one(f, &in)};
}

/* The wire packet carries the outer addresses and no inner IP header; decap restores the inner
 * packet byte for byte (TTL, TOS and ID travel in the outer header). */
static void test_beet_roundtrip(void **state) {
  struct fixture *f = *state;
  if (!(f->caps->modes & NICSEC_HAL_MODE_BEET) || !f->caps->host_datapath)
    skip();
  struct pair p = add_beet_pair(f, 70);
  uint8_t plain[PKT_BUF], esp[PKT_BUF], out[PKT_BUF];
  size_t plain_len = plain_packet(f, plain, 200), esp_len, out_len;
  assert_int_equal(nicsec_hal_encap(f->dev, p.out, plain, plain_len, esp, PKT_BUF, &esp_len),
                   NICSEC_HAL_OK);
  bool v4 = (plain[0] >> 4) == 4;
  size_t hdr = v4 ? 20 : 40, icv = tu_sa_for(f->caps, NICSEC_HAL_DIR_OUT, 1).icv_len;
  struct nicsec_hal_addr outer_src = tu_addr(v4 ? "192.0.2.1" : "2001:db8::1");
  assert_memory_equal(esp + (v4 ? 12 : 8), outer_src.bytes, v4 ? 4 : 16);
  assert_int_equal(esp[v4 ? 9 : 6], 50);
  /* outer header, ESP header + IV, the inner payload only, 2..5 octets of trailer, ICV */
  size_t inner_payload = plain_len - hdr, body = esp_len - hdr - 16 - icv;
  assert_true(body >= inner_payload + 2 && body <= inner_payload + 5 && body % 4 == 0);
  assert_int_equal(nicsec_hal_decap(f->dev, esp, esp_len, out, PKT_BUF, &out_len, NULL),
                   NICSEC_HAL_OK);
  assert_int_equal(out_len, plain_len);
  assert_memory_equal(out, plain, plain_len);
}

/* A BEET SA carries exactly its own inner address pair. */
static void test_beet_other_inner_address(void **state) {
  struct fixture *f = *state;
  if (!(f->caps->modes & NICSEC_HAL_MODE_BEET) || !f->caps->host_datapath)
    skip();
  struct pair p = add_beet_pair(f, 71);
  uint8_t plain[PKT_BUF], esp[PKT_BUF];
  size_t esp_len, plain_len = f->caps->families & NICSEC_HAL_AF_INET
                                  ? tu_udp4_packet(plain, "10.1.0.9", "10.2.0.1", 1, 2, 20, 0)
                                  : tu_udp6_packet(plain, "2001:db8:1::9", "2001:db8:2::1", 1,
                                                   2, 20);
  assert_int_equal(nicsec_hal_encap(f->dev, p.out, plain, plain_len, esp, PKT_BUF, &esp_len),
                   NICSEC_HAL_E_PKT_POLICY);
  struct nicsec_hal_sa_stats st;
  assert_int_equal(nicsec_hal_sa_stats(f->dev, p.out, &st), NICSEC_HAL_OK);
  assert_int_equal(st.drops[NICSEC_HAL_DROP_POLICY], 1);
  assert_int_equal(st.packets, 0);
}

/* ---- transport mode (RFC 4303 3.1.1) --------------------------------------------------------- */

/* The packet keeps its own IP header (protocol 50, or 17 with UDP encapsulation, lengths fixed)
 * and the peer gives back the original packet byte for byte; with and without ESP-in-UDP. */
static void test_transport_roundtrip(void **state) {
  struct fixture *f = *state;
  if (!(f->caps->modes & NICSEC_HAL_MODE_TRANSPORT) || !f->caps->host_datapath)
    skip();
  for (unsigned udp = 0; udp <= (f->caps->udp_encap ? 1u : 0u); udp++) {
    struct nicsec_hal_sa out = tu_sa_for(f->caps, NICSEC_HAL_DIR_OUT, in_spi(f, 80 + udp));
    out.mode = NICSEC_HAL_MODE_TRANSPORT;
    out.encap.enabled = udp;
    out.encap.sport = out.encap.dport = 4500;
    struct nicsec_hal_sa in = out;
    in.dir = NICSEC_HAL_DIR_IN;
    struct pair p = {add_one(f, &out), add_one(f, &in)};
    uint8_t plain[PKT_BUF], esp[PKT_BUF], back[PKT_BUF];
    size_t plain_len = plain_packet(f, plain, 300), esp_len, back_len;
    assert_int_equal(nicsec_hal_encap(f->dev, p.out, plain, plain_len, esp, PKT_BUF, &esp_len),
                     NICSEC_HAL_OK);
    bool v4 = (plain[0] >> 4) == 4;
    size_t hdr = v4 ? 20 : 40, addrs = v4 ? 12 : 8;
    assert_memory_equal(esp + addrs, plain + addrs, hdr - addrs); /* the packet's own addresses */
    assert_int_equal(esp[v4 ? 9 : 6], udp ? 17 : 50);
    size_t ip_len = (size_t)(esp[v4 ? 2 : 4] << 8 | esp[v4 ? 3 : 5]) + (v4 ? 0 : 40);
    assert_int_equal(ip_len, esp_len);
    assert_int_equal(nicsec_hal_decap(f->dev, esp, esp_len, back, PKT_BUF, &back_len, NULL),
                     NICSEC_HAL_OK);
    assert_int_equal(back_len, plain_len);
    assert_memory_equal(back, plain, plain_len);
  }
}

static size_t drain_events(struct fixture *f, struct nicsec_hal_event *evs) {
  size_t n = 0;
  assert_int_equal(nicsec_hal_poll_events(f->dev, evs, MAX_EVENTS, &n), NICSEC_HAL_OK);
  return n;
}

static void test_packet_limit_events(void **state) {
  struct fixture *f = *state;
  if (!f->caps->host_datapath)
    skip();
  struct nicsec_hal_limits l = {.soft_packets = 2, .hard_packets = 3};
  struct pair p = add_pair(f, 30, &l);
  struct nicsec_hal_event evs[MAX_EVENTS];
  uint8_t esp[PKT_BUF];
  size_t esp_len;
  assert_int_equal(send_one(f, p.out, 10, esp, &esp_len), NICSEC_HAL_OK);
  assert_int_equal(drain_events(f, evs), 0);
  assert_int_equal(send_one(f, p.out, 10, esp, &esp_len), NICSEC_HAL_OK);
  assert_int_equal(drain_events(f, evs), 1);
  assert_int_equal(evs[0].type, NICSEC_HAL_EV_SOFT_PACKETS);
  assert_int_equal(evs[0].sa, p.out);
  assert_int_equal(evs[0].value, 2);
  assert_int_equal(evs[0].reqid, 7);
  assert_int_equal(send_one(f, p.out, 10, esp, &esp_len), NICSEC_HAL_OK);
  assert_int_equal(drain_events(f, evs), 1);
  assert_int_equal(evs[0].type, NICSEC_HAL_EV_HARD_PACKETS);
  assert_int_equal(evs[0].value, 3);
  /* Hard limit reached: refused, counted, and no second event. */
  assert_int_equal(send_one(f, p.out, 10, esp, &esp_len), NICSEC_HAL_E_PKT_EXPIRED);
  assert_int_equal(drain_events(f, evs), 0);
  struct nicsec_hal_sa_stats st;
  assert_int_equal(nicsec_hal_sa_stats(f->dev, p.out, &st), NICSEC_HAL_OK);
  assert_int_equal(st.packets, 3);
  assert_int_equal(st.drops[NICSEC_HAL_DROP_EXPIRED], 1);
  /* Raising the limit (as after a rekey race) lets traffic through again. */
  struct nicsec_hal_sa_update upd = {.what = NICSEC_HAL_UPD_LIMITS,
                                     .limits = {.soft_packets = 4, .hard_packets = 10}};
  assert_int_equal(nicsec_hal_sa_update(f->dev, p.out, &upd), NICSEC_HAL_OK);
  assert_int_equal(send_one(f, p.out, 10, esp, &esp_len), NICSEC_HAL_OK);
  assert_int_equal(drain_events(f, evs), 1);
  assert_int_equal(evs[0].type, NICSEC_HAL_EV_SOFT_PACKETS);
}

static void test_byte_limit_events(void **state) {
  struct fixture *f = *state;
  if (!f->caps->host_datapath)
    skip();
  uint8_t pkt[PKT_BUF];
  size_t len = plain_packet(f, pkt, 50);
  struct nicsec_hal_limits l = {.soft_bytes = len + 1, .hard_bytes = 2 * len};
  struct pair p = add_pair(f, 40, &l);
  struct nicsec_hal_event evs[MAX_EVENTS];
  uint8_t esp[PKT_BUF];
  size_t esp_len;
  assert_int_equal(send_one(f, p.out, 50, esp, &esp_len), NICSEC_HAL_OK);
  assert_int_equal(drain_events(f, evs), 0);
  assert_int_equal(send_one(f, p.out, 50, esp, &esp_len), NICSEC_HAL_OK);
  assert_int_equal(drain_events(f, evs), 2);
  assert_int_equal(evs[0].type, NICSEC_HAL_EV_SOFT_BYTES);
  assert_int_equal(evs[1].type, NICSEC_HAL_EV_HARD_BYTES);
  assert_int_equal(evs[1].value, 2 * len);
  assert_int_equal(send_one(f, p.out, 50, esp, &esp_len), NICSEC_HAL_E_PKT_EXPIRED);
}

static void test_stopped_sa_takes_no_traffic(void **state) {
  struct fixture *f = *state;
  if (!f->caps->host_datapath)
    skip();
  struct pair p = add_pair(f, 50, NULL);
  uint8_t esp[PKT_BUF], out[PKT_BUF];
  size_t esp_len, out_len;
  assert_int_equal(send_one(f, p.out, 20, esp, &esp_len), NICSEC_HAL_OK);
  assert_int_equal(nicsec_hal_sa_stop(f->dev, p.in), NICSEC_HAL_OK);
  assert_int_equal(nicsec_hal_decap(f->dev, esp, esp_len, out, PKT_BUF, &out_len, NULL),
                   NICSEC_HAL_E_PKT_NO_SA);
  assert_int_equal(nicsec_hal_sa_stop(f->dev, p.out), NICSEC_HAL_OK);
  assert_int_equal(send_one(f, p.out, 20, esp, &esp_len), NICSEC_HAL_E_PKT_NO_SA);
  uint64_t drops[NICSEC_HAL_DROP__COUNT];
  assert_int_equal(nicsec_hal_dev_drops(f->dev, drops), NICSEC_HAL_OK);
  assert_int_equal(drops[NICSEC_HAL_DROP_NO_SA], 1);
}

/* ---- dump and policies -------------------------------------------------------------------- */

struct dump_check {
  size_t seen;
  nicsec_hal_sa_id id;
  const struct nicsec_hal_sa *want;
};

static int check_redacted(const struct nicsec_hal_sa_info *info, void *ctx) {
  struct dump_check *c = ctx;
  static const uint8_t zero[NICSEC_HAL_MAX_KEY];
  c->seen++;
  assert_memory_equal(info->sa.key, zero, sizeof info->sa.key);
  assert_memory_equal(info->sa.salt, zero, sizeof info->sa.salt);
  if (info->id == c->id) {
    assert_int_equal(info->state, NICSEC_HAL_SA_ACTIVE);
    assert_int_equal(info->sa.spi, c->want->spi);
    assert_int_equal(info->sa.dir, c->want->dir);
    assert_int_equal(info->sa.alg, c->want->alg);
    assert_int_equal(info->sa.key_len, c->want->key_len);
    assert_int_equal(info->sa.icv_len, c->want->icv_len);
    assert_int_equal(info->sa.replay_window, c->want->replay_window);
    assert_int_equal(info->sa.reqid, c->want->reqid);
    assert_memory_equal(&info->sa.dst, &c->want->dst, sizeof c->want->dst);
  }
  return 0;
}

static void test_dump_redacts_keys(void **state) {
  struct fixture *f = *state;
  struct nicsec_hal_sa in = tu_sa_for(f->caps, NICSEC_HAL_DIR_IN, in_spi(f, 60));
  struct nicsec_hal_sa out = tu_sa_for(f->caps, NICSEC_HAL_DIR_OUT, 0x6000);
  nicsec_hal_sa_id in_id = add_one(f, &in);
  add_one(f, &out);
  struct dump_check c = {.id = in_id, .want = &in};
  assert_int_equal(nicsec_hal_dump(f->dev, check_redacted, &c), NICSEC_HAL_OK);
  assert_int_equal(c.seen, 2);
}

static void test_policies(void **state) {
  struct fixture *f = *state;
  if (!(f->caps->offload_modes & NICSEC_HAL_OFFLOAD_PACKET) || f->caps->max_policies == 0)
    skip();
  struct nicsec_hal_policy pol = {.dir = NICSEC_HAL_DIR_OUT, .action = NICSEC_HAL_POLICY_PROTECT,
                                  .reqid = 7, .priority = 100};
  pol.sel.src = tu_addr("10.1.0.0");
  pol.sel.dst = tu_addr("10.2.0.0");
  pol.sel.src_prefix = pol.sel.dst_prefix = 16;
  nicsec_hal_policy_id id, id2;
  assert_int_equal(nicsec_hal_policy_add(f->dev, &pol, &id), NICSEC_HAL_OK);
  assert_int_equal(nicsec_hal_policy_add(f->dev, &pol, &id2), NICSEC_HAL_E_DUPLICATE_POLICY);
  struct nicsec_hal_policy bypass = pol;
  bypass.action = NICSEC_HAL_POLICY_BYPASS;
  bypass.priority = 1;
  bypass.sel.proto = 17;
  bypass.sel.dport = 500;
  assert_int_equal(nicsec_hal_policy_add(f->dev, &bypass, &id2), NICSEC_HAL_OK);
  assert_int_equal(nicsec_hal_policy_del(f->dev, id), NICSEC_HAL_OK);
  assert_int_equal(nicsec_hal_policy_del(f->dev, id), NICSEC_HAL_E_NO_SUCH_POLICY);
  assert_int_equal(nicsec_hal_policy_del(f->dev, id2), NICSEC_HAL_OK);
}

#define CASE(fn) cmocka_unit_test_setup_teardown(fn, open_dev, close_dev)

int nicsec_hal_conformance_run(const char *backend, const char *args) {
  backend_name = backend;
  backend_args = args;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_registry),
      CASE(test_caps_sane),
      CASE(test_batch_add_ok),
      CASE(test_batch_all_or_none_in_batch),
      CASE(test_batch_all_or_none_vs_table),
      CASE(test_batch_too_large),
      CASE(test_duplicate_spi),
      CASE(test_spi_window),
      CASE(test_rejects_with_reason),
      CASE(test_table_full),
      CASE(test_two_phase_delete),
      CASE(test_stats_counters),
      CASE(test_packet_limit_events),
      CASE(test_byte_limit_events),
      CASE(test_stopped_sa_takes_no_traffic),
      CASE(test_beet_roundtrip),
      CASE(test_beet_other_inner_address),
      CASE(test_transport_roundtrip),
      CASE(test_dump_redacts_keys),
      CASE(test_policies),
  };
  char group[128];
  snprintf(group, sizeof group, "hal conformance: %s %s", backend, args ? args : "");
  return _cmocka_run_group_tests(group, tests, sizeof tests / sizeof tests[0], NULL, NULL);
}
