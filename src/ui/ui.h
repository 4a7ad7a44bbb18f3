/* ui.h — what kiln shows the user: Packer-style prefixed output, colour, timestamps, machine-readable
 * events, progress bars, debug logging, and masking of secrets on every one of those paths.
 *
 * One process-wide configuration (ui_configure) and one `struct ui` per target ("qemu.debian"), or the
 * global one with no target. All functions are thread-safe: parallel builds share the terminal. */
#ifndef KILN_UI_UI_H
#define KILN_UI_UI_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum ui_color_mode { UI_COLOR_AUTO = 0, UI_COLOR_ALWAYS, UI_COLOR_NEVER };

struct ui_settings {
	enum ui_color_mode color;  /* AUTO: colour only when the stream is a TTY and NO_COLOR is unset */
	bool machine_readable;     /* Packer's "timestamp,target,type,data..." lines on stdout */
	bool timestamps;           /* -timestamp-ui: RFC 3339 time before each line */
	FILE *out;                 /* default stdout */
	FILE *err;                 /* default stderr */
	bool progress_tty;         /* force progress bars on/off regardless of isatty (tests) */
	bool progress_tty_set;
};

void ui_configure(const struct ui_settings *s);
const struct ui_settings *ui_current_settings(void);
/* Are lines on standard output coloured (colour on, a terminal, NO_COLOR unset, not machine-readable)? */
bool ui_stdout_colored(void);

struct ui;
struct ui *ui_global(void);                  /* no target; never freed */
struct ui *ui_for_target(const char *target); /* picks the next colour, as Packer does per build */
void ui_free(struct ui *ui);
/* The build runs on a pool host: its lines are prefixed "target@host: " from now on (NULL: back to
 * "target: "). The machine-readable target stays the build's name. */
void ui_set_host(struct ui *ui, const char *host);

/* "==> target: message" (bold) */
void ui_say(struct ui *ui, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "    target: message" (guest output, details) */
void ui_message(struct ui *ui, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "==> target: message" in red on stderr */
void ui_error(struct ui *ui, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A warning: "==> target: Warning: message" in yellow on stderr */
void ui_warn(struct ui *ui, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Lines without the "==> target: " prefix, as Packer prints its end-of-build summary
 * ("Build 'x' finished after 1 second.", "\n==> Builds finished..."). */
void ui_say_plain(struct ui *ui, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ui_error_plain(struct ui *ui, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Rendered HCL diagnostics as one unprefixed say (error: false) or error line. Not passed through
 * the secret filter: a diagnostic shows a sensitive value as <sensitive> by its mark and never the
 * source that holds one, so file names, labels and words in it stay whole. */
void ui_diagnostics_plain(struct ui *ui, bool error, const char *text);
/* A machine-readable event (only printed with -machine-readable): type and NULL-terminated data. */
void ui_machine(struct ui *ui, const char *type, ...) __attribute__((sentinel));
/* Ask a question on the terminal; returns a malloc'd line without newline, or NULL (no TTY, EOF,
 * cancelled). */
char *ui_ask(struct ui *ui, const char *question);

/* Machine-readable escaping of one data field: ',' → "%!(PACKER_COMMA)", '\r' → "\\r", '\n' → "\\n". */
char *ui_machine_escape(const char *s);

/* --- secrets --- */
/* Register a secret: from now on every output path and log shows "<sensitive>" in its place.
 * This filter is for text kiln does not make itself (guest and subprocess output, what components
 * print, logs); kiln's own rendering of values (diagnostics, console, inspect) shows "<sensitive>"
 * from the values' marks instead. Secrets shorter than UI_SECRET_MIN_LEN bytes are not filtered: a
 * value that short hides nothing (it is guessed at once) and masking it everywhere would garble
 * every word that contains it ("a" in "argument"). */
#define UI_SECRET_MIN_LEN 4
void ui_secret_add(const char *secret);
/* Register one of kiln's own names (a template's file names, its sources' and builds' names) or a
 * diagnostic kiln rendered itself (which shows secrets by their marks, never by value): where
 * it appears whole, ui_mask leaves it as it is even when a secret is part of it (a password "ubuntu"
 * does not turn ubuntu-cloudimg.pkr.hcl into <sensitive>-cloudimg.pkr.hcl). Names of at most
 * UI_SECRET_MIN_LEN bytes are ignored. */
void ui_public_add(const char *text);
/* Returns a malloc'd copy of s with every registered secret replaced. */
char *ui_mask(const char *s);
void ui_secrets_clear(void);  /* tests */

/* --- progress --- */
struct ui_progress;
/* total 0 = unknown. On a TTY a bar is redrawn in place; otherwise a plain line is printed at most
 * every few seconds and at 25% steps. */
struct ui_progress *ui_progress_start(struct ui *ui, const char *label, uint64_t total);
void ui_progress_update(struct ui_progress *p, uint64_t done);
void ui_progress_set_total(struct ui_progress *p, uint64_t total);
void ui_progress_finish(struct ui_progress *p);  /* frees p */

/* --- logging (KILN_LOG / KILN_LOG_PATH, also PACKER_LOG / PACKER_LOG_PATH) --- */
void log_init_from_env(void);
bool log_enabled(void);
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_close(void);

/* Human byte counts: "12.3 MiB". Caller frees. */
char *ui_format_bytes(uint64_t n);

#endif
