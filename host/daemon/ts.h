/* Traffic selectors (RFC 7296 2.9, 3.13): configuration syntax, narrowing and checks.
 *
 * Configuration: "10.0.0.0/24", "2001:db8::/64", "10.0.0.1-10.0.0.9", "dynamic" (the IKE SA's
 * own address on that side), each optionally followed by "[proto/port]" with proto tcp, udp,
 * icmp, icmp6, any or a number and port a number, a range "1000-2000" or "%any"
 * ("10.0.0.0/8[tcp/443]").
 */
#ifndef NICSEC_DAEMON_TS_H
#define NICSEC_DAEMON_TS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ikecodec_payloads.h"

enum { ND_MAX_TS = 8 };

/* Packed to 38 octets (an int family made it 44): every Child SA holds two lists of these. */
struct nd_ts {
  uint8_t family; /* AF_INET / AF_INET6 */
  uint8_t proto;
  uint16_t start_port, end_port;
  uint8_t start[16], end[16]; /* 4 octets used for IPv4 */
};

struct nd_ts_cfg {
  bool dynamic; /* replaced by the IKE SA's address when the SA comes up */
  struct nd_ts ts; /* proto and ports apply to dynamic too */
};

struct nd_ts_list {
  uint8_t count; /* up to ND_MAX_TS */
  struct nd_ts ts[ND_MAX_TS];
};

int nd_ts_parse(const char *text, struct nd_ts_cfg *out, char *err, size_t err_len);

/* The selectors of a configured list with "dynamic" replaced by addr (family, 4/16 octets). */
void nd_ts_resolve(const struct nd_ts_cfg *cfg, size_t n, int family, const uint8_t *addr,
                   struct nd_ts_list *out);

/* Intersection of two selectors; false when they do not overlap. */
bool nd_ts_intersect(const struct nd_ts *a, const struct nd_ts *b, struct nd_ts *out);

/* Responder narrowing: every non-empty intersection of a peer selector with one of ours.
 * Returns false when nothing is left (TS_UNACCEPTABLE). */
bool nd_ts_narrow(const struct nd_ts_list *ours, const struct ike_ts_payload *peer,
                  struct nd_ts_list *out);

/* Initiator check of the responder's answer: each selector must lie inside one we proposed. */
bool nd_ts_answer_ok(const struct nd_ts_list *proposed, const struct ike_ts_payload *answer,
                     struct nd_ts_list *out);

/* Fills a TS payload from a list. */
void nd_ts_to_payload(const struct nd_ts_list *list, struct ike_ts_payload *out);

/* Whether [start, end] is one CIDR prefix; *prefix_len receives its length. */
bool nd_ts_is_prefix(const struct nd_ts *ts, uint8_t *prefix_len);

/* "10.0.0.0/24" or "10.0.0.1-10.0.0.9", plus "[tcp/80]" when proto/ports are restricted. */
void nd_ts_format(const struct nd_ts *ts, char *out, size_t len);

#endif
