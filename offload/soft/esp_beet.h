/* BEET mode (Bound End-to-End Tunnel, RFC 7402 appendix B): ESP in transport-mode format with
 * tunnel-mode semantics. The SA binds one inner address pair (nicsec_hal_sa.beet); those
 * addresses never travel: the sender replaces the inner IP header by an outer one (the SA's
 * outer addresses, the inner header's other fields) and protects only what followed it; the
 * receiver rebuilds the inner header from the outer one and the SA's inner addresses.
 *
 * IPv4 options cannot stay in the replaced header, so they travel inside ESP in a pseudo
 * header announced by next header 94 (BEETPH):
 *
 *   0               1               2               3
 *   +---------------+---------------+---------------+---------------+
 *   |  Next Header  |  Header Len   |   Pad Len     |   Reserved    |
 *   +---------------+---------------+---------------+---------------+
 *   |  Pad Len NOP options (0 or 4), then the IPv4 options           |
 *   +---------------------------------------------------------------+
 *
 * The pseudo header is a multiple of 8 octets long; Header Len counts its 8-octet units after
 * the first. Only the inner family of the outer header is handled (IPv4 in IPv4, IPv6 in IPv6);
 * IPv6 extension headers and fragments are refused like in transport mode. */
#ifndef NICSEC_SOFT_ESP_BEET_H
#define NICSEC_SOFT_ESP_BEET_H

#include <stddef.h>
#include <stdint.h>

#include "esp_ip.h"
#include "nicsec/hal.h"

/* Pseudo header, offsets in octets. */
enum {
  BEET_PH_NEXT = 0,
  BEET_PH_HDRLEN = 1,
  BEET_PH_PADLEN = 2,
  BEET_PH_RESERVED = 3,
  BEET_PH_FIXED = 4,
  BEET_PH_UNIT = 8,
  BEET_PH_MAX = BEET_PH_FIXED + 4 + 40, /* fixed part, NOP padding, largest IPv4 options */
  IPPROTO_NUM_BEETPH = 94,
  IPV4_OPT_NOP = 1,
};

/* What BEET puts into ESP for one inner packet: the pseudo header (ph_len 0 when the inner
 * packet has no IPv4 options), then the inner payload, announced by next_header. */
struct beet_out {
  uint8_t ph[BEET_PH_MAX];
  size_t ph_len;
  const uint8_t *payload;
  size_t payload_len;
  uint8_t next_header;
};

/* Checks the parsed inner packet against the SA (addresses, family, no fragment) and plans
 * its ESP payload. NICSEC_HAL_E_PKT_POLICY for other addresses, _PKT_UNSUPPORTED for
 * fragments, extension headers and next header 59. */
enum nicsec_hal_err beet_plan_out(const struct nicsec_hal_sa *sa, const struct ip_view *inner,
                                  const uint8_t *pkt, struct beet_out *plan);

/* Writes the outer header (no options) for the packet `inner_hdr` heads: the inner header's
 * fields, the SA's outer addresses. */
void beet_write_outer(const struct nicsec_hal_sa *sa, const uint8_t *inner_hdr, uint8_t *out,
                      size_t total, uint8_t proto);

/* Room to leave in front of the decrypted payload for the rebuilt inner header. */
size_t beet_inner_base_len(const struct nicsec_hal_sa *sa);

/* Inbound: out + beet_inner_base_len() holds the decrypted ESP payload (payload_len octets,
 * trailer removed) announced by next_header; rebuilds the inner packet at out from the outer
 * header `outer_hdr` and the SA's inner addresses. NICSEC_HAL_E_PKT_MALFORMED for a bad pseudo
 * header. */
enum nicsec_hal_err beet_finish_in(const struct nicsec_hal_sa *sa, const uint8_t *outer_hdr,
                                   uint8_t *out, size_t payload_len, uint8_t next_header,
                                   size_t *out_len);

#endif
