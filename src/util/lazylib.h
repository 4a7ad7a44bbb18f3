/* lazylib.h — shared libraries kiln's core binds the first time it calls them, not at start.
 *
 * Every library on kiln's DT_NEEDED list is mapped and relocated before main(), whether the command
 * calls it or not. libcrypto alone (17k relative relocations over ~400 KiB of RELRO) costs ~125 page
 * faults, more than the rest of `kiln fmt` or `kiln validate -syntax-only`, which never call it. A
 * library listed here is left off kiln's link; its header (util/ossl.h for libcrypto) includes the
 * library's own headers and then defines each function the core calls as LAZYLIB_FN(lib, name):
 * the first call anywhere dlopen()s the library by the soname configure recorded, and each call
 * site keeps the address it resolved. kiln-components.so links the same libraries normally; the
 * dynamic loader shares one copy whichever side loads it first.
 *
 * A name missing from the header is still a direct reference, which kiln's link rejects as
 * undefined: nothing slips back onto the start-up path silently. */
#ifndef KILN_UTIL_LAZYLIB_H
#define KILN_UTIL_LAZYLIB_H

#include <pthread.h>

struct lazylib {
	const char *soname;
	pthread_once_t once;
	void *handle;
};

#define LAZYLIB_INIT(soname) {(soname), PTHREAD_ONCE_INIT, NULL}

/* The address of NAME in LIB, loading LIB on the first call and storing the address in *SLOT.
 * A library or symbol that cannot be found is fatal, as it is for the dynamic loader at start: the
 * loader's message on stderr and exit status 127. */
void *lazylib_resolve(struct lazylib *lib, const char *name, void **slot);

/* LAZYLIB_SYM(lib, "name", type) is the symbol NAME of lazylib_LIB, of pointer type TYPE, through a
 * per-call-site slot. LAZYLIB_FN(lib, name) is the function NAME as the library's header declares it:
 * inside the expansion NAME is not expanded again, so __typeof__ sees that declaration. */
#define LAZYLIB_SYM(lib, sym, type)                                                                \
	(*({                                                                                       \
		static void *lazylib_slot_;                                                        \
		void *lazylib_fn_ = __atomic_load_n(&lazylib_slot_, __ATOMIC_ACQUIRE);             \
		if (!lazylib_fn_)                                                                  \
			lazylib_fn_ = lazylib_resolve(&lazylib_##lib, sym, &lazylib_slot_);        \
		(type)lazylib_fn_;                                                                 \
	}))
#define LAZYLIB_FN(lib, name) LAZYLIB_SYM(lib, #name, __typeof__(&name))

#endif
