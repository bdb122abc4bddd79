/* IKE_AUTH with certificates and RFC 7427 signatures between two engines: ECDSA, RSASSA-PSS
 * and Ed25519 keys, chains through an intermediate CA, and the failures that must stop a
 * handshake (unknown CA, identity not in the certificate). Keys and certificates are generated
 * with OpenSSL for each run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static char dir[] = "/tmp/nicsec-certs-XXXXXX";

struct issued {
  EVP_PKEY *key;
  X509 *cert;
};

static EVP_PKEY *new_key(const char *type) {
  if (strcmp(type, "RSA") == 0)
    return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
  if (strcmp(type, "ED25519") == 0)
    return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
  return EVP_PKEY_Q_keygen(NULL, NULL, "EC", type);
}

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
  X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
  assert_non_null(ext);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

/* A certificate for cn (with subjectAltName DNS:san unless NULL), signed by issuer (self when
 * issuer is NULL). */
static struct issued issue(const char *key_type, const char *cn, const char *san,
                           const struct issued *issuer, bool ca) {
  struct issued out = {new_key(key_type), X509_new()};
  assert_non_null(out.key);
  X509_set_version(out.cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(out.cert), (long)(random() & 0x7fffffff));
  X509_gmtime_adj(X509_getm_notBefore(out.cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(out.cert), 86400);
  X509_NAME *name = X509_get_subject_name(out.cert);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"nicsec test", -1,
                             -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
  X509 *issuer_cert = issuer ? issuer->cert : out.cert;
  X509_set_issuer_name(out.cert, X509_get_subject_name(issuer_cert));
  X509_set_pubkey(out.cert, out.key);
  add_ext(out.cert, issuer_cert, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
  if (san) {
    char value[128];
    snprintf(value, sizeof value, "DNS:%s", san);
    add_ext(out.cert, issuer_cert, NID_subject_alt_name, value);
  }
  EVP_PKEY *signer = issuer ? issuer->key : out.key;
  const EVP_MD *md = EVP_PKEY_get_base_id(signer) == EVP_PKEY_ED25519 ? NULL : EVP_sha256();
  assert_true(X509_sign(out.cert, signer, md) > 0);
  return out;
}

static void write_pem(const char *name, const struct issued *c, bool with_key) {
  char path[256];
  snprintf(path, sizeof path, "%s/%s.pem", dir, name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  PEM_write_X509(f, c->cert);
  fclose(f);
  if (!with_key)
    return;
  snprintf(path, sizeof path, "%s/%s.key", dir, name);
  f = fopen(path, "w");
  assert_non_null(f);
  PEM_write_PrivateKey(f, c->key, NULL, NULL, 0, NULL, NULL);
  fclose(f);
}

static void release(struct issued *c) {
  EVP_PKEY_free(c->key);
  X509_free(c->cert);
}

/* CAs and end entities shared by all tests. */
static int make_pki(void **state) {
  (void)state;
  if (!mkdtemp(dir))
    return -1;
  struct issued root = issue("P-256", "nicsec root", NULL, NULL, true);
  struct issued other = issue("P-256", "some other CA", NULL, NULL, true);
  struct issued inter = issue("P-384", "nicsec intermediate", NULL, &root, true);
  struct issued ecdsa = issue("P-256", "left", "left.example.test", &root, false);
  struct issued rsa = issue("RSA", "left-rsa", "left.example.test", &root, false);
  struct issued ed = issue("ED25519", "right", "right.example.test", &inter, false);
  struct issued p384 = issue("P-384", "right384", "right.example.test", &root, false);
  struct issued rogue = issue("P-256", "left", "left.example.test", &other, false);
  write_pem("root", &root, false);
  write_pem("inter", &inter, false);
  write_pem("left-ecdsa", &ecdsa, true);
  write_pem("left-rsa", &rsa, true);
  write_pem("right-ed25519", &ed, true);
  write_pem("right-p384", &p384, true);
  write_pem("left-rogue", &rogue, true);
  struct issued *all[] = {&root, &other, &inter, &ecdsa, &rsa, &ed, &p384, &rogue};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    release(all[i]);
  return 0;
}

static int remove_pki(void **state) {
  (void)state;
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : -1;
}

/* local certs "name" (+ "inter" when chain), trusting root.pem. */
static void pubkey_config(char *buf, size_t cap, int side, const char *cert, bool chain,
                          const char *remote_id, const char *daemon_extra) {
  const char *me = side ? "192.0.2.2" : "192.0.2.1", *peer = side ? "192.0.2.1" : "192.0.2.2";
  const char *my_id = side ? "right.example.test" : "left.example.test";
  snprintf(buf, cap,
           "daemon:\n  retransmit_timeout_ms: 1000\n%s"
           "hal:\n  backend: record\n"
           "connections:\n"
           "  - name: peer\n"
           "    local_addr: %s\n    remote_addr: %s\n"
           "    proposals: [aes256gcm16-prfsha256-x25519]\n"
           "    local: { auth: pubkey, id: %s, certs: [%s/%s.pem%s%s%s], key: %s/%s.key }\n"
           "    remote: { auth: pubkey, id: %s, cacerts: [%s/root.pem] }\n"
           "    children:\n"
           "      - name: net\n"
           "        esp_proposals: [aes256gcm16]\n",
           daemon_extra ? daemon_extra : "", me, peer, my_id, dir, cert, chain ? ", " : "",
           chain ? dir : "", chain ? "/inter.pem" : "", dir, cert, remote_id, dir);
}

static char cfg0[4096], cfg1[4096];

static int handshake(struct harness *h) {
  char err[128];
  assert_int_equal(nd_engine_initiate(h->eng[0], h->now, "peer", NULL, err, sizeof err), 0);
  h_run(h, 40);
  struct h_ike a, b;
  if (h_list(h, 0, &a, 1) != 1 || h_list(h, 1, &b, 1) != 1)
    return 0;
  assert_string_equal(a.ike.state, "ESTABLISHED");
  assert_string_equal(b.ike.state, "ESTABLISHED");
  assert_string_equal(a.ike.remote_id, "right.example.test");
  assert_string_equal(b.ike.remote_id, "left.example.test");
  assert_int_equal(a.n_children, 1);
  assert_int_equal(a.child[0].spi_in, b.child[0].spi_out);
  return 1;
}

static void run_pair(const char *left, const char *right, bool right_chain, const char *extra,
                     int expect_established) {
  struct harness h;
  pubkey_config(cfg0, sizeof cfg0, 0, left, false, "right.example.test", extra);
  pubkey_config(cfg1, sizeof cfg1, 1, right, right_chain, "left.example.test", extra);
  assert_true(h_init(&h, cfg0, cfg1));
  assert_int_equal(handshake(&h), expect_established);
  h_free(&h);
}

static void test_ecdsa_and_ed25519_via_intermediate(void **state) {
  (void)state;
  run_pair("left-ecdsa", "right-ed25519", true, NULL, 1);
}

static void test_rsa_pss_and_p384(void **state) {
  (void)state;
  run_pair("left-rsa", "right-p384", false, NULL, 1);
}

static void test_certificates_in_fragments(void **state) {
  (void)state;
  run_pair("left-rsa", "right-ed25519", true, "  fragment_size: 576\n", 1);
}

static void test_unknown_ca_rejected(void **state) {
  (void)state;
  struct harness h;
  pubkey_config(cfg0, sizeof cfg0, 0, "left-rogue", false, "right.example.test", NULL);
  pubkey_config(cfg1, sizeof cfg1, 1, "right-p384", false, "left.example.test", NULL);
  assert_true(h_init(&h, cfg0, cfg1));
  assert_int_equal(handshake(&h), 0);
  struct nd_engine_stats st;
  nd_engine_stats(h.eng[1], &st);
  assert_int_equal(st.auth_failures, 1);
  h_free(&h);
}

static void test_missing_intermediate_rejected(void **state) {
  (void)state;
  run_pair("left-ecdsa", "right-ed25519", false, NULL, 0);
}

static void test_identity_must_be_in_certificate(void **state) {
  (void)state;
  struct nd_config cfg;
  struct nd_config_error err;
  pubkey_config(cfg0, sizeof cfg0, 0, "left-ecdsa", false, "right.example.test", NULL);
  char *id = strstr(cfg0, "id: left.example.test");
  memcpy(id, "id: lefx", 8);
  assert_int_equal(nd_config_load_text("c.yaml", cfg0, strlen(cfg0), &cfg, &err), -1);
  assert_int_equal(err.line, 10);
  assert_non_null(strstr(err.message, "subjectAltName"));
  /* Without an id the certificate's subject DN is used. */
  pubkey_config(cfg0, sizeof cfg0, 0, "left-ecdsa", false, "right.example.test", NULL);
  char *p = strstr(cfg0, "id: left.example.test, ");
  memmove(p, p + strlen("id: left.example.test, "), strlen(p + strlen("id: left.example.test, ")) + 1);
  assert_int_equal(nd_config_load_text("c.yaml", cfg0, strlen(cfg0), &cfg, &err), 0);
  assert_int_equal(cfg.conns[0].local_id.type, 9); /* ID_DER_ASN1_DN */
  nd_config_free(&cfg);
}

static void test_wrong_key_file(void **state) {
  (void)state;
  struct nd_config cfg;
  struct nd_config_error err;
  pubkey_config(cfg0, sizeof cfg0, 0, "left-ecdsa", false, "right.example.test", NULL);
  char *key = strstr(cfg0, "left-ecdsa.key");
  memcpy(key, "left-rogue", 10);
  assert_int_equal(nd_config_load_text("c.yaml", cfg0, strlen(cfg0), &cfg, &err), -1);
  assert_non_null(strstr(err.message, "is not the key of certificate"));
  assert_non_null(strstr(err.field, "connections[0].local.certs"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ecdsa_and_ed25519_via_intermediate),
      cmocka_unit_test(test_rsa_pss_and_p384),
      cmocka_unit_test(test_certificates_in_fragments),
      cmocka_unit_test(test_unknown_ca_rejected),
      cmocka_unit_test(test_missing_intermediate_rejected),
      cmocka_unit_test(test_identity_must_be_in_certificate),
      cmocka_unit_test(test_wrong_key_file),
  };
  return cmocka_run_group_tests(tests, make_pki, remove_pki);
}
