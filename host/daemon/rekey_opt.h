/* Optimized rekeys (draft-ietf-ipsecme-ikev2-sa-ts-payloads-opt) and Child SA PFS info
 * (draft-ietf-ipsecme-child-pfs-info): the negotiation notifies, when a rekey may be optimized,
 * and what an optimized rekey inherits from the SA it replaces. The exchanges themselves stay in
 * exchange_create.c (Child SAs) and ike_rekey.c (IKE SA); this module holds the rules they share.
 *
 * Wire forms (ietf-digest 5):
 *   Child: I: SK{N(REKEY_SA)(old SPI), N(OPTIMIZED_REKEY)(new SPI, 4), Ni, [KEi]}
 *          R: SK{N(OPTIMIZED_REKEY)(new SPI, 4), Nr, [KEr]}
 *   IKE:   I: SK{N(OPTIMIZED_REKEY)(new SPIi, 8), Ni, KEi}
 *          R: SK{N(OPTIMIZED_REKEY)(new SPIr, 8), Nr, KEr}
 * OPTIMIZED_REKEY has Protocol ID 0 and SPI Size 0; its data is the sender's new SPI. The notify
 * types are configured (daemon.notify_*), private-use values by default. */
#ifndef NICSEC_DAEMON_REKEY_OPT_H
#define NICSEC_DAEMON_REKEY_OPT_H

#include <stdbool.h>
#include <stdint.h>

#include "engine_internal.h"

/* ---- negotiation ----------------------------------------------------------------------------- */

/* Adds N(OPTIMIZED_REKEY_SUPPORTED) to an IKE_AUTH message when the connection enables it
 * (request) or when both do (response: call after nd_opt_auth_note). */
void nd_opt_auth_add(const struct nd_ike_sa *sa, bool response, union ike_payload_body *body,
                     struct ike_payload_out *out, size_t *n);
/* Reads the peer's IKE_AUTH message: both support optimized rekeys when the peer sent the notify
 * and our (final) connection enables it. */
void nd_opt_auth_note(struct nd_ike_sa *sa, const struct ike_chain *in);

/* The same pair for CHILD_SA_PFS_INFO_SUPPORTED in IKE_SA_INIT. */
void nd_opt_pfs_info_add(const struct nd_ike_sa *sa, bool response, union ike_payload_body *body,
                         struct ike_payload_out *out, size_t *n);
void nd_opt_pfs_info_note(struct nd_ike_sa *sa, const struct ike_chain *in);

/* ---- both roles ------------------------------------------------------------------------------ */

/* The configured OPTIMIZED_REKEY type. */
uint16_t nd_opt_notify_type(const struct nd_ike_sa *sa);
/* The data of the message's N(OPTIMIZED_REKEY) (the sender's new SPI); false when absent. */
bool nd_opt_find(const struct nd_ike_sa *sa, const struct ike_chain *in, struct wire_view *spi);
/* A notify body for N(OPTIMIZED_REKEY) carrying spi (spi_len octets in buf, kept by the caller). */
void nd_opt_body(const struct nd_ike_sa *sa, union ike_payload_body *body, const uint8_t *spi,
                 size_t spi_len);

/* Whether a selection the SA agreed on is still acceptable to the current configuration: an
 * optimized rekey must not outlive a configuration change (the draft requires a regular rekey,
 * which renegotiates). */
bool nd_opt_selection_allowed(const struct nd_proposal *ours, size_t n_ours,
                              const struct nd_selected *sel);

/* ---- Child SAs ------------------------------------------------------------------------------- */

/* Initiator: whether the rekey of old may be optimized. */
bool nd_opt_child_eligible(const struct nd_engine *e, const struct nd_ike_sa *sa,
                           const struct nd_child_sa *old);
/* Responder: checks an optimized Child SA rekey request for old and fills *out with everything
 * inherited from old plus the peer's new SPI. 0 or the notify to refuse with. */
uint16_t nd_opt_child_inherit(const struct nd_engine *e, const struct nd_ike_sa *sa,
                              const struct ike_chain *in, const struct nd_child_sa *old,
                              struct wire_view peer_spi, struct nd_child_sa *out);
/* Initiator: the answer to our optimized request, inherited from old with the peer's new SPI.
 * NULL or why the answer is not usable. */
const char *nd_opt_child_answer(const struct nd_ike_sa *sa, const struct ike_chain *in,
                                const struct nd_child_sa *old, struct nd_child_sa *child);
/* Whether an error answer to our optimized rekey means "retry as a regular rekey". */
bool nd_opt_refusal_retries_regular(uint16_t error);

/* ---- IKE SA ---------------------------------------------------------------------------------- */

/* Initiator: whether the IKE SA rekey may be optimized. */
bool nd_opt_ike_eligible(const struct nd_ike_sa *sa);

/* Operator: the next rekey of the connection's Child SAs (child NULL: all) is a regular one. */
int nd_engine_rekey_child_regular(struct nd_engine *e, uint64_t now_ms, const char *conn,
                                  const char *child, char *err, size_t err_len);

/* "initial" / "regular" / "optimized" for listings (JSON field "rekey"). */
const char *nd_child_origin_name(enum nd_child_origin origin);

#endif
