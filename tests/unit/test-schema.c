/* test-schema.c — the component schema is the one definition of a component's configuration:
 *  - every registered component's schema is well formed (types, defaults that fit their own checks);
 *  - every schema key is read by the component or marked accepted-and-ignored/unsupported, and the
 *    component reads no key its schema lacks (the accessors stop the process on such a key);
 *  - allowed-values lists appear once in the source, and no decode code restates a schema default;
 *  - the JSON form (docs/schema.md) reads back into the same schema, and malformed forms are refused;
 *  - validation against the schema: allowed values with a suggestion, ranges, durations, defaults. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "component.h"
#include "engine/plan.h"
#include "hcl/value.h"
#include "schema.h"
#include "template/internal.h" /* a data block's configuration: tmpl_decode_config */
#include "template/template.h"
#include "ui/ui.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/strv.h"

static char *dir;

static int setup(void **state)
{
	(void)state;
	struct kiln_error err = ERR_INIT;
	dir = tmpdir_make("kiln-test-schema", &err);
	return dir ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	tmpdir_release(dir);
	free(dir);
	return 0;
}

static const char *srcdir(void)
{
	const char *s = getenv("KILN_SRCDIR");
	return s ? s : ".";
}

/* ------------------------------------------------------------------------------------------------
 * Loading a component's configuration from a template */

struct loaded {
	struct tmpl *t;
	struct plan p;
	struct hcl_diags d;
	struct kiln_config *cfg;      /* the builder's (borrowed from the plan) or the step's (owned) */
	bool owned;
};

/* A template with one null source and the component's block (for a builder: the source itself). */
static char *template_for(const char *kind, const char *type, const char *body)
{
	if (strcmp(kind, "builder") == 0)
		return xasprintf("source \"%s\" \"t\" {\n%s\n}\nbuild {\n  sources = [\"source.%s.t\"]\n}\n", type, body,
				 type);
	if (strcmp(kind, "data") == 0)
		return xasprintf("data \"%s\" \"t\" {\n%s\n}\n", type, body);
	return xasprintf("source \"null\" \"t\" {\n  communicator = \"none\"\n}\nbuild {\n  sources = [\"source.null.t\"]\n"
			 "  %s \"%s\" {\n%s\n  }\n}\n",
			 kind, type, body);
}

/* Load; returns false (with l->d holding the diagnostics) when the configuration does not decode, or
 * with validate, when `kiln validate` would fail (it also prepares the component). */
static bool load_as(struct loaded *l, const char *kind, const char *type, const char *body, bool validate)
{
	memset(l, 0, sizeof *l);
	char *text = template_for(kind, type, body);
	char *file = path_join(dir, "t.pkr.hcl");
	struct kiln_error err = ERR_INIT;
	assert_int_equal(file_write(file, text, strlen(text), 0644, &err), 0);
	free(text);
	char *const env[] = {NULL};
	struct tmpl_options o = {0};
	o.env = env;
	l->t = tmpl_load(file, &o, &l->d);
	free(file);
	if (hcl_diags_has_errors(&l->d))
		return false;
	if (validate && (tmpl_validate(l->t, NULL, &l->d), hcl_diags_has_errors(&l->d)))
		return false;
	if (strcmp(kind, "data") == 0) {
		/* decoded as kiln build decodes it before running it (evaluate.c) */
		const struct tmpl_data *x = &l->t->datas[0];
		struct tmpl_decode in = {0};
		in.t = l->t;
		in.schema = x->comp.schema;
		in.label = "data.t";
		in.body = x->block->body;
		in.def_range = x->block->type_range;
		l->cfg = tmpl_decode_config(&in, l->t->ctx, &l->d);
		l->owned = true;
		return l->cfg && !hcl_diags_has_errors(&l->d);
	}
	tmpl_plan_diags(l->t, NULL, &l->p, &l->d);
	if (hcl_diags_has_errors(&l->d) || l->p.nbuilds != 1)
		return false;
	struct plan_build *b = &l->p.builds[0];
	if (strcmp(kind, "builder") == 0) {
		l->cfg = b->builder_config;
		return true;
	}
	const struct plan_step *s = strcmp(kind, "provisioner") == 0 ? &b->provisioners[0] : &b->chains[0].steps[0];
	struct strv bd = STRV_INIT;
	int rc = tmpl_eval_step(l->t, b, s, &bd, &l->cfg, &err);
	if (rc < 0) {
		hcl_error(&l->d, NULL, "tmpl_eval_step", "%s", err_cause(&err));
		err_clear(&err);
		return false;
	}
	l->owned = true;
	return true;
}

/* "file:line:col: error: summary; detail" per diagnostic (the file as its base name). */
static bool load(struct loaded *l, const char *kind, const char *type, const char *body)
{
	return load_as(l, kind, type, body, false);
}

static char *diags(const struct loaded *l)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < l->d.n; i++) {
		const struct hcl_diag *x = &l->d.v[i];
		if (x->has_subject) {
			const char *slash = strrchr(x->subject.filename, '/');
			buf_printf(&b, "%s:%d:%d: ", slash ? slash + 1 : x->subject.filename, x->subject.start.line,
				   x->subject.start.column);
		}
		buf_printf(&b, "%s: %s; %s\n", x->severity == HCL_DIAG_ERROR ? "error" : "warning", x->summary,
			   x->detail ? x->detail : "");
	}
	char *s = buf_detach(&b);
	return s ? s : xstrdup("");
}

static void unload(struct loaded *l)
{
	if (l->owned)
		kiln_config_free(l->cfg);
	plan_free(&l->p);
	tmpl_free(l->t);
	hcl_diags_free(&l->d);
}

/* Prepare the component on the loaded configuration; 0 or -1 (err set). */
static int prepare(const char *kind, const char *type, const struct kiln_config *cfg, struct kiln_error *err)
{
	void *inst = NULL;
	struct strv warnings = STRV_INIT;
	int rc = -1;
	if (strcmp(kind, "builder") == 0) {
		const struct kiln_builder *b = kiln_find_builder(type);
		if ((rc = b->prepare(cfg, &inst, &warnings, err)) == 0)
			b->destroy(inst);
	} else if (strcmp(kind, "provisioner") == 0) {
		const struct kiln_provisioner *p = kiln_find_provisioner(type);
		if ((rc = p->prepare(cfg, &inst, &warnings, err)) == 0)
			p->destroy(inst);
	} else if (strcmp(kind, "post-processor") == 0) {
		const struct kiln_postprocessor *p = kiln_find_postprocessor(type);
		if ((rc = p->prepare(cfg, &inst, &warnings, err)) == 0)
			p->destroy(inst);
	} else if (strcmp(kind, "data") == 0) {
		struct hcl_value *v = NULL;
		rc = kiln_find_datasource(type)->execute(cfg, NULL, &v, err);
		hcl_value_unref(v);
	}
	strv_free(&warnings);
	return rc;
}

/* ------------------------------------------------------------------------------------------------
 * Well formed, and the JSON form */

static void test_every_schema_is_well_formed(void **state)
{
	(void)state;
	size_t n = 0;
	for (size_t k = 0; kiln_component_kinds[k]; k++) {
		struct strv names = STRV_INIT;
		kiln_component_names(kiln_component_kinds[k], &names);
		for (size_t i = 0; i < names.n; i++, n++) {
			struct kiln_component_info info;
			assert_true(kiln_find_component(kiln_component_kinds[k], names.v[i], &info));
			struct kiln_error err = ERR_INIT;
			if (kiln_schema_check(info.schema, &err) < 0)
				fail_msg("%s %s: %s", info.kind, info.type, err_cause(&err));
			assert_non_null(info.doc);
		}
		strv_free(&names);
	}
	assert_true(n >= 11);
}

static void test_json_reads_back(void **state)
{
	(void)state;
	for (size_t k = 0; kiln_component_kinds[k]; k++) {
		struct strv names = STRV_INIT;
		kiln_component_names(kiln_component_kinds[k], &names);
		for (size_t i = 0; i < names.n; i++) {
			struct kiln_component_info info;
			assert_true(kiln_find_component(kiln_component_kinds[k], names.v[i], &info));
			json_t *j = kiln_schema_to_json(info.schema);
			struct kiln_error err = ERR_INIT;
			struct kiln_schema *back = kiln_schema_from_json(j, &err);
			if (!back)
				fail_msg("%s %s: %s", info.kind, info.type, err_cause(&err));
			json_t *j2 = kiln_schema_to_json(back);
			if (!json_equal(j, j2)) {
				char *a = json_dumps(j, JSON_COMPACT), *b = json_dumps(j2, JSON_COMPACT);
				fail_msg("%s %s: JSON changed on the way back:\n%s\n%s", info.kind, info.type, a, b);
			}
			json_decref(j);
			json_decref(j2);
			kiln_schema_free(back);
		}
		strv_free(&names);
	}
}

static void test_json_refuses_malformed_schemas(void **state)
{
	(void)state;
	static const struct {
		const char *json, *why;
	} bad[] = {
		{"[]", "schema: not an object"},
		{"{}", "schema.attributes: not an array"},
		{"{\"attributes\": [{\"type\": \"string\", \"description\": \"x\"}]}", "attributes[0]: no name"},
		{"{\"attributes\": [{\"name\": \"a\", \"type\": \"strin\", \"description\": \"x\"}]}", "a: type \"strin\""},
		{"{\"attributes\": [{\"name\": \"a\", \"type\": \"number\", \"description\": \"x\", \"default\": \"five\"}]}",
		 "a: its default \"five\" is not a number"},
		{"{\"attributes\": [{\"name\": \"a\", \"type\": \"string\", \"description\": \"x\", \"default\": \"c\", "
		 "\"allowed\": [\"a\", \"b\"]}]}",
		 "a: its default does not pass its own checks"},
		{"{\"attributes\": [{\"name\": \"a\", \"type\": \"number\", \"description\": \"x\", \"allowed\": [\"a\"]}]}",
		 "allowed values need a string type"},
		{"{\"attributes\": [{\"name\": \"a\", \"type\": \"string\", \"description\": \"x\", \"minimum\": 1}]}",
		 "a range needs a number type"},
		{"{\"attributes\": [{\"name\": \"a\", \"type\": \"number\", \"description\": \"x\", \"default\": 0, "
		 "\"minimum\": 1, \"maximum\": 2}]}",
		 "out of range"},
		{"{\"attributes\": [{\"name\": \"a\", \"type\": \"duration\", \"description\": \"x\", \"default\": \"5 min\"}]}",
		 "is not a duration"},
		{"{\"attributes\": [{\"name\": \"a\", \"type\": \"string\", \"description\": \"x\"}, {\"name\": \"a\", "
		 "\"type\": \"bool\", \"description\": \"y\"}]}",
		 "a: listed twice"},
		{"{\"attributes\": [{\"name\": \"a\", \"type\": \"string\", \"description\": \"x\"}], \"conflicts\": "
		 "[[\"a\", \"b\"]]}",
		 "names \"b\", which is not an attribute"},
		{"{\"attributes\": [{\"name\": \"a\", \"type\": \"string\", \"description\": \"x\", \"required\": \"yes\"}]}",
		 "required: not true or false"},
		{"{\"attributes\": [{\"name\": \"a\", \"description\": \"x\", \"block\": {\"attributes\": [{\"name\": \"b\", "
		 "\"type\": \"list(strin)\", \"description\": \"y\"}]}}]}",
		 "a.b: type \"list(strin)\""},
		{"{\"attributes\": [{\"name\": \"a\", \"type\": \"string\"}]}", "a: no description"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		json_error_t jerr;
		json_t *j = json_loads(bad[i].json, JSON_DECODE_ANY, &jerr);
		if (!j)
			fail_msg("case %zu is not JSON: %s", i, jerr.text);
		struct kiln_error err = ERR_INIT;
		struct kiln_schema *s = kiln_schema_from_json(j, &err);
		if (s || !strstr(err_cause(&err), bad[i].why))
			fail_msg("case %zu: want an error with \"%s\", got %s", i, bad[i].why, s ? "a schema" : err_cause(&err));
		err_clear(&err);
		json_decref(j);
	}
}

/* the documented shape (docs/schema.md): flags only when true, the default as a JSON value */
static const struct kiln_attr demo_inner[] = {
	{.name = "x", .type = "number", .def = "3", .range = KILN_RANGE(1, 9), .doc = "an x"},
	{.name = NULL},
};
static const struct kiln_schema demo_inner_schema = {demo_inner, NULL};
static const struct kiln_attr demo_attrs[] = {
	{.name = "mode", .type = "string", .def = "\"fast\"", .allowed = KILN_VALUES("fast", "slow"), .doc = "how"},
	{.name = "secret", .type = "string", .flags = KILN_ATTR_SENSITIVE | KILN_ATTR_REQUIRED, .doc = "a secret"},
	{.name = "wait", .type = "duration", .default_doc = "twice boot_wait", .doc = "how long"},
	{.name = "part", .flags = KILN_ATTR_BLOCK | KILN_ATTR_REPEATED, .block = &demo_inner_schema, .doc = "parts"},
	{.name = NULL},
};
static const char *const demo_group[] = {"mode", "wait", NULL};
static const char *const *const demo_conflicts[] = {demo_group, NULL};
static const struct kiln_schema demo_schema = {demo_attrs, demo_conflicts};

static void test_json_form(void **state)
{
	(void)state;
	json_t *j = kiln_component_to_json("provisioner", "demo", "Demonstrates.", NULL, &demo_schema);
	char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(
		text,
		"{\"format\":1,\"kind\":\"provisioner\",\"type\":\"demo\",\"description\":\"Demonstrates.\",\"schema\":{"
		"\"attributes\":["
		"{\"name\":\"mode\",\"type\":\"string\",\"description\":\"how\",\"default\":\"fast\",\"allowed\":[\"fast\","
		"\"slow\"]},"
		"{\"name\":\"secret\",\"type\":\"string\",\"description\":\"a secret\",\"required\":true,\"sensitive\":true},"
		"{\"name\":\"wait\",\"type\":\"duration\",\"description\":\"how long\",\"default_doc\":\"twice boot_wait\"},"
		"{\"name\":\"part\",\"description\":\"parts\",\"repeated\":true,\"block\":{\"attributes\":[{\"name\":\"x\","
		"\"type\":\"number\",\"description\":\"an x\",\"default\":3,\"minimum\":1.0,\"maximum\":9.0}],\"conflicts\":[]}}"
		"],\"conflicts\":[[\"mode\",\"wait\"]]}}");
	free(text);
	json_decref(j);
	struct kiln_error err = ERR_INIT;
	assert_int_equal(kiln_schema_check(&demo_schema, &err), 0);
}

/* Does `got` say everything `want` says (objects: every member of want, recursively; numbers by value)? */
static bool says_at_least(const json_t *want, const json_t *got)
{
	if (json_is_number(want))
		return json_is_number(got) && json_number_value(want) == json_number_value(got);
	if (json_is_object(want)) {
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)want, k, v)
			if (!says_at_least(v, json_object_get(got, k)))
				return false;
		return json_is_object(got);
	}
	if (json_is_array(want)) {
		if (!json_is_array(got) || json_array_size(got) != json_array_size(want))
			return false;
		for (size_t i = 0; i < json_array_size(want); i++)
			if (!says_at_least(json_array_get(want, i), json_array_get(got, i)))
				return false;
		return true;
	}
	return json_equal((json_t *)want, (json_t *)got);
}

/* The ```json block after "<!-- example: NAME -->" in docs/schema.md. */
static json_t *doc_example(const char *doc, const char *name)
{
	char *marker = xasprintf("<!-- example: %s -->\n```json\n", name);
	const char *start = strstr(doc, marker);
	if (!start)
		fail_msg("docs/schema.md has no example \"%s\"", name);
	start += strlen(marker);
	free(marker);
	const char *end = strstr(start, "\n```");
	assert_non_null(end);
	json_error_t jerr;
	json_t *j = json_loadb(start, (size_t)(end - start), 0, &jerr);
	if (!j)
		fail_msg("example \"%s\" is not JSON: line %d: %s", name, jerr.line, jerr.text);
	return j;
}

static void test_the_format_page_examples(void **state)
{
	(void)state;
	char *path = path_join(srcdir(), "docs/schema.md");
	struct buf doc = BUF_INIT;
	struct kiln_error err = ERR_INIT;
	assert_int_equal(file_read_all(path, &doc, &err), 0);
	free(path);

	json_t *want = doc_example(buf_cstr(&doc), "describe-component provisioner breakpoint");
	struct kiln_component_info info;
	assert_true(kiln_find_component("provisioner", "breakpoint", &info));
	json_t *got = kiln_component_to_json(info.kind, info.type, info.doc, info.builder_id, info.schema);
	if (!json_equal(want, got)) {
		char *g = json_dumps(got, JSON_INDENT(2));
		fail_msg("docs/schema.md's first example is not what describe-component prints:\n%s", g);
	}
	struct kiln_component_desc desc;
	if (kiln_component_from_json(want, &desc, &err) < 0)
		fail_msg("the first example does not read back: %s", err_cause(&err));
	assert_string_equal(desc.kind, "provisioner");
	assert_string_equal(desc.type, "breakpoint");
	assert_null(desc.builder_id);
	assert_non_null(kiln_schema_attr(desc.schema, "note"));
	kiln_component_desc_free(&desc);
	json_object_set_new(want, "format", json_integer(2));
	assert_int_equal(kiln_component_from_json(want, &desc, &err), -1);
	assert_non_null(strstr(err_cause(&err), "this kiln reads format 1"));
	err_clear(&err);
	json_decref(want);
	json_decref(got);

	json_t *example = doc_example(buf_cstr(&doc), "schema");
	struct kiln_schema *s = kiln_schema_from_json(example, &err);
	if (!s)
		fail_msg("the complete example does not read: %s", err_cause(&err));
	json_t *j1 = kiln_schema_to_json(s);
	if (!says_at_least(example, j1)) {
		char *g = json_dumps(j1, JSON_INDENT(2));
		fail_msg("the complete example lost something on the way back:\n%s", g);
	}
	struct kiln_schema *s2 = kiln_schema_from_json(j1, &err);
	assert_non_null(s2);
	json_t *j2 = kiln_schema_to_json(s2);
	assert_true(json_equal(j1, j2));
	const struct kiln_attr *tag = kiln_schema_attr(s, "tag");
	assert_non_null(tag);
	assert_true(tag->flags & KILN_ATTR_BLOCK);
	assert_true(tag->flags & KILN_ATTR_REPEATED);
	assert_true(kiln_schema_attr(tag->block, "key")->flags & KILN_ATTR_REQUIRED);
	assert_true(kiln_schema_attr(s, "token")->flags & KILN_ATTR_SENSITIVE);
	assert_true(kiln_schema_attr(s, "retries")->range->max == 10);
	json_decref(j1);
	json_decref(j2);
	json_decref(example);
	kiln_schema_free(s);
	kiln_schema_free(s2);
	buf_free(&doc);
}

/* ------------------------------------------------------------------------------------------------
 * Completeness: every key read or marked, and nothing read that the schema lacks */

/* Configurations that together take each component down every path that reads a key. */
static const struct {
	const char *kind, *type, *body;
} cases[] = {
	{"builder", "null", "  communicator = \"none\""},
	{"builder", "null",
	 "  ssh_host = \"127.0.0.1\"\n  ssh_username = \"u\"\n  ssh_password = \"secret-1\"\n  ssh_bastion_host = \"b\"\n"
	 "  ssh_bastion_password = \"secret-2\"\n  ssh_keypair_name = \"k\"\n  ssh_agent_auth = true"},
	{"builder", "file", "  content = \"c\"\n  target = \"out/f\""},
	{"builder", "file", "  source = \"t.pkr.hcl\"\n  target = \"out/f\""},
	{"builder", "qemu",
	 "  iso_url = \"a.qcow2\"\n  iso_checksum = \"none\"\n  disk_image = true\n  ssh_username = \"u\"\n"
	 "  ssh_bastion_host = \"b\"\n  ssh_bastion_password = \"secret-3\"\n  qemu_img_args {\n    create = []\n  }\n"
	 "  sanitize {\n    trim = true\n  }\n  export {\n    formats = [\"qcow2\"]\n    compression = \"zlib\"\n  }"},
	{"provisioner", "breakpoint", "    note = \"n\""},
	{"provisioner", "file", "    content = \"c\"\n    destination = \"/tmp/x\""},
	{"provisioner", "file", "    sources = [\"t.pkr.hcl\"]\n    destination = \"/tmp/\""},
	{"provisioner", "shell", "    inline = [\"true\"]"},
	{"provisioner", "shell-local", "    inline = [\"true\"]"},
	{"post-processor", "amazon-import",
	 "    s3_bucket_name = \"b\"\n    s3_key_name = \"k\"\n    s3_encryption = \"aws:kms\"\n    s3_encryption_key = \"k\"\n"
	 "    skip_clean = true\n    format = \"vmdk\"\n    import_method = \"snapshot\"\n    role_name = \"vmimport\"\n"
	 "    license_type = \"BYOL\"\n    architecture = \"x86_64\"\n    boot_mode = \"uefi\"\n    platform = \"linux\"\n"
	 "    tpm_support = \"v2.0\"\n    ami_name = \"n\"\n    ami_description = \"d\"\n    ami_users = [\"1\"]\n"
	 "    ami_groups = [\"all\"]\n    ami_org_arns = [\"o\"]\n    ami_ou_arns = [\"u\"]\n    ami_encrypt = true\n"
	 "    ami_kms_key = \"k\"\n    ami_regions = [\"us-east-1\"]\n    imds_support = \"v2.0\"\n    tags = { a = \"b\" }\n"
	 "    access_key = \"a\"\n    secret_key = \"secret-4\"\n    token = \"secret-5\"\n    profile = \"p\"\n"
	 "    shared_credentials_file = \"f\"\n    region = \"eu-west-1\"\n    custom_endpoint_ec2 = \"http://127.0.0.1:1\"\n"
	 "    insecure_skip_tls_verify = true\n    skip_metadata_api_check = true\n    max_retries = 3\n"
	 "    mfa_code = \"secret-6\"\n    decode_authorization_messages = false\n"
	 "    assume_role {\n      role_arn = \"arn\"\n      session_name = \"s\"\n      external_id = \"e\"\n"
	 "      duration_seconds = 900\n      policy = \"{}\"\n      policy_arns = [\"p\"]\n      tags = { a = \"b\" }\n"
	 "      transitive_tag_keys = [\"a\"]\n    }\n    aws_polling {\n      delay_seconds = 1\n      max_attempts = 2\n    }"},
	{"post-processor", "artifice", "    files = [\"x\"]"},
	{"post-processor", "checksum", ""},
	{"post-processor", "compress", ""},
	{"post-processor", "manifest", ""},
	{"post-processor", "shell-local", "    inline = [\"true\"]"},
	{"data", "null", "  input = \"i\""},
};

static void schema_keys(const struct kiln_schema *s, const char *prefix, struct strv *keys, struct strv *marked)
{
	for (const struct kiln_attr *a = s->attrs; a->name; a++) {
		char *k = xasprintf("%s%s", prefix, a->name);
		if (a->flags & (KILN_ATTR_IGNORED | KILN_ATTR_UNSUPPORTED))
			strv_push(marked, k);
		strv_push_owned(keys, k);
		if (a->block) {
			char *sub = xasprintf("%s%s.", prefix, a->name);
			schema_keys(a->block, sub, keys, marked);
			free(sub);
		}
	}
}

static void test_every_key_is_read_or_marked(void **state)
{
	(void)state;
	struct buf problems = BUF_INIT;
	for (size_t k = 0; kiln_component_kinds[k]; k++) {
		struct strv names = STRV_INIT;
		kiln_component_names(kiln_component_kinds[k], &names);
		for (size_t i = 0; i < names.n; i++) {
			struct strv reads = STRV_INIT, keys = STRV_INIT, marked = STRV_INIT;
			size_t ncases = 0;
			for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
				if (strcmp(cases[c].kind, kiln_component_kinds[k]) != 0 || strcmp(cases[c].type, names.v[i]) != 0)
					continue;
				ncases++;
				struct loaded l;
				if (!load(&l, cases[c].kind, cases[c].type, cases[c].body)) {
					char *t = diags(&l);
					fail_msg("%s %s, case %zu does not decode:\n%s", cases[c].kind, cases[c].type, c, t);
				}
				struct kiln_error err = ERR_INIT;
				prepare(cases[c].kind, cases[c].type, l.cfg, &err);   /* failing late is fine: reads count */
				err_clear(&err);
				tmpl_config_reads(l.cfg, "", &reads);
				unload(&l);
			}
			if (ncases == 0) {
				buf_printf(&problems, "\n  %s %s: no case in this test", kiln_component_kinds[k], names.v[i]);
				continue;
			}
			struct kiln_component_info info;
			assert_true(kiln_find_component(kiln_component_kinds[k], names.v[i], &info));
			schema_keys(info.schema, "", &keys, &marked);
			for (size_t j = 0; j < keys.n; j++)
				if (!strv_contains(&reads, keys.v[j]) && !strv_contains(&marked, keys.v[j]))
					buf_printf(&problems, "\n  %s %s: \"%s\" is neither read nor marked ignored or unsupported",
						   info.kind, info.type, keys.v[j]);
			strv_free(&reads);
			strv_free(&keys);
			strv_free(&marked);
		}
		strv_free(&names);
	}
	if (problems.len) {
		fprintf(stderr, "schema keys nobody reads:%s\n", buf_cstr(&problems));
		fail();
	}
	buf_free(&problems);
}

/* Asking for a key the schema lacks stops the process with a message naming the component and key. */
static void test_asking_for_an_unknown_key_is_a_bug(void **state)
{
	(void)state;
	struct loaded l;
	assert_true(load(&l, "provisioner", "breakpoint", "    note = \"n\""));
	ui_secrets_clear();   /* earlier tests' passwords would mask letters of the message */
	fflush(NULL);
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], STDERR_FILENO);
		dup2(fds[1], STDOUT_FILENO);
		signal(SIGABRT, SIG_DFL);
		(void)kiln_config_string(l.cfg, "notes");
		_exit(0);   /* not reached */
	}
	close(fds[1]);
	struct buf out = BUF_INIT;
	char chunk[512];
	ssize_t n;
	while ((n = read(fds[0], chunk, sizeof chunk)) > 0)
		buf_append(&out, chunk, (size_t)n);
	close(fds[0]);
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	if (!strstr(buf_cstr(&out), "internal error: provisioner.breakpoint") || !strstr(buf_cstr(&out), "\"notes\""))
		fail_msg("unexpected message: %s", buf_cstr(&out));
	buf_free(&out);
	unload(&l);
}

/* ------------------------------------------------------------------------------------------------
 * Validation and defaults, through real components */

static void expect_error(const char *kind, const char *type, const char *body, const char *want)
{
	struct loaded l;
	bool ok = load_as(&l, kind, type, body, true);
	char *t = diags(&l);
	if (ok || !strstr(t, want))
		fail_msg("%s %s with\n%s\nwant an error with: %s\ngot:\n%s", kind, type, body, want, t);
	free(t);
	unload(&l);
}

static void test_allowed_values(void **state)
{
	(void)state;
	expect_error("provisioner", "file", "    content = \"c\"\n    destination = \"/x\"\n    direction = \"uplaod\"",
		     "t.pkr.hcl:9:17: error: Unsupported value; direction = \"uplaod\" is not one of: upload, download. "
		     "Did you mean \"upload\"?");
	expect_error("post-processor", "checksum", "    checksum_types = [\"sha256\", \"crc32\"]",
		     "checksum_types[1] = \"crc32\" is not one of: md5, sha1, sha224, sha256, sha384, sha512.");
	/* unknown values are left to the build, and read as the default meanwhile */
	struct loaded l;
	memset(&l, 0, sizeof l);
	char *file = path_join(dir, "u.pkr.hcl");
	static const char text[] = "variable \"d\" {\n  type = string\n}\n"
				   "source \"null\" \"t\" {\n  communicator = \"none\"\n}\n"
				   "build {\n  sources = [\"source.null.t\"]\n  provisioner \"file\" {\n"
				   "    content = \"c\"\n    destination = \"/x\"\n    direction = var.d\n  }\n}\n";
	struct kiln_error err = ERR_INIT;
	assert_int_equal(file_write(file, text, strlen(text), 0644, &err), 0);
	char *const env[] = {NULL};
	struct tmpl_options o = {.env = env, .allow_unset = true};
	l.t = tmpl_load(file, &o, &l.d);
	free(file);
	tmpl_plan_diags(l.t, NULL, &l.p, &l.d);
	assert_int_equal(l.p.nbuilds, 1);
	struct strv bd = STRV_INIT;
	assert_int_equal(tmpl_eval_step(l.t, &l.p.builds[0], &l.p.builds[0].provisioners[0], &bd, &l.cfg, &err), 0);
	l.owned = true;
	assert_false(kiln_config_is_known(l.cfg, "direction"));
	assert_string_equal(kiln_config_string(l.cfg, "direction"), "upload");
	unload(&l);
}

static void test_misspelled_key_is_located_with_a_suggestion(void **state)
{
	(void)state;
	expect_error("provisioner", "file", "    content = \"c\"\n    destinaton = \"/x\"",
		     "t.pkr.hcl:8:5: error: Unsupported argument; An argument named \"destinaton\" is not expected here. "
		     "Did you mean \"destination\"?");
	expect_error("post-processor", "checksum", "    checksum_type = [\"md5\"]",
		     "Did you mean \"checksum_types\"?");
}

static void test_defaults(void **state)
{
	(void)state;
	struct loaded l;
	/* unset, and the empty values Packer reads as unset */
	assert_true(load(&l, "post-processor", "checksum", "    checksum_types = []\n    output = \"\""));
	struct strv types = STRV_INIT;
	kiln_config_list_strv(l.cfg, "checksum_types", &types);
	assert_int_equal(types.n, 1);
	assert_string_equal(types.v[0], "md5");
	strv_free(&types);
	assert_string_equal(kiln_config_string(l.cfg, "output"),
			    "packer_{{.BuildName}}_{{.BuilderType}}_{{.ChecksumType}}.checksum");
	assert_true(kiln_config_has(l.cfg, "output"));   /* set, if empty */
	unload(&l);
	assert_true(load(&l, "provisioner", "file", "    content = \"\"\n    destination = \"/x\""));
	assert_string_equal(kiln_config_string(l.cfg, "direction"), "upload");
	assert_false(kiln_config_has(l.cfg, "direction"));
	assert_false(kiln_config_bool(l.cfg, "generated"));
	assert_string_equal(kiln_config_string(l.cfg, "content"), "");   /* no default: empty stays empty */
	unload(&l);
}

static const struct kiln_attr port_attr = {.name = "port", .type = "number", .range = KILN_RANGE(1, 65535), .doc = "p"};
static const struct kiln_attr wait_attr = {.name = "wait", .type = "duration", .doc = "w"};
static const struct kiln_attr tunnels_attr = {.name = "tunnels", .type = "list(string)", .flags = KILN_ATTR_UNSUPPORTED,
				     .doc = "SSH tunnels are not supported"};
static const struct kiln_attr args_attr = {.name = "args", .type = "list(list(string))", .doc = "a"};

/* kiln_attr_check_value, for the checks no converted component exercises yet. */
static void test_value_checks(void **state)
{
	(void)state;
	const char *summary = NULL;
	struct hcl_value *v = hcl_number_double(70000);
	char *m = kiln_attr_check_value(&port_attr, "port", v, &summary);
	assert_string_equal(m, "port = 70000 is out of range: it must be between 1 and 65535.");
	assert_string_equal(summary, "Value out of range");
	free(m);
	hcl_value_unref(v);
	v = hcl_number_double(22);
	assert_null(kiln_attr_check_value(&port_attr, "port", v, &summary));
	hcl_value_unref(v);

	v = hcl_string("5 minutes");
	m = kiln_attr_check_value(&wait_attr, "wait", v, &summary);
	assert_non_null(strstr(m, "wait = \"5 minutes\" is not a duration"));
	free(m);
	hcl_value_unref(v);
	static const char *const good[] = {"90s", "1h30m", "-1s", "10", "0.5", NULL};
	for (size_t i = 0; good[i]; i++) {
		v = hcl_string(good[i]);
		assert_null(kiln_attr_check_value(&wait_attr, "wait", v, &summary));
		hcl_value_unref(v);
	}
	int64_t ms = 0;
	assert_int_equal(kiln_duration_parse("1h30m", &ms), 0);
	assert_int_equal(ms, 90 * 60 * 1000);
	assert_int_equal(kiln_duration_parse("10", &ms), 0);
	assert_int_equal(ms, 10000);

	struct hcl_vec vec = HCL_VEC_INIT;
	hcl_vec_push(&vec, hcl_string("L:1:h:2"));
	v = hcl_vec_to_list(&vec, hcl_type_ref(HCL_T_STRING));
	m = kiln_attr_check_value(&tunnels_attr, "ssh_local_tunnels", v, &summary);
	assert_string_equal(m, "kiln does not support \"ssh_local_tunnels\": SSH tunnels are not supported");
	free(m);
	hcl_value_unref(v);
	v = hcl_vec_to_list(&vec, hcl_type_ref(HCL_T_STRING));   /* empty: fine */
	assert_null(kiln_attr_check_value(&tunnels_attr, "ssh_local_tunnels", v, &summary));
	hcl_value_unref(v);

	struct hcl_vec inner = HCL_VEC_INIT;
	hcl_vec_push(&inner, hcl_string("-m"));
	hcl_vec_push(&inner, hcl_null(hcl_type_ref(HCL_T_STRING)));
	hcl_vec_push(&vec, hcl_vec_to_list(&inner, hcl_type_ref(HCL_T_STRING)));
	v = hcl_vec_to_tuple(&vec);
	m = kiln_attr_check_value(&args_attr, "qemuargs", v, &summary);
	assert_string_equal(m, "qemuargs[0][1] must not be null.");
	free(m);
	hcl_value_unref(v);
}

/* ------------------------------------------------------------------------------------------------
 * Once in the source */

static void read_sources(const char *top, const char *sub, struct strv *paths, struct strv *texts)
{
	char *d = path_join(top, sub);
	DIR *dh = opendir(d);
	assert_non_null(dh);
	struct dirent *e;
	while ((e = readdir(dh))) {
		if (e->d_name[0] == '.')
			continue;
		char *rel = path_join(sub, e->d_name);
		char *full = path_join(top, rel);
		size_t len = strlen(e->d_name);
		if (file_is_dir(full)) {
			read_sources(top, rel, paths, texts);
		} else if (len > 2 && e->d_name[len - 2] == '.' && (e->d_name[len - 1] == 'c' || e->d_name[len - 1] == 'h')) {
			struct buf b = BUF_INIT;
			struct kiln_error err = ERR_INIT;
			assert_int_equal(file_read_all(full, &b, &err), 0);
			strv_push(paths, rel);
			strv_push_owned(texts, buf_detach(&b));
		}
		free(full);
		free(rel);
	}
	closedir(dh);
	free(d);
}

/* The list of values as C writes it: "a", "b", "c". */
static char *list_needle(const char *const *v)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; v[i]; i++)
		buf_printf(&b, "%s\"%s\"", i ? ", " : "", v[i]);
	return buf_detach(&b);
}

/* Occurrences of the whole list: followed by ")" (KILN_VALUES) or ", NULL" (an array restating it), not
 * the start of a longer list. */
static size_t list_occurrences(const char *hay, const char *needle)
{
	size_t n = 0, len = strlen(needle);
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		if (p[len] == ')' || strncmp(p + len, ", NULL", 6) == 0)
			n++;
	return n;
}

static void check_lists(const struct kiln_schema *s, const char *who, const struct strv *texts, struct buf *problems)
{
	for (const struct kiln_attr *a = s->attrs; a->name; a++) {
		if (a->block)
			check_lists(a->block, who, texts, problems);
		if (!a->allowed)
			continue;
		char *needle = list_needle(a->allowed);
		size_t n = 0;
		for (size_t i = 0; i < texts->n; i++)
			n += list_occurrences(texts->v[i], needle);
		if (n != 1)
			buf_printf(problems, "\n  %s %s: the allowed values %s appear %zu times in the source", who, a->name,
				   needle, n);
		free(needle);
	}
}

static void test_allowed_values_appear_once(void **state)
{
	(void)state;
	struct strv paths = STRV_INIT, texts = STRV_INIT;
	static const char *const dirs[] = {"src", "qemu", "http-seed", "cloud-init", NULL};
	for (size_t i = 0; dirs[i]; i++)
		read_sources(srcdir(), dirs[i], &paths, &texts);
	assert_true(paths.n > 50);
	struct buf problems = BUF_INIT;
	for (size_t k = 0; kiln_component_kinds[k]; k++) {
		struct strv names = STRV_INIT;
		kiln_component_names(kiln_component_kinds[k], &names);
		for (size_t i = 0; i < names.n; i++) {
			struct kiln_component_info info;
			assert_true(kiln_find_component(kiln_component_kinds[k], names.v[i], &info));
			char *who = xasprintf("%s %s", info.kind, info.type);
			check_lists(info.schema, who, &texts, &problems);
			free(who);
		}
		strv_free(&names);
	}
	if (problems.len)
		fail_msg("allowed-values lists restated:%s", buf_cstr(&problems));
	buf_free(&problems);
	strv_free(&paths);
	strv_free(&texts);
}

/* The text of a source file with its schema tables (kiln_attr arrays and the *_ATTRS macros) blanked
 * out: what is left is decode code. */
static char *without_tables(const char *text)
{
	char *t = xstrdup(text);
	for (char *p = strstr(t, "kiln_attr "); p; p = strstr(p + 1, "kiln_attr ")) {
		char *open = strstr(p, "[] = {");
		char *semi = strchr(p, ';');
		if (!open || (semi && semi < open))
			continue;
		char *end = strstr(open, "\n};");
		if (end)
			memset(p, ' ', (size_t)(end - p));
	}
	for (char *p = strstr(t, "#define "); p; p = strstr(p + 1, "#define ")) {
		char *end = p;
		while (*end && !(*end == '\n' && end[-1] != '\\'))
			end++;
		if (strstr(p, "_ATTR") && strstr(p, "_ATTR") < end)
			memset(p, ' ', (size_t)(end - p));
	}
	return t;
}

/* A default restated in code: `? "D"`, `: "D"`, `= "D";`, `xstrdup("D")` */
static void check_defaults(const struct kiln_schema *s, const char *who, const struct strv *paths,
			   const struct strv *code, struct buf *problems)
{
	for (const struct kiln_attr *a = s->attrs; a->name; a++) {
		if (a->block)
			check_defaults(a->block, who, paths, code, problems);
		json_t *d = a->def ? json_loads(a->def, JSON_DECODE_ANY, NULL) : NULL;
		if (!json_is_string(d) || json_string_length(d) < 2) {
			json_decref(d);
			continue;
		}
		const char *v = json_string_value(d);
		char *pats[] = {xasprintf("? \"%s\"", v), xasprintf(": \"%s\"", v), xasprintf("= \"%s\";", v),
				xasprintf("xstrdup(\"%s\")", v)};
		for (size_t i = 0; i < code->n; i++)
			for (size_t k = 0; k < sizeof pats / sizeof pats[0]; k++)
				if (strstr(code->v[i], pats[k]))
					buf_printf(problems, "\n  %s %s: %s restates the default: %s", who, a->name, paths->v[i],
						   pats[k]);
		for (size_t k = 0; k < sizeof pats / sizeof pats[0]; k++)
			free(pats[k]);
		json_decref(d);
	}
}

static void test_defaults_are_not_restated(void **state)
{
	(void)state;
	struct strv paths = STRV_INIT, texts = STRV_INIT, code = STRV_INIT;
	static const char *const dirs[] = {"src", "qemu", NULL};
	for (size_t i = 0; dirs[i]; i++)
		read_sources(srcdir(), dirs[i], &paths, &texts);
	/* the decode code: the files that declare schemas (and the helpers of the provisioners'), not the
	 * libraries they hand values to, which may have their own fallbacks for their own callers */
	struct strv decode_paths = STRV_INIT;
	for (size_t i = 0; i < texts.n; i++) {
		if (!strstr(texts.v[i], "struct kiln_attr ") && !strstr(paths.v[i], "provisioner/common.c"))
			continue;
		strv_push(&decode_paths, paths.v[i]);
		strv_push_owned(&code, without_tables(texts.v[i]));
	}
	assert_true(decode_paths.n >= 12);
	struct buf problems = BUF_INIT;
	for (size_t k = 0; kiln_component_kinds[k]; k++) {
		struct strv names = STRV_INIT;
		kiln_component_names(kiln_component_kinds[k], &names);
		for (size_t i = 0; i < names.n; i++) {
			struct kiln_component_info info;
			assert_true(kiln_find_component(kiln_component_kinds[k], names.v[i], &info));
			char *who = xasprintf("%s %s", info.kind, info.type);
			check_defaults(info.schema, who, &decode_paths, &code, &problems);
			free(who);
		}
		strv_free(&names);
	}
	if (problems.len) {
		fprintf(stderr, "defaults restated in decode code:%s\n", buf_cstr(&problems));
		fail();
	}
	buf_free(&problems);
	strv_free(&paths);
	strv_free(&decode_paths);
	strv_free(&texts);
	strv_free(&code);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_schema_is_well_formed),
		cmocka_unit_test(test_json_reads_back),
		cmocka_unit_test(test_json_refuses_malformed_schemas),
		cmocka_unit_test(test_json_form),
		cmocka_unit_test(test_the_format_page_examples),
		cmocka_unit_test(test_every_key_is_read_or_marked),
		cmocka_unit_test(test_asking_for_an_unknown_key_is_a_bug),
		cmocka_unit_test(test_allowed_values),
		cmocka_unit_test(test_misspelled_key_is_located_with_a_suggestion),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_value_checks),
		cmocka_unit_test(test_allowed_values_appear_once),
		cmocka_unit_test(test_defaults_are_not_restated),
	};
	return cmocka_run_group_tests_name("schema", tests, setup, teardown);
}
