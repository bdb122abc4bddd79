/* strongSwan-style proposal strings ("aes256gcm16-prfsha256-x25519", "aes128-sha256-modp2048",
 * ESP "aes256gcm16-esn") and proposal selection (RFC 7296 2.7, 3.3).
 *
 * A proposal holds, per transform type, the algorithms in the order they were written; on the
 * wire it becomes one Proposal substructure carrying all of them. Selection picks, for each type,
 * the first of our algorithms the peer also offers.
 */
#ifndef NICSEC_DAEMON_PROPOSAL_H
#define NICSEC_DAEMON_PROPOSAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ikecodec_payloads.h"

enum { ND_MAX_XFORMS = 24, ND_MAX_PROPOSALS = 8, ND_PROPOSAL_TEXT = 128 };

struct nd_xform {
  uint8_t type; /* IKE_TRANSFORM_* */
  uint16_t id;
  uint16_t key_bits; /* Key Length attribute; 0 = absent */
};

struct nd_proposal {
  uint8_t protocol; /* IKE_PROTO_IKE or IKE_PROTO_ESP */
  size_t count;
  struct nd_xform xforms[ND_MAX_XFORMS];
  char text[ND_PROPOSAL_TEXT]; /* the configured string, for logs and listings */
};

/* What selection agreed on: one transform per type (id 0 / absent when the type was not
 * negotiated, e.g. INTEG with an AEAD cipher). */
struct nd_selected {
  uint8_t proposal_number; /* the peer's Proposal Num, echoed in our answer */
  uint8_t protocol;
  uint16_t encr, encr_bits, prf, integ, ke, esn;
  bool has_integ, has_ke, has_esn;
  uint32_t peer_spi; /* ESP: the SPI in the peer's proposal (the peer's inbound SPI) */
};

/* Parses text for protocol (IKE_PROTO_IKE / IKE_PROTO_ESP). Only algorithms nicsec implements
 * are accepted. On error returns -1 and writes a sentence naming the offending keyword. */
int nd_proposal_parse(const char *text, uint8_t protocol, struct nd_proposal *out, char *err,
                      size_t err_len);

/* Copy of p without Transform Type 4 (KE): SAi2/SAr2 in IKE_AUTH carry no KE (RFC 7296 1.2). */
void nd_proposal_without_ke(const struct nd_proposal *p, struct nd_proposal *out);

/* Appends our proposals to an SA payload, numbered from 1. spi is the SPI field (NULL/0 for
 * IKE_SA_INIT, our 4-octet inbound SPI for ESP). Returns false when the payload is full. */
bool nd_proposals_to_sa(const struct nd_proposal *ours, size_t n_ours, const uint8_t *spi,
                        size_t spi_len, struct ike_sa_payload *sa);

/* Responder side: the first of our proposals (in our order of preference) that one of the
 * peer's proposals of the same protocol satisfies. ignore_ke: KE transforms in the peer's
 * proposals are ignored (IKE_AUTH). Returns true and fills *sel on a match. */
bool nd_proposal_select(const struct nd_proposal *ours, size_t n_ours,
                        const struct ike_sa_payload *peer, bool ignore_ke, struct nd_selected *sel);

/* Initiator side: checks that the responder's answer (exactly one proposal, one transform per
 * type) is something we offered. Returns true and fills *sel when it is acceptable. */
bool nd_proposal_check_answer(const struct nd_proposal *ours, size_t n_ours,
                              const struct ike_sa_payload *answer, bool ignore_ke,
                              struct nd_selected *sel);

/* Writes the selected transforms as a one-proposal SA payload (the responder's SAr). */
bool nd_selected_to_sa(const struct nd_selected *sel, const uint8_t *spi, size_t spi_len,
                       struct ike_sa_payload *sa);

/* A short strongSwan-style name of the selection ("AES_GCM_16_256/PRF_HMAC_SHA2_256/CURVE_25519"). */
void nd_selected_describe(const struct nd_selected *sel, char *out, size_t len);

/* Whether the proposals offer KE method ke (for INVALID_KE_PAYLOAD handling). */
bool nd_proposals_offer_ke(const struct nd_proposal *ours, size_t n_ours, uint16_t ke);
/* The first KE method of the first proposal (what the initiator's KEi uses). */
uint16_t nd_proposals_first_ke(const struct nd_proposal *ours, size_t n_ours);

#endif
