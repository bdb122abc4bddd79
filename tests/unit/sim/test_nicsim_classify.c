/* nicsim's frame classifier, table-driven: each row builds one Ethernet frame from a short
 * description and states the verdict, the reason and (for the engine) the slot or SPI. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "nicsim_classify.h"

enum {
  FRAME_MAX = 2048,
  ARP = 0x0806,
  IPV4 = 0x0800,
  IPV6 = 0x86dd,
  UDP = 17,
  TCP = 6,
  ICMP = 1,
  ESP = 50
};
enum mac_to { TO_HOST, TO_OTHER, TO_BROADCAST };

static const uint8_t host_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
static const uint8_t other_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x99};

/* A frame description; zero fields mean "a well-formed default". */
struct spec {
  uint16_t ethertype;
  enum mac_to to;
  uint8_t proto;
  uint16_t sport, dport;
  uint8_t dst[4];
  const char *payload; /* octets as a hex string */
  uint16_t frag;       /* IPv4 flags/fragment offset field */
  uint8_t ihl;         /* 0 = 5 */
  int total_delta;     /* added to the IPv4 total length */
  size_t pad;          /* Ethernet padding after the IP packet */
  size_t cut;          /* octets removed from the end of the frame */
};

static size_t hex(const char *text, uint8_t *out) {
  size_t n = 0;
  for (; text && text[0] && text[1]; text += 2) {
    unsigned v;
    sscanf(text, "%2x", &v);
    out[n++] = (uint8_t)v;
  }
  return n;
}

static void put16(uint8_t *p, size_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static size_t build_l4(const struct spec *s, uint8_t *l4) {
  uint8_t payload[512];
  size_t n = hex(s->payload, payload);
  if (s->proto != UDP) {
    memcpy(l4, payload, n);
    return n;
  }
  put16(l4, s->sport);
  put16(l4 + 2, s->dport);
  put16(l4 + 4, 8 + n);
  put16(l4 + 6, 0);
  memcpy(l4 + 8, payload, n);
  return 8 + n;
}

static size_t build_ipv4(const struct spec *s, uint8_t *ip) {
  uint8_t ihl = s->ihl ? s->ihl : 5;
  memset(ip, 0, (size_t)ihl * 4);
  size_t l4 = build_l4(s, ip + ihl * 4);
  ip[0] = (uint8_t)(0x40 | ihl);
  put16(ip + 2, (size_t)((int)(ihl * 4 + l4) + s->total_delta));
  put16(ip + 6, s->frag);
  ip[8] = 64;
  ip[9] = s->proto;
  memcpy(ip + 12, (const uint8_t[]){192, 0, 2, 1}, 4);
  memcpy(ip + 16, s->dst, 4);
  return ihl * 4 + l4;
}

static size_t build_ipv6(const struct spec *s, uint8_t *ip) {
  memset(ip, 0, 40);
  size_t l4 = build_l4(s, ip + 40);
  ip[0] = 0x60;
  put16(ip + 4, l4);
  ip[6] = s->proto;
  ip[7] = 64;
  return 40 + l4;
}

static size_t build(const struct spec *s, uint8_t *frame) {
  memset(frame, 0, FRAME_MAX);
  const uint8_t *dst = s->to == TO_HOST ? host_mac : s->to == TO_OTHER ? other_mac : NULL;
  memset(frame, 0xff, 6);
  if (dst)
    memcpy(frame, dst, 6);
  memcpy(frame + 6, other_mac, 6);
  uint16_t type = s->ethertype ? s->ethertype : IPV4;
  put16(frame + 12, type);
  size_t l3 = type == IPV4   ? build_ipv4(s, frame + 14)
              : type == IPV6 ? build_ipv6(s, frame + 14)
                             : 28; /* an ARP body's length; its content does not matter */
  return 14 + l3 + s->pad - s->cut;
}

struct row {
  const char *name;
  struct spec frame;
  enum nicsim_verdict verdict;
  enum nicsim_reason reason;
  uint32_t spi_or_slot;
};

#define ESP_BODY "00000201000000070102030405060708"
#define IKE_BODY "00000000a1a2a3a4a5a6a7a80000000000000000"

static const struct row egress_rows[] = {
    {"arp", {.ethertype = ARP}, NICSIM_BYPASS, NICSIM_R_NON_IP, 0},
    {"ping: the engine's steering table decides",
     {.proto = ICMP, .dst = {10, 2, 0, 1}, .payload = "0800"},
     NICSIM_ENGINE_EGRESS,
     NICSIM_R_LOOKUP,
     0},
    {"ping to the peer's plain address",
     {.proto = ICMP, .dst = {192, 0, 2, 2}},
     NICSIM_ENGINE_EGRESS,
     NICSIM_R_LOOKUP,
     0},
    {"IKE on 500 to a steered address",
     {.proto = UDP, .sport = 500, .dport = 500, .dst = {10, 2, 0, 1}, .payload = IKE_BODY},
     NICSIM_BYPASS,
     NICSIM_R_IKE,
     0},
    {"IKE on 4500 behind the marker",
     {.proto = UDP, .sport = 4500, .dport = 4500, .dst = {10, 2, 0, 1}, .payload = IKE_BODY},
     NICSIM_BYPASS,
     NICSIM_R_IKE,
     0},
    {"host-built ESP-in-UDP",
     {.proto = UDP, .sport = 4500, .dport = 4500, .dst = {10, 2, 0, 1}, .payload = ESP_BODY},
     NICSIM_BYPASS,
     NICSIM_R_HOST_ESP,
     0},
    {"NAT keepalive",
     {.proto = UDP, .sport = 4500, .dport = 4500, .dst = {10, 2, 0, 1}, .payload = "ff"},
     NICSIM_BYPASS,
     NICSIM_R_NATT_KEEPALIVE,
     0},
    {"host-built ESP",
     {.proto = ESP, .dst = {10, 2, 0, 1}, .payload = ESP_BODY},
     NICSIM_BYPASS,
     NICSIM_R_HOST_ESP,
     0},
    {"other UDP",
     {.proto = UDP, .sport = 1000, .dport = 53, .dst = {10, 2, 0, 1}, .payload = "00"},
     NICSIM_ENGINE_EGRESS,
     NICSIM_R_LOOKUP,
     0},
    {"IPv6", {.ethertype = IPV6, .proto = TCP, .payload = "0000"}, NICSIM_ENGINE_EGRESS,
     NICSIM_R_LOOKUP, 0},
    {"IKE over IPv6",
     {.ethertype = IPV6, .proto = UDP, .sport = 500, .dport = 500, .payload = IKE_BODY},
     NICSIM_BYPASS,
     NICSIM_R_IKE,
     0},
    {"IPv4 total length beyond the frame",
     {.proto = ICMP, .dst = {10, 2, 0, 1}, .total_delta = 1},
     NICSIM_DROP,
     NICSIM_R_MALFORMED_IP,
     0},
    {"IPv4 header length below 5",
     {.proto = ICMP, .dst = {10, 2, 0, 1}, .ihl = 4, .payload = "0000000000000000"},
     NICSIM_DROP,
     NICSIM_R_MALFORMED_IP,
     0},
    {"truncated IPv4 header", {.proto = ICMP, .cut = 8}, NICSIM_DROP, NICSIM_R_MALFORMED_IP, 0},
    {"runt", {.ethertype = ARP, .cut = 30}, NICSIM_DROP, NICSIM_R_RUNT, 0},
};

static const struct row ingress_rows[] = {
    {"arp broadcast", {.ethertype = ARP, .to = TO_BROADCAST}, NICSIM_BYPASS, NICSIM_R_NON_IP, 0},
    {"unicast to another station",
     {.proto = ESP, .to = TO_OTHER, .payload = ESP_BODY},
     NICSIM_DROP,
     NICSIM_R_NOT_FOR_US,
     0},
    {"ESP", {.proto = ESP, .payload = ESP_BODY}, NICSIM_ENGINE_INGRESS, NICSIM_R_ESP, 0x201},
    {"ESP padded by Ethernet",
     {.proto = ESP, .payload = ESP_BODY, .pad = 20},
     NICSIM_ENGINE_INGRESS,
     NICSIM_R_ESP,
     0x201},
    {"ESP too short", {.proto = ESP, .payload = "00000201"}, NICSIM_BYPASS, NICSIM_R_SHORT_ESP, 0},
    {"ESP-in-UDP",
     {.proto = UDP, .sport = 4500, .dport = 4500, .payload = ESP_BODY},
     NICSIM_ENGINE_INGRESS,
     NICSIM_R_ESP_IN_UDP,
     0x201},
    {"ESP-in-UDP from a NAT's port",
     {.proto = UDP, .sport = 61000, .dport = 4500, .payload = ESP_BODY},
     NICSIM_ENGINE_INGRESS,
     NICSIM_R_ESP_IN_UDP,
     0x201},
    {"IKE behind the zero marker",
     {.proto = UDP, .sport = 4500, .dport = 4500, .payload = IKE_BODY},
     NICSIM_BYPASS,
     NICSIM_R_IKE,
     0},
    {"zero marker alone",
     {.proto = UDP, .sport = 4500, .dport = 4500, .payload = "00000000"},
     NICSIM_BYPASS,
     NICSIM_R_IKE,
     0},
    {"NAT keepalive",
     {.proto = UDP, .sport = 4500, .dport = 4500, .payload = "ff"},
     NICSIM_BYPASS,
     NICSIM_R_NATT_KEEPALIVE,
     0},
    {"short UDP 4500 payload",
     {.proto = UDP, .sport = 4500, .dport = 4500, .payload = "0102030405"},
     NICSIM_BYPASS,
     NICSIM_R_SHORT_ESP,
     0},
    {"UDP from port 4500 to another port",
     {.proto = UDP, .sport = 4500, .dport = 1234, .payload = ESP_BODY},
     NICSIM_BYPASS,
     NICSIM_R_OTHER_IP,
     0},
    {"IKE on 500",
     {.proto = UDP, .sport = 500, .dport = 500, .payload = IKE_BODY},
     NICSIM_BYPASS,
     NICSIM_R_IKE,
     0},
    {"ICMP", {.proto = ICMP, .payload = "0000"}, NICSIM_BYPASS, NICSIM_R_OTHER_IP, 0},
    {"first fragment of ESP",
     {.proto = ESP, .payload = ESP_BODY, .frag = 0x2000},
     NICSIM_BYPASS,
     NICSIM_R_FRAGMENT,
     0},
    {"later fragment",
     {.proto = ESP, .payload = ESP_BODY, .frag = 0x0010},
     NICSIM_BYPASS,
     NICSIM_R_FRAGMENT,
     0},
    {"don't-fragment ESP is whole",
     {.proto = ESP, .payload = ESP_BODY, .frag = 0x4000},
     NICSIM_ENGINE_INGRESS,
     NICSIM_R_ESP,
     0x201},
    {"IPv6 ESP",
     {.ethertype = IPV6, .proto = ESP, .payload = ESP_BODY},
     NICSIM_ENGINE_INGRESS,
     NICSIM_R_ESP,
     0x201},
    {"IPv6 ESP-in-UDP",
     {.ethertype = IPV6, .proto = UDP, .sport = 4500, .dport = 4500, .payload = ESP_BODY},
     NICSIM_ENGINE_INGRESS,
     NICSIM_R_ESP_IN_UDP,
     0x201},
    {"IPv6 truncated",
     {.ethertype = IPV6, .proto = ESP, .payload = ESP_BODY, .cut = 1},
     NICSIM_BYPASS,
     NICSIM_R_MALFORMED_IP,
     0},
    {"IPv4 total length beyond the frame",
     {.proto = ESP, .payload = ESP_BODY, .total_delta = 1},
     NICSIM_BYPASS,
     NICSIM_R_MALFORMED_IP,
     0},
    {"runt", {.to = TO_BROADCAST, .cut = 25}, NICSIM_DROP, NICSIM_R_RUNT, 0},
};

static void check_row(const struct row *r, bool egress) {
  uint8_t frame[FRAME_MAX];
  size_t len = build(&r->frame, frame);
  struct nicsim_class c;
  if (egress)
    nicsim_classify_egress(frame, len, &c);
  else
    nicsim_classify_ingress(frame, len, host_mac, &c);
  if (c.verdict != r->verdict || c.reason != r->reason)
    fail_msg("%s: verdict %d reason %s, expected %d %s", r->name, c.verdict,
             nicsim_reason_name(c.reason), r->verdict, nicsim_reason_name(r->reason));
  if (r->verdict == NICSIM_ENGINE_INGRESS && c.spi != r->spi_or_slot)
    fail_msg("%s: spi %#x, expected %#x", r->name, c.spi, r->spi_or_slot);
  if (c.verdict == NICSIM_ENGINE_EGRESS || c.verdict == NICSIM_ENGINE_INGRESS) {
    /* The engine gets the IP packet exactly: from its header to its own length. */
    assert_int_equal(c.l3_off, 14);
    assert_int_equal(c.l3_len, len - 14 - r->frame.pad);
  }
}

static void egress_table(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof egress_rows / sizeof *egress_rows; i++)
    check_row(&egress_rows[i], true);
}

static void ingress_table(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof ingress_rows / sizeof *ingress_rows; i++)
    check_row(&ingress_rows[i], false);
}

static void every_reason_has_a_name(void **state) {
  (void)state;
  for (int r = 0; r < NICSIM_R_COUNT; r++)
    assert_non_null(nicsim_reason_name((enum nicsim_reason)r));
  assert_string_equal(nicsim_reason_name(NICSIM_R_COUNT), "unknown");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(egress_table),
      cmocka_unit_test(ingress_table),
      cmocka_unit_test(every_reason_has_a_name),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
