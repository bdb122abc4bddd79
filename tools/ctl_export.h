/* nicsecctl's exports for other tools: Prometheus text exposition (format 0.0.4) and Wireshark
 * decryption tables. Pure formatting to a FILE, unit-tested. */
#ifndef NICSEC_TOOLS_CTL_EXPORT_H
#define NICSEC_TOOLS_CTL_EXPORT_H

#include <jansson.h>
#include <stdio.h>

/* Per-SA counters from the sa-list document, global counters from the metrics answer. */
void ctl_prom_write(FILE *f, const json_t *list, const json_t *metrics);
/* A label value escaped as the exposition format wants (\\, \", \n). */
void ctl_prom_escape(const char *in, char *out, size_t len);

/* Wireshark's "ikev2_decryption_table" and "esp_sa" UAT lines for a keys answer. SAs whose
 * algorithm Wireshark cannot decrypt are written as comments saying so. Returns the number of
 * usable lines. */
int ctl_wireshark_write(FILE *f, const json_t *keys);

#endif
