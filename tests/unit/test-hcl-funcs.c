/* test-hcl-funcs.c — unit tests of the function families beyond what the console differential test
 * covers: results that are random or need keys (bcrypt, rsadecrypt, uuidv4), the file functions
 * against a base directory, Go regexp iteration rules, unknown arguments, and the function table
 * itself (every entry well-formed, names unique). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <crypt.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hcl/eval.h"
#include "hcl/func.h"
#include "registry.h"
#include "hcl/parser.h"
#include "util/file.h"
#include "util/mem.h"

static char *basedir;

/* evaluate to a string value (or "ERR <detail>") */
static char *ev_in(const char *src, struct hcl_eval_ctx *ctx)
{
	struct hcl_diags d = HCL_DIAGS_INIT;
	struct hcl_expr *e = hcl_parse_expression(src, strlen(src), "t", (struct hcl_pos){1, 1, 0}, &d);
	struct hcl_value *v = hcl_eval(e, ctx, &d);
	struct buf b = BUF_INIT;
	if (hcl_diags_has_errors(&d))
		buf_printf(&b, "ERR %s", d.v[0].detail ? d.v[0].detail : d.v[0].summary);
	else if (!hcl_is_wholly_known(v))
		buf_puts(&b, "<unknown>");
	else
		hcl_value_format_repl(v, &b);
	hcl_value_unref(v);
	hcl_expr_free(e);
	hcl_diags_free(&d);
	return buf_detach(&b);
}

static char *ev(const char *src)
{
	struct hcl_eval_ctx *ctx = hcl_eval_ctx_new();
	hcl_eval_ctx_set_basedir(ctx, basedir);
	hcl_eval_ctx_set_var(ctx, "later", hcl_unknown(HCL_T_STRING));
	char *r = ev_in(src, ctx);
	hcl_eval_ctx_free(ctx);
	return r;
}

#define EV(want, src) do { char *g_ = ev(src); if (strcmp(g_, want) != 0) fail_msg("%s => [%s], want [%s]", src, g_, want); free(g_); } while (0)

static int setup(void **state)
{
	(void)state;
	hcl_gzip = kiln_module_gzip; /* as main() does; here the components are linked in */
	struct kiln_error err = ERR_INIT;
	basedir = tmpdir_make("kiln-funcs", &err);
	assert_non_null(basedir);
	char *p = path_join(basedir, "sub");
	assert_int_equal(mkdir_p(p, 0755, &err), 0);
	free(p);
	const char *files[][2] = {{"a.txt", "A"}, {"sub/b.txt", "B"}, {"sub/c.log", "C"},
				  {"t.tftpl", "${greeting}, ${upper(name)}!"}};
	for (size_t i = 0; i < 4; i++) {
		char *f = path_join(basedir, files[i][0]);
		assert_int_equal(file_write(f, files[i][1], strlen(files[i][1]), 0644, &err), 0);
		free(f);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tmpdir_release(basedir);
	free(basedir);
	return 0;
}

static void test_table_is_well_formed(void **state)
{
	(void)state;
	size_t count = 0;
	for (size_t g = 0; hcl_function_groups[g]; g++)
		for (const struct hcl_func *f = hcl_function_groups[g]; f->name; f++) {
			count++;
			assert_non_null(f->impl);
			assert_non_null(f->doc);
			assert_ptr_equal(hcl_builtin_func(f->name), f); /* names are unique */
			for (size_t i = 0; i <= hcl_func_nparams(f); i++) {
				const struct hcl_param *p = hcl_func_param(f, i);
				if (!p)
					continue;
				char *err = NULL;
				struct hcl_type *t = hcl_type_parse(p->type, &err);
				if (!t)
					fail_msg("%s: parameter %s has a bad type %s: %s", f->name, p->name, p->type, err);
				hcl_type_unref(t);
			}
		}
	/* every function issue 9 lists */
	const char *want[] = {"chomp", "format", "formatlist", "indent", "join", "lower", "upper", "title", "regex",
		"regexall", "regex_replace", "replace", "split", "strrev", "substr", "trim", "trimprefix", "trimsuffix",
		"trimspace", "strcontains", "startswith", "endswith", "abs", "ceil", "floor", "log", "max", "min",
		"parseint", "pow", "signum", "sum", "chunklist", "coalesce", "coalescelist", "compact", "concat",
		"contains", "distinct", "element", "flatten", "index", "keys", "length", "lookup", "merge", "range",
		"reverse", "setintersection", "setproduct", "setunion", "slice", "sort", "values", "zipmap", "alltrue",
		"anytrue", "base64encode", "base64decode", "textencodebase64", "textdecodebase64", "csvdecode",
		"jsonencode", "jsondecode", "yamlencode", "yamldecode", "urlencode", "base64gzip", "abspath",
		"basename", "dirname", "file", "fileexists", "fileset", "pathexpand", "templatefile", "filebase64",
		"timestamp", "timeadd", "formatdate", "legacy_isotime", "legacy_strftime", "md5", "sha1", "sha256",
		"sha512", "bcrypt", "rsadecrypt", "cidrhost", "cidrnetmask", "cidrsubnet", "cidrsubnets", "can", "try",
		"convert", "uuidv4", "uuidv5", "env", "vault", "consul_key", "aws_secretsmanager"};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!hcl_builtin_func(want[i]))
			fail_msg("missing function %s", want[i]);
	assert_true(count >= sizeof(want) / sizeof(want[0]));
}

static void test_files_relative_to_basedir(void **state)
{
	(void)state;
	EV("A", "file(\"a.txt\")");
	EV("true", "fileexists(\"sub/b.txt\")");
	EV("false", "fileexists(\"nope\")");
	EV("[\n  \"a.txt\",\n  \"sub/b.txt\",\n  \"sub/c.log\",\n  \"t.tftpl\",\n]", "fileset(\".\", \"**\")");
	EV("[\n  \"a.txt\",\n  \"sub/b.txt\",\n]", "fileset(\".\", \"**/*.txt\")");
	EV("[\n  \"sub/c.log\",\n]", "fileset(\"sub\", \"*.log\") == [] ? [] : [for f in fileset(\"sub\", \"*.log\") : \"sub/${f}\"]");
	EV("Hi, KILN!", "templatefile(\"t.tftpl\", {greeting = \"Hi\", name = \"kiln\"})");
	EV("QQ==", "filebase64(\"a.txt\")");
}

static void test_bcrypt_verifies(void **state)
{
	(void)state;
	char *h = ev("bcrypt(\"s3cret\", 5)");
	assert_int_equal(strncmp(h, "$2a$05$", 7), 0);
	struct crypt_data cd;
	memset(&cd, 0, sizeof(cd));
	char *again = crypt_r("s3cret", h, &cd);
	assert_non_null(again);
	assert_string_equal(again, h);
	free(h);
}

static void test_rsadecrypt(void **state)
{
	(void)state;
	EVP_PKEY *key = EVP_RSA_gen(2048);
	assert_non_null(key);
	BIO *bio = BIO_new(BIO_s_mem());
	assert_int_equal(PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL), 1);
	char *pem = NULL;
	long pemlen = BIO_get_mem_data(bio, &pem);
	char *pemcopy = xstrndup(pem, (size_t)pemlen);
	BIO_free(bio);
	EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new(key, NULL);
	assert_int_equal(EVP_PKEY_encrypt_init(pctx), 1);
	EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING);
	unsigned char ct[512];
	size_t ctlen = sizeof(ct);
	assert_int_equal(EVP_PKEY_encrypt(pctx, ct, &ctlen, (const unsigned char *)"plain text", 10), 1);
	EVP_PKEY_CTX_free(pctx);
	EVP_PKEY_free(key);
	char b64[1024];
	EVP_EncodeBlock((unsigned char *)b64, ct, (int)ctlen);
	struct hcl_eval_ctx *ctx = hcl_eval_ctx_new();
	hcl_eval_ctx_set_var(ctx, "ct", hcl_string(b64));
	hcl_eval_ctx_set_var(ctx, "key", hcl_string(pemcopy));
	char *r = ev_in("rsadecrypt(ct, key)", ctx);
	assert_string_equal(r, "plain text");
	free(r);
	r = ev_in("rsadecrypt(ct, \"not a key\")", ctx);
	assert_non_null(strstr(r, "invalid private key"));
	free(r);
	hcl_eval_ctx_free(ctx);
	free(pemcopy);
}

static void test_regex_go_semantics(void **state)
{
	(void)state;
	EV("-a-b-c-", "regex_replace(\"abc\", \"\", \"-\")");
	EV("b", "regex_replace(\"aaa\", \"a*\", \"b\")");
	EV("[\n  \"\",\n  \"\",\n  \"\",\n]", "regexall(\"x*\", \"ab\")");
	EV("ba", "regex_replace(\"ab\", \"(?P<first>a)(?P<second>b)\", \"$${second}$${first}\")");
	EV("$1x", "regex_replace(\"a\", \"(a)\", \"$$1x\")");
	EV("", "regex_replace(\"a\", \"(a)\", \"$1x\")"); /* $1x names group "1x": empty, as in Go */
	EV("A-1", "upper(regex_replace(\"a1\", \"([a-z])(\\\\d)\", \"$1-$2\"))");
}

static void test_unknown_arguments(void **state)
{
	(void)state;
	const char *calls[] = {"upper(later)", "join(\",\", [later])", "format(\"%s\", later)", "sha256(later)",
			       "base64encode(later)", "split(\",\", later)", "jsonencode([later])", "length(later)",
			       "formatdate(\"YYYY\", later)", "replace(later, \"a\", \"b\")", "coalesce(later, \"x\")"};
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		EV("<unknown>", calls[i]);
}

static void test_random_and_time(void **state)
{
	(void)state;
	char *a = ev("uuidv4()"), *b = ev("uuidv4()");
	assert_int_equal(strlen(a), 36);
	assert_string_not_equal(a, b);
	assert_int_equal(a[14], '4');
	free(a);
	free(b);
	EV("1776fae2-3566-5238-b9ea-e87a752dc868", "uuidv5(\"dns\", \"kiln.example\")");
	char *ts = ev("timestamp()");
	assert_int_equal(strlen(ts), 20);
	assert_int_equal(ts[19], 'Z');
	free(ts);
	EV("2018-01-03T00:12:01Z", "timeadd(\"2018-01-02T23:12:01Z\", \"1h\")");
	/* legacy_strftime's result has no size limit (it once cut at 1024 bytes and returned "") */
	struct buf src = BUF_INIT;
	buf_puts(&src, "length(legacy_strftime(\"");
	buf_repeat(&src, 'x', 5000);
	buf_puts(&src, "%Y\"))");
	EV("5004", buf_cstr(&src));
	buf_free(&src);
	EV("0", "length(legacy_strftime(\"\"))");
	EV("1", "length(legacy_strftime(\"%%\"))");
}

static void test_gzip_header(void **state)
{
	(void)state;
	char *g = ev("base64gzip(\"hello\")");
	assert_int_equal(strncmp(g, "H4sI", 4), 0); /* 1f 8b 08: gzip, deflate */
	free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_is_well_formed),
		cmocka_unit_test(test_files_relative_to_basedir),
		cmocka_unit_test(test_bcrypt_verifies),
		cmocka_unit_test(test_rsadecrypt),
		cmocka_unit_test(test_regex_go_semantics),
		cmocka_unit_test(test_unknown_arguments),
		cmocka_unit_test(test_random_and_time),
		cmocka_unit_test(test_gzip_header),
	};
	return cmocka_run_group_tests_name("hcl-funcs", tests, setup, teardown);
}
