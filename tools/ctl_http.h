/* A minimal HTTP/1.0 endpoint for `nicsecctl metrics --listen`: GET /metrics answers with a
 * fresh Prometheus exposition, anything else with 404. One request at a time. */
#ifndef NICSEC_TOOLS_CTL_HTTP_H
#define NICSEC_TOOLS_CTL_HTTP_H

#include <stdbool.h>
#include <stdio.h>

/* Writes the exposition to f; returns false when nicsecd could not be asked. */
typedef bool (*ctl_http_body_fn)(void *ctx, FILE *f);

/* Parses "addr:port" ("127.0.0.1:9720", "[::1]:9720", ":9720" = 127.0.0.1) and checks that the
 * address is a loopback one unless allow_remote. Binds and listens; returns the socket or -1
 * after printing a sentence. */
int ctl_http_listen(const char *spec, bool allow_remote);
/* Serves requests until max_requests were answered (0 = forever). Returns 0, or 1 when an
 * accept failed. */
int ctl_http_serve(int fd, unsigned long max_requests, ctl_http_body_fn body, void *ctx);

#endif
