/* The 28-octet IKE header (RFC 7296 3.1). */
#ifndef NICSEC_IKECODEC_HEADER_H
#define NICSEC_IKECODEC_HEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bytebuf.h"
#include "ikecodec_consts.h"
#include "ikecodec_errors.h"

struct ike_header {
  uint64_t spi_i; /* the 8 SPI octets read big-endian: equal octets <=> equal values */
  uint64_t spi_r;
  uint8_t next_payload;
  uint8_t major_version;
  uint8_t minor_version;
  uint8_t exchange;
  uint8_t flags; /* IKE_FLAG_*; undefined bits are dropped on parse and never sent */
  uint32_t message_id;
  uint32_t length; /* whole message in octets, header included */
};

/* A version 2.0 header; length and next_payload are filled in by the message builder. */
void ike_header_init(struct ike_header *hdr, uint8_t exchange, uint8_t flags, uint32_t message_id,
                     uint64_t spi_i, uint64_t spi_r);

/* Parses the header at the start of a datagram of datagram_len octets (non-ESP marker already
 * removed) and checks, in this order: 28 octets present, major version 2 (a higher one gives
 * IKE_ERR_MAJOR_VERSION_HIGH with *hdr filled in, so the caller can answer
 * INVALID_MAJOR_VERSION), non-zero initiator SPI, Length equal to datagram_len. */
enum ike_err ike_header_parse(struct wire_reader *r, size_t datagram_len, struct ike_header *hdr,
                              struct ike_error *err);

/* Writes the 28 octets as given (hdr->length included); returns the writer's state. */
bool ike_header_build(struct wire_writer *w, const struct ike_header *hdr);

static inline bool ike_header_is_response(const struct ike_header *hdr) {
  return (hdr->flags & IKE_FLAG_RESPONSE) != 0;
}
static inline bool ike_header_is_initiator(const struct ike_header *hdr) {
  return (hdr->flags & IKE_FLAG_INITIATOR) != 0;
}

/* Name of an exchange type ("IKE_AUTH"), or "UNKNOWN". */
const char *ike_exchange_name(uint8_t exchange);

#endif
