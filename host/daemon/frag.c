/* IKE fragmentation (RFC 7383): sending a protected message as SKF fragments, collecting and
 * reassembling received fragments, and the store of sent datagrams used for retransmission. */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"

enum { SKF_HEADER = 4 + 4 }; /* generic payload header + Fragment Number + Total Fragments */

/* ---- datagram store ------------------------------------------------------------------------ */

void nd_dg_free(struct nd_datagrams *d) {
  free(d->buf);
  free(d->parts);
  memset(d, 0, sizeof *d);
}

int nd_dg_send(struct nd_engine *e, const struct nd_addr *local, const struct nd_addr *remote,
               const struct nd_datagrams *d) {
  if (!d->parts)
    return nd_send_raw(e, local, remote, d->buf, d->len);
  int rc = 0;
  for (size_t i = 0, off = 0; i < d->n_parts; off += d->parts[i++])
    rc |= nd_send_raw(e, local, remote, d->buf + off, d->parts[i]);
  return rc;
}

/* ---- sending ------------------------------------------------------------------------------- */

/* Octets an IKE message may have so that its IP datagram fits the configured fragment size. */
static size_t message_budget(const struct nd_ike_sa *sa) {
  size_t ip = sa->remote.family == AF_INET ? 20 : 40, udp = 8, marker = sa->natt ? 4 : 0;
  return sa->cfg_ref->cfg.daemon.fragment_size - ip - udp - marker;
}

/* Header + SK payload with room for the sealed body, then seal in place. */
static size_t seal_one(struct nd_ike_sa *sa, const struct ike_header *hdr, uint8_t payload_type,
                       const union ike_payload_body *body, const uint8_t *inner, size_t inner_len,
                       uint8_t *out, size_t cap) {
  struct ike_payload_out p = nd_out(payload_type, body);
  struct wire_writer w;
  struct ike_build_info info;
  struct ike_error err;
  size_t sealed = 0;
  wire_writer_init(&w, out, cap);
  if (ike_message_build(&w, hdr, &p, 1, &info, &err) != IKE_OK)
    return 0;
  size_t off = info.encrypted_offset;
  if (ike_sk_seal(sa->seal, ike_bytes_of(out, off), ike_bytes_of(inner, inner_len), out + off,
                  cap - off, &sealed) != IKE_CRYPTO_OK)
    return 0;
  return info.length;
}

/* The largest fragment content whose SKF message fits the budget. */
static size_t fragment_chunk(const struct nd_ike_sa *sa, size_t budget) {
  size_t fixed = IKE_HEADER_LEN + SKF_HEADER;
  if (budget <= fixed + ike_sk_body_len(sa->seal, 1))
    return 0;
  size_t chunk = budget - fixed;
  while (chunk > 0 && fixed + ike_sk_body_len(sa->seal, chunk) > budget)
    chunk--;
  return chunk;
}

static int protect_fragments(struct nd_engine *e, struct nd_ike_sa *sa,
                             const struct ike_header *hdr, uint8_t first, size_t inner_len,
                             size_t budget, struct nd_datagrams *out) {
  size_t chunk = fragment_chunk(sa, budget);
  size_t total = chunk ? (inner_len + chunk - 1) / chunk : 0;
  if (total < 2 || total > ND_MAX_FRAGMENTS) {
    ND_ERROR("ike#%llu: cannot fragment %zu octets into at most %d fragments of %zu",
             (unsigned long long)sa->id, inner_len, ND_MAX_FRAGMENTS, budget);
    return -1;
  }
  out->parts = calloc(total, sizeof *out->parts);
  out->buf = malloc(total * budget);
  if (!out->parts || !out->buf)
    return -1;
  for (size_t i = 0; i < total; i++) {
    size_t off = i * chunk, len = inner_len - off < chunk ? inner_len - off : chunk;
    union ike_payload_body skf;
    skf.skf = (struct ike_skf_payload){.first_inner = i == 0 ? first : 0,
                                       .fragment_number = (uint16_t)(i + 1),
                                       .total_fragments = (uint16_t)total,
                                       .encrypted = {NULL, ike_sk_body_len(sa->seal, len)}};
    size_t n = seal_one(sa, hdr, IKE_PT_SKF, &skf, e->inner_buf + off, len, out->buf + out->len,
                        total * budget - out->len);
    if (n == 0)
      return -1;
    out->parts[out->n_parts++] = n;
    out->len += n;
  }
  ND_DEBUG("ike#%llu: %s mid %u sent as %zu fragments", (unsigned long long)sa->id,
           ike_exchange_name(hdr->exchange), hdr->message_id, total);
  return 0;
}

int nd_frag_protect(struct nd_engine *e, struct nd_ike_sa *sa, const struct ike_header *hdr,
                    uint8_t first, size_t inner_len, struct nd_datagrams *out) {
  memset(out, 0, sizeof *out);
  size_t whole = IKE_HEADER_LEN + IKE_GENERIC_HEADER_LEN + ike_sk_body_len(sa->seal, inner_len);
  size_t budget = message_budget(sa);
  int rc;
  if (sa->frag_ok && whole > budget) {
    rc = protect_fragments(e, sa, hdr, first, inner_len, budget, out);
  } else {
    union ike_payload_body sk;
    sk.sk = (struct ike_sk_payload){first, {NULL, ike_sk_body_len(sa->seal, inner_len)}};
    out->buf = malloc(whole);
    out->len = out->buf ? seal_one(sa, hdr, IKE_PT_SK, &sk, e->inner_buf, inner_len, out->buf,
                                   whole)
                        : 0;
    rc = out->len ? 0 : -1;
  }
  OPENSSL_cleanse(e->inner_buf, inner_len);
  if (rc != 0)
    nd_dg_free(out);
  return rc;
}

/* ---- receiving ----------------------------------------------------------------------------- */

void nd_frag_reset(struct nd_ike_sa *sa) {
  struct nd_reassembly *r = sa->reasm;
  if (!r)
    return;
  for (size_t i = 0; i < ND_MAX_FRAGMENTS; i++)
    if (r->data[i]) {
      OPENSSL_cleanse(r->data[i], r->len[i]);
      free(r->data[i]);
    }
  free(r);
  sa->reasm = NULL;
}

uint16_t nd_frag_number(const struct nd_rx *rx) {
  union ike_payload_body body;
  if (rx->msg.encrypted_index < 0)
    return 0;
  const struct ike_payload_ref *ref = &rx->msg.clear.payloads[rx->msg.encrypted_index];
  if (ref->type != IKE_PT_SKF || ike_chain_decode(ref, &body) != IKE_OK)
    return 0;
  return body.skf.fragment_number;
}

/* Starts collecting for this message, or keeps collecting; false when the fragment is to be
 * ignored (RFC 7383 2.6.1: a smaller Total Fragments than already seen). */
static bool reassembly_for(struct nd_ike_sa *sa, const struct nd_rx *rx, uint16_t total) {
  struct nd_reassembly *r = sa->reasm;
  bool response = ike_header_is_response(&rx->msg.hdr);
  uint32_t mid = rx->msg.hdr.message_id;
  if (r && r->mid == mid && r->response == response) {
    if (total < r->total)
      return false;
    if (total == r->total)
      return true;
  }
  nd_frag_reset(sa); /* a new message, or the same one re-fragmented into more pieces */
  sa->reasm = calloc(1, sizeof *sa->reasm);
  if (!sa->reasm)
    return false;
  *sa->reasm = (struct nd_reassembly){.response = response, .mid = mid, .total = total};
  return true;
}

/* Concatenates the fragments into e->scratch and parses them as one SK payload's content. */
static bool reassemble(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_rx *rx) {
  struct nd_reassembly *r = sa->reasm;
  size_t len = 0;
  for (uint16_t i = 0; i < r->total; i++) {
    memcpy(e->scratch + len, r->data[i], r->len[i]);
    len += r->len[i];
  }
  uint8_t first = r->first_inner;
  nd_frag_reset(sa);
  ND_DEBUG("ike#%llu: reassembled %zu octets", (unsigned long long)sa->id, len);
  return nd_parse_inner(e, sa, rx, first, len);
}

bool nd_frag_receive(struct nd_engine *e, struct nd_ike_sa *sa, struct nd_rx *rx) {
  const struct ike_payload_ref *ref = &rx->msg.clear.payloads[rx->msg.encrypted_index];
  union ike_payload_body body;
  if (!sa->frag_ok || ike_chain_decode(ref, &body) != IKE_OK)
    return false; /* fragments were not negotiated: RFC 7383 2.5 says drop */
  const struct ike_skf_payload *f = &body.skf;
  if (f->total_fragments > ND_MAX_FRAGMENTS)
    return false;
  size_t len = 0;
  /* Each fragment is authenticated on its own before anything is kept (RFC 7383 2.6). */
  if (ike_sk_open_body(sa->open, ike_bytes_of(rx->msg.aad.ptr, rx->msg.aad.len),
                       ike_bytes_of(f->encrypted.ptr, f->encrypted.len), e->scratch, ND_MAX_MSG,
                       &len) != IKE_CRYPTO_OK) {
    e->stats.invalid++;
    return false;
  }
  if (!reassembly_for(sa, rx, f->total_fragments))
    return false;
  struct nd_reassembly *r = sa->reasm;
  size_t slot = f->fragment_number - 1u;
  if (r->data[slot] || r->bytes + len > ND_MAX_MSG)
    return false; /* a duplicate, or more than one message can hold */
  r->data[slot] = malloc(len ? len : 1);
  if (!r->data[slot])
    return false;
  memcpy(r->data[slot], e->scratch, len);
  r->len[slot] = len;
  r->bytes += len;
  if (f->fragment_number == 1)
    r->first_inner = f->first_inner;
  return ++r->have == r->total && reassemble(e, sa, rx);
}
