/* The streamed sa-table answer end to end: nicsecd's listing (control_listing.c) formatted in
 * pieces and sent without blocking (control_stream.c), and nicsecctl's feed (ctl_table.h)
 * parsing it as it arrives. Whatever the piece sizes and wherever the answer is split, both
 * ends must see exactly the text and the table of the answer built whole. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "control_internal.h"
#include "ctl_export.h"
#include "ctl_model.h"
#include "ctl_text.h"
#include "ctl_table.h"

enum { BIG_SAS = 12000 }; /* ~6 MB of answer: across several of ctl_table's chunks */

static struct nicsec_hal_sa describe(size_t i) {
  struct nicsec_hal_sa sa = {
      .dir = i % 2 ? NICSEC_HAL_DIR_OUT : NICSEC_HAL_DIR_IN, .offload = NICSEC_HAL_OFFLOAD_PACKET,
      .mode = NICSEC_HAL_MODE_TUNNEL, .spi = (uint32_t)(0x1000 + i), .reqid = (uint32_t)i,
      .alg = NICSEC_HAL_ALG_AES_GCM_256, .key_len = 32, .icv_len = 16,
      .replay_window = i % 2 ? 0 : 64, .esn = i % 3 == 0,
  };
  sa.src.family = sa.dst.family = NICSEC_HAL_AF_INET;
  memcpy(sa.src.bytes, (uint8_t[]){198, 18, (uint8_t)(i >> 8), (uint8_t)i}, 4);
  memcpy(sa.dst.bytes, (uint8_t[]){192, 0, 2, 1}, 4);
  sa.encap.enabled = i % 5 == 0;
  sa.encap.sport = sa.encap.dport = 4500;
  return sa;
}

struct fixture {
  struct nicsec_hal_dev *dev;
  struct nicsec_hal_sa *descs;
  size_t n;
};

/* n SAs on the device; nicsecd believes in all but the last, and in one the device lacks. */
static struct fixture *make_fixture(size_t n) {
  struct fixture *f = calloc(1, sizeof *f);
  char args[32];
  snprintf(args, sizeof args, "max_sa=%zu", n + 1);
  assert_int_equal(nicsec_hal_open("soft", args, &f->dev), NICSEC_HAL_OK);
  f->descs = calloc(n + 1, sizeof *f->descs);
  f->n = n;
  for (size_t i = 0; i <= n; i++)
    f->descs[i] = describe(i);
  uint32_t batch = nicsec_hal_caps(f->dev)->max_batch;
  nicsec_hal_sa_id *ids = calloc(n, sizeof *ids);
  for (size_t i = 0; i < n; i += batch) {
    size_t k = n - i < batch ? n - i : batch;
    assert_int_equal(nicsec_hal_sa_add(f->dev, &f->descs[i], k, &ids[i], NULL), NICSEC_HAL_OK);
  }
  free(ids);
  return f;
}

static void free_fixture(struct fixture *f) {
  nicsec_hal_close(f->dev);
  free(f->descs);
  free(f);
}

static struct nd_listing *listing_of(const struct fixture *f, bool rows) {
  enum nicsec_hal_err rc;
  struct nd_listing *l = nd_listing_new(f->dev, 1700000000, 5000, &rc);
  assert_non_null(l);
  if (rows)
    nd_listing_use_rows(l);
  assert_int_equal(nd_listing_device_count(l), f->n);
  for (size_t i = 1; i <= f->n; i++) { /* SA 0 on the device only, SA n at nicsecd only */
    struct nd_sa_belief b = {.ike_sa = 1, .child_id = i, .conn = "peer", .child = "net\"1",
                             .state = "live", .handle = i, .desc = &f->descs[i],
                             .installed_ms = 1000};
    assert_true(nd_listing_add_belief(l, &b));
  }
  return l;
}

/* The answer in pieces of at most budget octets each (plus one SA), concatenated. */
static char *answer_of(const struct fixture *f, bool rows, size_t budget, size_t *len) {
  struct nd_listing *l = listing_of(f, rows);
  struct nd_sb whole = {0}, piece = {0};
  bool done = false;
  while (!done) {
    piece.len = 0;
    done = nd_listing_next(l, &piece, budget);
    assert_false(piece.failed);
    nd_sb_raw(&whole, piece.buf, piece.len);
  }
  nd_sb_free(&piece);
  nd_listing_free(l);
  *len = whole.len;
  return nd_sb_take(&whole);
}

/* One listing in both forms: whole as objects, and as rows in pieces of rows_budget. */
struct both_forms {
  char *objects, *rows;
  size_t obj_len, rows_len;
};

static struct both_forms both_forms_of(const struct fixture *f, size_t rows_budget) {
  struct both_forms b;
  b.objects = answer_of(f, false, SIZE_MAX, &b.obj_len);
  b.rows = answer_of(f, true, rows_budget, &b.rows_len);
  return b;
}

static void both_forms_free(struct both_forms *b) {
  free(b->objects);
  free(b->rows);
}

static char *answer_in_pieces(const struct fixture *f, size_t budget, size_t *len) {
  return answer_of(f, false, budget, len);
}

static char *captured(const struct ctl_table *t, bool json) {
  char *buf = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&buf, &len);
  if (json)
    ctl_table_write_json(out, t);
  else
    ctl_table_print(out, t);
  fclose(out);
  return buf;
}

/* What nicsecctl shows for an answer: its sa list --json and sa list, "" when refused. */
struct shown {
  char *json, *text;
};

static struct shown show(struct ctl_table *t, int rc) {
  struct shown s = {strdup(""), strdup("")};
  if (rc == 0) {
    free(s.json);
    free(s.text);
    s = (struct shown){captured(t, true), captured(t, false)};
    ctl_table_free(t);
  }
  return s;
}

static void shown_free(struct shown *s) {
  free(s->json);
  free(s->text);
}

/* Feeds text as nicsecctl's socket reader would, cut at each offset in cuts (ascending). */
static struct shown feed_cut(const char *text, size_t len, const size_t *cuts, size_t n_cuts) {
  struct ctl_table t;
  struct ctl_feed *f = ctl_feed_new(&t, true);
  size_t done = 0;
  for (size_t c = 0; c <= n_cuts; c++) {
    size_t stop = c < n_cuts ? cuts[c] : len;
    while (done < stop) {
      size_t room = 0;
      char *space = ctl_feed_space(f, &room);
      assert_non_null(space);
      size_t n = stop - done < room ? stop - done : room;
      memcpy(space, text + done, n);
      done += n;
      if (ctl_feed_commit(f, n) != CTL_FEED_MORE)
        done = len; /* the answer is complete (or refused): a reader stops here */
    }
  }
  char err[200];
  return show(&t, ctl_feed_finish(f, err, sizeof err));
}

static void assert_same(const struct shown *a, const struct shown *b, const char *what,
                        size_t at) {
  if (strcmp(a->json, b->json) != 0 || strcmp(a->text, b->text) != 0)
    fail_msg("%s %zu: the table differs from the whole answer's", what, at);
}

/* Every cut in two, and octet by octet: each gives the table want. */
static void every_split_agrees(const char *text, size_t len, const struct shown *want) {
  for (size_t cut = 0; cut <= len; cut++) {
    struct shown split = feed_cut(text, len, &cut, 1);
    assert_same(&split, want, "split at", cut);
    shown_free(&split);
  }
  size_t *every = malloc(len * sizeof *every);
  for (size_t i = 0; i < len; i++)
    every[i] = i;
  struct shown bytewise = feed_cut(text, len, every, len);
  assert_same(&bytewise, want, "octet by octet, length", len);
  shown_free(&bytewise);
  free(every);
}

/* Pieces of each of the steps' sizes: each gives the table want. */
static void pieces_agree(const char *text, size_t len, const size_t *steps, size_t n_steps,
                         const struct shown *want) {
  for (size_t s = 0; s < n_steps; s++) {
    size_t n_cuts = len / steps[s];
    size_t *cuts = malloc((n_cuts + 1) * sizeof *cuts);
    for (size_t i = 0; i < n_cuts; i++)
      cuts[i] = (i + 1) * steps[s];
    struct shown fed = feed_cut(text, len, cuts, n_cuts);
    assert_same(&fed, want, "pieces of", steps[s]);
    shown_free(&fed);
    free(cuts);
  }
}

static void pieces_concatenate_to_the_whole_answer(void **state) {
  (void)state;
  struct fixture *f = make_fixture(6);
  size_t whole_len, len;
  char *whole = answer_in_pieces(f, SIZE_MAX, &whole_len);
  assert_true(whole_len > 2 && whole[whole_len - 1] == '\n');
  assert_null(memchr(whole, '\n', whole_len - 1)); /* one line */
  json_t *doc = json_loadb(whole, whole_len, 0, NULL);
  assert_non_null(doc);
  assert_int_equal(json_array_size(json_object_get(doc, "device_sas")), 6);
  assert_int_equal(json_array_size(json_object_get(doc, "daemon_sas")), 6);
  json_decref(doc);
  static const size_t budgets[] = {1, 7, 300, 1000, 4096};
  for (size_t i = 0; i < sizeof budgets / sizeof budgets[0]; i++) {
    char *pieces = answer_in_pieces(f, budgets[i], &len);
    assert_int_equal(len, whole_len);
    assert_memory_equal(pieces, whole, len);
    free(pieces);
  }
  free(whole);
  free_fixture(f);
}

static void every_split_parses_identically(void **state) {
  (void)state;
  struct fixture *f = make_fixture(4);
  size_t len;
  char *text = answer_in_pieces(f, SIZE_MAX, &len);
  struct shown whole = feed_cut(text, len, NULL, 0);
  assert_non_null(strstr(whole.text, "peer/net\"1"));
  assert_non_null(strstr(whole.json, "\"key\":\"in/00001004/192.0.2.1\""));
  every_split_agrees(text, len, &whole);
  shown_free(&whole);
  free(text);
  free_fixture(f);
}

/* An answer larger than a chunk: values cut by a chunk's end move whole into the next. */
static void big_answer_crosses_chunks(void **state) {
  (void)state;
  struct fixture *f = make_fixture(BIG_SAS);
  size_t len;
  char *text = answer_in_pieces(f, 256 * 1024, &len);
  assert_true(len > (5u << 20));
  struct ctl_table t;
  char err[200];
  struct shown whole = show(&t, ctl_table_parse(&t, text, len, err, sizeof err));
  assert_non_null(strstr(whole.json, "\"key\":\"in/00001000/192.0.2.1\""));
  static const size_t steps[] = {SIZE_MAX, 4093, 65536, 99991}; /* SIZE_MAX: in one piece */
  pieces_agree(text, len, steps, sizeof steps / sizeof steps[0], &whole);
  shown_free(&whole);
  free(text);
  free_fixture(f);
}

static void the_line_ends_the_answer(void **state) {
  (void)state;
  struct fixture *f = make_fixture(2);
  size_t len;
  char *text = answer_in_pieces(f, SIZE_MAX, &len);
  struct shown whole = feed_cut(text, len, NULL, 0);
  assert_true(whole.json[0] != '\0');
  char *more = malloc(len + 16);
  memcpy(more, text, len);
  memcpy(more + len, "{\"ok\":false}\n", 13); /* the next answer's octets: not this one */
  struct shown followed = feed_cut(more, len + 13, NULL, 0);
  assert_same(&followed, &whole, "followed, length", len);
  struct shown cut = feed_cut(text, len / 2, NULL, 0); /* nicsecd went away mid-answer */
  assert_string_equal(cut.json, "");
  shown_free(&cut);
  shown_free(&followed);
  shown_free(&whole);
  free(more);
  free(text);
  free_fixture(f);
}

/* ---- the compact rows form ({"form":"rows"}) --------------------------------------------- */

/* What `nicsecctl audit` and `sa show` build from a table, as text. */
static char *derived_json(struct ctl_table *t) {
  json_t *audit = ctl_table_audit(t), *tree = ctl_table_to_json(t, NULL);
  json_t *both = json_pack("{s:o, s:o}", "audit", audit, "tree", tree);
  char *text = json_dumps(both, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(both);
  return text;
}

static void parse_ok(struct ctl_table *t, const char *text, size_t len) {
  char err[200];
  assert_int_equal(ctl_table_parse(t, text, len, err, sizeof err), 0);
}

static char *parsed_derived(const char *text, size_t len) {
  struct ctl_table t;
  parse_ok(&t, text, len);
  char *derived = derived_json(&t);
  ctl_table_free(&t);
  return derived;
}

/* Both forms of one listing give nicsecctl the same table, text, JSON, audit and tree, however
 * the rows answer is split. */
static void rows_show_what_objects_show(void **state) {
  (void)state;
  struct fixture *f = make_fixture(6);
  struct both_forms b = both_forms_of(f, 7);
  assert_non_null(strstr(b.rows, "\"device_columns\":[\"dir\",\"spi\","));
  assert_non_null(strstr(b.rows, "\"daemon_sas\":[[\"out\","));
  assert_true(b.rows_len < b.obj_len * 3 / 4);
  struct shown want = feed_cut(b.objects, b.obj_len, NULL, 0);
  assert_non_null(strstr(want.json, "\"encap\":{\"sport\":4500,\"dport\":4500}"));
  every_split_agrees(b.rows, b.rows_len, &want);
  char *want_derived = parsed_derived(b.objects, b.obj_len),
       *got = parsed_derived(b.rows, b.rows_len);
  assert_string_equal(got, want_derived);
  free(got);
  free(want_derived);
  shown_free(&want);
  both_forms_free(&b);
  free_fixture(f);
}

/* A rows answer whose rebuilt objects fill several of the feed's chunks of them. */
static void big_rows_answer_crosses_chunks(void **state) {
  (void)state;
  struct fixture *f = make_fixture(BIG_SAS);
  struct both_forms b = both_forms_of(f, 256 * 1024);
  struct shown want = feed_cut(b.objects, b.obj_len, NULL, 0);
  static const size_t steps[] = {SIZE_MAX, 4093, 99991};
  pieces_agree(b.rows, b.rows_len, steps, sizeof steps / sizeof steps[0], &want);
  shown_free(&want);
  both_forms_free(&b);
  free_fixture(f);
}

/* Rows that do not match their columns, or come without them, are refused. */
static void malformed_rows_refused(void **state) {
  (void)state;
  static const char *const bad[] = {
      "{\"ok\":true,\"device_sas\":[[\"in\"]],\"daemon_sas\":[]}\n",
      "{\"ok\":true,\"device_columns\":[\"dir\",\"spi\"],\"device_sas\":[[\"in\"]],"
      "\"daemon_sas\":[]}\n",
      "{\"ok\":true,\"device_columns\":[\"dir\"],\"device_sas\":[[\"in\",1]],"
      "\"daemon_sas\":[]}\n",
      "{\"ok\":true,\"device_columns\":[\"dir\",\"spi\"],\"device_sas\":[[\"in\",]],"
      "\"daemon_sas\":[]}\n",
      "{\"ok\":true,\"device_columns\":[\"dir\",2],\"device_sas\":[],\"daemon_sas\":[]}\n",
      "{\"ok\":true,\"device_columns\":[\"dir\"],\"device_sas\":[[\"in\"]}\n",
      "{\"ok\":true,\"device_columns\":[\"dir\"],\"device_columns\":[\"dir\"],"
      "\"device_sas\":[],\"daemon_sas\":[]}\n",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    struct shown s = feed_cut(bad[i], strlen(bad[i]), NULL, 0);
    if (s.json[0])
      fail_msg("accepted: %s", bad[i]);
    shown_free(&s);
  }
}

/* Rows come back as the objects they stand for, whatever their values: nested objects written
 * flat ("obj.member" columns) too, where a marker column named as the object says null or there,
 * a run ends at the next other column or the row's end, and a member name keeps what follows
 * its first dot. */
static void rows_rebuild_objects(void **state) {
  (void)state;
  static const struct {
    const char *answer, *want[2];
  } cases[] = {
      {"{\"ok\":true,\"device_columns\":[\"dir\",\"spi\",\"dst\",\"x\"],"
       "\"device_sas\":[ [ \"in\" , \"0000000a\",\"192.0.2.1\", {\"a\":[1]} ] ],"
       "\"daemon_sas\":[]}\n",
       {"\"device\":{\"dir\":\"in\",\"spi\":\"0000000a\",\"dst\":\"192.0.2.1\",\"x\":{\"a\":[1]}}",
        "\"daemon\":null"}},
      {"{\"ok\":true,\"device_columns\":[\"dir\",\"spi\",\"o\",\"o.a\",\"o.b\",\"p.x\","
       "\"p.y.z\",\"q\",\"r.s\"],\"device_sas\":[[\"in\",\"0000000a\",null,null,null,1,[2],3,4],"
       "[\"in\",\"0000000b\",true,5,\"six\",7,{\"e\":8},9,10]],\"daemon_sas\":[]}\n",
       {"\"device\":{\"dir\":\"in\",\"spi\":\"0000000a\",\"o\":null,\"p\":{\"x\":1,\"y.z\":[2]},"
        "\"q\":3,\"r\":{\"s\":4}}",
        "\"device\":{\"dir\":\"in\",\"spi\":\"0000000b\",\"o\":{\"a\":5,\"b\":\"six\"},"
        "\"p\":{\"x\":7,\"y.z\":{\"e\":8}},\"q\":9,\"r\":{\"s\":10}}"}},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *answer = cases[i].answer;
    struct shown s = feed_cut(answer, strlen(answer), NULL, 0);
    for (size_t w = 0; w < 2; w++)
      if (!strstr(s.json, cases[i].want[w]))
        fail_msg("case %zu: %s not in %s", i, cases[i].want[w], s.json);
    every_split_agrees(answer, strlen(answer), &s);
    shown_free(&s);
  }
}

/* nicsecd's beliefs differing from the device in a replay window, a reqid, a limit and the
 * encapsulation: the audit of the rows answer finds each, exactly as the objects' audit does. */
static void rows_audit_finds_mismatches(void **state) {
  (void)state;
  struct fixture *f = make_fixture(8);
  f->descs[2].replay_window = 128;
  f->descs[3].reqid += 100;
  f->descs[4].limits.hard_bytes = 12345;
  f->descs[5].encap.enabled = !f->descs[5].encap.enabled;
  struct both_forms b = both_forms_of(f, SIZE_MAX);
  char *want = parsed_derived(b.objects, b.obj_len), *got = parsed_derived(b.rows, b.rows_len);
  assert_string_equal(got, want);
  static const char *const fields[] = {"\"replay_window\"", "\"reqid\"", "\"limits\"",
                                       "\"encap\""};
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
    if (!strstr(got, fields[i]))
      fail_msg("the audit missed the %s mismatch: %s", fields[i], got);
  assert_non_null(strstr(got, "\"consistent\":false"));
  free(got);
  free(want);
  both_forms_free(&b);
  free_fixture(f);
}

static char *prom_text(const struct ctl_table *t, const json_t *tree, const json_t *metrics) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (t)
    ctl_table_prom_write(f, t, metrics);
  else
    ctl_prom_write(f, tree, metrics);
  fclose(f);
  return text;
}

static char *frame_text(json_t *frame) {
  char *text = json_dumps(frame, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(frame);
  return text;
}

/* watch and metrics read the fast table: their documents and text are what the tree path
 * (ctl_watch_frame, ctl_prom_write on the sa-list document) makes, in either form. */
static void views_match_the_tree(void **state) {
  (void)state;
  struct fixture *f = make_fixture(12);
  struct both_forms b = both_forms_of(f, SIZE_MAX);
  struct ctl_table prev, cur; /* the same SAs: the objects answer before the rows answer */
  parse_ok(&prev, b.objects, b.obj_len);
  parse_ok(&cur, b.rows, b.rows_len);
  json_t *prev_tree = ctl_table_to_json(&prev, NULL), *cur_tree = ctl_table_to_json(&cur, NULL);
  json_t *metrics = json_pack("{s:b, s:{s:i}, s:[]}", "ok", 1, "stats", "rx", 3, "devices");
  for (int i = 0; i < 2; i++) {
    const struct ctl_table *t = i ? &cur : &prev;
    char *want = prom_text(NULL, i ? cur_tree : prev_tree, metrics),
         *got = prom_text(t, NULL, metrics);
    assert_string_equal(got, want);
    assert_non_null(strstr(got,
                           "nicsec_sa_drops_total{dir=\"in\",spi=\"0x00001002\",backend=\"soft\","
                           "conn=\"peer\",child=\"net\\\"1\",reason=\"replay\"} 0\n"));
    free(got);
    free(want);
  }
  char *want = frame_text(ctl_watch_frame(NULL, cur_tree, 0, 7.0));
  char *got = frame_text(ctl_table_watch_frame(NULL, &cur, 0, 7.0));
  assert_string_equal(got, want);
  free(got);
  free(want);
  for (int first = 0; first < 2; first++) { /* the text view, first frame and later ones */
    char *tree_text = NULL, *fast_text = NULL;
    size_t len = 0;
    json_t *frame = ctl_watch_frame(first ? NULL : prev_tree, cur_tree, 2.0, 9.0);
    FILE *out = open_memstream(&tree_text, &len);
    ctl_print_watch(out, frame);
    fclose(out);
    out = open_memstream(&fast_text, &len);
    ctl_table_print_watch(out, first ? NULL : &prev, &cur, 2.0);
    fclose(out);
    assert_string_equal(fast_text, tree_text);
    json_decref(frame);
    free(tree_text);
    free(fast_text);
  }
  want = frame_text(ctl_watch_frame(prev_tree, cur_tree, 2.0, 9.0));
  got = frame_text(ctl_table_watch_frame(&prev, &cur, 2.0, 9.0));
  assert_string_equal(got, want);
  assert_non_null(strstr(got, "\"packets_per_s\":0.0"));
  free(got);
  free(want);
  json_decref(metrics);
  json_decref(prev_tree);
  json_decref(cur_tree);
  ctl_table_free(&prev);
  ctl_table_free(&cur);
  both_forms_free(&b);
  free_fixture(f);
}

/* Reads what the socket holds now (non-blocking) onto got. */
static void drain(int fd, struct nd_sb *got) {
  char buf[65536];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof buf, MSG_DONTWAIT)) > 0)
    nd_sb_raw(got, buf, (size_t)n);
}

/* The daemon's side: a full socket makes the pump return (MORE) instead of blocking, and the
 * octets that arrive are exactly the answer. */
static void pump_never_blocks(void **state) {
  (void)state;
  struct fixture *f = make_fixture(600);
  size_t len;
  char *expected = answer_in_pieces(f, SIZE_MAX, &len);
  int fds[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  int small = 4096;
  setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  struct nd_ctl_stream *s = nd_ctl_stream_listing(listing_of(f, false));
  struct nd_sb got = {0};
  size_t turns = 0;
  enum nd_ctl_progress p;
  while ((p = nd_ctl_stream_pump(s, fds[0])) == ND_CTL_MORE) {
    turns++;
    drain(fds[1], &got);
  }
  assert_int_equal(p, ND_CTL_SENT);
  drain(fds[1], &got);
  assert_true(turns > 10); /* the answer left in many turns, each returning to the loop */
  assert_int_equal(got.len, len);
  assert_memory_equal(got.buf, expected, len);
  nd_ctl_stream_free(s);
  nd_sb_free(&got);
  close(fds[0]);
  close(fds[1]);
  free(expected);
  free_fixture(f);
}

static void gone_client_breaks_the_stream(void **state) {
  (void)state;
  struct fixture *f = make_fixture(600);
  int fds[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  close(fds[1]);
  struct nd_ctl_stream *s = nd_ctl_stream_listing(listing_of(f, false));
  assert_int_equal(nd_ctl_stream_pump(s, fds[0]), ND_CTL_BROKEN); /* and no SIGPIPE */
  nd_ctl_stream_free(s);
  close(fds[0]);
  free_fixture(f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(pieces_concatenate_to_the_whole_answer),
      cmocka_unit_test(every_split_parses_identically),
      cmocka_unit_test(big_answer_crosses_chunks),
      cmocka_unit_test(the_line_ends_the_answer),
      cmocka_unit_test(rows_show_what_objects_show),
      cmocka_unit_test(big_rows_answer_crosses_chunks),
      cmocka_unit_test(malformed_rows_refused),
      cmocka_unit_test(rows_rebuild_objects),
      cmocka_unit_test(rows_audit_finds_mismatches),
      cmocka_unit_test(views_match_the_tree),
      cmocka_unit_test(pump_never_blocks),
      cmocka_unit_test(gone_client_breaks_the_stream),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
