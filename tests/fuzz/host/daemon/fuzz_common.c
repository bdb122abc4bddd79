/* Engine pair setup and protected-message injection for the dispatch fuzzer. */
#include "fuzz_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"

static char cfg[2][4096];

static void configs(void) {
  static bool done;
  if (done)
    return;
  done = true;
  for (int side = 0; side < 2; side++)
    /* Optimized rekeys and child-pfs-info on: their notifies reach the parsing code too. */
    h_config(cfg[side], sizeof cfg[side], side, "aes256gcm16-prfsha256-x25519", "aes256gcm16",
             side == 0 ? "    dpd_delay: 1\n    optimized_rekey: true\n    child_pfs_info: true\n"
                       : "    optimized_rekey: true\n    child_pfs_info: true\n",
             NULL, NULL);
}

static struct nd_ike_sa *first_sa(struct harness *h, int side) {
  struct nd_ike_sa *sa = h->eng[side]->all;
  while (sa && sa->state == ND_IKE_DEAD)
    sa = sa->next_all;
  return sa;
}

static void drop_queue(struct harness *h) {
  while (h->n_queued)
    free(h->queue[--h->n_queued].msg);
}

bool fuzz_prepare(struct harness *h, enum fuzz_mode mode) {
  configs();
  if (!h_init(h, cfg[0], cfg[1]))
    return false;
  if (mode == FUZZ_RAW_NEW)
    return true;
  char err[128];
  if (nd_engine_initiate(h->eng[0], h->now, "peer", NULL, err, sizeof err) != 0)
    return false;
  if (mode == FUZZ_INIT_RESPONSE) {
    drop_queue(h);
    return true;
  }
  h_run(h, 2); /* IKE_SA_INIT request and response: IKE_AUTH request now queued */
  if (mode == FUZZ_AUTH_REQUEST || mode == FUZZ_AUTH_RESPONSE) {
    drop_queue(h);
    return first_sa(h, 1) != NULL;
  }
  h_run(h, 10);
  if (!first_sa(h, 0) || first_sa(h, 0)->state != ND_IKE_ESTABLISHED)
    return false;
  if (mode == FUZZ_DPD_RESPONSE) {
    h_advance(h, h->now + 2000); /* dpd_delay 1 s: the liveness check goes out */
    drop_queue(h);
  }
  return true;
}

static void seal_and_deliver(struct harness *h, int from, const struct ike_header *hdr,
                             uint8_t type, union ike_payload_body *body, const uint8_t *inner,
                             size_t len) {
  struct nd_ike_sa *sa = first_sa(h, from);
  static uint8_t out[65536];
  struct ike_payload_out p = {.type = type, .body = body};
  struct wire_writer w;
  struct ike_build_info info;
  struct ike_error err;
  wire_writer_init(&w, out, sizeof out);
  if (ike_message_build(&w, hdr, &p, 1, &info, &err) != IKE_OK)
    return;
  size_t off = info.encrypted_offset, sealed;
  if (ike_sk_seal(sa->seal, ike_bytes_of(out, off), ike_bytes_of(inner, len), out + off,
                  sizeof out - off, &sealed) != IKE_CRYPTO_OK)
    return;
  nd_engine_receive(h->eng[1 - from], h->now, &sa->remote, &sa->local, out, info.length);
}

/* The header of a message from side `from` (request with the receiver's expected Message ID,
 * or response to its outstanding request). */
static bool header_for(struct harness *h, int from, uint8_t exchange, bool response,
                       struct ike_header *hdr) {
  struct nd_ike_sa *sa = first_sa(h, from), *peer = first_sa(h, 1 - from);
  if (!sa || !sa->seal || !peer)
    return false;
  uint32_t mid = response ? peer->req.mid : peer->expected_mid;
  uint8_t flags = (sa->initiator ? IKE_FLAG_INITIATOR : 0) | (response ? IKE_FLAG_RESPONSE : 0);
  ike_header_init(hdr, exchange, flags, mid, sa->spi_i, sa->spi_r);
  return true;
}

void fuzz_send_protected(struct harness *h, int from, uint8_t exchange, bool response,
                         uint8_t first, const uint8_t *inner, size_t len) {
  struct ike_header hdr;
  if (len > 60000 || !header_for(h, from, exchange, response, &hdr))
    return;
  union ike_payload_body sk;
  sk.sk.first_inner = first;
  sk.sk.encrypted = (struct wire_view){NULL, ike_sk_body_len(first_sa(h, from)->seal, len)};
  seal_and_deliver(h, from, &hdr, IKE_PT_SK, &sk, inner, len);
}

void fuzz_send_fragment(struct harness *h, int from, uint8_t exchange, uint16_t number,
                        uint16_t total, uint8_t first, const uint8_t *inner, size_t len) {
  struct ike_header hdr;
  if (len > 60000 || number == 0 || number > total || !header_for(h, from, exchange, false, &hdr))
    return;
  union ike_payload_body skf;
  skf.skf = (struct ike_skf_payload){.first_inner = number == 1 ? first : 0,
                                     .fragment_number = number,
                                     .total_fragments = total,
                                     .encrypted = {NULL, ike_sk_body_len(first_sa(h, from)->seal,
                                                                         len)}};
  seal_and_deliver(h, from, &hdr, IKE_PT_SKF, &skf, inner, len);
}

void fuzz_send_raw(struct harness *h, int to, const uint8_t *msg, size_t len, uint16_t port) {
  struct nd_addr peer = {.family = AF_INET, .ip = {192, 0, 2, to ? 1 : 2}, .port = port};
  struct nd_addr me = {.family = AF_INET, .ip = {192, 0, 2, to ? 2 : 1}, .port = port};
  nd_engine_receive(h->eng[to], h->now, &me, &peer, msg, len);
}
