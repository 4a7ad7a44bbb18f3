/* test-aws-parse.c — the readers of outside input in src/cloud/aws: AWS's XML answers (and what the
 * reader refuses: DTDs, entities, depth), the shared config and credentials files, credential_process
 * output and command lines, timestamps; and the parts of the credential chain that need no server
 * (template keys, environment, profiles, credential_process). STS and the metadata service are tested
 * against their stand-ins (tests/integration/t08*-aws-*.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cloud/aws/creds.h"
#include "cloud/aws/http.h"
#include "cloud/aws/ini.h"
#include "cloud/aws/xml.h"
#include "ui/ui.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/strv.h"

static struct aws_xml *parse_ok(const char *s)
{
	struct aws_xml *x = NULL;
	struct kiln_error err = ERR_INIT;
	if (aws_xml_parse(s, strlen(s), &x, &err) < 0)
		fail_msg("parse failed: %s", err_cause(&err));
	return x;
}

static void parse_fails(const char *s, const char *fragment)
{
	struct aws_xml *x = NULL;
	struct kiln_error err = ERR_INIT;
	assert_int_equal(aws_xml_parse(s, strlen(s), &x, &err), -1);
	assert_null(x);
	if (!strstr(err_cause(&err), fragment))
		fail_msg("error \"%s\" does not mention \"%s\"", err_cause(&err), fragment);
	err_clear(&err);
}

static void test_xml(void **state)
{
	(void)state;
	struct aws_xml *x = parse_ok(
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<DescribeImportImageTasksResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">\n"
		"  <requestId>r-1</requestId>\n"
		"  <importImageTaskSet><item><importTaskId>import-ami-1</importTaskId><status>active</status>"
		"<statusMessage>converting &amp; &lt;checking&gt; &#233;</statusMessage><progress>28</progress></item>"
		"<item><importTaskId>import-ami-2</importTaskId><![CDATA[<raw>]]></item></importImageTaskSet>\n"
		"</DescribeImportImageTasksResponse>");
	assert_string_equal(x->name, "DescribeImportImageTasksResponse");
	assert_string_equal(aws_xml_text(x, "requestId"), "r-1");
	const struct aws_xml *set = aws_xml_child(x, "importImageTaskSet");
	assert_int_equal(set->nchildren, 2);
	assert_string_equal(aws_xml_text(set->children[0], "statusMessage"), "converting & <checking> \xc3\xa9");
	assert_string_equal(aws_xml_text(x, "importImageTaskSet/item/progress"), "28");
	assert_string_equal(set->children[1]->text, "<raw>");
	assert_null(aws_xml_text(x, "importImageTaskSet/item/nothing"));
	const char *code, *msg;
	assert_false(aws_xml_error(x, &code, &msg));
	aws_xml_free(x);

	/* the three error shapes */
	x = parse_ok("<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message></Error>");
	assert_true(aws_xml_error(x, &code, &msg));
	assert_string_equal(code, "NoSuchBucket");
	aws_xml_free(x);
	x = parse_ok("<Response><Errors><Error><Code>InvalidParameter</Code><Message>role</Message></Error></Errors>"
		     "<RequestID>x</RequestID></Response>");
	assert_true(aws_xml_error(x, &code, &msg));
	assert_string_equal(code, "InvalidParameter");
	assert_string_equal(msg, "role");
	aws_xml_free(x);
	x = parse_ok("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>"
		     "<Code>AccessDenied</Code><Message>no</Message></Error></ErrorResponse>");
	assert_true(aws_xml_error(x, &code, &msg));
	assert_string_equal(code, "AccessDenied");
	aws_xml_free(x);

	/* refused */
	parse_fails("<a><b></a>", "malformed");
	parse_fails("", "empty");
	parse_fails("<!DOCTYPE a [<!ENTITY x \"boom\">]><a>&x;</a>", "DTD");
	parse_fails("<!DOCTYPE a SYSTEM \"http://127.0.0.1:1/x.dtd\"><a/>", "DTD");
	struct strv deep = STRV_INIT;
	char *s = xstrdup("");
	for (int i = 0; i < 70; i++) {
		char *n = xasprintf("<d>%s</d>", s);
		free(s);
		s = n;
	}
	parse_fails(s, "deeper");
	free(s);
	strv_free(&deep);
}

static struct aws_ini *ini_ok(const char *text)
{
	struct aws_ini *ini = NULL;
	struct kiln_error err = ERR_INIT;
	if (aws_ini_parse(text, strlen(text), "config", &ini, &err) < 0)
		fail_msg("%s", err_cause(&err));
	return ini;
}

static void ini_fails_len(const char *text, size_t len, const char *fragment)
{
	struct aws_ini *ini = NULL;
	struct kiln_error err = ERR_INIT;
	assert_int_equal(aws_ini_parse(text, len, "config", &ini, &err), -1);
	if (!strstr(err_cause(&err), fragment))
		fail_msg("error \"%s\" does not mention \"%s\"", err_cause(&err), fragment);
	err_clear(&err);
}

static void ini_fails(const char *text, const char *fragment)
{
	ini_fails_len(text, strlen(text), fragment);
}

static void test_ini(void **state)
{
	(void)state;
	struct aws_ini *ini = ini_ok("\xEF\xBB\xBF# comment\n"
				     "[default]\n"
				     "region = eu-west-1\n"
				     "Output: json\n"
				     "; another comment\n"
				     "[profile  ci ]\n"
				     "role_arn = arn:aws:iam::1:role/x\n"
				     "source_profile = default # not a comment\n"
				     "s3 =\n"
				     "  max_concurrent_requests = 10\n"
				     "\n"
				     "[default]\n"
				     "region = us-east-2\n");
	assert_string_equal(aws_ini_get(ini, "default", "region"), "us-east-2");
	assert_string_equal(aws_ini_get(ini, "default", "output"), "json");
	const char *ci = aws_ini_profile_section(ini, "ci", true);
	assert_non_null(ci);
	assert_string_equal(aws_ini_get(ini, ci, "source_profile"), "default # not a comment");
	assert_string_equal(aws_ini_get(ini, ci, "s3"), "\nmax_concurrent_requests = 10");
	assert_string_equal(aws_ini_profile_section(ini, "default", true), "default");
	assert_null(aws_ini_profile_section(ini, "ci", false));
	assert_null(aws_ini_get(ini, "nope", "x"));
	aws_ini_free(ini);

	ini_fails("key = before section\n", "before the first");
	ini_fails("[default]\njust words\n", "neither");
	ini_fails("[]\n", "malformed");
	ini_fails("[default]\n= value\n", "without a key");
	ini_fails_len("[a]\nx = 1\0y\n", 12, "NUL");
}

static void test_json_and_commands(void **state)
{
	(void)state;
	struct aws_creds c;
	struct kiln_error err = ERR_INIT;
	const char *ok = "{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", \"SecretAccessKey\": \"s3cr3t-proc\", "
			 "\"SessionToken\": \"tok\", \"Expiration\": \"2030-01-02T03:04:05Z\"}";
	assert_int_equal(aws_creds_parse_json(ok, strlen(ok), true, &c, &err), 0);
	assert_string_equal(c.access_key_id, "AKIDPROC");
	assert_int_equal(c.expiration, 1893553445);
	aws_creds_clear(&c);
	const char *nov = "{\"AccessKeyId\":\"a\",\"SecretAccessKey\":\"b\"}";
	assert_int_equal(aws_creds_parse_json(nov, strlen(nov), true, &c, &err), -1);
	assert_non_null(strstr(err_cause(&err), "Version"));
	err_clear(&err);
	assert_int_equal(aws_creds_parse_json("[1]", 3, false, &c, &err), -1);
	err_clear(&err);
	/* the metadata service's form: "Token" */
	const char *imds = "{\"Code\":\"Success\",\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"B\",\"Token\":\"T\","
			   "\"Expiration\":\"2030-01-02T03:04:05.123+01:00\"}";
	assert_int_equal(aws_creds_parse_json(imds, strlen(imds), false, &c, &err), 0);
	assert_string_equal(c.session_token, "T");
	assert_int_equal(c.expiration, 1893553445 - 3600);
	aws_creds_clear(&c);

	int64_t t;
	assert_int_equal(aws_parse_time("1970-01-01T00:00:00Z", &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(aws_parse_time("2024-02-29T12:00:00Z", &t), 0);
	assert_int_equal(t, 1709208000);
	assert_int_equal(aws_parse_time("2024-02-29 12:00:00", &t), -1);
	assert_int_equal(aws_parse_time("2024-13-01T00:00:00Z", &t), -1);

	struct strv argv = STRV_INIT;
	assert_int_equal(aws_split_command("/usr/bin/helper --profile 'my profile' \"a \\\"b\\\" $c\" d\\ e", &argv, &err),
			 0);
	assert_int_equal(argv.n, 5);
	assert_string_equal(argv.v[2], "my profile");
	assert_string_equal(argv.v[3], "a \"b\" $c");
	assert_string_equal(argv.v[4], "d e");
	strv_free(&argv);
	assert_int_equal(aws_split_command("x 'open", &argv, &err), -1);
	err_clear(&err);
	strv_free(&argv);
}

static void test_endpoints(void **state)
{
	(void)state;
	struct aws_endpoint e;
	struct kiln_error err = ERR_INIT;
	assert_int_equal(aws_endpoint_parse("http://127.0.0.1:9000", &e, &err), 0);
	assert_true(e.is_ip);
	assert_string_equal(e.hostport, "127.0.0.1:9000");
	assert_string_equal(e.prefix, "");
	aws_endpoint_free(&e);
	assert_int_equal(aws_endpoint_parse("https://[::1]:443/base/", &e, &err), 0);
	assert_string_equal(e.host, "::1");
	assert_string_equal(e.hostport, "[::1]");
	assert_string_equal(e.prefix, "/base");
	assert_true(e.is_ip);
	aws_endpoint_free(&e);
	assert_int_equal(aws_endpoint_parse("https://EC2.us-east-1.amazonaws.com", &e, &err), 0);
	assert_false(e.is_ip);
	assert_false(e.explicit_port);
	assert_string_equal(e.hostport, "ec2.us-east-1.amazonaws.com");
	aws_endpoint_free(&e);
	assert_int_equal(aws_endpoint_parse("ftp://x", &e, &err), -1);
	err_clear(&err);
	assert_int_equal(aws_endpoint_parse("http://x:99999", &e, &err), -1);
	err_clear(&err);
	assert_int_equal(aws_endpoint_parse("http://u@x", &e, &err), -1);
	err_clear(&err);

	char *u = aws_service_url(NULL, "ec2", "cn-north-1");
	assert_string_equal(u, "https://ec2.cn-north-1.amazonaws.com.cn");
	free(u);

	struct aws_endpoints eps;
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1", 1);
	setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:2", 1);
	aws_endpoints_from_env(&eps, NULL);
	assert_string_equal(eps.ec2, "http://127.0.0.1:1");
	assert_string_equal(eps.s3, "http://127.0.0.1:2");
	assert_string_equal(eps.sts, "http://127.0.0.1:1");
	aws_endpoints_free(&eps);
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_ENDPOINT_URL_S3");
	/* Packer 1.6's custom_endpoint_ec2 serves S3 too, unless an S3 endpoint is set */
	aws_endpoints_from_env(&eps, "localhost:4566");
	assert_string_equal(eps.ec2, "https://localhost:4566");
	assert_string_equal(eps.s3, "https://localhost:4566");
	assert_null(eps.sts);
	aws_endpoints_free(&eps);

	assert_true(aws_retryable(503, NULL));
	assert_true(aws_retryable(400, "RequestLimitExceeded"));
	assert_false(aws_retryable(403, "SignatureDoesNotMatch"));
	for (int i = 1; i < 12; i++) {
		long b = aws_backoff_ms(i, 500);
		assert_true(b >= 50 && b <= 20000);
	}
}

/* --- the chain, for the sources that need no server --- */

static char *tmp;

static void write_file(const char *name, const char *text)
{
	char *p = path_join(tmp, name);
	struct kiln_error err = ERR_INIT;
	assert_int_equal(file_write(p, text, strlen(text), 0700, &err), 0);
	free(p);
}

static void clean_env(void)
{
	static const char *const vars[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
					   "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE",
					   "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", NULL};
	for (size_t i = 0; vars[i]; i++)
		unsetenv(vars[i]);
	setenv("HOME", tmp, 1);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
}

static char *chain(const struct aws_creds_opts *o, struct aws_creds *c, struct kiln_error *err)
{
	struct aws_creds_provider *p = NULL;
	if (aws_creds_provider_new(o, &p, err) < 0)
		return NULL;
	assert_int_equal(aws_creds_provider_get(p, false, c, err), 0);
	char *src = xstrdup(aws_creds_provider_source(p));
	aws_creds_provider_free(p);
	return src;
}

static void test_chain(void **state)
{
	(void)state;
	tmp = xstrdup("/tmp/kiln-aws-chain-XXXXXX");
	assert_non_null(mkdtemp(tmp));
	clean_env();
	struct aws_endpoints eps;
	aws_endpoints_from_env(&eps, NULL);
	struct aws_creds_opts o = {.endpoints = &eps};
	struct aws_creds c = {0};
	struct kiln_error err = ERR_INIT;

	/* nothing anywhere */
	assert_null(chain(&o, &c, &err));
	assert_true(err_is(&err, ERR_NOT_FOUND));
	assert_non_null(strstr(err_cause(&err), "no AWS credentials"));
	err_clear(&err);

	/* the shared files, then the environment over them, then the template over both */
	char *d = path_join(tmp, ".aws");
	mkdir(d, 0700);
	free(d);
	write_file(".aws/credentials", "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = file-secret\n"
				       "[other]\naws_access_key_id = AKIDOTHER\naws_secret_access_key = other-secret\n"
				       "aws_session_token = other-token\n");
	char *src = chain(&o, &c, &err);
	assert_non_null(src);
	assert_string_equal(c.access_key_id, "AKIDFILE");
	assert_non_null(strstr(src, "profile \"default\""));
	free(src);
	aws_creds_clear(&c);

	setenv("AWS_PROFILE", "other", 1);
	src = chain(&o, &c, &err);
	assert_string_equal(c.session_token, "other-token");
	free(src);
	aws_creds_clear(&c);

	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
	src = chain(&o, &c, &err);
	assert_string_equal(c.access_key_id, "AKIDENV");
	assert_null(c.session_token);
	free(src);
	aws_creds_clear(&c);

	o.access_key = "AKIDTMPL";
	o.secret_key = "tmpl-secret";
	src = chain(&o, &c, &err);
	assert_string_equal(c.access_key_id, "AKIDTMPL");
	assert_string_equal(src, "the template's access_key");
	free(src);
	aws_creds_clear(&c);
	o.secret_key = NULL;
	assert_null(chain(&o, &c, &err));
	assert_non_null(strstr(err_cause(&err), "both"));
	err_clear(&err);
	o.access_key = NULL;
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");

	/* an explicit profile that does not exist is an error, not a fall-through */
	o.profile = "missing";
	assert_null(chain(&o, &c, &err));
	assert_non_null(strstr(err_cause(&err), "\"missing\""));
	err_clear(&err);

	/* credential_process: run without a shell, its output parsed, its secrets masked */
	char *script = path_join(tmp, "helper.sh");
	write_file("helper.sh", "#!/bin/sh\n[ \"$1\" = \"a b\" ] || { echo bad args >&2; exit 3; }\n"
				"echo '{\"Version\":1,\"AccessKeyId\":\"AKIDPROC\",\"SecretAccessKey\":\"proc-secret-9\","
				"\"SessionToken\":\"proc-token\",\"Expiration\":\"2099-01-01T00:00:00Z\"}'\n");
	char *conf = xasprintf("[profile proc]\ncredential_process = %s 'a b'\n"
			       "[profile badproc]\ncredential_process = %s wrong\n", script, script);
	write_file(".aws/config", conf);
	free(conf);
	o.profile = "proc";
	src = chain(&o, &c, &err);
	assert_non_null(src);
	assert_string_equal(c.secret_access_key, "proc-secret-9");
	char *masked = ui_mask("leak: proc-secret-9 proc-token");
	assert_string_equal(masked, "leak: <sensitive> <sensitive>");
	free(masked);
	free(src);
	aws_creds_clear(&c);
	o.profile = "badproc";
	assert_null(chain(&o, &c, &err));
	assert_non_null(strstr(err_cause(&err), "exited with status 3: bad args"));
	err_clear(&err);

	/* a role without a way to get the source credentials */
	write_file(".aws/config", "[profile r]\nrole_arn = arn:aws:iam::1:role/x\n"
				  "[profile loop1]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = loop2\n"
				  "[profile loop2]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = loop1\n"
				  "[profile sso]\nsso_start_url = https://x\n");
	o.profile = "r";
	assert_null(chain(&o, &c, &err));
	assert_non_null(strstr(err_cause(&err), "neither source_profile"));
	err_clear(&err);
	o.profile = "loop1";
	assert_null(chain(&o, &c, &err));
	assert_non_null(strstr(err_cause(&err), "loop"));
	err_clear(&err);
	o.profile = "sso";
	assert_null(chain(&o, &c, &err));
	assert_non_null(err.hint);
	assert_non_null(strstr(err.hint, "export-credentials"));
	err_clear(&err);

	free(script);
	aws_endpoints_free(&eps);
	rm_rf(tmp, NULL);
	free(tmp);
	ui_secrets_clear();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xml),
		cmocka_unit_test(test_ini),
		cmocka_unit_test(test_json_and_commands),
		cmocka_unit_test(test_endpoints),
		cmocka_unit_test(test_chain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
