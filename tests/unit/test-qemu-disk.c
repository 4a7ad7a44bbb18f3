/* test-qemu-disk.c — sizes as Packer writes them, and the qemu-img operations the builder uses, run for
 * real on small images in a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "qemu/disk.h"
#include "util/file.h"
#include "util/mem.h"

static void expect_size(const char *s, char bare, uint64_t want)
{
	uint64_t got = 0;
	struct kiln_error err = ERR_INIT;
	if (qemu_parse_size(s, bare, &got, &err) < 0)
		fail_msg("%s: %s", s, err_cause(&err));
	assert_int_equal(got, want);
}

static void test_sizes(void **state)
{
	(void)state;
	expect_size("40960M", 'M', 40960ull << 20);
	expect_size("1024", 'M', 1024ull << 20);
	expect_size("1024", 'B', 1024);
	expect_size("10G", 'M', 10ull << 30);
	expect_size("10g", 'M', 10ull << 30);
	expect_size("512k", 'B', 512ull << 10);
	expect_size("2T", 'M', 2ull << 40);
	expect_size("1GB", 'M', 1ull << 30);
	expect_size("1GiB", 'M', 1ull << 30);
	const char *bad[] = {"", "G", "-1", "10X", "1.5G", "10GBB", "99999999999999999999"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint64_t v;
		struct kiln_error err = ERR_INIT;
		if (qemu_parse_size(bad[i], 'M', &v, &err) == 0)
			fail_msg("\"%s\" parsed", bad[i]);
		assert_true(err_is(&err, ERR_INVALID));
		err_clear(&err);
	}
}

static void test_qemu_img(void **state)
{
	(void)state;
	struct kiln_error err = ERR_INIT;
	char *dir = tmpdir_make("kiln-test-disk", &err);
	assert_non_null(dir);
	char *base = path_join(dir, "base.qcow2");
	char *overlay = path_join(dir, "overlay.qcow2");
	char *moved = path_join(dir, "moved.qcow2");
	char *raw = path_join(dir, "flat.raw");

	assert_int_equal(qemu_img_create(base, "qcow2", "16777216", NULL, NULL, NULL, &err), 0);
	struct qemu_img_info info;
	assert_int_equal(qemu_img_info(base, &info, &err), 0);
	assert_string_equal(info.format, "qcow2");
	assert_int_equal(info.virtual_size, 16u << 20);
	assert_null(info.backing_file);
	qemu_img_info_free(&info);

	/* an overlay takes its size from the base, then grows */
	assert_int_equal(qemu_img_create(overlay, "qcow2", NULL, base, "qcow2", NULL, &err), 0);
	assert_int_equal(qemu_img_resize(overlay, "qcow2", 32u << 20, NULL, &err), 0);
	assert_int_equal(qemu_img_info(overlay, &info, &err), 0);
	assert_int_equal(info.virtual_size, 32u << 20);
	assert_string_equal(info.backing_file, base);
	qemu_img_info_free(&info);
	assert_int_equal(qemu_base_check(overlay, "qcow2", &err), 0);

	/* resize names the file in qemu-img's option syntax: a comma in the name is doubled */
	char *comma = path_join(dir, "a,b.raw");
	assert_int_equal(qemu_img_create(comma, "raw", "1048576", NULL, NULL, NULL, &err), 0);
	assert_int_equal(qemu_img_resize(comma, "raw", 2u << 20, NULL, &err), 0);
	assert_int_equal(qemu_img_info(comma, &info, &err), 0);
	assert_int_equal(info.virtual_size, 2u << 20);
	qemu_img_info_free(&info);
	free(comma);

	/* re-pointing the overlay at an identical copy of its base */
	assert_int_equal(file_copy(base, moved, 0644, &err), 0);
	assert_int_equal(qemu_img_rebase_unsafe(overlay, moved, "qcow2", &err), 0);
	assert_int_equal(qemu_img_info(overlay, &info, &err), 0);
	assert_string_equal(info.backing_file, moved);
	qemu_img_info_free(&info);

	/* converting flattens; converting onto itself works (compaction) */
	assert_int_equal(qemu_img_convert(overlay, "qcow2", raw, "raw", false, NULL, &err), 0);
	assert_int_equal(qemu_img_info(raw, &info, &err), 0);
	assert_string_equal(info.format, "raw");
	qemu_img_info_free(&info);
	assert_int_equal(qemu_img_convert(overlay, "qcow2", overlay, "qcow2", true, NULL, &err), 0);
	assert_int_equal(qemu_img_info(overlay, &info, &err), 0);
	assert_null(info.backing_file);
	qemu_img_info_free(&info);

	/* failures say what failed and leave no temporary file */
	char *missing = path_join(dir, "missing.qcow2");
	char *out = path_join(dir, "out.qcow2");
	assert_int_equal(qemu_img_convert(missing, NULL, out, "qcow2", false, NULL, &err), -1);
	char *text = err_text(&err);
	assert_non_null(strstr(text, "converting"));
	assert_non_null(strstr(text, "qemu-img exited with status"));
	free(text);
	err_clear(&err);
	assert_false(file_exists(out));
	char *tmp = xasprintf("%s.kiln-tmp", out);
	assert_false(file_exists(tmp));
	assert_int_equal(qemu_img_info(missing, &info, &err), -1);
	err_clear(&err);

	free(tmp);
	free(out);
	free(missing);
	free(raw);
	free(moved);
	free(overlay);
	free(base);
	tmpdir_release(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_qemu_img),
	};
	return cmocka_run_group_tests_name("qemu-disk", tests, NULL, NULL);
}
