/* nicsec IKEv2 wire codec (RFC 7296, RFC 7383 SKF): one include for users of the library.
 *
 * Receive path:
 *   ike_message_parse()      header + unencrypted payload chain (SK/SKF last, kept opaque)
 *   ike_rules_check_clear()  the exchange's payload rules for the clear part
 *   ... the crypto layer verifies and decrypts msg.encrypted (see msg.aad) ...
 *   ike_inner_parse()        the payloads inside SK
 *   ike_rules_check_inner()  the exchange's payload rules for them
 *   ike_chain_decode()       typed form of any payload, for the exchange handler
 * On any error, ike_err_notify() says which notify RFC 7296 wants sent back (or none).
 *
 * Send path: ike_chain_build() for SK plaintext, ike_message_build() for the message. */
#ifndef NICSEC_IKECODEC_H
#define NICSEC_IKECODEC_H

#include "ikecodec_consts.h"
#include "ikecodec_errors.h"
#include "ikecodec_header.h"
#include "ikecodec_message.h"
#include "ikecodec_notify.h"
#include "ikecodec_payloads.h"
#include "ikecodec_rules.h"

#endif
