/* serial_log.c — following the serial console log (see serial_log.h). */
#include "qemu/serial_log.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/signals.h"
#include "util/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RING QEMU_SERIAL_TAIL_LINES
#define MAX_LINE 4096             /* longer lines are cut (a console can print without newlines) */
#define MAX_UNMATCHED (256 * 1024) /* text kept for <waitFor> */

struct qemu_serial {
	char *path;
	int fd;
	off_t offset;
	ino_t ino;
	struct buf line;           /* the current partial line, cleaned */
	char *ring[RING];          /* last complete lines */
	size_t ring_head, ring_n;
	struct buf unmatched;      /* cleaned text since the last <waitFor> match */
	char *panic;               /* the first "Kernel panic - not syncing" line */
	bool panic_complete;       /* and the kernel's "---[ end Kernel panic" after it */
	enum { ESC_NONE, ESC_START, ESC_CSI, ESC_OSC, ESC_CHARSET } esc;
};

struct qemu_serial *qemu_serial_open(const char *path)
{
	struct qemu_serial *s = xcalloc(1, sizeof *s);
	s->path = xstrdup(path);
	s->fd = -1;
	return s;
}

void qemu_serial_close(struct qemu_serial *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	for (size_t i = 0; i < RING; i++)
		free(s->ring[i]);
	free(s->panic);
	buf_free(&s->line);
	buf_free(&s->unmatched);
	free(s->path);
	free(s);
}

static void push_line(struct qemu_serial *s)
{
	/* keep blank lines out of the tail: they carry nothing */
	const char *l = buf_cstr(&s->line);
	if (strspn(l, " \t") == s->line.len) {
		buf_reset(&s->line);
		return;
	}
	/* Linux's panic() prints "Kernel panic - not syncing: <why>", a stack dump, and "---[ end Kernel panic -
	 * not syncing: <why> ]---" (the prefix may carry a timestamp or a log level) */
	const char *kp = strstr(l, "Kernel panic - not syncing");
	if (kp && !s->panic)
		s->panic = xstrdup(kp);
	if (kp && strstr(l, "---[ end Kernel panic"))
		s->panic_complete = true;
	size_t slot = (s->ring_head + s->ring_n) % RING;
	if (s->ring_n == RING) {
		slot = s->ring_head;
		s->ring_head = (s->ring_head + 1) % RING;
	} else {
		s->ring_n++;
	}
	free(s->ring[slot]);
	s->ring[slot] = buf_detach(&s->line);
}

/* Feed raw console bytes: drop escape sequences and control characters, split lines. */
static void feed(struct qemu_serial *s, const char *data, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)data[i];
		switch (s->esc) {
		case ESC_START:
			s->esc = c == '[' ? ESC_CSI : c == ']' ? ESC_OSC : (c == '(' || c == ')') ? ESC_CHARSET : ESC_NONE;
			continue;
		case ESC_CSI:
			if (c >= 0x40 && c <= 0x7e)
				s->esc = ESC_NONE;
			continue;
		case ESC_OSC:
			if (c == 0x07 || c == 0x1b)
				s->esc = c == 0x1b ? ESC_START : ESC_NONE;
			continue;
		case ESC_CHARSET:
			s->esc = ESC_NONE;
			continue;
		case ESC_NONE:
			break;
		}
		if (c == 0x1b) {
			s->esc = ESC_START;
			continue;
		}
		if (c == '\n') {
			buf_putc(&s->unmatched, '\n');
			push_line(s);
			continue;
		}
		if (c == '\t')
			c = ' ';
		if (c < 0x20 || c == 0x7f)
			continue;   /* \r, bells, backspaces... */
		if (s->line.len < MAX_LINE)
			buf_putc(&s->line, (char)c);
		buf_putc(&s->unmatched, (char)c);
	}
	if (s->unmatched.len > MAX_UNMATCHED)
		buf_remove_prefix(&s->unmatched, s->unmatched.len - MAX_UNMATCHED / 2);
}

size_t qemu_serial_poll(struct qemu_serial *s)
{
	if (s->fd < 0) {
		s->fd = open(s->path, O_RDONLY | O_CLOEXEC);
		if (s->fd < 0)
			return 0;
		struct stat st;
		if (fstat(s->fd, &st) == 0)
			s->ino = st.st_ino;
	}
	size_t total = 0;
	char chunk[8192];
	for (;;) {
		ssize_t r = pread(s->fd, chunk, sizeof chunk, s->offset);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		s->offset += r;
		total += (size_t)r;
		feed(s, chunk, (size_t)r);
	}
	return total;
}

const char *qemu_serial_last_line(struct qemu_serial *s)
{
	if (s->line.len && strspn(buf_cstr(&s->line), " ") != s->line.len)
		return buf_cstr(&s->line);
	if (s->ring_n == 0)
		return "";
	return s->ring[(s->ring_head + s->ring_n - 1) % RING];
}

const char *qemu_serial_panic(const struct qemu_serial *s, bool *complete)
{
	if (complete)
		*complete = s->panic_complete;
	return s->panic;
}

char *qemu_serial_tail(struct qemu_serial *s, size_t n, const char *indent)
{
	struct buf b = BUF_INIT;
	bool partial = s->line.len && strspn(buf_cstr(&s->line), " ") != s->line.len;
	size_t have = s->ring_n + (partial ? 1 : 0);
	if (n > have)
		n = have;
	size_t from_ring = partial ? (n ? n - 1 : 0) : n;
	for (size_t i = s->ring_n - from_ring; i < s->ring_n; i++) {
		if (b.len)
			buf_putc(&b, '\n');
		buf_printf(&b, "%s%s", indent ? indent : "", s->ring[(s->ring_head + i) % RING]);
	}
	if (partial && n) {
		if (b.len)
			buf_putc(&b, '\n');
		buf_printf(&b, "%s%s", indent ? indent : "", buf_cstr(&s->line));
	}
	return buf_detach(&b);
}

int qemu_serial_wait_for(struct qemu_serial *s, const char *pattern, int64_t timeout_ms, long poll_ms,
			 qemu_serial_check_fn check, void *arg, struct kiln_error *err)
{
	regex_t re;
	int rc = regcomp(&re, pattern, REG_EXTENDED | REG_NEWLINE);
	if (rc != 0) {
		char msg[256];
		regerror(rc, &re, msg, sizeof msg);
		return err_set_kind(err, ERR_INVALID, "<waitFor \"%s\">: invalid regular expression: %s", pattern, msg);
	}
	long deadline = time_mono_ms() + (long)timeout_ms;
	int ret = -1;
	for (;;) {
		qemu_serial_poll(s);
		regmatch_t m;
		if (s->unmatched.len && regexec(&re, buf_cstr(&s->unmatched), 1, &m, 0) == 0) {
			buf_remove_prefix(&s->unmatched, (size_t)m.rm_eo);
			ret = 0;
			break;
		}
		if (sig_cancelled()) {
			err_set_kind(err, ERR_CANCELLED, "cancelled while waiting for \"%s\" on the serial console", pattern);
			break;
		}
		if (check && check(arg, err) < 0)
			break;
		long now = time_mono_ms();
		if (now >= deadline) {
			char *tail = qemu_serial_tail(s, QEMU_SERIAL_TAIL_LINES, "    ");
			char *d = duration_format_ns(timeout_ms * 1000000LL);
			err_set_kind(err, ERR_TIMEOUT,
				     "timed out after %s waiting for \"%s\" on the serial console; its last lines (%s):\n%s",
				     d, pattern, s->path, tail[0] ? tail : "    (nothing yet)");
			free(d);
			free(tail);
			break;
		}
		long nap = poll_ms;
		if (nap > deadline - now)
			nap = deadline - now;
		if (sleep_cancellable_ms(nap) < 0) {
			err_set_kind(err, ERR_CANCELLED, "cancelled while waiting for \"%s\" on the serial console", pattern);
			break;
		}
	}
	regfree(&re);
	return ret;
}
