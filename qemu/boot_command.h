/* boot_command.h — Packer's boot_command language, parsed into actions and typed through a driver
 * (libvirt's virDomainSendKey in the builder, a recorder in tests).
 *
 * Grammar (Packer's): literal text (shifted characters get Shift), special keys <enter> <return> <esc>
 * <tab> <bs> <del> <spacebar> <insert> <home> <end> <pageUp> <pageDown> <up> <down> <left> <right>
 * <f1>..<f12> <menu> and the modifiers <leftAlt> <rightAlt> <leftCtrl> <rightCtrl> <leftShift>
 * <rightShift> <leftSuper> <rightSuper> <leftMeta> <rightMeta>; any special key or single character
 * with an On/Off suffix (<leftCtrlOn>, <aOff>) holds or releases it; <wait> (1 s), <waitN> (N s),
 * <wait1m30s> (a Go duration). Names are case-insensitive except "wait". Anything else in angle
 * brackets is typed literally.
 * kiln's addition: <waitFor "regex"> or <waitFor "regex" 2m> waits until the regular expression
 * (POSIX extended) matches new output on the serial console; the default timeout is 5 minutes. */
#ifndef KILN_QEMU_BOOT_COMMAND_H
#define KILN_QEMU_BOOT_COMMAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define QEMU_BOOT_WAITFOR_DEFAULT_MS (5 * 60 * 1000)

enum qemu_boot_kind {
	QEMU_BOOT_PRESS,     /* press and release key (with shift when shifted) */
	QEMU_BOOT_DOWN,      /* hold key from now on */
	QEMU_BOOT_UP,        /* release a held key */
	QEMU_BOOT_WAIT,      /* sleep ms */
	QEMU_BOOT_WAIT_FOR,  /* wait for pattern on the serial console, at most ms */
};

struct qemu_boot_action {
	enum qemu_boot_kind kind;
	unsigned key;        /* Linux input keycode (PRESS, DOWN, UP) */
	bool shift;          /* PRESS: with Shift held */
	int64_t ms;          /* WAIT, WAIT_FOR */
	char *pattern;       /* WAIT_FOR */
};

struct qemu_boot_script {
	struct qemu_boot_action *v;
	size_t n, cap;
};

/* Parse one (already template-expanded) boot command. Appends to out. */
int qemu_boot_parse(const char *command, struct qemu_boot_script *out, struct kiln_error *err);
void qemu_boot_script_free(struct qemu_boot_script *s);
/* Human form of a script for logs and tests: "a S-b <enter> +<leftctrl> -<leftctrl> wait(1000)
 * waitFor(/login:/,300000)". Caller frees. */
char *qemu_boot_script_describe(const struct qemu_boot_script *s);

struct qemu_boot_driver {
	/* Press keys[0..n) together, hold them hold_ms, release. */
	int (*send_keys)(void *arg, const unsigned *keys, size_t n, unsigned hold_ms, struct kiln_error *err);
	int (*wait_for)(void *arg, const char *pattern, int64_t timeout_ms, struct kiln_error *err);
	/* Sleep ms, returning -1 (cancelled) early; NULL uses sleep_cancellable_ms. */
	int (*sleep)(void *arg, int64_t ms);
	void *arg;
};

/* Type a script: key_interval_ms between key presses; keys held with <xOn> go down with every
 * following press and stay down through waits, until <xOff>. */
int qemu_boot_type(const struct qemu_boot_script *s, const struct qemu_boot_driver *d, int64_t key_interval_ms,
		   struct kiln_error *err);

/* Packer's boot_steps: scripts[i] typed in order. Before each step, step_begin (may be NULL) gets the driver's
 * arg, the step's index, the count and its description (NULL when it has none): the builder shows the
 * description there and, with -debug, pauses; -1 from it stops. A failure names the step ("boot step 3
 * (set root password): ..."). */
int qemu_boot_type_steps(const struct qemu_boot_script *scripts, const char *const *descriptions, size_t n,
			 const struct qemu_boot_driver *d, int64_t key_interval_ms,
			 int (*step_begin)(void *arg, size_t i, size_t n, const char *description, struct kiln_error *err),
			 struct kiln_error *err);

#endif
