#include "soft_config.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum {
  SOFT_DEFAULT_MAX_SA = 16384,
  SOFT_LIMIT_MAX_SA = 1u << 20, /* bounded so slot indices and ids stay small */
  SOFT_DEFAULT_MAX_BATCH = 1024,
  SOFT_DEFAULT_MAX_POLICIES = 4096,
  SOFT_SPI_FIRST = 256,
  MAX_OPTION_LEN = 64,
};

static const struct nicsec_hal_caps soft_defaults = {
    .offload_modes = NICSEC_HAL_OFFLOAD_PACKET,
    .algs = NICSEC_HAL_ALG_BIT(NICSEC_HAL_ALG_AES_GCM_128) |
            NICSEC_HAL_ALG_BIT(NICSEC_HAL_ALG_AES_GCM_192) |
            NICSEC_HAL_ALG_BIT(NICSEC_HAL_ALG_AES_GCM_256) |
            NICSEC_HAL_ALG_BIT(NICSEC_HAL_ALG_CHACHA20_POLY1305),
    .aes_gcm_icv = NICSEC_HAL_ICV_8 | NICSEC_HAL_ICV_12 | NICSEC_HAL_ICV_16,
    .modes = NICSEC_HAL_MODE_TUNNEL | NICSEC_HAL_MODE_TRANSPORT | NICSEC_HAL_MODE_BEET,
    .families = NICSEC_HAL_AF_INET | NICSEC_HAL_AF_INET6,
    .esn = true,
    .udp_encap = true,
    .replay_disable = true,
    .replay_windows = {32, 64, 128, 256, 512, 1024, 2048, 4096},
    .n_replay_windows = 8,
    .max_sa_in = SOFT_DEFAULT_MAX_SA,
    .max_sa_out = SOFT_DEFAULT_MAX_SA,
    .max_policies = SOFT_DEFAULT_MAX_POLICIES,
    .spi_min = SOFT_SPI_FIRST,
    .spi_max = UINT32_MAX,
    .hw_lifetime_packets = true, /* counted exactly, per packet */
    .hw_lifetime_bytes = true,
    .max_batch = SOFT_DEFAULT_MAX_BATCH,
    .stats_freshness_ms = 0, /* counters are read under the datapath lock */
    .host_datapath = true,
};

/* Each option names the caps fields it sets and the range it accepts. */
static const struct soft_option {
  const char *key;
  size_t field, field2; /* offsets of uint32_t fields in caps; field2 == field if only one */
  uint32_t min, max;
} soft_options[] = {
    {"max_sa", offsetof(struct nicsec_hal_caps, max_sa_in),
     offsetof(struct nicsec_hal_caps, max_sa_out), 1, SOFT_LIMIT_MAX_SA},
    {"max_sa_in", offsetof(struct nicsec_hal_caps, max_sa_in),
     offsetof(struct nicsec_hal_caps, max_sa_in), 1, SOFT_LIMIT_MAX_SA},
    {"max_sa_out", offsetof(struct nicsec_hal_caps, max_sa_out),
     offsetof(struct nicsec_hal_caps, max_sa_out), 1, SOFT_LIMIT_MAX_SA},
    {"spi_min", offsetof(struct nicsec_hal_caps, spi_min),
     offsetof(struct nicsec_hal_caps, spi_min), SOFT_SPI_FIRST, UINT32_MAX},
    {"spi_max", offsetof(struct nicsec_hal_caps, spi_max),
     offsetof(struct nicsec_hal_caps, spi_max), SOFT_SPI_FIRST, UINT32_MAX},
    {"max_batch", offsetof(struct nicsec_hal_caps, max_batch),
     offsetof(struct nicsec_hal_caps, max_batch), 1, SOFT_LIMIT_MAX_SA},
    {"max_policies", offsetof(struct nicsec_hal_caps, max_policies),
     offsetof(struct nicsec_hal_caps, max_policies), 0, SOFT_LIMIT_MAX_SA},
};

static void set_u32(struct nicsec_hal_caps *caps, size_t off, uint32_t v) {
  memcpy((char *)caps + off, &v, sizeof v);
}

static bool parse_number(const char *text, unsigned long long *v) {
  char *end;
  errno = 0;
  *v = strtoull(text, &end, 0);
  return errno == 0 && *end == '\0' && text[0] != '-' && text[0] != '\0';
}

static enum nicsec_hal_err apply_caps_option(const char *key, const char *value,
                                             struct nicsec_hal_caps *caps, bool *known) {
  for (size_t i = 0; i < sizeof soft_options / sizeof soft_options[0]; i++) {
    const struct soft_option *o = &soft_options[i];
    if (strcmp(key, o->key) != 0)
      continue;
    *known = true;
    unsigned long long v;
    if (!parse_number(value, &v) || v < o->min || v > o->max)
      return NICSEC_HAL_E_INVAL;
    set_u32(caps, o->field, (uint32_t)v);
    set_u32(caps, o->field2, (uint32_t)v);
    return NICSEC_HAL_OK;
  }
  return NICSEC_HAL_OK;
}

static enum nicsec_hal_err apply_io_option(const char *key, const char *value,
                                           struct soft_io_config *io, bool *known) {
  unsigned long long v;
  *known = true;
  if (strcmp(key, "tun") == 0) {
    if (strlen(value) >= sizeof io->tun || strchr(value, '/'))
      return NICSEC_HAL_E_INVAL;
    strcpy(io->tun, value);
  } else if (strcmp(key, "tun_fd") == 0) {
    if (!parse_number(value, &v) || v > INT_MAX)
      return NICSEC_HAL_E_INVAL;
    io->tun_fd = (int)v;
  } else if (strcmp(key, "raw_esp") == 0) {
    if (!parse_number(value, &v) || v > 1)
      return NICSEC_HAL_E_INVAL;
    io->raw_esp = v == 1;
  } else {
    *known = false;
  }
  return NICSEC_HAL_OK;
}

static enum nicsec_hal_err apply_option(const char *opt, size_t len, struct nicsec_hal_caps *caps,
                                        struct soft_io_config *io) {
  char buf[MAX_OPTION_LEN];
  if (len == 0 || len >= sizeof buf)
    return NICSEC_HAL_E_INVAL;
  memcpy(buf, opt, len);
  buf[len] = '\0';
  char *eq = strchr(buf, '=');
  if (!eq || eq[1] == '\0')
    return NICSEC_HAL_E_INVAL;
  *eq = '\0';
  bool known = false;
  enum nicsec_hal_err err = apply_caps_option(buf, eq + 1, caps, &known);
  if (err == NICSEC_HAL_OK && !known)
    err = apply_io_option(buf, eq + 1, io, &known);
  return err == NICSEC_HAL_OK && !known ? NICSEC_HAL_E_INVAL : err;
}

enum nicsec_hal_err soft_config_parse(const char *args, struct nicsec_hal_caps *caps,
                                      struct soft_io_config *io) {
  *caps = soft_defaults;
  *io = (struct soft_io_config){.tun_fd = -1, .raw_esp = true};
  for (const char *p = args; p && *p;) {
    const char *comma = strchr(p, ',');
    size_t len = comma ? (size_t)(comma - p) : strlen(p);
    enum nicsec_hal_err err = apply_option(p, len, caps, io);
    if (err != NICSEC_HAL_OK)
      return err;
    p = comma ? comma + 1 : p + len;
  }
  if (caps->spi_min > caps->spi_max || (io->tun[0] && io->tun_fd >= 0))
    return NICSEC_HAL_E_INVAL;
  return NICSEC_HAL_OK;
}
