/* How close does the soft ESP datapath come to raw OpenSSL on this machine? Encap and decap of
 * whole IPv4 packets (tunnel mode, AES-256-GCM, ICV 16, anti-replay window 128) through the
 * public HAL (nicsec_hal_encap / nicsec_hal_decap: SA lookup, lock, headers, SN, replay,
 * counters), one core, against the anchor the issue names: the real
 *     openssl speed -mr -evp aes-256-gcm -bytes <size> -seconds <s>
 * of the OpenSSL this program is linked with (the `openssl` next to the libcrypto we loaded,
 * with LD_LIBRARY_PATH pointing at it; the system one only when there is none), run side by
 * side and parsed from its machine-readable "+F:" line. `-decrypt` is run too, as the
 * decryption anchor. OpenSSL 3.x times AEADs per message there (key and IV set, data,
 * final for each buffer), so the anchor is a per-packet AEAD, not a bulk stream.
 *
 * Measured alike: each side runs for <s> seconds of wall clock and divides the bytes it
 * processed by the CPU time it used (openssl speed: user time; we charge ourselves user + system
 * time). Sizes are plaintext IP packet sizes (64, 512, 1500 octets), counted as openssl counts
 * its buffer. For the record a second, in-process reference is printed: the pre-keyed
 * per-packet AEAD (nonce, 8-octet AAD, data, final, tag on a context keyed once), i.e. the
 * least any ESP packet can cost through EVP; soft's overhead over it is the HAL's own.
 *
 * The machine is shared and noisy, so every size is measured `runs` times, interleaving the
 * three programs, and the summary uses the median of each metric.
 *   usage: bench_soft_esp [runs, default 3] [seconds, default 1]
 * Last line: soft_esp: encap_gbps_1500=... decap_gbps_1500=... anchor=... ratio=...
 * where anchor is `openssl speed -evp aes-256-gcm` at 1500 octets (Gbit/s) and ratio = the
 * slower of encap and decap divided by it. */
/* dladdr (which libcrypto did the loader pick?) needs _GNU_SOURCE, which the build defines. */
#include <dlfcn.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "nicsec/hal.h"

enum { BATCH = 256, PKT_CAP = 2048, N_SIZES = 3, MAX_RUNS = 15, SPI = 0x1234, PATH_CAP = 512 };
static const size_t sizes[N_SIZES] = {64, 512, 1500};

/* ---- the soft device under test ----------------------------------------------------------- */

struct link {
  struct nicsec_hal_dev *dev;
  nicsec_hal_sa_id out, in;
};

static struct nicsec_hal_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return (struct nicsec_hal_addr){.family = NICSEC_HAL_AF_INET, .bytes = {a, b, c, d}};
}

/* One outbound and one inbound SA with the same key: this device talks to itself. */
static int open_link(struct link *l) {
  if (nicsec_hal_open("soft", NULL, &l->dev) != NICSEC_HAL_OK)
    return -1;
  struct nicsec_hal_sa sa = {
      .dir = NICSEC_HAL_DIR_OUT, .offload = NICSEC_HAL_OFFLOAD_PACKET,
      .mode = NICSEC_HAL_MODE_TUNNEL, .spi = SPI, .reqid = 1, .src = v4(192, 0, 2, 1),
      .dst = v4(192, 0, 2, 2), .alg = NICSEC_HAL_ALG_AES_GCM_256, .key_len = 32,
      .salt = {0xca, 0xfe, 0xba, 0xbe}, .icv_len = 16, .replay_window = 128};
  for (int i = 0; i < 32; i++)
    sa.key[i] = (uint8_t)(0x40 + i);
  struct nicsec_hal_sa in = sa;
  in.dir = NICSEC_HAL_DIR_IN;
  if (nicsec_hal_sa_add(l->dev, &sa, 1, &l->out, NULL) != NICSEC_HAL_OK ||
      nicsec_hal_sa_add(l->dev, &in, 1, &l->in, NULL) != NICSEC_HAL_OK)
    return -1;
  return 0;
}

/* A valid IPv4/UDP packet of `len` octets (header checksum set; UDP checksum 0). */
static void make_packet(uint8_t *p, size_t len) {
  memset(p, 0, len);
  p[0] = 0x45;
  p[2] = (uint8_t)(len >> 8);
  p[3] = (uint8_t)len;
  p[8] = 64;
  p[9] = 17;
  const uint8_t addrs[8] = {10, 1, 0, 1, 10, 2, 0, 1};
  memcpy(p + 12, addrs, 8);
  uint32_t sum = 0;
  for (int i = 0; i < 20; i += 2)
    sum += (uint32_t)(p[i] << 8 | p[i + 1]);
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  p[10] = (uint8_t)(~sum >> 8);
  p[11] = (uint8_t)~sum;
  for (size_t i = 28; i < len; i++)
    p[i] = (uint8_t)i;
  p[24] = (uint8_t)((len - 20) >> 8);
  p[25] = (uint8_t)(len - 20);
}

static double clock_s(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Plaintext bytes per CPU second of one direction. */
struct rate {
  double bytes, cpu_s;
};

static double gbps(const struct rate *r) {
  return r->cpu_s > 0 ? r->bytes * 8 / r->cpu_s / 1e9 : 0;
}

/* Encaps BATCH copies of plain, then decaps them all (each is fresh: replay window and ICV
 * pass); -1 if any packet failed or came back different. */
static int soft_batch(struct link *l, const uint8_t *plain, size_t size, struct rate *enc,
                      struct rate *dec) {
  static uint8_t wire[BATCH][PKT_CAP];
  static size_t wire_len[BATCH];
  static uint8_t back[PKT_CAP];
  size_t back_len = 0;
  double t0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
  for (int i = 0; i < BATCH; i++)
    if (nicsec_hal_encap(l->dev, l->out, plain, size, wire[i], PKT_CAP, &wire_len[i]) !=
        NICSEC_HAL_OK)
      return -1;
  double t1 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
  for (int i = 0; i < BATCH; i++)
    if (nicsec_hal_decap(l->dev, wire[i], wire_len[i], back, PKT_CAP, &back_len, NULL) !=
        NICSEC_HAL_OK)
      return -1;
  double t2 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
  if (back_len != size || memcmp(back, plain, size) != 0)
    return -1;
  enc->bytes += (double)size * BATCH;
  enc->cpu_s += t1 - t0;
  dec->bytes += (double)size * BATCH;
  dec->cpu_s += t2 - t1;
  return 0;
}

/* soft encap and decap for `seconds` of wall clock on a fresh device. */
static int measure_soft(size_t size, double seconds, struct rate *enc, struct rate *dec) {
  uint8_t plain[PKT_CAP];
  make_packet(plain, size);
  struct link l = {0};
  int rc = open_link(&l);
  *enc = *dec = (struct rate){0};
  double end = clock_s(CLOCK_MONOTONIC) + seconds;
  while (rc == 0 && clock_s(CLOCK_MONOTONIC) < end)
    rc = soft_batch(&l, plain, size, enc, dec);
  nicsec_hal_close(l.dev);
  return rc;
}

/* The in-process reference: per-packet AEAD on a context keyed once (what soft's EVP layer
 * does per packet, without anything else). */
static int measure_prekeyed_aead(size_t size, double seconds, struct rate *r) {
  static uint8_t buf[PKT_CAP];
  uint8_t key[32] = {1}, nonce[12] = {0xca, 0xfe, 0xba, 0xbe}, aad[8] = {0, 0, 0x12, 0x34};
  uint8_t tag[16];
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  int ok = ctx && EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce) == 1;
  *r = (struct rate){0};
  double end = clock_s(CLOCK_MONOTONIC) + seconds;
  for (uint32_t n = 0; ok && clock_s(CLOCK_MONOTONIC) < end;) {
    double t0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    for (int i = 0; ok && i < BATCH; i++, n++) {
      int outl, finl;
      memcpy(nonce + 8, &n, sizeof n);
      ok = EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, nonce) == 1 &&
           EVP_EncryptUpdate(ctx, NULL, &outl, aad, sizeof aad) == 1 &&
           EVP_EncryptUpdate(ctx, buf, &outl, buf, (int)size) == 1 &&
           EVP_EncryptFinal_ex(ctx, buf + outl, &finl) == 1 &&
           EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, sizeof tag, tag) == 1;
    }
    r->cpu_s += clock_s(CLOCK_PROCESS_CPUTIME_ID) - t0;
    r->bytes += (double)size * BATCH;
  }
  EVP_CIPHER_CTX_free(ctx);
  return ok ? 0 : -1;
}

/* ---- the anchor: the real `openssl speed` --------------------------------------------------- */

struct openssl_cli {
  char path[PATH_CAP];   /* the openssl executable */
  char libdir[PATH_CAP]; /* its LD_LIBRARY_PATH; "" for the system one */
};

/* The openssl of the libcrypto the loader gave us: <prefix>/lib64/libcrypto.so.3 ->
 * <prefix>/bin/openssl. */
static void find_openssl(struct openssl_cli *cli) {
  Dl_info info;
  *cli = (struct openssl_cli){.path = "openssl"};
  if (!dladdr(OpenSSL_version(OPENSSL_VERSION), &info) || !info.dli_fname ||
      strlen(info.dli_fname) >= PATH_CAP)
    return;
  char lib[PATH_CAP], prefix[PATH_CAP], bin[PATH_CAP];
  strcpy(lib, info.dli_fname);
  strcpy(cli->libdir, dirname(lib));
  strcpy(prefix, cli->libdir);
  int n = snprintf(bin, sizeof bin, "%s/bin/openssl", dirname(prefix));
  if (n > 0 && n < PATH_CAP && access(bin, X_OK) == 0 && !strchr(bin, '\'') &&
      !strchr(cli->libdir, '\'')) {
    strcpy(cli->path, bin);
    setenv("LD_LIBRARY_PATH", cli->libdir, 1); /* inherited by popen's children */
  } else {
    cli->libdir[0] = '\0';
  }
}

/* Bytes per second from `openssl speed -mr`: "+F:<n>:AES-256-GCM:<bytes per second>". */
static int openssl_speed(const struct openssl_cli *cli, size_t size, double seconds, bool decrypt,
                         double *bytes_per_s) {
  char args[128], cmd[2 * PATH_CAP + 128], line[256];
  snprintf(args, sizeof args, "speed -mr %s-evp aes-256-gcm -bytes %zu -seconds %d",
           decrypt ? "-decrypt " : "", size, (int)(seconds + 0.5) > 0 ? (int)(seconds + 0.5) : 1);
  snprintf(cmd, sizeof cmd, "'%s' %s 2>/dev/null", cli->path, args);
  FILE *p = popen(cmd, "r");
  if (!p)
    return -1;
  int rc = -1;
  while (fgets(line, sizeof line, p)) {
    const char *last = strrchr(line, ':');
    if (rc != 0 && strncmp(line, "+F:", 3) == 0 && last) {
      *bytes_per_s = strtod(last + 1, NULL);
      rc = *bytes_per_s > 0 ? 0 : -1;
    }
  }
  pclose(p);
  return rc;
}

/* The CLI's `openssl version` must be the library we link, or the anchor is someone else's. */
static void print_versions(const struct openssl_cli *cli) {
  char line[256] = "";
  char cmd[2 * PATH_CAP];
  snprintf(cmd, sizeof cmd, "'%s' version 2>/dev/null", cli->path);
  FILE *p = popen(cmd, "r");
  if (p) {
    if (!fgets(line, sizeof line, p))
      line[0] = '\0';
    pclose(p);
  }
  line[strcspn(line, "\n")] = '\0';
  const char *linked = OpenSSL_version(OPENSSL_VERSION);
  printf("anchor: %s%s%s (%s)\n", cli->libdir[0] ? "LD_LIBRARY_PATH=" : "", cli->libdir,
         cli->libdir[0] ? " " : "", cli->path);
  printf("anchor version: %s | linked: %s%s\n", line[0] ? line : "(did not run)", linked,
         strncmp(line, linked, strlen(linked)) == 0 ? "" : "  <-- MISMATCH");
}

/* ---- runs and medians --------------------------------------------------------------------- */

/* One run of every metric at one size, in Gbit/s. */
struct sample {
  double encap, decap, ossl_enc, ossl_dec, prekeyed;
};
enum { N_METRICS = sizeof(struct sample) / sizeof(double) };

static int run_once(const struct openssl_cli *cli, size_t size, double seconds, struct sample *s) {
  struct rate enc, dec, pre;
  double enc_bps, dec_bps;
  if (openssl_speed(cli, size, seconds, false, &enc_bps) != 0 ||
      openssl_speed(cli, size, seconds, true, &dec_bps) != 0) {
    fprintf(stderr, "bench_soft_esp: `%s speed` failed or printed no +F line\n", cli->path);
    return -1;
  }
  if (measure_soft(size, seconds, &enc, &dec) != 0 ||
      measure_prekeyed_aead(size, seconds / 2, &pre) != 0) {
    fprintf(stderr, "bench_soft_esp: a packet failed at %zu octets\n", size);
    return -1;
  }
  *s = (struct sample){gbps(&enc), gbps(&dec), enc_bps * 8 / 1e9, dec_bps * 8 / 1e9, gbps(&pre)};
  return 0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static struct sample median(const struct sample *runs, int n) {
  struct sample m;
  double *out = (double *)&m, col[MAX_RUNS];
  for (int k = 0; k < N_METRICS; k++) {
    for (int r = 0; r < n; r++)
      col[r] = ((const double *)&runs[r])[k];
    qsort(col, (size_t)n, sizeof col[0], cmp_double);
    out[k] = n % 2 ? col[n / 2] : (col[n / 2 - 1] + col[n / 2]) / 2;
  }
  return m;
}

static void print_sample(const char *label, size_t size, const struct sample *s) {
  printf("size=%-4zu %-6s soft encap %6.2f decap %6.2f Gbit/s | openssl speed enc %6.2f "
         "dec %6.2f | pre-keyed aead %6.2f | encap/anchor %.2f decap/anchor %.2f "
         "(decap/speed-decrypt %.2f)\n",
         size, label, s->encap, s->decap, s->ossl_enc, s->ossl_dec, s->prekeyed,
         s->encap / s->ossl_enc, s->decap / s->ossl_enc, s->decap / s->ossl_dec);
}

int main(int argc, char **argv) {
  int runs = argc > 1 ? atoi(argv[1]) : 3;
  double seconds = argc > 2 ? atof(argv[2]) : 1;
  if (runs < 1 || runs > MAX_RUNS || seconds < 1 || seconds > 60) {
    fprintf(stderr, "usage: bench_soft_esp [runs 1..%d] [seconds 1..60]\n", MAX_RUNS);
    return 2;
  }
  struct openssl_cli cli;
  find_openssl(&cli);
  print_versions(&cli);
  struct sample med[N_SIZES];
  for (int i = 0; i < N_SIZES; i++) {
    struct sample all[MAX_RUNS];
    for (int r = 0; r < runs; r++) {
      if (run_once(&cli, sizes[i], seconds, &all[r]) != 0)
        return 1;
      char label[16];
      snprintf(label, sizeof label, "run%d", r + 1);
      print_sample(label, sizes[i], &all[r]);
      fflush(stdout);
    }
    med[i] = median(all, runs);
    print_sample("median", sizes[i], &med[i]);
  }
  const struct sample *big = &med[N_SIZES - 1];
  double slower = big->encap < big->decap ? big->encap : big->decap;
  printf("soft_esp: encap_gbps_1500=%.2f decap_gbps_1500=%.2f anchor=%.2f ratio=%.2f\n",
         big->encap, big->decap, big->ossl_enc, slower / big->ossl_enc);
  return 0;
}
