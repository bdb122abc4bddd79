/* Checks an SA description against a device's capabilities. The rules are a table, read top to
 * bottom: the first rule an SA breaks decides the error, so the order goes from "is this even
 * well-formed" to "does this device offer it". */
#include "nicsec/hal.h"

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

enum { SPI_FIRST_UNRESERVED = 256, ESN_LESS_MAX_SEQ = 0xffffffffu };

static bool is_single_bit(uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }

static bool well_formed(const struct nicsec_hal_caps *caps, const struct nicsec_hal_sa *sa) {
  (void)caps;
  bool dir_ok = sa->dir == NICSEC_HAL_DIR_IN || sa->dir == NICSEC_HAL_DIR_OUT;
  bool offload_ok = sa->offload == NICSEC_HAL_OFFLOAD_CRYPTO ||
                    sa->offload == NICSEC_HAL_OFFLOAD_PACKET;
  bool fallback_ok = sa->fallback == NICSEC_HAL_FALLBACK_NONE ||
                     sa->fallback == NICSEC_HAL_FALLBACK_SOFTWARE;
  return dir_ok && offload_ok && fallback_ok && is_single_bit((uint32_t)sa->mode) &&
         sa->mode <= NICSEC_HAL_MODE_BEET;
}

static bool offload_offered(const struct nicsec_hal_caps *caps, const struct nicsec_hal_sa *sa) {
  return (caps->offload_modes & (uint32_t)sa->offload) != 0;
}

static bool alg_offered(const struct nicsec_hal_caps *caps, const struct nicsec_hal_sa *sa) {
  return sa->alg >= NICSEC_HAL_ALG_AES_GCM_128 && sa->alg <= NICSEC_HAL_ALG__MAX &&
         (caps->algs & NICSEC_HAL_ALG_BIT(sa->alg)) != 0;
}

static bool key_len_matches(const struct nicsec_hal_caps *caps, const struct nicsec_hal_sa *sa) {
  (void)caps;
  return sa->key_len == nicsec_hal_alg_key_len(sa->alg);
}

static uint32_t icv_bit(uint8_t icv_len) {
  switch (icv_len) {
  case 8: return NICSEC_HAL_ICV_8;
  case 12: return NICSEC_HAL_ICV_12;
  case 16: return NICSEC_HAL_ICV_16;
  default: return 0;
  }
}

static bool icv_offered(const struct nicsec_hal_caps *caps, const struct nicsec_hal_sa *sa) {
  if (sa->alg == NICSEC_HAL_ALG_CHACHA20_POLY1305)
    return sa->icv_len == 16; /* RFC 7634: the full Poly1305 tag, no truncated variants */
  return (caps->aes_gcm_icv & icv_bit(sa->icv_len)) != 0;
}

static bool mode_offered(const struct nicsec_hal_caps *caps, const struct nicsec_hal_sa *sa) {
  return (caps->modes & (uint32_t)sa->mode) != 0;
}

static bool family_valid(uint32_t families, enum nicsec_hal_family f) {
  return (f == NICSEC_HAL_AF_INET || f == NICSEC_HAL_AF_INET6) && (families & (uint32_t)f) != 0;
}

static bool family_offered(const struct nicsec_hal_caps *caps, const struct nicsec_hal_sa *sa) {
  return family_valid(caps->families, sa->src.family) && sa->src.family == sa->dst.family;
}

/* BEET binds one inner address pair to the SA; the HAL carries it in the outer family. */
static bool beet_addrs_ok(const struct nicsec_hal_caps *caps, const struct nicsec_hal_sa *sa) {
  (void)caps;
  return sa->mode != NICSEC_HAL_MODE_BEET || (sa->beet.src.family == sa->src.family &&
                                              sa->beet.dst.family == sa->src.family);
}

static bool esn_offered(const struct nicsec_hal_caps *caps, const struct nicsec_hal_sa *sa) {
  return !sa->esn || caps->esn;
}

static bool encap_offered(const struct nicsec_hal_caps *caps, const struct nicsec_hal_sa *sa) {
  return !sa->encap.enabled || caps->udp_encap;
}

static bool spi_unreserved(const struct nicsec_hal_caps *caps, const struct nicsec_hal_sa *sa) {
  (void)caps;
  return sa->spi >= SPI_FIRST_UNRESERVED;
}

static bool spi_in_window(const struct nicsec_hal_caps *caps, const struct nicsec_hal_sa *sa) {
  return sa->dir == NICSEC_HAL_DIR_OUT || (sa->spi >= caps->spi_min && sa->spi <= caps->spi_max);
}

static bool window_offered(const struct nicsec_hal_caps *caps, const struct nicsec_hal_sa *sa) {
  if (sa->dir == NICSEC_HAL_DIR_OUT)
    return true; /* the window is a receiver's setting */
  if (sa->replay_window == 0) /* ESN needs a window to infer the high bits (RFC 4303 A2.2) */
    return caps->replay_disable && !sa->esn;
  for (unsigned i = 0; i < caps->n_replay_windows && i < NICSEC_HAL_MAX_WINDOW_SIZES; i++)
    if (caps->replay_windows[i] == sa->replay_window)
      return true;
  return false;
}

static bool limit_pair_ok(uint64_t soft, uint64_t hard) {
  return soft == 0 || hard == 0 || soft <= hard;
}

static bool limits_ordered(const struct nicsec_hal_caps *caps, const struct nicsec_hal_sa *sa) {
  (void)caps;
  return limit_pair_ok(sa->limits.soft_packets, sa->limits.hard_packets) &&
         limit_pair_ok(sa->limits.soft_bytes, sa->limits.hard_bytes);
}

static bool seq_in_range(const struct nicsec_hal_caps *caps, const struct nicsec_hal_sa *sa) {
  (void)caps;
  return sa->esn || sa->initial_seq <= ESN_LESS_MAX_SEQ;
}

static bool selector_ok(const struct nicsec_hal_caps *caps, const struct nicsec_hal_sa *sa) {
  if (!sa->has_sel)
    return true;
  const struct nicsec_hal_selector *sel = &sa->sel;
  unsigned max_prefix = sel->src.family == NICSEC_HAL_AF_INET ? 32 : 128;
  return family_valid(caps->families, sel->src.family) && sel->src.family == sel->dst.family &&
         sel->src_prefix <= max_prefix && sel->dst_prefix <= max_prefix;
}

static const struct sa_rule {
  bool (*holds)(const struct nicsec_hal_caps *caps, const struct nicsec_hal_sa *sa);
  enum nicsec_hal_err err;
} sa_rules[] = {
    {well_formed, NICSEC_HAL_E_INVAL},
    {spi_unreserved, NICSEC_HAL_E_SPI_RESERVED},
    {offload_offered, NICSEC_HAL_E_UNSUPPORTED_OFFLOAD},
    {alg_offered, NICSEC_HAL_E_UNSUPPORTED_ALG},
    {key_len_matches, NICSEC_HAL_E_KEY_LENGTH},
    {icv_offered, NICSEC_HAL_E_UNSUPPORTED_ICV},
    {mode_offered, NICSEC_HAL_E_UNSUPPORTED_MODE},
    {family_offered, NICSEC_HAL_E_UNSUPPORTED_FAMILY},
    {beet_addrs_ok, NICSEC_HAL_E_UNSUPPORTED_FAMILY},
    {selector_ok, NICSEC_HAL_E_INVAL},
    {esn_offered, NICSEC_HAL_E_UNSUPPORTED_ESN},
    {encap_offered, NICSEC_HAL_E_UNSUPPORTED_ENCAP},
    {spi_in_window, NICSEC_HAL_E_SPI_OUT_OF_WINDOW},
    {window_offered, NICSEC_HAL_E_REPLAY_WINDOW},
    {limits_ordered, NICSEC_HAL_E_LIFETIME},
    {seq_in_range, NICSEC_HAL_E_SEQ},
};

enum nicsec_hal_err nicsec_hal_sa_check(const struct nicsec_hal_caps *caps,
                                        const struct nicsec_hal_sa *sa) {
  if (!caps || !sa)
    return NICSEC_HAL_E_INVAL;
  for (size_t i = 0; i < COUNT_OF(sa_rules); i++)
    if (!sa_rules[i].holds(caps, sa))
      return sa_rules[i].err;
  return NICSEC_HAL_OK;
}
