/* Per-exchange, per-role tables of allowed and required payloads (the RFC 7296 section 1
 * diagrams as data), checked after parsing and before any exchange handler runs. */
#ifndef NICSEC_IKECODEC_RULES_H
#define NICSEC_IKECODEC_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ikecodec_errors.h"
#include "ikecodec_message.h"

enum ike_occurs {
  IKE_OCC_END = 0, /* terminates a rule's payload list */
  IKE_OCC_ONE,     /* exactly one                                     X     */
  IKE_OCC_OPT,     /* zero or one                                     [X]   */
  IKE_OCC_ANY,     /* zero or more                                    [X+]  */
  IKE_OCC_SOME,    /* one or more                                     X+    */
  IKE_OCC_GROUP,   /* zero or one, and all GROUP payloads or none     [X, Y, Z] */
};

enum ike_protection {
  IKE_RULES_CLEAR,     /* payloads travel unencrypted */
  IKE_RULES_PROTECTED, /* the clear part is exactly one SK or SKF; the list applies inside */
};

enum { IKE_RULES_MAX_PAYLOADS = 14 };

struct ike_payload_rule {
  uint8_t type;
  uint8_t occurs; /* enum ike_occurs */
};

struct ike_exchange_rules {
  const char *name;    /* "IKE_AUTH request": reported as the error's field */
  const char *diagram; /* the RFC 7296 section 1 form, for readers and logs */
  uint8_t exchange;
  bool response;
  enum ike_protection protection;
  /* A response carrying an error Notify (or waiver_notify) need not carry the required
   * payloads (RFC 7296 2.21: an error answer replaces them). Limits still apply. */
  bool error_notify_waives;
  uint16_t waiver_notify;
  struct ike_payload_rule payloads[IKE_RULES_MAX_PAYLOADS];
};

/* The rule for an exchange type, role and protection, or NULL. */
const struct ike_exchange_rules *ike_rules_lookup(uint8_t exchange, bool response,
                                                  bool is_protected);
/* Checks the unencrypted part of a parsed message: picks the rule by exchange type, the R
 * flag and whether the message ends in SK/SKF. Protected exchanges must consist of that one
 * payload; clear ones (IKE_SA_INIT) are checked in full. */
enum ike_err ike_rules_check_clear(const struct ike_message *msg, struct ike_error *err);
/* Checks the payloads decrypted from the message's SK payload (or reassembled SKF set). */
enum ike_err ike_rules_check_inner(const struct ike_message *msg, const struct ike_chain *inner,
                                   struct ike_error *err);
/* Checks a chain against one rule (both functions above end here). */
enum ike_err ike_rules_check_chain(const struct ike_exchange_rules *rules,
                                   const struct ike_chain *chain, struct ike_error *err);

size_t ike_rules_table_size(void);
const struct ike_exchange_rules *ike_rules_table_row(size_t index);

#endif
