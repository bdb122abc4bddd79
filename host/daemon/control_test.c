/* test-hal: a test-only command that changes the device's SA table through the HAL alone, so a
 * test can make the device disagree with nicsecd and check that `nicsecctl audit` notices.
 *
 *   {"cmd":"test-hal","action":"remove","dir":"in","spi":"c0ffee01"}
 *   {"cmd":"test-hal","action":"limits","dir":"out","spi":"c0ffee02","hard_packets":N}
 *
 * Why a command and not a second HAL client: the soft and sim devices live inside nicsecd's
 * process (their SA table is nicsecd's memory), so no other process can open the same device.
 * The command is refused unless nicsecd runs with NICSECD_TEST_COMMANDS=1, and it never
 * touches the engine: nicsecd's own view stays as it was. */
#include <stdlib.h>
#include <string.h>

#include "control_internal.h"

struct find {
  enum nicsec_hal_dir dir;
  uint32_t spi;
  nicsec_hal_sa_id id;
};

static int match_sa(const struct nicsec_hal_sa_info *info, void *ctx) {
  struct find *f = ctx;
  if (info->sa.dir != f->dir || info->sa.spi != f->spi || info->state != NICSEC_HAL_SA_ACTIVE)
    return 0;
  f->id = info->id;
  return 1;
}

static bool parse_target(const json_t *req, struct find *f) {
  const char *dir = json_string_value(json_object_get(req, "dir"));
  const char *spi = json_string_value(json_object_get(req, "spi"));
  char *end = NULL;
  if (!dir || !spi)
    return false;
  f->dir = strcmp(dir, "in") == 0 ? NICSEC_HAL_DIR_IN : NICSEC_HAL_DIR_OUT;
  unsigned long v = strtoul(spi, &end, 16);
  f->spi = (uint32_t)v;
  return (strcmp(dir, "in") == 0 || strcmp(dir, "out") == 0) && *spi && end && !*end &&
         v <= UINT32_MAX;
}

static enum nicsec_hal_err remove_sa(struct nicsec_hal_dev *dev, nicsec_hal_sa_id id) {
  enum nicsec_hal_err rc = nicsec_hal_sa_stop(dev, id);
  for (int tries = 0; rc == NICSEC_HAL_OK && tries < 1000; tries++) {
    rc = nicsec_hal_sa_drain(dev, id);
    if (rc != NICSEC_HAL_E_BUSY)
      break;
  }
  return rc == NICSEC_HAL_OK ? nicsec_hal_sa_free(dev, id) : rc;
}

static enum nicsec_hal_err set_limits(struct nicsec_hal_dev *dev, nicsec_hal_sa_id id,
                                      const json_t *req) {
  struct nicsec_hal_sa_update upd = {.what = NICSEC_HAL_UPD_LIMITS};
  upd.limits.soft_packets = (uint64_t)json_integer_value(json_object_get(req, "soft_packets"));
  upd.limits.hard_packets = (uint64_t)json_integer_value(json_object_get(req, "hard_packets"));
  upd.limits.soft_bytes = (uint64_t)json_integer_value(json_object_get(req, "soft_bytes"));
  upd.limits.hard_bytes = (uint64_t)json_integer_value(json_object_get(req, "hard_bytes"));
  return nicsec_hal_sa_update(dev, id, &upd);
}

json_t *nd_ctl_test_hal(struct nd_daemon *d, const json_t *req) {
  const char *action = json_string_value(json_object_get(req, "action"));
  struct find f = {0};
  if (!d->hal)
    return nd_ctl_error("nicsecd has no HAL device");
  if (!action || !parse_target(req, &f))
    return nd_ctl_error("test-hal needs \"action\", \"dir\" (in|out) and a hex \"spi\"");
  enum nicsec_hal_err rc = nicsec_hal_dump(d->hal, match_sa, &f);
  if (rc == NICSEC_HAL_OK && !f.id)
    return nd_ctl_error("the device holds no active SA with that direction and SPI");
  if (rc == NICSEC_HAL_OK && strcmp(action, "remove") == 0)
    rc = remove_sa(d->hal, f.id);
  else if (rc == NICSEC_HAL_OK && strcmp(action, "limits") == 0)
    rc = set_limits(d->hal, f.id, req);
  else if (rc == NICSEC_HAL_OK)
    return nd_ctl_error("test-hal actions: remove, limits");
  return rc == NICSEC_HAL_OK ? nd_ctl_ok() : nd_ctl_error(nicsec_hal_strerror(rc));
}
