/* How close does the soft ESP datapath come to the raw AEAD it is built on? Encap and decap of
 * whole IPv4 packets (tunnel mode, AES-256-GCM, ICV 16, anti-replay window 128) through the
 * public HAL (nicsec_hal_encap / nicsec_hal_decap: SA lookup, lock, headers, SN, replay,
 * counters), one core, against the anchor `openssl speed -evp aes-256-gcm` measures: EVP
 * AES-256-GCM encryption of buffers of the same size (key and nonce set once), same library,
 * same core, same timer.
 *
 * Sizes are plaintext IP packet sizes (64, 512, 1500 octets); Gbit/s count plaintext octets as
 * the anchor counts its buffer. A round seals BATCH packets into BATCH buffers (encap), opens
 * them in order (decap: every one is fresh, passes the replay window and the ICV check), then
 * runs the anchor on BATCH buffers. Times are this thread's CPU time and each metric keeps its
 * best round: on a shared 2-core machine that is the least disturbed sample, for every metric
 * alike.
 *   usage: bench_soft_esp [rounds, default 2000]
 * Last line: soft_esp: encap_gbps_1500=... decap_gbps_1500=... anchor=... ratio=...
 * where anchor is the EVP bulk rate at 1500 octets and ratio = the slower of encap and decap
 * divided by it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "nicsec/hal.h"

enum { BATCH = 256, PKT_CAP = 2048, REPEATS = 3, N_SIZES = 3, SPI = 0x1234 };
static const size_t sizes[N_SIZES] = {64, 512, 1500};

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

/* Time per packet, in CPU nanoseconds of this thread (the other core's load does not count). */
struct per_packet {
  double encap_ns, decap_ns, bulk_ns, aead_ns;
};

static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void keep_min(double *best, double v) {
  if (v < *best)
    *best = v;
}

/* One round of BATCH encaps then BATCH decaps of fresh packets; -1 if any packet failed. */
static int soft_round(struct link *l, const uint8_t *plain, size_t size, struct per_packet *best) {
  static uint8_t wire[BATCH][PKT_CAP];
  static size_t wire_len[BATCH];
  uint8_t back[PKT_CAP];
  size_t back_len = 0;
  double t0 = cpu_now();
  for (int i = 0; i < BATCH; i++)
    if (nicsec_hal_encap(l->dev, l->out, plain, size, wire[i], PKT_CAP, &wire_len[i]) !=
        NICSEC_HAL_OK)
      return -1;
  double t1 = cpu_now();
  for (int i = 0; i < BATCH; i++)
    if (nicsec_hal_decap(l->dev, wire[i], wire_len[i], back, PKT_CAP, &back_len, NULL) !=
        NICSEC_HAL_OK)
      return -1;
  double t2 = cpu_now();
  if (back_len != size || memcmp(back, plain, size) != 0)
    return -1;
  keep_min(&best->encap_ns, (t1 - t0) / BATCH);
  keep_min(&best->decap_ns, (t2 - t1) / BATCH);
  return 0;
}

/* The anchor: what `openssl speed -evp aes-256-gcm -bytes <size>` times, EVP_EncryptUpdate on
 * a buffer of that size with key and IV set once. */
static int bulk_round(EVP_CIPHER_CTX *ctx, uint8_t *buf, size_t size, struct per_packet *best) {
  double t0 = cpu_now();
  for (int i = 0; i < BATCH; i++) {
    int outl;
    if (EVP_EncryptUpdate(ctx, buf, &outl, buf, (int)size) != 1)
      return -1;
  }
  keep_min(&best->bulk_ns, (cpu_now() - t0) / BATCH);
  return 0;
}

/* For the record, the least any per-packet AEAD can cost (`openssl speed -aead`'s sequence with
 * ESP's 8-octet AAD): new nonce, AAD, encrypt, final, tag. */
static int aead_round(EVP_CIPHER_CTX *ctx, uint8_t *buf, size_t size, struct per_packet *best) {
  uint8_t nonce[12] = {0xca, 0xfe, 0xba, 0xbe}, aad[8] = {0, 0, 0x12, 0x34}, tag[16];
  double t0 = cpu_now();
  for (int i = 0; i < BATCH; i++) {
    int outl, finl;
    nonce[11] = (uint8_t)i;
    if (EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, nonce) != 1 ||
        EVP_EncryptUpdate(ctx, NULL, &outl, aad, sizeof aad) != 1 ||
        EVP_EncryptUpdate(ctx, buf, &outl, buf, (int)size) != 1 ||
        EVP_EncryptFinal_ex(ctx, buf + outl, &finl) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, sizeof tag, tag) != 1)
      return -1;
  }
  keep_min(&best->aead_ns, (cpu_now() - t0) / BATCH);
  return 0;
}

/* Interleaves the four measurements in short rounds and keeps each one's best round, so all of
 * them see the same machine state. */
static int measure(size_t size, int rounds, struct per_packet *best) {
  *best = (struct per_packet){1e30, 1e30, 1e30, 1e30};
  uint8_t plain[PKT_CAP], key[32] = {1}, iv[12] = {2};
  static uint8_t buf[PKT_CAP + 16];
  make_packet(plain, size);
  struct link l = {0};
  EVP_CIPHER_CTX *bulk = EVP_CIPHER_CTX_new(), *aead = EVP_CIPHER_CTX_new();
  int rc = open_link(&l) == 0 && bulk && aead &&
                   EVP_EncryptInit_ex(bulk, EVP_aes_256_gcm(), NULL, key, iv) == 1 &&
                   EVP_EncryptInit_ex(aead, EVP_aes_256_gcm(), NULL, key, iv) == 1
               ? 0
               : -1;
  for (int r = 0; r < rounds && rc == 0; r++)
    rc = soft_round(&l, plain, size, best) | bulk_round(bulk, buf, size, best) |
         aead_round(aead, buf, size, best);
  EVP_CIPHER_CTX_free(bulk);
  EVP_CIPHER_CTX_free(aead);
  nicsec_hal_close(l.dev);
  return rc;
}

static double gbps(size_t size, double ns) { return (double)size * 8 / ns; }

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 2000;
  if (rounds <= 0 || rounds > 1000000) {
    fprintf(stderr, "bench_soft_esp: rounds must be 1..1000000\n");
    return 2;
  }
  struct per_packet best[N_SIZES];
  for (int s = 0; s < N_SIZES; s++) {
    if (measure(sizes[s], rounds, &best[s]) != 0) {
      fprintf(stderr, "bench_soft_esp: a packet failed at %zu octets\n", sizes[s]);
      return 1;
    }
    const struct per_packet *b = &best[s];
    printf("size=%-4zu encap %6.1f ns %6.2f Gbit/s | decap %6.1f ns %6.2f Gbit/s | "
           "evp bulk %6.1f ns %6.2f Gbit/s | evp per-packet aead %6.1f ns %6.2f Gbit/s | "
           "encap/bulk %.2f decap/bulk %.2f\n",
           sizes[s], b->encap_ns, gbps(sizes[s], b->encap_ns), b->decap_ns,
           gbps(sizes[s], b->decap_ns), b->bulk_ns, gbps(sizes[s], b->bulk_ns), b->aead_ns,
           gbps(sizes[s], b->aead_ns), b->bulk_ns / b->encap_ns, b->bulk_ns / b->decap_ns);
  }
  const struct per_packet *big = &best[N_SIZES - 1];
  size_t size = sizes[N_SIZES - 1];
  double slower_ns = big->encap_ns > big->decap_ns ? big->encap_ns : big->decap_ns;
  printf("soft_esp: encap_gbps_1500=%.2f decap_gbps_1500=%.2f anchor=%.2f ratio=%.2f\n",
         gbps(size, big->encap_ns), gbps(size, big->decap_ns), gbps(size, big->bulk_ns),
         big->bulk_ns / slower_ns);
  return 0;
}
