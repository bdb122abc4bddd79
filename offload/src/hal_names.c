/* Human-readable names for every HAL enum, as tables indexed by the enum value so a reader can
 * check them against hal.h line by line. */
#include "nicsec/hal.h"

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

static const char *const err_text[NICSEC_HAL_E__COUNT] = {
    [NICSEC_HAL_OK] = "success",
    [NICSEC_HAL_E_INVAL] = "invalid argument",
    [NICSEC_HAL_E_NOMEM] = "out of memory",
    [NICSEC_HAL_E_NO_BACKEND] = "no offload backend registered under that name",
    [NICSEC_HAL_E_BACKEND_EXISTS] = "an offload backend of that name is already registered",
    [NICSEC_HAL_E_DEVICE] = "the device failed the request",
    [NICSEC_HAL_E_NOT_SUPPORTED] = "operation not supported by this backend",
    [NICSEC_HAL_E_UNSUPPORTED_OFFLOAD] = "offload mode (crypto/packet) not supported by the device",
    [NICSEC_HAL_E_UNSUPPORTED_ALG] = "algorithm not supported by the device",
    [NICSEC_HAL_E_UNSUPPORTED_ICV] = "ICV length not supported for this algorithm",
    [NICSEC_HAL_E_UNSUPPORTED_MODE] = "tunnel/transport/BEET mode not supported by the device",
    [NICSEC_HAL_E_UNSUPPORTED_FAMILY] = "address family not supported, or source and destination "
                                        "families differ",
    [NICSEC_HAL_E_UNSUPPORTED_ESN] = "extended sequence numbers not supported by the device",
    [NICSEC_HAL_E_UNSUPPORTED_ENCAP] = "UDP encapsulation (NAT-T) not supported by the device",
    [NICSEC_HAL_E_KEY_LENGTH] = "key length does not match the algorithm",
    [NICSEC_HAL_E_SPI_RESERVED] = "SPI 0-255 is reserved",
    [NICSEC_HAL_E_SPI_OUT_OF_WINDOW] = "SPI outside the device's inbound SPI window",
    [NICSEC_HAL_E_DUPLICATE_SPI] = "SPI already in use on this device",
    [NICSEC_HAL_E_REPLAY_WINDOW] = "replay window size not supported by the device",
    [NICSEC_HAL_E_LIFETIME] = "soft lifetime limit above the hard limit",
    [NICSEC_HAL_E_SEQ] = "initial sequence number out of range",
    [NICSEC_HAL_E_TABLE_FULL] = "SA or policy table of the device is full",
    [NICSEC_HAL_E_BATCH_TOO_LARGE] = "batch larger than the device's maximum batch size",
    [NICSEC_HAL_E_ABORTED] = "not installed because another entry of the batch failed",
    [NICSEC_HAL_E_NO_SUCH_SA] = "no such SA on this device",
    [NICSEC_HAL_E_SA_STATE] = "SA is not in the right delete phase (stop, drain, then free)",
    [NICSEC_HAL_E_BUSY] = "packets still in flight, try again",
    [NICSEC_HAL_E_NO_SUCH_POLICY] = "no such policy on this device",
    [NICSEC_HAL_E_DUPLICATE_POLICY] = "identical policy already installed",
    [NICSEC_HAL_E_CRYPTO] = "crypto library failure",
    [NICSEC_HAL_E_PKT_MALFORMED] = "malformed packet",
    [NICSEC_HAL_E_PKT_UNSUPPORTED] = "packet shape not handled (fragment or IPv6 extension "
                                     "header)",
    [NICSEC_HAL_E_PKT_NOT_ESP] = "not an ESP packet (IKE, keepalive or other protocol)",
    [NICSEC_HAL_E_PKT_NO_SA] = "no active SA for this packet",
    [NICSEC_HAL_E_PKT_REPLAY] = "replayed or too old sequence number",
    [NICSEC_HAL_E_PKT_AUTH] = "ICV verification failed",
    [NICSEC_HAL_E_PKT_TRAILER] = "bad ESP padding, pad length or next header",
    [NICSEC_HAL_E_PKT_DUMMY] = "TFC dummy packet (next header 59)",
    [NICSEC_HAL_E_PKT_POLICY] = "inner packet outside the SA's traffic selector",
    [NICSEC_HAL_E_PKT_EXPIRED] = "SA reached its hard lifetime",
    [NICSEC_HAL_E_PKT_SN_EXHAUSTED] = "sequence number space exhausted, SA needs rekey",
    [NICSEC_HAL_E_PKT_TOO_BIG] = "output buffer too small",
};

const char *nicsec_hal_strerror(enum nicsec_hal_err err) {
  if ((unsigned)err >= COUNT_OF(err_text) || !err_text[err])
    return "unknown HAL error";
  return err_text[err];
}

static const char *const drop_name[NICSEC_HAL_DROP__COUNT] = {
    [NICSEC_HAL_DROP_MALFORMED] = "malformed",   [NICSEC_HAL_DROP_UNSUPPORTED] = "unsupported",
    [NICSEC_HAL_DROP_NO_SA] = "no-sa",           [NICSEC_HAL_DROP_REPLAY] = "replay",
    [NICSEC_HAL_DROP_AUTH] = "auth",             [NICSEC_HAL_DROP_TRAILER] = "trailer",
    [NICSEC_HAL_DROP_DUMMY] = "dummy",           [NICSEC_HAL_DROP_POLICY] = "policy",
    [NICSEC_HAL_DROP_EXPIRED] = "expired",       [NICSEC_HAL_DROP_SN_EXHAUSTED] = "sn-exhausted",
    [NICSEC_HAL_DROP_TOO_BIG] = "too-big",
};

const char *nicsec_hal_drop_name(enum nicsec_hal_drop reason) {
  return (unsigned)reason < COUNT_OF(drop_name) ? drop_name[reason] : NULL;
}

static const char *const alg_name[] = {
    [NICSEC_HAL_ALG_AES_GCM_128] = "aes-gcm-128",
    [NICSEC_HAL_ALG_AES_GCM_192] = "aes-gcm-192",
    [NICSEC_HAL_ALG_AES_GCM_256] = "aes-gcm-256",
    [NICSEC_HAL_ALG_CHACHA20_POLY1305] = "chacha20-poly1305",
};

static const uint8_t alg_key_len[] = {
    [NICSEC_HAL_ALG_AES_GCM_128] = 16,
    [NICSEC_HAL_ALG_AES_GCM_192] = 24,
    [NICSEC_HAL_ALG_AES_GCM_256] = 32,
    [NICSEC_HAL_ALG_CHACHA20_POLY1305] = 32,
};

const char *nicsec_hal_alg_name(enum nicsec_hal_alg alg) {
  return (unsigned)alg < COUNT_OF(alg_name) && alg_name[alg] ? alg_name[alg] : "unknown";
}

size_t nicsec_hal_alg_key_len(enum nicsec_hal_alg alg) {
  return (unsigned)alg < COUNT_OF(alg_key_len) ? alg_key_len[alg] : 0;
}

const char *nicsec_hal_mode_name(enum nicsec_hal_mode mode) {
  switch (mode) {
  case NICSEC_HAL_MODE_TUNNEL: return "tunnel";
  case NICSEC_HAL_MODE_TRANSPORT: return "transport";
  case NICSEC_HAL_MODE_BEET: return "beet";
  }
  return "unknown";
}

const char *nicsec_hal_dir_name(enum nicsec_hal_dir dir) {
  switch (dir) {
  case NICSEC_HAL_DIR_IN: return "in";
  case NICSEC_HAL_DIR_OUT: return "out";
  }
  return "unknown";
}

const char *nicsec_hal_offload_name(enum nicsec_hal_offload offload) {
  switch (offload) {
  case NICSEC_HAL_OFFLOAD_CRYPTO: return "crypto";
  case NICSEC_HAL_OFFLOAD_PACKET: return "packet";
  }
  return "unknown";
}

static const char *const event_name[] = {
    [NICSEC_HAL_EV_SOFT_PACKETS] = "soft-packets", [NICSEC_HAL_EV_HARD_PACKETS] = "hard-packets",
    [NICSEC_HAL_EV_SOFT_BYTES] = "soft-bytes",     [NICSEC_HAL_EV_HARD_BYTES] = "hard-bytes",
    [NICSEC_HAL_EV_ESN_WRAP] = "esn-wrap",         [NICSEC_HAL_EV_SN_EXHAUSTED] = "sn-exhausted",
    [NICSEC_HAL_EV_OVERFLOW] = "overflow",
};

const char *nicsec_hal_event_name(enum nicsec_hal_event_type type) {
  return (unsigned)type < COUNT_OF(event_name) && event_name[type] ? event_name[type] : "unknown";
}
