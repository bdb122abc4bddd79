/* nicsecctl's pure logic over nicsecd's answers (jansson values in, jansson values out): joining
 * the device's SA table with nicsecd's, auditing the two against each other, per-SA rates.
 * No I/O here, so every rule is unit-tested. Schemas: tools/schema/. */
#ifndef NICSEC_TOOLS_CTL_MODEL_H
#define NICSEC_TOOLS_CTL_MODEL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define CTL_SCHEMA_SA_LIST "nicsec.sa-list/1"
#define CTL_SCHEMA_AUDIT "nicsec.audit/1"
#define CTL_SCHEMA_WATCH "nicsec.watch/1"
#define CTL_SCHEMA_CAPS "nicsec.caps/1"
#define CTL_SCHEMA_REKEY "nicsec.rekey/1"

/* "<dir>/<spi>/<dst>": how one SA is named on both sides (inbound SPIs are unique per device,
 * outbound SAs are keyed by destination and SPI). Writes "" for a malformed object. */
void ctl_sa_key(const json_t *side, char *out, size_t len);

/* Joins an sa-table answer ({"devices","device_sas","daemon_sas",...}) into the sa-list
 * document: {"schema","devices","sas":[{"key","dir","spi","device"|null,"daemon"|null}]},
 * ordered by key. NULL when the answer lacks the two lists. */
json_t *ctl_join(const json_t *table);

/* Normalises an SPI given by an operator ("0xC0FFEE01", "c0ffee01") to 8 lowercase hex
 * digits; false when it is not a 32-bit hex number. */
bool ctl_parse_spi(const char *text, char out[9]);

/* The sa-list document restricted to SAs with that SPI (normalised form). */
json_t *ctl_filter_spi(const json_t *list, const char *spi);

/* Compares both sides of every joined SA: {"schema","consistent","compared","device_only":[key],
 * "daemon_only":[key],"mismatches":[{"key","field","device","daemon"}]}. */
json_t *ctl_audit(const json_t *list);

/* The audit's rules, shared with the span path (ctl_table_audit): which field of the device's
 * object must equal which field of nicsecd's (null == absent). Besides them, the device must
 * hold every SA nicsecd lists in state "active". */
#define CTL_AUDIT_RULES 13
struct ctl_audit_rule {
  const char *name;
  const char *device_path, *daemon_path; /* "a" or "a.b" */
};
extern const struct ctl_audit_rule ctl_audit_rules[CTL_AUDIT_RULES];
/* Appends {"key","field","device","daemon"} (NULL values as null) to list. */
void ctl_audit_mismatch(json_t *list, const char *key, const char *field, const json_t *dev,
                        const json_t *own);
/* The rules applied to one SA both sides hold: its mismatches appended to mismatches. */
void ctl_audit_compare(json_t *mismatches, const char *key, const json_t *dev, const json_t *own);
/* The audit document from its parts (the arrays are consumed). */
json_t *ctl_audit_document(size_t compared, json_t *dev_only, json_t *own_only,
                           json_t *mismatches);

/* One watch frame: per SA packets, bytes, drops and rates against the previous frame's list
 * (prev may be NULL: rates are null), dt_s seconds apart. */
json_t *ctl_watch_frame(const json_t *prev, const json_t *cur, double dt_s, double time_s);

/* Sum of a "drops" object's counters. */
uint64_t ctl_drops_total(const json_t *drops);

#endif
