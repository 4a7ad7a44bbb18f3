/* test-qemu-docs.c — docs/builder-qemu.md documents every key of the qemu builder's schema (nested block
 * keys as "block.key"), so a new key cannot land undocumented. `test-qemu-docs --table` prints the rows of
 * the doc's key table from the schema (paste them between the keys:begin/keys:end markers). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "component.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/mem.h"

extern const struct kiln_builder qemu_builder;

static void check(const char *doc, const char *key, struct buf *missing)
{
	char *needle = xasprintf("| `%s` |", key);
	if (!strstr(doc, needle))
		buf_printf(missing, " %s", key);
	free(needle);
}

static void test_every_key_is_documented(void **state)
{
	(void)state;
	const char *src = getenv("KILN_SRCDIR");
	char *path = path_join(src ? src : ".", "docs/builder-qemu.md");
	struct buf doc = BUF_INIT;
	struct kiln_error err = ERR_INIT;
	if (file_read_all(path, &doc, &err) < 0)
		fail_msg("%s", err_cause(&err));
	struct buf missing = BUF_INIT;
	size_t n = 0;
	for (const struct kiln_attr *a = qemu_builder.schema->attrs; a->name; a++, n++) {
		check(buf_cstr(&doc), a->name, &missing);
		if (a->block)
			for (const struct kiln_attr *b = a->block->attrs; b->name; b++) {
				char *k = xasprintf("%s.%s", a->name, b->name);
				check(buf_cstr(&doc), k, &missing);
				free(k);
			}
	}
	assert_true(n > 100);
	if (missing.len)
		fail_msg("docs/builder-qemu.md does not document:%s", buf_cstr(&missing));
	buf_free(&missing);
	buf_free(&doc);
	free(path);
}

static void test_builder_identity(void **state)
{
	(void)state;
	assert_int_equal(qemu_builder.abi, KILN_COMPONENT_ABI);
	assert_string_equal(qemu_builder.type, "qemu");
	assert_string_equal(qemu_builder.builder_id, "transcend.qemu");
	assert_ptr_equal(kiln_find_builder("qemu"), &qemu_builder);
}

static void print_row(const struct kiln_attr *a, const char *prefix)
{
	printf("| `%s%s` | %s | ", prefix, a->name, a->type ? a->type : "block");
	if (a->default_doc)
		printf("`%s`", a->default_doc);
	printf(" | %s%s%s |\n", a->doc ? a->doc : "", (a->flags & KILN_ATTR_SENSITIVE) ? " (sensitive)" : "",
	       (a->flags & KILN_ATTR_DEPRECATED) ? " (deprecated)" : "");
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--table") == 0) {
		for (const struct kiln_attr *a = qemu_builder.schema->attrs; a->name; a++) {
			print_row(a, "");
			if (a->block) {
				char *prefix = xasprintf("%s.", a->name);
				for (const struct kiln_attr *b = a->block->attrs; b->name; b++)
					print_row(b, prefix);
				free(prefix);
			}
		}
		return 0;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_key_is_documented),
		cmocka_unit_test(test_builder_identity),
	};
	return cmocka_run_group_tests_name("qemu-docs", tests, NULL, NULL);
}
