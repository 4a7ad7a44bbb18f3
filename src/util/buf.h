/* buf.h — growable byte buffer / string builder. The data is always NUL-terminated, so a buf can be
 * used as a C string while it is being built; binary contents (with embedded NULs) are fine too. */
#ifndef KILN_UTIL_BUF_H
#define KILN_UTIL_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct buf {
	char *data; /* NULL until something is appended; use buf_cstr() for a never-NULL view */
	size_t len;
	size_t cap;
};

#define BUF_INIT {NULL, 0, 0}

void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);          /* len = 0, keeps the allocation */
void buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *data, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void buf_repeat(struct buf *b, char c, size_t n);
void buf_truncate(struct buf *b, size_t len);
void buf_remove_prefix(struct buf *b, size_t n);
const char *buf_cstr(const struct buf *b);   /* "" when empty */
char *buf_detach(struct buf *b);             /* caller owns the string; b is reset to empty */
bool buf_ends_with(const struct buf *b, const char *suffix);
/* Append s escaped for XML text and attribute values (& < > " '). */
void buf_put_xml(struct buf *b, const char *s);

#endif
