/* test-qemu-boot-command.c — Packer's boot_command grammar and how a script is typed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <linux/input-event-codes.h>
#include <stdlib.h>
#include <string.h>

#include "qemu/boot_command.h"
#include "util/buf.h"
#include "util/mem.h"

static void expect_parse(const char *cmd, const char *want)
{
	struct qemu_boot_script s = {0};
	struct kiln_error err = ERR_INIT;
	if (qemu_boot_parse(cmd, &s, &err) < 0)
		fail_msg("parse of \"%s\" failed: %s", cmd, err_cause(&err));
	char *got = qemu_boot_script_describe(&s);
	if (strcmp(got, want) != 0)
		fail_msg("parse of \"%s\"\n  got:  %s\n  want: %s", cmd, got, want);
	free(got);
	qemu_boot_script_free(&s);
}

static void test_literals_and_shift(void **state)
{
	(void)state;
	expect_parse("ab", "a b");
	expect_parse("A!", "A !");
	expect_parse("x=1 y:2", "x = 1   y : 2");
	expect_parse("\"~|<>?", "\" ~ | < > ?");
	expect_parse("a\nb", "a <enter> b");
}

static void test_special_keys(void **state)
{
	(void)state;
	expect_parse("<enter><return><esc><tab><bs><del><spacebar>",
		     "<enter> <enter> <esc> <tab> <bs> <del>  ");
	expect_parse("<insert><home><end><pageUp><pageDown><up><down><left><right>",
		     "<insert> <home> <end> <pageUp> <pageDown> <up> <down> <left> <right>");
	expect_parse("<f1><f10><F12><menu>", "<f1> <f10> <f12> <menu>");
	expect_parse("<ENTER><PageUp>", "<enter> <pageUp>");
	/* unknown names are typed literally */
	expect_parse("<foo>", "< f o o >");
	expect_parse("<", "<");
	expect_parse("a<b", "a < b");
}

static void test_toggles(void **state)
{
	(void)state;
	expect_parse("<leftAltOn>x<leftAltOff>", "+<leftAlt> x -<leftAlt>");
	expect_parse("<leftCtrlon>c<leftctrloff>", "+<leftCtrl> c -<leftCtrl>");
	expect_parse("<leftShiftOn><rightShiftOff><leftSuperOn><rightSuperOff><rightCtrlOn><rightAltOn>",
		     "+<leftShift> -<rightShift> +<leftSuper> -<rightSuper> +<rightCtrl> +<rightAlt>");
	expect_parse("<aOn><aOff>", "+a -a");
	expect_parse("<enterOn>", "+<enter>");
}

static void test_waits(void **state)
{
	(void)state;
	expect_parse("<wait>", "wait(1000)");
	expect_parse("<wait5>", "wait(5000)");
	expect_parse("<wait10>", "wait(10000)");
	expect_parse("<wait5s><wait1m><wait1m30s><wait250ms>", "wait(5000) wait(60000) wait(90000) wait(250)");
	/* "wait" is case-sensitive in Packer's grammar, and bad durations are literal text */
	expect_parse("<Wait>", "< W a i t >");
	expect_parse("<wait5x>", "< w a i t 5 x >");
	expect_parse("<wait05>", "< w a i t 0 5 >");
}

static void test_wait_for(void **state)
{
	(void)state;
	expect_parse("<waitFor \"boot:\">", "waitFor(/boot:/,300000)");
	expect_parse("<waitfor \"login: *$\" 30s>x", "waitFor(/login: *$/,30000) x");
	expect_parse("<waitFor \"say \\\"hi\\\" [0-9]+>\">", "waitFor(/say \"hi\" [0-9]+>/,300000)");
	struct qemu_boot_script s = {0};
	struct kiln_error err = ERR_INIT;
	assert_int_equal(qemu_boot_parse("<waitFor boot:>", &s, &err), -1);
	assert_non_null(strstr(err_cause(&err), "quoted regular expression"));
	err_clear(&err);
	assert_int_equal(qemu_boot_parse("<waitFor \"x\" soon>", &s, &err), -1);
	err_clear(&err);
	assert_int_equal(qemu_boot_parse("<waitFor \"x>", &s, &err), -1);
	err_clear(&err);
	qemu_boot_script_free(&s);
}

static void test_untypeable(void **state)
{
	(void)state;
	struct qemu_boot_script s = {0};
	struct kiln_error err = ERR_INIT;
	assert_int_equal(qemu_boot_parse("caf\xc3\xa9", &s, &err), -1);
	assert_non_null(strstr(err_cause(&err), "non-ASCII"));
	err_clear(&err);
	qemu_boot_script_free(&s);
}

/* A driver that records what would be sent. */
struct rec {
	struct buf log;
	int64_t slept;
	const char *fail_pattern;
};

static int rec_send(void *arg, const unsigned *keys, size_t n, unsigned hold, struct kiln_error *err)
{
	(void)err;
	struct rec *r = arg;
	buf_putc(&r->log, '[');
	for (size_t i = 0; i < n; i++)
		buf_printf(&r->log, "%s%u", i ? "+" : "", keys[i]);
	if (hold)
		buf_printf(&r->log, " hold %u", hold);
	buf_putc(&r->log, ']');
	return 0;
}

static int rec_wait_for(void *arg, const char *pattern, int64_t ms, struct kiln_error *err)
{
	struct rec *r = arg;
	buf_printf(&r->log, "{%s %lld}", pattern, (long long)ms);
	if (r->fail_pattern && strcmp(pattern, r->fail_pattern) == 0)
		return err_set_kind(err, ERR_TIMEOUT, "timed out waiting for /%s/", pattern);
	return 0;
}

static int rec_sleep(void *arg, int64_t ms)
{
	struct rec *r = arg;
	r->slept += ms;
	return 0;
}

static void test_typing(void **state)
{
	(void)state;
	struct rec r = {.log = BUF_INIT};
	struct qemu_boot_driver d = {rec_send, rec_wait_for, rec_sleep, &r};
	struct qemu_boot_script s = {0};
	struct kiln_error err = ERR_INIT;
	assert_int_equal(qemu_boot_parse("<waitFor \"boot:\" 1m>aB<leftCtrlOn>c<leftShiftOn><wait2><leftShiftOff><leftCtrlOff><enter>", &s, &err), 0);
	assert_int_equal(qemu_boot_type(&s, &d, 10, &err), 0);
	char *want = xasprintf("{boot: 60000}[%d][%d+%d][%d+%d][%d+%d hold 2000][%d]", KEY_A, KEY_LEFTSHIFT, KEY_B,
			     KEY_LEFTCTRL, KEY_C, KEY_LEFTCTRL, KEY_LEFTSHIFT, KEY_ENTER);
	assert_string_equal(buf_cstr(&r.log), want);
	free(want);
	/* 4 key presses at 10 ms, plus the 2 s wait */
	assert_int_equal(r.slept, 2040);
	qemu_boot_script_free(&s);

	/* a failed waitFor stops typing */
	buf_reset(&r.log);
	r.fail_pattern = "never";
	assert_int_equal(qemu_boot_parse("a<waitFor \"never\" 1s>b", &s, &err), 0);
	assert_int_equal(qemu_boot_type(&s, &d, 0, &err), -1);
	assert_true(err_is(&err, ERR_TIMEOUT));
	char *w2 = xasprintf("[%d]{never 1000}", KEY_A);
	assert_string_equal(buf_cstr(&r.log), w2);
	free(w2);
	err_clear(&err);
	qemu_boot_script_free(&s);
	buf_free(&r.log);
}

static int rec_step_begin(void *arg, size_t i, size_t n, const char *description, struct kiln_error *err)
{
	struct rec *r = arg;
	buf_printf(&r->log, "(%zu/%zu %s)", i + 1, n, description ? description : "-");
	if (description && strcmp(description, "stop here") == 0)
		return err_set_kind(err, ERR_CANCELLED, "cancelled");
	return 0;
}

/* boot_steps: each script typed in order, announced with its description before its keys; a failure
 * names the step and nothing after it is typed. */
static void test_typing_steps(void **state)
{
	(void)state;
	struct rec r = {.log = BUF_INIT};
	struct qemu_boot_driver d = {rec_send, rec_wait_for, rec_sleep, &r};
	struct qemu_boot_script s[3] = {{0}};
	struct kiln_error err = ERR_INIT;
	assert_int_equal(qemu_boot_parse("a", &s[0], &err), 0);
	assert_int_equal(qemu_boot_parse("<waitFor \"login:\" 2s>", &s[1], &err), 0);
	assert_int_equal(qemu_boot_parse("b<enter>", &s[2], &err), 0);
	const char *desc[] = {"first", NULL, "set root password"};
	assert_int_equal(qemu_boot_type_steps(s, desc, 3, &d, 0, rec_step_begin, &err), 0);
	char *want = xasprintf("(1/3 first)[%d](2/3 -){login: 2000}(3/3 set root password)[%d][%d]", KEY_A, KEY_B, KEY_ENTER);
	assert_string_equal(buf_cstr(&r.log), want);
	free(want);

	/* a failing step is named with its description; the steps after it are not typed */
	buf_reset(&r.log);
	r.fail_pattern = "login:";
	const char *desc2[] = {"first", "wait for login", "set root password"};
	assert_int_equal(qemu_boot_type_steps(s, desc2, 3, &d, 0, rec_step_begin, &err), -1);
	assert_true(err_is(&err, ERR_TIMEOUT));
	char *m = err_text(&err);
	assert_non_null(strstr(m, "boot step 2 (wait for login)"));
	assert_non_null(strstr(m, "timed out waiting for /login:/"));
	free(m);
	assert_null(strstr(buf_cstr(&r.log), "3/3"));
	err_clear(&err);

	/* without descriptions and hooks, a step is named by its number */
	buf_reset(&r.log);
	assert_int_equal(qemu_boot_type_steps(s, NULL, 3, &d, 0, NULL, &err), -1);
	m = err_text(&err);
	assert_non_null(strstr(m, "boot step 2:"));
	free(m);
	err_clear(&err);
	r.fail_pattern = NULL;

	/* the hook can stop before a step is typed (-debug, Ctrl-C while paused) */
	buf_reset(&r.log);
	const char *desc3[] = {"first", "stop here", "never"};
	assert_int_equal(qemu_boot_type_steps(s, desc3, 3, &d, 0, rec_step_begin, &err), -1);
	assert_true(err_is(&err, ERR_CANCELLED));
	char *w3 = xasprintf("(1/3 first)[%d](2/3 stop here)", KEY_A);
	assert_string_equal(buf_cstr(&r.log), w3);
	free(w3);
	err_clear(&err);
	for (size_t i = 0; i < 3; i++)
		qemu_boot_script_free(&s[i]);
	buf_free(&r.log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_literals_and_shift),
		cmocka_unit_test(test_special_keys),
		cmocka_unit_test(test_toggles),
		cmocka_unit_test(test_waits),
		cmocka_unit_test(test_wait_for),
		cmocka_unit_test(test_untypeable),
		cmocka_unit_test(test_typing),
		cmocka_unit_test(test_typing_steps),
	};
	return cmocka_run_group_tests_name("qemu-boot-command", tests, NULL, NULL);
}
