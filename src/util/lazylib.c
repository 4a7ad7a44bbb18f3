/* lazylib.c — load a library on the first call into it (see lazylib.h). */
#include "config.h"
#include "util/lazylib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

/* The libraries of util/lazy_*.h, by the sonames configure found. */
struct lazylib lazylib_crypt = LAZYLIB_INIT(KILN_SONAME_CRYPT);
struct lazylib lazylib_crypto = LAZYLIB_INIT(KILN_SONAME_CRYPTO);
struct lazylib lazylib_jansson = LAZYLIB_INIT(KILN_SONAME_JANSSON);
struct lazylib lazylib_m = LAZYLIB_INIT(KILN_SONAME_M);
struct lazylib lazylib_pcre2 = LAZYLIB_INIT(KILN_SONAME_PCRE2);
struct lazylib lazylib_unistring = LAZYLIB_INIT(KILN_SONAME_UNISTRING);
struct lazylib lazylib_yaml = LAZYLIB_INIT(KILN_SONAME_YAML);

/* pthread_once's routine takes no argument: the library to open is handed over in a thread-local,
 * which is enough because pthread_once runs the routine on the calling thread. */
static _Thread_local struct lazylib *opening;

/* The same failure at start would be the dynamic loader's message and exit status 127: this is
 * that message, late. Nothing can go through the UI here (it may be the UI that needs the library). */
static _Noreturn void lazylib_fatal(const char *soname, const char *detail)
{
	fprintf(stderr, "kiln: error while loading shared libraries: %s: %s\n", soname, detail);
	fflush(stderr);
	_Exit(127);
}

static void lazylib_open(void)
{
	/* RTLD_LOCAL: the core reaches the library only through its slots; kiln-components.so,
	 * which links it, finds this same copy by its soname. */
	void *h = dlopen(opening->soname, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		lazylib_fatal(opening->soname, dlerror());
	__atomic_store_n(&opening->handle, h, __ATOMIC_RELEASE);
}

void *lazylib_resolve(struct lazylib *lib, const char *name, void **slot)
{
	opening = lib;
	pthread_once(&lib->once, lazylib_open);
	opening = NULL;
	dlerror();
	void *fn = dlsym(lib->handle, name);
	if (!fn)
		lazylib_fatal(lib->soname, dlerror());
	__atomic_store_n(slot, fn, __ATOMIC_RELEASE);
	return fn;
}
