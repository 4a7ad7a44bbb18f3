/* lazy_jansson.c — the functions jansson.h's inline code calls, as wrappers that reach libjansson
 * through lazylib (see lazy_jansson.h: the header renames them to these). */
#include "util/lazy_jansson.h"

/* The library's NAME, typed as its wrapper lazylib_NAME (the same signature). */
#define REAL(name) LAZYLIB_SYM(jansson, #name, __typeof__(&lazylib_##name))

void lazylib_json_delete(json_t *json)
{
	REAL(json_delete)(json);
}

int lazylib_json_object_set_new(json_t *object, const char *key, json_t *value)
{
	return REAL(json_object_set_new)(object, key, value);
}

int lazylib_json_object_setn_new(json_t *object, const char *key, size_t key_len, json_t *value)
{
	return REAL(json_object_setn_new)(object, key, key_len, value);
}

int lazylib_json_object_set_new_nocheck(json_t *object, const char *key, json_t *value)
{
	return REAL(json_object_set_new_nocheck)(object, key, value);
}

int lazylib_json_object_setn_new_nocheck(json_t *object, const char *key, size_t key_len, json_t *value)
{
	return REAL(json_object_setn_new_nocheck)(object, key, key_len, value);
}

int lazylib_json_object_iter_set_new(json_t *object, void *iter, json_t *value)
{
	return REAL(json_object_iter_set_new)(object, iter, value);
}

int lazylib_json_object_update(json_t *object, json_t *other)
{
	return REAL(json_object_update)(object, other);
}

int lazylib_json_object_update_existing(json_t *object, json_t *other)
{
	return REAL(json_object_update_existing)(object, other);
}

int lazylib_json_object_update_missing(json_t *object, json_t *other)
{
	return REAL(json_object_update_missing)(object, other);
}

int lazylib_json_array_set_new(json_t *array, size_t index, json_t *value)
{
	return REAL(json_array_set_new)(array, index, value);
}

int lazylib_json_array_append_new(json_t *array, json_t *value)
{
	return REAL(json_array_append_new)(array, value);
}

int lazylib_json_array_insert_new(json_t *array, size_t index, json_t *value)
{
	return REAL(json_array_insert_new)(array, index, value);
}
