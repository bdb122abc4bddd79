/* Cipher contexts for SK payload messages: one per thread, re-keyed per message.
 *
 * Why: an ike_sk_cipher holds raw keys only (idle IKE SAs must not carry a key schedule and
 * GHASH tables each), so every message needs a keyed context. Creating and freeing one per
 * message made a seal + open pair about 5 us slower (provider context allocation, measured on
 * the test rig); re-keying a context the thread keeps costs little more than a key expansion.
 * The schedule of the last key stays in the thread's context until the next message, the
 * cipher's ike_sk_cipher_free (sk_ctx_forget) or thread exit, all of which wipe it. When the
 * thread context cannot be had, a fresh one serves the message. */
#include <pthread.h>
#include <stdlib.h>

#include "crypto_cache.h"
#include "sk_internal.h"

struct sk_thread_ctx {
  EVP_CIPHER_CTX *ctx;
  const EVP_CIPHER *cipher;          /* what ctx is set up for; NULL: nothing (reset) */
  const struct ike_sk_cipher *owner; /* whose key ctx holds */
};

static pthread_key_t thread_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static bool key_ok;

static void free_thread_ctx(void *p) {
  struct sk_thread_ctx *t = p;
  EVP_CIPHER_CTX_free(t->ctx); /* the provider cleanses its key schedule when freed */
  free(t);
}

/* Key destructors do not run for the thread that calls exit(): free (and wipe) its context. */
static void free_exiting_thread_ctx(void) {
  struct sk_thread_ctx *t = pthread_getspecific(thread_key);
  if (t) {
    pthread_setspecific(thread_key, NULL);
    free_thread_ctx(t);
  }
}

static void make_key(void) {
  key_ok = pthread_key_create(&thread_key, free_thread_ctx) == 0 &&
           atexit(free_exiting_thread_ctx) == 0;
}

/* The calling thread's context, or NULL when it has none (yet). pthread_once also orders the
 * read of key_ok after make_key's write, whichever thread ran it. */
static struct sk_thread_ctx *current(void) {
  pthread_once(&key_once, make_key);
  return key_ok ? pthread_getspecific(thread_key) : NULL;
}

static struct sk_thread_ctx *thread_ctx(void) {
  struct sk_thread_ctx *t = current();
  if (t || !key_ok)
    return t;
  t = calloc(1, sizeof *t);
  if (t && !(t->ctx = EVP_CIPHER_CTX_new())) {
    free(t);
    t = NULL;
  }
  if (t && pthread_setspecific(thread_key, t) != 0) {
    free_thread_ctx(t);
    t = NULL;
  }
  return t;
}

static EVP_CIPHER_CTX *fresh_ctx(const struct ike_sk_cipher *c, const EVP_CIPHER *cipher) {
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  if (ctx && EVP_CipherInit_ex2(ctx, cipher, c->key, NULL, c->role == IKE_SK_SEAL, NULL) <= 0) {
    EVP_CIPHER_CTX_free(ctx);
    ctx = NULL;
  }
  return ctx;
}

EVP_CIPHER_CTX *sk_ctx_open(const struct ike_sk_cipher *c) {
  const EVP_CIPHER *cipher = crypto_cache_cipher(c->encr->cipher);
  if (!cipher)
    return NULL;
  struct sk_thread_ctx *t = thread_ctx();
  if (!t)
    return fresh_ctx(c, cipher);
  /* Same algorithm: only the key changes, the provider context is reused. */
  const EVP_CIPHER *set_up = t->cipher == cipher ? NULL : cipher;
  t->owner = c;
  t->cipher = cipher;
  if (EVP_CipherInit_ex2(t->ctx, set_up, c->key, NULL, c->role == IKE_SK_SEAL, NULL) <= 0) {
    EVP_CIPHER_CTX_reset(t->ctx);
    t->cipher = NULL;
    t->owner = NULL;
    return NULL;
  }
  return t->ctx;
}

void sk_ctx_close(EVP_CIPHER_CTX *ctx) {
  struct sk_thread_ctx *t = current();
  if (!t || ctx != t->ctx)
    EVP_CIPHER_CTX_free(ctx); /* a fresh one: freed (and cleansed) at once */
}

void sk_ctx_forget(const struct ike_sk_cipher *c) {
  struct sk_thread_ctx *t = current();
  if (t && t->owner == c) {
    EVP_CIPHER_CTX_reset(t->ctx); /* frees the provider context, which cleanses the schedule */
    t->cipher = NULL;
    t->owner = NULL;
  }
}
