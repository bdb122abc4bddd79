/* The IKEv2 Notify Message Types registry (RFC 7296 3.10.1 and later RFCs) as a table. */
#ifndef NICSEC_IKECODEC_NOTIFY_H
#define NICSEC_IKECODEC_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ike_notify_type {
  /* error types (1..16383) */
  IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD = 1,
  IKE_N_INVALID_IKE_SPI = 4,
  IKE_N_INVALID_MAJOR_VERSION = 5,
  IKE_N_INVALID_SYNTAX = 7,
  IKE_N_INVALID_MESSAGE_ID = 9,
  IKE_N_INVALID_SPI = 11,
  IKE_N_NO_PROPOSAL_CHOSEN = 14,
  IKE_N_INVALID_KE_PAYLOAD = 17,
  IKE_N_AUTHENTICATION_FAILED = 24,
  IKE_N_SINGLE_PAIR_REQUIRED = 34,
  IKE_N_NO_ADDITIONAL_SAS = 35,
  IKE_N_INTERNAL_ADDRESS_FAILURE = 36,
  IKE_N_FAILED_CP_REQUIRED = 37,
  IKE_N_TS_UNACCEPTABLE = 38,
  IKE_N_INVALID_SELECTORS = 39,
  IKE_N_TEMPORARY_FAILURE = 43,
  IKE_N_CHILD_SA_NOT_FOUND = 44,
  /* status types (16384..65535) */
  IKE_N_INITIAL_CONTACT = 16384,
  IKE_N_SET_WINDOW_SIZE = 16385,
  IKE_N_ADDITIONAL_TS_POSSIBLE = 16386,
  IKE_N_IPCOMP_SUPPORTED = 16387,
  IKE_N_NAT_DETECTION_SOURCE_IP = 16388,
  IKE_N_NAT_DETECTION_DESTINATION_IP = 16389,
  IKE_N_COOKIE = 16390,
  IKE_N_USE_TRANSPORT_MODE = 16391,
  IKE_N_HTTP_CERT_LOOKUP_SUPPORTED = 16392,
  IKE_N_REKEY_SA = 16393,
  IKE_N_ESP_TFC_PADDING_NOT_SUPPORTED = 16394,
  IKE_N_NON_FIRST_FRAGMENTS_ALSO = 16395,
  IKE_N_CHILDLESS_IKEV2_SUPPORTED = 16418,
  IKE_N_IKEV2_FRAGMENTATION_SUPPORTED = 16430,
  IKE_N_SIGNATURE_HASH_ALGORITHMS = 16431,
  IKE_N_INTERMEDIATE_EXCHANGE_SUPPORTED = 16438,
  IKE_N_ADDITIONAL_KEY_EXCHANGE = 16441,
  IKE_N_USE_AGGFRAG = 16442,
  IKE_N_ROHC_SUPPORTED = 16416,
  /* Drafts without IANA values yet: the private-use values implementations use (ietf-digest
   * 0.5). nicsecd makes them configurable; these are the defaults. */
  IKE_N_OPTIMIZED_REKEY_SUPPORTED_PRIVATE = 50400, /* draft-ietf-ipsecme-ikev2-sa-ts-payloads-opt */
  IKE_N_OPTIMIZED_REKEY_PRIVATE = 50401,           /* same draft */
  IKE_N_CHILD_SA_PFS_INFO_SUPPORTED_PRIVATE = 50600, /* draft-ietf-ipsecme-child-pfs-info */
  IKE_N_FIRST_PRIVATE_STATUS = 40960,
};

enum {
  IKE_N_FIRST_STATUS = 16384, /* types below are errors (RFC 7296 3.10.1) */
  IKE_N_DATA_UNCHECKED = -1,
};

enum ike_notify_class { IKE_NOTIFY_ERROR, IKE_NOTIFY_STATUS };

struct ike_notify_info {
  uint16_t type;
  const char *name;
  enum ike_notify_class cls;
  /* Notification Data length bounds the defining RFC fixes, or IKE_N_DATA_UNCHECKED. */
  int data_min;
  int data_max;
};

/* The registry row for a type, or NULL if the type is not in our table. */
const struct ike_notify_info *ike_notify_lookup(uint16_t type);
/* The registered name, or "UNKNOWN_ERROR" / "UNKNOWN_STATUS" by range. */
const char *ike_notify_name(uint16_t type);
/* Error class by range, so types we do not know are classified too (RFC 7296 3.10.1). */
bool ike_notify_is_error(uint16_t type);
/* Whether data_len fits the registry's bounds for that type (true for unchecked types). */
bool ike_notify_data_len_ok(uint16_t type, size_t data_len);
/* Iteration over the table (for tests and listings). */
size_t ike_notify_table_size(void);
const struct ike_notify_info *ike_notify_table_row(size_t index);

#endif
