/* test-qemu-accel.c — choosing the accelerator: auto takes KVM when the KVM device opens and falls back to
 * TCG when it does not; an explicit kvm without a usable device fails with advice. KILN_KVM_DEVICE stands
 * in for /dev/kvm. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "qemu/accel.h"

static void choose(const char *device, const char *setting, int want_rc, bool want_kvm, bool want_auto)
{
	setenv("KILN_KVM_DEVICE", device, 1);
	struct qemu_accel a;
	struct kiln_error err = ERR_INIT;
	int rc = qemu_accel_choose(setting, NULL, &a, &err);
	assert_int_equal(rc, want_rc);
	if (rc == 0) {
		assert_int_equal(a.kvm, want_kvm);
		assert_int_equal(a.automatic, want_auto);
		assert_string_equal(qemu_accel_name(&a), want_kvm ? "kvm" : "tcg");
		assert_non_null(a.why);
		qemu_accel_free(&a);
	} else {
		assert_non_null(strstr(err_cause(&err), "accelerator = \"kvm\", but KVM is not usable here"));
		assert_non_null(strstr(err_cause(&err), "/nonexistent/kvm"));
		assert_non_null(err.hint);
		assert_non_null(strstr(err.hint, "accelerator = \"tcg\""));
		err_clear(&err);
	}
}

static void test_choice(void **state)
{
	(void)state;
	choose("/dev/null", "auto", 0, true, true);
	choose("/dev/null", NULL, 0, true, true);
	choose("/dev/null", "kvm", 0, true, false);
	choose("/dev/null", "tcg", 0, false, false);
	choose("/dev/null", "none", 0, false, false);
	choose("/nonexistent/kvm", "auto", 0, false, true);
	choose("/nonexistent/kvm", "kvm", -1, false, false);
	unsetenv("KILN_KVM_DEVICE");
}

static void test_log_detection(void **state)
{
	(void)state;
	char dir[] = "/tmp/kiln-test-accel-XXXXXX";
	assert_non_null(mkdtemp(dir));
	setenv("KILN_LIBVIRT_LOG_DIR", dir, 1);
	char path[256];
	snprintf(path, sizeof path, "%s/dom1.log", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("2026-01-01 qemu starting\nKVM internal error. Suberror: 1\nemulation failure\n", f);
	fclose(f);
	assert_true(qemu_accel_log_shows_kvm_error("dom1"));
	assert_false(qemu_accel_log_shows_kvm_error("dom2"));
	unlink(path);
	rmdir(dir);
	unsetenv("KILN_LIBVIRT_LOG_DIR");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_choice),
		cmocka_unit_test(test_log_detection),
	};
	return cmocka_run_group_tests_name("qemu-accel", tests, NULL, NULL);
}
