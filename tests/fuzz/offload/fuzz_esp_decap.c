/* libFuzzer target for the soft ESP decapsulation path. The first input octet picks a mode:
 *   0: the rest is an outer IP packet handed to nicsec_hal_decap on a device holding the
 *      RFC 7634 example SA (so the seed corpus authenticates and mutations start from a valid
 *      packet): outer IP / UDP / ESP parsing, SA lookup, replay, AEAD.
 *   1: octet 1 picks an SA, the rest is an ESP *plaintext* (payload | padding | trailer) sealed
 *      with the SA's key: reaches the trailer, inner-packet and BEET pseudo-header checks
 *      behind the ICV.
 *   2: the rest is a plaintext IP packet: encap then decap must give back exactly the packet
 *      the encap consumed (a round-trip oracle; a mismatch aborts).
 * Every case builds fresh state, so an input always behaves the same way. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "esp_engine.h"
#include "nicsec/hal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { BUF = 70000, RFC7634_SPI = 0x01020304 };

static const uint8_t rfc7634_key[32] = {
    0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f,
    0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f};

static struct nicsec_hal_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return (struct nicsec_hal_addr){.family = NICSEC_HAL_AF_INET, .bytes = {a, b, c, d}};
}

static struct nicsec_hal_addr v6(uint8_t last) {
  return (struct nicsec_hal_addr){
      .family = NICSEC_HAL_AF_INET6,
      .bytes = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, last}};
}

/* SA variants the fuzzer can pick: tunnel/transport/BEET, v4/v6, bare/UDP, ESN, ICV 8..16.
 * BEET (0x80) binds the inner hosts of the RFC 7634 example packet (v4) or ::11 -> ::12. */
static struct nicsec_hal_sa variant(unsigned pick, enum nicsec_hal_dir dir) {
  struct nicsec_hal_sa sa = {.dir = dir, .offload = NICSEC_HAL_OFFLOAD_PACKET,
                             .spi = RFC7634_SPI, .replay_window = 64};
  sa.mode = (pick & 1) ? NICSEC_HAL_MODE_TRANSPORT : NICSEC_HAL_MODE_TUNNEL;
  if (pick & 0x80)
    sa.mode = NICSEC_HAL_MODE_BEET;
  sa.src = (pick & 2) ? v6(1) : v4(203, 0, 113, 153);
  sa.dst = (pick & 2) ? v6(2) : v4(203, 0, 113, 5);
  sa.beet.src = (pick & 2) ? v6(0x11) : v4(198, 51, 100, 5);
  sa.beet.dst = (pick & 2) ? v6(0x12) : v4(192, 0, 2, 5);
  sa.encap.enabled = (pick & 4) != 0;
  sa.encap.sport = sa.encap.dport = 4500;
  sa.esn = (pick & 8) != 0;
  static const uint8_t icv[] = {16, 8, 12, 16};
  sa.icv_len = icv[(pick >> 4) & 3];
  sa.alg = sa.icv_len == 16 && (pick & 0x40) ? NICSEC_HAL_ALG_CHACHA20_POLY1305
                                             : NICSEC_HAL_ALG_AES_GCM_256;
  sa.key_len = 32;
  memcpy(sa.key, rfc7634_key, sizeof rfc7634_key);
  memcpy(sa.salt, "\xa0\xa1\xa2\xa3", 4);
  return sa;
}

static void fuzz_raw_decap(const uint8_t *data, size_t size) {
  struct nicsec_hal_dev *dev;
  if (nicsec_hal_open("soft", "max_sa=2,max_policies=0", &dev) != NICSEC_HAL_OK)
    abort();
  struct nicsec_hal_sa sa = variant(0x40, NICSEC_HAL_DIR_IN); /* the RFC 7634 example SA */
  nicsec_hal_sa_id id;
  if (nicsec_hal_sa_add(dev, &sa, 1, &id, NULL) != NICSEC_HAL_OK)
    abort();
  static uint8_t out[BUF];
  size_t out_len = 0;
  if (nicsec_hal_decap(dev, data, size, out, sizeof out, &out_len, NULL) == NICSEC_HAL_OK &&
      out_len > size)
    abort(); /* decap never grows a packet */
  nicsec_hal_close(dev);
}

/* Outer IPv4/IPv6 (+UDP) header around an ESP packet, as the peer would send it. */
static size_t wrap(const struct nicsec_hal_sa *sa, const uint8_t *esp, size_t esp_len,
                   uint8_t *pkt) {
  size_t udp = sa->encap.enabled ? UDP_HDR : 0;
  bool is_v4 = sa->src.family == NICSEC_HAL_AF_INET;
  size_t hdr = is_v4 ? IPV4_MIN_HDR : IPV6_HDR;
  uint8_t proto = udp ? IPPROTO_NUM_UDP : IPPROTO_NUM_ESP;
  if (is_v4)
    ipv4_write(pkt, 0, (uint16_t)(hdr + udp + esp_len), 1, proto, sa->dst.bytes, sa->src.bytes);
  else
    ipv6_write(pkt, 0, (uint16_t)(udp + esp_len), proto, sa->dst.bytes, sa->src.bytes);
  memcpy(pkt + hdr + udp, esp, esp_len);
  if (udp)
    udp_write(pkt + hdr, udp + esp_len, 4500, 4500, sa->src.family, pkt + (is_v4 ? 12 : 8),
              pkt + (is_v4 ? 16 : 24));
  return hdr + udp + esp_len;
}

static void fuzz_crafted_plaintext(const uint8_t *data, size_t size) {
  if (size < 1 || size > 60000)
    return;
  struct nicsec_hal_sa out_desc = variant(data[0], NICSEC_HAL_DIR_OUT);
  struct nicsec_hal_sa in_desc = variant(data[0], NICSEC_HAL_DIR_IN);
  struct soft_sa tx, rx;
  if (soft_sa_init(&tx, &out_desc) != NICSEC_HAL_OK || soft_sa_init(&rx, &in_desc) != NICSEC_HAL_OK)
    abort();
  static uint8_t esp[BUF], pkt[BUF], out[BUF];
  uint8_t iv[ESP_IV_LEN] = {0, 0, 0, 0, 0, 0, 0, 1};
  memcpy(esp + ESP_HDR, data + 1, size - 1);
  size_t esp_len, out_len;
  if (soft_esp_seal(&tx, 1, iv, esp, size - 1, &esp_len) != NICSEC_HAL_OK)
    abort();
  size_t len = wrap(&out_desc, esp, esp_len, pkt);
  struct esp_outer o;
  uint32_t events = 0;
  if (soft_esp_parse_outer(pkt, len, &o) == NICSEC_HAL_OK &&
      soft_esp_decap(&rx, &o, pkt, out, sizeof out, &out_len, &events) == NICSEC_HAL_OK &&
      out_len > len)
    abort();
  soft_sa_wipe(&tx);
  soft_sa_wipe(&rx);
}

static void fuzz_round_trip(const uint8_t *data, size_t size) {
  if (size < 1)
    return;
  struct nicsec_hal_sa out_desc = variant(data[0], NICSEC_HAL_DIR_OUT);
  struct nicsec_hal_sa in_desc = variant(data[0], NICSEC_HAL_DIR_IN);
  struct soft_sa tx, rx;
  if (soft_sa_init(&tx, &out_desc) != NICSEC_HAL_OK || soft_sa_init(&rx, &in_desc) != NICSEC_HAL_OK)
    abort();
  static uint8_t esp[BUF], out[BUF];
  size_t esp_len, out_len;
  uint32_t events = 0;
  struct esp_outer o;
  if (soft_esp_encap(&tx, data + 1, size - 1, esp, sizeof esp, &esp_len, &events) ==
      NICSEC_HAL_OK) {
    /* Whatever encap accepted, decap must take back, byte for byte (minus link padding). */
    struct ip_view v, back;
    if (ip_parse(data + 1, size - 1, &v) != NICSEC_HAL_OK ||
        soft_esp_parse_outer(esp, esp_len, &o) != NICSEC_HAL_OK ||
        soft_esp_decap(&rx, &o, esp, out, sizeof out, &out_len, &events) != NICSEC_HAL_OK ||
        out_len != v.total_len || ip_parse(out, out_len, &back) != NICSEC_HAL_OK)
      abort();
    /* A rebuilt IPv4 header checksum may legally differ in its representation of zero. */
    if (out_desc.mode != NICSEC_HAL_MODE_TUNNEL && v.family == NICSEC_HAL_AF_INET)
      memcpy(out + IPV4_CSUM, data + 1 + IPV4_CSUM, 2);
    if (memcmp(out, data + 1, out_len) != 0)
      abort();
  }
  soft_sa_wipe(&tx);
  soft_sa_wipe(&rx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  switch (data[0] % 3) {
  case 0: fuzz_raw_decap(data + 1, size - 1); break;
  case 1: fuzz_crafted_plaintext(data + 1, size - 1); break;
  default: fuzz_round_trip(data + 1, size - 1); break;
  }
  return 0;
}
