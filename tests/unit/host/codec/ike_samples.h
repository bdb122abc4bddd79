/* Realistic IKEv2 messages built with the codec's builder, shared by the codec unit tests and
 * the fuzz corpus generator. Each function writes into buf and returns the length (0 if the
 * build failed, which the tests treat as a failure). */
#ifndef NICSEC_TESTS_IKE_SAMPLES_H
#define NICSEC_TESTS_IKE_SAMPLES_H

#include <stddef.h>
#include <stdint.h>

#define SAMPLE_SPI_I64 UINT64_C(0x0102030405060708)
#define SAMPLE_SPI_R64 UINT64_C(0x1112131415161718)

/* Whole messages. */
size_t sample_ike_sa_init_request(uint8_t *buf, size_t cap);
size_t sample_ike_sa_init_response(uint8_t *buf, size_t cap);
size_t sample_cookie_response(uint8_t *buf, size_t cap);
/* A protected message: header + SK whose IV|ciphertext|ICV are placeholder octets (the codec
 * does not look inside). */
size_t sample_protected_message(uint8_t *buf, size_t cap, uint8_t exchange, uint8_t flags,
                                uint32_t message_id, uint8_t first_inner, size_t encrypted_len);
/* Fragment `number` of `total` (RFC 7383), placeholder encrypted octets. */
size_t sample_fragment_message(uint8_t *buf, size_t cap, uint16_t number, uint16_t total,
                               uint8_t first_inner);

/* Plaintext payload chains as they sit inside SK; *first receives the first payload type. */
size_t sample_ike_auth_request_inner(uint8_t *buf, size_t cap, uint8_t *first);
size_t sample_ike_auth_response_inner(uint8_t *buf, size_t cap, uint8_t *first);
size_t sample_create_child_request_inner(uint8_t *buf, size_t cap, uint8_t *first);
size_t sample_informational_delete_inner(uint8_t *buf, size_t cap, uint8_t *first);

#endif
