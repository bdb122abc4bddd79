/* IKE header (RFC 7296 3.1):
 *   IKE SA Initiator's SPI (8) | IKE SA Responder's SPI (8) |
 *   Next Payload (1) | MjVer (4 bits) MnVer (4 bits) | Exchange Type (1) | Flags (1) |
 *   Message ID (4) | Length (4) */
#include "ikecodec_header.h"

#include "codec_internal.h"

void ike_header_init(struct ike_header *hdr, uint8_t exchange, uint8_t flags, uint32_t message_id,
                     uint64_t spi_i, uint64_t spi_r) {
  *hdr = (struct ike_header){
      .spi_i = spi_i,
      .spi_r = spi_r,
      .major_version = IKE_MAJOR_VERSION,
      .minor_version = IKE_MINOR_VERSION,
      .exchange = exchange,
      .flags = flags & IKE_FLAGS_DEFINED,
      .message_id = message_id,
  };
}

static void header_error(struct ike_error *err, enum ike_err code, const char *field,
                         size_t offset) {
  codec_set_error(err, code, IKE_PT_NONE, field, offset);
}

enum ike_err ike_header_parse(struct wire_reader *r, size_t datagram_len, struct ike_header *hdr,
                              struct ike_error *err) {
  if (wire_remaining(r) < IKE_HEADER_LEN) {
    header_error(err, IKE_ERR_SHORT_HEADER, "IKE header", 0);
    return IKE_ERR_SHORT_HEADER;
  }
  hdr->spi_i = wire_read_be64(r);
  hdr->spi_r = wire_read_be64(r);
  hdr->next_payload = wire_read_u8(r);
  uint8_t version = wire_read_u8(r);
  hdr->major_version = version >> 4;
  hdr->minor_version = version & 0x0f;
  hdr->exchange = wire_read_u8(r);
  /* Undefined flag bits are ignored on receipt (RFC 7296 3.1). */
  hdr->flags = wire_read_u8(r) & IKE_FLAGS_DEFINED;
  hdr->message_id = wire_read_be32(r);
  hdr->length = wire_read_be32(r);
  /* The version decides how the rest is to be read, so it is checked first. The minor
   * version is ignored (RFC 7296 2.5). */
  if (hdr->major_version > IKE_MAJOR_VERSION) {
    header_error(err, IKE_ERR_MAJOR_VERSION_HIGH, "MjVer", 17);
    return IKE_ERR_MAJOR_VERSION_HIGH;
  }
  if (hdr->major_version < IKE_MAJOR_VERSION) {
    header_error(err, IKE_ERR_MAJOR_VERSION_LOW, "MjVer", 17);
    return IKE_ERR_MAJOR_VERSION_LOW;
  }
  if (hdr->spi_i == 0) {
    header_error(err, IKE_ERR_ZERO_SPI, "IKE SA Initiator's SPI", 0);
    return IKE_ERR_ZERO_SPI;
  }
  if (hdr->length != datagram_len) {
    header_error(err, IKE_ERR_MESSAGE_LENGTH, "Length", 24);
    return IKE_ERR_MESSAGE_LENGTH;
  }
  return IKE_OK;
}

bool ike_header_build(struct wire_writer *w, const struct ike_header *hdr) {
  wire_write_be64(w, hdr->spi_i);
  wire_write_be64(w, hdr->spi_r);
  wire_write_u8(w, hdr->next_payload);
  wire_write_u8(w, (uint8_t)(hdr->major_version << 4 | (hdr->minor_version & 0x0f)));
  wire_write_u8(w, hdr->exchange);
  wire_write_u8(w, hdr->flags & IKE_FLAGS_DEFINED);
  wire_write_be32(w, hdr->message_id);
  wire_write_be32(w, hdr->length);
  return wire_writer_ok(w);
}
