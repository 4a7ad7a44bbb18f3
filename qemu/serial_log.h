/* serial_log.h — following the guest's serial console log (output_directory/<vm_name>-serial.log) as it
 * grows: the last lines (shown while waiting for SSH, and in a timeout error), and waiting for a
 * regular expression to appear (boot_command's <waitFor "regex">). Terminal escape sequences and carriage
 * returns are removed before lines are kept or matched. */
#ifndef KILN_QEMU_SERIAL_LOG_H
#define KILN_QEMU_SERIAL_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define QEMU_SERIAL_TAIL_LINES 20

struct qemu_serial;

struct qemu_serial *qemu_serial_open(const char *path);
void qemu_serial_close(struct qemu_serial *s);

/* Read what was appended since the last call. Returns the number of new bytes (0 when none or the file
 * does not exist yet). */
size_t qemu_serial_poll(struct qemu_serial *s);
/* The last complete (or, if none, partial) non-empty line, "" when there is none. */
const char *qemu_serial_last_line(struct qemu_serial *s);
/* The last n lines, each prefixed with `indent`, newline-separated. Caller frees. */
char *qemu_serial_tail(struct qemu_serial *s, size_t n, const char *indent);

/* The guest's kernel panicked: the first "Kernel panic - not syncing: ..." line seen on the console (from
 * "Kernel panic" on), NULL when there was none. *complete (may be NULL) says whether the kernel has also
 * printed the end of its report ("---[ end Kernel panic ..."), so that the tail shows the whole of it. */
const char *qemu_serial_panic(const struct qemu_serial *s, bool *complete);

/* Called between polls while waiting: return -1 (with err set) to stop waiting, e.g. because the VM died. */
typedef int (*qemu_serial_check_fn)(void *arg, struct kiln_error *err);

/* Wait until the POSIX extended regular expression matches text that appeared after the previous match
 * (or since the log was opened). Polls every poll_ms; times out after timeout_ms (ERR_TIMEOUT, with the
 * last lines of the console in the message); ERR_CANCELLED on Ctrl-C. */
int qemu_serial_wait_for(struct qemu_serial *s, const char *regex, int64_t timeout_ms, long poll_ms,
			 qemu_serial_check_fn check, void *arg, struct kiln_error *err);

#endif
