/* sa-table: every SA the HAL device holds (nicsec_hal_dump, counters included) beside every SA
 * nicsecd believes it installed. The two lists are not joined here: nicsecctl joins them by
 * (direction, SPI, destination), so an SA present on one side only stays visible. */
#include <time.h>

#include "control_internal.h"
#include "engine_internal.h"

static uint64_t realtime_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec;
}

static void devices_array(struct nd_sb *sb, const struct nicsec_hal_caps *caps) {
  nd_sb_lit(sb, "\"devices\":[{\"backend\":");
  nd_sb_jstr(sb, caps->backend ? caps->backend : "");
  nd_sb_lit(sb, ",\"stats_freshness_ms\":");
  nd_sb_u64(sb, caps->stats_freshness_ms);
  nd_sb_lit(sb, "}]");
}

static void child_beliefs(struct nd_sb *sb, const struct nd_ike_sa *sa,
                          const struct nd_child_sa *c, uint64_t now_ms, size_t *count) {
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
    if ((*count)++)
      nd_sb_raw(sb, ",", 1);
    nd_fmt_daemon_sa(sb, &b, now_ms);
  }
}

static size_t daemon_table(struct nd_sb *sb, const struct nd_engine *e, uint64_t now_ms) {
  size_t count = 0;
  nd_sb_lit(sb, "\"daemon_sas\":[");
  for (const struct nd_ike_sa *sa = e->all; sa; sa = sa->next_all) {
    if (sa->state == ND_IKE_DEAD)
      continue;
    for (size_t i = 0; i < sa->n_children; i++)
      if (sa->children[i].installed)
        child_beliefs(sb, sa, &sa->children[i], now_ms, &count);
  }
  nd_sb_raw(sb, "]", 1);
  return count;
}

json_t *nd_ctl_sa_table(struct nd_daemon *d, struct nd_sb *out) {
  if (!d->hal)
    return nd_ctl_error("nicsecd has no HAL device");
  uint64_t now_real = realtime_s();
  nd_sb_lit(out, "{\"ok\":true,\"schema\":\"nicsec.sa-table/1\",\"now_real_s\":");
  nd_sb_u64(out, now_real);
  nd_sb_raw(out, ",", 1);
  devices_array(out, nicsec_hal_caps(d->hal));
  nd_sb_raw(out, ",", 1);
  size_t n;
  enum nicsec_hal_err rc = nd_fmt_device_table(out, d->hal, now_real, &n);
  if (rc != NICSEC_HAL_OK) {
    out->len = 0;
    char text[160];
    snprintf(text, sizeof text, "the HAL device could not list its SAs: %s",
             nicsec_hal_strerror(rc));
    return nd_ctl_error(text);
  }
  nd_sb_raw(out, ",", 1);
  daemon_table(out, d->engine, nd_now_ms());
  nd_sb_raw(out, "}", 1);
  return out->failed ? nd_ctl_error("out of memory while listing SAs") : NULL;
}
