/* The soft backend's ESP engine for one SA (RFC 4303 with RFC 4106 / RFC 7634 AEADs, RFC 3948
 * UDP encapsulation). No table, no locking: soft_backend.c owns those. This is also the golden
 * model the RTL engine is compared against, so each layer is callable on its own:
 *   soft_esp_seal / soft_esp_open      ESP header + AEAD (+ replay on open), from SPI to ICV
 *   soft_esp_build                      full outer packet for a given SN and IV
 *   soft_esp_encap / soft_esp_decap     the datapath: SN, IV = SN, lifetimes, counters, events
 */
#ifndef NICSEC_SOFT_ESP_ENGINE_H
#define NICSEC_SOFT_ESP_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "esp_aead.h"
#include "esp_ip.h"
#include "esp_replay.h"
#include "nicsec/hal.h"

/* ESP header, RFC 4303 2 (offsets in octets); the 8-octet IV of RFC 4106/7634 follows. */
enum { ESP_SPI = 0, ESP_SEQ = 4, ESP_IV = 8, ESP_HDR = 16, ESP_TRAILER = 2, ESP_ALIGN = 4 };

struct soft_sa {
  struct nicsec_hal_sa desc; /* key and salt held until the first packet keys aead, then wiped */
  struct esp_aead aead;
  struct esp_replay replay;  /* inbound only */
  uint64_t seq_out;          /* outbound: last SN sent */
  uint16_t ip_id;            /* outbound tunnel: next outer IPv4 identification */
  uint32_t fired;            /* SOFT_EV_BIT() of limit events already raised */
  struct nicsec_hal_sa_stats stats;
};

#define SOFT_EV_BIT(type) (1u << (type))

/* Checks the algorithm and key length and sets up replay state. The key is scheduled at the
 * first packet (soft_esp_seal / soft_esp_open), which then wipes the raw key kept in desc. */
enum nicsec_hal_err soft_sa_init(struct soft_sa *sa, const struct nicsec_hal_sa *desc);
/* Frees the AEAD context and the replay bitmap and wipes all SA state (the key included). */
void soft_sa_wipe(struct soft_sa *sa);

/* ESP layer, outbound. esp has room for ESP_HDR + pt_len + ICV; the plaintext (payload,
 * padding, pad length, next header) is already at esp + ESP_HDR. Writes the header, encrypts in
 * place, appends the ICV; *esp_len = whole ESP packet. Changes no SA state. */
enum nicsec_hal_err soft_esp_seal(struct soft_sa *sa, uint64_t seq, const uint8_t iv[ESP_IV_LEN],
                                  uint8_t *esp, size_t pt_len, size_t *esp_len);

/* ESP layer, inbound: replay check on the inferred 64-bit SN, AEAD open into pt, window update.
 * *events gets SOFT_EV_BIT(NICSEC_HAL_EV_ESN_WRAP) when the window entered a new 2^32 block. */
enum nicsec_hal_err soft_esp_open(struct soft_sa *sa, const uint8_t *esp, size_t esp_len,
                                  uint8_t *pt, size_t pt_cap, size_t *pt_len, uint64_t *seq,
                                  uint32_t *events);

/* Builds the complete outer packet for plaintext IP packet `in` with the given SN and IV.
 * Changes no SA state except the outer IPv4 identification counter. */
enum nicsec_hal_err soft_esp_build(struct soft_sa *sa, uint64_t seq, const uint8_t iv[ESP_IV_LEN],
                                   const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
                                   size_t *out_len);

/* Outbound datapath: hard limits, next SN (IV = SN), build, counters; *events receives the
 * SOFT_EV_BIT()s of events this packet raised. */
enum nicsec_hal_err soft_esp_encap(struct soft_sa *sa, const uint8_t *in, size_t in_len,
                                   uint8_t *out, size_t out_cap, size_t *out_len, uint32_t *events);

/* Where the ESP packet sits inside an outer IP packet. */
struct esp_outer {
  struct ip_view ip;
  bool udp;          /* ESP-in-UDP (RFC 3948) */
  size_t esp_off;    /* offset of the SPI */
  size_t esp_len;
  uint32_t spi;
};

/* Parses outer IP [+ UDP] headers. NICSEC_HAL_E_PKT_NOT_ESP for IKE (non-ESP marker),
 * NAT keepalives and other protocols. */
enum nicsec_hal_err soft_esp_parse_outer(const uint8_t *in, size_t in_len, struct esp_outer *o);

/* Inbound datapath for a packet parse_outer found and the SA table matched by SPI. */
enum nicsec_hal_err soft_esp_decap(struct soft_sa *sa, const struct esp_outer *o,
                                   const uint8_t *in, uint8_t *out, size_t out_cap,
                                   size_t *out_len, uint32_t *events);

/* Counts a packet refused by the datapath under its drop reason. */
void soft_sa_count_drop(struct nicsec_hal_sa_stats *stats, enum nicsec_hal_err err);
/* Drop reason for a datapath error. */
enum nicsec_hal_drop soft_drop_reason(enum nicsec_hal_err err);

#endif
