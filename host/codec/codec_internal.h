/* Private to the codec: error helpers shared by the payload parsers/builders and their
 * prototypes for the payload table. */
#ifndef NICSEC_IKECODEC_INTERNAL_H
#define NICSEC_IKECODEC_INTERNAL_H

#include "ikecodec_payloads.h"

/* Records an error at the parser's current position (the field about to be read, or the one
 * whose read just failed: a failed read does not move the position). Always returns false. */
bool codec_parse_fail(struct ike_parse_in *in, enum ike_err code, const char *field);
/* Same, at an explicit offset inside the body. */
bool codec_parse_fail_at(struct ike_parse_in *in, enum ike_err code, const char *field,
                         size_t body_offset);
/* Records a build error at the writer's current length. Always returns false. */
bool codec_build_fail(struct ike_build_out *out, enum ike_err code, const char *field);
void codec_set_error(struct ike_error *err, enum ike_err code, uint8_t payload_type,
                     const char *field, size_t offset);

/* payloads_sa.c */
bool codec_parse_sa(struct ike_parse_in *in, union ike_payload_body *out);
bool codec_build_sa(struct ike_build_out *out, const union ike_payload_body *in);

/* payloads_ts_cp.c */
bool codec_parse_ts(struct ike_parse_in *in, union ike_payload_body *out);
bool codec_build_ts(struct ike_build_out *out, const union ike_payload_body *in);
bool codec_parse_cp(struct ike_parse_in *in, union ike_payload_body *out);
bool codec_build_cp(struct ike_build_out *out, const union ike_payload_body *in);

/* payloads_misc.c */
bool codec_parse_ke(struct ike_parse_in *in, union ike_payload_body *out);
bool codec_build_ke(struct ike_build_out *out, const union ike_payload_body *in);
bool codec_parse_id(struct ike_parse_in *in, union ike_payload_body *out);
bool codec_build_id(struct ike_build_out *out, const union ike_payload_body *in);
bool codec_parse_cert(struct ike_parse_in *in, union ike_payload_body *out);
bool codec_build_cert(struct ike_build_out *out, const union ike_payload_body *in);
bool codec_parse_auth(struct ike_parse_in *in, union ike_payload_body *out);
bool codec_build_auth(struct ike_build_out *out, const union ike_payload_body *in);
bool codec_parse_nonce(struct ike_parse_in *in, union ike_payload_body *out);
bool codec_build_nonce(struct ike_build_out *out, const union ike_payload_body *in);
bool codec_parse_notify(struct ike_parse_in *in, union ike_payload_body *out);
bool codec_build_notify(struct ike_build_out *out, const union ike_payload_body *in);
bool codec_parse_delete(struct ike_parse_in *in, union ike_payload_body *out);
bool codec_build_delete(struct ike_build_out *out, const union ike_payload_body *in);
bool codec_parse_vendor(struct ike_parse_in *in, union ike_payload_body *out);
bool codec_build_vendor(struct ike_build_out *out, const union ike_payload_body *in);
bool codec_parse_sk(struct ike_parse_in *in, union ike_payload_body *out);
bool codec_build_sk(struct ike_build_out *out, const union ike_payload_body *in);
bool codec_parse_skf(struct ike_parse_in *in, union ike_payload_body *out);
bool codec_build_skf(struct ike_build_out *out, const union ike_payload_body *in);

#endif
