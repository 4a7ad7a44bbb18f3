/* mem.c — checked allocation (see mem.h). */
#include "util/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void __attribute__((noreturn)) out_of_memory(size_t n)
{
	char msg[96];
	int len = snprintf(msg, sizeof msg, "kiln: out of memory allocating %zu bytes\n", n);
	if (len > 0 && write(STDERR_FILENO, msg, (size_t)len) < 0) {
		/* nothing more can be done */
	}
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		out_of_memory(n);
	return p;
}

void *xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);
	if (!p)
		out_of_memory(count * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		out_of_memory(n);
	return q;
}

void *xgrow(void *p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return p;
	size_t ncap = *cap ? *cap : 8;
	while (ncap < need) {
		if (ncap > ((size_t)-1) / 2)
			out_of_memory(need * elem);
		ncap *= 2;
	}
	if (elem && ncap > ((size_t)-1) / elem)
		out_of_memory(ncap);
	p = xrealloc(p, ncap * elem);
	*cap = ncap;
	return p;
}

#define HUGE_PAGE ((size_t)2 << 20)

void *xmap_zeroed(size_t *size)
{
	if (*size > SIZE_MAX - 2 * HUGE_PAGE)
		out_of_memory(*size);
	size_t len = (*size + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	if (!len)
		len = HUGE_PAGE;
	/* map one huge page more than needed and keep the aligned part: a huge page must start on a
	 * 2 MiB boundary */
	size_t span = len + HUGE_PAGE;
	unsigned char *m = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		out_of_memory(len);
	unsigned char *start = m + ((HUGE_PAGE - (uintptr_t)m % HUGE_PAGE) % HUGE_PAGE);
	size_t head = (size_t)(start - m), tail = span - head - len;
	if (head)
		munmap(m, head);
	if (tail)
		munmap(start + len, tail);
#ifdef MADV_HUGEPAGE
	/* only a hint: refused (THP off, an old kernel), the pages come 4 KiB at a time */
	madvise(start, len, MADV_HUGEPAGE);
#endif
	*size = len;
	return start;
}

void xunmap(void *p, size_t size)
{
	if (p)
		munmap(p, size);
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	char *p = NULL;
	if (vasprintf(&p, fmt, ap) < 0)
		out_of_memory(strlen(fmt));
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}
