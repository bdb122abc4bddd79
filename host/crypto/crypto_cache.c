#include "crypto_cache.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>

/* What a slot holds; each kind is created and destroyed by its own pair of functions. */
enum cache_kind {
  CACHE_CIPHER,   /* EVP_CIPHER, by cipher name */
  CACHE_HMAC,     /* EVP_MAC_CTX with the digest set (dummy key), by digest name */
  CACHE_KEYGEN,   /* EVP_PKEY_CTX after keygen_init (+ group), by algorithm and group */
  CACHE_FROMDATA, /* EVP_PKEY_CTX after fromdata_init, by algorithm */
};

/* Every algorithm of ike_transforms.c and ke_methods.c fits several times over. */
enum { CACHE_SLOTS = 48, CACHE_NAME = 32 };

struct cache_slot {
  enum cache_kind kind;
  char name[CACHE_NAME];
  char group[CACHE_NAME]; /* "" when the object has no group */
  void *obj;
};

static struct cache_slot slots[CACHE_SLOTS];
static size_t n_slots;
static bool exit_hook_set;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

static EVP_MAC_CTX *make_hmac_template(const char *digest) {
  /* Keyed with a throwaway octet: OpenSSL 3.0 cannot duplicate an HMAC context that was never
   * initialised, and every user re-keys its duplicate anyway. */
  static const uint8_t dummy_key[1];
  EVP_MAC *mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
  EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
  EVP_MAC_free(mac); /* the context keeps its own reference */
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0),
      OSSL_PARAM_construct_end(),
  };
  if (ctx && !EVP_MAC_init(ctx, dummy_key, sizeof dummy_key, params)) {
    EVP_MAC_CTX_free(ctx);
    ctx = NULL;
  }
  return ctx;
}

static EVP_PKEY_CTX *make_keygen(const char *algorithm, const char *group) {
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, algorithm, NULL);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)group, 0),
      OSSL_PARAM_construct_end(),
  };
  if (ctx &&
      (EVP_PKEY_keygen_init(ctx) <= 0 || (*group && EVP_PKEY_CTX_set_params(ctx, params) <= 0))) {
    EVP_PKEY_CTX_free(ctx);
    ctx = NULL;
  }
  return ctx;
}

static EVP_PKEY_CTX *make_fromdata(const char *algorithm) {
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, algorithm, NULL);
  if (ctx && EVP_PKEY_fromdata_init(ctx) <= 0) {
    EVP_PKEY_CTX_free(ctx);
    ctx = NULL;
  }
  return ctx;
}

static void *make_object(enum cache_kind kind, const char *name, const char *group) {
  switch (kind) {
  case CACHE_CIPHER:
    return EVP_CIPHER_fetch(NULL, name, NULL);
  case CACHE_HMAC:
    return make_hmac_template(name);
  case CACHE_KEYGEN:
    return make_keygen(name, group);
  case CACHE_FROMDATA:
    return make_fromdata(name);
  }
  return NULL;
}

static void free_object(enum cache_kind kind, void *obj) {
  switch (kind) {
  case CACHE_CIPHER:
    EVP_CIPHER_free(obj);
    break;
  case CACHE_HMAC:
    EVP_MAC_CTX_free(obj); /* cleanses the dummy key like any other */
    break;
  case CACHE_KEYGEN:
  case CACHE_FROMDATA:
    EVP_PKEY_CTX_free(obj);
    break;
  }
}

void crypto_cache_free(void) {
  pthread_mutex_lock(&cache_lock);
  for (size_t i = 0; i < n_slots; i++)
    free_object(slots[i].kind, slots[i].obj);
  memset(slots, 0, sizeof slots);
  n_slots = 0;
  pthread_mutex_unlock(&cache_lock);
}

/* The cached object, created on first use; NULL when OpenSSL refuses it, the names do not fit
 * a slot or the table is full (the callers then fail cleanly). Call with cache_lock held. */
static void *lookup_locked(enum cache_kind kind, const char *name, const char *group) {
  if (!name || strlen(name) >= CACHE_NAME || strlen(group) >= CACHE_NAME)
    return NULL;
  for (size_t i = 0; i < n_slots; i++)
    if (slots[i].kind == kind && strcmp(slots[i].name, name) == 0 &&
        strcmp(slots[i].group, group) == 0)
      return slots[i].obj;
  if (n_slots == CACHE_SLOTS)
    return NULL;
  void *obj = make_object(kind, name, group);
  if (!obj)
    return NULL;
  struct cache_slot *s = &slots[n_slots++];
  s->kind = kind;
  s->obj = obj;
  strcpy(s->name, name); /* lengths checked above */
  strcpy(s->group, group);
  if (!exit_hook_set)
    exit_hook_set = atexit(crypto_cache_free) == 0;
  return obj;
}

const EVP_CIPHER *crypto_cache_cipher(const char *name) {
  pthread_mutex_lock(&cache_lock);
  const EVP_CIPHER *cipher = lookup_locked(CACHE_CIPHER, name, "");
  pthread_mutex_unlock(&cache_lock);
  return cipher;
}

EVP_MAC_CTX *crypto_cache_hmac_new(const char *digest, const uint8_t *key, size_t key_len) {
  /* EVP_MAC_init treats a NULL key as "keep the previous key"; an empty HMAC key is legal, so
   * point at a dummy byte instead. */
  static const uint8_t empty_key[1];
  pthread_mutex_lock(&cache_lock);
  EVP_MAC_CTX *template = lookup_locked(CACHE_HMAC, digest, "");
  EVP_MAC_CTX *ctx = template ? EVP_MAC_CTX_dup(template) : NULL;
  pthread_mutex_unlock(&cache_lock);
  if (ctx && !EVP_MAC_init(ctx, key_len ? key : empty_key, key_len, NULL)) {
    EVP_MAC_CTX_free(ctx);
    ctx = NULL;
  }
  return ctx;
}

int crypto_cache_generate(const char *algorithm, const char *group, EVP_PKEY **key) {
  pthread_mutex_lock(&cache_lock);
  EVP_PKEY_CTX *ctx = lookup_locked(CACHE_KEYGEN, algorithm, group ? group : "");
  int ok = ctx && EVP_PKEY_generate(ctx, key) > 0;
  pthread_mutex_unlock(&cache_lock);
  return ok;
}

EVP_PKEY *crypto_cache_fromdata(const char *algorithm, int selection, const OSSL_PARAM *params) {
  EVP_PKEY *key = NULL;
  pthread_mutex_lock(&cache_lock);
  EVP_PKEY_CTX *ctx = lookup_locked(CACHE_FROMDATA, algorithm, "");
  if (!ctx || EVP_PKEY_fromdata(ctx, &key, selection, (OSSL_PARAM *)params) <= 0)
    key = NULL;
  pthread_mutex_unlock(&cache_lock);
  return key;
}
