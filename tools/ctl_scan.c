/* The tree-less JSON scanner (see ctl_scan.h). */
#include "ctl_scan.h"

#include <string.h>

static bool is_ws(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

const char *ctl_scan_ws(const char *p, const char *end) {
  if (p < end && !is_ws(*p)) /* compact text: the usual case */
    return p;
  while (p < end && is_ws(*p))
    p++;
  return p;
}

/* ASCII octets that stand for themselves inside a string: not '"', '\\', a control character, or
 * the start of a multi-octet UTF-8 sequence (checked on the slow path). */
#define PLAIN8(v) v, v, v, v, v, v, v, v
#define PLAIN32(v) PLAIN8(v), PLAIN8(v), PLAIN8(v), PLAIN8(v)
static const unsigned char plain[256] = {
    PLAIN32(0),                                             /* 0x00-0x1f: control */
    1, 1, 0, 1, 1, 1, 1, 1, PLAIN8(1), PLAIN8(1), PLAIN8(1), /* 0x20-0x3f, '"' */
    PLAIN8(1), PLAIN8(1), PLAIN8(1), 1, 1, 1, 1, 0, 1, 1, 1, /* 0x40-0x5f, '\\' */
    PLAIN32(1), PLAIN32(0), PLAIN32(0), PLAIN32(0), PLAIN32(0),
};

/* Just past one well-formed UTF-8 sequence of two to four octets at p (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or NULL. */
static const char *scan_utf8(const char *p, const char *end) {
  unsigned char c = (unsigned char)*p;
  size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
  if (c < 0xc2 || c > 0xf4 || (size_t)(end - p) < n)
    return NULL;
  unsigned cp = c & (n == 2 ? 0x1f : n == 3 ? 0x0f : 0x07);
  for (size_t i = 1; i < n; i++) {
    unsigned char k = (unsigned char)p[i];
    if ((k & 0xc0) != 0x80)
      return NULL;
    cp = cp << 6 | (k & 0x3f);
  }
  static const unsigned smallest[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < smallest[n] || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000))
    return NULL;
  return p + n;
}

/* Octets of w (eight, little or big endian alike) that are not plain: '"', '\\', below 0x20
 * or from 0x80 up. Non-zero when any is; the classic "has zero byte" test applied to w ^ '"',
 * w ^ '\\' and w - 0x20. */
static uint64_t special_octets(uint64_t w) {
  const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  uint64_t quote = w ^ (ones * '"'), slash = w ^ (ones * '\\');
  uint64_t zero_quote = (quote - ones) & ~quote, zero_slash = (slash - ones) & ~slash;
  uint64_t control = (w - ones * 0x20) & ~w; /* high bit where w < 0x20 (or w >= 0x80) */
  return (zero_quote | zero_slash | control | w) & highs;
}

/* Steps over plain octets: eight at a time while eight remain, then one by one. Borrows in
 * special_octets only flag octets above a real special one, so on a little-endian machine its
 * lowest flag is exact and gives the position directly. */
static const char *skip_plain(const char *p, const char *end) {
  while (end - p >= 8) {
    uint64_t w;
    memcpy(&w, p, sizeof w);
    uint64_t special = special_octets(w);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (special)
      return p + __builtin_ctzll(special) / 8;
#else
    if (special)
      break;
#endif
    p += 8;
  }
  while (p < end && plain[(unsigned char)*p])
    p++;
  return p;
}

/* p is just past the opening quote; returns just past the closing one. A listing is mostly
 * short strings and this is its hot path. */
const char *ctl_scan_string(const char *p, const char *end) {
  for (;;) {
    p = skip_plain(p, end);
    if (p >= end)
      return NULL;
    if ((unsigned char)*p >= 0x80) {
      if (!(p = scan_utf8(p, end)))
        return NULL;
      continue;
    }
    char c = *p++;
    if (c == '"')
      return p;
    if (c != '\\' || p >= end)
      return NULL; /* a control character, or a backslash at the end */
    char e = *p++;
    if (e == 'u') {
      for (int i = 0; i < 4; i++)
        if (p >= end || hex_value(*p++) < 0)
          return NULL;
    } else if (e == '\0' || !strchr("\"\\/bfnrt", e)) {
      return NULL;
    }
  }
}

static const char *scan_digits(const char *p, const char *end) {
  if (p >= end || !is_digit(*p))
    return NULL;
  while (p < end && is_digit(*p))
    p++;
  return p;
}

/* -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static const char *scan_number(const char *p, const char *end) {
  if (p < end && *p == '-')
    p++;
  if (p < end && *p == '0')
    p++;
  else if (!(p = scan_digits(p, end)))
    return NULL;
  if (p < end && *p == '.' && !(p = scan_digits(p + 1, end)))
    return NULL;
  if (p < end && (*p == 'e' || *p == 'E')) {
    p++;
    if (p < end && (*p == '+' || *p == '-'))
      p++;
    p = scan_digits(p, end);
  }
  return p;
}

static const char *scan_literal(const char *p, const char *end, const char *word) {
  size_t n = strlen(word);
  return (size_t)(end - p) >= n && memcmp(p, word, n) == 0 ? p + n : NULL;
}

static const char *scan_at(const char *p, const char *end, int depth);

/* Elements or members up to the closing bracket; p is just past the opening one. */
static const char *scan_container(const char *p, const char *end, int depth, bool object) {
  char close = object ? '}' : ']';
  p = ctl_scan_ws(p, end);
  if (p < end && *p == close)
    return p + 1;
  while (p) {
    if (object) {
      p = ctl_scan_ws(p, end);
      if (p >= end || *p != '"' || !(p = ctl_scan_string(p + 1, end)))
        return NULL;
      p = ctl_scan_ws(p, end);
      if (p >= end || *p != ':')
        return NULL;
      p++;
    }
    if (!(p = scan_at(p, end, depth + 1)))
      return NULL;
    p = ctl_scan_ws(p, end);
    if (p < end && *p == close)
      return p + 1;
    if (p >= end || *p != ',')
      return NULL;
    p++;
  }
  return NULL;
}

static const char *scan_at(const char *p, const char *end, int depth) {
  if (depth > CTL_SCAN_MAX_DEPTH)
    return NULL;
  p = ctl_scan_ws(p, end);
  if (p >= end)
    return NULL;
  switch (*p) {
  case '{':
    return scan_container(p + 1, end, depth, true);
  case '[':
    return scan_container(p + 1, end, depth, false);
  case '"':
    return ctl_scan_string(p + 1, end);
  case 't':
    return scan_literal(p, end, "true");
  case 'f':
    return scan_literal(p, end, "false");
  case 'n':
    return scan_literal(p, end, "null");
  default:
    return scan_number(p, end);
  }
}

const char *ctl_scan_value(const char *p, const char *end) {
  return p ? scan_at(p, end, 0) : NULL;
}

/* ---- iteration ------------------------------------------------------------------------------ */

static bool begin(struct ctl_iter *it, struct ctl_span v, char open) {
  *it = (struct ctl_iter){0};
  if (!v.p)
    return false;
  const char *end = v.p + v.len, *p = ctl_scan_ws(v.p, end);
  if (p >= end || *p != open)
    return false;
  it->p = p + 1;
  it->end = end;
  return true;
}

bool ctl_obj_begin(struct ctl_iter *it, struct ctl_span v) {
  return begin(it, v, '{');
}

bool ctl_arr_begin(struct ctl_iter *it, struct ctl_span v) {
  return begin(it, v, '[');
}

/* Steps over the separator before the next item: false at the closing bracket or on bad text. */
static bool next_item(struct ctl_iter *it, char close) {
  if (!it->p || it->bad)
    return false;
  const char *p = ctl_scan_ws(it->p, it->end);
  if (p < it->end && *p == close) {
    it->p = NULL;
    it->stop = p + 1;
    return false;
  }
  if (it->started) {
    if (p >= it->end || *p != ',') {
      it->bad = true;
      return false;
    }
    p = ctl_scan_ws(p + 1, it->end);
  }
  it->started = true;
  it->p = p;
  return true;
}

static bool take_value(struct ctl_iter *it, struct ctl_span *value) {
  const char *start = ctl_scan_ws(it->p, it->end), *stop = ctl_scan_value(start, it->end);
  if (!stop) {
    it->bad = true;
    return false;
  }
  *value = (struct ctl_span){start, (size_t)(stop - start)};
  it->p = stop;
  return true;
}

bool ctl_arr_next(struct ctl_iter *it, struct ctl_span *value) {
  return next_item(it, ']') && take_value(it, value);
}

bool ctl_obj_next(struct ctl_iter *it, struct ctl_span *key, struct ctl_span *value) {
  if (!next_item(it, '}'))
    return false;
  const char *p = it->p, *stop;
  if (p >= it->end || *p != '"' || !(stop = ctl_scan_string(p + 1, it->end))) {
    it->bad = true;
    return false;
  }
  *key = (struct ctl_span){p + 1, (size_t)(stop - p - 2)};
  p = ctl_scan_ws(stop, it->end);
  if (p >= it->end || *p != ':') {
    it->bad = true;
    return false;
  }
  it->p = p + 1;
  return take_value(it, value);
}

/* ---- values --------------------------------------------------------------------------------- */

bool ctl_key_is(struct ctl_span key, const char *name) {
  size_t n = strlen(name);
  return key.len == n && memcmp(key.p, name, n) == 0;
}

bool ctl_span_is(struct ctl_span v, const char *literal) {
  return v.p && ctl_key_is(v, literal);
}

bool ctl_span_present(struct ctl_span v) {
  return v.p && !ctl_span_is(v, "null");
}

static size_t put_utf8(char *out, unsigned cp) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xc0 | cp >> 6);
    out[1] = (char)(0x80 | (cp & 0x3f));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xe0 | cp >> 12);
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[2] = (char)(0x80 | (cp & 0x3f));
    return 3;
  }
  out[0] = (char)(0xf0 | cp >> 18);
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
  out[3] = (char)(0x80 | (cp & 0x3f));
  return 4;
}

static unsigned hex4(const char *p) {
  return (unsigned)(hex_value(p[0]) << 12 | hex_value(p[1]) << 8 | hex_value(p[2]) << 4 |
                    hex_value(p[3]));
}

/* One escape at p (just past the backslash; the scanner vouched for its form): the code point,
 * joining a surrogate pair when one follows. */
static unsigned escape_at(const char **p, const char *end) {
  static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
  char e = *(*p)++;
  if (e != 'u')
    return (unsigned char)to[strchr(from, e) - from];
  unsigned cp = hex4(*p);
  *p += 4;
  if (cp >= 0xd800 && cp < 0xdc00 && end - *p >= 6 && (*p)[0] == '\\' && (*p)[1] == 'u') {
    unsigned low = hex4(*p + 2);
    if (low >= 0xdc00 && low < 0xe000) {
      *p += 6;
      return 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
    }
  }
  return cp >= 0xd800 && cp < 0xe000 ? 0xfffd : cp; /* a lone surrogate */
}

bool ctl_span_str(struct ctl_span v, char *out, size_t len) {
  if (!v.p || v.len < 2 || v.p[0] != '"' || len == 0)
    return false;
  const char *p = v.p + 1, *end = v.p + v.len - 1;
  if (!memchr(p, '\\', (size_t)(end - p))) { /* no escapes: the text is the string */
    if ((size_t)(end - p) >= len)
      return false;
    memcpy(out, p, (size_t)(end - p));
    out[end - p] = '\0';
    return true;
  }
  size_t o = 0;
  while (p < end) {
    char utf8[4];
    size_t n = 1;
    if (*p == '\\') {
      p++;
      unsigned cp = escape_at(&p, end);
      if (cp == 0)
        return false;
      n = put_utf8(utf8, cp);
    } else {
      utf8[0] = *p++;
    }
    if (o + n >= len)
      return false;
    memcpy(out + o, utf8, n);
    o += n;
  }
  out[o] = '\0';
  return true;
}

bool ctl_span_u64(struct ctl_span v, uint64_t *out) {
  if (!v.p || v.len == 0 || v.len > 20)
    return false;
  uint64_t x = 0;
  for (size_t i = 0; i < v.len; i++) {
    if (!is_digit(v.p[i]))
      return false;
    unsigned d = (unsigned)(v.p[i] - '0');
    if (x > (UINT64_MAX - d) / 10)
      return false;
    x = x * 10 + d;
  }
  *out = x;
  return true;
}
