/* Independent check of the builder: the sample messages are written to a pcap (raw IPv4/UDP
 * 500) and decoded by Wireshark's IKEv2 dissector (tshark). For each packet, tshark's exchange
 * type, payload chain, Notify types and proposal numbers must equal what our parser reads, and
 * tshark must report no malformed packet or expert warning. Skipped (77) without tshark. */
#include <stdlib.h>
#include <unistd.h>

#include "codec_test_util.h"
#include "ike_samples.h"

enum { SKIPPED = 77, MAX_PACKETS = 8, LINKTYPE_RAW = 101 };

static const char tshark_path[] = "/usr/bin/tshark";

struct packet {
  uint8_t data[2048];
  size_t len;
};

static struct packet packets[MAX_PACKETS];
static size_t packet_count;
static char pcap_path[] = "/tmp/nicsec-codec-XXXXXX.pcap";

static void put_le32(FILE *f, uint32_t v) {
  const uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  fwrite(b, 1, 4, f);
}

static void put_le16(FILE *f, uint16_t v) {
  const uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
  fwrite(b, 1, 2, f);
}

/* IPv4 192.0.2.1 -> 192.0.2.2, UDP 500 -> 500 (checksums 0: not checked by the dissector). */
static void write_record(FILE *f, const struct packet *p) {
  uint8_t hdr[28] = {0x45, 0, 0,   0, 0, 0, 0,    0,    64,   17,   0, 0, 192, 0,
                     2,    1, 192, 0, 2, 2, 0x01, 0xf4, 0x01, 0xf4, 0, 0, 0,   0};
  size_t ip_len = sizeof hdr + p->len, udp_len = 8 + p->len;
  hdr[2] = (uint8_t)(ip_len >> 8);
  hdr[3] = (uint8_t)ip_len;
  hdr[24] = (uint8_t)(udp_len >> 8);
  hdr[25] = (uint8_t)udp_len;
  put_le32(f, 0); /* timestamp */
  put_le32(f, 0);
  put_le32(f, (uint32_t)ip_len);
  put_le32(f, (uint32_t)ip_len);
  fwrite(hdr, 1, sizeof hdr, f);
  fwrite(p->data, 1, p->len, f);
}

static void write_pcap(void) {
  int fd = mkstemps(pcap_path, 5);
  assert_true(fd >= 0);
  FILE *f = fdopen(fd, "wb");
  assert_non_null(f);
  put_le32(f, 0xa1b2c3d4);
  put_le16(f, 2);
  put_le16(f, 4);
  put_le32(f, 0);
  put_le32(f, 0);
  put_le32(f, 65535);
  put_le32(f, LINKTYPE_RAW);
  for (size_t i = 0; i < packet_count; i++)
    write_record(f, &packets[i]);
  assert_int_equal(fclose(f), 0);
}

static void add_packet(size_t len) {
  assert_true(len > 0);
  packets[packet_count++].len = len;
}

static void build_packets(void) {
  add_packet(sample_ike_sa_init_request(packets[packet_count].data, sizeof packets[0].data));
  add_packet(sample_ike_sa_init_response(packets[packet_count].data, sizeof packets[0].data));
  add_packet(sample_cookie_response(packets[packet_count].data, sizeof packets[0].data));
  add_packet(sample_protected_message(packets[packet_count].data, sizeof packets[0].data,
                                      IKE_EXCH_IKE_AUTH, IKE_FLAG_INITIATOR, 1, IKE_PT_IDI, 120));
  add_packet(sample_fragment_message(packets[packet_count].data, sizeof packets[0].data, 1, 2,
                                     IKE_PT_IDI));
}

/* What our parser says, in tshark's comma-separated field syntax. */
static void expected_fields(const struct packet *p, char *types, char *notifies, char *props,
                            size_t cap) {
  struct ike_message msg;
  struct ike_error err;
  assert_codec_ok(ike_message_parse(p->data, p->len, &msg, &err), &err);
  types[0] = notifies[0] = props[0] = '\0';
  for (size_t i = 0; i < msg.clear.count; i++) {
    const struct ike_payload_ref *ref = &msg.clear.payloads[i];
    snprintf(types + strlen(types), cap - strlen(types), "%s%u", i ? "," : "", ref->type);
    if (ref->type == IKE_PT_NOTIFY)
      snprintf(notifies + strlen(notifies), cap - strlen(notifies), "%s%u", notifies[0] ? "," : "",
               ike_ref_notify_type(ref));
    union ike_payload_body body;
    if (ref->type == IKE_PT_SA && ike_chain_decode(ref, &body) == IKE_OK)
      for (size_t j = 0; j < body.sa.proposal_count; j++)
        snprintf(props + strlen(props), cap - strlen(props), "%s%u", j ? "," : "",
                 body.sa.proposals[j].number);
  }
}

/* tshark lists proposal (2) and transform (3) substructures among the payload types. */
static void drop_substructures(char *types) {
  char out[512] = "";
  for (char *tok = strtok(types, ","); tok; tok = strtok(NULL, ","))
    if (strcmp(tok, "2") != 0 && strcmp(tok, "3") != 0)
      snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", out[0] ? "," : "", tok);
  strcpy(types, out);
}

static void split_fields(char *line, char **fields, size_t n) {
  line[strcspn(line, "\n")] = '\0';
  for (size_t i = 0; i < n; i++) {
    fields[i] = line;
    char *sep = line ? strchr(line, ';') : NULL;
    if (sep)
      *sep = '\0';
    line = sep ? sep + 1 : NULL;
    if (!fields[i])
      fields[i] = "";
  }
}

static void tshark_agrees_with_parser(void **state) {
  (void)state;
  char cmd[512];
  snprintf(cmd, sizeof cmd,
           "%s -r %s -T fields -E separator=';' -e isakmp.exchangetype -e isakmp.typepayload "
           "-e isakmp.notify.msgtype -e isakmp.prop.number -e _ws.expert.message "
           "-e _ws.malformed 2>/dev/null",
           tshark_path, pcap_path);
  FILE *pipe = popen(cmd, "r");
  assert_non_null(pipe);
  char line[1024];
  size_t seen = 0;
  while (fgets(line, sizeof line, pipe) && seen < packet_count) {
    char *f[6];
    split_fields(line, f, 6);
    char types[512], notifies[512], props[512];
    expected_fields(&packets[seen], types, notifies, props, sizeof types);
    struct ike_message msg;
    assert_int_equal(ike_message_parse(packets[seen].data, packets[seen].len, &msg, NULL), IKE_OK);
    assert_int_equal(atoi(f[0]), msg.hdr.exchange);
    drop_substructures(f[1]);
    if (strcmp(f[1], types) || strcmp(f[2], notifies) || strcmp(f[3], props))
      fail_msg("packet %zu: tshark types %s notifies %s proposals %s; parser %s / %s / %s", seen,
               f[1], f[2], f[3], types, notifies, props);
    if (f[4][0] || f[5][0])
      fail_msg("packet %zu: tshark reports \"%s\" %s", seen, f[4], f[5]);
    seen++;
  }
  pclose(pipe);
  assert_int_equal(seen, packet_count);
}

int main(void) {
  if (access(tshark_path, X_OK) != 0) {
    printf("skipped: %s not installed\n", tshark_path);
    return SKIPPED;
  }
  build_packets();
  write_pcap();
  const struct CMUnitTest tests[] = {cmocka_unit_test(tshark_agrees_with_parser)};
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  unlink(pcap_path);
  return failed;
}
