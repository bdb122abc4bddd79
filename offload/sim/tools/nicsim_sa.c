/* nicsim-sa: installs a static SA pair (one outbound, one inbound, AES-GCM, tunnel mode)
 * through the "sim" HAL backend into a running nicsim (attach=<shm>), then holds the device
 * until SIGINT/SIGTERM, prints both SAs' counters and closes it (which frees the SAs and
 * zeroizes their keys in the engine). A test and demo tool, not a key manager.
 *
 *   nicsim-sa SHM LOCAL REMOTE REMOTE_NET/LEN SPI_OUT KEY_OUT SPI_IN KEY_IN
 * KEY_* are hex key||salt as in RFC 4106 KEYMAT (20 octets for AES-128, 36 for AES-256); the
 * ICV is 16 octets, the replay window 64. Prints "ready" on stdout once both SAs are in. */
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "nicsec/hal.h"
#include "sim_backend.h"

static volatile sig_atomic_t stop_requested;
static void on_signal(int sig) { (void)sig; stop_requested = 1; }

static int hex_key(const char *hex, struct nicsec_hal_sa *sa) {
  size_t n = strlen(hex) / 2;
  uint8_t blob[NICSEC_HAL_MAX_KEY + NICSEC_HAL_SALT_LEN];
  if (strlen(hex) % 2 || (n != 20 && n != 36))
    return -1;
  for (size_t i = 0; i < n; i++) {
    unsigned v;
    if (sscanf(hex + 2 * i, "%2x", &v) != 1)
      return -1;
    blob[i] = (uint8_t)v;
  }
  sa->key_len = (uint8_t)(n - NICSEC_HAL_SALT_LEN);
  sa->alg = sa->key_len == 32 ? NICSEC_HAL_ALG_AES_GCM_256 : NICSEC_HAL_ALG_AES_GCM_128;
  memcpy(sa->key, blob, sa->key_len);
  memcpy(sa->salt, blob + sa->key_len, NICSEC_HAL_SALT_LEN);
  OPENSSL_cleanse(blob, sizeof blob);
  return 0;
}

static int v4(const char *text, struct nicsec_hal_addr *a) {
  memset(a, 0, sizeof *a);
  a->family = NICSEC_HAL_AF_INET;
  return inet_pton(AF_INET, text, a->bytes) == 1 ? 0 : -1;
}

static int prefix(const char *text, struct nicsec_hal_addr *a, uint8_t *len) {
  char buf[32];
  const char *slash = strchr(text, '/');
  if (!slash || (size_t)(slash - text) >= sizeof buf)
    return -1;
  memcpy(buf, text, (size_t)(slash - text));
  buf[slash - text] = '\0';
  int bits = atoi(slash + 1);
  *len = (uint8_t)bits;
  return bits < 0 || bits > 32 ? -1 : v4(buf, a);
}

static int build(char **argv, struct nicsec_hal_sa sas[2]) {
  struct nicsec_hal_sa *out = &sas[0], *in = &sas[1];
  memset(sas, 0, 2 * sizeof *sas);
  out->dir = NICSEC_HAL_DIR_OUT;
  in->dir = NICSEC_HAL_DIR_IN;
  for (int i = 0; i < 2; i++) {
    sas[i].offload = NICSEC_HAL_OFFLOAD_PACKET;
    sas[i].mode = NICSEC_HAL_MODE_TUNNEL;
    sas[i].icv_len = 16;
    sas[i].replay_window = 64;
    sas[i].reqid = 1;
  }
  if (v4(argv[2], &out->src) || v4(argv[3], &out->dst) || v4(argv[3], &in->src) ||
      v4(argv[2], &in->dst) || prefix(argv[4], &out->sel.dst, &out->sel.dst_prefix))
    return -1;
  out->has_sel = true;
  out->sel.src.family = NICSEC_HAL_AF_INET; /* any source */
  out->spi = (uint32_t)strtoul(argv[5], NULL, 0);
  in->spi = (uint32_t)strtoul(argv[7], NULL, 0);
  return hex_key(argv[6], out) || hex_key(argv[8], in) ? -1 : 0;
}

static void print_stats(struct nicsec_hal_dev *dev, const char *what, nicsec_hal_sa_id id) {
  struct nicsec_hal_sa_stats st;
  if (nicsec_hal_sa_stats(dev, id, &st) == NICSEC_HAL_OK)
    printf("%s: packets=%llu bytes=%llu seq=%llu replay=%llu auth=%llu\n", what,
           (unsigned long long)st.packets, (unsigned long long)st.bytes,
           (unsigned long long)st.seq, (unsigned long long)st.replay_drops,
           (unsigned long long)st.auth_failures);
}

int main(int argc, char **argv) {
  struct nicsec_hal_sa sas[2];
  if (argc != 9 || build(argv, sas)) {
    fprintf(stderr, "usage: nicsim-sa SHM LOCAL REMOTE REMOTE_NET/LEN SPI_OUT KEY_OUT SPI_IN "
                    "KEY_IN\n");
    return 2;
  }
  char args[96];
  snprintf(args, sizeof args, "attach=%s", argv[1]);
  struct nicsec_hal_dev *dev = NULL;
  nicsec_hal_sa_id ids[2];
  enum nicsec_hal_err err = nicsec_hal_sim_register();
  if (!err)
    err = nicsec_hal_open("sim", args, &dev);
  if (!err)
    err = nicsec_hal_sa_add(dev, sas, 2, ids, NULL);
  OPENSSL_cleanse(sas, sizeof sas);
  if (err) {
    fprintf(stderr, "nicsim-sa: %s\n", nicsec_hal_strerror(err));
    nicsec_hal_close(dev);
    return 1;
  }
  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  printf("ready\n");
  fflush(stdout);
  while (!stop_requested)
    pause();
  print_stats(dev, "out", ids[0]);
  print_stats(dev, "in", ids[1]);
  nicsec_hal_close(dev);
  return 0;
}
