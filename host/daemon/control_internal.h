/* Shared by the control command files (control*.c): one table row per command. */
#ifndef NICSEC_DAEMON_CONTROL_INTERNAL_H
#define NICSEC_DAEMON_CONTROL_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "control_fmt.h"
#include "daemon.h"

/* Who sent the request (SO_PEERCRED of the control connection). */
struct nd_peer {
  uid_t uid;
};

json_t *nd_ctl_error(const char *text);
json_t *nd_ctl_ok(void);

/* Answers built as text (large listings, key material): the complete reply object, no newline.
 * A handler that fails appends nothing and returns a jansson error reply instead. */
json_t *nd_ctl_keys(struct nd_daemon *d, const struct nd_peer *peer, struct nd_sb *out);

/* sa-table: the snapshot to send, or NULL with a jansson error reply in *error. */
struct nd_listing *nd_ctl_sa_table(struct nd_daemon *d, json_t **error);

/* Answers on their way out (control_stream.c); both take ownership of their argument, and free
 * it when out of memory (NULL). */
struct nd_ctl_stream *nd_ctl_stream_text(struct nd_sb *text);
struct nd_ctl_stream *nd_ctl_stream_listing(struct nd_listing *l);

/* JSON answers. */
json_t *nd_ctl_caps(struct nd_daemon *d);
json_t *nd_ctl_metrics(struct nd_daemon *d);
json_t *nd_ctl_caps_json(const struct nicsec_hal_caps *caps);
/* Test-only (NICSECD_TEST_COMMANDS=1 in nicsecd's environment): changes the device's SA table
 * through the HAL without telling the engine, so tests can check that audits notice. */
json_t *nd_ctl_test_hal(struct nd_daemon *d, const json_t *req);

#endif
