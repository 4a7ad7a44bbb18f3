/* fuzz-http.c — libFuzzer target for the seed server's reading of what a client sends
 * (http-seed/http_parse.c; libmicrohttpd splits the request line and headers before it): the input is
 * split at its first two newlines into a request target, a Range header value and the start of a
 * file (the representation's size is taken from the target's length and the input's, so large and
 * small sizes both occur). Besides crashes, sanitizer reports and leaks, the target checks what the
 * server relies on: a path it accepts is absolute and has no empty, "." or ".." segment (nothing
 * outside the served directory can be named); a refused target is answered 400 or 403; a partial
 * range lies inside the representation; every file gets a Content-Type. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http-seed/http_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *take_line(const uint8_t **p, size_t *n)
{
	const uint8_t *nl = memchr(*p, '\n', *n);
	size_t len = nl ? (size_t)(nl - *p) : *n;
	char *s = malloc(len + 1);
	memcpy(s, *p, len);
	s[len] = '\0';   /* a NUL inside the line ends it, as it would in a C string from libmicrohttpd */
	*p += nl ? len + 1 : len;
	*n -= nl ? len + 1 : len;
	return s;
}

static void check_path(const char *path)
{
	if (path[0] != '/')
		abort();
	for (const char *seg = path + 1;;) {
		const char *end = strchr(seg, '/');
		size_t len = end ? (size_t)(end - seg) : strlen(seg);
		/* "/" alone is the root; otherwise no empty segment, no "." and no ".." */
		if (len == 0 && (end || seg != path + 1))
			abort();
		if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
			abort();
		if (!end)
			break;
		seg = end + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data;
	size_t n = size;
	char *target = take_line(&p, &n);
	char *range = take_line(&p, &n);

	char *path = NULL;
	int status = seed_target_to_path(target, &path);
	if (status == 0) {
		check_path(path);
		if (!seed_content_type(path, p, n < 512 ? n : 512))
			abort();
		free(path);
	} else if (status != 400 && status != 403) {
		abort();
	}
	status = seed_clean_path(target, &path);
	if (status == 0) {
		check_path(path);
		free(path);
	} else if (status != 403) {
		abort();
	}

	uint64_t sizes[] = {0, 1, n, (uint64_t)strlen(target) << 20, UINT64_MAX};
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		uint64_t off = 0, len = 0;
		switch (seed_parse_range(range, sizes[i], &off, &len)) {
		case SEED_RANGE_PARTIAL:
			if (len == 0 || off >= sizes[i] || len > sizes[i] - off)
				abort();
			break;
		case SEED_RANGE_NONE:
		case SEED_RANGE_UNSATISFIABLE:
			break;
		default:
			abort();
		}
	}
	free(target);
	free(range);
	return 0;
}
