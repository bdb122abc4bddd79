/* Typed in-memory form of every RFC 7296 payload (plus RFC 7383 SKF) and the declarative payload
 * table that maps each type code to its parser and builder.
 *
 * Parsed payloads do not copy variable-length data: every struct wire_view points into the
 * buffer that was parsed and stays valid as long as that buffer does. For building, views point
 * at the caller's bytes. Fixed-size arrays are bounded by the IKE_MAX_* limits; a payload that
 * exceeds one is rejected (IKE_ERR_TOO_MANY_ITEMS), never truncated. */
#ifndef NICSEC_IKECODEC_PAYLOADS_H
#define NICSEC_IKECODEC_PAYLOADS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bytebuf.h"
#include "ikecodec_consts.h"
#include "ikecodec_errors.h"

/* ---- SA (3.3): proposals, transforms, attributes ----------------------------------------- */

struct ike_transform {
  uint8_t type;          /* IKE_TRANSFORM_* */
  uint16_t id;           /* algorithm ID within the type */
  bool has_key_length;   /* the Key Length attribute (type 14, TV) was present */
  uint16_t key_length;   /* in bits, valid if has_key_length */
  uint8_t unknown_attrs; /* attributes other than Key Length: RFC 7296 3.3.6 says such a
                            transform must not be selected; they are not rebuilt */
};

struct ike_proposal {
  uint8_t number;           /* Proposal Num: 1, 2, ... (a response echoes the chosen one) */
  uint8_t protocol;         /* IKE_PROTO_* */
  struct wire_view spi;     /* 0 or 8 octets for IKE, 4 for AH/ESP */
  uint16_t first_transform; /* index into ike_sa_payload.transforms */
  uint8_t transform_count;
};

struct ike_sa_payload {
  size_t proposal_count;
  size_t transform_count; /* transforms of all proposals, stored proposal after proposal */
  struct ike_proposal proposals[IKE_MAX_PROPOSALS];
  struct ike_transform transforms[IKE_MAX_TRANSFORMS];
};

/* ---- the single-field payloads -------------------------------------------------------------- */

struct ike_ke_payload { /* 3.4 */
  uint16_t ke_method;   /* "Diffie-Hellman Group Num" / Key Exchange Method */
  struct wire_view data;
};

struct ike_id_payload { /* 3.5, for IDi and IDr */
  uint8_t id_type;      /* IKE_ID_*; IPv4/IPv6 data lengths (4/16) are checked */
  struct wire_view data;
};

struct ike_cert_payload { /* 3.6 CERT and 3.7 CERTREQ */
  uint8_t encoding;
  struct wire_view data; /* CERTREQ with X.509: concatenated SHA-1 hashes of CA keys */
};

struct ike_auth_payload { /* 3.8 */
  uint8_t method;
  struct wire_view data;
};

struct ike_nonce_payload { /* 3.9: 16..256 octets */
  struct wire_view data;
};

struct ike_notify_payload { /* 3.10 */
  uint8_t protocol;         /* IKE_PROTO_*; 0 for notifies about the IKE SA */
  uint16_t type;            /* enum ike_notify_type */
  struct wire_view spi;     /* SPI Size octets */
  struct wire_view data;    /* length checked against the registry where the RFC fixes it */
};

struct ike_delete_payload { /* 3.11 */
  uint8_t protocol;         /* IKE: no SPIs; AH/ESP: 4-octet SPIs */
  uint8_t spi_size;
  uint16_t spi_count;
  struct wire_view spis; /* spi_count * spi_size octets */
};

struct ike_vendor_payload { /* 3.12 */
  struct wire_view data;
};

/* ---- traffic selectors (3.13) --------------------------------------------------------------- */

struct ike_ts {
  uint8_t type;        /* IKE_TS_IPV4_ADDR_RANGE or IKE_TS_IPV6_ADDR_RANGE; other types are
                          kept opaque in `raw` so the negotiator can answer TS_UNACCEPTABLE */
  uint8_t ip_protocol; /* 0 = any */
  uint16_t start_port;
  uint16_t end_port;
  uint8_t start_addr[16]; /* 4 octets used for IPv4 */
  uint8_t end_addr[16];
  struct wire_view raw; /* unknown types: the whole selector, header included */
};

struct ike_ts_payload { /* TSi and TSr */
  size_t count;
  struct ike_ts selectors[IKE_MAX_TS];
};

/* ---- SK (3.14) and SKF (RFC 7383 2.5) ------------------------------------------------------- */

/* Everything after the generic header is opaque here: IV | ciphertext | ICV. Splitting it
 * needs the negotiated IV and ICV lengths (ike_encrypted_split). */
struct ike_sk_payload {
  uint8_t first_inner;        /* the generic header's Next Payload: first payload inside */
  struct wire_view encrypted; /* building with ptr == NULL reserves len zero octets instead,
                                 for the crypto layer to fill in place */
};

struct ike_skf_payload {
  uint8_t first_inner;      /* fragment 1 only; 0 in the others */
  uint16_t fragment_number; /* 1 .. total_fragments */
  uint16_t total_fragments;
  struct wire_view encrypted; /* as for SK */
};

/* ---- configuration (3.15) ------------------------------------------------------------------- */

struct ike_cp_attr {
  uint16_t type; /* 15 bits; the reserved top bit is ignored on parse and sent as 0 */
  struct wire_view value;
};

struct ike_cp_payload {
  uint8_t cfg_type; /* IKE_CFG_* */
  size_t count;
  struct ike_cp_attr attrs[IKE_MAX_CP_ATTRS];
};

/* One of the above, selected by the payload type. */
union ike_payload_body {
  struct ike_sa_payload sa;
  struct ike_ke_payload ke;
  struct ike_id_payload id;
  struct ike_cert_payload cert; /* CERT and CERTREQ */
  struct ike_auth_payload auth;
  struct ike_nonce_payload nonce;
  struct ike_notify_payload notify;
  struct ike_delete_payload del;
  struct ike_vendor_payload vendor;
  struct ike_ts_payload ts; /* TSi and TSr */
  struct ike_sk_payload sk;
  struct ike_cp_payload cp;
  struct ike_skf_payload skf;
};

/* ---- the payload table ---------------------------------------------------------------------- */

/* Parse state handed to a payload parser: its body, where it sits, and where errors go. */
struct ike_parse_in {
  struct wire_reader body; /* exactly the payload's body */
  size_t base;             /* offset of the body in the parsed buffer (for error offsets) */
  uint8_t type;
  uint8_t next_payload; /* the generic header's Next Payload (meaningful for SK/SKF) */
  struct ike_error *err;
};

/* Build state handed to a payload builder. */
struct ike_build_out {
  struct wire_writer *w;
  uint8_t type;
  size_t encrypted_offset; /* set by SK/SKF builders: where IV|ciphertext|ICV starts */
  struct ike_error *err;
};

typedef bool (*ike_payload_parse_fn)(struct ike_parse_in *in, union ike_payload_body *out);
typedef bool (*ike_payload_build_fn)(struct ike_build_out *out, const union ike_payload_body *in);

enum {
  IKE_PD_ENCRYPTED = 0x01, /* SK/SKF: last payload; its Next Payload names the first inner one */
};

struct ike_payload_desc {
  uint8_t type;
  const char *abbrev; /* as in the RFC 7296 diagrams: "SA", "KE", "N", ... */
  const char *name;   /* "Security Association" */
  uint16_t min_body;  /* octets after the generic header */
  uint8_t flags;      /* IKE_PD_* */
  ike_payload_parse_fn parse;
  ike_payload_build_fn build;
};

/* The table row for a payload type we implement, or NULL (unknown: skipped, or
 * UNSUPPORTED_CRITICAL_PAYLOAD if critical). */
const struct ike_payload_desc *ike_payload_desc(uint8_t type);
/* "SA", "N", ... or "?" for types we do not implement. */
const char *ike_payload_abbrev(uint8_t type);
size_t ike_payload_table_size(void);
const struct ike_payload_desc *ike_payload_table_row(size_t index);

/* Parses one payload body (without its generic header) of the given type. next_payload is the
 * generic header's Next Payload (needed for SK/SKF). base offsets error reports. */
enum ike_err ike_payload_parse(uint8_t type, uint8_t next_payload, struct wire_view body,
                               size_t base, union ike_payload_body *out, struct ike_error *err);
/* Writes one payload body (without the generic header). */
enum ike_err ike_payload_build_body(struct wire_writer *w, uint8_t type,
                                    const union ike_payload_body *in, size_t *encrypted_offset,
                                    struct ike_error *err);

/* ---- helpers for callers -------------------------------------------------------------------- */

/* Appends a proposal / a transform to the last proposal while preparing an SA to build.
 * Return false when a limit is reached. */
bool ike_sa_add_proposal(struct ike_sa_payload *sa, uint8_t number, uint8_t protocol,
                         struct wire_view spi);
bool ike_sa_add_transform(struct ike_sa_payload *sa, uint8_t type, uint16_t id,
                          uint16_t key_length_bits);
static inline const struct ike_transform *
ike_proposal_transform(const struct ike_sa_payload *sa, const struct ike_proposal *p, size_t i) {
  return &sa->transforms[p->first_transform + i];
}

/* The i-th SPI of a Delete payload with 4-octet SPIs (i < spi_count). */
uint32_t ike_delete_spi32(const struct ike_delete_payload *del, size_t i);

/* Splits an SK/SKF encrypted field into IV, ciphertext and ICV; false if it is too short. */
bool ike_encrypted_split(struct wire_view encrypted, size_t iv_len, size_t icv_len,
                         struct wire_view *iv, struct wire_view *ciphertext, struct wire_view *icv);

#endif
