/* proc.h — run a subprocess from an argv array (never a shell string), with its output captured or
 * streamed line by line, and killed when the build is cancelled or a timeout passes. */
#ifndef KILN_UTIL_PROC_H
#define KILN_UTIL_PROC_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/error.h"

/* Called for each complete output line (without the newline); is_stderr tells the stream. */
typedef void (*proc_line_fn)(void *arg, bool is_stderr, const char *line);

struct proc_opts {
	const char *cwd;             /* NULL: inherit */
	char *const *env_extra;      /* "K=V" entries added to (and overriding) the environment */
	const void *stdin_data;      /* NULL: stdin is /dev/null */
	size_t stdin_len;
	struct buf *out;             /* capture stdout (NULL: not captured) */
	struct buf *errout;          /* capture stderr */
	proc_line_fn on_line;        /* stream lines (in addition to capture) */
	void *line_arg;
	long timeout_ms;             /* 0: none */
	bool inherit_stdio;          /* child writes straight to our stdout/stderr; stdin inherited */
	bool ignore_cancel;          /* keep running when the build is cancelled (cleanup commands) */
	bool split_cr;               /* a lone '\r' also ends a line (progress output: `qemu-img -p`) */
};

/* Runs argv[0] (looked up in PATH). *exit_status gets the exit code, or 128+signal.
 * Returns -1 with err set when the program cannot start, times out or is cancelled; a non-zero exit
 * status is not an error here (callers decide). */
int proc_run(char *const argv[], const struct proc_opts *opts, int *exit_status, struct kiln_error *err);

/* Convenience: run and fail unless exit status is 0. The error says how it ended ("exited with status 1",
 * "was killed by SIGKILL") and carries stderr condensed (proc_condense_stderr, 3 lines); the whole of
 * stderr goes to the log. A stderr that says "No space left on device" sets err->errnum to ENOSPC. */
int proc_run_checked(char *const argv[], const struct proc_opts *opts, struct kiln_error *err);

/* The first max_lines distinct lines of a program's output, joined with "; ", and how many more there
 * were ("(and 3 more lines)"): lines that differ only in their numbers are not shown twice. Caller frees. */
char *proc_condense_stderr(const char *text, size_t max_lines);

#endif
