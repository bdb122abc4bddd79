/* A minimal pcap writer for nicsim's wire: classic pcap, LINKTYPE_ETHERNET (each record a
 * frame), microsecond timestamps, flushed per packet so a capture is readable while it runs. */
#ifndef NICSEC_NICSIM_PCAP_H
#define NICSEC_NICSIM_PCAP_H

#include <stddef.h>
#include <stdint.h>

struct nicsim_pcap;

struct nicsim_pcap *nicsim_pcap_open(const char *path);
/* No-op when pcap is NULL. */
void nicsim_pcap_write(struct nicsim_pcap *pcap, const uint8_t *pkt, size_t len);
void nicsim_pcap_close(struct nicsim_pcap *pcap);

#endif
