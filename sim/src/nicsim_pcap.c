#include "nicsim_pcap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

enum { PCAP_MAGIC = 0xa1b2c3d4u, LINKTYPE_ETHERNET = 1, SNAPLEN = 65535 + 14 };

struct nicsim_pcap {
  FILE *f;
};

/* Fields are in host order: readers tell the order from the magic number. */
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }

struct nicsim_pcap *nicsim_pcap_open(const char *path) {
  struct nicsim_pcap *pcap = calloc(1, sizeof *pcap);
  if (!pcap || !(pcap->f = fopen(path, "wb"))) {
    free(pcap);
    return NULL;
  }
  uint8_t hdr[24];
  put32(hdr, PCAP_MAGIC);
  put16(hdr + 4, 2); /* version 2.4 */
  put16(hdr + 6, 4);
  put32(hdr + 8, 0);                               /* thiszone */
  put32(hdr + 12, 0);                              /* sigfigs */
  put32(hdr + 16, SNAPLEN);
  put32(hdr + 20, LINKTYPE_ETHERNET);
  if (fwrite(hdr, sizeof hdr, 1, pcap->f) != 1 || fflush(pcap->f)) {
    nicsim_pcap_close(pcap);
    return NULL;
  }
  return pcap;
}

void nicsim_pcap_write(struct nicsim_pcap *pcap, const uint8_t *pkt, size_t len) {
  if (!pcap)
    return;
  struct timeval tv;
  gettimeofday(&tv, NULL);
  uint8_t rec[16];
  put32(rec, (uint32_t)tv.tv_sec);
  put32(rec + 4, (uint32_t)tv.tv_usec);
  put32(rec + 8, (uint32_t)len);
  put32(rec + 12, (uint32_t)len);
  (void)fwrite(rec, sizeof rec, 1, pcap->f);
  (void)fwrite(pkt, len, 1, pcap->f);
  (void)fflush(pcap->f);
}

void nicsim_pcap_close(struct nicsim_pcap *pcap) {
  if (!pcap)
    return;
  fclose(pcap->f);
  free(pcap);
}
