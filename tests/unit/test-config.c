/* test-config.c — kiln's configuration file (host blocks, sizes, defaults, every mistake a diagnostic
 * at file:line:col) and the pool of a run (-hosts, KILN_HOSTS, the file's hosts; names and URIs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "util/file.h"
#include "util/mem.h"

static char *dir;

static char *write_config(const char *text)
{
	struct kiln_error e = ERR_INIT;
	if (!dir)
		dir = tmpdir_make("kiln-config-test", &e);
	char *p = path_join(dir, "config.hcl");
	assert_int_equal(file_write(p, text, strlen(text), 0644, &e), 0);
	return p;
}

/* Load text; returns the rendered summaries and subjects of the diagnostics ("L:C summary; ..."). */
static char *load(const char *text, struct config *c, int *rc)
{
	char *p = write_config(text);
	struct hcl_fileset files = HCL_FILESET_INIT;
	struct hcl_diags d = HCL_DIAGS_INIT;
	*rc = config_load(p, c, &files, &d);
	struct buf out = BUF_INIT;
	for (size_t i = 0; i < d.n; i++)
		buf_printf(&out, "%d:%d %s: %s\n", d.v[i].subject.start.line, d.v[i].subject.start.column, d.v[i].summary,
			   d.v[i].detail ? d.v[i].detail : "");
	hcl_diags_free(&d);
	hcl_fileset_free(&files);
	free(p);
	return buf_detach(&out);
}

static void test_hosts(void **state)
{
	(void)state;
	struct config c;
	int rc;
	char *d = load("host \"rack1\" {\n"
		       "  uri            = \"qemu+ssh://builder@rack1/system\"\n"
		       "  max_builds     = 4\n"
		       "  reserve_memory = \"2G\"\n"
		       "  storage_pool   = \"images\"\n"
		       "  cache_size     = 512\n"
		       "}\n"
		       "host \"local\" { uri = \"qemu:///system\" }\n",
		       &c, &rc);
	assert_string_equal(d, "");
	assert_int_equal(rc, 0);
	assert_int_equal(c.nhosts, 2);
	assert_string_equal(c.hosts[0].name, "rack1");
	assert_string_equal(c.hosts[0].uri, "qemu+ssh://builder@rack1/system");
	assert_int_equal(c.hosts[0].max_builds, 4);
	assert_int_equal(c.hosts[0].reserve_memory, 2ULL << 30);
	assert_string_equal(c.hosts[0].storage_pool, "images");
	assert_int_equal(c.hosts[0].cache_size, 512ULL << 20);   /* a bare number is MiB */
	/* defaults */
	assert_int_equal(c.hosts[1].max_builds, 0);
	assert_int_equal(c.hosts[1].reserve_memory, 0);
	assert_null(c.hosts[1].storage_pool);
	assert_int_equal(c.hosts[1].cache_size, CONFIG_DEFAULT_CACHE_SIZE);
	free(d);

	/* the pool: every host of the file, by default */
	unsetenv("KILN_HOSTS");
	struct config_pool p;
	struct kiln_error e = ERR_INIT;
	assert_int_equal(config_pool(&c, NULL, &p, &e), 0);
	assert_int_equal(p.n, 2);
	assert_string_equal(p.hosts[0].name, "rack1");
	assert_int_equal(p.hosts[0].max_builds, 4);
	config_pool_free(&p);
	/* names and URIs; the URI of a host of the file takes its settings and name */
	assert_int_equal(config_pool(&c, "local, qemu+ssh://builder@rack1/system,qemu+tcp://127.0.0.1:16509/session", &p, &e), 0);
	assert_int_equal(p.n, 3);
	assert_string_equal(p.hosts[0].name, "local");
	assert_string_equal(p.hosts[1].name, "rack1");
	assert_string_equal(p.hosts[1].storage_pool, "images");
	assert_string_equal(p.hosts[2].name, "127.0.0.1:16509");
	assert_string_equal(p.hosts[2].uri, "qemu+tcp://127.0.0.1:16509/session");
	assert_int_equal(p.hosts[2].cache_size, CONFIG_DEFAULT_CACHE_SIZE);
	config_pool_free(&p);
	/* KILN_HOSTS when -hosts is not given */
	setenv("KILN_HOSTS", "rack1", 1);
	assert_int_equal(config_pool(&c, NULL, &p, &e), 0);
	assert_int_equal(p.n, 1);
	config_pool_free(&p);
	unsetenv("KILN_HOSTS");
	/* mistakes */
	assert_int_equal(config_pool(&c, "rack2", &p, &e), -1);
	assert_non_null(strstr(err_cause(&e), "-hosts: \"rack2\" is neither a libvirt URI nor a host of"));
	err_clear(&e);
	assert_int_equal(config_pool(&c, "rack1,qemu+ssh://builder@rack1/system", &p, &e), -1);
	assert_non_null(strstr(err_cause(&e), "names qemu+ssh://builder@rack1/system twice"));
	err_clear(&e);
	config_free(&c);
}

static void test_mistakes(void **state)
{
	(void)state;
	struct config c;
	int rc;
	char *d = load("host \"a\" {\n"
		       "  uri = \"qemu+ssh://a/system\"\n"
		       "  max_build = 2\n"
		       "}\n"
		       "host \"b\" {\n"
		       "  reserve_memory = \"lots\"\n"
		       "}\n"
		       "host \"c\" { uri = \"rack3\" }\n"
		       "host \"a\" { uri = \"qemu:///system\" }\n"
		       "hosts \"d\" {}\n"
		       "cache_size = 3\n"
		       "host { uri = \"qemu:///system\" }\n"
		       "host \"e\" {\n  uri = \"qemu:///system\"\n  max_builds = -1\n}\n",
		       &c, &rc);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(d, "3:3 Unsupported argument: An argument named \"max_build\" is not expected here. Did you mean \"max_builds\"?"));
	assert_non_null(strstr(d, "6:3 Invalid size: reserve_memory: invalid size \"lots\""));
	assert_non_null(strstr(d, "8:12 Invalid libvirt URI: \"rack3\" is not a libvirt URI"));
	assert_non_null(strstr(d, "9:6 Duplicate host: A host named \"a\" was already defined."));
	assert_non_null(strstr(d, "10:1 Unsupported block type: Blocks of type \"hosts\" are not expected here. Did you mean \"host\"?"));
	assert_non_null(strstr(d, "11:1 Unsupported argument"));
	assert_non_null(strstr(d, "12:1 Missing name for host"));
	assert_non_null(strstr(d, "15:3 Invalid value: max_builds must be a whole number from 0 to 1024."));
	free(d);
	config_free(&c);
	/* a host without a uri */
	d = load("host \"x\" {\n}\n", &c, &rc);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(d, "Missing required argument: The argument \"uri\" is required"));
	free(d);
	config_free(&c);
}

static void test_default_path_and_names(void **state)
{
	(void)state;
	setenv("KILN_CONFIG", "/etc/kiln.hcl", 1);
	char *p = config_default_path();
	assert_string_equal(p, "/etc/kiln.hcl");
	free(p);
	unsetenv("KILN_CONFIG");
	setenv("XDG_CONFIG_HOME", "/x", 1);
	p = config_default_path();
	assert_string_equal(p, "/x/kiln/config.hcl");
	free(p);
	/* no file at the default path: an empty configuration, no error */
	setenv("XDG_CONFIG_HOME", "/nonexistent-kiln-dir", 1);
	struct config c;
	struct hcl_fileset files = HCL_FILESET_INIT;
	struct hcl_diags d = HCL_DIAGS_INIT;
	assert_int_equal(config_load(NULL, &c, &files, &d), 0);
	assert_int_equal(c.nhosts, 0);
	assert_null(c.path);
	config_free(&c);
	hcl_fileset_free(&files);
	const char *uris[][2] = {
		{"qemu:///system", "local"}, {"qemu:///session", "session"}, {"qemu+ssh://builder@rack1/system", "rack1"},
		{"qemu+ssh://rack1:2222/system?keyfile=/k", "rack1:2222"}, {"qemu+tcp://127.0.0.1:16509/session", "127.0.0.1:16509"},
		{"qemu+tls://[::1]/system", "[::1]"},
	};
	for (size_t i = 0; i < sizeof uris / sizeof uris[0]; i++) {
		char *n = config_host_name_from_uri(uris[i][0]);
		assert_string_equal(n, uris[i][1]);
		free(n);
	}
	/* two URIs naming the same host are told apart */
	struct config empty = {0};
	struct config_pool pool;
	struct kiln_error e = ERR_INIT;
	assert_int_equal(config_pool(&empty, "qemu+ssh://r/system,qemu+ssh://r/session", &pool, &e), 0);
	assert_string_equal(pool.hosts[0].name, "r");
	assert_string_equal(pool.hosts[1].name, "r#2");
	config_pool_free(&pool);
}

static int teardown(void **state)
{
	(void)state;
	if (dir)
		tmpdir_release(dir);
	free(dir);
	dir = NULL;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hosts),
		cmocka_unit_test(test_mistakes),
		cmocka_unit_test(test_default_path_and_names),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
