/* http_parse.c — request target decoding, Range parsing and Content-Type for the seed server.
 * Decoding happens exactly once, before the path is split, so "%2e%2e%2f" is a ".." segment
 * (refused) and "%252e" stays the literal name "%2e". */
#include "http-seed/http_parse.h"
#include "util/buf.h"
#include "util/hash.h"
#include "util/mem.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int seed_target_to_path(const char *target, char **path)
{
	*path = NULL;
	/* absolute-form (RFC 9112 3.2.2): skip scheme and authority */
	if (strncasecmp(target, "http://", 7) == 0 || strncasecmp(target, "https://", 8) == 0) {
		target = strstr(target, "//") + 2;
		target += strcspn(target, "/?#");
		if (*target != '/')
			target = "/";
	}
	if (target[0] != '/')
		return 400;
	size_t end = strcspn(target, "?#");

	struct buf decoded = BUF_INIT;
	for (size_t i = 0; i < end; i++) {
		int c = (unsigned char)target[i];
		if (c == '%') {
			int hi = i + 2 < end ? hex_digit(target[i + 1]) : -1;
			int lo = hi >= 0 ? hex_digit(target[i + 2]) : -1;
			if (lo < 0 || (hi == 0 && lo == 0)) {
				buf_free(&decoded);
				return 400;
			}
			c = hi * 16 + lo;
			i += 2;
		}
		buf_putc(&decoded, (char)c);
	}

	int status = seed_clean_path(buf_cstr(&decoded), path);
	buf_free(&decoded);
	return status;
}

int seed_clean_path(const char *p, char **path)
{
	struct buf out = BUF_INIT;
	*path = NULL;
	while (*p) {
		while (*p == '/')
			p++;
		size_t n = strcspn(p, "/");
		if (n == 0)
			break;
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			buf_free(&out);
			return 403;
		}
		if (!(n == 1 && p[0] == '.')) {
			buf_putc(&out, '/');
			buf_append(&out, p, n);
		}
		p += n;
	}
	if (out.len == 0)
		buf_putc(&out, '/');
	*path = buf_detach(&out);
	return 0;
}

/* Parse a run of digits into *v; false on no digits or overflow. */
static bool parse_u64(const char **s, uint64_t *v)
{
	const char *p = *s;
	uint64_t n = 0;
	if (!isdigit((unsigned char)*p))
		return false;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');
		if (n > (UINT64_MAX - d) / 10)
			return false;
		n = n * 10 + d;
	}
	*s = p;
	*v = n;
	return true;
}

enum seed_range seed_parse_range(const char *value, uint64_t size, uint64_t *offset, uint64_t *length)
{
	if (!value)
		return SEED_RANGE_NONE;
	const char *p = value;
	while (*p == ' ' || *p == '\t')
		p++;
	if (strncasecmp(p, "bytes=", 6) != 0)
		return SEED_RANGE_NONE;
	p += 6;
	while (*p == ' ' || *p == '\t')
		p++;
	if (strchr(p, ','))
		return SEED_RANGE_NONE;

	uint64_t first = 0, last = 0;
	bool suffix = *p == '-';
	if (suffix) {
		p++;
		if (!parse_u64(&p, &last))
			return SEED_RANGE_NONE;
	} else {
		if (!parse_u64(&p, &first) || *p++ != '-')
			return SEED_RANGE_NONE;
		if (!isdigit((unsigned char)*p))
			last = UINT64_MAX;   /* "a-": to the end */
		else if (!parse_u64(&p, &last) || last < first)
			return SEED_RANGE_NONE;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p)
		return SEED_RANGE_NONE;

	if (suffix) {
		if (last == 0 || size == 0)
			return SEED_RANGE_UNSATISFIABLE;
		*length = last < size ? last : size;
		*offset = size - *length;
		return SEED_RANGE_PARTIAL;
	}
	if (first >= size)
		return SEED_RANGE_UNSATISFIABLE;
	if (last >= size)
		last = size - 1;
	*offset = first;
	*length = last - first + 1;
	return SEED_RANGE_PARTIAL;
}

static const struct {
	const char *ext;
	const char *type;
} types[] = {
	{"bin", "application/octet-stream"},
	{"cfg", "text/plain; charset=utf-8"},
	{"conf", "text/plain; charset=utf-8"},
	{"css", "text/css; charset=utf-8"},
	{"gif", "image/gif"},
	{"gz", "application/gzip"},
	{"htm", "text/html; charset=utf-8"},
	{"html", "text/html; charset=utf-8"},
	{"ico", "image/x-icon"},
	{"img", "application/octet-stream"},
	{"ipxe", "text/plain; charset=utf-8"},
	{"iso", "application/x-iso9660-image"},
	{"jpeg", "image/jpeg"},
	{"jpg", "image/jpeg"},
	{"js", "text/javascript; charset=utf-8"},
	{"json", "application/json"},
	{"ks", "text/plain; charset=utf-8"},
	{"pdf", "application/pdf"},
	{"png", "image/png"},
	{"ps1", "text/plain; charset=utf-8"},
	{"qcow2", "application/octet-stream"},
	{"seed", "text/plain; charset=utf-8"},
	{"sh", "text/x-shellscript; charset=utf-8"},
	{"svg", "image/svg+xml"},
	{"tar", "application/x-tar"},
	{"txt", "text/plain; charset=utf-8"},
	{"xml", "application/xml"},
	{"xz", "application/x-xz"},
	{"yaml", "application/yaml"},
	{"yml", "application/yaml"},
	{"zip", "application/zip"},
	{"zst", "application/zstd"},
};

const char *seed_type_by_extension(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	const char *dot = strrchr(base, '.');
	if (!dot || dot == base)
		return NULL;
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (strcasecmp(dot + 1, types[i].ext) == 0)
			return types[i].type;
	return NULL;
}

const char *seed_content_type(const char *path, const void *head, size_t n)
{
	const char *type = seed_type_by_extension(path);
	if (type)
		return type;
	/* Like Go's http.DetectContentType, which is what Packer's server answers: bytes that never
	 * occur in text mean binary. */
	const unsigned char *b = head;
	if (n > 512)
		n = 512;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = b[i];
		if (c <= 0x08 || c == 0x0b || (c >= 0x0e && c <= 0x1a) || (c >= 0x1c && c <= 0x1f))
			return "application/octet-stream";
	}
	return "text/plain; charset=utf-8";
}
