/* IKEv2 code points and codec limits (RFC 7296 section 3, RFC 7383, IANA "IKEv2 Parameters").
 * Only values the codec itself interprets live here; algorithm IDs belong to the crypto layer. */
#ifndef NICSEC_IKECODEC_CONSTS_H
#define NICSEC_IKECODEC_CONSTS_H

/* Payload types: the "Next Payload" values of RFC 7296 3.2 and RFC 7383. */
enum ike_payload_type {
  IKE_PT_NONE = 0,
  IKE_PT_SA = 33,
  IKE_PT_KE = 34,
  IKE_PT_IDI = 35,
  IKE_PT_IDR = 36,
  IKE_PT_CERT = 37,
  IKE_PT_CERTREQ = 38,
  IKE_PT_AUTH = 39,
  IKE_PT_NONCE = 40,
  IKE_PT_NOTIFY = 41,
  IKE_PT_DELETE = 42,
  IKE_PT_VENDOR = 43,
  IKE_PT_TSI = 44,
  IKE_PT_TSR = 45,
  IKE_PT_SK = 46,
  IKE_PT_CP = 47,
  IKE_PT_EAP = 48, /* not implemented: treated as an unknown payload */
  IKE_PT_SKF = 53,
};

enum ike_exchange_type {
  IKE_EXCH_IKE_SA_INIT = 34,
  IKE_EXCH_IKE_AUTH = 35,
  IKE_EXCH_CREATE_CHILD_SA = 36,
  IKE_EXCH_INFORMATIONAL = 37,
};

/* IKE header flags (octet 19). */
enum {
  IKE_FLAG_INITIATOR = 0x08,
  IKE_FLAG_VERSION = 0x10,
  IKE_FLAG_RESPONSE = 0x20,
  IKE_FLAGS_DEFINED = IKE_FLAG_INITIATOR | IKE_FLAG_VERSION | IKE_FLAG_RESPONSE,
};

enum {
  IKE_MAJOR_VERSION = 2,
  IKE_MINOR_VERSION = 0,
  IKE_HEADER_LEN = 28,
  IKE_GENERIC_HEADER_LEN = 4,
  IKE_PAYLOAD_CRITICAL = 0x80, /* the C bit in octet 1 of the generic payload header */
};

/* Security Protocol IDs (Proposal, Notify, Delete). */
enum ike_protocol_id {
  IKE_PROTO_NONE = 0,
  IKE_PROTO_IKE = 1,
  IKE_PROTO_AH = 2,
  IKE_PROTO_ESP = 3,
};

/* Transform types (RFC 7296 3.3.2, RFC 9370). */
enum ike_transform_type {
  IKE_TRANSFORM_ENCR = 1,
  IKE_TRANSFORM_PRF = 2,
  IKE_TRANSFORM_INTEG = 3,
  IKE_TRANSFORM_KE = 4,
  IKE_TRANSFORM_SN = 5,
};

enum {
  IKE_ATTR_KEY_LENGTH = 14, /* the only transform attribute RFC 7296 defines; always TV */
  IKE_ATTR_FORMAT_TV = 0x8000,
};

enum ike_id_type {
  IKE_ID_IPV4_ADDR = 1,
  IKE_ID_FQDN = 2,
  IKE_ID_RFC822_ADDR = 3,
  IKE_ID_IPV6_ADDR = 5,
  IKE_ID_DER_ASN1_DN = 9,
  IKE_ID_DER_ASN1_GN = 10,
  IKE_ID_KEY_ID = 11,
  IKE_ID_NULL = 13,
};

enum ike_ts_type {
  IKE_TS_IPV4_ADDR_RANGE = 7,
  IKE_TS_IPV6_ADDR_RANGE = 8,
};

enum ike_cfg_type {
  IKE_CFG_REQUEST = 1,
  IKE_CFG_REPLY = 2,
  IKE_CFG_SET = 3,
  IKE_CFG_ACK = 4,
};

enum ike_cert_encoding {
  IKE_CERT_X509_SIGNATURE = 4,
};

/* Limits of the parsed representation. Each is far above what a real peer sends (strongSwan's
 * widest default proposal has under 30 transforms); exceeding one is reported, never truncated. */
enum {
  IKE_MAX_PAYLOADS = 64,    /* payloads walked in one chain (known and skipped unknown) */
  IKE_MAX_PROPOSALS = 32,   /* proposals in one SA payload */
  IKE_MAX_TRANSFORMS = 256, /* transforms summed over all proposals of one SA payload */
  IKE_MAX_TS = 16,          /* traffic selectors in one TS payload */
  IKE_MAX_CP_ATTRS = 32,    /* attributes in one CP payload */
  IKE_NONCE_MIN = 16,       /* RFC 7296 3.9 */
  IKE_NONCE_MAX = 256,
  IKE_MAX_PAYLOAD_LEN = 0xffff, /* the generic header's 16-bit Payload Length */
};

#endif
