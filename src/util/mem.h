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
/* Zeroed memory for a large working set that lives until it is freed as a whole (a parse tree's
 * arena): *size is rounded up to whole 2 MiB and set to what was mapped. The block is aligned to
 * 2 MiB and offered to the kernel for transparent huge pages, so touching it costs one page fault per
 * 2 MiB instead of one per 4 KiB (each ~12 us on the bench host); where the kernel gives none, pages
 * come 4 KiB at a time as from malloc. Free with xunmap(p, *size). */
void *xmap_zeroed(size_t *size);
void xunmap(void *p, size_t size);
/* The size from which xmap_zeroed pays off: sixteen small pages' faults (~12 us each) cost more than
 * one huge page's (~80 us with its zeroing). Under AddressSanitizer, never: its bounds checks need
 * malloc'ed blocks. */
#ifdef __SANITIZE_ADDRESS__
#define XMAP_WORTH ((size_t)-1)
#else
#define XMAP_WORTH ((size_t)64 << 10)
#endif
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif
