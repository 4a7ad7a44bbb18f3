/* error.c — error values with a chain of context (see error.h). */
#include "util/error.h"
#include "util/buf.h"
#include "util/mem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int err_setv(struct kiln_error *e, const char *fmt, va_list ap)
{
	if (!e || e->set)
		return -1;
	e->set = true;
	strv_push_owned(&e->frames, xvasprintf(fmt, ap));
	return -1;
}

int err_set(struct kiln_error *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err_setv(e, fmt, ap);
	va_end(ap);
	return -1;
}

int err_set_kind(struct kiln_error *e, enum err_kind kind, const char *fmt, ...)
{
	if (!e || e->set)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	err_setv(e, fmt, ap);
	va_end(ap);
	e->kind = kind;
	return -1;
}

int err_set_errno(struct kiln_error *e, int errnum, const char *fmt, ...)
{
	if (!e || e->set)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	err_set(e, "%s: %s", msg, strerror(errnum));
	free(msg);
	e->errnum = errnum;
	if (errnum == ENOENT)
		e->kind = ERR_NOT_FOUND;
	else
		e->kind = ERR_IO;
	return -1;
}

int err_wrap(struct kiln_error *e, const char *fmt, ...)
{
	if (!e || !e->set)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	strv_push_owned(&e->frames, xvasprintf(fmt, ap));
	va_end(ap);
	return -1;
}

void err_hint(struct kiln_error *e, const char *fmt, ...)
{
	if (!e || !e->set || e->hint)
		return;
	va_list ap;
	va_start(ap, fmt);
	e->hint = xvasprintf(fmt, ap);
	va_end(ap);
}

void err_location(struct kiln_error *e, const char *file, int line, int col)
{
	if (!e || !e->set || e->file)
		return;
	e->file = xstrdup(file);
	e->line = line;
	e->col = col;
}

bool err_isset(const struct kiln_error *e)
{
	return e && e->set;
}

bool err_is(const struct kiln_error *e, enum err_kind kind)
{
	return e && e->set && e->kind == kind;
}

const char *err_cause(const struct kiln_error *e)
{
	return e && e->set && e->frames.n ? e->frames.v[0] : "";
}

char *err_chain_text(const struct kiln_error *e)
{
	struct buf b = BUF_INIT;
	for (size_t i = e && e->set ? e->frames.n : 0; i-- > 0;) {
		buf_puts(&b, e->frames.v[i]);
		if (i)
			buf_puts(&b, ": ");
	}
	return buf_detach(&b);
}

char *err_text(const struct kiln_error *e)
{
	char *chain = err_chain_text(e);
	if (!e || !e->set || !e->file)
		return chain;
	char *t = e->line ? xasprintf("%s:%d:%d: %s", e->file, e->line, e->col, chain)
			  : xasprintf("%s: %s", e->file, chain);
	free(chain);
	return t;
}

void err_clear(struct kiln_error *e)
{
	if (!e)
		return;
	strv_free(&e->frames);
	free(e->hint);
	free(e->file);
	free(e->detail);
	memset(e, 0, sizeof *e);
}

static void replace_in(char **s, const char *from, const char *to)
{
	if (!*s || !*from || !strstr(*s, from))
		return;
	struct buf b = BUF_INIT;
	size_t fl = strlen(from);
	for (const char *p = *s, *hit; *p; p = hit + fl) {
		hit = strstr(p, from);
		if (!hit) {
			buf_puts(&b, p);
			break;
		}
		buf_append(&b, p, (size_t)(hit - p));
		buf_puts(&b, to);
	}
	free(*s);
	*s = buf_detach(&b);
}

void err_detail(struct kiln_error *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *d = xvasprintf(fmt, ap);
	va_end(ap);
	free(e->detail);
	e->detail = d;
}

void err_replace(struct kiln_error *e, const char *from, const char *to)
{
	for (size_t i = 0; i < e->frames.n; i++)
		replace_in(&e->frames.v[i], from, to);
	replace_in(&e->hint, from, to);
}

void err_move(struct kiln_error *dst, struct kiln_error *src)
{
	err_clear(dst);
	*dst = *src;
	memset(src, 0, sizeof *src);
}
