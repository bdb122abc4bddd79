#include "sim_dev.h"

#include <string.h>

#include "nicsec_regs.h"

enum {
  CMD_TIMEOUT_CYCLES = 10000,
  PKT_TIMEOUT_CYCLES = 200000, /* a 64 KiB packet takes ~4,100 beats each way */
  RECORD_WORDS = (NICSEC_REG_SA_WINDOW_SEEN - NICSEC_REG_SA_SPI) / 4 + 1,
};

#define FIELD(reg_field, v) (((uint32_t)(v) << NICSEC_##reg_field##_LSB) & NICSEC_##reg_field##_MASK)
#define GET(reg_field, v) (((v) & NICSEC_##reg_field##_MASK) >> NICSEC_##reg_field##_LSB)

static enum nicsec_hal_err bus(enum nicsim_status st) {
  return st == NICSIM_OK ? NICSEC_HAL_OK : NICSEC_HAL_E_DEVICE;
}

static enum nicsec_hal_err wr(struct nicsim *sim, uint32_t reg, uint32_t v) {
  return bus(nicsim_mmio_write32(sim, reg, v));
}

static enum nicsec_hal_err rd(struct nicsim *sim, uint32_t reg, uint32_t *v) {
  return bus(nicsim_mmio_read32(sim, reg, v));
}

static enum nicsec_hal_err wr64(struct nicsim *sim, uint32_t reg_lo, uint64_t v) {
  enum nicsec_hal_err err = wr(sim, reg_lo, (uint32_t)v);
  return err ? err : wr(sim, reg_lo + 4, (uint32_t)(v >> 32));
}

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

enum nicsec_hal_err sim_dev_probe(struct nicsim *sim, struct sim_dev_info *info) {
  uint32_t id = 0, version = 0, caps = 0, features = 0;
  enum nicsec_hal_err err = rd(sim, NICSEC_REG_ID, &id);
  if (!err)
    err = rd(sim, NICSEC_REG_VERSION, &version);
  if (!err)
    err = rd(sim, NICSEC_REG_CAPS, &caps);
  if (!err)
    err = rd(sim, NICSEC_REG_FEATURES, &features);
  if (err)
    return err;
  if (id != NICSEC_REG_ID_RESET ||
      GET(VERSION_MAJOR, version) != GET(VERSION_MAJOR, NICSEC_REG_VERSION_RESET))
    return NICSEC_HAL_E_DEVICE; /* not our engine, or a register map we do not know */
  info->lanes = GET(CAPS_LANES, caps);
  info->sa_depth = 1u << GET(CAPS_SA_DEPTH_LOG2, caps);
  info->max_window = 1u << GET(CAPS_REPLAY_WIN_LOG2, caps);
  info->features = features;
  info->has_stop = GET(VERSION_MINOR, version) >= 1;
  return NICSEC_HAL_OK;
}

/* Starts a mailbox command and waits for BUSY to drop; ERROR means the engine refused it. */
static enum nicsec_hal_err run_cmd(struct nicsim *sim, enum nicsec_hal_dir dir, uint32_t idx,
                                   uint32_t op) {
  uint32_t select = FIELD(SA_SELECT_INDEX, idx) |
                    FIELD(SA_SELECT_DIR, dir == NICSEC_HAL_DIR_IN ? 1 : 0);
  enum nicsec_hal_err err = wr(sim, NICSEC_REG_SA_SELECT, select);
  if (!err)
    err = wr(sim, NICSEC_REG_SA_CMD, FIELD(SA_CMD_OP, op));
  for (int polls = 0; !err; polls++) {
    uint32_t status = 0;
    err = rd(sim, NICSEC_REG_SA_CMD_STATUS, &status);
    if (err)
      break;
    if (!(status & NICSEC_SA_CMD_STATUS_BUSY_MASK))
      return (status & NICSEC_SA_CMD_STATUS_ERROR_MASK) ? NICSEC_HAL_E_DEVICE : NICSEC_HAL_OK;
    if (polls * 4 > CMD_TIMEOUT_CYCLES)
      return NICSEC_HAL_E_DEVICE;
  }
  return err;
}

static enum nicsec_hal_err write_limits(struct nicsim *sim, const struct nicsec_hal_limits *l) {
  enum nicsec_hal_err err = wr64(sim, NICSEC_REG_SA_SOFT_PKTS_LO, l->soft_packets);
  if (!err)
    err = wr64(sim, NICSEC_REG_SA_HARD_PKTS_LO, l->hard_packets);
  if (!err)
    err = wr64(sim, NICSEC_REG_SA_SOFT_BYTES_LO, l->soft_bytes);
  if (!err)
    err = wr64(sim, NICSEC_REG_SA_HARD_BYTES_LO, l->hard_bytes);
  return err;
}

uint32_t sim_sa_flags_word(const struct nicsec_hal_sa *sa, bool active) {
  return FIELD(SA_FLAGS_ACTIVE, active) | FIELD(SA_FLAGS_ESN, sa->esn) |
         FIELD(SA_FLAGS_UDP_ENCAP, sa->encap.enabled) | FIELD(SA_FLAGS_AES256, sa->key_len == 32) |
         FIELD(SA_FLAGS_TRANSPORT, sa->mode == NICSEC_HAL_MODE_TRANSPORT) |
         FIELD(SA_FLAGS_IPV6, sa->src.family == NICSEC_HAL_AF_INET6) |
         FIELD(SA_FLAGS_ICV_LEN, sa->icv_len) | FIELD(SA_FLAGS_WINDOW, sa->replay_window);
}

uint32_t sim_sa_ports_word(const struct nicsec_hal_sa *sa) {
  return FIELD(SA_PORTS_SPORT, sa->encap.sport) | FIELD(SA_PORTS_DPORT, sa->encap.dport);
}

enum nicsec_hal_err sim_sa_install(struct nicsim *sim, uint32_t idx, const struct nicsec_hal_sa *sa,
                                   bool active) {
  const uint32_t words[][2] = {
      {NICSEC_REG_SA_SPI, sa->spi},
      {NICSEC_REG_SA_SALT, be32(sa->salt)},
      {NICSEC_REG_SA_FLAGS, sim_sa_flags_word(sa, active)},
      {NICSEC_REG_SA_SRC, be32(sa->src.bytes)},
      {NICSEC_REG_SA_DST, be32(sa->dst.bytes)},
      {NICSEC_REG_SA_PORTS, sim_sa_ports_word(sa)},
  };
  enum nicsec_hal_err err = NICSEC_HAL_OK;
  for (size_t i = 0; !err && i < sizeof words / sizeof words[0]; i++)
    err = wr(sim, words[i][0], words[i][1]);
  if (!err)
    err = wr64(sim, NICSEC_REG_SA_SEQ_LO, sa->initial_seq);
  if (!err)
    err = write_limits(sim, &sa->limits);
  for (uint32_t i = 0; !err && i < 8; i++) {
    uint8_t word[4] = {0};
    if (4 * i < sa->key_len)
      memcpy(word, sa->key + 4 * i, 4);
    err = wr(sim, NICSEC_REG_SA_KEY0 + 4 * i, be32(word));
  }
  if (!err)
    err = run_cmd(sim, sa->dir, idx, NICSEC_SA_OP_INSTALL);
  return err;
}

enum nicsec_hal_err sim_sa_deactivate(struct nicsim *sim, enum nicsec_hal_dir dir, uint32_t idx) {
  return run_cmd(sim, dir, idx, NICSEC_SA_OP_STOP);
}

enum nicsec_hal_err sim_sa_delete(struct nicsim *sim, enum nicsec_hal_dir dir, uint32_t idx) {
  return run_cmd(sim, dir, idx, NICSEC_SA_OP_DELETE);
}

static uint64_t pair(const uint32_t *rec, uint32_t reg_lo) {
  uint32_t i = (reg_lo - NICSEC_REG_SA_SPI) / 4;
  return (uint64_t)rec[i + 1] << 32 | rec[i];
}

enum nicsec_hal_err sim_sa_read(struct nicsim *sim, enum nicsec_hal_dir dir, uint32_t idx,
                                struct sim_sa_state *out) {
  enum nicsec_hal_err err = run_cmd(sim, dir, idx, NICSEC_SA_OP_READ);
  uint32_t rec[RECORD_WORDS];
  for (uint32_t i = 0; !err && i < RECORD_WORDS; i++)
    err = rd(sim, NICSEC_REG_SA_SPI + 4 * i, &rec[i]);
  for (uint32_t i = 0; !err && i < 4; i++)
    err = rd(sim, NICSEC_REG_SA_KEYPROBE0 + 4 * i, &out->keyprobe[i]);
  for (uint32_t i = 0; !err && i < 4; i++)
    err = rd(sim, NICSEC_REG_SA_HPROBE0 + 4 * i, &out->hprobe[i]);
  if (err)
    return err;
  out->spi = rec[0];
  out->flags = rec[(NICSEC_REG_SA_FLAGS - NICSEC_REG_SA_SPI) / 4];
  out->seq = pair(rec, NICSEC_REG_SA_SEQ_LO);
  out->packets = pair(rec, NICSEC_REG_SA_PACKETS_LO);
  out->bytes = pair(rec, NICSEC_REG_SA_BYTES_LO);
  out->replay_drops = rec[(NICSEC_REG_SA_REPLAY_DROPS - NICSEC_REG_SA_SPI) / 4];
  out->auth_fails = rec[(NICSEC_REG_SA_AUTH_FAILS - NICSEC_REG_SA_SPI) / 4];
  out->window_seen = rec[(NICSEC_REG_SA_WINDOW_SEEN - NICSEC_REG_SA_SPI) / 4];
  return NICSEC_HAL_OK;
}

enum nicsec_hal_err sim_sa_update_limits(struct nicsim *sim, enum nicsec_hal_dir dir, uint32_t idx,
                                         const struct nicsec_hal_limits *limits) {
  enum nicsec_hal_err err = write_limits(sim, limits);
  return err ? err : run_cmd(sim, dir, idx, NICSEC_SA_OP_UPDATE_LIMITS);
}

enum nicsec_hal_err sim_sa_update_seq(struct nicsim *sim, enum nicsec_hal_dir dir, uint32_t idx,
                                      uint64_t seq) {
  enum nicsec_hal_err err = wr64(sim, NICSEC_REG_SA_SEQ_LO, seq);
  return err ? err : run_cmd(sim, dir, idx, NICSEC_SA_OP_UPDATE_SEQ);
}

int sim_event_pop(struct nicsim *sim, struct sim_event *ev) {
  uint32_t info = 0, lo = 0, hi = 0;
  if (wr(sim, NICSEC_REG_EVENT_POP, 1) || rd(sim, NICSEC_REG_EVENT_INFO, &info))
    return -1;
  if (!(info & NICSEC_EVENT_INFO_VALID_MASK))
    return 0;
  if (rd(sim, NICSEC_REG_EVENT_VALUE_LO, &lo) || rd(sim, NICSEC_REG_EVENT_VALUE_HI, &hi))
    return -1;
  ev->type = GET(EVENT_INFO_TYPE, info);
  ev->slot = GET(EVENT_INFO_SA, info);
  ev->inbound = GET(EVENT_INFO_DIR, info);
  ev->lost = GET(EVENT_INFO_LOST, info);
  ev->value = (uint64_t)hi << 32 | lo;
  return 1;
}

static const struct {
  uint8_t code;
  enum nicsec_hal_err err;
} status_map[] = {
    {NICSEC_PKT_STATUS_OK, NICSEC_HAL_OK},
    {NICSEC_PKT_STATUS_NO_SA, NICSEC_HAL_E_PKT_NO_SA},
    {NICSEC_PKT_STATUS_MALFORMED, NICSEC_HAL_E_PKT_MALFORMED},
    {NICSEC_PKT_STATUS_UNSUPPORTED, NICSEC_HAL_E_PKT_UNSUPPORTED},
    {NICSEC_PKT_STATUS_NOT_ESP, NICSEC_HAL_E_PKT_NOT_ESP},
    {NICSEC_PKT_STATUS_REPLAY, NICSEC_HAL_E_PKT_REPLAY},
    {NICSEC_PKT_STATUS_AUTH, NICSEC_HAL_E_PKT_AUTH},
    {NICSEC_PKT_STATUS_TRAILER, NICSEC_HAL_E_PKT_TRAILER},
    {NICSEC_PKT_STATUS_DUMMY, NICSEC_HAL_E_PKT_DUMMY},
    {NICSEC_PKT_STATUS_EXPIRED, NICSEC_HAL_E_PKT_EXPIRED},
    {NICSEC_PKT_STATUS_SN_EXHAUSTED, NICSEC_HAL_E_PKT_SN_EXHAUSTED},
    {NICSEC_PKT_STATUS_TOO_BIG, NICSEC_HAL_E_PKT_TOO_BIG},
    {NICSEC_PKT_STATUS_POLICY, NICSEC_HAL_E_PKT_POLICY},
};

enum nicsec_hal_err sim_status_err(uint8_t code) {
  for (size_t i = 0; i < sizeof status_map / sizeof status_map[0]; i++)
    if (status_map[i].code == code)
      return status_map[i].err;
  return NICSEC_HAL_E_DEVICE;
}

enum nicsec_hal_err sim_egress_one(struct nicsim *sim, uint32_t idx, const uint8_t *in,
                                   size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len,
                                   uint8_t *code) {
  if (nicsim_tx_push(sim, (uint16_t)idx, in, in_len) != NICSIM_OK)
    return NICSEC_HAL_E_PKT_MALFORMED;
  uint16_t sa = 0;
  bool have_completion = false;
  for (int waited = 0; waited < PKT_TIMEOUT_CYCLES; waited++) {
    if (!have_completion)
      have_completion = nicsim_txc_pull(sim, &sa, code);
    if (have_completion && *code != NICSEC_PKT_STATUS_OK)
      return NICSEC_HAL_OK;
    if (have_completion && nicsim_wire_tx_pull(sim, out, out_cap, out_len))
      return *out_len > out_cap ? NICSEC_HAL_E_PKT_TOO_BIG : NICSEC_HAL_OK;
    nicsim_step(sim, 1);
  }
  return NICSEC_HAL_E_DEVICE;
}

enum nicsec_hal_err sim_ingress_one(struct nicsim *sim, const uint8_t *in, size_t in_len,
                                    uint8_t *out, size_t out_cap, size_t *out_len, uint8_t *code,
                                    uint32_t *slot) {
  if (nicsim_wire_rx_push(sim, in, in_len) != NICSIM_OK)
    return NICSEC_HAL_E_PKT_MALFORMED;
  uint16_t sa = 0;
  for (int waited = 0; waited < PKT_TIMEOUT_CYCLES; waited++) {
    if (nicsim_rx_pull(sim, out, out_cap, out_len, code, &sa)) {
      *slot = sa;
      return *out_len > out_cap ? NICSEC_HAL_E_PKT_TOO_BIG : NICSEC_HAL_OK;
    }
    nicsim_step(sim, 1);
  }
  return NICSEC_HAL_E_DEVICE;
}
