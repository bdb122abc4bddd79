/* Driver side of the shared-memory BAR: maps /dev/shm/<name> created by a nicsim process and
 * performs MMIO accesses through its request/done mailbox. */
#include "nicsim_remote.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "nicsim_shm.h"

enum { ACCESS_TIMEOUT_MS = 2000, POLL_NS = 2000 };

struct nicsim_remote {
  struct nicsim_shm *bar;
};

struct nicsim_remote *nicsim_remote_open(const char *shm_name) {
  char path[96];
  if (!shm_name || strlen(shm_name) > 64 || strchr(shm_name, '/'))
    return NULL;
  path[0] = '/';
  strcpy(path + 1, shm_name);
  int fd = shm_open(path, O_RDWR, 0);
  if (fd < 0)
    return NULL;
  void *map = mmap(NULL, sizeof(struct nicsim_shm), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (map == MAP_FAILED)
    return NULL;
  struct nicsim_shm *bar = map;
  struct nicsim_remote *r = calloc(1, sizeof *r);
  if (!r || __atomic_load_n(&bar->magic, __ATOMIC_ACQUIRE) != NICSIM_SHM_MAGIC ||
      bar->version != NICSIM_SHM_VERSION) {
    free(r);
    munmap(map, sizeof(struct nicsim_shm));
    return NULL;
  }
  r->bar = bar;
  return r;
}

void nicsim_remote_close(struct nicsim_remote *r) {
  if (!r)
    return;
  munmap(r->bar, sizeof *r->bar);
  free(r);
}

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

enum nicsim_status nicsim_remote_access(struct nicsim_remote *r, uint32_t op, uint32_t addr,
                                        uint32_t *value) {
  struct nicsim_shm *bar = r->bar;
  uint32_t ticket = __atomic_load_n(&bar->done, __ATOMIC_ACQUIRE) + 1;
  bar->op = op;
  bar->addr = addr;
  bar->value = *value;
  __atomic_store_n(&bar->req, ticket, __ATOMIC_RELEASE); /* the doorbell */
  const struct timespec nap = {0, POLL_NS};
  for (uint64_t start = now_ms(); __atomic_load_n(&bar->done, __ATOMIC_ACQUIRE) != ticket;) {
    if (now_ms() - start > ACCESS_TIMEOUT_MS || kill((pid_t)bar->pid, 0) != 0)
      return NICSIM_TIMEOUT; /* nicsim gone or stuck */
    nanosleep(&nap, NULL);
  }
  *value = bar->value;
  return (enum nicsim_status)bar->status;
}

uint64_t nicsim_remote_cycles(const struct nicsim_remote *r) {
  return __atomic_load_n(&r->bar->cycles, __ATOMIC_ACQUIRE);
}

struct nicsim_desc_ring *nicsim_remote_desc_ring(struct nicsim_remote *r) {
  return &r->bar->desc;
}

uint64_t nicsim_remote_in_flight(const struct nicsim_remote *r) {
  return __atomic_load_n(&r->bar->in_flight, __ATOMIC_ACQUIRE);
}

void nicsim_remote_tx_progress(const struct nicsim_remote *r, struct nicsim_tx_progress *out) {
  /* loops last: nicsim stores it last, so counters read after it are at least that fresh */
  out->loops = __atomic_load_n(&r->bar->tx_loops, __ATOMIC_ACQUIRE);
  out->pushed = __atomic_load_n(&r->bar->tx_pushed, __ATOMIC_ACQUIRE);
  out->completed = __atomic_load_n(&r->bar->tx_completed, __ATOMIC_ACQUIRE);
}
