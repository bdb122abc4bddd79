/* Rekey scenario helpers (see rekey_check.h). */
#include "rekey_check.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rekey_opt.h"

static char cfg_text[2][4096];

static void make_config(int side, const struct rk_cfg *cfg) {
  const char *me = side ? "192.0.2.2" : "192.0.2.1", *peer = side ? "192.0.2.1" : "192.0.2.2";
  const char *my_id = side ? "right@example.test" : "left@example.test";
  const char *peer_id = side ? "left@example.test" : "right@example.test";
  const char *my_net = side ? "203.0.113.0/24" : "198.51.100.0/24";
  const char *peer_net = side ? "198.51.100.0/24" : "203.0.113.0/24";
  snprintf(cfg_text[side], sizeof cfg_text[side],
           "daemon:\n"
           "  retransmit_timeout_ms: 1000\n"
           "  retransmit_tries: 4\n"
           "  inbound_drain_ms: %d\n"
           "hal:\n"
           "  backend: record\n"
           "connections:\n"
           "  - name: peer\n"
           "    local_addr: %s\n"
           "    remote_addr: %s\n"
           "    proposals: [%s]\n"
           "%s"
           "    local: { id: %s }\n"
           "    remote: { id: %s }\n"
           "    children:\n"
           "      - name: net\n"
           "        local_ts: [%s]\n"
           "        remote_ts: [%s]\n"
           "        esp_proposals: [%s]\n"
           "%s"
           "secrets:\n"
           "  - ids: [left@example.test, right@example.test]\n"
           "    secret: \"a pre-shared key of some length\"\n",
           RK_DRAIN_MS, me, peer, cfg->ike ? cfg->ike : "aes256gcm16-prfsha256-x25519",
           cfg->conn_extra[side] ? cfg->conn_extra[side] : "", my_id,
           peer_id, my_net, peer_net, cfg->esp[side] ? cfg->esp[side] : "aes256gcm16",
           cfg->child_extra[side] ? cfg->child_extra[side] : "");
}

void rk_setup(struct harness *h, const struct rk_cfg *cfg) {
  make_config(0, cfg);
  make_config(1, cfg);
  assert_true(h_init(h, cfg_text[0], cfg_text[1]));
  char err[160];
  assert_int_equal(nd_engine_initiate(h->eng[0], h->now, "peer", NULL, err, sizeof err), 0);
  h_run(h, 20);
  rk_check_final(h, 1);
}

void rk_action(struct harness *h, char op, int side) {
  char err[160];
  struct nd_engine *e = h->eng[side];
  int rc = -1;
  switch (op) {
  case 'R':
    rc = nd_engine_rekey_child(e, h->now, "peer", "net", err, sizeof err);
    break;
  case 'G':
    rc = nd_engine_rekey_child_regular(e, h->now, "peer", "net", err, sizeof err);
    break;
  case 'I':
    rc = nd_engine_rekey_ike(e, h->now, "peer", err, sizeof err);
    break;
  case 'D':
    rc = nd_engine_delete_child(e, h->now, "peer", "net", err, sizeof err);
    break;
  default:
    fail_msg("unknown action %c", op);
  }
  (void)rc; /* an action may legitimately find nothing to do in a crossing scenario */
  h_check_timers(h);
}

void rk_script(struct harness *h, const char *script, bool deleting) {
  for (const char *p = script; *p;) {
    while (*p == ' ')
      p++;
    if (!*p)
      break;
    char op = *p++;
    int arg = 0;
    bool has_arg = *p >= '0' && *p <= '9';
    while (*p >= '0' && *p <= '9')
      arg = arg * 10 + (*p++ - '0');
    switch (op) {
    case 'd':
      h_deliver_at(h, (size_t)arg);
      break;
    case 'x':
      h_drop_at(h, (size_t)arg);
      break;
    case 'u':
      h_duplicate_at(h, (size_t)arg);
      break;
    case 't':
      h_advance(h, h->now + 1100);
      break;
    case '*':
      while (h_pending(h)) {
        h_deliver_at(h, 0);
        if (!deleting)
          rk_check_no_blackhole(h);
      }
      continue;
    default:
      assert_true(has_arg);
      rk_action(h, op, arg);
      continue;
    }
    if (!deleting)
      rk_check_no_blackhole(h);
  }
}

bool rk_quiet(const struct harness *h) {
  if (h_pending(h))
    return false;
  for (int s = 0; s < 2; s++) {
    struct h_ike v[4];
    size_t n = h_list(h, s, v, 4);
    for (size_t i = 0; i < n; i++) {
      if (strcmp(v[i].ike.state, "ESTABLISHED") != 0)
        return false;
      for (size_t c = 0; c < v[i].n_children; c++)
        if (strcmp(v[i].child[c].state, "INSTALLED") != 0 || !v[i].child[c].hal_in ||
            !v[i].child[c].hal_out)
          return false;
    }
    const struct rec_device *d = rec_device((size_t)s);
    const struct rec_entry *e[REC_MAX_SAS];
    if (rec_held(d) != rec_active(d, NICSEC_HAL_DIR_IN, e, REC_MAX_SAS) +
                           rec_active(d, NICSEC_HAL_DIR_OUT, e, REC_MAX_SAS))
      return false;
  }
  return true;
}

void rk_settle(struct harness *h) {
  /* Retransmissions (1 s doubling, 4 tries), drains (0.5 s) and the redundant-SA grace (60 s)
   * all end within this horizon. With time-based lifetimes the timers never run out: a rekey
   * may start just before the horizon, and its old inbound SA then legitimately drains for
   * inbound_drain_ms past it. So the horizon only ends the run at a quiet point; one rekey with
   * its drain takes far less than the extra allowance. */
  uint64_t end = h->now + 120000, limit = end + RK_SETTLE_EXTRA_MS;
  for (;;) {
    h_run(h, 1000);
    uint64_t next = nd_engine_next_timer(h->eng[0]);
    uint64_t other = nd_engine_next_timer(h->eng[1]);
    if (other < next)
      next = other;
    if (next == UINT64_MAX || (next > end && rk_quiet(h)))
      break;
    if (h->now >= limit)
      fail_msg("still not quiet %u ms after the settle horizon", (unsigned)RK_SETTLE_EXTRA_MS);
    h_advance(h, next > h->now ? next : h->now + 1);
  }
  h_run(h, 1000);
}

/* The newest active entry of a direction for a reqid (the HAL's choice for outbound). */
static const struct rec_entry *newest_out(const struct rec_device *d, uint32_t reqid) {
  const struct rec_entry *all[REC_MAX_SAS], *best = NULL;
  size_t n = rec_active(d, NICSEC_HAL_DIR_OUT, all, REC_MAX_SAS);
  for (size_t i = 0; i < n; i++)
    if (all[i]->sa.reqid == reqid && (!best || all[i]->id > best->id))
      best = all[i];
  return best;
}

static bool peer_receives(const struct rec_device *peer, const struct nicsec_hal_sa *out) {
  const struct rec_entry *in[REC_MAX_SAS];
  size_t n = rec_active(peer, NICSEC_HAL_DIR_IN, in, REC_MAX_SAS);
  for (size_t i = 0; i < n; i++)
    if (in[i]->sa.spi == out->spi && in[i]->sa.key_len == out->key_len &&
        memcmp(in[i]->sa.key, out->key, out->key_len) == 0 &&
        memcmp(in[i]->sa.salt, out->salt, NICSEC_HAL_SALT_LEN) == 0)
      return true;
  return false;
}

void rk_check_no_blackhole(const struct harness *h) {
  (void)h;
  for (size_t s = 0; s < 2; s++) {
    const struct rec_device *d = rec_device(s), *peer = rec_device(1 - s);
    const struct rec_entry *outs[REC_MAX_SAS];
    size_t n = rec_active(d, NICSEC_HAL_DIR_OUT, outs, REC_MAX_SAS);
    for (size_t i = 0; i < n; i++) {
      const struct rec_entry *used = newest_out(d, outs[i]->sa.reqid);
      if (used != outs[i])
        continue;
      if (!peer_receives(peer, &used->sa))
        fail_msg("side %zu sends on SPI %08x, which side %zu does not receive on", s,
                 used->sa.spi, 1 - s);
    }
  }
}

static void check_history(size_t s) {
  const struct rec_device *d = rec_device(s), *peer = rec_device(1 - s);
  for (size_t i = 0; i < d->n_history; i++) {
    const struct rec_added *a = &d->history[i];
    for (size_t j = i + 1; j < d->n_history; j++) {
      const struct rec_added *b = &d->history[j];
      if (a->dir == NICSEC_HAL_DIR_IN && b->dir == NICSEC_HAL_DIR_IN && a->spi == b->spi)
        fail_msg("side %zu: inbound SPI %08x installed twice", s, a->spi);
      if (memcmp(a->key, b->key, a->key_len) == 0)
        fail_msg("side %zu: a key was installed twice (SPIs %08x, %08x)", s, a->spi, b->spi);
    }
    if (a->dir != NICSEC_HAL_DIR_OUT)
      continue;
    bool matched = false;
    for (size_t j = 0; j < peer->n_history && !matched; j++)
      matched = peer->history[j].dir == NICSEC_HAL_DIR_IN && peer->history[j].spi == a->spi &&
                memcmp(peer->history[j].key, a->key, a->key_len) == 0 &&
                memcmp(peer->history[j].salt, a->salt, NICSEC_HAL_SALT_LEN) == 0;
    if (!matched)
      fail_msg("side %zu installed outbound SPI %08x that side %zu never received on", s, a->spi,
               1 - s);
  }
}

void rk_check_final(const struct harness *h, size_t children) {
  struct h_ike v[2][4];
  for (int s = 0; s < 2; s++) {
    size_t n = h_list(h, s, v[s], 4);
    if (n != 1)
      fail_msg("side %d holds %zu IKE SAs (want 1)", s, n);
    assert_string_equal(v[s][0].ike.state, "ESTABLISHED");
    if (v[s][0].n_children != children)
      fail_msg("side %d: %zu Child SAs (want %zu)", s, v[s][0].n_children, children);
    for (size_t c = 0; c < children; c++)
      assert_string_equal(v[s][0].child[c].state, "INSTALLED");
    const struct rec_entry *in[REC_MAX_SAS], *out[REC_MAX_SAS];
    const struct rec_device *d = rec_device((size_t)s);
    assert_int_equal(rec_active(d, NICSEC_HAL_DIR_IN, in, REC_MAX_SAS), children);
    assert_int_equal(rec_active(d, NICSEC_HAL_DIR_OUT, out, REC_MAX_SAS), children);
    if (rec_held(d) != 2 * children)
      fail_msg("side %d: the HAL still holds %zu SAs (want %zu): leaked", s, rec_held(d),
               2 * children);
    check_history((size_t)s);
  }
  assert_int_equal(v[0][0].ike.spi_i, v[1][0].ike.spi_i);
  assert_int_equal(v[0][0].ike.spi_r, v[1][0].ike.spi_r);
  for (size_t c = 0; c < children; c++) {
    const struct nd_child_view *a = &v[0][0].child[c];
    bool crossed = false;
    for (size_t k = 0; k < children && !crossed; k++)
      crossed = v[1][0].child[k].spi_in == a->spi_out && v[1][0].child[k].spi_out == a->spi_in;
    assert_true(crossed);
  }
  rk_check_no_blackhole(h);
}

void rk_child_spis(const struct harness *h, unsigned *spi_in, unsigned *spi_out) {
  struct h_ike v[1];
  assert_int_equal(h_list(h, 0, v, 1), 1);
  assert_true(v[0].n_children >= 1);
  *spi_in = v[0].child[0].spi_in;
  *spi_out = v[0].child[0].spi_out;
}

unsigned long long rk_ike_spi_i(const struct harness *h) {
  struct h_ike v[1];
  assert_int_equal(h_list(h, 0, v, 1), 1);
  return (unsigned long long)v[0].ike.spi_i;
}
