/* IKE identities (RFC 7296 3.5) written the strongSwan way: "user@example.test" is an
 * RFC822_ADDR, "@host.example" or "host.example" an FQDN, "192.0.2.1" / "2001:db8::1" an IP
 * address, "%any" matches every peer. Prefixes "fqdn:", "email:" and "keyid:" (hex) force a type.
 * The type and data are what the ID payload carries and what MACedIDFor* covers, so they must
 * equal the peer's reading of the same string.
 */
#ifndef NICSEC_DAEMON_IDENT_H
#define NICSEC_DAEMON_IDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { ND_ID_MAX = 255, ND_ID_ANY = 0 };

struct nd_identity {
  uint8_t type; /* IKE_ID_*; ND_ID_ANY for "%any" */
  uint8_t len;
  uint8_t data[ND_ID_MAX];
};

int nd_identity_parse(const char *text, struct nd_identity *out, char *err, size_t err_len);
/* Identity from raw ID payload fields; false when data is too long. */
bool nd_identity_from_wire(uint8_t type, const uint8_t *data, size_t len, struct nd_identity *out);
/* An IP-address identity (the default when none is configured). family: AF_INET / AF_INET6. */
void nd_identity_from_ip(int family, const uint8_t *addr, struct nd_identity *out);
bool nd_identity_equal(const struct nd_identity *a, const struct nd_identity *b);
/* a matches b when a is %any or both are equal. */
bool nd_identity_matches(const struct nd_identity *pattern, const struct nd_identity *id);
/* Printable form (non-printable octets escaped). */
void nd_identity_format(const struct nd_identity *id, char *out, size_t len);

#endif
