/* SA descriptors: encoding (a table of the register map's SA_DESC fields) and running batches
 * of them through nicsim's descriptor ring. */
#include "sim_desc.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "nicsec_regs.h"
#include "sim_dev.h"

_Static_assert(NICSIM_SA_DESC_OCTETS == NICSEC_SA_DESC_SIZE,
               "nicsim's descriptor size must follow the register map");

enum {
  STEP_CYCLES = 16,           /* in process: clocks between looks at the completion ring */
  CYCLES_PER_DESC = 400,      /* in process: far above an INSTALL's key expansion + H */
  ATTACHED_TIMEOUT_MS = 5000, /* attached: nicsim's loop is a separate, maybe busy, process */
  /* Attached waits: every wake-up costs the host CPU time, and a batch takes nicsim
   * milliseconds of wall time. Until the first completion the nap doubles from NAP_FIRST_US;
   * after it, the caller sleeps for what the completions so far predict the rest will take. */
  NAP_FIRST_US = 20,
  NAP_BACKOFF_MAX_US = 1000,
  NAP_PREDICT_MAX_US = 100000,
};

static void put_be(uint8_t *p, uint64_t v, unsigned octets) {
  for (unsigned i = octets; i-- > 0; v >>= 8)
    p[i] = (uint8_t)v;
}

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void sim_desc_encode(uint8_t desc[NICSIM_SA_DESC_OCTETS], uint32_t op, uint32_t idx, uint32_t tag,
                     const struct nicsec_hal_sa *sa, bool active) {
  const struct {
    unsigned offset, octets;
    uint64_t value;
  } fields[] = {
      {NICSEC_SA_DESC_OP, 1, op},
      {NICSEC_SA_DESC_DIR, 1, sa->dir == NICSEC_HAL_DIR_IN},
      {NICSEC_SA_DESC_INDEX, 2, idx},
      {NICSEC_SA_DESC_TAG, 4, tag},
      {NICSEC_SA_DESC_SPI, 4, sa->spi},
      {NICSEC_SA_DESC_SALT, 4, be32(sa->salt)},
      {NICSEC_SA_DESC_FLAGS, 4, sim_sa_flags_word(sa, active)},
      {NICSEC_SA_DESC_SRC, 4, be32(sa->src.bytes)},
      {NICSEC_SA_DESC_DST, 4, be32(sa->dst.bytes)},
      {NICSEC_SA_DESC_PORTS, 4, sim_sa_ports_word(sa)},
      {NICSEC_SA_DESC_SEQ, 8, sa->initial_seq},
      {NICSEC_SA_DESC_SOFT_PKTS, 8, sa->limits.soft_packets},
      {NICSEC_SA_DESC_HARD_PKTS, 8, sa->limits.hard_packets},
      {NICSEC_SA_DESC_SOFT_BYTES, 8, sa->limits.soft_bytes},
      {NICSEC_SA_DESC_HARD_BYTES, 8, sa->limits.hard_bytes},
  };
  memset(desc, 0, NICSIM_SA_DESC_OCTETS); /* RESERVED stays zero; so does a short key's tail */
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
    put_be(desc + fields[i].offset, fields[i].value, fields[i].octets);
  size_t key_len = sa->key_len <= 32 ? sa->key_len : 32;
  memcpy(desc + NICSEC_SA_DESC_KEY, sa->key, key_len);
}

static uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* The next attached nap: back off before any completion, then extrapolate. */
static long next_nap_us(long nap_us, uint64_t elapsed_us, size_t done, size_t left) {
  if (done == 0)
    return nap_us * 2 < NAP_BACKOFF_MAX_US ? nap_us * 2 : NAP_BACKOFF_MAX_US;
  uint64_t predicted = elapsed_us * left / done;
  return predicted < NAP_FIRST_US         ? NAP_FIRST_US
         : predicted > NAP_PREDICT_MAX_US ? NAP_PREDICT_MAX_US
                                          : (long)predicted;
}

/* Lets the device make progress on descriptors done..n-1: in process by running the clock,
 * attached by sleeping while nicsim works. false once the wait has gone on too long. */
static bool wait_device(struct nicsim *sim, bool attached, uint64_t start_cycle, uint64_t start_us,
                        size_t done, size_t n, long *nap_us) {
  if (!attached) {
    nicsim_step(sim, STEP_CYCLES);
    return nicsim_cycles(sim) - start_cycle < (uint64_t)CYCLES_PER_DESC * (n + 1);
  }
  const struct timespec nap = {*nap_us / 1000000, (*nap_us % 1000000) * 1000};
  nanosleep(&nap, NULL);
  uint64_t elapsed = now_us() - start_us;
  *nap_us = next_nap_us(*nap_us, elapsed, done, n - done);
  return elapsed < (uint64_t)ATTACHED_TIMEOUT_MS * 1000;
}

enum nicsec_hal_err sim_desc_run(struct nicsim *sim, bool attached, const uint8_t *descs, size_t n,
                                 uint32_t *status) {
  struct nicsim_desc_cpl cpls[64];
  /* Completions of an earlier run that gave up are not this run's. */
  if (nicsim_desc_pending(sim) > 0)
    return NICSEC_HAL_E_DEVICE;
  while (nicsim_desc_reap(sim, cpls, sizeof cpls / sizeof cpls[0]) > 0)
    ;
  size_t posted = 0, done = 0;
  uint64_t start_cycle = nicsim_cycles(sim), start_us = now_us();
  long nap_us = NAP_FIRST_US;
  while (done < n) {
    posted += nicsim_desc_post(sim, descs + posted * NICSIM_SA_DESC_OCTETS, n - posted);
    size_t got = nicsim_desc_reap(sim, cpls, sizeof cpls / sizeof cpls[0]);
    for (size_t i = 0; i < got; i++, done++) {
      if (cpls[i].tag != (uint32_t)done)
        return NICSEC_HAL_E_DEVICE;
      status[done] = cpls[i].status;
    }
    if (done < n && got == 0 &&
        !wait_device(sim, attached, start_cycle, start_us, done, n, &nap_us))
      return NICSEC_HAL_E_DEVICE;
  }
  return NICSEC_HAL_OK;
}

/* Deletes (zeroizes) every entry of the batch, through the ring and, should the ring fail,
 * through the mailbox. */
static void delete_all(struct nicsim *sim, bool attached, const struct nicsec_hal_sa *sas, size_t n,
                       const uint32_t *slots, uint8_t *descs, uint32_t *status) {
  for (size_t i = 0; i < n; i++)
    sim_desc_encode(descs + i * NICSIM_SA_DESC_OCTETS, NICSEC_SA_OP_DELETE, slots[i], (uint32_t)i,
                    &sas[i], false);
  enum nicsec_hal_err err = sim_desc_run(sim, attached, descs, n, status);
  for (size_t i = 0; i < n; i++)
    if (err || status[i] != NICSEC_DESC_STATUS_OK)
      (void)sim_sa_delete(sim, sas[i].dir, slots[i]);
}

size_t sim_desc_install_batch(struct nicsim *sim, bool attached, const struct nicsec_hal_sa *sas,
                              size_t n, const uint32_t *slots, enum nicsec_hal_err *err) {
  uint8_t *descs = calloc(n, NICSIM_SA_DESC_OCTETS);
  uint32_t *status = calloc(n, sizeof *status);
  size_t bad = 0;
  *err = NICSEC_HAL_E_NOMEM;
  if (descs && status) {
    for (size_t i = 0; i < n; i++)
      sim_desc_encode(descs + i * NICSIM_SA_DESC_OCTETS, NICSEC_SA_OP_INSTALL, slots[i],
                      (uint32_t)i, &sas[i], true);
    *err = sim_desc_run(sim, attached, descs, n, status);
    while (!*err && bad < n && status[bad] == NICSEC_DESC_STATUS_OK)
      bad++;
    if (!*err && bad < n)
      *err = NICSEC_HAL_E_DEVICE; /* the engine refused a descriptor the driver checked */
    if (*err)
      delete_all(sim, attached, sas, n, slots, descs, status);
  }
  if (descs)
    OPENSSL_cleanse(descs, n * NICSIM_SA_DESC_OCTETS); /* keys */
  free(descs);
  free(status);
  return *err ? bad : n;
}
