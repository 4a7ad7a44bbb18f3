/* lazy_pcre2.h — PCRE2 with 8-bit code units (HCL's regex functions) for kiln's core, bound on first use (util/lazylib.h).
 * Core files include this instead of the library's header; each function they call is listed
 * here (one missing is an undefined reference in kiln's link, which does not name the library). */
#ifndef KILN_UTIL_LAZY_PCRE2_H
#define KILN_UTIL_LAZY_PCRE2_H

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>

#include "util/lazylib.h"

extern struct lazylib lazylib_pcre2;

#define pcre2_code_free_8 LAZYLIB_FN(pcre2, pcre2_code_free_8)
#define pcre2_compile_8 LAZYLIB_FN(pcre2, pcre2_compile_8)
#define pcre2_get_error_message_8 LAZYLIB_FN(pcre2, pcre2_get_error_message_8)
#define pcre2_get_ovector_pointer_8 LAZYLIB_FN(pcre2, pcre2_get_ovector_pointer_8)
#define pcre2_match_8 LAZYLIB_FN(pcre2, pcre2_match_8)
#define pcre2_match_context_create_8 LAZYLIB_FN(pcre2, pcre2_match_context_create_8)
#define pcre2_match_data_create_from_pattern_8 LAZYLIB_FN(pcre2, pcre2_match_data_create_from_pattern_8)
#define pcre2_match_data_free_8 LAZYLIB_FN(pcre2, pcre2_match_data_free_8)
#define pcre2_pattern_info_8 LAZYLIB_FN(pcre2, pcre2_pattern_info_8)
#define pcre2_set_match_limit_8 LAZYLIB_FN(pcre2, pcre2_set_match_limit_8)

#endif
