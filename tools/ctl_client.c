/* The control socket client (see ctl_client.h). */
#include "ctl_client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int ctl_connect(struct ctl *c) {
  struct sockaddr_un sun = {.sun_family = AF_UNIX};
  if (strlen(c->socket_path) >= sizeof sun.sun_path) {
    fprintf(stderr, "nicsecctl: the socket path %s is too long\n", c->socket_path);
    return -1;
  }
  memcpy(sun.sun_path, c->socket_path, strlen(c->socket_path) + 1);
  c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
    fprintf(stderr, "nicsecctl: cannot reach nicsecd at %s: %s\n", c->socket_path,
            strerror(errno));
    ctl_close(c);
    return -1;
  }
  return 0;
}

void ctl_close(struct ctl *c) {
  if (c->fd >= 0)
    close(c->fd);
  c->fd = -1;
}

static bool send_line(int fd, json_t *request) {
  char *text = json_dumps(request, JSON_COMPACT);
  json_decref(request);
  if (!text)
    return false;
  size_t len = strlen(text);
  bool sent = write(fd, text, len) == (ssize_t)len && write(fd, "\n", 1) == 1;
  free(text);
  return sent;
}

static void wipe_free(char *buf, size_t cap) {
  if (buf) {
    volatile char *p = buf;
    for (size_t i = 0; i < cap; i++)
      p[i] = 0;
  }
  free(buf);
}

/* A bigger buffer holding the first used octets of buf, copied and wiped rather than
 * realloc()ed, so no stale copy of a key-bearing answer stays behind in freed memory (listings,
 * the large answers, take ctl_call_table's path instead). */
static char *grow_buffer(char *buf, size_t cap, size_t used) {
  char *grown = malloc(cap * 2);
  if (grown)
    memcpy(grown, buf, used + 1);
  wipe_free(buf, cap);
  return grown;
}

/* Reads up to and including the first newline; the buffer grows by doubling. */
static char *read_line(int fd, size_t *cap_out, size_t *len_out) {
  size_t cap = 1 << 16, used = 0;
  char *buf = malloc(cap);
  while (buf) {
    ssize_t n = read(fd, buf + used, cap - used - 1);
    if (n <= 0)
      break;
    size_t scan_from = used;
    used += (size_t)n;
    buf[used] = '\0';
    if (memchr(buf + scan_from, '\n', (size_t)n))
      break;
    if (used == cap - 1) {
      buf = grow_buffer(buf, cap, used);
      cap *= 2;
    }
  }
  if (buf && used == 0) {
    wipe_free(buf, cap);
    buf = NULL;
  }
  *cap_out = cap;
  *len_out = used;
  return buf;
}

json_t *ctl_call(struct ctl *c, json_t *request) {
  if (!send_line(c->fd, request)) {
    fprintf(stderr, "nicsecctl: cannot send the request to nicsecd\n");
    return NULL;
  }
  size_t cap = 0, len = 0;
  char *buf = read_line(c->fd, &cap, &len);
  json_error_t jerr;
  json_t *reply = buf ? json_loads(buf, JSON_DISABLE_EOF_CHECK, &jerr) : NULL;
  wipe_free(buf, cap);
  if (!reply)
    fprintf(stderr, "nicsecctl: no valid answer from nicsecd\n");
  return reply;
}

bool ctl_reply_ok(const json_t *reply) {
  if (json_is_true(json_object_get(reply, "ok")))
    return true;
  const char *err = json_string_value(json_object_get(reply, "error"));
  fprintf(stderr, "nicsecctl: nicsecd says: %s\n", err ? err : "the command failed");
  return false;
}

json_t *ctl_command(struct ctl *c, const char *name) {
  json_t *reply = ctl_call(c, json_pack("{s:s}", "cmd", name));
  if (reply && !ctl_reply_ok(reply)) {
    json_decref(reply);
    return NULL;
  }
  return reply;
}

/* Reads into the feed until the answer is complete, the input ends or the text is malformed. */
static void feed_from(int fd, struct ctl_feed *f) {
  for (;;) {
    size_t room = 0;
    char *space = ctl_feed_space(f, &room);
    ssize_t n = space ? read(fd, space, room) : -1;
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0 || ctl_feed_commit(f, (size_t)n) != CTL_FEED_MORE)
      return;
  }
}

int ctl_call_table(struct ctl *c, const char *name, struct ctl_table *t, char *err,
                   size_t err_len) {
  /* The compact rows form: key names once per answer instead of once per SA. A nicsecd without
   * it ignores "form" and answers with objects, which the feed reads as well. */
  if (!send_line(c->fd, json_pack("{s:s, s:s}", "cmd", name, "form", "rows"))) {
    snprintf(err, err_len, "cannot send the request to nicsecd");
    return -1;
  }
  struct ctl_feed *f = ctl_feed_new(t, true);
  if (!f) {
    snprintf(err, err_len, "out of memory");
    return -1;
  }
  feed_from(c->fd, f);
  return ctl_feed_finish(f, err, err_len);
}
