/* sa-table: every SA the HAL device holds (nicsec_hal_dump, counters included) beside every SA
 * nicsecd believes it installed. The two lists are not joined here: nicsecctl joins them by
 * (direction, SPI, destination), so an SA present on one side only stays visible. Both are
 * copied into a listing when the request arrives and formatted as the socket drains
 * (control_listing.c, control_stream.c). */
#include <stdio.h>
#include <time.h>

#include "control_internal.h"
#include "engine_internal.h"

static uint64_t realtime_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec;
}

static bool child_beliefs(struct nd_listing *l, const struct nd_ike_sa *sa,
                          const struct nd_child_sa *c) {
  const nicsec_hal_sa_id handles[2] = {c->hal_in, c->hal_out};
  for (int dir = 0; dir < 2; dir++) {
    if (!handles[dir])
      continue; /* this direction is not on the device (rekeyed, or held back) */
    struct nd_sa_belief b = {
        .ike_sa = sa->id,
        .child_id = c->id,
        .conn = sa->conn ? sa->conn->name : "",
        .child = c->cfg ? c->cfg->name : "",
        .state = nd_child_state_name(c->state),
        .handle = handles[dir],
        .desc = &c->hal_desc[dir],
        .installed_ms = c->installed_ms,
    };
    if (!nd_listing_add_belief(l, &b))
      return false;
  }
  return true;
}

static bool daemon_beliefs(struct nd_listing *l, const struct nd_engine *e) {
  for (const struct nd_ike_sa *sa = e->all; sa; sa = sa->next_all) {
    if (sa->state == ND_IKE_DEAD)
      continue;
    for (size_t i = 0; i < sa->n_children; i++)
      if (sa->children[i].installed && !child_beliefs(l, sa, &sa->children[i]))
        return false;
  }
  return true;
}

struct nd_listing *nd_ctl_sa_table(struct nd_daemon *d, json_t **error) {
  if (!d->hal) {
    *error = nd_ctl_error("nicsecd has no HAL device");
    return NULL;
  }
  enum nicsec_hal_err rc;
  struct nd_listing *l = nd_listing_new(d->hal, realtime_s(), nd_now_ms(), &rc);
  if (!l) {
    char text[160];
    snprintf(text, sizeof text, "the HAL device could not list its SAs: %s",
             nicsec_hal_strerror(rc));
    *error = nd_ctl_error(text);
    return NULL;
  }
  if (!daemon_beliefs(l, d->engine)) {
    nd_listing_free(l);
    *error = nd_ctl_error("out of memory while listing SAs");
    return NULL;
  }
  return l;
}
