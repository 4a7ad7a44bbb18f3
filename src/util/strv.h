/* strv.h — a growable, NULL-terminated vector of owned strings (argv lists, path lists, names). */
#ifndef KILN_UTIL_STRV_H
#define KILN_UTIL_STRV_H

#include <stdbool.h>
#include <stddef.h>

struct strv {
	char **v; /* always NULL-terminated once anything was pushed; NULL when empty */
	size_t n;
	size_t cap;
};

#define STRV_INIT {NULL, 0, 0}

void strv_push(struct strv *sv, const char *s);          /* copies s */
void strv_push_owned(struct strv *sv, char *s);          /* takes s */
void strv_pushf(struct strv *sv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strv_free(struct strv *sv);
bool strv_contains(const struct strv *sv, const char *s);
void strv_sort(struct strv *sv);
char *strv_join(const struct strv *sv, const char *sep);
/* argv view: never NULL, always NULL-terminated */
char *const *strv_argv(struct strv *sv);

#endif
