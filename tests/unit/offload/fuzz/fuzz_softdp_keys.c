/* Fuzzer for nicsec-softdp's key file ("<option> <value>" lines): every option reader (hex
 * keys, addresses, prefixes, numbers, names) runs on hostile text. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "softdp_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  FILE *f = fmemopen((void *)data, size, "r");
  if (!f)
    return 0;
  struct softdp_config cfg;
  softdp_defaults(&cfg);
  (void)softdp_apply_key_stream(&cfg, f, "fuzz");
  fclose(f);
  /* Whatever was accepted stays inside its field's bounds. */
  if (cfg.keymat_out_len > SOFTDP_KEYMAT_MAX || cfg.keymat_in_len > SOFTDP_KEYMAT_MAX ||
      cfg.local_to_remote.src_prefix > 128 || cfg.local_to_remote.dst_prefix > 128)
    abort();
  softdp_config_wipe(&cfg);
  return 0;
}
