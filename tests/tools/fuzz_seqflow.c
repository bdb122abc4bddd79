/* libFuzzer target: the seqflow datagram parser and receiver accounting. The input is split
 * into datagrams by a leading length byte each, so one run exercises stream state. */
#include <stddef.h>
#include <stdint.h>

#include "seqflow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct seqflow_stats st;
  struct seqflow_summary sum;
  seqflow_stats_init(&st);
  while (size > 0) {
    size_t len = data[0] < size - 1 ? data[0] : size - 1;
    if (!seqflow_stats_add(&st, data + 1, len)) {
      break;
    }
    data += 1 + len;
    size -= 1 + len;
  }
  seqflow_stats_summarize(&st, &sum);
  seqflow_stats_free(&st);
  return 0;
}
