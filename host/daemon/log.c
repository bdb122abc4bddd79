/* Logging to a stream with monotonic timestamps. */
#include "log.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>

static enum nd_log_level current_level = ND_LOG_INFO;
static FILE *stream;
static int stream_set;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void nd_log_set_level(enum nd_log_level level) {
  current_level = level;
}

void nd_log_set_stream(FILE *f) {
  stream = f;
  stream_set = 1;
}

int nd_log_level_parse(const char *text) {
  for (int i = 0; i < (int)(sizeof level_names / sizeof level_names[0]); i++)
    if (strcmp(text, level_names[i]) == 0)
      return i;
  return -1;
}

void nd_log(enum nd_log_level level, const char *fmt, ...) {
  FILE *out = stream_set ? stream : stderr;
  if (!out || level > current_level)
    return;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  fprintf(out, "%lld.%03ld %-5s ", (long long)ts.tv_sec, ts.tv_nsec / 1000000,
          level_names[level]);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(out, fmt, ap);
  va_end(ap);
  fputc('\n', out);
  fflush(out);
}
