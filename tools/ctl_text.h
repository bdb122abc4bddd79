/* Human-readable output of nicsecctl: tables for terminals (and tmux), from the documents of
 * ctl_model.h. Pure formatting to a FILE, unit-tested. */
#ifndef NICSEC_TOOLS_CTL_TEXT_H
#define NICSEC_TOOLS_CTL_TEXT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

/* 1234 -> "1.2k", 5000000 -> "5.0M" (SI, for counters and rates); v < 1000 as an integer. */
void ctl_human(double v, char *out, size_t len);

void ctl_print_sa_list(FILE *f, const json_t *list);
/* Every field of each SA of the list, device and nicsecd side by side. */
void ctl_print_sa_show(FILE *f, const json_t *list);
void ctl_print_audit(FILE *f, const json_t *audit);
void ctl_print_caps(FILE *f, const json_t *caps_reply);
void ctl_print_watch(FILE *f, const json_t *frame);

#endif
