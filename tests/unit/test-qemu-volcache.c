/* test-qemu-volcache.c — the image cache's volume names (data, lock, owner, use markers), its eviction
 * decision (least recently used first, never an image in use, stop once the new one fits), and the
 * names of a build's temporary volumes (whose kiln process made them). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "qemu/hosts.h"
#include "qemu/libvirt.h"
#include "qemu/volcache.h"
#include "util/mem.h"

#define SHA "8504bf09fd2939ef7315423523fb8e52e56d0a781b8f4b12513bec4b2da166d8"

static void test_names(void **state)
{
	(void)state;
	struct qemu_volcache_name n;
	qemu_volcache_parse("kiln-sha256-" SHA, &n);
	assert_int_equal(n.kind, QEMU_VC_DATA);
	assert_string_equal(n.sha256, SHA);
	qemu_volcache_parse("kiln-sha256-" SHA ".lock", &n);
	assert_int_equal(n.kind, QEMU_VC_LOCK);
	qemu_volcache_parse("kiln-sha256-" SHA ".lock_4242_build-box.example", &n);
	assert_int_equal(n.kind, QEMU_VC_OWNER);
	assert_int_equal(n.pid, 4242);
	assert_string_equal(n.host, "build-box.example");
	qemu_volcache_parse("kiln-sha256-" SHA ".used-1700000000", &n);
	assert_int_equal(n.kind, QEMU_VC_USED);
	assert_int_equal(n.used, 1700000000);
	/* not the cache's */
	const char *others[] = {
		"kiln-sha256-" SHA "x", "kiln-sha256-" SHA ".used-", "kiln-sha256-" SHA ".used-12a",
		"kiln-sha256-" SHA ".lock_", "kiln-sha256-" SHA ".lock_12", "kiln-sha256-" SHA ".lock_x_h",
		"kiln-sha256-8504BF09fd2939ef7315423523fb8e52e56d0a781b8f4b12513bec4b2da166d8", "kiln-sha256-abc",
		"debian.qcow2", "kiln-packer-x-1234abcd-disk_12_host",
	};
	for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
		qemu_volcache_parse(others[i], &n);
		assert_int_equal(n.kind, QEMU_VC_NONE);
	}
}

static void test_evict_lru_first(void **state)
{
	(void)state;
	struct qemu_volcache_entry e[] = {
		{100, 300, false},   /* 0 */
		{100, 100, false},   /* 1: oldest */
		{100, 200, false},   /* 2 */
		{100, 400, false},   /* 3: newest */
	};
	size_t v[4];
	bool fits = false;
	/* 400 cached + 150 incoming, limit 400: two go, the two least recently used */
	size_t n = qemu_volcache_evictions(e, 4, 400, 150, v, &fits);
	assert_int_equal(n, 2);
	assert_int_equal(v[0], 1);
	assert_int_equal(v[1], 2);
	assert_true(fits);
	/* room already: nothing goes */
	n = qemu_volcache_evictions(e, 4, 1000, 150, v, &fits);
	assert_int_equal(n, 0);
	assert_true(fits);
}

static void test_evict_skips_in_use(void **state)
{
	(void)state;
	struct qemu_volcache_entry e[] = {
		{300, 100, true},    /* oldest, but a build uses it */
		{100, 200, false},
		{100, 300, false},
	};
	size_t v[3];
	bool fits = true;
	size_t n = qemu_volcache_evictions(e, 3, 350, 100, v, &fits);
	/* 500 + 100 > 350: both unused ones go, and it still does not fit */
	assert_int_equal(n, 2);
	assert_int_equal(v[0], 1);
	assert_int_equal(v[1], 2);
	assert_false(fits);
	/* an incoming image larger than the limit alone: everything unused goes, and it does not fit */
	struct qemu_volcache_entry one[] = {{10, 1, false}};
	n = qemu_volcache_evictions(one, 1, 100, 200, v, &fits);
	assert_int_equal(n, 1);
	assert_false(fits);
	n = qemu_volcache_evictions(NULL, 0, 100, 50, v, &fits);
	assert_int_equal(n, 0);
	assert_true(fits);
}

static void test_temp_volume_names(void **state)
{
	(void)state;
	char *name = qemu_temp_volume_name("kiln-packer-a-1234abcd", "disk");
	long pid = 0;
	char host[64];
	assert_true(qemu_temp_volume_owner(name, &pid, host));
	assert_int_equal(pid, (long)getpid());
	assert_string_equal(host, qemu_owner_host());
	/* this process is alive (a kiln, by its name): not gone; a child that exited is */
	prctl(PR_SET_NAME, "kiln-test");
	assert_false(qemu_owner_gone(host, pid));
	pid_t child = fork();
	if (child == 0)
		_exit(0);
	waitpid(child, NULL, 0);
	assert_true(qemu_owner_gone(host, (long)child));
	/* another machine's process: kiln cannot tell, so never gone */
	assert_false(qemu_owner_gone("some-other-machine", 999999));
	free(name);
	assert_true(qemu_temp_volume_owner("kiln-x_y-disk-2_77_h", &pid, host));
	assert_int_equal(pid, 77);
	assert_string_equal(host, "h");
	const char *not_temp[] = {"kiln-sha256-" SHA, "kiln-a-disk", "other-disk_12_h", "kiln-a-disk_x_h", "kiln-a-disk_12_",
				  "kiln-a-disk12_h"};
	for (size_t i = 0; i < sizeof not_temp / sizeof not_temp[0]; i++)
		assert_false(qemu_temp_volume_owner(not_temp[i], &pid, host));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_evict_lru_first),
		cmocka_unit_test(test_evict_skips_in_use),
		cmocka_unit_test(test_temp_volume_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
