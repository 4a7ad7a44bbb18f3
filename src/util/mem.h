/* mem.h — checked allocation: every allocation either succeeds or ends the process with a message.
 * Out-of-memory is not a condition kiln can recover from usefully, so callers never test for NULL. */
#ifndef KILN_UTIL_MEM_H
#define KILN_UTIL_MEM_H

#include <stddef.h>
#include <stdarg.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
/* Grow an array of `elem`-byte items so it holds at least `need`; *cap is updated. */
void *xgrow(void *p, size_t *cap, size_t need, size_t elem);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif
