/* seqflow: a sequence-numbered UDP flow for measuring loss across SA changes.
 *
 * Wire format of one datagram (all integers big-endian):
 *   offset  size  field
 *        0     4  magic "SQF1"
 *        4     1  kind: 1 = data, 2 = end
 *        5     3  zero
 *        8     8  run id (random per sender run; the receiver follows the first it sees)
 *       16     8  data: sequence number (0, 1, 2, ...); end: number of data packets sent
 *       24     8  CLOCK_MONOTONIC send time in ns (informational)
 *       32     -  zero padding up to --size
 */
#ifndef NICSEC_TESTS_SEQFLOW_H
#define NICSEC_TESTS_SEQFLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SEQFLOW_HEADER_LEN 32u
#define SEQFLOW_MAX_SIZE 65000u

enum seqflow_kind { SEQFLOW_DATA = 1, SEQFLOW_END = 2 };

enum seqflow_parse_status {
  SEQFLOW_PARSE_OK = 0,
  SEQFLOW_PARSE_SHORT,    /* fewer than SEQFLOW_HEADER_LEN bytes */
  SEQFLOW_PARSE_MAGIC,    /* not a seqflow datagram */
  SEQFLOW_PARSE_KIND,     /* unknown kind or non-zero reserved bytes */
};

struct seqflow_packet {
  enum seqflow_kind kind;
  uint64_t run_id;
  uint64_t value; /* sequence number (data) or packets sent (end) */
  uint64_t sent_ns;
};

/* Writes the header into buf (len >= SEQFLOW_HEADER_LEN) and zero-fills the rest of len. */
void seqflow_encode(const struct seqflow_packet *pkt, uint8_t *buf, size_t len);
enum seqflow_parse_status seqflow_parse(const uint8_t *buf, size_t len,
                                        struct seqflow_packet *out);

/* Receiver accounting. Sequence numbers are tracked in a growable bitmap so duplicates and
 * gaps that are later filled (reordering) are told apart from loss. */
struct seqflow_stats {
  uint8_t *seen;          /* bitmap, bit n = sequence n arrived */
  uint64_t seen_bits;     /* capacity of seen in bits */
  uint64_t highest;       /* highest sequence seen so far (valid when received > 0) */
  uint64_t received;      /* distinct sequence numbers */
  uint64_t duplicates;
  uint64_t reordered;     /* arrived after a higher sequence number */
  uint64_t foreign;       /* datagrams of another run or not seqflow at all */
  uint64_t run_id;
  bool have_run;
  bool end_seen;
  uint64_t sent_by_peer;  /* from the end marker */
};

/* Largest sequence number the receiver accepts: bounds the bitmap (32 MiB) against a stray
 * datagram claiming sequence 2^63. */
#define SEQFLOW_MAX_SEQ ((uint64_t)1 << 28)

void seqflow_stats_init(struct seqflow_stats *st);
void seqflow_stats_free(struct seqflow_stats *st);
/* Accounts one datagram; returns false when out of memory. */
bool seqflow_stats_add(struct seqflow_stats *st, const uint8_t *buf, size_t len);

struct seqflow_summary {
  uint64_t expected;  /* sent_by_peer if the end marker came, else highest + 1 */
  uint64_t received;
  uint64_t lost;      /* expected sequence numbers never received */
  uint64_t max_gap;   /* longest run of consecutive lost sequence numbers */
  uint64_t max_gap_at; /* its first sequence number (where in the flow it happened) */
  uint64_t duplicates;
  uint64_t reordered;
  uint64_t foreign;
  bool end_seen;
};

void seqflow_stats_summarize(const struct seqflow_stats *st, struct seqflow_summary *sum);

/* The two roles; argv starts after the verb. Return the process exit status. */
int seqflow_send_main(int argc, char **argv);
int seqflow_recv_main(int argc, char **argv);

/* "ADDR:PORT" (IPv4 "a.b.c.d:p" or IPv6 "[addr]:p") into a sockaddr; false on bad input. */
struct sockaddr_storage;
bool seqflow_parse_endpoint(const char *text, struct sockaddr_storage *out, unsigned *out_len);

#endif
