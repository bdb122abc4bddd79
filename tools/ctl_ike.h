/* IKE-level verbs (see ctl_ike.c). Each returns the process exit status. */
#ifndef NICSEC_TOOLS_CTL_IKE_H
#define NICSEC_TOOLS_CTL_IKE_H

#include <stdbool.h>

#include "ctl_client.h"

int ctl_cmd_list_ike(struct ctl *c, bool as_json);
int ctl_cmd_initiate(struct ctl *c, const char *conn, const char *child, double timeout,
                     bool wait);
int ctl_cmd_terminate(struct ctl *c, const char *conn, double timeout, bool wait);
/* Sends req; prints the object `field` of the answer as "name value" lines (or JSON), or "ok"
 * when field is NULL. */
int ctl_cmd_simple(struct ctl *c, json_t *req, const char *field, bool as_json);

#endif
