/* Error classes: text, and the RFC 7296 answer for each (section 2.21 and 3.10.1). */
#include <stdio.h>

#include "ikecodec_errors.h"
#include "ikecodec_notify.h"
#include "ikecodec_payloads.h"

enum { DROP = 0 }; /* no notify: discard the message without answering */

struct err_info {
  const char *name;
  const char *text;
  uint16_t notify;
};

/* clang-format off */
#define E(code, text, notify) [code] = {#code, text, notify}
static const struct err_info err_table[IKE_ERR_COUNT] = {
    E(IKE_OK, "no error", DROP),
    E(IKE_ERR_SHORT_HEADER, "message shorter than the 28-octet IKE header", DROP),
    E(IKE_ERR_MESSAGE_LENGTH, "header Length differs from the datagram length",
      IKE_N_INVALID_SYNTAX),
    E(IKE_ERR_MAJOR_VERSION_HIGH, "major version above 2", IKE_N_INVALID_MAJOR_VERSION),
    E(IKE_ERR_MAJOR_VERSION_LOW, "major version below 2 (not IKEv2)", DROP),
    E(IKE_ERR_ZERO_SPI, "initiator SPI is zero", DROP),
    E(IKE_ERR_PAYLOAD_TRUNCATED, "generic payload header runs past the end",
      IKE_N_INVALID_SYNTAX),
    E(IKE_ERR_PAYLOAD_LENGTH, "payload length below 4 or beyond the end of the message",
      IKE_N_INVALID_SYNTAX),
    E(IKE_ERR_UNSUPPORTED_CRITICAL, "unknown payload type marked critical",
      IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD),
    E(IKE_ERR_TOO_MANY_PAYLOADS, "more payloads than the codec accepts in one message",
      IKE_N_INVALID_SYNTAX),
    E(IKE_ERR_TRAILING_DATA, "octets after the last payload", IKE_N_INVALID_SYNTAX),
    E(IKE_ERR_NESTED_ENCRYPTED, "encrypted payload inside an encrypted payload",
      IKE_N_INVALID_SYNTAX),
    E(IKE_ERR_BODY_TOO_SHORT, "payload body shorter than its fixed fields",
      IKE_N_INVALID_SYNTAX),
    E(IKE_ERR_LENGTH_MISMATCH, "an inner length or count disagrees with its container",
      IKE_N_INVALID_SYNTAX),
    E(IKE_ERR_FIELD_VALUE, "field value out of range", IKE_N_INVALID_SYNTAX),
    E(IKE_ERR_TOO_MANY_ITEMS, "more list entries than the codec accepts", IKE_N_INVALID_SYNTAX),
    E(IKE_ERR_FRAGMENT, "invalid fragment numbering (RFC 7383: discard)", DROP),
    E(IKE_ERR_UNKNOWN_EXCHANGE, "no rule for this exchange type, role and protection", DROP),
    E(IKE_ERR_RULE_MISSING, "a payload the exchange requires is missing", IKE_N_INVALID_SYNTAX),
    E(IKE_ERR_RULE_FORBIDDEN, "a payload the exchange does not allow", IKE_N_INVALID_SYNTAX),
    E(IKE_ERR_RULE_REPEATED, "a payload occurs more often than the exchange allows",
      IKE_N_INVALID_SYNTAX),
    E(IKE_ERR_RULE_GROUP, "payloads that go together appear only in part",
      IKE_N_INVALID_SYNTAX),
    E(IKE_ERR_BUILD_SPACE, "output buffer too small", DROP),
    E(IKE_ERR_BUILD_INVALID, "payload cannot be encoded as given", DROP),
};
#undef E
/* clang-format on */

static const struct err_info *err_info(enum ike_err code) {
  static const struct err_info unknown = {"IKE_ERR_?", "unknown error", DROP};
  if ((unsigned)code >= IKE_ERR_COUNT || err_table[code].name == NULL)
    return &unknown;
  return &err_table[code];
}

const char *ike_strerror(enum ike_err code) { return err_info(code)->text; }

const char *ike_err_name(enum ike_err code) { return err_info(code)->name; }

uint16_t ike_err_notify(enum ike_err code) { return err_info(code)->notify; }

int ike_error_format(const struct ike_error *err, char *buf, size_t size) {
  const char *where = err->payload_type == 0 ? "message" : ike_payload_abbrev(err->payload_type);
  return snprintf(buf, size, "%s%s (type %u), %s at offset %zu: %s (%s)", where,
                  err->payload_type == 0 ? "" : " payload", (unsigned)err->payload_type,
                  err->field ? err->field : "-", err->offset, ike_strerror(err->code),
                  ike_err_name(err->code));
}
