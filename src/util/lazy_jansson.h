/* lazy_jansson.h — jansson for kiln's core, bound on first use (util/lazylib.h).
 * Core files include this instead of <jansson.h>. jansson.h's inline functions (json_decref,
 * json_object_set, json_array_append, ...) call twelve of its functions; those are renamed before
 * jansson.h is read, so that inline code calls the wrappers in lazy_jansson.c, which reach the
 * library through lazylib. Every other function the core calls is listed after the include. */
#ifndef KILN_UTIL_LAZY_JANSSON_H
#define KILN_UTIL_LAZY_JANSSON_H

#ifdef JANSSON_H
#error "<jansson.h> was included before util/lazy_jansson.h: include only util/lazy_jansson.h"
#endif

#define json_delete lazylib_json_delete
#define json_object_set_new lazylib_json_object_set_new
#define json_object_setn_new lazylib_json_object_setn_new
#define json_object_set_new_nocheck lazylib_json_object_set_new_nocheck
#define json_object_setn_new_nocheck lazylib_json_object_setn_new_nocheck
#define json_object_iter_set_new lazylib_json_object_iter_set_new
#define json_object_update lazylib_json_object_update
#define json_object_update_existing lazylib_json_object_update_existing
#define json_object_update_missing lazylib_json_object_update_missing
#define json_array_set_new lazylib_json_array_set_new
#define json_array_append_new lazylib_json_array_append_new
#define json_array_insert_new lazylib_json_array_insert_new

#include <jansson.h>

#include "util/lazylib.h"

extern struct lazylib lazylib_jansson;

#define json_array LAZYLIB_FN(jansson, json_array)
#define json_array_get LAZYLIB_FN(jansson, json_array_get)
#define json_array_size LAZYLIB_FN(jansson, json_array_size)
#define json_dumps LAZYLIB_FN(jansson, json_dumps)
#define json_false LAZYLIB_FN(jansson, json_false)
#define json_integer LAZYLIB_FN(jansson, json_integer)
#define json_integer_value LAZYLIB_FN(jansson, json_integer_value)
#define json_load_file LAZYLIB_FN(jansson, json_load_file)
#define json_loadb LAZYLIB_FN(jansson, json_loadb)
#define json_loads LAZYLIB_FN(jansson, json_loads)
#define json_null LAZYLIB_FN(jansson, json_null)
#define json_number_value LAZYLIB_FN(jansson, json_number_value)
#define json_object LAZYLIB_FN(jansson, json_object)
#define json_object_get LAZYLIB_FN(jansson, json_object_get)
#define json_object_iter LAZYLIB_FN(jansson, json_object_iter)
#define json_object_iter_key LAZYLIB_FN(jansson, json_object_iter_key)
#define json_object_iter_next LAZYLIB_FN(jansson, json_object_iter_next)
#define json_object_iter_value LAZYLIB_FN(jansson, json_object_iter_value)
#define json_object_key_to_iter LAZYLIB_FN(jansson, json_object_key_to_iter)
#define json_pack LAZYLIB_FN(jansson, json_pack)
#define json_real LAZYLIB_FN(jansson, json_real)
#define json_real_value LAZYLIB_FN(jansson, json_real_value)
#define json_string LAZYLIB_FN(jansson, json_string)
#define json_string_length LAZYLIB_FN(jansson, json_string_length)
#define json_string_value LAZYLIB_FN(jansson, json_string_value)
#define json_stringn_nocheck LAZYLIB_FN(jansson, json_stringn_nocheck)
#define json_true LAZYLIB_FN(jansson, json_true)

#endif
