/* Codec errors. Every failure names the error class, the payload and the field concerned, and
 * the octet offset of that field, so a log line says exactly what was wrong with a message.
 * ike_err_notify() gives the RFC 7296 answer for each class: the notify type to send back, or 0
 * when the message is to be dropped silently. */
#ifndef NICSEC_IKECODEC_ERRORS_H
#define NICSEC_IKECODEC_ERRORS_H

#include <stddef.h>
#include <stdint.h>

enum ike_err {
  IKE_OK = 0,
  /* IKE header */
  IKE_ERR_SHORT_HEADER,       /* fewer than 28 octets */
  IKE_ERR_MESSAGE_LENGTH,     /* header Length differs from the datagram length */
  IKE_ERR_MAJOR_VERSION_HIGH, /* major version above 2: answer INVALID_MAJOR_VERSION */
  IKE_ERR_MAJOR_VERSION_LOW,  /* major version below 2 (IKEv1 or noise) */
  IKE_ERR_ZERO_SPI,           /* initiator SPI is zero */
  /* payload chain */
  IKE_ERR_PAYLOAD_TRUNCATED, /* a generic payload header does not fit in what is left */
  IKE_ERR_PAYLOAD_LENGTH,    /* Payload Length below 4 or beyond the end of the message */
  IKE_ERR_UNSUPPORTED_CRITICAL,
  IKE_ERR_TOO_MANY_PAYLOADS,
  IKE_ERR_TRAILING_DATA,    /* octets after the last payload of the chain */
  IKE_ERR_NESTED_ENCRYPTED, /* SK or SKF inside decrypted payloads */
  /* payload bodies */
  IKE_ERR_BODY_TOO_SHORT,  /* body shorter than the payload type's fixed part */
  IKE_ERR_LENGTH_MISMATCH, /* an inner length or count disagrees with its container */
  IKE_ERR_FIELD_VALUE,     /* a field holds a value the RFC forbids */
  IKE_ERR_TOO_MANY_ITEMS,  /* more proposals/transforms/selectors/attributes than we hold */
  IKE_ERR_FRAGMENT,        /* SKF numbering invalid: RFC 7383 says discard */
  /* exchange rules (RFC 7296 section 1 diagrams) */
  IKE_ERR_UNKNOWN_EXCHANGE, /* no rule for this exchange type, role and protection */
  IKE_ERR_RULE_MISSING,     /* a required payload is absent */
  IKE_ERR_RULE_FORBIDDEN,   /* a payload this exchange does not allow */
  IKE_ERR_RULE_REPEATED,    /* a payload occurs more often than allowed */
  IKE_ERR_RULE_GROUP,       /* payloads that go together (SA, TSi, TSr) appear only in part */
  /* building */
  IKE_ERR_BUILD_SPACE,   /* output buffer too small */
  IKE_ERR_BUILD_INVALID, /* the in-memory payload cannot be encoded as given */
  IKE_ERR_COUNT
};

struct ike_error {
  enum ike_err code;
  uint8_t payload_type; /* payload concerned; 0 = the IKE header or the message as a whole */
  const char *field;    /* field, substructure or exchange rule concerned (static string) */
  size_t offset;        /* octet offset of that field from the start of the parsed buffer */
};

/* A short sentence describing the error class ("payload length below 4 or beyond ..."). */
const char *ike_strerror(enum ike_err code);
/* The enum name, e.g. "IKE_ERR_PAYLOAD_LENGTH". */
const char *ike_err_name(enum ike_err code);
/* Notify type RFC 7296 prescribes in answer (INVALID_SYNTAX, UNSUPPORTED_CRITICAL_PAYLOAD,
 * INVALID_MAJOR_VERSION), or 0: drop the message without answering. For
 * UNSUPPORTED_CRITICAL_PAYLOAD the notify data is the one octet err->payload_type. Whether an
 * answer may be sent at all (e.g. not before the message is authenticated) is the caller's call. */
uint16_t ike_err_notify(enum ike_err code);
/* Writes e.g. "SA payload, Transform Length at offset 52: an inner length ... (IKE_ERR_...)".
 * Returns the snprintf result. */
int ike_error_format(const struct ike_error *err, char *buf, size_t size);

#endif
