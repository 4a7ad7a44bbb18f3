/* test-template.c — unit tests of src/template: variable precedence, locals, the plan the engine gets
 * (build names, -only/-except, provisioner only/except, chains, step settings), late evaluation with
 * build.* values, build-level sources, override, and the kiln_config accessors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "component.h"
#include "engine/plan.h"
#include "hcl/eval.h"
#include "hcl/value.h"
#include "template/template.h"
#include "ui/ui.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/file.h"
#include "util/mem.h"

static char *dir;

static void write(const char *name, const char *text)
{
	char *p = path_join(dir, name);
	struct kiln_error err = ERR_INIT;
	assert_int_equal(file_write(p, text, strlen(text), 0644, &err), 0);
	free(p);
}

static int setup(void **state)
{
	(void)state;
	struct kiln_error err = ERR_INIT;
	dir = tmpdir_make("kiln-test-template", &err);
	return dir ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	tmpdir_release(dir);
	free(dir);
	return 0;
}

/* The rendered diagnostics, for failure messages. */
static char *diag_text(const struct hcl_diags *d)
{
	struct buf b = BUF_INIT;
	hcl_diags_render_short(d, &b);
	char *s = buf_detach(&b);
	return s ? s : xstrdup("");
}

static void assert_no_errors(const struct hcl_diags *d)
{
	if (hcl_diags_has_errors(d)) {
		char *s = diag_text(d);
		print_error("unexpected errors:\n%s", s);
		free(s);
	}
	assert_false(hcl_diags_has_errors(d));
}

/* The template in dir, loaded with an empty environment and no -var options. */
static struct tmpl *load_dir(struct hcl_diags *d)
{
	char *const env[] = {NULL};
	struct tmpl_options o = {0};
	o.env = env;
	return tmpl_load(dir, &o, d);
}

/* build.pkr.hcl with text, loaded without errors and planned into exactly one build. */
static struct tmpl *load_one_build(const char *text, struct hcl_diags *d, struct plan *p)
{
	write("build.pkr.hcl", text);
	struct tmpl *t = load_dir(d);
	assert_no_errors(d);
	tmpl_plan_diags(t, NULL, p, d);
	assert_int_equal(p->nbuilds, 1);
	return t;
}

static char *var_value(struct tmpl *t, const char *name)
{
	struct tmpl_inspect in;
	tmpl_inspect(t, &in);
	char *v = NULL;
	for (size_t i = 0; i < in.nvars; i++)
		if (strcmp(in.vars[i].name, name) == 0)
			v = xstrdup(in.vars[i].value);
	tmpl_inspect_free(&in);
	return v;
}

static const char vars_tmpl[] =
	"variable \"a\" {\n  type = string\n  default = \"default\"\n}\n"
	"variable \"b\" {\n  default = \"default\"\n}\n"
	"variable \"c\" {\n  type = string\n  default = \"default\"\n}\n"
	"variable \"d\" {\n  type = string\n  default = \"default\"\n}\n"
	"variable \"e\" {\n  type = string\n  default = \"default\"\n}\n"
	"variable \"n\" {\n  type = number\n  default = 1\n}\n"
	"variable \"l\" {\n  type = list(string)\n  default = []\n}\n";

/* default < PKR_VAR_ < *.auto.pkrvars.hcl (lexical) < -var / -var-file in command-line order */
static void test_variable_precedence(void **state)
{
	(void)state;
	write("vars.pkr.hcl", vars_tmpl);
	write("a.auto.pkrvars.hcl", "b = \"auto-a\"\nc = \"auto-a\"\nd = \"auto-a\"\n");
	write("b.auto.pkrvars.hcl", "c = \"auto-b\"\nd = \"auto-b\"\n");
	write("one.pkrvars.hcl", "d = \"file-one\"\ne = \"file-one\"\n");
	char *one = path_join(dir, "one.pkrvars.hcl");
	char *const env[] = {"PKR_VAR_a=env", "PKR_VAR_b=env", "PKR_VAR_n=42", "PKR_VAR_l=[\"x\", \"y\"]",
			     "PKR_VAR_undeclared=ignored", NULL};
	struct tmpl_var_arg args[] = {
		{TMPL_ARG_VAR, "e=cli-first"},
		{TMPL_ARG_VAR_FILE, one},   /* later: wins for e */
		{TMPL_ARG_VAR, "d=cli-last"},
	};
	struct tmpl_options o = {0};
	o.env = env;
	o.var_args = args;
	o.nvar_args = 3;
	o.warn_undeclared_vars = true; /* as validate asks */
	struct hcl_diags d = HCL_DIAGS_INIT;
	struct tmpl *t = tmpl_load(dir, &o, &d);
	assert_no_errors(&d);
	struct {
		const char *name, *want;
	} cases[] = {
		{"a", "\"env\""},          /* env over default */
		{"b", "\"auto-a\""},       /* auto file over env */
		{"c", "\"auto-b\""},       /* later auto file over earlier */
		{"d", "\"cli-last\""},     /* -var after -var-file wins */
		{"e", "\"file-one\""},     /* -var-file after -var wins */
		{"n", "\"42\""},           /* env text parsed for non-string types */
		{"l", "\"[\\n  \\\"x\\\",\\n  \\\"y\\\",\\n]\""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *v = var_value(t, cases[i].name);
		if (!v || strcmp(v, cases[i].want) != 0)
			print_error("var.%s = %s, want %s\n", cases[i].name, v ? v : "(none)", cases[i].want);
		assert_non_null(v);
		assert_string_equal(v, cases[i].want);
		free(v);
	}
	tmpl_free(t);
	hcl_diags_free(&d);
	free(one);
	char *p = path_join(dir, "a.auto.pkrvars.hcl");
	remove(p);
	free(p);
	p = path_join(dir, "b.auto.pkrvars.hcl");
	remove(p);
	free(p);
}

static void test_variable_errors(void **state)
{
	(void)state;
	write("vars.pkr.hcl", vars_tmpl);
	write("bad.pkrvars.hcl", "zz = 1\nn = \"not a number\"\n");
	char *bad = path_join(dir, "bad.pkrvars.hcl");
	struct tmpl_var_arg args[] = {
		{TMPL_ARG_VAR, "nope=1"},
		{TMPL_ARG_VAR_FILE, bad},
		{TMPL_ARG_VAR, "novalue"},
	};
	char *const env[] = {NULL};
	struct tmpl_options o = {0};
	o.env = env;
	o.var_args = args;
	o.nvar_args = 3;
	o.warn_undeclared_vars = true; /* as validate asks */
	struct hcl_diags d = HCL_DIAGS_INIT;
	struct tmpl *t = tmpl_load(dir, &o, &d);
	char *s = diag_text(&d);
	assert_non_null(strstr(s, "error: Undefined -var variable"));
	assert_non_null(strstr(s, "bad.pkrvars.hcl:1:1: warning: Undefined variable"));
	assert_non_null(strstr(s, "bad.pkrvars.hcl:2:5: error: Invalid value for variable"));
	assert_non_null(strstr(s, "error: Invalid -var option"));
	free(s);
	tmpl_free(t);
	hcl_diags_free(&d);
	free(bad);
}

static void test_sensitive_is_masked(void **state)
{
	(void)state;
	write("vars.pkr.hcl", "variable \"pw\" {\n  type = string\n  default = \"s3cr3t-value\"\n  sensitive = true\n}\n"
			      "locals {\n  greeting = \"the password is ${var.pw}\"\n}\n");
	struct hcl_diags d = HCL_DIAGS_INIT;
	struct tmpl *t = load_dir(&d);
	assert_no_errors(&d);
	struct tmpl_inspect in;
	tmpl_inspect(t, &in);
	assert_string_equal(in.vars[0].value, "\"<sensitive>\"");
	assert_string_equal(in.locals[0].value, "\"<sensitive>\"");
	tmpl_inspect_free(&in);
	/* the evaluation context `kiln console` uses sees var and local */
	struct hcl_eval_ctx *ctx = tmpl_eval_ctx(t);
	assert_non_null(ctx);
	assert_non_null(hcl_eval_ctx_get_var(ctx, "var"));
	assert_non_null(hcl_get(hcl_eval_ctx_get_var(ctx, "local"), "greeting"));
	char *m = ui_mask("echo s3cr3t-value");
	assert_string_equal(m, "echo <sensitive>");
	free(m);
	ui_secrets_clear();
	tmpl_free(t);
	hcl_diags_free(&d);
}

static const char build_tmpl[] =
	"locals {\n  out = \"${path.root}/out\"\n}\n"
	"source \"file\" \"one\" {\n  content = \"hello\"\n  target = local.out\n}\n"
	"source \"null\" \"two\" {\n  ssh_host = \"127.0.0.1\"\n  ssh_password = \"x\"\n  ssh_port = 2222\n  ssh_ciphers = [\"aes128-ctr\", \"aes256-ctr\"]\n}\n"
	"build {\n"
	"  name = \"b\"\n"
	"  sources = [\"source.file.one\"]\n"
	"  source \"source.null.two\" {\n    name = \"renamed\"\n    ssh_username = \"root\"\n  }\n"
	"  provisioner \"shell\" {\n    inline = [\"echo ${build.Host}:${source.name}\"]\n    pause_before = \"5s\"\n"
	"    timeout = \"2m\"\n    max_retries = 3\n    only = [\"null.two\"]\n"
	"    override = {\n      \"null.renamed\" = { inline = [\"overridden\"] }\n    }\n  }\n"
	"  provisioner \"shell-local\" {\n    name = \"local\"\n    except = [\"null.two\"]\n    inline = [\"x\"]\n  }\n"
	"  error-cleanup-provisioner \"shell-local\" {\n    inline = [\"cleanup\"]\n  }\n"
	"  post-processor \"checksum\" {\n    checksum_types = [\"sha256\"]\n    keep_input_artifact = true\n  }\n"
	"  post-processors {\n    post-processor \"compress\" {\n      output = \"x.tar.gz\"\n    }\n"
	"    post-processor \"manifest\" {\n      custom_data = { a = \"1\", b = 2 }\n    }\n  }\n"
	"}\n";

static struct tmpl *load_build(struct hcl_diags *d)
{
	char *p = path_join(dir, "vars.pkr.hcl");
	remove(p);
	free(p);
	p = path_join(dir, "bad.pkrvars.hcl");
	remove(p);
	free(p);
	write("build.pkr.hcl", build_tmpl);
	return load_dir(d);
}

static void test_plan(void **state)
{
	(void)state;
	struct hcl_diags d = HCL_DIAGS_INIT;
	struct tmpl *t = load_build(&d);
	assert_no_errors(&d);
	assert_int_equal(tmpl_validate(t, NULL, &d), 0);
	assert_no_errors(&d);

	struct plan p;
	tmpl_plan_diags(t, NULL, &p, &d);
	assert_no_errors(&d);
	assert_int_equal(p.nbuilds, 2);
	struct plan_build *b1 = &p.builds[0], *b2 = &p.builds[1];
	assert_string_equal(b1->name, "b.file.one");
	assert_string_equal(b2->name, "b.null.renamed");
	assert_string_equal(b2->source_name, "renamed");
	assert_string_equal(b1->build_block_name, "b");
	/* builder config: values converted, build-level block fills in */
	char *want_out = xasprintf("%s/out", dir);
	assert_string_equal(kiln_config_string(b1->builder_config, "target"), want_out);
	free(want_out);
	assert_int_equal(kiln_config_int(b2->builder_config, "ssh_port"), 2222);
	assert_string_equal(kiln_config_string(b2->builder_config, "ssh_port"), "2222");
	assert_string_equal(kiln_config_string(b2->builder_config, "ssh_username"), "root");
	assert_int_equal(kiln_config_list_len(b2->builder_config, "ssh_ciphers"), 2);
	assert_string_equal(kiln_config_list_string(b2->builder_config, "ssh_ciphers", 1), "aes256-ctr");
	assert_false(kiln_config_has(b2->builder_config, "ssh_bastion_host"));
	assert_null(kiln_config_string(b2->builder_config, "ssh_bastion_host"));
	assert_string_equal(kiln_config_label(b2->builder_config), "source.null.renamed");
	/* provisioners filtered by only/except */
	assert_int_equal(b1->nprovisioners, 1);
	assert_string_equal(b1->provisioners[0].type, "shell-local");
	assert_string_equal(b1->provisioners[0].name, "local");
	assert_int_equal(b2->nprovisioners, 1);
	struct plan_step *sh = &b2->provisioners[0];
	assert_string_equal(sh->type, "shell");
	assert_int_equal(sh->pause_before_ms, 5000);
	assert_int_equal(sh->timeout_ms, 120000);
	assert_int_equal(sh->max_retries, 3);
	assert_non_null(strstr(sh->location, "build.pkr.hcl:21"));
	assert_non_null(b2->error_cleanup);
	/* chains: a lone post-processor, then the post-processors {} sequence */
	assert_int_equal(b1->nchains, 2);
	assert_int_equal(b1->chains[0].nsteps, 1);
	assert_true(b1->chains[0].steps[0].keep_input_artifact_set);
	assert_true(b1->chains[0].steps[0].keep_input_artifact);
	assert_int_equal(b1->chains[1].nsteps, 2);
	assert_string_equal(b1->chains[1].steps[1].type, "manifest");

	/* late evaluation: build.* from the engine; override for this source */
	struct strv bd = STRV_INIT;
	strv_push(&bd, "Host=10.0.2.15");
	struct kiln_config *cfg = NULL;
	struct kiln_error err = ERR_INIT;
	assert_int_equal(tmpl_eval_step(t, b2, sh, &bd, &cfg, &err), 0);
	assert_string_equal(kiln_config_list_string(cfg, "inline", 0), "overridden");
	kiln_config_free(cfg);
	struct plan_step *local = &b1->provisioners[0];
	assert_int_equal(tmpl_eval_step(t, b1, local, &bd, &cfg, &err), 0);
	assert_string_equal(kiln_config_list_string(cfg, "inline", 0), "x");
	assert_int_equal(kiln_config_error(cfg, "inline", &err, "bad %s", "thing"), -1);
	assert_non_null(strstr(err_cause(&err), "inline: bad thing"));
	assert_int_equal(err.line, 34);
	err_clear(&err);
	kiln_config_free(cfg);
	struct plan_step *man = &b1->chains[1].steps[1];
	assert_int_equal(tmpl_eval_step(t, b1, man, &bd, &cfg, &err), 0);
	assert_int_equal(kiln_config_map_len(cfg, "custom_data"), 2);
	assert_string_equal(kiln_config_map_key(cfg, "custom_data", 1), "b");
	assert_string_equal(kiln_config_map_string(cfg, "custom_data", 1), "2");
	kiln_config_free(cfg);
	strv_free(&bd);
	plan_free(&p);

	/* -only / -except globs over build names */
	struct strv only = STRV_INIT;
	strv_push(&only, "*.renamed");
	struct plan_options po = {&only, NULL};
	tmpl_plan_diags(t, &po, &p, &d);
	assert_int_equal(p.nbuilds, 1);
	assert_string_equal(p.builds[0].name, "b.null.renamed");
	plan_free(&p);
	struct plan_options pe = {NULL, &only};
	tmpl_plan_diags(t, &pe, &p, &d);
	assert_int_equal(p.nbuilds, 1);
	assert_string_equal(p.builds[0].name, "b.file.one");
	plan_free(&p);
	strv_free(&only);
	tmpl_free(t);
	hcl_diags_free(&d);
}

static void test_eval_step_reports_errors(void **state)
{
	(void)state;
	struct hcl_diags d = HCL_DIAGS_INIT;
	struct plan p;
	struct tmpl *t = load_one_build("source \"null\" \"x\" {}\n"
					"build {\n  sources = [\"source.null.x\"]\n"
					"  provisioner \"shell\" {\n    inline = [build.Nope]\n  }\n}\n",
					&d, &p);
	struct strv bd = STRV_INIT;
	strv_push(&bd, "Host=h");
	struct kiln_config *cfg = NULL;
	struct kiln_error err = ERR_INIT;
	assert_int_equal(tmpl_eval_step(t, &p.builds[0], &p.builds[0].provisioners[0], &bd, &cfg, &err), -1);
	assert_null(cfg);
	char *text = err_text(&err);
	assert_non_null(strstr(text, "Unsupported attribute"));
	assert_non_null(strstr(text, "build.pkr.hcl line 5"));
	free(text);
	err_clear(&err);
	strv_free(&bd);
	plan_free(&p);
	tmpl_free(t);
	hcl_diags_free(&d);
}

/* Checkpoint keys hash a configuration's canonical text: the same values however written, secrets only
 * as a salted HMAC, host-side builder settings left out, and no text at all from timestamp(). */
static void test_config_fingerprint(void **state)
{
	(void)state;
	struct hcl_diags d = HCL_DIAGS_INIT;
	struct plan p;
	struct tmpl *t = load_one_build(
		"variable \"pw\" {\n  default = \"hunter2\"\n  sensitive = true\n}\n"
		"locals {\n  stamp = timestamp()\n}\n"
		"source \"null\" \"x\" {\n  communicator = \"none\"\n  ssh_username = \"u\"\n}\n"
		"build {\n  sources = [\"source.null.x\"]\n"
		"  provisioner \"shell\" {\n    inline = [\"a\", \"b\"]\n  }\n"
		"  provisioner \"shell\" {\n    inline = [ \"a\",\n      \"${\"b\"}\" ]\n  }\n"
		"  provisioner \"shell\" {\n    inline = [\"a\", \"b\"]\n    environment_vars = [\"PW=${var.pw}\"]\n  }\n"
		"  provisioner \"shell\" {\n    inline = [\"echo ${local.stamp}\"]\n  }\n}\n",
		&d, &p);
	struct strv bd = STRV_INIT;
	strv_push(&bd, "Host=h");
	struct buf fp[4] = {BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT};
	bool sensitive[4] = {false, false, false, false};
	char *why[4] = {NULL, NULL, NULL, NULL};
	int rc[4];
	for (size_t i = 0; i < 4; i++) {
		struct kiln_config *cfg = NULL;
		struct kiln_error err = ERR_INIT;
		assert_int_equal(tmpl_eval_step(t, &p.builds[0], &p.builds[0].provisioners[i], &bd, &cfg, &err), 0);
		rc[i] = tmpl_config_fingerprint(cfg, 0, "salt-1", &fp[i], &sensitive[i], &why[i]);
		kiln_config_free(cfg);
	}
	assert_int_equal(rc[0], 0);
	assert_string_equal(buf_cstr(&fp[0]), buf_cstr(&fp[1]));
	assert_false(sensitive[0]);
	assert_int_equal(rc[2], 0);
	assert_true(sensitive[2]);
	assert_null(strstr(buf_cstr(&fp[2]), "hunter2"));
	assert_non_null(strstr(buf_cstr(&fp[2]), "sensitive:"));
	assert_int_equal(rc[3], -1);
	assert_non_null(why[3]);
	assert_non_null(strstr(why[3], "inline"));
	assert_non_null(strstr(why[3], "timestamp()"));
	/* another store (salt) hashes the secret differently */
	struct kiln_config *cfg = NULL;
	struct kiln_error err = ERR_INIT;
	struct buf other = BUF_INIT;
	char *w = NULL;
	assert_int_equal(tmpl_eval_step(t, &p.builds[0], &p.builds[0].provisioners[2], &bd, &cfg, &err), 0);
	assert_int_equal(tmpl_config_fingerprint(cfg, 0, "salt-2", &other, NULL, &w), 0);
	assert_string_not_equal(buf_cstr(&other), buf_cstr(&fp[2]));
	kiln_config_free(cfg);
	/* the builder: host-side settings (communicator) are left out when asked */
	struct buf all = BUF_INIT, guest = BUF_INIT;
	assert_int_equal(tmpl_config_fingerprint(p.builds[0].builder_config, 0, "s", &all, NULL, &w), 0);
	assert_int_equal(tmpl_config_fingerprint(p.builds[0].builder_config, KILN_ATTR_HOST_SIDE, "s", &guest, NULL, &w), 0);
	assert_non_null(strstr(buf_cstr(&all), "communicator"));
	assert_null(strstr(buf_cstr(&guest), "communicator"));
	assert_non_null(strstr(buf_cstr(&guest), "ssh_username"));
	for (size_t i = 0; i < 4; i++) {
		buf_free(&fp[i]);
		free(why[i]);
	}
	buf_free(&other);
	buf_free(&all);
	buf_free(&guest);
	strv_free(&bd);
	plan_free(&p);
	tmpl_free(t);
	hcl_diags_free(&d);
}

struct eval_thread {
	struct tmpl *t;
	struct plan_build *b;
	struct plan_step *s;
	int failures;
};

static void *eval_many(void *arg)
{
	struct eval_thread *et = arg;
	struct strv bd = STRV_INIT;
	strv_push(&bd, "Host=10.0.2.15");
	for (int i = 0; i < 2000; i++) {
		struct kiln_config *cfg = NULL;
		struct kiln_error err = ERR_INIT;
		if (tmpl_eval_step(et->t, et->b, et->s, &bd, &cfg, &err) < 0 ||
		    strcmp(kiln_config_list_string(cfg, "inline", 0), "overridden") != 0)
			et->failures++;
		err_clear(&err);
		kiln_config_free(cfg);
	}
	strv_free(&bd);
	return NULL;
}

/* The engine evaluates steps from parallel build threads; configs share values with the template
 * (here local.cmds), whose reference counts must stay right. */
static void test_eval_step_from_threads(void **state)
{
	(void)state;
	struct hcl_diags d = HCL_DIAGS_INIT;
	struct plan p;
	struct tmpl *t = load_one_build("locals {\n  cmds = [\"overridden\", \"two\"]\n}\n"
					"source \"null\" \"x\" {}\n"
					"build {\n  sources = [\"source.null.x\"]\n"
					"  provisioner \"shell\" {\n    inline = local.cmds\n  }\n}\n",
					&d, &p);
	pthread_t th[4];
	struct eval_thread et[4];
	for (int i = 0; i < 4; i++) {
		et[i] = (struct eval_thread){t, &p.builds[0], &p.builds[0].provisioners[0], 0};
		assert_int_equal(pthread_create(&th[i], NULL, eval_many, &et[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(et[i].failures, 0);
	}
	plan_free(&p);
	tmpl_free(t);
	hcl_diags_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_variable_precedence),
		cmocka_unit_test(test_variable_errors),
		cmocka_unit_test(test_sensitive_is_masked),
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_eval_step_reports_errors),
		cmocka_unit_test(test_config_fingerprint),
		cmocka_unit_test(test_eval_step_from_threads),
	};
	return cmocka_run_group_tests_name("template", tests, setup, teardown);
}
