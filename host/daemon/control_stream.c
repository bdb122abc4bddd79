/* Sending control answers without blocking the event loop (see daemon.h, nd_ctl_stream).
 *
 * An answer is either text built whole (small answers, and "keys", whose buffer is wiped) or a
 * listing formatted CHUNK octets at a time just before the socket can take them. Each pump
 * sends at most PUMP_BUDGET octets, so a 100 MB listing leaves over many loop turns and IKE
 * packets are read in between; a client that stops reading only stops its own answer. */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "control_internal.h"

enum {
  CHUNK = 256 * 1024,      /* formatted ahead of the socket: a few socket buffers' worth */
  PUMP_BUDGET = 4 << 20,   /* octets sent per turn of the loop, so other sockets get theirs */
};

struct nd_ctl_stream {
  struct nd_sb sb;
  size_t sent;                /* octets of sb already on the socket */
  struct nd_listing *listing; /* NULL: sb is the whole answer */
  bool listing_done;
};

struct nd_ctl_stream *nd_ctl_stream_text(struct nd_sb *text) {
  struct nd_ctl_stream *s = calloc(1, sizeof *s);
  if (!s) {
    nd_sb_wipe_free(text);
    return NULL;
  }
  s->sb = *text;
  *text = (struct nd_sb){0};
  return s;
}

struct nd_ctl_stream *nd_ctl_stream_listing(struct nd_listing *l) {
  struct nd_ctl_stream *s = calloc(1, sizeof *s);
  if (!s) {
    nd_listing_free(l);
    return NULL;
  }
  s->listing = l;
  return s;
}

/* Refills the buffer from the listing once all of it was sent; false when nothing is left. */
static bool refill(struct nd_ctl_stream *s) {
  if (s->sent < s->sb.len)
    return true;
  if (!s->listing || s->listing_done)
    return false;
  s->sb.len = 0;
  s->sent = 0;
  s->listing_done = nd_listing_next(s->listing, &s->sb, CHUNK);
  return s->sb.len > 0;
}

enum nd_ctl_progress nd_ctl_stream_pump(struct nd_ctl_stream *s, int fd) {
  for (size_t budget = PUMP_BUDGET; budget;) {
    if (!refill(s))
      return s->sb.failed ? ND_CTL_BROKEN : ND_CTL_SENT;
    size_t want = s->sb.len - s->sent < budget ? s->sb.len - s->sent : budget;
    ssize_t n = send(fd, s->sb.buf + s->sent, want, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return errno == EAGAIN || errno == EWOULDBLOCK ? ND_CTL_MORE : ND_CTL_BROKEN;
    s->sent += (size_t)n;
    budget -= (size_t)n;
  }
  return ND_CTL_MORE; /* more to send: the loop comes back when the socket is writable */
}

void nd_ctl_stream_free(struct nd_ctl_stream *s) {
  if (!s)
    return;
  nd_sb_wipe_free(&s->sb); /* the "keys" answer carries key material */
  nd_listing_free(s->listing);
  free(s);
}
