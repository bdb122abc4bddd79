/* nicsecctl's side of the control socket: one JSON request line, one JSON answer line. */
#ifndef NICSEC_TOOLS_CTL_CLIENT_H
#define NICSEC_TOOLS_CTL_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "ctl_table.h"

struct ctl {
  const char *socket_path;
  int fd;
};

/* Connects to nicsecd; prints a sentence and returns -1 when it cannot. */
int ctl_connect(struct ctl *c);
void ctl_close(struct ctl *c);
/* Sends request (consumed) and returns the parsed answer, or NULL after printing why. The
 * answer's text is wiped from memory after parsing (the "keys" answer carries keys). */
json_t *ctl_call(struct ctl *c, json_t *request);
/* ctl_call for {"cmd":name}; NULL (after printing nicsecd's error sentence) unless ok. */
json_t *ctl_command(struct ctl *c, const char *name);
/* The answer to {"cmd":name} (sa-table) parsed and joined as it arrives (ctl_table.h): 0, or -1
 * with a sentence in err. */
int ctl_call_table(struct ctl *c, const char *name, struct ctl_table *t, char *err,
                   size_t err_len);
/* True when the answer says ok; otherwise prints nicsecd's sentence. */
bool ctl_reply_ok(const json_t *reply);

#endif
