/* Fuzzes the import of peer KE payload data (ike_ke_check_peer, ike_ke_finish, ike_ke_respond).
 *
 * Input: byte 0 = method (index into the table below), byte 1 = flags (bit 1: also treat the
 * value as an initiator's KEi and run ike_ke_respond, which generates a key pair), then the
 * peer's Key Exchange Data. Invariants: check_peer and finish/respond agree on length errors;
 * a value check_peer refuses is never used; an accepted value yields a secret of the method's
 * length. Seeds: the RFC 5903, RFC 7748 and ACVP ML-KEM public values, a MODP-2048 public
 * value, and known-bad ones (p - 1, a low-order Curve25519 point, a point off P-256). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ike_ke.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint16_t methods[] = {
    IKE_KE_MODP_2048,  IKE_KE_ECP_256,    IKE_KE_ECP_384,
    IKE_KE_ECP_521,    IKE_KE_CURVE25519, IKE_KE_CURVE448,
#if NICSEC_IKECRYPTO_MLKEM
    IKE_KE_ML_KEM_768,
#endif
};
enum { N_METHODS = sizeof methods / sizeof methods[0] };

/* One long-lived initiator per method: key generation is not what we fuzz. */
static struct ike_ke *initiators[N_METHODS];

static void check(int condition) {
  if (!condition)
    abort();
}

/* The same verdict from the validating check and from the entry point that uses the value. */
static void check_agreement(enum ike_crypto_status checked, enum ike_crypto_status used) {
  check((checked == IKE_CRYPTO_E_BAD_LENGTH) == (used == IKE_CRYPTO_E_BAD_LENGTH));
  if (checked != IKE_CRYPTO_OK)
    check(used == checked);
}

/* As the responder: the value is an initiator's KEi. */
static void try_respond(uint16_t id, struct ike_bytes peer, size_t secret_len) {
  struct ike_ke *responder = NULL;
  struct ike_secret shared = {0};
  enum ike_crypto_status st = ike_ke_respond(id, peer, &responder, &shared);
  check_agreement(ike_ke_check_peer(id, true, peer), st);
  check((st == IKE_CRYPTO_OK) == (responder != NULL));
  check(st == IKE_CRYPTO_OK ? shared.len == secret_len : shared.bytes == NULL);
  ike_secret_free(&shared);
  ike_ke_free(responder);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2)
    return 0;
  size_t m = data[0] % N_METHODS;
  uint16_t id = methods[m];
  if (!initiators[m])
    check(ike_ke_initiate(id, &initiators[m]) == IKE_CRYPTO_OK);
  const struct ike_bytes peer = ike_bytes_of(data + 2, size - 2);
  struct ike_ke_info info;
  check(ike_ke_info(id, &info) == IKE_CRYPTO_OK);

  /* As the initiator: the value is the responder's KEr. */
  struct ike_secret shared = {0};
  enum ike_crypto_status finished = ike_ke_finish(initiators[m], peer, &shared);
  check_agreement(ike_ke_check_peer(id, false, peer), finished);
  check(finished == IKE_CRYPTO_OK ? shared.len == info.secret_len : shared.bytes == NULL);
  ike_secret_free(&shared);
  if (data[1] & 2)
    try_respond(id, peer, info.secret_len);
  return 0;
}
