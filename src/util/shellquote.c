/* shellquote.c — quoting text for a POSIX shell (see shellquote.h).
 *
 * Single quotes are the only POSIX quoting with no special characters inside: between them every
 * byte, newline included, is literal. The one byte that cannot appear inside is the quote itself, so
 * it closes the quoted part, adds an escaped quote, and opens a new one: ' becomes '\''. */
#include "util/shellquote.h"
#include "util/mem.h"

#include <string.h>

static bool is_safe_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("_@%+:,./-", c) != NULL);
}

void shell_quote_append(struct buf *b, const char *s)
{
	bool safe = *s != '\0';
	for (const char *p = s; *p && safe; p++)
		safe = is_safe_byte((unsigned char)*p);
	if (safe) {
		buf_puts(b, s);
		return;
	}
	buf_putc(b, '\'');
	for (const char *p = s; *p; p++) {
		if (*p == '\'')
			buf_puts(b, "'\\''");
		else
			buf_putc(b, *p);
	}
	buf_putc(b, '\'');
}

char *shell_quote(const char *s)
{
	struct buf b = BUF_INIT;
	shell_quote_append(&b, s);
	return buf_detach(&b);
}

bool shell_is_name(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
		return false;
	for (s++; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}
