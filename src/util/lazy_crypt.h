/* lazy_crypt.h — libcrypt (bcrypt) for kiln's core, bound on first use (util/lazylib.h).
 * Core files include this instead of the library's header; each function they call is listed
 * here (one missing is an undefined reference in kiln's link, which does not name the library). */
#ifndef KILN_UTIL_LAZY_CRYPT_H
#define KILN_UTIL_LAZY_CRYPT_H

#include <crypt.h>

#include "util/lazylib.h"

extern struct lazylib lazylib_crypt;

#define crypt_gensalt_rn LAZYLIB_FN(crypt, crypt_gensalt_rn)
#define crypt_r LAZYLIB_FN(crypt, crypt_r)

#endif
