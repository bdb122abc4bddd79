/* libFuzzer target: nicsecd's message-dispatch entry point (nd_engine_receive) with configured
 * connections, at every stage of the handshake, including protected messages whose inner
 * payloads are fuzzed behind a valid ICV (see fuzz_common.h for the input layout). The daemon
 * must never crash or read out of bounds, whatever a peer sends; ASan/UBSan check that. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "ikecodec_consts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void patch_header(uint8_t *msg, size_t len, const struct nd_ike_view *sa, uint8_t flags,
                         uint8_t exchange) {
  if (len < 28)
    return;
  if (exchange == IKE_EXCH_IKE_SA_INIT)
    memset(msg + 20, 0, 4); /* Message ID 0, as the pending request has */
  for (int i = 0; i < 8; i++) {
    msg[i] = (uint8_t)(sa->spi_i >> (56 - 8 * i));
    msg[8 + i] = (uint8_t)(sa->spi_r >> (56 - 8 * i));
  }
  msg[17] = 0x20;
  if (exchange)
    msg[18] = exchange;
  msg[19] = flags;
}

static void raw_to_sa(struct harness *h, int to, uint8_t *msg, size_t len, uint8_t flags,
                      uint8_t exchange, bool keep_spi_r) {
  struct h_ike view;
  if (h_list(h, 0, &view, 1) != 1) /* the initiator side has the SA in every raw mode */
    return;
  uint64_t spi_r = view.ike.spi_r;
  if (keep_spi_r && len >= 16)
    for (int i = 0; i < 8; i++)
      spi_r = spi_r << 8 | msg[8 + i];
  view.ike.spi_r = spi_r;
  patch_header(msg, len, &view.ike, flags, exchange);
  fuzz_send_raw(h, to, msg, len, 500);
}

/* Splits the inner payloads into fragments; bits of `order` reverse the order and repeat
 * fragment 1, so reassembly sees out-of-order and duplicate pieces. */
static void send_fragments(struct harness *h, uint8_t total_byte, uint8_t order,
                           const uint8_t *inner, size_t len) {
  uint16_t total = (uint16_t)(total_byte % 8 + 1);
  size_t piece = len / total + 1;
  for (uint16_t k = 0; k < total; k++) {
    uint16_t i = (order & 1) ? (uint16_t)(total - 1 - k) : k;
    size_t off = i * piece < len ? i * piece : len;
    size_t n = len - off < piece ? len - off : piece;
    fuzz_send_fragment(h, 0, IKE_EXCH_INFORMATIONAL, (uint16_t)(i + 1), total,
                       IKE_PT_DELETE, inner + off, n);
    if ((order & 2) && i == 0)
      fuzz_send_fragment(h, 0, IKE_EXCH_INFORMATIONAL, 1, total, IKE_PT_DELETE, inner, n);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 3 || size > 65536)
    return 0;
  enum fuzz_mode mode = (enum fuzz_mode)(data[0] % FUZZ_MODES);
  uint8_t exchange = data[1], first = data[2];
  const uint8_t *rest = data + 3;
  size_t len = size - 3;
  static uint8_t msg[65536];
  memcpy(msg, rest, len);
  struct harness h;
  if (!fuzz_prepare(&h, mode)) {
    h_free(&h);
    return 0;
  }
  switch (mode) {
  case FUZZ_RAW_NEW:
    fuzz_send_raw(&h, 1, msg, len, exchange & 1 ? 4500 : 500);
    break;
  case FUZZ_INIT_RESPONSE: /* the responder's SPI comes from the input */
    raw_to_sa(&h, 0, msg, len, 0x20, IKE_EXCH_IKE_SA_INIT, true);
    break;
  case FUZZ_AUTH_REQUEST:
    fuzz_send_protected(&h, 0, IKE_EXCH_IKE_AUTH, false, first, rest, len);
    break;
  case FUZZ_AUTH_RESPONSE:
    fuzz_send_protected(&h, 1, IKE_EXCH_IKE_AUTH, true, first, rest, len);
    break;
  case FUZZ_ESTABLISHED_REQUEST:
    fuzz_send_protected(&h, 0, exchange, false, first, rest, len);
    break;
  case FUZZ_DPD_RESPONSE:
    fuzz_send_protected(&h, 1, IKE_EXCH_INFORMATIONAL, true, first, rest, len);
    break;
  case FUZZ_RAW_ESTABLISHED:
    raw_to_sa(&h, 1, msg, len, 0x08, 0, false);
    break;
  case FUZZ_FRAGMENTS:
    send_fragments(&h, exchange, first, rest, len);
    break;
  default:
    break;
  }
  h_run(&h, 16); /* whatever the engines answer goes to the other side too */
  h_advance(&h, h.now + 60000);
  h_free(&h);
  return 0;
}
