/* Shared by the nicsecd dispatch fuzzer and its seed generator: a pair of engines (the unit-test
 * harness) brought to a chosen point of the handshake, and a way to send arbitrary inner
 * payloads inside a correctly protected SK payload, so the fuzzer reaches the exchange handlers
 * behind the ICV check, not just the clear-text parser.
 *
 * Input layout: [mode] [exchange] [first inner payload type] [data...]
 *   mode 0  data = a datagram to a responder without SAs (IKE_SA_INIT parsing, cookies)
 *   mode 1  data = a datagram, SPIs/flags patched into an IKE_SA_INIT response to an initiator
 *           waiting in IKE_SA_INIT
 *   mode 2  data = inner payloads of an IKE_AUTH request, protected, to a half-open responder
 *   mode 3  data = inner payloads of an IKE_AUTH response, protected, to an initiator
 *   mode 4  data = inner payloads of a request of type `exchange`, protected, to an established
 *           responder
 *   mode 5  data = inner payloads of an INFORMATIONAL response to the initiator's liveness check
 *   mode 6  data = a datagram whose SPIs are patched to an established SA (ICV failures, window)
 *   mode 7  data = inner payloads (starting with a Delete) of an INFORMATIONAL request split into `exchange % 8 + 1`
 *           protected SKF fragments (RFC 7383), sent in an order and with repeats the first
 *           payload byte picks, to an established responder that negotiated fragmentation
 */
#ifndef NICSEC_FUZZ_DAEMON_COMMON_H
#define NICSEC_FUZZ_DAEMON_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness.h"

enum fuzz_mode {
  FUZZ_RAW_NEW,
  FUZZ_INIT_RESPONSE,
  FUZZ_AUTH_REQUEST,
  FUZZ_AUTH_RESPONSE,
  FUZZ_ESTABLISHED_REQUEST,
  FUZZ_DPD_RESPONSE,
  FUZZ_RAW_ESTABLISHED,
  FUZZ_FRAGMENTS,
  FUZZ_MODES
};

/* Brings the pair to the point the mode needs. Returns false if the handshake failed. */
bool fuzz_prepare(struct harness *h, enum fuzz_mode mode);

/* Protects `inner` (a payload chain starting with type `first`) as a message of `exchange` from
 * side `from`'s IKE SA and delivers it to the other side. response: set the R flag and use the
 * Message ID of the receiver's outstanding request. */
void fuzz_send_protected(struct harness *h, int from, uint8_t exchange, bool response,
                         uint8_t first, const uint8_t *inner, size_t len);

/* Protects one fragment (number of total) of a message from side `from`'s IKE SA as an SKF
 * payload and delivers it. first is the first inner payload type (fragment 1 only). */
void fuzz_send_fragment(struct harness *h, int from, uint8_t exchange, uint16_t number,
                        uint16_t total, uint8_t first, const uint8_t *inner, size_t len);

/* Delivers a datagram to side `to` from its peer's address. */
void fuzz_send_raw(struct harness *h, int to, const uint8_t *msg, size_t len, uint16_t port);

#endif
