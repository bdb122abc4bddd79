/* Exchange rules: which payloads each message of each exchange may and must carry. Every entry
 * restates its RFC 7296 section 1 diagram; the payload list below it is that diagram as data.
 * Payload order is not checked: RFC 7296 2.5 forbids rejecting a message for its order (only
 * SK must be last, which the chain walk enforces). */
#include "ikecodec_rules.h"

#include "codec_internal.h"
#include "ikecodec_notify.h"

/* clang-format off */
#define P(type, occurs) {IKE_PT_##type, IKE_OCC_##occurs}

static const struct ike_exchange_rules rules_table[] = {
    {.name = "IKE_SA_INIT request",
     .diagram = "HDR, SAi1, KEi, Ni, [N+], [V+]",
     .exchange = IKE_EXCH_IKE_SA_INIT, .response = false, .protection = IKE_RULES_CLEAR,
     .payloads = {P(SA, ONE), P(KE, ONE), P(NONCE, ONE), P(NOTIFY, ANY), P(VENDOR, ANY)}},

    {.name = "IKE_SA_INIT response",
     .diagram = "HDR, SAr1, KEr, Nr, [CERTREQ+], [N+], [V+]  |  HDR, N(error or COOKIE)",
     .exchange = IKE_EXCH_IKE_SA_INIT, .response = true, .protection = IKE_RULES_CLEAR,
     .error_notify_waives = true, .waiver_notify = IKE_N_COOKIE,
     .payloads = {P(SA, ONE), P(KE, ONE), P(NONCE, ONE), P(CERTREQ, ANY), P(NOTIFY, ANY),
                  P(VENDOR, ANY)}},

    {.name = "IKE_AUTH request",
     .diagram = "HDR, SK{IDi, [CERT+], [N+], [CERTREQ+], [IDr], AUTH, [CP], "
                "[SAi2, TSi, TSr], [V+]}",
     .exchange = IKE_EXCH_IKE_AUTH, .response = false, .protection = IKE_RULES_PROTECTED,
     .payloads = {P(IDI, ONE), P(CERT, ANY), P(NOTIFY, ANY), P(CERTREQ, ANY), P(IDR, OPT),
                  P(AUTH, ONE), P(CP, OPT), P(SA, GROUP), P(TSI, GROUP), P(TSR, GROUP),
                  P(VENDOR, ANY)}},

    {.name = "IKE_AUTH response",
     .diagram = "HDR, SK{IDr, [CERT+], AUTH, [CP], [N+], [SAr2, TSi, TSr], [V+]}  |  "
                "HDR, SK{N(error), ...}",
     .exchange = IKE_EXCH_IKE_AUTH, .response = true, .protection = IKE_RULES_PROTECTED,
     .error_notify_waives = true,
     .payloads = {P(IDR, ONE), P(CERT, ANY), P(AUTH, ONE), P(CP, OPT), P(NOTIFY, ANY),
                  P(SA, GROUP), P(TSI, GROUP), P(TSR, GROUP), P(VENDOR, ANY)}},

    /* New or rekeyed Child SA (with TSi, TSr) or IKE SA rekey (without). An optimized rekey
     * (draft-ietf-ipsecme-ikev2-sa-ts-payloads-opt) replaces SA and TSi/TSr by a notify whose
     * type is a configured private-use value, so SA is optional here and the daemon demands
     * "SA or N(OPTIMIZED_REKEY)" itself. */
    {.name = "CREATE_CHILD_SA request",
     .diagram = "HDR, SK{[N+], [SA], Ni, [KEi], [TSi, TSr], [V+]}",
     .exchange = IKE_EXCH_CREATE_CHILD_SA, .response = false,
     .protection = IKE_RULES_PROTECTED,
     .payloads = {P(NOTIFY, ANY), P(SA, OPT), P(NONCE, ONE), P(KE, OPT), P(TSI, GROUP),
                  P(TSR, GROUP), P(VENDOR, ANY)}},

    {.name = "CREATE_CHILD_SA response",
     .diagram = "HDR, SK{[N+], [SA], Nr, [KEr], [TSi, TSr], [V+]}  |  HDR, SK{N(error)}",
     .exchange = IKE_EXCH_CREATE_CHILD_SA, .response = true,
     .protection = IKE_RULES_PROTECTED, .error_notify_waives = true,
     .payloads = {P(NOTIFY, ANY), P(SA, OPT), P(NONCE, ONE), P(KE, OPT), P(TSI, GROUP),
                  P(TSR, GROUP), P(VENDOR, ANY)}},

    {.name = "INFORMATIONAL request",
     .diagram = "HDR, SK{[N+], [D+], [CP], [V+]}",
     .exchange = IKE_EXCH_INFORMATIONAL, .response = false, .protection = IKE_RULES_PROTECTED,
     .payloads = {P(NOTIFY, ANY), P(DELETE, ANY), P(CP, OPT), P(VENDOR, ANY)}},

    {.name = "INFORMATIONAL response",
     .diagram = "HDR, SK{[N+], [D+], [CP], [V+]}",
     .exchange = IKE_EXCH_INFORMATIONAL, .response = true, .protection = IKE_RULES_PROTECTED,
     .payloads = {P(NOTIFY, ANY), P(DELETE, ANY), P(CP, OPT), P(VENDOR, ANY)}},

    /* RFC 7296 1.5: unprotected notification (INVALID_IKE_SPI, INVALID_SPI); a hint only,
     * never answered and never allowed to change SA state. */
    {.name = "unprotected INFORMATIONAL request",
     .diagram = "HDR, N+",
     .exchange = IKE_EXCH_INFORMATIONAL, .response = false, .protection = IKE_RULES_CLEAR,
     .payloads = {P(NOTIFY, SOME)}},

    {.name = "unprotected INFORMATIONAL response",
     .diagram = "HDR, N+",
     .exchange = IKE_EXCH_INFORMATIONAL, .response = true, .protection = IKE_RULES_CLEAR,
     .payloads = {P(NOTIFY, SOME)}},
};

#undef P
/* clang-format on */

enum { RULES_ROWS = sizeof rules_table / sizeof rules_table[0] };

size_t ike_rules_table_size(void) { return RULES_ROWS; }

const struct ike_exchange_rules *ike_rules_table_row(size_t index) {
  return index < RULES_ROWS ? &rules_table[index] : NULL;
}

const char *ike_exchange_name(uint8_t exchange) {
  switch (exchange) {
  case IKE_EXCH_IKE_SA_INIT:
    return "IKE_SA_INIT";
  case IKE_EXCH_IKE_AUTH:
    return "IKE_AUTH";
  case IKE_EXCH_CREATE_CHILD_SA:
    return "CREATE_CHILD_SA";
  case IKE_EXCH_INFORMATIONAL:
    return "INFORMATIONAL";
  default:
    return "UNKNOWN";
  }
}

const struct ike_exchange_rules *ike_rules_lookup(uint8_t exchange, bool response,
                                                  bool is_protected) {
  enum ike_protection wanted = is_protected ? IKE_RULES_PROTECTED : IKE_RULES_CLEAR;
  for (size_t i = 0; i < RULES_ROWS; i++)
    if (rules_table[i].exchange == exchange && rules_table[i].response == response &&
        rules_table[i].protection == wanted)
      return &rules_table[i];
  return NULL;
}

/* ---- checking ------------------------------------------------------------------------------- */

static const struct ike_payload_rule *rule_for(const struct ike_exchange_rules *rules,
                                               uint8_t type) {
  for (const struct ike_payload_rule *p = rules->payloads; p->occurs != IKE_OCC_END; p++)
    if (p->type == type)
      return p;
  return NULL;
}

static size_t max_occurrences(uint8_t occurs) {
  return occurs == IKE_OCC_ANY || occurs == IKE_OCC_SOME ? SIZE_MAX : 1;
}

static bool waived(const struct ike_exchange_rules *rules, const struct ike_chain *chain) {
  if (!rules->response)
    return false;
  for (size_t i = 0; i < chain->count; i++) {
    if (chain->payloads[i].type != IKE_PT_NOTIFY)
      continue;
    uint16_t type = ike_ref_notify_type(&chain->payloads[i]);
    if (rules->error_notify_waives && ike_notify_is_error(type))
      return true;
    if (rules->waiver_notify != 0 && type == rules->waiver_notify)
      return true;
  }
  return false;
}

static enum ike_err rule_fail(struct ike_error *err, enum ike_err code, uint8_t type,
                              const struct ike_exchange_rules *rules, size_t offset) {
  codec_set_error(err, code, type, rules->name, offset);
  return code;
}

/* Every payload present must be allowed, and no more often than allowed. */
static enum ike_err check_present(const struct ike_exchange_rules *rules,
                                  const struct ike_chain *chain, struct ike_error *err) {
  uint8_t seen[256] = {0}; /* per payload type; a chain holds at most IKE_MAX_PAYLOADS */
  for (size_t i = 0; i < chain->count; i++) {
    const struct ike_payload_ref *ref = &chain->payloads[i];
    const struct ike_payload_rule *rule = rule_for(rules, ref->type);
    if (!rule)
      return rule_fail(err, IKE_ERR_RULE_FORBIDDEN, ref->type, rules, ref->offset);
    if (seen[ref->type]++ >= max_occurrences(rule->occurs))
      return rule_fail(err, IKE_ERR_RULE_REPEATED, ref->type, rules, ref->offset);
  }
  return IKE_OK;
}

/* Required payloads (unless waived) and all-or-none groups. */
static enum ike_err check_required(const struct ike_exchange_rules *rules,
                                   const struct ike_chain *chain, struct ike_error *err) {
  bool is_waived = waived(rules, chain);
  size_t group_present = 0, group_size = 0;
  uint8_t group_missing = IKE_PT_NONE;
  for (const struct ike_payload_rule *p = rules->payloads; p->occurs != IKE_OCC_END; p++) {
    size_t n = ike_chain_count(chain, p->type);
    bool required = p->occurs == IKE_OCC_ONE || p->occurs == IKE_OCC_SOME;
    if (required && n == 0 && !is_waived)
      return rule_fail(err, IKE_ERR_RULE_MISSING, p->type, rules, 0);
    if (p->occurs == IKE_OCC_GROUP) {
      group_size++;
      group_present += n > 0;
      if (n == 0 && group_missing == IKE_PT_NONE)
        group_missing = p->type;
    }
  }
  if (group_present > 0 && group_present < group_size)
    return rule_fail(err, IKE_ERR_RULE_GROUP, group_missing, rules, 0);
  return IKE_OK;
}

enum ike_err ike_rules_check_chain(const struct ike_exchange_rules *rules,
                                   const struct ike_chain *chain, struct ike_error *err) {
  struct ike_error scratch;
  if (!err)
    err = &scratch;
  codec_set_error(err, IKE_OK, IKE_PT_NONE, NULL, 0);
  enum ike_err rc = check_present(rules, chain, err);
  return rc != IKE_OK ? rc : check_required(rules, chain, err);
}

/* No rule for this protection: say whether the exchange exists with the other one. */
static enum ike_err protection_mismatch(const struct ike_message *msg, bool is_protected,
                                        struct ike_error *err) {
  const struct ike_exchange_rules *other =
      ike_rules_lookup(msg->hdr.exchange, ike_header_is_response(&msg->hdr), !is_protected);
  if (!other) {
    codec_set_error(err, IKE_ERR_UNKNOWN_EXCHANGE, IKE_PT_NONE, "Exchange Type", 18);
    return IKE_ERR_UNKNOWN_EXCHANGE;
  }
  if (is_protected) {
    const struct ike_payload_ref *sk = &msg->clear.payloads[msg->encrypted_index];
    return rule_fail(err, IKE_ERR_RULE_FORBIDDEN, sk->type, other, sk->offset);
  }
  return rule_fail(err, IKE_ERR_RULE_MISSING, IKE_PT_SK, other, 0);
}

enum ike_err ike_rules_check_clear(const struct ike_message *msg, struct ike_error *err) {
  struct ike_error scratch;
  if (!err)
    err = &scratch;
  bool is_protected = msg->encrypted_index >= 0;
  const struct ike_exchange_rules *rules =
      ike_rules_lookup(msg->hdr.exchange, ike_header_is_response(&msg->hdr), is_protected);
  if (!rules)
    return protection_mismatch(msg, is_protected, err);
  if (rules->protection == IKE_RULES_CLEAR)
    return ike_rules_check_chain(rules, &msg->clear, err);
  /* Protected: nothing may travel in the clear next to SK/SKF. */
  for (size_t i = 0; i < msg->clear.count; i++)
    if ((int)i != msg->encrypted_index)
      return rule_fail(err, IKE_ERR_RULE_FORBIDDEN, msg->clear.payloads[i].type, rules,
                       msg->clear.payloads[i].offset);
  codec_set_error(err, IKE_OK, IKE_PT_NONE, NULL, 0);
  return IKE_OK;
}

enum ike_err ike_rules_check_inner(const struct ike_message *msg, const struct ike_chain *inner,
                                   struct ike_error *err) {
  struct ike_error scratch;
  if (!err)
    err = &scratch;
  const struct ike_exchange_rules *rules =
      ike_rules_lookup(msg->hdr.exchange, ike_header_is_response(&msg->hdr), true);
  if (!rules) {
    codec_set_error(err, IKE_ERR_UNKNOWN_EXCHANGE, IKE_PT_NONE, "Exchange Type", 18);
    return IKE_ERR_UNKNOWN_EXCHANGE;
  }
  return ike_rules_check_chain(rules, inner, err);
}
