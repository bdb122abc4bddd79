/* Writes the seed corpora of the codec fuzz targets from the sample messages the unit tests
 * use (built with the codec's own builder):
 *   gen_ikecodec_corpus <message-corpus-dir> <inner-corpus-dir>
 * The committed corpus_message/ and corpus_inner/ folders are its output (plus the RFC 7634
 * Appendix B message, written by hand). */
#include <stdint.h>
#include <stdio.h>

#include "ike_samples.h"
#include "ikecodec.h"

static uint8_t buf[8192];

static int write_file(const char *dir, const char *name, const uint8_t *data, size_t len) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
    fprintf(stderr, "gen_ikecodec_corpus: cannot write %s\n", path);
    return 1;
  }
  return 0;
}

static int write_message(const char *dir, const char *name, size_t len) {
  if (len == 0) {
    fprintf(stderr, "gen_ikecodec_corpus: building %s failed\n", name);
    return 1;
  }
  return write_file(dir, name, buf, len);
}

/* Inner corpus entries: first payload type, exchange/role octet, plaintext. */
static int write_inner(const char *dir, const char *name, uint8_t exchange, int response,
                       size_t (*sample)(uint8_t *, size_t, uint8_t *)) {
  uint8_t first;
  size_t len = sample(buf + 2, sizeof buf - 2, &first);
  if (len == 0) {
    fprintf(stderr, "gen_ikecodec_corpus: building %s failed\n", name);
    return 1;
  }
  buf[0] = first;
  buf[1] = (uint8_t)((exchange - IKE_EXCH_IKE_SA_INIT) | (response ? 4 : 0));
  return write_file(dir, name, buf, len + 2);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s <message-corpus-dir> <inner-corpus-dir>\n", argv[0]);
    return 2;
  }
  const char *msg_dir = argv[1], *inner_dir = argv[2];
  int failures = 0;
  failures +=
      write_message(msg_dir, "ike_sa_init_request", sample_ike_sa_init_request(buf, sizeof buf));
  failures +=
      write_message(msg_dir, "ike_sa_init_response", sample_ike_sa_init_response(buf, sizeof buf));
  failures += write_message(msg_dir, "cookie_response", sample_cookie_response(buf, sizeof buf));
  failures += write_message(msg_dir, "ike_auth_request_sk",
                            sample_protected_message(buf, sizeof buf, IKE_EXCH_IKE_AUTH,
                                                     IKE_FLAG_INITIATOR, 1, IKE_PT_IDI, 180));
  failures += write_message(msg_dir, "informational_response_sk",
                            sample_protected_message(buf, sizeof buf, IKE_EXCH_INFORMATIONAL,
                                                     IKE_FLAG_RESPONSE, 2, IKE_PT_DELETE, 48));
  failures += write_message(msg_dir, "ike_auth_fragment_1_of_2",
                            sample_fragment_message(buf, sizeof buf, 1, 2, IKE_PT_IDI));
  failures += write_message(msg_dir, "ike_auth_fragment_2_of_2",
                            sample_fragment_message(buf, sizeof buf, 2, 2, IKE_PT_IDI));
  failures += write_inner(inner_dir, "ike_auth_request", IKE_EXCH_IKE_AUTH, 0,
                          sample_ike_auth_request_inner);
  failures += write_inner(inner_dir, "ike_auth_response", IKE_EXCH_IKE_AUTH, 1,
                          sample_ike_auth_response_inner);
  failures += write_inner(inner_dir, "create_child_sa_rekey_request", IKE_EXCH_CREATE_CHILD_SA, 0,
                          sample_create_child_request_inner);
  failures += write_inner(inner_dir, "informational_delete_request", IKE_EXCH_INFORMATIONAL, 0,
                          sample_informational_delete_inner);
  return failures ? 1 : 0;
}
