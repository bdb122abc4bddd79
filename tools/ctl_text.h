/* Human-readable output of nicsecctl: tables for terminals (and tmux), from the documents of
 * ctl_model.h. Pure formatting to a FILE, unit-tested. */
#ifndef NICSEC_TOOLS_CTL_TEXT_H
#define NICSEC_TOOLS_CTL_TEXT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* 1234 -> "1.2k", 5000000 -> "5.0M" (SI, for counters and rates); v < 1000 as an integer. */
void ctl_human(double v, char *out, size_t len);

/* One line of `sa list`, whichever parser filled it: strings never NULL ("" when absent). */
struct ctl_sa_row {
  const char *dir, *spi, *src, *dst, *mode, *alg, *conn, *child;
  bool encap, esn, on_device, on_daemon;
  double packets, bytes, drops;
  long long handle;
};
void ctl_print_sa_header(FILE *f);
void ctl_print_sa_row(FILE *f, const struct ctl_sa_row *r);
/* The whole table from a joined sa-list document (ctl_join). */
void ctl_print_sa_list(FILE *f, const json_t *list);
/* Every field of each SA of the list, device and nicsecd side by side. */
void ctl_print_sa_show(FILE *f, const json_t *list);
void ctl_print_audit(FILE *f, const json_t *audit);
void ctl_print_caps(FILE *f, const json_t *caps_reply);
void ctl_print_watch(FILE *f, const json_t *frame);
/* The same view line by line, whichever parser read the SAs: a head, then one line an SA
 * (strings never NULL; has_*: the value is known, otherwise "-"). */
struct ctl_watch_row {
  const char *dir, *spi, *peer, *conn;
  bool has_pps, has_bps, has_idle;
  double pps, bps;
  long long packets, bytes, drops, idle_s;
};
void ctl_print_watch_head(FILE *f, size_t n_sas, bool has_interval, double interval_s);
void ctl_print_watch_row(FILE *f, const struct ctl_watch_row *r);

#endif
