/* Fuzzer for the soft device's argument string (soft_config_parse): capability and datapath
 * I/O options. It parses only; opening a device with a fuzzed tun_fd= would close the
 * fuzzer's own descriptors. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "soft_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *args = malloc(size + 1);
  if (!args)
    return 0;
  memcpy(args, data, size);
  args[size] = '\0';
  struct nicsec_hal_caps caps;
  struct soft_io_config io;
  if (soft_config_parse(args, &caps, &io) == NICSEC_HAL_OK) {
    /* What a successful parse promises the backend. */
    if (caps.spi_min > caps.spi_max || caps.max_sa_in == 0 || caps.max_batch == 0 ||
        strnlen(io.tun, sizeof io.tun) == sizeof io.tun || (io.tun[0] && io.tun_fd >= 0))
      abort();
  }
  free(args);
  return 0;
}
