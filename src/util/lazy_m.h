/* lazy_m.h — libm (the float64 functions behind HCL's log and pow) for kiln's core, bound on
 * first use (util/lazylib.h).
 * Core files include this instead of the library's header; each function they call is listed
 * here (one missing is an undefined reference in kiln's link, which does not name the library). */
#ifndef KILN_UTIL_LAZY_M_H
#define KILN_UTIL_LAZY_M_H

#include <math.h>

#include "util/lazylib.h"

extern struct lazylib lazylib_m;

#define log LAZYLIB_FN(m, log)
#define pow LAZYLIB_FN(m, pow)

#endif
