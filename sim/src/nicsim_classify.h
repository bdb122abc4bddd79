/* nicsim's frame classifier: what the simulated NIC does with one Ethernet frame, decided from
 * the frame alone (plus, for ingress, the MAC address of the host's interface). A pure function:
 * no I/O, no state, never reads outside [frame, frame + len).
 *
 * Egress (host TAP -> wire): IKE and NAT-T traffic (UDP port 500 or 4500 either way), ESP the
 * host already built, ARP and every other non-IP frame pass unchanged (bypass) before the
 * engine; every other IPv4 / IPv6 packet goes to the engine asking for a lookup in its TX
 * steering table (which SA, if any, is the engine's decision: packet offload).
 * Ingress (wire -> host TAP): ESP (IP protocol 50) and ESP-in-UDP (RFC 3948: UDP destination
 * port 4500 whose first four payload octets, the SPI, are not the zero non-ESP marker) go to the
 * engine; IKE behind its marker, NAT keepalives, fragments and everything else go to the host
 * unchanged. Frames addressed to another station's unicast MAC are dropped. */
#ifndef NICSEC_NICSIM_CLASSIFY_H
#define NICSEC_NICSIM_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>

enum { NICSIM_ETH_HLEN = 14, NICSIM_MAC_LEN = 6 };

enum nicsim_verdict {
  NICSIM_BYPASS,         /* forward the frame unchanged */
  NICSIM_ENGINE_EGRESS,  /* push [l3_off, l3_off + l3_len) to the engine for a lookup */
  NICSIM_ENGINE_INGRESS, /* push [l3_off, l3_off + l3_len) to the engine's wire RX port */
  NICSIM_DROP,
};

/* Why: one value per row of the classifier's rule tables, counted by nicsim. */
enum nicsim_reason {
  NICSIM_R_RUNT,           /* shorter than an Ethernet header: dropped */
  NICSIM_R_NOT_FOR_US,     /* unicast to another MAC (ingress): dropped */
  NICSIM_R_MALFORMED_IP,   /* IPv4 header inconsistent (egress: dropped, ingress: bypass) */
  NICSIM_R_NON_IP,         /* ARP and every other ethertype */
  NICSIM_R_FRAGMENT,       /* an IPv4 fragment (ingress): reassembly is the host's */
  NICSIM_R_IKE,            /* UDP 500, or UDP 4500 behind the zero non-ESP marker */
  NICSIM_R_NATT_KEEPALIVE, /* UDP 4500 with the single 0xff octet of RFC 3948 */
  NICSIM_R_HOST_ESP,       /* ESP or ESP-in-UDP the host built itself (egress) */
  NICSIM_R_SHORT_ESP,      /* ESP too short to hold SPI and sequence number */
  NICSIM_R_LOOKUP,         /* egress: to the engine's TX steering table */
  NICSIM_R_UNSTEERED,      /* egress, counted at completion: no entry (or BYPASS), sent as is */
  NICSIM_R_STEER_DROP,     /* egress, counted at completion: a DROP entry matched */
  NICSIM_R_OTHER_IP,       /* ingress IP traffic that is not ESP */
  NICSIM_R_STEERED,        /* egress, counted at completion: an entry gave it an SA */
  NICSIM_R_ESP,            /* ingress: ESP to the engine */
  NICSIM_R_ESP_IN_UDP,     /* ingress: ESP-in-UDP to the engine */
  NICSIM_R_COUNT
};

struct nicsim_class {
  enum nicsim_verdict verdict;
  enum nicsim_reason reason;
  uint16_t ethertype; /* 0 for a runt */
  uint16_t l3_off;    /* the IP header (after the Ethernet header) */
  uint16_t l3_len;    /* the IP packet's own length: Ethernet padding excluded */
  uint16_t l4_off;    /* the transport header, 0 when there is none to look at */
  uint8_t proto;      /* the IP protocol (IPv6: next header), 0 for non-IP */
  uint32_t spi;       /* NICSIM_ENGINE_INGRESS: the SPI as on the wire (host order) */
};

void nicsim_classify_egress(const uint8_t *frame, size_t len, struct nicsim_class *out);
void nicsim_classify_ingress(const uint8_t *frame, size_t len,
                             const uint8_t host_mac[NICSIM_MAC_LEN], struct nicsim_class *out);

const char *nicsim_reason_name(enum nicsim_reason reason);

#endif
