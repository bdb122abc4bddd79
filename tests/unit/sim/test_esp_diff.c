/* Differential test of the RTL ESP engine against the soft engine (the golden model).
 *
 * The same SAs go into soft (soft_sa_init) and into the Verilated engine (SA mailbox). Random
 * plaintext packets (1..9,000 octets of UDP payload, many SAs, AES-128/256, ICV 8/12/16, ESN
 * with sequence numbers crossing 2^32, ESP and ESP-in-UDP, tunnel and transport mode; transport
 * over IPv4 with and without options and over IPv6) are encapsulated by both: the ESP packets
 * must be byte-identical, and packets both refuse (bad IPv4 checksum, fragment, next header 59,
 * the other family) must get the same verdict. Each engine's output is then decapsulated by
 * the RTL ingress and by soft, mixed with replayed, out-of-window and corrupted packets:
 * verdicts, decrypted packets, and at the end every SA's counters must agree. The RTL ingress
 * refuses an outer header with IPv4 options or IPv6 (UNSUPPORTED, a documented difference):
 * for those packets only that verdict is checked.
 *
 * NICSEC_DIFF_PACKETS (default 10000) sets the number of packets; NICSEC_DIFF_SEED the seed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "esp_engine.h"
#include "esp_kat_common.h"
#include "nicsec_regs.h"
#include "nicsim.h"
#include "sim_dev.h"

enum { N_SA = 24, BUF = 9200, MAX_PAYLOAD = 9000, HISTORY = 8, SPI_BASE = 256 };

static uint64_t rng_state;
static uint32_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (uint32_t)(rng_state >> 11);
}

struct pair {
  struct nicsec_hal_sa desc_out, desc_in;
  struct soft_sa soft_out, soft_in;
  uint8_t history[HISTORY][BUF]; /* earlier ESP packets of this SA, for replays */
  size_t history_len[HISTORY];
  unsigned n_history;
};

static struct pair pairs[N_SA];
static unsigned verdicts[NICSEC_HAL_E__COUNT]; /* ingress verdicts seen, both engines agreeing */
static unsigned egress_verdicts[NICSEC_HAL_E__COUNT];
static unsigned compared;          /* ingress packets both engines decapsulated */
static unsigned transport_ok;      /* of those, transport-mode packets delivered */
static unsigned rtl_unsupported;   /* outer headers the RTL ingress does not parse */

static struct nicsec_hal_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  struct nicsec_hal_addr x = {.family = NICSEC_HAL_AF_INET};
  x.bytes[0] = a, x.bytes[1] = b, x.bytes[2] = c, x.bytes[3] = d;
  return x;
}

/* 2001:db8::<net>:<host> */
static struct nicsec_hal_addr v6(uint8_t net, uint8_t host) {
  struct nicsec_hal_addr x = {.family = NICSEC_HAL_AF_INET6};
  x.bytes[0] = 0x20, x.bytes[1] = 0x01, x.bytes[2] = 0x0d, x.bytes[3] = 0xb8;
  x.bytes[13] = net, x.bytes[15] = host;
  return x;
}

/* SA k's shape: which mix of mode, encapsulation and family it covers. Transport over IPv6 is
 * never UDP-encapsulated (the engine refuses it: the UDP checksum would cover the ciphertext). */
static bool sa_udp(uint32_t k) { return k % 4 == 1; }
static bool sa_transport(uint32_t k) { return k % 2 == 0 || k % 8 == 1; }
static bool sa_ipv6(uint32_t k) { return sa_transport(k) && k % 4 == 2; }

static void make_sa(struct nicsec_hal_sa *sa, uint32_t k) {
  static const uint8_t icvs[] = {8, 12, 16};
  static const uint16_t windows[] = {64, 128, 1024};
  memset(sa, 0, sizeof *sa);
  sa->dir = NICSEC_HAL_DIR_OUT;
  sa->offload = NICSEC_HAL_OFFLOAD_PACKET;
  sa->mode = sa_transport(k) ? NICSEC_HAL_MODE_TRANSPORT : NICSEC_HAL_MODE_TUNNEL;
  sa->spi = SPI_BASE + k;
  sa->reqid = k;
  sa->src = sa_ipv6(k) ? v6(1, (uint8_t)(1 + k)) : v4(192, 0, 2, (uint8_t)(1 + k));
  sa->dst = sa_ipv6(k) ? v6(2, (uint8_t)(1 + k)) : v4(198, 51, 100, (uint8_t)(1 + k));
  sa->alg = (rnd() & 1) ? NICSEC_HAL_ALG_AES_GCM_256 : NICSEC_HAL_ALG_AES_GCM_128;
  sa->key_len = sa->alg == NICSEC_HAL_ALG_AES_GCM_256 ? 32 : 16;
  for (unsigned i = 0; i < sa->key_len; i++)
    sa->key[i] = (uint8_t)rnd();
  for (unsigned i = 0; i < 4; i++)
    sa->salt[i] = (uint8_t)rnd();
  sa->icv_len = icvs[rnd() % 3];
  sa->esn = k % 3 != 0;
  /* ESN SAs start a few packets below a 2^32 boundary so the high half wraps during the run. */
  sa->initial_seq = sa->esn ? (UINT64_C(0xffffffff) - (rnd() % 40)) : rnd() % 1000;
  sa->replay_window = windows[rnd() % 3];
  if (sa_udp(k)) {
    sa->encap.enabled = true;
    sa->encap.sport = 4500;
    sa->encap.dport = (uint16_t)(4500 + k);
  }
}

static void put16(uint8_t *p, size_t v) { p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v; }

static void udp_header(uint8_t *u, size_t payload) {
  u[0] = 0x13, u[1] = 0x88, u[2] = 0x07, u[3] = 0xd0;
  put16(u + 4, payload + 8);
  u[6] = u[7] = 0;
  for (size_t i = 0; i < payload; i++)
    u[8 + i] = (uint8_t)rnd();
}

/* IPv4 (options_words 32-bit words of options) + UDP + payload, checksum right. */
static size_t udp4_packet(uint8_t *p, size_t payload, uint8_t tos, unsigned options_words) {
  size_t hdr = 20 + 4 * (size_t)options_words, total = hdr + 8 + payload;
  memset(p, 0, hdr);
  p[0] = (uint8_t)(0x40 | (5 + options_words)), p[1] = tos;
  put16(p + 2, total);
  p[4] = (uint8_t)rnd(), p[8] = 64, p[9] = 17;
  p[12] = 10, p[13] = 1, p[15] = (uint8_t)rnd();
  p[16] = 10, p[17] = 2, p[19] = (uint8_t)rnd();
  for (size_t i = 20; i < hdr; i++)
    p[i] = (uint8_t)rnd();
  put16(p + 10, kat_ipv4_checksum(p, hdr));
  udp_header(p + hdr, payload);
  return total;
}

/* IPv6 + UDP + payload. */
static size_t udp6_packet(uint8_t *p, size_t payload, uint8_t tclass) {
  memset(p, 0, 40);
  p[0] = (uint8_t)(0x60 | tclass >> 4), p[1] = (uint8_t)(tclass << 4), p[3] = (uint8_t)rnd();
  put16(p + 4, 8 + payload);
  p[6] = 17, p[7] = 64;
  p[8] = 0x20, p[9] = 0x01, p[23] = (uint8_t)rnd();
  p[24] = 0x20, p[25] = 0x01, p[39] = (uint8_t)rnd();
  udp_header(p + 40, payload);
  return 40 + 8 + payload;
}

/* Now and then a packet transport mode must refuse, the same way in both engines. */
static void spoil_transport(uint8_t *p, bool ipv4) {
  switch (rnd() % 4) {
  case 0: /* next header 59: the peer would take the packet for TFC padding */
    p[ipv4 ? 9 : 6] = 59;
    break;
  case 1: /* IPv6 fragment header / IPv4 more-fragments */
    if (ipv4)
      p[6] |= 0x20;
    else
      p[6] = 44;
    break;
  default: /* IPv4: a checksum that does not add up */
    if (ipv4)
      p[10] ^= 0x01;
    return;
  }
  if (ipv4) {
    p[10] = p[11] = 0;
    put16(p + 10, kat_ipv4_checksum(p, (size_t)(p[0] & 0x0f) * 4));
  }
}

/* A plaintext packet for SA k: tunnel takes IPv4; transport its own family (now and then the
 * other one, which it refuses), IPv4 with options sometimes. */
static size_t packet_for(uint8_t *p, uint32_t k, size_t payload) {
  uint8_t tos = (uint8_t)rnd();
  if (!sa_transport(k))
    return udp4_packet(p, payload, tos, 0);
  bool ipv6 = sa_ipv6(k) != (rnd() % 64 == 0);
  size_t len = ipv6 ? udp6_packet(p, payload, tos)
                    : udp4_packet(p, payload, tos, rnd() % 4 == 0 ? rnd() % 11 : 0);
  if (rnd() % 32 == 0)
    spoil_transport(p, !ipv6);
  return len;
}

/* What the RTL ingress does not parse (outer IPv4 options, outer IPv6). */
static bool rtl_ingress_refuses(const uint8_t *wire) { return wire[0] != 0x45; }

static size_t random_payload(void) {
  switch (rnd() % 4) {
  case 0: return rnd() % 64;
  case 1: return rnd() % 600;
  case 2: return rnd() % 1500;
  default: return rnd() % (MAX_PAYLOAD + 1);
  }
}

struct fixture {
  struct nicsim *sim;
  unsigned packets;
  uint64_t tx_cycles, tx_octets;
};

static int setup(void **state) {
  static struct fixture f;
  const char *seed = getenv("NICSEC_DIFF_SEED");
  const char *count = getenv("NICSEC_DIFF_PACKETS");
  rng_state = seed ? strtoull(seed, NULL, 0) : UINT64_C(0x2545f4914f6cdd1d);
  f.packets = count ? (unsigned)strtoul(count, NULL, 0) : 10000;
  f.sim = nicsim_create();
  assert_non_null(f.sim);
  assert_int_equal(nicsim_mmio_write32(f.sim, NICSEC_REG_CONTROL, NICSEC_CONTROL_ENABLE_MASK),
                   NICSIM_OK);
  for (uint32_t k = 0; k < N_SA; k++) {
    struct pair *p = &pairs[k];
    make_sa(&p->desc_out, k);
    p->desc_in = p->desc_out;
    p->desc_in.dir = NICSEC_HAL_DIR_IN;
    assert_int_equal(soft_sa_init(&p->soft_out, &p->desc_out), NICSEC_HAL_OK);
    assert_int_equal(soft_sa_init(&p->soft_in, &p->desc_in), NICSEC_HAL_OK);
    assert_int_equal(sim_sa_install(f.sim, k, &p->desc_out, true), NICSEC_HAL_OK);
    assert_int_equal(sim_sa_install(f.sim, k, &p->desc_in, true), NICSEC_HAL_OK);
  }
  *state = &f;
  return 0;
}

static int teardown(void **state) {
  struct fixture *f = *state;
  for (uint32_t k = 0; k < N_SA; k++) {
    soft_sa_wipe(&pairs[k].soft_out);
    soft_sa_wipe(&pairs[k].soft_in);
  }
  nicsim_destroy(f->sim);
  return 0;
}

/* Both ingress paths on one wire packet: same verdict, same plaintext. */
static void check_decap(struct fixture *f, struct pair *p, const uint8_t *wire, size_t len,
                        const char *what) {
  static uint8_t hw_out[BUF], sw_out[BUF];
  size_t hw_len = 0, sw_len = 0;
  uint8_t code = 0xff;
  uint32_t slot = 0;
  assert_int_equal(sim_ingress_one(f->sim, wire, len, hw_out, BUF, &hw_len, &code, &slot),
                   NICSEC_HAL_OK);
  if (rtl_ingress_refuses(wire)) {
    assert_int_equal(sim_status_err(code), NICSEC_HAL_E_PKT_UNSUPPORTED);
    rtl_unsupported++;
    return;
  }
  compared++;
  struct esp_outer o;
  uint32_t events = 0;
  enum nicsec_hal_err sw = soft_esp_parse_outer(wire, len, &o);
  if (sw == NICSEC_HAL_OK)
    sw = soft_esp_decap(&p->soft_in, &o, wire, sw_out, BUF, &sw_len, &events);
  if (sw != NICSEC_HAL_OK)
    soft_sa_count_drop(&p->soft_in.stats, sw);
  enum nicsec_hal_err hw = sim_status_err(code);
  verdicts[hw < NICSEC_HAL_E__COUNT ? hw : 0]++;
  if (hw != sw)
    fail_msg("%s: SPI %u, %zu octets: RTL says %s, soft says %s", what, p->desc_in.spi, len,
             nicsec_hal_strerror(hw), nicsec_hal_strerror(sw));
  if (sw == NICSEC_HAL_OK) {
    transport_ok += p->desc_in.mode == NICSEC_HAL_MODE_TRANSPORT;
    assert_int_equal(slot, p->desc_in.spi - SPI_BASE);
    assert_int_equal(hw_len, sw_len);
    assert_memory_equal(hw_out, sw_out, sw_len);
  }
}

static void remember(struct pair *p, const uint8_t *esp, size_t len) {
  unsigned i = p->n_history++ % HISTORY;
  memcpy(p->history[i], esp, len);
  p->history_len[i] = len;
}

static void one_round(struct fixture *f, uint32_t k) {
  static uint8_t plain[BUF], hw_esp[BUF], sw_esp[BUF], bad[BUF];
  struct pair *p = &pairs[k];
  size_t plain_len = packet_for(plain, k, random_payload());
  size_t hw_len = 0, sw_len = 0;
  uint8_t code = 0xff;
  uint32_t events = 0;
  uint64_t before = nicsim_cycles(f->sim);
  assert_int_equal(sim_egress_one(f->sim, k, plain, plain_len, hw_esp, BUF, &hw_len, &code),
                   NICSEC_HAL_OK);
  f->tx_cycles += nicsim_cycles(f->sim) - before;
  f->tx_octets += plain_len;
  enum nicsec_hal_err sw = soft_esp_encap(&p->soft_out, plain, plain_len, sw_esp, BUF, &sw_len,
                                          &events);
  if (sim_status_err(code) != sw)
    fail_msg("egress: SPI %u, %zu octets: RTL says %s, soft says %s", p->desc_out.spi, plain_len,
             nicsec_hal_strerror(sim_status_err(code)), nicsec_hal_strerror(sw));
  egress_verdicts[sw < NICSEC_HAL_E__COUNT ? sw : 0]++;
  if (sw != NICSEC_HAL_OK)
    return;
  assert_int_equal(hw_len, sw_len);
  assert_memory_equal(hw_esp, sw_esp, sw_len);

  switch (rnd() % 8) {
  case 0: /* corrupted: one flipped bit anywhere after the outer headers */
    memcpy(bad, hw_esp, hw_len);
    bad[hw_len - 1 - rnd() % (hw_len - 40)] ^= (uint8_t)(1u << (rnd() % 8));
    check_decap(f, p, bad, hw_len, "corrupted");
    break;
  case 1: /* dropped on the way: a gap the window must absorb */
    break;
  default:
    check_decap(f, p, hw_esp, hw_len, "fresh");
  }
  if (p->n_history && rnd() % 6 == 0) { /* replay of an earlier packet (or far out of window) */
    unsigned i = rnd() % (p->n_history < HISTORY ? p->n_history : HISTORY);
    check_decap(f, p, p->history[i], p->history_len[i], "replayed");
  }
  remember(p, hw_esp, hw_len);
}

static void compare_counters(struct fixture *f) {
  for (uint32_t k = 0; k < N_SA; k++) {
    struct sim_sa_state out, in;
    assert_int_equal(sim_sa_read(f->sim, NICSEC_HAL_DIR_OUT, k, &out), NICSEC_HAL_OK);
    assert_int_equal(sim_sa_read(f->sim, NICSEC_HAL_DIR_IN, k, &in), NICSEC_HAL_OK);
    const struct nicsec_hal_sa_stats *so = &pairs[k].soft_out.stats, *si = &pairs[k].soft_in.stats;
    assert_int_equal(out.packets, so->packets);
    assert_int_equal(out.bytes, so->bytes);
    assert_int_equal(out.seq, so->seq);
    assert_int_equal(in.packets, si->packets);
    assert_int_equal(in.bytes, si->bytes);
    assert_int_equal(in.seq, si->seq);
    assert_int_equal(in.replay_drops, si->replay_drops);
    assert_int_equal(in.auth_fails, si->auth_failures);
    assert_int_equal(in.window_seen, pairs[k].soft_in.replay.seen);
  }
}

static void rtl_matches_soft(void **state) {
  struct fixture *f = *state;
  for (unsigned n = 0; n < f->packets; n++)
    one_round(f, rnd() % N_SA);
  compare_counters(f);
  /* The mix must have exercised every verdict it aims at, or the comparison proves little. */
  assert_true(verdicts[NICSEC_HAL_OK] > compared / 2);
  assert_true(transport_ok > compared / 8);
  assert_true(verdicts[NICSEC_HAL_E_PKT_REPLAY] > 0);
  assert_true(verdicts[NICSEC_HAL_E_PKT_AUTH] > 0);
  assert_true(egress_verdicts[NICSEC_HAL_E_PKT_MALFORMED] > 0);
  assert_true(egress_verdicts[NICSEC_HAL_E_PKT_UNSUPPORTED] > 0);
  assert_true(egress_verdicts[NICSEC_HAL_E_PKT_POLICY] > 0);
  printf("esp_diff: ingress compared=%u (transport ok=%u), RTL-unsupported outer headers=%u\n",
         compared, transport_ok, rtl_unsupported);
  printf("esp_diff: egress verdicts ok=%u malformed=%u unsupported=%u policy=%u\n",
         egress_verdicts[NICSEC_HAL_OK], egress_verdicts[NICSEC_HAL_E_PKT_MALFORMED],
         egress_verdicts[NICSEC_HAL_E_PKT_UNSUPPORTED], egress_verdicts[NICSEC_HAL_E_PKT_POLICY]);
  printf("esp_diff: ingress verdicts ok=%u replay=%u auth=%u trailer=%u malformed=%u\n",
         verdicts[NICSEC_HAL_OK], verdicts[NICSEC_HAL_E_PKT_REPLAY],
         verdicts[NICSEC_HAL_E_PKT_AUTH], verdicts[NICSEC_HAL_E_PKT_TRAILER],
         verdicts[NICSEC_HAL_E_PKT_MALFORMED]);
  printf("esp_diff: %u packets, egress %.2f plaintext octets per cycle (one packet at a time, "
         "latency included)\n",
         f->packets, (double)f->tx_octets / (double)f->tx_cycles);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(rtl_matches_soft, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
