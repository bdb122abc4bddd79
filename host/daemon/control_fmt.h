/* JSON text for the control protocol's large answers, written straight into a growing buffer.
 *
 * A listing of 100k SAs through jansson objects costs millions of small allocations; these
 * writers append the text of the documented schema (tools/schema/sa-list.json: the "device" and
 * "daemon" objects of an SA) directly, so the daemon answers `sa-table` in well under a second.
 * The same functions serve the daemon and bench/ctl, so the bench times the real path. */
#ifndef NICSEC_DAEMON_CONTROL_FMT_H
#define NICSEC_DAEMON_CONTROL_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nicsec/hal.h"

/* A growing text buffer; `failed` latches an allocation failure (appends become no-ops). With
 * `secret` set, growing copies and wipes instead of realloc(), so no stale copy of the text is
 * left in freed memory. */
struct nd_sb {
  char *buf;
  size_t len, cap;
  bool failed;
  bool secret;
  bool rows; /* SAs in the compact form: arrays of values in nd_fmt_columns' order */
};

void nd_sb_free(struct nd_sb *sb);
/* Frees after overwriting the contents: for answers that carry key material. */
void nd_sb_wipe_free(struct nd_sb *sb);
/* Takes the NUL-terminated text out of the buffer (caller frees); NULL after a failure. */
char *nd_sb_take(struct nd_sb *sb);
void nd_sb_raw(struct nd_sb *sb, const char *text, size_t len);
void nd_sb_lit(struct nd_sb *sb, const char *text);
void nd_sb_u64(struct nd_sb *sb, uint64_t v);
/* A JSON string literal: quotes, escapes for '"', '\\' and control characters. */
void nd_sb_jstr(struct nd_sb *sb, const char *text);
/* Lowercase hex of bytes, inside quotes. */
void nd_sb_jhex(struct nd_sb *sb, const uint8_t *bytes, size_t len);

/* What nicsecd believes it installed for one direction of a Child SA. desc is the HAL
 * description as handed to nicsec_hal_sa_add, with key and salt zeroed. */
struct nd_sa_belief {
  uint64_t ike_sa, child_id;
  const char *conn, *child, *state;
  nicsec_hal_sa_id handle;
  const struct nicsec_hal_sa *desc;
  uint64_t installed_ms;
};

/* One "device" object: the SA as nicsec_hal_dump reports it. now_real_s is CLOCK_REALTIME
 * seconds (for idle time), stats_age_ms an upper bound on the age of the counters. */
void nd_fmt_device_sa(struct nd_sb *sb, const struct nicsec_hal_sa_info *info, const char *backend,
                      uint64_t now_real_s, uint64_t stats_age_ms);
/* One "daemon" object; now_ms is nd_now_ms() (monotonic, for the age). */
void nd_fmt_daemon_sa(struct nd_sb *sb, const struct nd_sa_belief *b, uint64_t now_ms);
/* With sb->rows set, the two writers above write each SA as a flat JSON array of scalars in the
 * order of the names nd_fmt_columns writes as a JSON array: the key names go on the wire once,
 * not per SA. A nested object's members are columns of their own ("limits.soft_bytes",
 * "drops.replay"); one that may be null (encap, replay) has a column named after it, true or
 * null, before its members' columns (which hold null when it is). */
void nd_fmt_columns(struct nd_sb *sb, bool device);
/* A full `sa-table` answer body from a device: walks nicsec_hal_dump, appends
 * "\"device_sas\":[...]" to sb. Returns the HAL's result. */
enum nicsec_hal_err nd_fmt_device_table(struct nd_sb *sb, struct nicsec_hal_dev *dev,
                                        uint64_t now_real_s, size_t *count);

/* A whole `sa-table` answer line (control_listing.c) held as a snapshot and formatted piece by
 * piece, so nicsecd can send a 100 MB listing as the socket drains, between IKE packets.
 * nd_listing_new copies the device's table (nicsec_hal_dump; NULL with *rc set when the walk
 * fails or memory runs out); nd_listing_add_belief copies one belief, strings included (false:
 * out of memory). nd_listing_next appends the next pieces of the answer, newline included, until
 * sb holds budget octets; true once the whole answer has been appended. */
struct nd_listing;
struct nd_listing *nd_listing_new(struct nicsec_hal_dev *dev, uint64_t now_real_s,
                                  uint64_t now_ms, enum nicsec_hal_err *rc);
/* The SAs in the compact rows form (nd_fmt_columns), announced by "device_columns" and
 * "daemon_columns" before each list. */
void nd_listing_use_rows(struct nd_listing *l);
bool nd_listing_add_belief(struct nd_listing *l, const struct nd_sa_belief *b);
size_t nd_listing_device_count(const struct nd_listing *l);
bool nd_listing_next(struct nd_listing *l, struct nd_sb *sb, size_t budget);
void nd_listing_free(struct nd_listing *l);

#endif
