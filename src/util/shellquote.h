/* shellquote.h — the one function that turns text into a word for a remote POSIX shell.
 *
 * Every value kiln puts into a command line that a shell will parse (environment values, paths, the
 * temporary public key) goes through here, so that quotes, spaces, `$`, backticks, globs and newlines
 * arrive as the same bytes and are never run as code. */
#ifndef KILN_UTIL_SHELLQUOTE_H
#define KILN_UTIL_SHELLQUOTE_H

#include <stdbool.h>

#include "util/buf.h"

/* Append s as one shell word: unchanged when every byte is in [A-Za-z0-9_@%+:,./-] (and s is not
 * empty), otherwise inside single quotes, with each ' written as '\''. "=" is always quoted, so a
 * quoted word in command position is never taken for an assignment. */
void shell_quote_append(struct buf *b, const char *s);
/* The same, as a new string. Caller frees. */
char *shell_quote(const char *s);
/* Is s a valid shell variable name ([A-Za-z_][A-Za-z0-9_]*)? Names are pasted unquoted, so callers
 * must refuse anything else. */
bool shell_is_name(const char *s);

#endif
