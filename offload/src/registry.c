/* Backend registry: name -> vtable. Built-in backends are compiled in; others register at run
 * time (before the first nicsec_hal_open that names them). */
#include <pthread.h>
#include <string.h>

#include "hal_internal.h"

enum { MAX_BACKENDS = 16 };

static const struct nicsec_hal_backend *const builtin_backends[] = {
    &nicsec_soft_backend,
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct nicsec_hal_backend *registered[MAX_BACKENDS];
static size_t n_registered;
static bool builtins_loaded;

/* Called with registry_lock held. */
static const struct nicsec_hal_backend *find_locked(const char *name) {
  for (size_t i = 0; i < n_registered; i++)
    if (strcmp(registered[i]->name, name) == 0)
      return registered[i];
  return NULL;
}

static enum nicsec_hal_err add_locked(const struct nicsec_hal_backend *b) {
  if (find_locked(b->name))
    return NICSEC_HAL_E_BACKEND_EXISTS;
  if (n_registered == MAX_BACKENDS)
    return NICSEC_HAL_E_NOMEM;
  registered[n_registered++] = b;
  return NICSEC_HAL_OK;
}

static void load_builtins_locked(void) {
  if (builtins_loaded)
    return;
  builtins_loaded = true;
  for (size_t i = 0; i < sizeof builtin_backends / sizeof builtin_backends[0]; i++)
    (void)add_locked(builtin_backends[i]);
}

static bool backend_complete(const struct nicsec_hal_backend *b) {
  return b && b->name && b->name[0] && b->open && b->close && b->sa_add && b->sa_stop &&
         b->sa_drain && b->sa_free && b->sa_update && b->sa_stats && b->dev_drops && b->dump;
}

enum nicsec_hal_err nicsec_hal_register(const struct nicsec_hal_backend *b) {
  if (!backend_complete(b))
    return NICSEC_HAL_E_INVAL;
  pthread_mutex_lock(&registry_lock);
  load_builtins_locked();
  enum nicsec_hal_err err = add_locked(b);
  pthread_mutex_unlock(&registry_lock);
  return err;
}

const struct nicsec_hal_backend *nicsec_hal_find_backend(const char *name) {
  pthread_mutex_lock(&registry_lock);
  load_builtins_locked();
  const struct nicsec_hal_backend *b = find_locked(name);
  pthread_mutex_unlock(&registry_lock);
  return b;
}

size_t nicsec_hal_backend_names(const char **names, size_t max) {
  pthread_mutex_lock(&registry_lock);
  load_builtins_locked();
  for (size_t i = 0; i < n_registered && i < max; i++)
    names[i] = registered[i]->name;
  size_t count = n_registered;
  pthread_mutex_unlock(&registry_lock);
  return count;
}
