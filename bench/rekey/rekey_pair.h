/* Two nicsecd engines in one process that talk IKE over real UDP sockets on the loopback
 * (127.0.0.1 and 127.0.0.2, one port) and install their Child SAs on two "soft" HAL devices,
 * which encrypt and decrypt with OpenSSL. Time is the real monotonic clock. The pump reads
 * whatever datagrams wait, hands them to the engines and fires due timers. */
#ifndef NICSEC_BENCH_REKEY_PAIR_H
#define NICSEC_BENCH_REKEY_PAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"

struct rk_pair {
  struct nd_engine *eng[2];
  struct nicsec_hal_dev *hal[2];
  int fd[2];
  struct nd_addr addr[2];
  uint64_t ike_messages; /* datagrams delivered to an engine */
  double engine_cpu_s;   /* CPU time inside the engines (receive, tick, rekey requests) */
  /* Called after every delivered datagram and tick, and once per pump before the ticks
   * (traffic rides on it). */
  void (*on_event)(void *ctx);
  void *event_ctx;
};

/* Opens both sides: IKE on 127.0.0.1/127.0.0.2 at `port`, Child SA proposal `esp` (PFS when it
 * names a key exchange), no lifetimes (rekeys are driven), inbound drain of drain_ms. */
bool rk_pair_open(struct rk_pair *p, uint16_t port, const char *esp, uint32_t drain_ms);
void rk_pair_close(struct rk_pair *p);
uint64_t rk_now_ms(void);
double rk_thread_cpu_s(void);
/* nd_engine_rekey_child on one side, its CPU time counted in engine_cpu_s. */
int rk_pair_rekey(struct rk_pair *p, int side, char *err, size_t err_len);
/* Delivers what the sockets hold and ticks due timers; waits up to wait_ms for a datagram.
 * Returns the number of datagrams delivered. */
size_t rk_pair_pump(struct rk_pair *p, int wait_ms);

/* One side's single INSTALLED Child SA (false unless exactly one IKE SA is ESTABLISHED and it
 * has exactly one INSTALLED child). */
struct rk_child {
  uint32_t spi_in, spi_out;
  size_t n_children; /* every child the IKE SA still holds (draining ones included) */
};
bool rk_pair_child(const struct rk_pair *p, int side, struct rk_child *out);
/* Both sides hold one INSTALLED child with crossed SPIs; *spi_in0 is side 0's inbound SPI. */
bool rk_pair_agree(const struct rk_pair *p, uint32_t *spi_in0);

#endif
