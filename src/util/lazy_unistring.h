/* lazy_unistring.h — libunistring (UTF-8 checks, NFC, grapheme clusters) for kiln's core, bound on first use (util/lazylib.h).
 * Core files include this instead of the library's header; each function they call is listed
 * here (one missing is an undefined reference in kiln's link, which does not name the library). */
#ifndef KILN_UTIL_LAZY_UNISTRING_H
#define KILN_UTIL_LAZY_UNISTRING_H

#include <unigbrk.h>
#include <uninorm.h>
#include <unistr.h>

#include "util/lazylib.h"

extern struct lazylib lazylib_unistring;

#define u8_check LAZYLIB_FN(unistring, u8_check)
#define u8_grapheme_next LAZYLIB_FN(unistring, u8_grapheme_next)
#define u8_mbtoucr LAZYLIB_FN(unistring, u8_mbtoucr)
#define u8_normalize LAZYLIB_FN(unistring, u8_normalize)
#define uninorm_nfc LAZYLIB_FN(unistring, uninorm_nfc)

#endif
