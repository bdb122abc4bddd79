/* nicsecctl's exports for other tools: Prometheus text exposition (format 0.0.4) and Wireshark
 * decryption tables. Pure formatting to a FILE, unit-tested. */
#ifndef NICSEC_TOOLS_CTL_EXPORT_H
#define NICSEC_TOOLS_CTL_EXPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

/* Per-SA counters from the sa-list document, global counters from the metrics answer. */
void ctl_prom_write(FILE *f, const json_t *list, const json_t *metrics);
/* One SA's per-SA samples, whichever parser read them (ctl_prom_write_sas): its label set, the
 * device's packets, bytes, seq and stats_age_ms, and its drops by reason (escaped). */
#define CTL_PROM_SA_VALUES 4
#define CTL_PROM_MAX_DROPS 64
struct ctl_prom_sa {
  char labels[512];
  json_int_t value[CTL_PROM_SA_VALUES];
  size_t n_drops;
  char reason[CTL_PROM_MAX_DROPS][128];
  json_int_t drops[CTL_PROM_MAX_DROPS];
};
/* The SAs: n_sas joined in all, n entries walked; get fills entry i (drops only when asked) and
 * returns false when the device does not hold it (no samples). */
struct ctl_prom_sas {
  size_t n_sas, n;
  bool (*get)(const void *ctx, size_t i, bool drops, struct ctl_prom_sa *out);
  const void *ctx;
};
void ctl_prom_write_sas(FILE *f, const struct ctl_prom_sas *sas, const json_t *metrics);
/* The label set naming one SA: dir, spi, backend, conn, child (escaped here). */
struct ctl_prom_names {
  const char *dir, *spi, *backend, *conn, *child;
};
void ctl_prom_labels(const struct ctl_prom_names *n, char *out, size_t len);
/* A label value escaped as the exposition format wants (\\, \", \n). */
void ctl_prom_escape(const char *in, char *out, size_t len);

/* Wireshark's "ikev2_decryption_table" and "esp_sa" UAT lines for a keys answer. SAs whose
 * algorithm Wireshark cannot decrypt are written as comments saying so. Returns the number of
 * usable lines. */
int ctl_wireshark_write(FILE *f, const json_t *keys);

#endif
