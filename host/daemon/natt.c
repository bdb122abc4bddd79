/* NAT detection (RFC 7296 2.23): NAT_DETECTION_SOURCE_IP / _DESTINATION_IP notifies. */
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>

#include "engine_internal.h"

static void put_be64(uint8_t *p, uint64_t v) {
  for (int i = 7; i >= 0; i--, v >>= 8)
    p[i] = (uint8_t)v;
}

void nd_natd_hash(uint64_t spi_i, uint64_t spi_r, const struct nd_addr *addr, uint8_t out[20]) {
  uint8_t input[8 + 8 + 16 + 2];
  size_t ip_len = addr->family == AF_INET ? 4 : 16;
  put_be64(input, spi_i);
  put_be64(input + 8, spi_r);
  memcpy(input + 16, addr->ip, ip_len);
  input[16 + ip_len] = (uint8_t)(addr->port >> 8);
  input[17 + ip_len] = (uint8_t)addr->port;
  unsigned int n = 0;
  if (EVP_Digest(input, 18 + ip_len, out, &n, EVP_sha1(), NULL) != 1 || n != 20)
    memset(out, 0, 20);
}

void nd_natd_add(const struct nd_ike_sa *sa, bool force_encap, union ike_payload_body storage[2],
                 uint8_t hashes[2][20], struct ike_payload_out *payloads, size_t *n) {
  /* In the first request SPIr is still zero, which is what the hash must cover then. */
  nd_natd_hash(sa->spi_i, sa->spi_r, &sa->local, hashes[0]);
  nd_natd_hash(sa->spi_i, sa->spi_r, &sa->remote, hashes[1]);
  if (force_encap && RAND_bytes(hashes[0], 20) != 1)
    memset(hashes[0], 0xa5, 20); /* any value but the true hash makes the peer see a NAT */
  nd_notify_body(&storage[0], IKE_PROTO_NONE, IKE_N_NAT_DETECTION_SOURCE_IP, hashes[0], 20);
  nd_notify_body(&storage[1], IKE_PROTO_NONE, IKE_N_NAT_DETECTION_DESTINATION_IP, hashes[1], 20);
  payloads[(*n)++] = nd_out(IKE_PT_NOTIFY, &storage[0]);
  payloads[(*n)++] = nd_out(IKE_PT_NOTIFY, &storage[1]);
}

bool nd_natd_present(const struct ike_chain *chain) {
  return ike_chain_find_notify(chain, IKE_N_NAT_DETECTION_SOURCE_IP) >= 0 &&
         ike_chain_find_notify(chain, IKE_N_NAT_DETECTION_DESTINATION_IP) >= 0;
}

/* Whether any NAT_DETECTION notify of `type` in the chain carries `expected`. */
static bool any_matches(const struct ike_chain *chain, uint16_t type, const uint8_t expected[20]) {
  for (size_t i = 0; i < chain->count; i++) {
    const struct ike_payload_ref *ref = &chain->payloads[i];
    union ike_payload_body body;
    if (ref->type != IKE_PT_NOTIFY || ike_ref_notify_type(ref) != type ||
        ike_chain_decode(ref, &body) != IKE_OK)
      continue;
    if (body.notify.data.len == 20 && memcmp(body.notify.data.ptr, expected, 20) == 0)
      return true;
  }
  return false;
}

void nd_natd_check(struct nd_ike_sa *sa, const struct ike_chain *chain) {
  if (!nd_natd_present(chain))
    return;
  /* The hashes of the IKE_SA_INIT request cover SPIr = 0 (the responder had none yet). */
  uint64_t spi_r = sa->initiator ? sa->spi_r : 0;
  uint8_t peer_src[20], our_dst[20];
  nd_natd_hash(sa->spi_i, spi_r, &sa->remote, peer_src);
  nd_natd_hash(sa->spi_i, spi_r, &sa->local, our_dst);
  sa->nat_remote = !any_matches(chain, IKE_N_NAT_DETECTION_SOURCE_IP, peer_src);
  sa->nat_local = !any_matches(chain, IKE_N_NAT_DETECTION_DESTINATION_IP, our_dst);
  if (sa->nat_local || sa->nat_remote || sa->conn->encap)
    sa->natt = true;
}
