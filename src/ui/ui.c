/* ui.c — Packer-style output (see ui.h). */
#include "ui/ui.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/signals.h"
#include "util/timeutil.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { COL_RED = 31, COL_GREEN = 32, COL_YELLOW = 33, COL_BLUE = 34, COL_MAGENTA = 35, COL_CYAN = 36 };

struct ui {
	char *target; /* "" for the global UI */
	int color;    /* ANSI colour code, 0 = none */
	char *label;  /* what prefixes its lines: the target, or "target@host" (ui_set_host) */
};

static pthread_mutex_t ui_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ui_settings settings;
static bool configured;
static struct ui global_ui = {"", 0, ""};
static unsigned next_color;
/* A progress bar currently drawn on the terminal's last line: erased before other output. */
static bool bar_on_screen;

static void ensure_configured(void)
{
	if (!configured) {
		settings.out = stdout;
		settings.err = stderr;
		configured = true;
	}
}

void ui_configure(const struct ui_settings *s)
{
	pthread_mutex_lock(&ui_lock);
	settings = *s;
	if (!settings.out)
		settings.out = stdout;
	if (!settings.err)
		settings.err = stderr;
	configured = true;
	pthread_mutex_unlock(&ui_lock);
}

const struct ui_settings *ui_current_settings(void)
{
	ensure_configured();
	return &settings;
}

struct ui *ui_global(void)
{
	return &global_ui;
}

struct ui *ui_for_target(const char *target)
{
	static const int palette[] = {COL_GREEN, COL_CYAN, COL_MAGENTA, COL_YELLOW, COL_BLUE};
	struct ui *ui = xcalloc(1, sizeof *ui);
	ui->target = xstrdup(target ? target : "");
	ui->label = xstrdup(ui->target);
	ui_public_add(ui->target); /* a target's name is kiln's own text: never cut by the secret filter */
	pthread_mutex_lock(&ui_lock);
	ui->color = palette[next_color++ % (sizeof palette / sizeof palette[0])];
	pthread_mutex_unlock(&ui_lock);
	return ui;
}

void ui_free(struct ui *ui)
{
	if (!ui || ui == &global_ui)
		return;
	free(ui->target);
	free(ui->label);
	free(ui);
}

void ui_set_host(struct ui *ui, const char *host)
{
	if (!ui || ui == &global_ui)
		return;
	char *label = host && *host ? xasprintf("%s@%s", ui->target, host) : xstrdup(ui->target);
	ui_public_add(label);
	pthread_mutex_lock(&ui_lock);
	free(ui->label);
	ui->label = label;
	pthread_mutex_unlock(&ui_lock);
}

static bool use_color(FILE *f)
{
	switch (settings.color) {
	case UI_COLOR_ALWAYS:
		return true;
	case UI_COLOR_NEVER:
		return false;
	case UI_COLOR_AUTO:
	default: {
		const char *nc = getenv("NO_COLOR");
		if (nc && *nc)
			return false;
		return isatty(fileno(f));
	}
	}
}

bool ui_stdout_colored(void)
{
	pthread_mutex_lock(&ui_lock);
	ensure_configured();
	bool on = !settings.machine_readable && use_color(settings.out);
	pthread_mutex_unlock(&ui_lock);
	return on;
}

char *ui_machine_escape(const char *s)
{
	struct buf b = BUF_INIT;
	for (const char *p = s; *p; p++) {
		switch (*p) {
		case ',': buf_puts(&b, "%!(PACKER_COMMA)"); break;
		case '\r': buf_puts(&b, "\\r"); break;
		case '\n': buf_puts(&b, "\\n"); break;
		default: buf_putc(&b, *p);
		}
	}
	return buf_detach(&b);
}

static void clear_bar_locked(void)
{
	if (bar_on_screen) {
		fputs("\r\033[K", settings.err);
		bar_on_screen = false;
	}
}

/* Write `text` (possibly several lines) with Packer's layout. kind: 's' say, 'm' message, 'e' error,
 * 'w' warn; 'S' and 'E' are say and error without any prefix. `mask`: pass it through the secret
 * filter (everything but kiln's own diagnostics, which show secrets by their marks). */
static void emit_text(struct ui *ui, char kind, const char *raw, bool mask)
{
	if (!ui)
		ui = &global_ui;
	char *text = mask ? ui_mask(raw) : xstrdup(raw);
	pthread_mutex_lock(&ui_lock);
	ensure_configured();
	if (settings.machine_readable) {
		/* Packer: the targeted UI prefixes the text, then the machine UI writes it as ui,<kind>. */
		struct buf line = BUF_INIT;
		if (kind == 'S' || kind == 'E')
			buf_puts(&line, text);
		else if (kind == 'm')
			buf_printf(&line, "    %s%s%s", ui->label, *ui->label ? ": " : "", text);
		else
			buf_printf(&line, "==> %s%s%s%s", ui->label, *ui->label ? ": " : "", kind == 'w' ? "Warning: " : "", text);
		char *esc = ui_machine_escape(buf_cstr(&line));
		fprintf(settings.out, "%lld,,ui,%s,%s\n", (long long)time(NULL),
			kind == 's' || kind == 'S' ? "say" : kind == 'm' ? "message" : "error", esc);
		fflush(settings.out);
		free(esc);
		buf_free(&line);
		goto out;
	}
	FILE *f = (kind == 'e' || kind == 'w' || kind == 'E') ? settings.err : settings.out;
	clear_bar_locked();
	bool color = use_color(f);
	int col = kind == 'e' || kind == 'E' ? COL_RED : kind == 'w' ? COL_YELLOW : ui->color;

	char ts[40] = "";
	if (settings.timestamps) {
		time_t t = time(NULL);
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ: ", &tm);
	}
	if (kind == 'S' || kind == 'E') {
		/* Unprefixed lines are the summary: bold in the target's colour, red for errors. */
		if (color && (kind == 'E' || ui->color))
			fprintf(f, "%s\033[1;%dm%s\033[0m\n", ts, col, text);
		else
			fprintf(f, "%s%s\n", ts, text);
		fflush(f);
		goto out;
	}
	/* Each line of a multi-line text gets the prefix, as Packer's prefixLines does. */
	const char *p = text;
	bool first = true;
	do {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		struct buf line = BUF_INIT;
		buf_puts(&line, ts);
		if (kind == 'm' || !first)
			buf_puts(&line, "    ");
		else
			buf_puts(&line, "==> ");
		if (*ui->label)
			buf_printf(&line, "%s: ", ui->label);
		if (kind == 'w' && first)
			buf_puts(&line, "Warning: ");
		buf_append(&line, p, n);
		if (color && col)
			fprintf(f, "\033[%d;%dm%s\033[0m\n", kind == 'm' ? 0 : 1, col, buf_cstr(&line));
		else
			fprintf(f, "%s\n", buf_cstr(&line));
		buf_free(&line);
		first = false;
		p = nl ? nl + 1 : NULL;
	} while (p && *p);
	fflush(f);
out:
	pthread_mutex_unlock(&ui_lock);
	free(text);
}

static void emit(struct ui *ui, char kind, const char *raw)
{
	emit_text(ui, kind, raw, true);
}

void ui_diagnostics_plain(struct ui *ui, bool error, const char *text)
{
	emit_text(ui, error ? 'E' : 'S', text, false);
}

#define UI_EMITTER(name, kind)                                  \
	void name(struct ui *ui, const char *fmt, ...)          \
	{                                                       \
		va_list ap;                                     \
		va_start(ap, fmt);                              \
		char *s = xvasprintf(fmt, ap);                  \
		va_end(ap);                                     \
		emit(ui, kind, s);                              \
		free(s);                                        \
	}
UI_EMITTER(ui_say, 's')
UI_EMITTER(ui_message, 'm')
UI_EMITTER(ui_error, 'e')
UI_EMITTER(ui_warn, 'w')
UI_EMITTER(ui_say_plain, 'S')
UI_EMITTER(ui_error_plain, 'E')

void ui_machine(struct ui *ui, const char *type, ...)
{
	if (!ui)
		ui = &global_ui;
	pthread_mutex_lock(&ui_lock);
	ensure_configured();
	bool mr = settings.machine_readable;
	pthread_mutex_unlock(&ui_lock);
	if (!mr)
		return;
	struct buf line = BUF_INIT;
	buf_printf(&line, "%lld,%s,%s", (long long)time(NULL), ui->target, type);
	va_list ap;
	va_start(ap, type);
	for (const char *a; (a = va_arg(ap, const char *));) {
		char *m = ui_mask(a);
		char *esc = ui_machine_escape(m);
		buf_printf(&line, ",%s", esc);
		free(esc);
		free(m);
	}
	va_end(ap);
	pthread_mutex_lock(&ui_lock);
	fprintf(settings.out, "%s\n", buf_cstr(&line));
	fflush(settings.out);
	pthread_mutex_unlock(&ui_lock);
	buf_free(&line);
}

char *ui_ask(struct ui *ui, const char *question)
{
	if (!isatty(STDIN_FILENO) || sig_cancelled())
		return NULL;
	emit(ui, 's', question);
	struct buf line = BUF_INIT;
	for (;;) {
		/* Wait for the answer or for Ctrl-C: signals go to the signal thread, so a plain read() would
		 * not notice one. */
		struct pollfd p[2] = {{.fd = STDIN_FILENO, .events = POLLIN}, {.fd = sig_cancel_fd(), .events = POLLIN}};
		if (poll(p, p[1].fd >= 0 ? 2 : 1, -1) < 0 && errno != EINTR)
			break;
		if (sig_cancelled()) {
			buf_free(&line);
			return NULL;
		}
		if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		char c;
		ssize_t n = read(STDIN_FILENO, &c, 1);
		if (n <= 0) {
			if (line.len == 0) {
				buf_free(&line);
				return NULL;
			}
			break;
		}
		if (c == '\n')
			break;
		buf_putc(&line, c);
	}
	return buf_detach(&line);
}

char *ui_format_bytes(uint64_t n)
{
	static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)n;
	int u = 0;
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		return xasprintf("%llu B", (unsigned long long)n);
	return xasprintf("%.1f %s", v, units[u]);
}

/* --- progress --- */

struct ui_progress {
	struct ui *ui;
	char *label;
	uint64_t total, done;
	long started_ms, last_print_ms;
	int last_quarter;
	bool tty;
};

static bool progress_is_tty(void)
{
	if (settings.progress_tty_set)
		return settings.progress_tty;
	return !settings.machine_readable && isatty(fileno(settings.err));
}

struct ui_progress *ui_progress_start(struct ui *ui, const char *label, uint64_t total)
{
	struct ui_progress *p = xcalloc(1, sizeof *p);
	p->ui = ui ? ui : &global_ui;
	p->label = xstrdup(label);
	p->total = total;
	p->started_ms = p->last_print_ms = time_mono_ms();
	pthread_mutex_lock(&ui_lock);
	ensure_configured();
	p->tty = progress_is_tty();
	pthread_mutex_unlock(&ui_lock);
	return p;
}

void ui_progress_set_total(struct ui_progress *p, uint64_t total)
{
	if (p)
		p->total = total;
}

static void progress_line(struct ui_progress *p, struct buf *b, long now)
{
	char *done = ui_format_bytes(p->done);
	double secs = (double)(now - p->started_ms) / 1000.0;
	/* no rate until there is time enough to measure one: "0 B/s" would say it is stuck */
	char *r = secs > 0.2 ? ui_format_bytes((uint64_t)((double)p->done / secs)) : NULL;
	char *rate = r ? xasprintf(", %s/s", r) : xstrdup("");
	free(r);
	if (p->total) {
		char *total = ui_format_bytes(p->total);
		buf_printf(b, "%s: %3d%% (%s of %s%s)", p->label, (int)(p->done * 100 / p->total), done, total, rate);
		free(total);
	} else {
		buf_printf(b, "%s: %s (%s)", p->label, done, *rate ? rate + 2 : "?/s");
	}
	free(rate);
	free(done);
}

void ui_progress_update(struct ui_progress *p, uint64_t done)
{
	if (!p)
		return;
	p->done = done;
	long now = time_mono_ms();
	if (p->tty) {
		if (now - p->last_print_ms < 100)
			return;
		p->last_print_ms = now;
		struct buf b = BUF_INIT;
		buf_printf(&b, "    %s%s", p->ui->label, *p->ui->label ? ": " : "");
		progress_line(p, &b, now);
		if (p->total) {
			int width = 30, fill = (int)(p->done * (uint64_t)width / p->total);
			buf_puts(&b, " [");
			buf_repeat(&b, '=', (size_t)fill);
			if (fill < width)
				buf_putc(&b, '>');
			buf_repeat(&b, ' ', (size_t)(width - fill > 0 ? width - fill - 1 : 0));
			buf_putc(&b, ']');
		}
		pthread_mutex_lock(&ui_lock);
		fprintf(settings.err, "\r\033[K%s", buf_cstr(&b));
		fflush(settings.err);
		bar_on_screen = true;
		pthread_mutex_unlock(&ui_lock);
		buf_free(&b);
		return;
	}
	/* Not a terminal: a plain line at each quarter, or every 10 s. */
	int quarter = p->total ? (int)(p->done * 4 / p->total) : 0;
	if (quarter > p->last_quarter || now - p->last_print_ms >= 10000) {
		p->last_quarter = quarter;
		p->last_print_ms = now;
		struct buf b = BUF_INIT;
		progress_line(p, &b, now);
		ui_message(p->ui, "%s", buf_cstr(&b));
		buf_free(&b);
	}
}

void ui_progress_finish(struct ui_progress *p)
{
	if (!p)
		return;
	if (p->tty) {
		pthread_mutex_lock(&ui_lock);
		clear_bar_locked();
		fflush(settings.err);
		pthread_mutex_unlock(&ui_lock);
	}
	free(p->label);
	free(p);
}
