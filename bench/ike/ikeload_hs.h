/* One IKEv2 handshake as the initiator, for the load generator: IKE_SA_INIT + IKE_AUTH with a
 * PSK and one ESP Child SA, suite aes256gcm16-prfsha256-x25519 (ESP aes256gcm16). Built with the
 * project's codec (host/codec) and crypto (host/crypto); the transport is the caller's.
 *
 * All handshakes share one X25519 key pair (RFC 7296 2.12 lets an endpoint reuse its DH value
 * across exchanges): the generator then spends one X25519 operation per handshake against the
 * responder's two, so it stays ahead of the responder it measures. */
#ifndef NICSEC_BENCH_IKELOAD_HS_H
#define NICSEC_BENCH_IKELOAD_HS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike_crypto.h"

enum { HS_NONCE = 32, HS_MAX_MSG = 2048, HS_MAX_ID = 128 };

/* What every handshake of a run shares. */
struct hs_profile {
  struct ike_ke *ke; /* our reusable X25519 key pair */
  const char *psk;
  /* IDi, an RFC 822 address; "%u" in it stands for the handshake's number (hs_start), so a
   * run can look like that many peers, each with its own identity. */
  const char *id;
  uint8_t local_net[4], remote_net[4]; /* TSi / TSr: one address each */
  /* Claim to be behind a NAT (NAT_DETECTION_SOURCE_IP that cannot match, RFC 7296 2.23): the
   * responder then encapsulates ESP in UDP and IKE_AUTH moves to port 4500 (hs_natt_port()). */
  bool natt;
};

enum hs_state { HS_IDLE, HS_INIT_SENT, HS_AUTH_SENT, HS_DONE, HS_FAILED };

struct hs {
  enum hs_state state;
  uint64_t spi_i, spi_r;
  uint8_t ni[HS_NONCE], nr[256];
  size_t nr_len;
  uint8_t request[HS_MAX_MSG]; /* the request in flight, kept for retransmission */
  size_t request_len;
  uint8_t init_request[HS_MAX_MSG]; /* IKE_SA_INIT request: signed by our AUTH */
  size_t init_request_len;
  struct ike_sa_keys keys;
  char id[HS_MAX_ID + 1]; /* this handshake's IDi */
  const char *error; /* why HS_FAILED */
};

/* Creates the shared key pair. 0 or -1. */
int hs_profile_init(struct hs_profile *p, const char *psk, const char *id, const char *local_net,
                    const char *remote_net);
void hs_profile_free(struct hs_profile *p);

/* Starts handshake number seq with SPIi spi_i: builds the IKE_SA_INIT request into
 * h->request. */
int hs_start(struct hs *h, const struct hs_profile *p, uint64_t spi_i, unsigned seq);
/* Takes a response for h; on IKE_SA_INIT builds the IKE_AUTH request into h->request (state
 * HS_AUTH_SENT), or the IKE_SA_INIT again with the responder's COOKIE (RFC 7296 2.6); on
 * IKE_AUTH ends in HS_DONE. Anything wrong: HS_FAILED with h->error. Returns true when
 * h->request holds a new request to send. Responses that are not for the request in flight
 * are ignored. */
bool hs_receive(struct hs *h, const struct hs_profile *p, const uint8_t *msg, size_t len);
/* Whether h->request goes to the NAT-T port (4500, behind the non-ESP marker). */
static inline bool hs_natt_port(const struct hs *h, const struct hs_profile *p) {
  return p->natt && h->state == HS_AUTH_SENT;
}
/* Wipes the keys. */
void hs_clear(struct hs *h);

#endif
