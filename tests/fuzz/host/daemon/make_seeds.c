/* Writes the seed corpus of fuzz_daemon_dispatch: real messages of a PSK handshake between two
 * engines (the clear IKE_SA_INIT pair, and the decrypted inner payloads of IKE_AUTH and
 * INFORMATIONAL), each prefixed with the fuzzer's [mode][exchange][first payload] header.
 *   usage: fuzz_daemon_seeds <corpus dir> */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"
#include "fuzz_common.h"

static const char *dir;

static void write_seed(const char *name, uint8_t mode, uint8_t exchange, uint8_t first,
                       const uint8_t *data, size_t len) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f) {
    perror(path);
    exit(1);
  }
  uint8_t head[3] = {mode, exchange, first};
  fwrite(head, 1, 3, f);
  fwrite(data, 1, len, f);
  fclose(f);
}

/* Decrypts a protected message with the receiving SA's keys: the inner payload chain. */
static size_t open_inner(struct nd_ike_sa *receiver, const uint8_t *msg, size_t len,
                         uint8_t *out, uint8_t *first) {
  struct ike_message m;
  struct ike_error err;
  size_t inner_len = 0;
  if (ike_message_parse(msg, len, &m, &err) != IKE_OK || m.encrypted_index < 0)
    return 0;
  const struct ike_payload_ref *sk = &m.clear.payloads[m.encrypted_index];
  *first = sk->next_payload;
  if (ike_sk_open_body(receiver->open, ike_bytes_of(m.aad.ptr, m.aad.len),
                       ike_bytes_of(sk->body.ptr, sk->body.len), out, 65536,
                       &inner_len) != IKE_CRYPTO_OK)
    return 0;
  return inner_len;
}

static size_t build_chain(const struct ike_payload_out *p, size_t n, uint8_t *out, uint8_t *first) {
  struct wire_writer w;
  struct ike_build_info info;
  struct ike_error err;
  wire_writer_init(&w, out, 4096);
  return ike_chain_build(&w, p, n, first, &info, &err) == IKE_OK ? wire_writer_len(&w) : 0;
}

static void informational_seeds(void) {
  static uint8_t buf[4096];
  uint8_t first;
  union ike_payload_body del;
  struct ike_payload_out out = {.type = IKE_PT_DELETE, .body = &del};
  del.del = (struct ike_delete_payload){IKE_PROTO_IKE, 0, 0, {NULL, 0}};
  size_t n = build_chain(&out, 1, buf, &first);
  write_seed("info-delete-ike", FUZZ_ESTABLISHED_REQUEST, IKE_EXCH_INFORMATIONAL, first, buf, n);
  static const uint8_t spis[8] = {0, 0, 0x10, 0x01, 0xde, 0xad, 0xbe, 0xef};
  del.del = (struct ike_delete_payload){IKE_PROTO_ESP, 4, 2, {spis, 8}};
  n = build_chain(&out, 1, buf, &first);
  write_seed("info-delete-esp", FUZZ_ESTABLISHED_REQUEST, IKE_EXCH_INFORMATIONAL, first, buf, n);
  write_seed("dpd-response-delete", FUZZ_DPD_RESPONSE, IKE_EXCH_INFORMATIONAL, first, buf, n);
  write_seed("info-empty", FUZZ_ESTABLISHED_REQUEST, IKE_EXCH_INFORMATIONAL, 0, NULL, 0);
  write_seed("fragments-delete-esp", FUZZ_FRAGMENTS, 2, 0, buf, n);
  write_seed("dpd-response-empty", FUZZ_DPD_RESPONSE, IKE_EXCH_INFORMATIONAL, 0, NULL, 0);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
    return 2;
  }
  dir = argv[1];
  struct harness h;
  static uint8_t inner[65536];
  uint8_t first;
  if (!fuzz_prepare(&h, FUZZ_ESTABLISHED_REQUEST))
    return 1;
  h_free(&h);
  if (!fuzz_prepare(&h, FUZZ_INIT_RESPONSE))
    return 1;
  write_seed("init-request", FUZZ_RAW_NEW, 0, 0, h.last[0].msg, h.last[0].len);
  write_seed("init-request-natt", FUZZ_RAW_NEW, 1, 0, h.last[0].msg, h.last[0].len);
  h_free(&h);
  if (!fuzz_prepare(&h, FUZZ_AUTH_REQUEST))
    return 1;
  write_seed("init-response", FUZZ_INIT_RESPONSE, 0, 0, h.last[1].msg, h.last[1].len);
  struct nd_ike_sa *initiator = h.eng[0]->all, *responder = h.eng[1]->all;
  size_t n = open_inner(responder, h.last[0].msg, h.last[0].len, inner, &first);
  write_seed("auth-request", FUZZ_AUTH_REQUEST, IKE_EXCH_IKE_AUTH, first, inner, n);
  write_seed("create-child-request", FUZZ_ESTABLISHED_REQUEST, IKE_EXCH_CREATE_CHILD_SA, first,
             inner, n);
  write_seed("auth-request-raw", FUZZ_RAW_ESTABLISHED, 0, 0, h.last[0].msg, h.last[0].len);
  h_replay_last(&h, 0); /* the responder answers the IKE_AUTH request */
  n = open_inner(initiator, h.last[1].msg, h.last[1].len, inner, &first);
  write_seed("auth-response", FUZZ_AUTH_RESPONSE, IKE_EXCH_IKE_AUTH, first, inner, n);
  h_free(&h);
  informational_seeds();
  return 0;
}
