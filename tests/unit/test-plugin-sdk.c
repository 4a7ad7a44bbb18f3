/* test-plugin-sdk.c — unit tests of the C SDK's own parts (libkiln-plugin.a, linked alone: the SDK
 * needs nothing of kiln): its JSON values and its reading of protocol messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "kiln-plugin.h"
#include "sdk-internal.h"

static void roundtrip(const char *in, const char *want)
{
	char *err = NULL;
	struct kp_json *v = kp_json_parse(in, strlen(in), &err);
	if (!v)
		fail_msg("%s: %s", in, err);
	char *out = kp_json_dump(v);
	if (strcmp(out, want) != 0)
		fail_msg("%s gave %s, want %s", in, out, want);
	free(out);
	kp_json_free(v);
}

static void bad(const char *in, const char *want)
{
	char *err = NULL;
	struct kp_json *v = kp_json_parse(in, strlen(in), &err);
	if (v)
		fail_msg("accepted %s", in);
	if (!strstr(err, want))
		fail_msg("%s: \"%s\" does not say \"%s\"", in, err, want);
	free(err);
}

static void test_json(void **state)
{
	(void)state;
	roundtrip(" {\"a\" : [1, 2.5, -3e2, true, false, null], \"b\": {}} ", "{\"a\":[1,2.5,-300,true,false,null],\"b\":{}}");
	roundtrip("\"\\u00e9\\ud83d\\ude00\\n\\t\\\"\\\\/\"", "\"\xc3\xa9\xf0\x9f\x98\x80\\n\\t\\\"\\\\/\"");
	roundtrip("\"\\u0001\"", "\"\\u0001\"");
	roundtrip("12345678901", "12345678901");
	roundtrip("0.1", "0.10000000000000001");
	bad("", "unexpected end");
	bad("{\"a\" 1}", "expected ':'");
	bad("[1,]", "invalid number");
	bad("[1 2]", "expected ',' or ']'");
	bad("{\"a\":1,\"a\":2}", "duplicate key");
	bad("\"abc", "unterminated string");
	bad("\"a\x01\"", "control character");
	bad("\"\\ud800\"", "unpaired surrogate");
	bad("\"\\u0000\"", "NUL");
	bad("\"\xff\"", "invalid UTF-8");
	bad("01", "text after the value");
	bad("tru", "invalid literal");
	bad("1 2", "text after the value");
	/* nesting is bounded */
	char deep[2000];
	memset(deep, '[', sizeof deep - 1);
	deep[sizeof deep - 1] = '\0';
	bad(deep, "nested too deeply");

	struct kp_json *o = kp_json_object();
	kp_json_set(o, "s", kp_json_string("x"));
	kp_json_set(o, "n", kp_json_number(42));
	kp_json_set(o, "s", kp_json_string("y")); /* replaces */
	kp_json_set(o, "b", kp_json_bool(true));
	struct kp_json *a = kp_json_array();
	kp_json_append(a, kp_json_string("\xff" "bad utf8"));
	kp_json_set(o, "a", a);
	assert_string_equal(kp_json_get_string(o, "s", NULL), "y");
	assert_int_equal(kp_json_get_int(o, "n", 0), 42);
	assert_int_equal(kp_json_get_int(o, "missing", 7), 7);
	assert_true(kp_json_get_bool(o, "b", false));
	assert_null(kp_json_get_string(o, "n", NULL));
	assert_int_equal(kp_json_len(o), 4);
	assert_string_equal(kp_json_key(o, 3), "a");
	char *text = kp_json_dump(o);
	assert_string_equal(text, "{\"s\":\"y\",\"n\":42,\"b\":true,\"a\":[\"\xef\xbf\xbd" "bad utf8\"]}");
	free(text);
	struct kp_json *c = kp_json_copy(o);
	kp_json_free(o);
	assert_string_equal(kp_json_get_string(c, "s", NULL), "y");
	kp_json_free(c);
}

static void test_messages(void **state)
{
	(void)state;
	struct kp_msg m;
	char *why = NULL;
	const char *req = "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"prepare\",\"params\":{\"fds\":2}}";
	assert_int_equal(kp_msg_parse(req, strlen(req), &m, &why), 0);
	assert_string_equal(m.method, "prepare");
	assert_int_equal(m.nfds, 2);
	m.nfds = 0; /* none were received here */
	kp_msg_free(&m);
	static const char *const bads[] = {
		"[]", "{\"jsonrpc\":\"2.0\"}", "{\"jsonrpc\":\"2.0\",\"method\":3}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",\"params\":{\"fds\":17}}",
		"{\"jsonrpc\":\"2.0\",\"id\":[],\"method\":\"x\"}", "{\"jsonrpc\":\"2.0\",\"result\":1}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":1}}", NULL};
	for (size_t i = 0; bads[i]; i++) {
		if (kp_msg_parse(bads[i], strlen(bads[i]), &m, &why) == 0)
			fail_msg("accepted %s", bads[i]);
		free(why);
	}
	char *q = kp_shell_quote("it's");
	assert_string_equal(q, "'it'\\''s'");
	free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_messages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
