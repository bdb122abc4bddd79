/* nicsecd logging: one line per event on stderr (or a file), with a monotonic timestamp and a
 * level. Key material is never passed to these functions. */
#ifndef NICSEC_DAEMON_LOG_H
#define NICSEC_DAEMON_LOG_H

#include <stdio.h>

enum nd_log_level { ND_LOG_ERROR = 0, ND_LOG_WARN, ND_LOG_INFO, ND_LOG_DEBUG };

void nd_log_set_level(enum nd_log_level level);
/* Sends log lines to f (stderr by default; NULL silences logging, e.g. in the fuzzer). */
void nd_log_set_stream(FILE *f);
/* Parses "error", "warn", "info", "debug"; -1 for anything else. */
int nd_log_level_parse(const char *text);

void nd_log(enum nd_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define ND_ERROR(...) nd_log(ND_LOG_ERROR, __VA_ARGS__)
#define ND_WARN(...) nd_log(ND_LOG_WARN, __VA_ARGS__)
#define ND_INFO(...) nd_log(ND_LOG_INFO, __VA_ARGS__)
#define ND_DEBUG(...) nd_log(ND_LOG_DEBUG, __VA_ARGS__)

#endif
