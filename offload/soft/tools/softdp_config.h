/* nicsec-softdp's configuration: one static tunnel-mode SA pair with manual keys (like `ip xfrm
 * state add`), from command-line options and/or a key file. A test and demo tool, not a key
 * manager: nicsecd negotiates keys with IKEv2 and drives the same HAL calls. Tunnel mode only:
 * in transport mode the ESP packet to the peer would be routed back into the TUN device. */
#ifndef NICSEC_SOFTDP_CONFIG_H
#define NICSEC_SOFTDP_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "nicsec/hal.h"

enum { SOFTDP_KEYMAT_MAX = NICSEC_HAL_MAX_KEY + NICSEC_HAL_SALT_LEN };

struct softdp_config {
  char tun[16];                      /* TUN device name */
  bool raw_esp;                      /* open raw ESP sockets (default yes) */
  struct nicsec_hal_addr local, remote;          /* outer addresses */
  struct nicsec_hal_selector local_to_remote;    /* inner traffic: local net -> remote net */
  enum nicsec_hal_alg alg;
  uint8_t icv_len;
  bool udp_encap;
  uint16_t port, remote_port;        /* NAT-T: local bound port, peer's port */
  uint32_t spi_out, spi_in;
  uint8_t keymat_out[SOFTDP_KEYMAT_MAX], keymat_in[SOFTDP_KEYMAT_MAX]; /* key | salt */
  uint8_t keymat_out_len, keymat_in_len;
  uint32_t replay_window;
  bool esn;
};

/* Fills cfg from argv (see softdp_usage); returns 0, or -1 after printing why to stderr.
 * Key material is wiped from argv's copies as far as this process can. */
int softdp_parse(int argc, char **argv, struct softdp_config *cfg);

/* The pieces of softdp_parse, for its fuzzer: defaults, then the lines of a key file (no
 * completeness check; a nested "keys" line is refused). */
void softdp_defaults(struct softdp_config *cfg);
int softdp_apply_key_stream(struct softdp_config *cfg, FILE *f, const char *name);
void softdp_usage(const char *prog);

/* The SA pair and the OUT policy the configuration describes (keys included). */
void softdp_sas(const struct softdp_config *cfg, struct nicsec_hal_sa *out,
                struct nicsec_hal_sa *in);
struct nicsec_hal_policy softdp_policy(const struct softdp_config *cfg);

/* Wipes the key material. */
void softdp_config_wipe(struct softdp_config *cfg);

#endif
