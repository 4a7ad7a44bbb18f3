/* test-qemu-checksum.c — iso_checksum forms and SUMS files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "qemu/checksum.h"

#define SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define MD5 "d41d8cd98f00b204e9800998ecf8427e"
#define SHA1 "da39a3ee5e6b4b0d3255bfef95601890afd80709"

static void expect_digest(const char *spec, const char *algo, const char *hex)
{
	struct qemu_checksum c;
	struct kiln_error err = ERR_INIT;
	assert_int_equal(qemu_checksum_parse(spec, &c, &err), 0);
	assert_string_equal(c.algo, algo);
	assert_string_equal(c.hex, hex);
	assert_null(c.sums_ref);
	qemu_checksum_free(&c);
}

static void expect_invalid(const char *spec, const char *fragment)
{
	struct qemu_checksum c;
	struct kiln_error err = ERR_INIT;
	assert_int_equal(qemu_checksum_parse(spec, &c, &err), -1);
	assert_true(err_is(&err, ERR_INVALID));
	if (!strstr(err_cause(&err), fragment))
		fail_msg("error \"%s\" does not mention \"%s\"", err_cause(&err), fragment);
	err_clear(&err);
}

static void test_forms(void **state)
{
	(void)state;
	expect_digest(SHA256, "sha256", SHA256);
	expect_digest("sha256:" SHA256, "sha256", SHA256);
	expect_digest("SHA256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", "sha256", SHA256);
	expect_digest("md5:" MD5, "md5", MD5);
	expect_digest(MD5, "md5", MD5);
	expect_digest(SHA1, "sha1", SHA1);
	expect_digest("  sha1:" SHA1 "\n", "sha1", SHA1);

	struct qemu_checksum c;
	struct kiln_error err = ERR_INIT;
	assert_int_equal(qemu_checksum_parse("none", &c, &err), 0);
	assert_true(qemu_checksum_is_none(&c));
	char *s = qemu_checksum_format(&c);
	assert_string_equal(s, "none");
	free(s);
	qemu_checksum_free(&c);

	assert_int_equal(qemu_checksum_parse("file:https://example.org/SHA256SUMS", &c, &err), 0);
	assert_string_equal(c.sums_ref, "https://example.org/SHA256SUMS");
	assert_null(c.algo);
	assert_false(qemu_checksum_is_none(&c));
	qemu_checksum_free(&c);

	assert_int_equal(qemu_checksum_parse("sha512:file:./SUMS", &c, &err), 0);
	assert_string_equal(c.sums_ref, "./SUMS");
	assert_string_equal(c.sums_algo, "sha512");
	qemu_checksum_free(&c);
}

static void test_invalid(void **state)
{
	(void)state;
	expect_invalid("", "empty");
	expect_invalid("crc32:1234", "unknown checksum type \"crc32\"");
	expect_invalid("sha256:" MD5, "a sha256 digest has 64 hex characters, this one has 32");
	expect_invalid("abc", "cannot tell the algorithm");
	expect_invalid("sha256:zz" "b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "not a hexadecimal digest");
	expect_invalid("file:", "needs the SUMS file");
}

static void test_sums_files(void **state)
{
	(void)state;
	static const char gnu[] =
		"# comment\n"
		MD5 "  other.iso\n"
		SHA256 " *debian-12-genericcloud-amd64.qcow2\r\n";
	struct qemu_checksum c;
	struct kiln_error err = ERR_INIT;
	assert_int_equal(qemu_checksum_parse("file:SUMS", &c, &err), 0);
	assert_int_equal(qemu_checksum_resolve_sums(&c, gnu, "debian-12-genericcloud-amd64.qcow2", &err), 0);
	assert_string_equal(c.algo, "sha256");
	assert_string_equal(c.hex, SHA256);
	qemu_checksum_free(&c);

	static const char bsd[] = "MD5 (a.iso) = " MD5 "\nSHA1 (dir/b.iso) = " SHA1 "\n";
	assert_int_equal(qemu_checksum_parse("file:SUMS", &c, &err), 0);
	assert_int_equal(qemu_checksum_resolve_sums(&c, bsd, "b.iso", &err), 0);
	assert_string_equal(c.algo, "sha1");
	assert_string_equal(c.hex, SHA1);
	qemu_checksum_free(&c);

	/* ./ prefixes and directories in the entry */
	static const char dotted[] = SHA1 "  ./images/x.img\n";
	assert_int_equal(qemu_checksum_parse("file:SUMS", &c, &err), 0);
	assert_int_equal(qemu_checksum_resolve_sums(&c, dotted, "x.img", &err), 0);
	assert_string_equal(c.algo, "sha1");
	qemu_checksum_free(&c);

	/* a lone digest applies to any name */
	assert_int_equal(qemu_checksum_parse("file:SUMS", &c, &err), 0);
	assert_int_equal(qemu_checksum_resolve_sums(&c, SHA256 "\n", "whatever.iso", &err), 0);
	assert_string_equal(c.hex, SHA256);
	qemu_checksum_free(&c);

	/* missing entry */
	assert_int_equal(qemu_checksum_parse("file:SUMS", &c, &err), 0);
	assert_int_equal(qemu_checksum_resolve_sums(&c, gnu, "nope.iso", &err), -1);
	assert_true(err_is(&err, ERR_NOT_FOUND));
	assert_non_null(strstr(err_cause(&err), "no entry for \"nope.iso\""));
	err_clear(&err);
	qemu_checksum_free(&c);

	/* an explicit algorithm must agree with the entry's length */
	assert_int_equal(qemu_checksum_parse("sha512:file:SUMS", &c, &err), 0);
	assert_int_equal(qemu_checksum_resolve_sums(&c, gnu, "other.iso", &err), -1);
	err_clear(&err);
	qemu_checksum_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_sums_files),
	};
	return cmocka_run_group_tests_name("qemu-checksum", tests, NULL, NULL);
}
