/* error.h — error values with a chain of context.
 *
 * Functions that can fail return int (0 ok, -1 failed) and fill a caller-provided struct kiln_error.
 * The innermost cause is set once with err_set(); each caller on the way up may add context with
 * err_wrap() ("creating disk", "step 'create disk'") and a hint saying what the user can do.
 * err_text() renders "outer: inner: cause". Nothing below the CLI prints an error itself. */
#ifndef KILN_UTIL_ERROR_H
#define KILN_UTIL_ERROR_H

#include <stdarg.h>
#include <stdbool.h>

#include "util/strv.h"

enum err_kind {
	ERR_GENERIC = 0,
	ERR_CANCELLED,   /* the user interrupted (SIGINT/SIGTERM) */
	ERR_TIMEOUT,
	ERR_NOT_FOUND,
	ERR_INVALID,     /* bad input: configuration, arguments */
	ERR_IO,
	ERR_HOST_LOST,   /* the connection to a hypervisor host went away (its daemon stopped, the network) */
	ERR_EXISTS,      /* what was to be created exclusively is already there */
};

struct kiln_error {
	bool set;
	enum err_kind kind;
	int errnum;          /* errno of the cause, 0 when none */
	struct strv frames;  /* frames.v[0] is the cause, later entries are outer context */
	char *hint;          /* what to do about it, or NULL */
	char *file;          /* optional source location of the cause */
	int line, col;
	char *detail;        /* optional full text behind a condensed cause (a subprocess's whole stderr):
			      * for the log, never shown in the one-line error */
};

#define ERR_INIT {false, ERR_GENERIC, 0, STRV_INIT, NULL, NULL, 0, 0, NULL}

/* Set the cause. If an error is already set, the first cause wins and this call is ignored,
 * so a cleanup path cannot hide the original failure. Always returns -1 for `return err_set(...)`. */
int err_set(struct kiln_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int err_setv(struct kiln_error *e, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Like err_set, appending ": strerror(errnum)". */
int err_set_errno(struct kiln_error *e, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int err_set_kind(struct kiln_error *e, enum err_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Add outer context. No-op when no error is set. Returns -1. */
int err_wrap(struct kiln_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void err_hint(struct kiln_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void err_location(struct kiln_error *e, const char *file, int line, int col);
/* Attach the full text behind a condensed cause (see detail above); the last call wins. */
void err_detail(struct kiln_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool err_isset(const struct kiln_error *e);
bool err_is(const struct kiln_error *e, enum err_kind kind);
const char *err_cause(const struct kiln_error *e);  /* innermost message, "" when unset */
char *err_text(const struct kiln_error *e);          /* "outer: inner: cause"; caller frees */
char *err_chain_text(const struct kiln_error *e);    /* the same without the file:line:col prefix */
/* Replace every occurrence of `from` by `to` in the message and the hint (a file named in the error
 * was moved after the error was made). */
void err_replace(struct kiln_error *e, const char *from, const char *to);
/* Move src into dst (dst must be unset or is overwritten); src is cleared. */
void err_move(struct kiln_error *dst, struct kiln_error *src);
void err_clear(struct kiln_error *e);

#endif
