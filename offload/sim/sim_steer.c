#include "sim_steer.h"

#include <string.h>

#include "nicsec_regs.h"

/* STEER_SPORT / STEER_DPORT: HI in the upper half, LO in the lower. */
enum { PORT_RANGE_ANY = 0xffff0000u };

static enum nicsec_hal_err put(struct nicsim *sim, uint32_t reg, uint32_t value) {
  return nicsim_mmio_write32(sim, reg, value) == NICSIM_OK ? NICSEC_HAL_OK : NICSEC_HAL_E_DEVICE;
}

/* Runs a STEER_CMD on one entry; the engine's ERROR bit turns into a device error. */
static enum nicsec_hal_err command(struct nicsim *sim, uint32_t index, uint32_t op) {
  uint32_t status = 0;
  enum nicsec_hal_err err = put(sim, NICSEC_REG_STEER_INDEX, index);
  if (!err)
    err = put(sim, NICSEC_REG_STEER_CMD, op << NICSEC_STEER_CMD_OP_LSB);
  if (!err && nicsim_mmio_read32(sim, NICSEC_REG_STEER_STATUS, &status) != NICSIM_OK)
    err = NICSEC_HAL_E_DEVICE;
  if (!err && (status & NICSEC_STEER_STATUS_ERROR_MASK))
    err = NICSEC_HAL_E_DEVICE;
  return err;
}

static uint32_t port_range(uint16_t port) {
  return port ? (uint32_t)port << 16 | port : PORT_RANGE_ANY;
}

static uint32_t ctrl_word(const struct nicsec_hal_selector *sel) {
  bool v6 = sel->dst.family == NICSEC_HAL_AF_INET6;
  return NICSEC_STEER_CTRL_VALID_MASK | (v6 ? NICSEC_STEER_CTRL_IPV6_MASK : 0) |
         (sel->proto ? (uint32_t)sel->proto << NICSEC_STEER_CTRL_PROTO_LSB
                     : NICSEC_STEER_CTRL_PROTO_ANY_MASK) |
         (uint32_t)NICSEC_STEER_ACTION_PROTECT << NICSEC_STEER_CTRL_ACTION_LSB |
         (uint32_t)sel->src_prefix << NICSEC_STEER_CTRL_SRC_PLEN_LSB |
         (uint32_t)sel->dst_prefix << NICSEC_STEER_CTRL_DST_PLEN_LSB;
}

/* Address word i (octets 4i..4i+3) as STEER_SRCi / STEER_DSTi hold it; IPv4 has only word 0. */
static uint32_t addr_word(const struct nicsec_hal_addr *a, int i) {
  if (a->family != NICSEC_HAL_AF_INET6 && i > 0)
    return 0;
  const uint8_t *p = a->bytes + 4 * i;
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The staging registers, then WRITE into entry `index`. */
static enum nicsec_hal_err write_rule(struct nicsim *sim, uint32_t index,
                                      const struct sim_steer_rule *r) {
  const struct nicsec_hal_selector *sel = &r->sel;
  const struct {
    uint32_t reg, value;
  } words[] = {
      {NICSEC_REG_STEER_CTRL, ctrl_word(sel)},
      {NICSEC_REG_STEER_SA, r->slot},
      {NICSEC_REG_STEER_SPORT, port_range(sel->sport)},
      {NICSEC_REG_STEER_DPORT, port_range(sel->dport)},
      {NICSEC_REG_STEER_SRC0, addr_word(&sel->src, 0)},
      {NICSEC_REG_STEER_SRC1, addr_word(&sel->src, 1)},
      {NICSEC_REG_STEER_SRC2, addr_word(&sel->src, 2)},
      {NICSEC_REG_STEER_SRC3, addr_word(&sel->src, 3)},
      {NICSEC_REG_STEER_DST0, addr_word(&sel->dst, 0)},
      {NICSEC_REG_STEER_DST1, addr_word(&sel->dst, 1)},
      {NICSEC_REG_STEER_DST2, addr_word(&sel->dst, 2)},
      {NICSEC_REG_STEER_DST3, addr_word(&sel->dst, 3)},
  };
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
    enum nicsec_hal_err err = put(sim, words[i].reg, words[i].value);
    if (err)
      return err;
  }
  return command(sim, index, NICSEC_STEER_OP_WRITE);
}

/* Entry `from` copied into entry `to` inside the engine (READ then WRITE, no host copy). */
static enum nicsec_hal_err copy_entry(struct nicsim *sim, size_t from, size_t to) {
  enum nicsec_hal_err err = command(sim, (uint32_t)from, NICSEC_STEER_OP_READ);
  return err ? err : command(sim, (uint32_t)to, NICSEC_STEER_OP_WRITE);
}

/* How specific a selector is: prefix bits first, then a protocol, then ports. */
static unsigned specificity(const struct nicsec_hal_selector *sel) {
  return ((unsigned)sel->src_prefix + sel->dst_prefix) * 4 + (sel->proto ? 2u : 0u) +
         (sel->sport || sel->dport ? 1u : 0u);
}

static bool selector_ok(const struct nicsec_hal_selector *sel) {
  unsigned bits = sel->dst.family == NICSEC_HAL_AF_INET6 ? 128 : 32;
  bool family_ok = sel->dst.family == NICSEC_HAL_AF_INET || sel->dst.family == NICSEC_HAL_AF_INET6;
  return family_ok && (sel->src_prefix == 0 || sel->src.family == sel->dst.family) &&
         sel->src_prefix <= bits && sel->dst_prefix <= bits;
}

enum nicsec_hal_err sim_steer_init(struct nicsim *sim, const struct sim_dev_info *info,
                                   struct sim_steer *t) {
  uint32_t status = 0;
  memset(t, 0, sizeof *t);
  if (!(info->features & NICSEC_FEATURES_TX_STEER_MASK))
    return NICSEC_HAL_OK;
  if (nicsim_mmio_read32(sim, NICSEC_REG_STEER_STATUS, &status) != NICSIM_OK)
    return NICSEC_HAL_E_DEVICE;
  uint32_t depth = (status & NICSEC_STEER_STATUS_DEPTH_MASK) >> NICSEC_STEER_STATUS_DEPTH_LSB;
  /* Entries a previous driver left behind would steer traffic to SAs this one does not know. */
  for (uint32_t i = 0; i < depth; i++) {
    enum nicsec_hal_err err = command(sim, i, NICSEC_STEER_OP_DELETE);
    if (err)
      return err;
  }
  t->depth = depth < SIM_STEER_MAX ? depth : SIM_STEER_MAX;
  return NICSEC_HAL_OK;
}

enum nicsec_hal_err sim_steer_add(struct nicsim *sim, struct sim_steer *t,
                                  const struct nicsec_hal_selector *sel, uint32_t slot) {
  if (!selector_ok(sel))
    return NICSEC_HAL_E_UNSUPPORTED_FAMILY;
  if (t->count >= t->depth)
    return NICSEC_HAL_E_TABLE_FULL;
  size_t at = 0;
  while (at < t->count && specificity(&t->rules[at].sel) > specificity(sel))
    at++;
  /* Make room from the bottom up: each entry is copied before its old place is overwritten. */
  for (size_t i = t->count; i > at; i--) {
    enum nicsec_hal_err err = copy_entry(sim, i - 1, i);
    if (err)
      return err;
  }
  memmove(&t->rules[at + 1], &t->rules[at], (t->count - at) * sizeof t->rules[0]);
  t->count++;
  t->rules[at] = (struct sim_steer_rule){.sel = *sel, .slot = slot};
  return write_rule(sim, (uint32_t)at, &t->rules[at]);
}

/* Closes the gap at `at`: the entries below move up one, the last one is zeroed. */
static enum nicsec_hal_err remove_at(struct nicsim *sim, struct sim_steer *t, size_t at) {
  for (size_t i = at; i + 1 < t->count; i++) {
    enum nicsec_hal_err err = copy_entry(sim, i + 1, i);
    if (err)
      return err;
  }
  memmove(&t->rules[at], &t->rules[at + 1], (t->count - at - 1) * sizeof t->rules[0]);
  t->count--;
  return command(sim, (uint32_t)t->count, NICSEC_STEER_OP_DELETE);
}

enum nicsec_hal_err sim_steer_remove(struct nicsim *sim, struct sim_steer *t, uint32_t slot) {
  for (size_t i = 0; i < t->count;) {
    if (t->rules[i].slot != slot) {
      i++;
      continue;
    }
    enum nicsec_hal_err err = remove_at(sim, t, i);
    if (err)
      return err;
  }
  return NICSEC_HAL_OK;
}
