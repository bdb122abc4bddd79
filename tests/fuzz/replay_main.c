/* Drives a libFuzzer target without libFuzzer (gcc builds): feeds it every file of the corpus
 * folders given as arguments, then a fixed stream of pseudo-random inputs, so the `fuzz` label
 * replays known-interesting inputs everywhere. Real coverage-guided fuzzing needs the clang
 * sanitizer build (make fuzz). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { RANDOM_INPUTS = 20000, MAX_RANDOM_LEN = 512, MAX_FILE_LEN = 1 << 20 };

static int replay_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return 0;
  uint8_t *buf = malloc(MAX_FILE_LEN);
  size_t n = buf ? fread(buf, 1, MAX_FILE_LEN, f) : 0;
  fclose(f);
  if (buf)
    LLVMFuzzerTestOneInput(buf, n);
  free(buf);
  return buf != NULL;
}

static int replay_dir(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) {
    fprintf(stderr, "replay: cannot open corpus folder %s\n", dir);
    return -1;
  }
  int count = 0;
  struct dirent *e;
  char path[4096];
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    count += replay_file(path);
  }
  closedir(d);
  return count;
}

/* xorshift64*: fixed seed so every run feeds the same inputs (failures reproduce). */
static uint64_t next_random(uint64_t *s) {
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * 0x2545F4914F6CDD1DULL;
}

int main(int argc, char **argv) {
  int files = 0;
  for (int i = 1; i < argc; i++) {
    int n = replay_dir(argv[i]);
    if (n < 0)
      return 1;
    files += n;
  }
  uint64_t seed = 0x6e69637365630001ULL;
  uint8_t buf[MAX_RANDOM_LEN];
  for (int i = 0; i < RANDOM_INPUTS; i++) {
    size_t len = next_random(&seed) % (MAX_RANDOM_LEN + 1);
    for (size_t j = 0; j < len; j++)
      buf[j] = (uint8_t)next_random(&seed);
    LLVMFuzzerTestOneInput(buf, len);
  }
  printf("replay: %d corpus files and %d pseudo-random inputs passed\n", files, RANDOM_INPUTS);
  return 0;
}
