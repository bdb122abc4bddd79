/* Building, protecting, sending and retransmitting IKE messages; opening protected ones. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"

struct ike_payload_out nd_out(uint8_t type, const union ike_payload_body *body) {
  return (struct ike_payload_out){.type = type, .critical = false, .body = body};
}

void nd_notify_body(union ike_payload_body *body, uint8_t protocol, uint16_t type,
                    const uint8_t *data, size_t len) {
  body->notify.protocol = protocol;
  body->notify.type = type;
  body->notify.spi = (struct wire_view){NULL, 0};
  body->notify.data = (struct wire_view){data, len};
}

bool nd_decode_first(const struct ike_chain *chain, uint8_t type, union ike_payload_body *out) {
  int i = ike_chain_find(chain, type, 0);
  return i >= 0 && ike_chain_decode(&chain->payloads[i], out) == IKE_OK;
}

bool nd_notify_data(const struct ike_chain *chain, uint16_t type, struct wire_view *data) {
  int i = ike_chain_find_notify(chain, type);
  union ike_payload_body body;
  if (i < 0 || ike_chain_decode(&chain->payloads[i], &body) != IKE_OK)
    return false;
  *data = body.notify.data;
  return true;
}

uint16_t nd_first_error_notify(const struct ike_chain *chain) {
  for (size_t i = 0; i < chain->count; i++) {
    uint16_t type = ike_ref_notify_type(&chain->payloads[i]);
    if (chain->payloads[i].type == IKE_PT_NOTIFY && type != 0 && ike_notify_is_error(type))
      return type;
  }
  return 0;
}

/* Error notifies we send, for the metrics (retransmissions resend built datagrams: once). */
static void count_sent_notifies(struct nd_engine *e, const struct ike_payload_out *payloads,
                                size_t count) {
  for (size_t i = 0; i < count; i++)
    if (payloads[i].type == IKE_PT_NOTIFY && payloads[i].body)
      nd_stats_notify(e->stats.notify_sent, payloads[i].body->notify.type);
}

int nd_send_raw(struct nd_engine *e, const struct nd_addr *local, const struct nd_addr *remote,
                const uint8_t *msg, size_t len) {
  e->stats.tx++;
  return e->io.send ? e->io.send(e->io.ctx, local, remote, msg, len) : -1;
}

static void log_build_error(const char *what, const struct ike_error *err) {
  char text[200];
  ike_error_format(err, text, sizeof text);
  ND_ERROR("cannot build %s: %s", what, text);
}

/* An unprotected message (IKE_SA_INIT) into a single datagram. */
static int build_clear(struct nd_engine *e, const struct ike_header *hdr,
                       const struct ike_payload_out *payloads, size_t count,
                       struct nd_datagrams *out) {
  count_sent_notifies(e, payloads, count);
  struct wire_writer w;
  struct ike_build_info info;
  struct ike_error err;
  memset(out, 0, sizeof *out);
  wire_writer_init(&w, e->out_buf, ND_MAX_MSG);
  if (ike_message_build(&w, hdr, payloads, count, &info, &err) != IKE_OK) {
    log_build_error(ike_exchange_name(hdr->exchange), &err);
    return -1;
  }
  out->buf = malloc(info.length);
  if (!out->buf)
    return -1;
  memcpy(out->buf, e->out_buf, info.length);
  out->len = info.length;
  return 0;
}

/* Inner payloads -> plaintext, then one SK message or SKF fragments (frag.c). */
static int build_protected(struct nd_engine *e, struct nd_ike_sa *sa, const struct ike_header *hdr,
                           const struct ike_payload_out *payloads, size_t count,
                           struct nd_datagrams *out) {
  count_sent_notifies(e, payloads, count);
  struct wire_writer w;
  struct ike_build_info info;
  struct ike_error err;
  uint8_t first = IKE_PT_NONE;
  wire_writer_init(&w, e->inner_buf, ND_MAX_MSG);
  if (ike_chain_build(&w, payloads, count, &first, &info, &err) != IKE_OK) {
    log_build_error("inner payloads", &err);
    return -1;
  }
  if (nd_frag_protect(e, sa, hdr, first, wire_writer_len(&w), out) != 0) {
    ND_ERROR("ike#%llu: cannot protect %s", (unsigned long long)sa->id,
             ike_exchange_name(hdr->exchange));
    return -1;
  }
  return 0;
}

static int build(struct nd_engine *e, struct nd_ike_sa *sa, const struct ike_header *hdr,
                 const struct ike_payload_out *payloads, size_t count, struct nd_datagrams *out) {
  if (hdr->exchange == IKE_EXCH_IKE_SA_INIT)
    return build_clear(e, hdr, payloads, count, out);
  if (!sa->seal) {
    ND_ERROR("ike#%llu: no keys to protect %s", (unsigned long long)sa->id,
             ike_exchange_name(hdr->exchange));
    return -1;
  }
  return build_protected(e, sa, hdr, payloads, count, out);
}

int nd_send_request(struct nd_engine *e, struct nd_ike_sa *sa, uint8_t exchange,
                    enum nd_request_kind kind, const struct ike_payload_out *payloads,
                    size_t count) {
  if (sa->req.kind != ND_REQ_NONE) {
    ND_ERROR("ike#%llu: request window full (internal error)", (unsigned long long)sa->id);
    return -1;
  }
  struct ike_header hdr;
  ike_header_init(&hdr, exchange, sa->initiator ? IKE_FLAG_INITIATOR : 0, sa->next_mid, sa->spi_i,
                  sa->spi_r);
  struct nd_datagrams dg;
  if (build(e, sa, &hdr, payloads, count, &dg) != 0)
    return -1;
  nd_dg_free(&sa->req.dg);
  const struct nd_config *cfg = &sa->cfg_ref->cfg;
  sa->req = (struct nd_request){.kind = kind,
                                .exchange = exchange,
                                .mid = sa->next_mid,
                                .dg = dg,
                                .next_ms = e->now_ms + cfg->daemon.retransmit_timeout_ms};
  sa->next_mid++;
  ND_DEBUG("ike#%llu -> %s request mid %u (%zu octets)", (unsigned long long)sa->id,
           ike_exchange_name(exchange), hdr.message_id, dg.len);
  nd_dg_send(e, &sa->local, &sa->remote, &sa->req.dg);
  return 0;
}

int nd_send_response(struct nd_engine *e, struct nd_ike_sa *sa, const struct nd_rx *rx,
                     const struct ike_payload_out *payloads, size_t count) {
  struct ike_header hdr;
  uint8_t flags = IKE_FLAG_RESPONSE | (sa->initiator ? IKE_FLAG_INITIATOR : 0);
  ike_header_init(&hdr, rx->msg.hdr.exchange, flags, rx->msg.hdr.message_id, sa->spi_i,
                  sa->spi_r);
  struct nd_datagrams dg;
  if (build(e, sa, &hdr, payloads, count, &dg) != 0)
    return -1;
  nd_dg_free(&sa->resp.dg);
  sa->resp = (struct nd_response_cache){.valid = true, .mid = hdr.message_id, .dg = dg};
  memcpy(sa->resp.request_hash, rx->hash, ND_HASH_LEN);
  sa->expected_mid = hdr.message_id + 1;
  ND_DEBUG("ike#%llu -> %s response mid %u (%zu octets)", (unsigned long long)sa->id,
           ike_exchange_name(hdr.exchange), hdr.message_id, dg.len);
  nd_dg_send(e, &rx->local, &rx->remote, &sa->resp.dg);
  return 0;
}

int nd_send_init_notify(struct nd_engine *e, const struct nd_rx *rx, uint16_t type,
                        const uint8_t *data, size_t len) {
  struct ike_header hdr;
  ike_header_init(&hdr, IKE_EXCH_IKE_SA_INIT, IKE_FLAG_RESPONSE, 0, rx->msg.hdr.spi_i, 0);
  union ike_payload_body n;
  nd_notify_body(&n, IKE_PROTO_NONE, type, data, len);
  struct ike_payload_out out = nd_out(IKE_PT_NOTIFY, &n);
  struct nd_datagrams dg;
  if (build_clear(e, &hdr, &out, 1, &dg) != 0)
    return -1;
  int rc = nd_dg_send(e, &rx->local, &rx->remote, &dg);
  nd_dg_free(&dg);
  return rc;
}

void nd_request_done(struct nd_ike_sa *sa) {
  nd_dg_free(&sa->req.dg);
  sa->req = (struct nd_request){.kind = ND_REQ_NONE};
}

bool nd_retransmit_due(struct nd_engine *e, struct nd_ike_sa *sa) {
  const struct nd_daemon_cfg *d = &sa->cfg_ref->cfg.daemon;
  if (sa->req.retransmits >= d->retransmit_tries) {
    char why[96];
    snprintf(why, sizeof why, "no answer to %s after %u retransmissions",
             ike_exchange_name(sa->req.exchange), sa->req.retransmits);
    nd_sa_destroy(e, sa, why);
    return false;
  }
  sa->req.retransmits++;
  e->stats.retransmits++;
  /* Exponential backoff (RFC 7296 2.1): the wait doubles after every retransmission. */
  uint64_t wait = (uint64_t)d->retransmit_timeout_ms << sa->req.retransmits;
  sa->req.next_ms = e->now_ms + wait;
  ND_DEBUG("ike#%llu retransmits %s mid %u (#%u)", (unsigned long long)sa->id,
           ike_exchange_name(sa->req.exchange), sa->req.mid, sa->req.retransmits);
  nd_dg_send(e, &sa->local, &sa->remote, &sa->req.dg);
  return true;
}

/* RFC 7296 2.21.1/2.21.2: an authenticated request that does not parse is answered with
 * INVALID_SYNTAX, or UNSUPPORTED_CRITICAL_PAYLOAD naming the payload type (2.5); during IKE_AUTH
 * that also ends the IKE SA. */
static void answer_invalid_syntax(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_rx *rx,
                                  const struct ike_error *err) {
  if (ike_header_is_response(&rx->msg.hdr))
    return;
  union ike_payload_body n;
  if (err->code == IKE_ERR_UNSUPPORTED_CRITICAL)
    nd_notify_body(&n, IKE_PROTO_NONE, IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD, &err->payload_type, 1);
  else
    nd_notify_body(&n, IKE_PROTO_NONE, IKE_N_INVALID_SYNTAX, NULL, 0);
  struct ike_payload_out out = nd_out(IKE_PT_NOTIFY, &n);
  nd_send_response(e, sa, rx, &out, 1);
  if (rx->msg.hdr.exchange == IKE_EXCH_IKE_AUTH)
    nd_sa_destroy(e, sa, "IKE_AUTH request with invalid syntax");
}

bool nd_parse_inner(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_rx *rx, uint8_t first,
                    size_t len) {
  struct ike_error err;
  enum ike_err rc = ike_inner_parse(first, e->scratch, len, &rx->inner, &err);
  if (rc == IKE_OK)
    rc = ike_rules_check_inner(&rx->msg, &rx->inner, &err);
  if (rc == IKE_OK)
    return true;
  char text[200];
  ike_error_format(&err, text, sizeof text);
  ND_WARN("ike#%llu: %s %s: %s", (unsigned long long)sa->id,
          ike_exchange_name(rx->msg.hdr.exchange),
          ike_header_is_response(&rx->msg.hdr) ? "response" : "request", text);
  e->stats.invalid++;
  answer_invalid_syntax(e, sa, rx, &err);
  return false;
}

bool nd_open_protected(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_rx *rx) {
  const struct ike_payload_ref *sk = &rx->msg.clear.payloads[rx->msg.encrypted_index];
  if (!sa->open) {
    e->stats.dropped++;
    return false;
  }
  if (sk->type == IKE_PT_SKF)
    return nd_frag_receive(e, sa, rx);
  size_t inner_len = 0;
  enum ike_crypto_status st = ike_sk_open_body(
      sa->open, ike_bytes_of(rx->msg.aad.ptr, rx->msg.aad.len),
      ike_bytes_of(sk->body.ptr, sk->body.len), e->scratch, ND_MAX_MSG, &inner_len);
  if (st != IKE_CRYPTO_OK) {
    /* Silently dropped: an unauthenticated message must not change anything (2.21.2). */
    ND_DEBUG("ike#%llu: SK payload rejected: %s", (unsigned long long)sa->id,
             ike_crypto_strerror(st));
    e->stats.invalid++;
    return false;
  }
  return nd_parse_inner(e, sa, rx, sk->next_payload, inner_len);
}
