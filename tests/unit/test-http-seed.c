/* test-http-seed.c — unit tests of http-seed/: request target decoding and cleaning, Range parsing,
 * Content-Type, and the server's option checks and port handling (requests over libcurl). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "http-seed/http_parse.h"
#include "http-seed/seed_server.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/mem.h"

static void test_target_to_path(void **state)
{
	(void)state;
	static const struct {
		const char *target;
		int status;
		const char *path;
	} cases[] = {
		{"/", 0, "/"},
		{"/a/b", 0, "/a/b"},
		{"/a//b/./c/", 0, "/a/b/c"},
		{"/a?x=../../etc", 0, "/a"},
		{"/a#frag", 0, "/a"},
		{"/%61%2Fb", 0, "/a/b"},
		{"/%252e%252e/x", 0, "/%2e%2e/x"},     /* decoded once: a literal name, not ".." */
		{"/...", 0, "/..."},
		{"/.hidden", 0, "/.hidden"},
		{"//etc/passwd", 0, "/etc/passwd"},    /* relative to the served root */
		{"http://10.0.2.2:8000/ks.cfg", 0, "/ks.cfg"},
		{"HTTP://host", 0, "/"},
		{"/../x", 403, NULL},
		{"/a/../b", 403, NULL},
		{"/..", 403, NULL},
		{"/%2e%2e/x", 403, NULL},
		{"/%2E%2e%2fx", 403, NULL},
		{"/..%2fx", 403, NULL},
		{"/a/%2e%2e", 403, NULL},
		{"/%00", 400, NULL},
		{"/a%zz", 400, NULL},
		{"/a%4", 400, NULL},
		{"a/b", 400, NULL},
		{"*", 400, NULL},
		{"", 400, NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *path = (char *)1;
		int status = seed_target_to_path(cases[i].target, &path);
		if (status != cases[i].status || (cases[i].path && (!path || strcmp(path, cases[i].path) != 0)))
			fail_msg("%s: got %d \"%s\", want %d \"%s\"", cases[i].target, status, path ? path : "(null)",
			         cases[i].status, cases[i].path ? cases[i].path : "(null)");
		if (!cases[i].path)
			assert_null(path);
		free(path);
	}
}

static void test_clean_path(void **state)
{
	(void)state;
	char *p;
	assert_int_equal(seed_clean_path("/a%2e/./b//", &p), 0);
	assert_string_equal(p, "/a%2e/b");   /* no decoding for content keys */
	free(p);
	assert_int_equal(seed_clean_path("/a/../b", &p), 403);
	assert_null(p);
}

static void test_range(void **state)
{
	(void)state;
	static const struct {
		const char *value;
		uint64_t size;
		enum seed_range want;
		uint64_t off, len;
	} cases[] = {
		{NULL, 10, SEED_RANGE_NONE, 0, 0},
		{"bytes=0-0", 10, SEED_RANGE_PARTIAL, 0, 1},
		{"bytes=2-5", 10, SEED_RANGE_PARTIAL, 2, 4},
		{"bytes=5-", 10, SEED_RANGE_PARTIAL, 5, 5},
		{"bytes=-3", 10, SEED_RANGE_PARTIAL, 7, 3},
		{"bytes=-30", 10, SEED_RANGE_PARTIAL, 0, 10},
		{"bytes=0-99", 10, SEED_RANGE_PARTIAL, 0, 10},
		{" Bytes=1-2 ", 10, SEED_RANGE_PARTIAL, 1, 2},
		{"bytes = 1-2", 10, SEED_RANGE_NONE, 0, 0},
		{"bytes=9-9", 10, SEED_RANGE_PARTIAL, 9, 1},
		{"bytes=10-", 10, SEED_RANGE_UNSATISFIABLE, 0, 0},
		{"bytes=10-20", 10, SEED_RANGE_UNSATISFIABLE, 0, 0},
		{"bytes=-0", 10, SEED_RANGE_UNSATISFIABLE, 0, 0},
		{"bytes=0-", 0, SEED_RANGE_UNSATISFIABLE, 0, 0},
		{"bytes=3-2", 10, SEED_RANGE_NONE, 0, 0},
		{"bytes=0-1,3-4", 10, SEED_RANGE_NONE, 0, 0},
		{"items=0-1", 10, SEED_RANGE_NONE, 0, 0},
		{"bytes=x", 10, SEED_RANGE_NONE, 0, 0},
		{"bytes=1-2x", 10, SEED_RANGE_NONE, 0, 0},
		{"bytes=-", 10, SEED_RANGE_NONE, 0, 0},
		{"bytes=99999999999999999999-", 10, SEED_RANGE_NONE, 0, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint64_t off = 0, len = 0;
		enum seed_range got = seed_parse_range(cases[i].value, cases[i].size, &off, &len);
		if (got != cases[i].want ||
		    (got == SEED_RANGE_PARTIAL && (off != cases[i].off || len != cases[i].len)))
			fail_msg("\"%s\" size %ju: got %d %ju+%ju", cases[i].value ? cases[i].value : "(null)",
			         (uintmax_t)cases[i].size, got, (uintmax_t)off, (uintmax_t)len);
	}
}

static void test_content_type(void **state)
{
	(void)state;
	assert_string_equal(seed_content_type("/ks.cfg", NULL, 0), "text/plain; charset=utf-8");
	assert_string_equal(seed_content_type("/dir/A.ISO", NULL, 0), "application/x-iso9660-image");
	assert_string_equal(seed_content_type("/x.json", "{}", 2), "application/json");
	assert_string_equal(seed_content_type("/user-data", "#cloud-config\n", 14), "text/plain; charset=utf-8");
	assert_string_equal(seed_content_type("/blob", "\x7f" "ELF\x02\x01\x00", 7), "application/octet-stream");
	assert_string_equal(seed_content_type("/x.unknown", "plain text\r\n\t", 13), "text/plain; charset=utf-8");
	assert_null(seed_type_by_extension("/user-data"));
	assert_null(seed_type_by_extension("/.cfg"));   /* a dot file, not an extension */
}

/* ---- the server ---- */

static size_t collect(char *data, size_t size, size_t n, void *arg)
{
	buf_append(arg, data, size * n);
	return size * n;
}

/* GET url; returns the status, body in *body. */
static long get(int port, const char *path, struct buf *body)
{
	char *url = xasprintf("http://127.0.0.1:%d%s", port, path);
	CURL *c = curl_easy_init();
	long status = 0;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	free(url);
	return status;
}

static void test_server_content_and_ports(void **state)
{
	(void)state;
	struct seed_content content[] = {{"/user-data", "#cloud-config\n", 14}, {"/a//b/", "B", 1}};
	struct seed_server_options o = {.content = content, .n_content = 2};
	struct seed_server *a = NULL, *b = NULL;
	struct kiln_error err = ERR_INIT;

	assert_int_equal(seed_server_start(&o, &a, &err), 0);
	int port = seed_server_port(a);
	assert_true(port > 0);
	assert_string_equal(seed_server_address(a), "127.0.0.1");

	struct buf body = BUF_INIT;
	assert_int_equal(get(port, "/user-data", &body), 200);
	assert_string_equal(buf_cstr(&body), "#cloud-config\n");
	buf_reset(&body);
	assert_int_equal(get(port, "/a/b", &body), 200);
	assert_string_equal(buf_cstr(&body), "B");
	buf_reset(&body);
	assert_int_equal(get(port, "/nothing", &body), 404);

	/* the port is held: a second server on exactly that port cannot start */
	o.port_min = o.port_max = port;
	assert_int_equal(seed_server_start(&o, &b, &err), -1);
	assert_true(err_is(&err, ERR_IO));
	assert_non_null(strstr(err_cause(&err), "no free port"));
	assert_null(b);
	err_clear(&err);

	/* in a two-port range the second server gets the other port */
	o.port_min = port > 1024 ? port - 1 : port;
	o.port_max = o.port_min + 1;
	if (seed_server_start(&o, &b, &err) == 0) {   /* the neighbour may be taken by someone else */
		assert_int_not_equal(seed_server_port(b), port);
		seed_server_stop(b);
		b = NULL;
	}
	err_clear(&err);

	/* stopping releases the port */
	seed_server_stop(a);
	o.port_min = o.port_max = port;
	assert_int_equal(seed_server_start(&o, &b, &err), 0);
	assert_int_equal(seed_server_port(b), port);
	seed_server_stop(b);
	seed_server_stop(NULL);
	buf_free(&body);
}

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

static void test_server_bad_options(void **state)
{
	(void)state;
	struct seed_server *s = (struct seed_server *)1;
	struct kiln_error err = ERR_INIT;
	struct seed_content no_slash[] = {{"user-data", "", 0}};
	struct seed_content dotdot[] = {{"/a/../b", "", 0}};
	struct seed_content twice[] = {{"/a", "1", 1}, {"//a", "2", 1}};
	const struct {
		struct seed_server_options o;
		const char *want;
	} cases[] = {
		{{.bind_address = "localhost"}, "not a numeric"},
		{{.bind_address = "10.0.0.300"}, "not a numeric"},
		{{.port_min = 9000, .port_max = 8000}, "port range"},
		{{.port_min = 1, .port_max = 70000}, "port range"},
		{{.directory = "/nonexistent/kiln-test"}, "/nonexistent/kiln-test"},
		{{.content = no_slash, .n_content = 1}, "must start with"},
		{{.content = dotdot, .n_content = 1}, ".."},
		{{.content = twice, .n_content = 2}, "two content entries"},
	};
	int fds = count_fds();
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(seed_server_start(&cases[i].o, &s, &err), -1);
		assert_null(s);
		assert_true(err_is(&err, ERR_INVALID));
		if (!strstr(err_cause(&err), cases[i].want))
			fail_msg("case %zu: \"%s\" does not mention \"%s\"", i, err_cause(&err), cases[i].want);
		err_clear(&err);
	}
	assert_int_equal(count_fds(), fds);   /* a failed start leaves nothing open */
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_target_to_path),
		cmocka_unit_test(test_clean_path),
		cmocka_unit_test(test_range),
		cmocka_unit_test(test_content_type),
		cmocka_unit_test(test_server_content_and_ports),
		cmocka_unit_test(test_server_bad_options),
	};
	int rc = cmocka_run_group_tests_name("http-seed", tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
