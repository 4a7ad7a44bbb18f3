/* test-qemu-serial-log.c — following a growing serial log: lines, tail, escape sequences, <waitFor>, kernel panics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qemu/serial_log.h"
#include "util/file.h"
#include "util/mem.h"

static char *dir;

static int setup(void **state)
{
	(void)state;
	struct kiln_error err = ERR_INIT;
	dir = tmpdir_make("kiln-test-serial", &err);
	return dir ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	tmpdir_release(dir);
	free(dir);
	return 0;
}

static void append(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void test_lines_and_tail(void **state)
{
	(void)state;
	char *path = path_join(dir, "a.log");
	struct qemu_serial *s = qemu_serial_open(path);
	assert_int_equal(qemu_serial_poll(s), 0);   /* no file yet */
	assert_string_equal(qemu_serial_last_line(s), "");
	append(path, "SeaBIOS\r\n\x1b[2J\x1b[1;1HBooting from Hard Disk...\r\n\r\npart");
	assert_true(qemu_serial_poll(s) > 0);
	assert_string_equal(qemu_serial_last_line(s), "part");
	append(path, "ial line\n");
	qemu_serial_poll(s);
	assert_string_equal(qemu_serial_last_line(s), "partial line");
	char *t = qemu_serial_tail(s, 20, "> ");
	assert_string_equal(t, "> SeaBIOS\n> Booting from Hard Disk...\n> partial line");
	free(t);
	t = qemu_serial_tail(s, 2, "");
	assert_string_equal(t, "Booting from Hard Disk...\npartial line");
	free(t);
	/* only the last 20 lines are kept */
	for (int i = 0; i < 30; i++) {
		char line[32];
		snprintf(line, sizeof line, "line %d\n", i);
		append(path, line);
	}
	qemu_serial_poll(s);
	t = qemu_serial_tail(s, 100, "");
	assert_true(strncmp(t, "line 10\n", 8) == 0);
	assert_non_null(strstr(t, "line 29"));
	free(t);
	qemu_serial_close(s);
	free(path);
}

/* A kernel panic is noticed from its first line; the end of the report is said apart. */
static void test_kernel_panic(void **state)
{
	(void)state;
	char *path = path_join(dir, "panic.log");
	struct qemu_serial *s = qemu_serial_open(path);
	bool complete = true;
	append(path, "[    0.000000] Linux version 6.1.0\n[    1.2] Kernel command line: console=ttyS0 panic=0\n");
	qemu_serial_poll(s);
	assert_null(qemu_serial_panic(s, &complete));
	assert_false(complete);
	/* not yet a whole line */
	append(path, "[    2.5] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)");
	qemu_serial_poll(s);
	assert_null(qemu_serial_panic(s, NULL));
	append(path, "\r\n[    2.5] CPU: 0 PID: 1 Comm: swapper/0\n[    2.5] Call Trace:\n");
	qemu_serial_poll(s);
	assert_string_equal(qemu_serial_panic(s, &complete),
			    "Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)");
	assert_false(complete);
	append(path, "[    2.6] ---[ end Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0) ]---\n");
	qemu_serial_poll(s);
	assert_string_equal(qemu_serial_panic(s, &complete),
			    "Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)");
	assert_true(complete);
	qemu_serial_close(s);

	/* only the end seen (the first line went before the log was opened): still a panic */
	char *path2 = path_join(dir, "panic2.log");
	s = qemu_serial_open(path2);
	append(path2, "---[ end Kernel panic - not syncing: IO-APIC + timer doesn't work! ]---\n");
	qemu_serial_poll(s);
	assert_non_null(strstr(qemu_serial_panic(s, &complete), "IO-APIC + timer doesn't work!"));
	assert_true(complete);
	qemu_serial_close(s);
	/* a line that only talks about panics is not one */
	char *path3 = path_join(dir, "panic3.log");
	s = qemu_serial_open(path3);
	append(path3, "sysctl: kernel.panic = 0\nKernel panic handling: reboot after 10 s\n");
	qemu_serial_poll(s);
	assert_null(qemu_serial_panic(s, &complete));
	qemu_serial_close(s);
	free(path3);
	free(path2);
	free(path);
}

struct writer {
	char *path;
	int delay_ms;
	const char *text;
};

static void *write_later(void *arg)
{
	struct writer *w = arg;
	usleep((useconds_t)w->delay_ms * 1000);
	append(w->path, w->text);
	return NULL;
}

static int alive_calls;
static int count_alive(void *arg, struct kiln_error *err)
{
	(void)arg;
	(void)err;
	alive_calls++;
	return 0;
}

static int vm_died(void *arg, struct kiln_error *err)
{
	(void)arg;
	return err_set(err, "the VM stopped");
}

static void test_wait_for(void **state)
{
	(void)state;
	char *path = path_join(dir, "b.log");
	append(path, "ISOLINUX 6.04\n\x1b[7mboot:\x1b[0m ");
	struct qemu_serial *s = qemu_serial_open(path);
	struct kiln_error err = ERR_INIT;
	/* already there (escape sequences do not split the word) */
	assert_int_equal(qemu_serial_wait_for(s, "boot: *$", 1000, 10, NULL, NULL, &err), 0);
	/* a match is consumed: the same text does not match twice */
	assert_int_equal(qemu_serial_wait_for(s, "boot:", 100, 10, NULL, NULL, &err), -1);
	assert_true(err_is(&err, ERR_TIMEOUT));
	assert_non_null(strstr(err_cause(&err), "timed out after 100ms waiting for \"boot:\""));
	assert_non_null(strstr(err_cause(&err), "    ISOLINUX 6.04"));
	err_clear(&err);

	/* appears later */
	struct writer w = {path, 150, "Linux version 6.1\nlogin: "};
	pthread_t t;
	pthread_create(&t, NULL, write_later, &w);
	alive_calls = 0;
	assert_int_equal(qemu_serial_wait_for(s, "^login: ", 5000, 20, count_alive, NULL, &err), 0);
	pthread_join(t, NULL);
	assert_true(alive_calls > 0);

	/* the check stops the wait */
	assert_int_equal(qemu_serial_wait_for(s, "never", 5000, 10, vm_died, NULL, &err), -1);
	assert_string_equal(err_cause(&err), "the VM stopped");
	err_clear(&err);

	/* a bad expression */
	assert_int_equal(qemu_serial_wait_for(s, "(", 100, 10, NULL, NULL, &err), -1);
	assert_true(err_is(&err, ERR_INVALID));
	err_clear(&err);
	qemu_serial_close(s);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_and_tail),
		cmocka_unit_test(test_wait_for),
		cmocka_unit_test(test_kernel_panic),
	};
	return cmocka_run_group_tests_name("qemu-serial-log", tests, setup, teardown);
}
