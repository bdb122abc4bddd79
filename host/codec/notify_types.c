/* Notify Message Types registry. Values and names from the IANA "IKEv2 Notify Message Types"
 * registries (errors: RFC 7296 3.10.1 ff., status: RFC 7296 and the RFCs named per row).
 * Data bounds are filled in only where the defining RFC fixes the Notification Data length; a
 * wrong length there is a syntax error of the Notify payload. */
#include "ikecodec_notify.h"

#include <stdlib.h>

/* clang-format off */
#define ANY IKE_N_DATA_UNCHECKED, IKE_N_DATA_UNCHECKED
#define ERR IKE_NOTIFY_ERROR
#define STA IKE_NOTIFY_STATUS

/* Sorted by type (bsearch). */
static const struct ike_notify_info notify_table[] = {
    /* type   name                                    class data min, max */
    {1,     "UNSUPPORTED_CRITICAL_PAYLOAD",          ERR, 1, 1},      /* payload type */
    {4,     "INVALID_IKE_SPI",                       ERR, ANY},
    {5,     "INVALID_MAJOR_VERSION",                 ERR, ANY},
    {7,     "INVALID_SYNTAX",                        ERR, ANY},
    {9,     "INVALID_MESSAGE_ID",                    ERR, ANY},
    {11,    "INVALID_SPI",                           ERR, ANY},
    {14,    "NO_PROPOSAL_CHOSEN",                    ERR, ANY},
    {17,    "INVALID_KE_PAYLOAD",                    ERR, 2, 2},      /* KE method */
    {24,    "AUTHENTICATION_FAILED",                 ERR, ANY},
    {34,    "SINGLE_PAIR_REQUIRED",                  ERR, ANY},
    {35,    "NO_ADDITIONAL_SAS",                     ERR, ANY},
    {36,    "INTERNAL_ADDRESS_FAILURE",              ERR, ANY},
    {37,    "FAILED_CP_REQUIRED",                    ERR, ANY},
    {38,    "TS_UNACCEPTABLE",                       ERR, ANY},
    {39,    "INVALID_SELECTORS",                     ERR, ANY},
    {40,    "UNACCEPTABLE_ADDRESSES",                ERR, ANY},       /* RFC 4555 */
    {41,    "UNEXPECTED_NAT_DETECTED",               ERR, ANY},       /* RFC 4555 */
    {42,    "USE_ASSIGNED_HoA",                      ERR, ANY},       /* RFC 5026 */
    {43,    "TEMPORARY_FAILURE",                     ERR, ANY},       /* RFC 7296 */
    {44,    "CHILD_SA_NOT_FOUND",                    ERR, ANY},       /* RFC 7296 */
    {45,    "INVALID_GROUP_ID",                      ERR, ANY},       /* RFC 9838 */
    {46,    "AUTHORIZATION_FAILED",                  ERR, ANY},       /* RFC 9838 */
    {47,    "STATE_NOT_FOUND",                       ERR, ANY},       /* RFC 9370 */
    {48,    "TS_MAX_QUEUE",                          ERR, ANY},       /* RFC 9611 */
    {49,    "REGISTRATION_FAILED",                   ERR, ANY},       /* RFC 9838 */
    {16384, "INITIAL_CONTACT",                       STA, 0, 0},
    {16385, "SET_WINDOW_SIZE",                       STA, 4, 4},      /* 4-octet window size */
    {16386, "ADDITIONAL_TS_POSSIBLE",                STA, ANY},
    {16387, "IPCOMP_SUPPORTED",                      STA, ANY},
    {16388, "NAT_DETECTION_SOURCE_IP",               STA, 20, 20},    /* SHA-1 digest */
    {16389, "NAT_DETECTION_DESTINATION_IP",          STA, 20, 20},    /* SHA-1 digest */
    {16390, "COOKIE",                                STA, 1, 64},
    {16391, "USE_TRANSPORT_MODE",                    STA, 0, 0},
    {16392, "HTTP_CERT_LOOKUP_SUPPORTED",            STA, ANY},
    {16393, "REKEY_SA",                              STA, 0, 0},      /* SPI in SPI */
    {16394, "ESP_TFC_PADDING_NOT_SUPPORTED",         STA, 0, 0},
    {16395, "NON_FIRST_FRAGMENTS_ALSO",              STA, 0, 0},
    {16396, "MOBIKE_SUPPORTED",                      STA, ANY},       /* RFC 4555 */
    {16397, "ADDITIONAL_IP4_ADDRESS",                STA, ANY},       /* RFC 4555 */
    {16398, "ADDITIONAL_IP6_ADDRESS",                STA, ANY},       /* RFC 4555 */
    {16399, "NO_ADDITIONAL_ADDRESSES",               STA, ANY},       /* RFC 4555 */
    {16400, "UPDATE_SA_ADDRESSES",                   STA, ANY},       /* RFC 4555 */
    {16401, "COOKIE2",                               STA, ANY},       /* RFC 4555 */
    {16402, "NO_NATS_ALLOWED",                       STA, ANY},       /* RFC 4555 */
    {16403, "AUTH_LIFETIME",                         STA, ANY},       /* RFC 4478 */
    {16404, "MULTIPLE_AUTH_SUPPORTED",               STA, ANY},       /* RFC 4739 */
    {16405, "ANOTHER_AUTH_FOLLOWS",                  STA, ANY},       /* RFC 4739 */
    {16406, "REDIRECT_SUPPORTED",                    STA, ANY},       /* RFC 5685 */
    {16407, "REDIRECT",                              STA, ANY},       /* RFC 5685 */
    {16408, "REDIRECTED_FROM",                       STA, ANY},       /* RFC 5685 */
    {16409, "TICKET_LT_OPAQUE",                      STA, ANY},       /* RFC 5723 */
    {16410, "TICKET_REQUEST",                        STA, ANY},       /* RFC 5723 */
    {16411, "TICKET_ACK",                            STA, ANY},       /* RFC 5723 */
    {16412, "TICKET_NACK",                           STA, ANY},       /* RFC 5723 */
    {16413, "TICKET_OPAQUE",                         STA, ANY},       /* RFC 5723 */
    {16414, "LINK_ID",                               STA, ANY},       /* RFC 5739 */
    {16415, "USE_WESP_MODE",                         STA, ANY},       /* RFC 5840 */
    {16416, "ROHC_SUPPORTED",                        STA, ANY},       /* RFC 5857 */
    {16417, "EAP_ONLY_AUTHENTICATION",               STA, ANY},       /* RFC 5998 */
    {16418, "CHILDLESS_IKEV2_SUPPORTED",             STA, ANY},       /* RFC 6023 */
    {16419, "QUICK_CRASH_DETECTION",                 STA, ANY},       /* RFC 6290 */
    {16420, "IKEV2_MESSAGE_ID_SYNC_SUPPORTED",       STA, ANY},       /* RFC 6311 */
    {16421, "IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED",   STA, ANY},       /* RFC 6311 */
    {16422, "IKEV2_MESSAGE_ID_SYNC",                 STA, ANY},       /* RFC 6311 */
    {16423, "IPSEC_REPLAY_COUNTER_SYNC",             STA, ANY},       /* RFC 6311 */
    {16424, "SECURE_PASSWORD_METHODS",               STA, ANY},       /* RFC 6467 */
    {16425, "PSK_PERSIST",                           STA, ANY},       /* RFC 6631 */
    {16426, "PSK_CONFIRM",                           STA, ANY},       /* RFC 6631 */
    {16427, "ERX_SUPPORTED",                         STA, ANY},       /* RFC 6867 */
    {16428, "IFOM_CAPABILITY",                       STA, ANY},       /* 3GPP TS 24.303 */
    {16429, "GROUP_SENDER",                          STA, ANY},       /* RFC 9838 */
    {16430, "IKEV2_FRAGMENTATION_SUPPORTED",         STA, 0, 0},      /* RFC 7383 */
    {16431, "SIGNATURE_HASH_ALGORITHMS",             STA, ANY},       /* RFC 7427 */
    {16432, "CLONE_IKE_SA_SUPPORTED",                STA, ANY},       /* RFC 7791 */
    {16433, "CLONE_IKE_SA",                          STA, ANY},       /* RFC 7791 */
    {16434, "PUZZLE",                                STA, ANY},       /* RFC 8019 */
    {16435, "USE_PPK",                               STA, ANY},       /* RFC 8784 */
    {16436, "PPK_IDENTITY",                          STA, ANY},       /* RFC 8784 */
    {16437, "NO_PPK_AUTH",                           STA, ANY},       /* RFC 8784 */
    {16438, "INTERMEDIATE_EXCHANGE_SUPPORTED",       STA, ANY},       /* RFC 9242 */
    {16439, "IP4_ALLOWED",                           STA, ANY},       /* RFC 8983 */
    {16440, "IP6_ALLOWED",                           STA, ANY},       /* RFC 8983 */
    {16441, "ADDITIONAL_KEY_EXCHANGE",               STA, ANY},       /* RFC 9370 */
    {16442, "USE_AGGFRAG",                           STA, ANY},       /* RFC 9347 */
    {16443, "SUPPORTED_AUTH_METHODS",                STA, ANY},       /* RFC 9593 */
    {16444, "SA_RESOURCE_INFO",                      STA, ANY},       /* RFC 9611 */
    {16445, "USE_PPK_INT",                           STA, ANY},       /* RFC 9867 */
    {16446, "PPK_IDENTITY_KEY",                      STA, ANY},       /* RFC 9867 */
    /* Private use (40960-65535) by drafts awaiting IANA values; names only, lengths unchecked:
     * other vendors may use the same values for other things (ietf-digest 0.5). */
    {50400, "OPTIMIZED_REKEY_SUPPORTED",             STA, ANY},       /* sa-ts-payloads-opt */
    {50401, "OPTIMIZED_REKEY",                       STA, ANY},       /* sa-ts-payloads-opt */
    {50600, "CHILD_SA_PFS_INFO_SUPPORTED",           STA, ANY},       /* child-pfs-info */
};

#undef ANY
#undef ERR
#undef STA
/* clang-format on */

static int compare_type(const void *key, const void *row) {
  uint16_t wanted = *(const uint16_t *)key;
  uint16_t have = ((const struct ike_notify_info *)row)->type;
  return (wanted > have) - (wanted < have);
}

const struct ike_notify_info *ike_notify_lookup(uint16_t type) {
  return bsearch(&type, notify_table, sizeof notify_table / sizeof notify_table[0],
                 sizeof notify_table[0], compare_type);
}

const char *ike_notify_name(uint16_t type) {
  const struct ike_notify_info *info = ike_notify_lookup(type);
  if (info)
    return info->name;
  return ike_notify_is_error(type) ? "UNKNOWN_ERROR" : "UNKNOWN_STATUS";
}

bool ike_notify_is_error(uint16_t type) { return type < IKE_N_FIRST_STATUS; }

bool ike_notify_data_len_ok(uint16_t type, size_t data_len) {
  const struct ike_notify_info *info = ike_notify_lookup(type);
  if (!info || info->data_min == IKE_N_DATA_UNCHECKED)
    return true;
  return data_len >= (size_t)info->data_min && data_len <= (size_t)info->data_max;
}

size_t ike_notify_table_size(void) { return sizeof notify_table / sizeof notify_table[0]; }

const struct ike_notify_info *ike_notify_table_row(size_t index) {
  return index < ike_notify_table_size() ? &notify_table[index] : NULL;
}
