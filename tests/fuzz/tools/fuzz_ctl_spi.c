/* The operator's SPI argument (ctl_parse_spi, `sa show <spi>`): on any text, either refused or
 * normalised to eight lowercase hex digits naming the same number. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char text[32], out[9];
  if (size >= sizeof text)
    return 0; /* argv strings: the interesting ones are short */
  memcpy(text, data, size);
  text[size] = '\0';
  if (!ctl_parse_spi(text, out))
    return 0;
  const char *digits = strncmp(text, "0x", 2) == 0 || strncmp(text, "0X", 2) == 0 ? text + 2 : text;
  if (strlen(out) != 8 || strspn(out, "0123456789abcdef") != 8 ||
      strtoul(out, NULL, 16) != strtoul(digits, NULL, 16))
    abort();
  return 0;
}
