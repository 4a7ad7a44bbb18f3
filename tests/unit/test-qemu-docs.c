/* test-qemu-docs.c — docs/builder-qemu.md documents every key of the qemu builder's schema (nested block
 * keys as "block.key"), so a new key cannot land undocumented. The same holds, a little less strictly,
 * for every component in src/registry.c: each has its docs/ page or section (builders
 * docs/builder-TYPE.md; provisioners, post-processors and data sources a "## TYPE" section of
 * docs/provisioners.md, docs/post-processors.md, docs/data-sources.md) naming each of its keys in
 * backticks and showing an ```hcl example. The key tables themselves are generated from the schemas
 * (`make regen`; t0012-regen fails when one is stale). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
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
#include "util/strv.h"

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
	assert_string_equal(qemu_builder.type, "qemu");
	assert_string_equal(qemu_builder.builder_id, "transcend.qemu");
	assert_ptr_equal(kiln_find_builder("qemu"), &qemu_builder);
}

/* The schema of a registered component, or NULL. */
static const struct kiln_schema *component_schema(const char *kind, const char *type)
{
	if (strcmp(kind, "builder") == 0)
		return kiln_find_builder(type) ? kiln_find_builder(type)->schema : NULL;
	if (strcmp(kind, "provisioner") == 0)
		return kiln_find_provisioner(type) ? kiln_find_provisioner(type)->schema : NULL;
	if (strcmp(kind, "post-processor") == 0)
		return kiln_find_postprocessor(type) ? kiln_find_postprocessor(type)->schema : NULL;
	if (strcmp(kind, "data") == 0)
		return kiln_find_datasource(type) ? kiln_find_datasource(type)->schema : NULL;
	return NULL;
}

/* The text documenting a component, or NULL with *where saying what is missing: a builder's whole page,
 * another component's "## TYPE" (or "## `TYPE`") section up to the next "## " heading. */
static char *component_doc(const char *src, const char *kind, const char *type, char **where)
{
	char *page;
	bool whole = strcmp(kind, "builder") == 0;
	if (whole)
		page = xasprintf("docs/builder-%s.md", type);
	else
		page = xstrdup(strcmp(kind, "provisioner") == 0	    ? "docs/provisioners.md"
			       : strcmp(kind, "post-processor") == 0 ? "docs/post-processors.md"
								       : "docs/data-sources.md");
	char *path = path_join(src, page);
	struct buf doc = BUF_INIT;
	struct kiln_error err = ERR_INIT;
	char *text = NULL;
	if (file_read_all(path, &doc, &err) < 0) {
		*where = xasprintf("%s (%s)", page, err_cause(&err));
		err_clear(&err);
	} else if (whole) {
		text = buf_detach(&doc);
	} else {
		char *h1 = xasprintf("\n## %s\n", type), *h2 = xasprintf("\n## `%s`\n", type);
		const char *d = buf_cstr(&doc), *start = strstr(d, h1), *end;
		if (!start)
			start = strstr(d, h2);
		if (start) {
			start++;
			end = strstr(start, "\n## ");
			text = end ? xasprintf("%.*s", (int)(end - start), start) : xstrdup(start);
		} else {
			*where = xasprintf("%s has no \"## %s\" section", page, type);
		}
		free(h1);
		free(h2);
	}
	if (text && whole)
		*where = page;
	else if (text)
		*where = xasprintf("%s, section \"## %s\"", page, type);
	if (!text || !whole)
		free(page);
	buf_free(&doc);
	free(path);
	return text;
}

static void check_any(const char *doc, const char *key, struct buf *missing)
{
	char *needle = xasprintf("`%s`", key);
	if (!strstr(doc, needle))
		buf_printf(missing, " %s", key);
	free(needle);
}

static void test_every_component_is_documented(void **state)
{
	(void)state;
	const char *src = getenv("KILN_SRCDIR");
	static const char *const kinds[] = {"builder", "provisioner", "post-processor", "data", NULL};
	struct buf problems = BUF_INIT;
	size_t components = 0;
	for (size_t k = 0; kinds[k]; k++) {
		struct strv names = STRV_INIT;
		kiln_component_names(kinds[k], &names);
		for (size_t i = 0; i < names.n; i++, components++) {
			const struct kiln_schema *schema = component_schema(kinds[k], names.v[i]);
			assert_non_null(schema);
			char *where = NULL;
			char *doc = component_doc(src ? src : ".", kinds[k], names.v[i], &where);
			if (!doc) {
				buf_printf(&problems, "\n  %s %s: no documentation: %s", kinds[k], names.v[i], where);
				free(where);
				continue;
			}
			struct buf missing = BUF_INIT;
			for (const struct kiln_attr *a = schema->attrs; a->name; a++) {
				check_any(doc, a->name, &missing);
				if (a->block)
					for (const struct kiln_attr *b = a->block->attrs; b->name; b++) {
						char *dotted = xasprintf("`%s.%s`", a->name, b->name);
						if (!strstr(doc, dotted))
							check_any(doc, b->name, &missing);
						free(dotted);
					}
			}
			if (missing.len)
				buf_printf(&problems, "\n  %s %s: %s does not name:%s", kinds[k], names.v[i], where,
					   buf_cstr(&missing));
			if (!strstr(doc, "```hcl"))
				buf_printf(&problems, "\n  %s %s: %s has no ```hcl example", kinds[k], names.v[i], where);
			buf_free(&missing);
			free(where);
			free(doc);
		}
		strv_free(&names);
	}
	assert_true(components >= 11);
	if (problems.len)
		fail_msg("components documented incompletely:%s", buf_cstr(&problems));
	buf_free(&problems);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_key_is_documented),
		cmocka_unit_test(test_builder_identity),
		cmocka_unit_test(test_every_component_is_documented),
	};
	return cmocka_run_group_tests_name("qemu-docs", tests, NULL, NULL);
}
