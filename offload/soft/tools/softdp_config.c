#include "softdp_config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

enum { LINE_MAX_LEN = 512, MAX_KEY_FILE_DEPTH = 1 };

/* How an option's value is read and where it goes. */
enum opt_kind {
  OPT_NAME,      /* TUN device name */
  OPT_BOOL,      /* 0 or 1 */
  OPT_FLAG,      /* no value: sets true */
  OPT_ADDR,      /* IPv4 or IPv6 address */
  OPT_NET_SRC,   /* prefix, source side of the local -> remote selector */
  OPT_NET_DST,   /* prefix, destination side */
  OPT_ALG,       /* nicsec_hal_alg_name() spelling */
  OPT_ENCAP,     /* esp | udp */
  OPT_ICV,       /* 8, 12 or 16 */
  OPT_U16,       /* port */
  OPT_U32,       /* SPI, window */
  OPT_KEYMAT,    /* hex key | salt; length byte at len_off */
  OPT_KEY_FILE,  /* lines "<option> <value>" */
};

static const struct opt {
  const char *name;
  enum opt_kind kind;
  size_t off, len_off;
  const char *help;
} opts[] = {
    {"tun", OPT_NAME, offsetof(struct softdp_config, tun), 0, "TUN device (required)"},
    {"raw-esp", OPT_BOOL, offsetof(struct softdp_config, raw_esp), 0,
     "0: no raw ESP sockets (ESP-in-UDP only); default 1"},
    {"local", OPT_ADDR, offsetof(struct softdp_config, local), 0, "outer local address"},
    {"remote", OPT_ADDR, offsetof(struct softdp_config, remote), 0, "outer peer address"},
    {"local-net", OPT_NET_SRC, offsetof(struct softdp_config, local_to_remote), 0,
     "inner local prefix, e.g. 10.1.0.0/16"},
    {"remote-net", OPT_NET_DST, offsetof(struct softdp_config, local_to_remote), 0,
     "inner peer prefix"},
    {"alg", OPT_ALG, offsetof(struct softdp_config, alg), 0,
     "aes-gcm-128|aes-gcm-192|aes-gcm-256|chacha20-poly1305; default aes-gcm-256"},
    {"icv", OPT_ICV, offsetof(struct softdp_config, icv_len), 0, "ICV octets; default 16"},
    {"encap", OPT_ENCAP, offsetof(struct softdp_config, udp_encap), 0,
     "esp (protocol 50) | udp (RFC 3948); default esp"},
    {"port", OPT_U16, offsetof(struct softdp_config, port), 0, "local NAT-T port; default 4500"},
    {"remote-port", OPT_U16, offsetof(struct softdp_config, remote_port), 0,
     "peer's NAT-T port; default --port"},
    {"spi-out", OPT_U32, offsetof(struct softdp_config, spi_out), 0, "SPI we send with"},
    {"spi-in", OPT_U32, offsetof(struct softdp_config, spi_in), 0, "SPI we receive on"},
    {"key-out", OPT_KEYMAT, offsetof(struct softdp_config, keymat_out),
     offsetof(struct softdp_config, keymat_out_len), "hex key|salt we send with"},
    {"key-in", OPT_KEYMAT, offsetof(struct softdp_config, keymat_in),
     offsetof(struct softdp_config, keymat_in_len), "hex key|salt we receive with"},
    {"replay-window", OPT_U32, offsetof(struct softdp_config, replay_window), 0,
     "inbound anti-replay window; default 128"},
    {"esn", OPT_FLAG, offsetof(struct softdp_config, esn), 0, "64-bit extended sequence numbers"},
    {"keys", OPT_KEY_FILE, 0, 0, "file of '<option> <value>' lines (keeps keys out of ps)"},
};

static const struct opt *find_opt(const char *name) {
  for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
    if (strcmp(opts[i].name, name) == 0)
      return &opts[i];
  return NULL;
}

void softdp_usage(const char *prog) {
  fprintf(stderr, "usage: %s --<option> <value> ...\n", prog);
  for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
    fprintf(stderr, "  --%-14s %s\n", opts[i].name, opts[i].help);
}

/* ---- value readers ------------------------------------------------------------------------ */

static int parse_u64(const char *text, uint64_t max, uint64_t *v) {
  char *end;
  errno = 0;
  unsigned long long n = strtoull(text, &end, 0);
  if (errno || *end || !*text || text[0] == '-' || n > max)
    return -1;
  *v = n;
  return 0;
}

static int parse_addr(const char *text, struct nicsec_hal_addr *a) {
  memset(a, 0, sizeof *a);
  if (inet_pton(AF_INET, text, a->bytes) == 1) {
    a->family = NICSEC_HAL_AF_INET;
    return 0;
  }
  if (inet_pton(AF_INET6, text, a->bytes) == 1) {
    a->family = NICSEC_HAL_AF_INET6;
    return 0;
  }
  return -1;
}

static int parse_prefix(const char *text, struct nicsec_hal_addr *a, uint8_t *bits) {
  char buf[64];
  const char *slash = strchr(text, '/');
  size_t len = slash ? (size_t)(slash - text) : strlen(text);
  if (len >= sizeof buf)
    return -1;
  memcpy(buf, text, len);
  buf[len] = '\0';
  if (parse_addr(buf, a) != 0)
    return -1;
  uint64_t max = a->family == NICSEC_HAL_AF_INET ? 32 : 128, n = max;
  if (slash && parse_u64(slash + 1, max, &n) != 0)
    return -1;
  *bits = (uint8_t)n;
  return 0;
}

static int nibble(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c = (char)(c | 0x20);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int parse_hex(const char *text, uint8_t *out, size_t cap, uint8_t *len) {
  if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
    text += 2;
  size_t n = strlen(text);
  if (n == 0 || n % 2 || n / 2 > cap)
    return -1;
  for (size_t i = 0; i < n / 2; i++) {
    int hi = nibble(text[2 * i]), lo = nibble(text[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return -1;
    out[i] = (uint8_t)(hi << 4 | lo);
  }
  *len = (uint8_t)(n / 2);
  return 0;
}

static int parse_alg(const char *text, enum nicsec_hal_alg *alg) {
  for (enum nicsec_hal_alg a = NICSEC_HAL_ALG_AES_GCM_128; a <= NICSEC_HAL_ALG__MAX; a++)
    if (strcmp(text, nicsec_hal_alg_name(a)) == 0) {
      *alg = a;
      return 0;
    }
  return -1;
}

/* ---- applying one option ------------------------------------------------------------------ */

static int apply(struct softdp_config *cfg, const struct opt *o, const char *value, int depth);

static int apply_simple(struct softdp_config *cfg, const struct opt *o, const char *value) {
  char *field = (char *)cfg + o->off;
  struct nicsec_hal_selector *sel = (struct nicsec_hal_selector *)field;
  uint64_t n;
  switch (o->kind) {
  case OPT_NAME:
    if (strlen(value) >= sizeof cfg->tun || !*value)
      return -1;
    strcpy(field, value);
    return 0;
  case OPT_BOOL:
    if (parse_u64(value, 1, &n) != 0)
      return -1;
    *(bool *)field = n == 1;
    return 0;
  case OPT_ADDR: return parse_addr(value, (struct nicsec_hal_addr *)field);
  case OPT_NET_SRC: return parse_prefix(value, &sel->src, &sel->src_prefix);
  case OPT_NET_DST: return parse_prefix(value, &sel->dst, &sel->dst_prefix);
  case OPT_ALG: return parse_alg(value, (enum nicsec_hal_alg *)field);
  case OPT_ENCAP:
    if (strcmp(value, "esp") && strcmp(value, "udp"))
      return -1;
    *(bool *)field = value[0] == 'u';
    return 0;
  default: break;
  }
  return -1;
}

static int apply_number(struct softdp_config *cfg, const struct opt *o, const char *value) {
  char *field = (char *)cfg + o->off;
  uint64_t n;
  switch (o->kind) {
  case OPT_ICV:
    if (parse_u64(value, 16, &n) != 0 || (n != 8 && n != 12 && n != 16))
      return -1;
    *(uint8_t *)field = (uint8_t)n;
    return 0;
  case OPT_U16:
    if (parse_u64(value, UINT16_MAX, &n) != 0 || n == 0)
      return -1;
    *(uint16_t *)field = (uint16_t)n;
    return 0;
  case OPT_U32:
    if (parse_u64(value, UINT32_MAX, &n) != 0)
      return -1;
    *(uint32_t *)field = (uint32_t)n;
    return 0;
  case OPT_KEYMAT:
    return parse_hex(value, (uint8_t *)field, SOFTDP_KEYMAT_MAX, (uint8_t *)cfg + o->len_off);
  default: break;
  }
  return apply_simple(cfg, o, value);
}

/* Reads "<option> <value>" lines; blank lines and '#' comments are skipped. Over-long lines
 * are refused rather than split (a split key would be a different key). */
static int apply_key_lines(struct softdp_config *cfg, FILE *f, const char *name, int depth) {
  char line[LINE_MAX_LEN];
  int rc = 0, lineno = 0;
  while (rc == 0 && fgets(line, sizeof line, f)) {
    lineno++;
    if (!strchr(line, '\n') && !feof(f)) {
      fprintf(stderr, "nicsec-softdp: %s:%d: line too long\n", name, lineno);
      rc = -1;
      break;
    }
    char *save = NULL, *key = strtok_r(line, " \t\r\n", &save);
    if (!key || key[0] == '#')
      continue;
    char *value = strtok_r(NULL, " \t\r\n", &save);
    const struct opt *o = find_opt(key);
    rc = o ? apply(cfg, o, value ? value : "", depth + 1) : -1;
    if (rc != 0)
      fprintf(stderr, "nicsec-softdp: %s:%d: bad line for '%s'\n", name, lineno, key);
  }
  OPENSSL_cleanse(line, sizeof line);
  return rc;
}

int softdp_apply_key_stream(struct softdp_config *cfg, FILE *f, const char *name) {
  return apply_key_lines(cfg, f, name, 1);
}

static int apply_key_file(struct softdp_config *cfg, const char *path, int depth) {
  if (depth >= MAX_KEY_FILE_DEPTH) {
    fprintf(stderr, "nicsec-softdp: %s: key files do not nest\n", path);
    return -1;
  }
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "nicsec-softdp: %s: %s\n", path, strerror(errno));
    return -1;
  }
  int rc = apply_key_lines(cfg, f, path, depth);
  fclose(f);
  return rc;
}

static int apply(struct softdp_config *cfg, const struct opt *o, const char *value, int depth) {
  if (o->kind == OPT_FLAG) {
    *(bool *)((char *)cfg + o->off) = true;
    return 0;
  }
  if (o->kind == OPT_KEY_FILE)
    return apply_key_file(cfg, value, depth);
  return apply_number(cfg, o, value);
}

/* ---- whole configuration ------------------------------------------------------------------ */

static const char *missing_field(const struct softdp_config *cfg) {
  if (!cfg->tun[0])
    return "--tun";
  if (!cfg->local.family || !cfg->remote.family)
    return "--local and --remote";
  if (!cfg->local_to_remote.src.family || !cfg->local_to_remote.dst.family)
    return "--local-net and --remote-net";
  if (!cfg->spi_out || !cfg->spi_in)
    return "--spi-out and --spi-in";
  if (!cfg->keymat_out_len || !cfg->keymat_in_len)
    return "--key-out and --key-in";
  return NULL;
}

static int check(const struct softdp_config *cfg) {
  const char *missing = missing_field(cfg);
  if (missing) {
    fprintf(stderr, "nicsec-softdp: %s required\n", missing);
    return -1;
  }
  size_t want = nicsec_hal_alg_key_len(cfg->alg) + NICSEC_HAL_SALT_LEN;
  if (cfg->keymat_out_len != want || cfg->keymat_in_len != want) {
    fprintf(stderr, "nicsec-softdp: %s needs %zu octets of key|salt per direction\n",
            nicsec_hal_alg_name(cfg->alg), want);
    return -1;
  }
  if (cfg->local.family != cfg->remote.family ||
      cfg->local_to_remote.src.family != cfg->local_to_remote.dst.family) {
    fprintf(stderr, "nicsec-softdp: address families differ\n");
    return -1;
  }
  return 0;
}

void softdp_defaults(struct softdp_config *cfg) {
  *cfg = (struct softdp_config){.raw_esp = true, .alg = NICSEC_HAL_ALG_AES_GCM_256,
                                .icv_len = 16, .port = 4500,
                                .replay_window = 128};
}

int softdp_parse(int argc, char **argv, struct softdp_config *cfg) {
  softdp_defaults(cfg);
  for (int i = 1; i < argc; i++) {
    const struct opt *o = strncmp(argv[i], "--", 2) == 0 ? find_opt(argv[i] + 2) : NULL;
    if (!o) {
      fprintf(stderr, "nicsec-softdp: unknown option '%s'\n", argv[i]);
      return -1;
    }
    bool has_value = o->kind != OPT_FLAG;
    if (has_value && i + 1 >= argc) {
      fprintf(stderr, "nicsec-softdp: --%s needs a value\n", o->name);
      return -1;
    }
    const char *value = has_value ? argv[++i] : "";
    if (apply(cfg, o, value, 0) != 0) {
      fprintf(stderr, "nicsec-softdp: bad value for --%s\n", o->name);
      return -1;
    }
    if (o->kind == OPT_KEYMAT) /* out of /proc/<pid>/cmdline as soon as it is read */
      OPENSSL_cleanse(argv[i], strlen(argv[i]));
  }
  if (!cfg->remote_port)
    cfg->remote_port = cfg->port;
  return check(cfg);
}

void softdp_sas(const struct softdp_config *cfg, struct nicsec_hal_sa *out,
                struct nicsec_hal_sa *in) {
  size_t key_len = nicsec_hal_alg_key_len(cfg->alg);
  *out = (struct nicsec_hal_sa){
      .dir = NICSEC_HAL_DIR_OUT, .offload = NICSEC_HAL_OFFLOAD_PACKET,
      .mode = NICSEC_HAL_MODE_TUNNEL,
      .spi = cfg->spi_out, .reqid = 1, .src = cfg->local, .dst = cfg->remote,
      .encap = {cfg->udp_encap, cfg->port, cfg->remote_port}, .alg = cfg->alg,
      .key_len = (uint8_t)key_len, .icv_len = cfg->icv_len, .esn = cfg->esn,
      .sel = cfg->local_to_remote, .has_sel = true};
  memcpy(out->key, cfg->keymat_out, key_len);
  memcpy(out->salt, cfg->keymat_out + key_len, NICSEC_HAL_SALT_LEN);
  *in = *out;
  in->dir = NICSEC_HAL_DIR_IN;
  in->spi = cfg->spi_in;
  in->src = cfg->remote;
  in->dst = cfg->local;
  in->encap.sport = cfg->remote_port;
  in->encap.dport = cfg->port;
  in->replay_window = cfg->replay_window;
  in->sel = (struct nicsec_hal_selector){.src = cfg->local_to_remote.dst,
                                         .dst = cfg->local_to_remote.src,
                                         .src_prefix = cfg->local_to_remote.dst_prefix,
                                         .dst_prefix = cfg->local_to_remote.src_prefix};
  memcpy(in->key, cfg->keymat_in, key_len);
  memcpy(in->salt, cfg->keymat_in + key_len, NICSEC_HAL_SALT_LEN);
}

struct nicsec_hal_policy softdp_policy(const struct softdp_config *cfg) {
  return (struct nicsec_hal_policy){.dir = NICSEC_HAL_DIR_OUT, .sel = cfg->local_to_remote,
                                    .action = NICSEC_HAL_POLICY_PROTECT, .reqid = 1,
                                    .priority = 100};
}

void softdp_config_wipe(struct softdp_config *cfg) { OPENSSL_cleanse(cfg, sizeof *cfg); }
