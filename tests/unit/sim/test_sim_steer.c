/* The "sim" backend's TX steering driver (offload/sim/sim_steer.c) on the RTL steering table of
 * an in-process engine: which outbound slot a plaintext packet sent for a lookup gets (the TX
 * completion's SA), the order the driver keeps (more specific first, newest first among
 * equals), the engine's entries read back against the driver's shadow, removal, a full table
 * and refused selectors. No SA is installed: egress answers NO_SA with the chosen slot, which
 * is all the steering decision is. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nicsec_regs.h"
#include "nicsim.h"
#include "sim_dev.h"
#include "sim_fixture.h"
#include "sim_steer.h"

enum { NO_ENTRY = 0xffff, STEP = 8, MAX_STEPS = 1000, PROTO_UDP = 17, PROTO_TCP = 6 };

static struct sim_steer table;

static struct nicsec_hal_selector v4_dst(uint8_t a, uint8_t b, uint8_t c, uint8_t plen) {
  struct nicsec_hal_selector sel = {0};
  sel.src.family = sel.dst.family = NICSEC_HAL_AF_INET;
  sel.dst.bytes[0] = a, sel.dst.bytes[1] = b, sel.dst.bytes[2] = c;
  sel.dst_prefix = plen;
  return sel;
}

static struct nicsec_hal_selector v6_dst_udp(uint16_t dport) {
  struct nicsec_hal_selector sel = {0};
  sel.src.family = sel.dst.family = NICSEC_HAL_AF_INET6;
  static const uint8_t net[] = {0x20, 0x01, 0x0d, 0xb8};
  memcpy(sel.dst.bytes, net, sizeof net);
  sel.dst_prefix = 64;
  sel.proto = PROTO_UDP;
  sel.dport = dport;
  return sel;
}

/* A 64-octet IPv4 UDP packet from 192.0.2.1 to a.b.c.d. */
static size_t ipv4_udp(uint8_t *p, const uint8_t dst[4]) {
  memset(p, 0, 64);
  p[0] = 0x45, p[3] = 64, p[8] = 64, p[9] = PROTO_UDP;
  p[12] = 192, p[14] = 2, p[15] = 1;
  memcpy(p + 16, dst, 4);
  p[20] = 0x30, p[21] = 0x39, p[22] = 0, p[23] = 53; /* 12345 -> 53 */
  return 64;
}

/* An 80-octet IPv6 packet to 2001:db8::1 (next header proto, ports 1000 -> dport). */
static size_t ipv6_to_net(uint8_t *p, uint8_t proto, uint16_t dport) {
  memset(p, 0, 80);
  p[0] = 0x60, p[5] = 40, p[6] = proto, p[7] = 64;
  p[8] = 0xfe, p[9] = 0x80, p[23] = 1;
  p[24] = 0x20, p[25] = 0x01, p[26] = 0x0d, p[27] = 0xb8, p[39] = 1;
  p[40] = 1000 >> 8, p[41] = 1000 & 0xff, p[42] = (uint8_t)(dport >> 8), p[43] = (uint8_t)dport;
  return 80;
}

/* Sends the packet for a lookup and returns the completion's SA (its code in *code). */
static uint16_t steered_slot(struct nicsim *sim, const uint8_t *pkt, size_t len, uint8_t *code) {
  uint16_t sa = 0;
  assert_int_equal(nicsim_tx_push_lookup(sim, pkt, len), NICSIM_OK);
  for (int i = 0; i < MAX_STEPS; i++) {
    nicsim_step(sim, STEP);
    if (nicsim_txc_pull(sim, &sa, code))
      return sa;
  }
  fail_msg("no TX completion");
  return 0;
}

static uint16_t slot_for_v4(struct nicsim *sim, uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  uint8_t pkt[64], code = 0;
  uint16_t sa = steered_slot(sim, pkt, ipv4_udp(pkt, (const uint8_t[]){a, b, c, d}), &code);
  assert_int_equal(code, sa == NO_ENTRY ? NICSEC_PKT_STATUS_STEER_BYPASS : NICSEC_PKT_STATUS_NO_SA);
  return sa;
}

static uint32_t reg(struct nicsim *sim, uint32_t addr) {
  uint32_t v = 0;
  assert_int_equal(nicsim_mmio_read32(sim, addr, &v), NICSIM_OK);
  return v;
}

/* The engine's entries are the driver's shadow, in order, and the rest are empty. */
static void assert_engine_matches_shadow(struct nicsim *sim) {
  for (uint32_t i = 0; i < table.depth; i++) {
    assert_int_equal(nicsim_mmio_write32(sim, NICSEC_REG_STEER_INDEX, i), NICSIM_OK);
    assert_int_equal(nicsim_mmio_write32(sim, NICSEC_REG_STEER_CMD, NICSEC_STEER_OP_READ),
                     NICSIM_OK);
    uint32_t ctrl = reg(sim, NICSEC_REG_STEER_CTRL);
    if (i >= table.count) {
      assert_int_equal(ctrl | reg(sim, NICSEC_REG_STEER_SA) | reg(sim, NICSEC_REG_STEER_DST0), 0);
      continue;
    }
    assert_true(ctrl & NICSEC_STEER_CTRL_VALID_MASK);
    assert_int_equal(reg(sim, NICSEC_REG_STEER_SA), table.rules[i].slot);
    assert_int_equal((ctrl & NICSEC_STEER_CTRL_DST_PLEN_MASK) >> NICSEC_STEER_CTRL_DST_PLEN_LSB,
                     table.rules[i].sel.dst_prefix);
  }
}

static int setup(void **state) {
  if (create_sim(state))
    return -1;
  struct sim_dev_info info;
  if (sim_dev_probe(*state, &info) || sim_steer_init(*state, &info, &table))
    return -1;
  return 0;
}

static void depth_from_the_engine(void **state) {
  struct nicsim *sim = *state;
  uint32_t status = reg(sim, NICSEC_REG_STEER_STATUS);
  assert_int_equal(table.depth, (status & NICSEC_STEER_STATUS_DEPTH_MASK) >>
                                    NICSEC_STEER_STATUS_DEPTH_LSB);
  assert_true(table.depth >= 64);
  assert_int_equal(slot_for_v4(sim, 10, 2, 3, 4), NO_ENTRY); /* empty table: bypass */
}

static void order_and_removal(void **state) {
  struct nicsim *sim = *state;
  struct nicsec_hal_selector net16 = v4_dst(10, 2, 0, 16), net24 = v4_dst(10, 2, 3, 24);
  struct nicsec_hal_selector udp53 = v6_dst_udp(53);
  assert_int_equal(sim_steer_add(sim, &table, &net16, 5), NICSEC_HAL_OK);
  assert_int_equal(sim_steer_add(sim, &table, &net24, 6), NICSEC_HAL_OK); /* goes in front */
  assert_int_equal(sim_steer_add(sim, &table, &udp53, 7), NICSEC_HAL_OK);
  assert_int_equal(slot_for_v4(sim, 10, 2, 3, 4), 6);
  assert_int_equal(slot_for_v4(sim, 10, 2, 9, 9), 5);
  assert_int_equal(sim_steer_add(sim, &table, &net16, 8), NICSEC_HAL_OK); /* a rekey's new SA */
  assert_int_equal(slot_for_v4(sim, 10, 2, 9, 9), 8);
  assert_engine_matches_shadow(sim);

  uint8_t pkt[80], code = 0;
  assert_int_equal(steered_slot(sim, pkt, ipv6_to_net(pkt, PROTO_UDP, 53), &code), 7);
  assert_int_equal(steered_slot(sim, pkt, ipv6_to_net(pkt, PROTO_UDP, 54), &code), NO_ENTRY);
  assert_int_equal(steered_slot(sim, pkt, ipv6_to_net(pkt, PROTO_TCP, 53), &code), NO_ENTRY);

  assert_int_equal(sim_steer_remove(sim, &table, 8), NICSEC_HAL_OK); /* the old SA again */
  assert_int_equal(slot_for_v4(sim, 10, 2, 9, 9), 5);
  assert_int_equal(sim_steer_remove(sim, &table, 6), NICSEC_HAL_OK);
  assert_int_equal(slot_for_v4(sim, 10, 2, 3, 4), 5);
  assert_engine_matches_shadow(sim);
  assert_int_equal(sim_steer_remove(sim, &table, 5), NICSEC_HAL_OK);
  assert_int_equal(sim_steer_remove(sim, &table, 7), NICSEC_HAL_OK);
  assert_int_equal(table.count, 0);
  assert_int_equal(slot_for_v4(sim, 10, 2, 3, 4), NO_ENTRY);
  assert_engine_matches_shadow(sim);
}

static void full_table_and_bad_selectors(void **state) {
  struct nicsim *sim = *state;
  for (uint32_t i = 0; i < table.depth; i++) {
    struct nicsec_hal_selector host = v4_dst(10, 3, (uint8_t)(i >> 8), 32);
    host.dst.bytes[3] = (uint8_t)i;
    assert_int_equal(sim_steer_add(sim, &table, &host, i), NICSEC_HAL_OK);
  }
  struct nicsec_hal_selector one_more = v4_dst(10, 4, 0, 24);
  assert_int_equal(sim_steer_add(sim, &table, &one_more, 1), NICSEC_HAL_E_TABLE_FULL);
  assert_int_equal(slot_for_v4(sim, 10, 3, 0, 17), 17);
  assert_engine_matches_shadow(sim);

  struct nicsec_hal_selector bad = v4_dst(10, 5, 0, 33);
  assert_int_equal(sim_steer_add(sim, &table, &bad, 1), NICSEC_HAL_E_UNSUPPORTED_FAMILY);
  bad = v4_dst(10, 5, 0, 24);
  bad.dst.family = 0;
  assert_int_equal(sim_steer_add(sim, &table, &bad, 1), NICSEC_HAL_E_UNSUPPORTED_FAMILY);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(depth_from_the_engine, setup, destroy_sim),
      cmocka_unit_test_setup_teardown(order_and_removal, setup, destroy_sim),
      cmocka_unit_test_setup_teardown(full_table_and_bad_selectors, setup, destroy_sim),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
