/* Identity parsing and formatting. */
#include "ident.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "ikecodec_consts.h"

static int set_text(struct nd_identity *out, uint8_t type, const char *text, char *err,
                    size_t err_len) {
  size_t len = strlen(text);
  if (len == 0 || len > ND_ID_MAX) {
    snprintf(err, err_len, "identity '%s' is empty or longer than %d octets", text, ND_ID_MAX);
    return -1;
  }
  out->type = type;
  out->len = (uint8_t)len;
  memcpy(out->data, text, len);
  return 0;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c = (char)tolower((unsigned char)c);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int set_keyid(struct nd_identity *out, const char *hex, char *err, size_t err_len) {
  size_t len = strlen(hex);
  if (len == 0 || len % 2 || len / 2 > ND_ID_MAX) {
    snprintf(err, err_len, "keyid '%s' must be an even number of hex digits", hex);
    return -1;
  }
  for (size_t i = 0; i < len; i += 2) {
    int hi = hex_value(hex[i]), lo = hex_value(hex[i + 1]);
    if (hi < 0 || lo < 0) {
      snprintf(err, err_len, "keyid '%s' is not hex", hex);
      return -1;
    }
    out->data[i / 2] = (uint8_t)(hi << 4 | lo);
  }
  out->type = IKE_ID_KEY_ID;
  out->len = (uint8_t)(len / 2);
  return 0;
}

int nd_identity_parse(const char *text, struct nd_identity *out, char *err, size_t err_len) {
  memset(out, 0, sizeof *out);
  uint8_t addr[16];
  if (strcmp(text, "%any") == 0) {
    out->type = ND_ID_ANY;
    return 0;
  }
  if (strncmp(text, "fqdn:", 5) == 0)
    return set_text(out, IKE_ID_FQDN, text + 5, err, err_len);
  if (strncmp(text, "email:", 6) == 0)
    return set_text(out, IKE_ID_RFC822_ADDR, text + 6, err, err_len);
  if (strncmp(text, "keyid:", 6) == 0)
    return set_keyid(out, text + 6, err, err_len);
  if (inet_pton(AF_INET, text, addr) == 1) {
    nd_identity_from_ip(AF_INET, addr, out);
    return 0;
  }
  if (inet_pton(AF_INET6, text, addr) == 1) {
    nd_identity_from_ip(AF_INET6, addr, out);
    return 0;
  }
  if (strchr(text, '=')) {
    snprintf(err, err_len, "identity '%s' looks like a distinguished name, which needs "
             "certificate authentication (not supported yet)", text);
    return -1;
  }
  if (text[0] == '@')
    return set_text(out, IKE_ID_FQDN, text + 1, err, err_len);
  if (strchr(text, '@'))
    return set_text(out, IKE_ID_RFC822_ADDR, text, err, err_len);
  return set_text(out, IKE_ID_FQDN, text, err, err_len);
}

bool nd_identity_from_wire(uint8_t type, const uint8_t *data, size_t len, struct nd_identity *out) {
  memset(out, 0, sizeof *out);
  if (len > ND_ID_MAX)
    return false;
  out->type = type;
  out->len = (uint8_t)len;
  if (len)
    memcpy(out->data, data, len);
  return true;
}

void nd_identity_from_ip(int family, const uint8_t *addr, struct nd_identity *out) {
  memset(out, 0, sizeof *out);
  out->type = family == AF_INET ? IKE_ID_IPV4_ADDR : IKE_ID_IPV6_ADDR;
  out->len = family == AF_INET ? 4 : 16;
  memcpy(out->data, addr, out->len);
}

bool nd_identity_equal(const struct nd_identity *a, const struct nd_identity *b) {
  return a->type == b->type && a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

bool nd_identity_matches(const struct nd_identity *pattern, const struct nd_identity *id) {
  return pattern->type == ND_ID_ANY || nd_identity_equal(pattern, id);
}

void nd_identity_format(const struct nd_identity *id, char *out, size_t len) {
  if (len == 0)
    return;
  out[0] = '\0';
  if (id->type == ND_ID_ANY) {
    snprintf(out, len, "%%any");
    return;
  }
  if (id->type == IKE_ID_IPV4_ADDR || id->type == IKE_ID_IPV6_ADDR) {
    if (!inet_ntop(id->type == IKE_ID_IPV4_ADDR ? AF_INET : AF_INET6, id->data, out,
                   (socklen_t)len))
      snprintf(out, len, "(bad address)");
    return;
  }
  size_t pos = 0;
  for (size_t i = 0; i < id->len && pos + 5 < len; i++) {
    uint8_t c = id->data[i];
    if (id->type != IKE_ID_KEY_ID && isprint(c) && c != '\\')
      out[pos++] = (char)c;
    else
      pos += (size_t)snprintf(out + pos, len - pos, "\\x%02x", c);
  }
  out[pos] = '\0';
}
