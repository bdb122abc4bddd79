#include "test_util.h"

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <string.h>

#include <cmocka.h>

uint16_t tu_checksum(const uint8_t *p, size_t len, uint32_t acc) {
  for (size_t i = 0; i + 1 < len; i += 2)
    acc += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (len & 1)
    acc += (uint32_t)p[len - 1] << 8;
  while (acc >> 16)
    acc = (acc & 0xffff) + (acc >> 16);
  return (uint16_t)~acc;
}

static void be16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static void fill_udp(uint8_t *udp, uint16_t sport, uint16_t dport, size_t payload_len) {
  be16(udp, sport);
  be16(udp + 2, dport);
  be16(udp + 4, (uint16_t)(8 + payload_len));
  be16(udp + 6, 0);
  for (size_t i = 0; i < payload_len; i++)
    udp[8 + i] = (uint8_t)(i * 7 + 3);
}

static void ipv4_header(uint8_t *p, size_t total, uint8_t proto, const char *src, const char *dst,
                        uint8_t tos) {
  memset(p, 0, 20);
  p[0] = 0x45;
  p[1] = tos;
  be16(p + 2, (uint16_t)total);
  be16(p + 4, 0x1234);
  p[8] = 64;
  p[9] = proto;
  assert_int_equal(inet_pton(AF_INET, src, p + 12), 1);
  assert_int_equal(inet_pton(AF_INET, dst, p + 16), 1);
  be16(p + 10, tu_checksum(p, 20, 0));
}

size_t tu_udp4_packet(uint8_t *buf, const char *src, const char *dst, uint16_t sport,
                      uint16_t dport, size_t payload_len, uint8_t tos) {
  size_t total = 20 + 8 + payload_len;
  ipv4_header(buf, total, 17, src, dst, tos);
  fill_udp(buf + 20, sport, dport, payload_len);
  return total;
}

size_t tu_udp6_packet(uint8_t *buf, const char *src, const char *dst, uint16_t sport,
                      uint16_t dport, size_t payload_len) {
  memset(buf, 0, 40);
  buf[0] = 0x60;
  be16(buf + 4, (uint16_t)(8 + payload_len));
  buf[6] = 17;
  buf[7] = 64;
  assert_int_equal(inet_pton(AF_INET6, src, buf + 8), 1);
  assert_int_equal(inet_pton(AF_INET6, dst, buf + 24), 1);
  fill_udp(buf + 40, sport, dport, payload_len);
  return 40 + 8 + payload_len;
}

size_t tu_wrap_esp4(uint8_t *buf, const uint8_t *esp, size_t esp_len, const char *src,
                    const char *dst, uint16_t udp_port) {
  size_t udp = udp_port ? 8 : 0;
  ipv4_header(buf, 20 + udp + esp_len, udp ? 17 : 50, src, dst, 0);
  if (udp) {
    be16(buf + 20, udp_port);
    be16(buf + 22, udp_port);
    be16(buf + 24, (uint16_t)(8 + esp_len));
    be16(buf + 26, 0);
  }
  memcpy(buf + 20 + udp, esp, esp_len);
  return 20 + udp + esp_len;
}

struct nicsec_hal_addr tu_addr(const char *text) {
  struct nicsec_hal_addr a = {0};
  if (inet_pton(AF_INET, text, a.bytes) == 1) {
    a.family = NICSEC_HAL_AF_INET;
  } else {
    assert_int_equal(inet_pton(AF_INET6, text, a.bytes), 1);
    a.family = NICSEC_HAL_AF_INET6;
  }
  return a;
}

static enum nicsec_hal_alg first_alg(const struct nicsec_hal_caps *caps) {
  for (enum nicsec_hal_alg a = NICSEC_HAL_ALG_AES_GCM_128; a <= NICSEC_HAL_ALG__MAX; a++)
    if (caps->algs & NICSEC_HAL_ALG_BIT(a))
      return a;
  fail_msg("device offers no algorithm");
  return NICSEC_HAL_ALG_AES_GCM_128;
}

static uint8_t first_icv(const struct nicsec_hal_caps *caps, enum nicsec_hal_alg alg) {
  if (alg == NICSEC_HAL_ALG_CHACHA20_POLY1305 || (caps->aes_gcm_icv & NICSEC_HAL_ICV_16))
    return 16;
  return (caps->aes_gcm_icv & NICSEC_HAL_ICV_12) ? 12 : 8;
}

struct nicsec_hal_sa tu_sa_for(const struct nicsec_hal_caps *caps, enum nicsec_hal_dir dir,
                               uint32_t spi) {
  struct nicsec_hal_sa sa = {0};
  sa.dir = dir;
  sa.offload = (caps->offload_modes & NICSEC_HAL_OFFLOAD_PACKET) ? NICSEC_HAL_OFFLOAD_PACKET
                                                                 : NICSEC_HAL_OFFLOAD_CRYPTO;
  sa.mode = (caps->modes & NICSEC_HAL_MODE_TUNNEL) ? NICSEC_HAL_MODE_TUNNEL
                                                   : NICSEC_HAL_MODE_TRANSPORT;
  bool v4 = caps->families & NICSEC_HAL_AF_INET;
  sa.src = tu_addr(v4 ? "192.0.2.1" : "2001:db8::1");
  sa.dst = tu_addr(v4 ? "198.51.100.1" : "2001:db8::2");
  sa.spi = spi;
  sa.reqid = 7;
  sa.alg = first_alg(caps);
  sa.key_len = (uint8_t)nicsec_hal_alg_key_len(sa.alg);
  for (size_t i = 0; i < sa.key_len; i++)
    sa.key[i] = (uint8_t)(0xa0 + i);
  memcpy(sa.salt, "\x01\x02\x03\x04", 4);
  sa.icv_len = first_icv(caps, sa.alg);
  sa.replay_window = caps->n_replay_windows ? caps->replay_windows[0] : 0;
  for (unsigned i = 0; i < caps->n_replay_windows; i++)
    if (caps->replay_windows[i] == 64)
      sa.replay_window = 64;
  return sa;
}
