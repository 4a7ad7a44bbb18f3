/* test-plugin.c — unit tests of src/plugin: the wire format (messages, framing, descriptors), protocol
 * versions, the file layout and sources, the lock file, schemas from JSON, and kiln's side of a call
 * against a real plugin (tests/helpers/kiln-plugin-fixture, built on the C SDK) with a fake
 * communicator: services, and every way the plugin can fail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin/adapter.h"
#include "plugin/catalog.h"
#include "plugin/host.h"
#include "plugin/installed.h"
#include "plugin/lock.h"
#include "plugin/protocol.h"
#include "plugin/rpc.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/signals.h"

/* text contains want (the failure shows both) */
#define assert_has(text, want)                                                                     \
	do {                                                                                       \
		const char *t_ = (text);                                                           \
		if (!t_ || !strstr(t_, (want)))                                                    \
			fail_msg("\"%s\" does not contain \"%s\"", t_ ? t_ : "(null)", (want));      \
	} while (0)

/* ------------------------------------------------------------------------------------------------
 * Messages */

static void parse_ok(const char *text, enum rpc_kind kind)
{
	struct rpc_msg m;
	char *why = NULL;
	int rc = rpc_msg_parse(text, strlen(text), &m, &why);
	if (rc < 0)
		fail_msg("%s: %s", text, why);
	assert_int_equal(m.kind, kind);
	rpc_msg_free(&m);
}

static void parse_bad(const char *text, const char *want)
{
	struct rpc_msg m;
	char *why = NULL;
	if (rpc_msg_parse(text, strlen(text), &m, &why) == 0)
		fail_msg("accepted: %s", text);
	if (!strstr(why, want))
		fail_msg("%s: \"%s\" does not say \"%s\"", text, why, want);
	free(why);
}

static void test_messages(void **state)
{
	(void)state;
	parse_ok("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"handshake\",\"params\":{\"protocol\":\"1.0\"}}", RPC_REQUEST);
	parse_ok("{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"x\"}", RPC_REQUEST);
	parse_ok("{\"jsonrpc\":\"2.0\",\"method\":\"ui.say\",\"params\":{\"message\":\"hi\"}}", RPC_NOTIFICATION);
	parse_ok("{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":null}", RPC_RESPONSE);
	parse_ok("{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"fds\":1}}", RPC_RESPONSE);
	parse_ok("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"bad\"}}", RPC_RESPONSE);
	parse_bad("{\"jsonrpc\":\"2.0\",", "not JSON");
	parse_bad("[{\"jsonrpc\":\"2.0\",\"method\":\"x\"}]", "batches");
	parse_bad("{\"method\":\"x\"}", "\"jsonrpc\" must be \"2.0\"");
	parse_bad("{\"jsonrpc\":\"1.0\",\"method\":\"x\"}", "\"jsonrpc\" must be \"2.0\"");
	parse_bad("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",\"result\":{}}", "exactly one of");
	parse_bad("{\"jsonrpc\":\"2.0\",\"id\":1}", "exactly one of");
	parse_bad("{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"x\"}", "\"id\" must be");
	parse_bad("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",\"params\":[1]}", "\"params\" must be an object");
	parse_bad("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\"}", "non-empty");
	parse_bad("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":\"x\",\"message\":\"m\"}}", "integer \"code\"");
	parse_bad("{\"jsonrpc\":\"2.0\",\"result\":{}}", "needs an \"id\"");
	parse_bad("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",\"params\":{\"fds\":17}}", "\"fds\" must be");
	parse_bad("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",\"params\":{\"fds\":-1}}", "\"fds\" must be");
	parse_bad("{\"jsonrpc\":\"2.0\",\"jsonrpc\":\"2.0\",\"method\":\"x\"}", "not JSON");

	/* strings kiln sends are valid UTF-8 whatever the bytes it was given */
	json_t *s = rpc_stringn("a\xff" "b\xc3\xa9", 5);
	assert_string_equal(json_string_value(s), "a\xef\xbf\xbd" "b\xc3\xa9");
	json_decref(s);
}

static void pair(struct rpc_conn *a, struct rpc_conn *b)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	rpc_conn_init(a, sv[0]);
	rpc_conn_init(b, sv[1]);
}

/* Read from c until a message is complete (or the stream ends): rpc_next's result. */
static int next(struct rpc_conn *c, struct rpc_msg *m, struct kiln_error *err)
{
	for (int i = 0; i < 1000; i++) {
		int r = rpc_next(c, m, err);
		if (r != 0 || c->eof)
			return r;
		if (rpc_read(c, err) < 0)
			return -1;
		if (!c->eof)
			usleep(1000);
	}
	return 0;
}

static void test_framing_and_descriptors(void **state)
{
	(void)state;
	struct rpc_conn a, b;
	struct kiln_error err = ERR_INIT;
	pair(&a, &b);
	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "through the pipe", 16), 16);
	close(p[1]);
	/* two messages, the second with a descriptor, and a blank line between */
	json_t *say = rpc_notification("ui.say", json_pack("{s:s}", "message", "one"));
	assert_int_equal(rpc_queue(&a, say, NULL, 0, &err), 0);
	json_decref(say);
	buf_puts(&a.out, "\n  \n");
	json_t *r = rpc_request(5, "comm.upload", json_pack("{s:s, s:i}", "remote", "/tmp/x", "fds", 1));
	assert_int_equal(rpc_queue(&a, r, &p[0], 1, &err), 0);
	json_decref(r);
	close(p[0]); /* rpc_queue kept its own copy */
	while (rpc_pending(&a))
		assert_int_equal(rpc_flush(&a, &err), 0);

	struct rpc_msg m;
	assert_int_equal(next(&b, &m, &err), 1);
	assert_string_equal(m.method, "ui.say");
	assert_int_equal(m.nfds, 0);
	rpc_msg_free(&m);
	assert_int_equal(next(&b, &m, &err), 1);
	assert_string_equal(m.method, "comm.upload");
	assert_int_equal(m.nfds, 1);
	int fd = rpc_msg_take_fd(&m, 0);
	char got[32] = "";
	assert_int_equal(read(fd, got, sizeof got), 16);
	assert_memory_equal(got, "through the pipe", 16);
	close(fd);
	rpc_msg_free(&m);

	/* a message that declares a descriptor it did not bring */
	buf_puts(&a.out, "{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"params\":{\"fds\":1}}\n");
	assert_int_equal(rpc_flush(&a, &err), 0);
	assert_int_equal(next(&b, &m, &err), -1);
	assert_has(err_cause(&err), "declares 1 file descriptors but 0 came with it");
	err_clear(&err);

	/* garbage is quoted (printable) in the error */
	buf_puts(&a.out, "hello\x01world\n");
	assert_int_equal(rpc_flush(&a, &err), 0);
	assert_int_equal(next(&b, &m, &err), -1);
	assert_has(err_cause(&err), "not JSON");
	assert_has(err_cause(&err), "\"hello\\x01world\"");
	err_clear(&err);

	/* the stream ends in the middle of a message */
	buf_puts(&a.out, "{\"jsonrpc\":");
	assert_int_equal(rpc_flush(&a, &err), 0);
	rpc_conn_close(&a);
	assert_int_equal(next(&b, &m, &err), -1);
	assert_has(err_cause(&err), "ended inside a message");
	err_clear(&err);
	rpc_conn_close(&b);
}

static void test_protocol_versions(void **state)
{
	(void)state;
	char *why = NULL;
	assert_true(plugin_protocol_compatible("1.0", &why));
	assert_false(plugin_protocol_compatible("1.1", &why));
	assert_has(why, "speaks plugin protocol 1.1 and this kiln speaks 1.0: it needs a newer kiln");
	free(why);
	assert_false(plugin_protocol_compatible("2.0", &why));
	assert_has(why, "2.0");
	assert_has(why, "1.0");
	free(why);
	assert_false(plugin_protocol_compatible("0.9", &why));
	assert_has(why, "older kiln");
	free(why);
	assert_false(plugin_protocol_compatible("1", &why));
	assert_has(why, "not MAJOR.MINOR");
	free(why);
	assert_false(plugin_protocol_compatible("1.-1", &why));
	free(why);
}

/* ------------------------------------------------------------------------------------------------
 * Layout and sources */

static void test_layout(void **state)
{
	(void)state;
	char *n, *v, *p;
	char *file = plugin_file_name("hello-world", "1.2.0-beta.1", "1.0");
	assert_true(plugin_file_parse(file, &n, &v, &p));
	assert_string_equal(n, "hello-world");
	assert_string_equal(v, "1.2.0-beta.1");
	assert_string_equal(p, "1.0");
	free(n), free(v), free(p), free(file);
	assert_false(plugin_file_parse("kiln-plugin-hello_v1.0.0_x1.0_windows_amd64", &n, &v, &p));
	assert_false(plugin_file_parse("packer-plugin-hello_v1.0.0_x5.0_linux_amd64", &n, &v, &p));
	assert_false(plugin_file_parse("kiln-plugin-hello_vX_x1.0_linux_amd64", &n, &v, &p));
	assert_false(plugin_file_parse("kiln-plugin-_v1.0.0_x1.0_linux_amd64", &n, &v, &p));

	char *why = NULL;
	assert_true(plugin_source_valid("github.com/acme/hello", &why));
	assert_true(plugin_source_valid("git.example.org/a-b/c_d.e", &why));
	static const char *const bad[] = {"hello", "github.com/acme", "github.com/acme/hello/x", "github.com/../x",
					  "acme/hello/x", "github.com//x", "github.com/a/b/", "", NULL};
	for (size_t i = 0; bad[i]; i++) {
		if (plugin_source_valid(bad[i], &why))
			fail_msg("accepted source %s", bad[i]);
		assert_has(why, "HOST/ORG/NAME");
		free(why);
	}
	char *name = plugin_source_name("github.com/hashicorp/packer-plugin-ansible");
	assert_string_equal(name, "ansible");
	free(name);
}

/* ------------------------------------------------------------------------------------------------
 * The lock file */

static void test_lock_file(void **state)
{
	(void)state;
	struct kiln_error err = ERR_INIT;
	char *dir = tmpdir_make("test-plugin", &err);
	assert_non_null(dir);
	struct plugin_lock l;
	assert_int_equal(plugin_lock_read(dir, &l, &err), 0);
	assert_false(l.exists);
	struct strv h = STRV_INIT;
	strv_push(&h, "sha256:bbbb567890123456789012345678901234567890123456789012345678901234");
	strv_push(&h, "sha256:aaaa567890123456789012345678901234567890123456789012345678901234");
	plugin_lock_set(&l, "github.com/z/last", "2.0.0", NULL, "1.0", &h);
	plugin_lock_set(&l, "github.com/a/first", "1.2.0", ">= 1.0, < 2", "1.0", &h);
	assert_int_equal(plugin_lock_write(&l, &err), 0);
	plugin_lock_free(&l);

	struct buf text = BUF_INIT;
	char *path = path_join(dir, PLUGIN_LOCK_FILE);
	assert_int_equal(file_read_all(path, &text, &err), 0);
	/* sorted by source, hashes sorted, the constraint only where there is one */
	const char *first = strstr(buf_cstr(&text), "plugin \"github.com/a/first\" {\n  version     = \"1.2.0\"\n"
						   "  constraints = \">= 1.0, < 2\"\n  protocol    = \"1.0\"\n  hashes = [\n"
						   "    \"sha256:aaaa");
	const char *last = strstr(buf_cstr(&text), "plugin \"github.com/z/last\" {\n  version     = \"2.0.0\"\n  protocol");
	assert_non_null(first);
	assert_non_null(last);
	assert_true(first < last);

	assert_int_equal(plugin_lock_read(dir, &l, &err), 0);
	assert_true(l.exists);
	assert_int_equal(l.n, 2);
	const struct plugin_lock_entry *e = plugin_lock_find(&l, "github.com/a/first");
	assert_non_null(e);
	assert_string_equal(e->constraints, ">= 1.0, < 2");
	assert_true(plugin_lock_has_hash(e, "aaaa567890123456789012345678901234567890123456789012345678901234"));
	assert_false(plugin_lock_has_hash(e, "cccc567890123456789012345678901234567890123456789012345678901234"));
	struct strv keep = STRV_INIT;
	strv_push(&keep, "github.com/z/last");
	plugin_lock_retain(&l, &keep);
	assert_int_equal(l.n, 1);
	assert_null(plugin_lock_find(&l, "github.com/a/first"));
	plugin_lock_free(&l);

	/* a broken lock file is an error with its location */
	const char *num = "plugin \"github.com/a/b\" {\n  version = 1\n}\n";
	assert_int_equal(file_write(path, num, strlen(num), 0644, &err), 0);
	assert_int_equal(plugin_lock_read(dir, &l, &err), -1);
	assert_non_null(strstr(err_cause(&err), PLUGIN_LOCK_FILE ":2:"));
	assert_has(err_cause(&err), "must be a quoted string");
	err_clear(&err);
	plugin_lock_free(&l);
	const char *md5 = "plugin \"x\" {\n version=\"1\"\n protocol=\"1.0\"\n hashes=[\"md5:1\"]\n}\n";
	assert_int_equal(file_write(path, md5, strlen(md5), 0644, &err), 0);
	assert_int_equal(plugin_lock_read(dir, &l, &err), -1);
	assert_has(err_cause(&err), "not a checksum");
	err_clear(&err);
	plugin_lock_free(&l);

	strv_free(&keep);
	strv_free(&h);
	buf_free(&text);
	free(path);
	tmpdir_release(dir);
	free(dir);
}

/* ------------------------------------------------------------------------------------------------
 * Descriptions: the components a plugin says it provides, with schemas in docs/schema.md's form */

static int check_description(const char *text, struct kiln_error *err)
{
	json_t *j = json_loads(text, 0, NULL);
	assert_non_null(j);
	int rc = plugin_components_check(j, err);
	json_decref(j);
	return rc;
}

static void description_bad(const char *text, const char *want)
{
	struct kiln_error err = ERR_INIT;
	if (check_description(text, &err) == 0)
		fail_msg("accepted: %s", text);
	char *t = err_text(&err);
	assert_has(t, want);
	free(t);
	err_clear(&err);
}

static void test_descriptions(void **state)
{
	(void)state;
	struct kiln_error err = ERR_INIT;
	assert_int_equal(check_description(
				 "{\"provisioners\": {\"\": {\"description\": \"x\", \"schema\": {\"attributes\": ["
				 "{\"name\": \"a\", \"type\": \"string\", \"description\": \"the a\", \"default\": \"x\","
				 " \"allowed\": [\"x\", \"y\"]},"
				 "{\"name\": \"c\", \"description\": \"c blocks\", \"repeated\": true, \"block\": {\"attributes\": ["
				 "{\"name\": \"d\", \"type\": \"number\", \"description\": \"the d\"}]}}]}},"
				 " \"local\": {\"description\": \"no settings\"}},"
				 " \"data_sources\": {\"\": {\"output_type\": \"object({a=string})\"}}}",
				 &err), 0);
	description_bad("{\"provisioners\": []}", "\"provisioners\" must be an object");
	description_bad("{\"provisioners\": {\"Bad\": {}}}", "provisioner \"Bad\": a component's name is lowercase");
	description_bad("{\"provisioners\": {\"\": {\"schema\": {\"attributes\": [{\"name\": \"a\", \"type\": \"string\"}]}}}}",
			"provisioner \"\": its schema");
	description_bad("{\"provisioners\": {\"\": {\"schema\": {\"attributes\": [{\"name\": \"a\", \"type\": \"strin\","
			" \"description\": \"x\"}]}}}}",
			"its schema");
	description_bad("{\"data_sources\": {\"\": {\"output_type\": \"object({a=\"}}}", "is not an HCL type");
}

/* ------------------------------------------------------------------------------------------------
 * Calls against the fixture plugin, with a fake communicator */

struct fake_comm {
	struct kiln_comm base;
	struct strv calls;            /* "exec CMD", "upload REMOTE = CONTENT", ... */
};

static int fake_exec(struct kiln_comm *c, const char *command, kiln_line_fn on_line, void *arg, int *exit_status,
		     struct kiln_error *err)
{
	struct fake_comm *f = (struct fake_comm *)c;
	strv_pushf(&f->calls, "exec %s", command);
	on_line(arg, false, "line one");
	on_line(arg, true, "line two");
	*exit_status = strcmp(command, "false") == 0 ? 1 : 0;
	return 0;
}

static int fake_upload_file(struct kiln_comm *c, const char *local, const char *remote, struct kiln_error *err)
{
	struct fake_comm *f = (struct fake_comm *)c;
	struct buf b = BUF_INIT;
	if (file_read_all(local, &b, err) < 0)
		return -1;
	struct stat st;
	stat(local, &st);
	char *base = path_basename(local);
	strv_pushf(&f->calls, "upload %s as %s (%o) = %s", remote, base, (unsigned)(st.st_mode & 0777), buf_cstr(&b));
	free(base);
	buf_free(&b);
	return 0;
}

static int fake_download_file(struct kiln_comm *c, const char *remote, const char *local, struct kiln_error *err)
{
	struct fake_comm *f = (struct fake_comm *)c;
	strv_pushf(&f->calls, "download %s", remote);
	return file_write(local, "remote bytes", 12, 0600, err);
}

static const struct kiln_comm_ops fake_ops = {
	.exec = fake_exec,
	.upload_file = fake_upload_file,
	.download_file = fake_download_file,
};

static const char *fixture(void)
{
	static char path[4096];
	const char *b = getenv("KILN_BUILDDIR");
	snprintf(path, sizeof path, "%s/tests/helpers/kiln-plugin-fixture", b ? b : ".");
	return path;
}

/* Open the fixture and prepare its provisioner with the given config (JSON text). */
static struct plugin_conn *prepared(const char *config)
{
	struct plugin_conn *c = NULL;
	struct kiln_error err = ERR_INIT;
	if (plugin_open(fixture(), NULL, &c, &err) < 0)
		fail_msg("open: %s", err_text(&err));
	json_t *res = NULL;
	json_t *params = json_pack("{s:s, s:s, s:o, s:[]}", "kind", "provisioner", "name", "", "config",
				   json_loads(config, 0, NULL), "unknown");
	struct plugin_services none = {0};
	if (plugin_call(c, &none, "prepare", params, 5000, &res, &err) < 0)
		fail_msg("prepare: %s", err_text(&err));
	json_decref(res);
	return c;
}

static int provision(struct plugin_conn *c, struct fake_comm *fc, struct kiln_error *err)
{
	struct plugin_services svc = {.comm = fc ? &fc->base : NULL};
	json_t *res = NULL;
	json_t *params = json_pack("{s:{s:s, s:{s:s}, s:b}}", "build", "name", "null.box", "values", "Host", "10.0.0.9",
				   "communicator", fc != NULL);
	int rc = plugin_call(c, &svc, "provision", params, 0, &res, err);
	json_decref(res);
	return rc;
}

static void test_handshake_and_describe(void **state)
{
	(void)state;
	struct plugin_conn *c;
	struct kiln_error err = ERR_INIT;
	assert_int_equal(plugin_open(fixture(), NULL, &c, &err), 0);
	assert_string_equal(c->version, "0.3.0");
	assert_string_equal(c->protocol, "1.0");
	assert_string_equal(c->name, "fixture");
	plugin_close(c);
	json_t *desc = NULL;
	assert_int_equal(plugin_describe(fixture(), NULL, &desc, &err), 0);
	assert_true(json_is_object(json_object_get(json_object_get(desc, "provisioners"), "")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(desc, "data_sources"), ""),
							      "output_type")),
			    "object({value=string, pid=number})");
	assert_int_equal(plugin_components_check(desc, &err), 0);
	json_decref(desc);

	/* not a plugin at all: the handshake fails and says so */
	assert_int_equal(plugin_open("/bin/true", NULL, &c, &err), -1);
	assert_has(err_cause(&err), "stopped during handshake: it exited with status 0");
	assert_has(err.hint, "is it a kiln plugin");
	err_clear(&err);
}

static void test_services(void **state)
{
	(void)state;
	struct kiln_error err = ERR_INIT;
	char *dir = tmpdir_make("test-plugin", &err);
	char *local = path_join(dir, "motd");
	assert_int_equal(file_write(local, "hello there", 11, 0640, &err), 0);
	char *fetched = path_join(dir, "fetched");
	char *cfg = xasprintf("{\"command\": \"echo hi\", \"stream\": true, \"file\": \"%s\", \"destination\": \"/tmp/m\","
			      " \"fetch\": \"/etc/x\", \"fetch_to\": \"%s\"}", local, fetched);
	struct plugin_conn *c = prepared(cfg);
	struct fake_comm fc = {{&fake_ops, NULL, "fake"}, STRV_INIT};
	assert_int_equal(provision(c, &fc, &err), 0);
	assert_int_equal(fc.calls.n, 3);
	assert_string_equal(fc.calls.v[0], "exec echo hi");
	assert_string_equal(fc.calls.v[1], "upload /tmp/m as motd (640) = hello there");
	assert_string_equal(fc.calls.v[2], "download /etc/x");
	struct buf b = BUF_INIT;
	assert_int_equal(file_read_all(fetched, &b, &err), 0);
	assert_string_equal(buf_cstr(&b), "remote bytes");
	buf_free(&b);
	/* the link kiln made to give the upload its name is gone after the call */
	plugin_close(c);
	strv_free(&fc.calls);

	/* a command that fails: the plugin's own message */
	c = prepared("{\"command\": \"false\"}");
	fc = (struct fake_comm){{&fake_ops, NULL, "fake"}, STRV_INIT};
	assert_int_equal(provision(c, &fc, &err), -1);
	assert_string_equal(err_cause(&err), "the command exited with status 1");
	err_clear(&err);
	plugin_close(c);
	strv_free(&fc.calls);

	/* no communicator: kiln says so, and the plugin passes it on */
	c = prepared("{\"command\": \"true\"}");
	assert_int_equal(provision(c, NULL, &err), -1);
	assert_has(err_cause(&err), "has no communicator");
	err_clear(&err);
	plugin_close(c);

	/* a failure with a hint */
	c = prepared("{\"mode\": \"fail\", \"message\": \"nope\"}");
	assert_int_equal(provision(c, NULL, &err), -1);
	assert_string_equal(err_cause(&err), "nope");
	assert_string_equal(err.hint, "the fixture was told to fail");
	char *t = err_text(&err);
	assert_has(t, "plugin kiln-plugin-fixture 0.3.0: nope");
	free(t);
	err_clear(&err);
	plugin_close(c);

	free(cfg);
	free(local);
	free(fetched);
	tmpdir_release(dir);
	free(dir);
}

static void test_prepare_errors(void **state)
{
	(void)state;
	struct plugin_conn *c;
	struct kiln_error err = ERR_INIT;
	assert_int_equal(plugin_open(fixture(), NULL, &c, &err), 0);
	json_t *res = NULL;
	struct plugin_services none = {0};
	json_t *params = json_pack("{s:s, s:s, s:{s:s}}", "kind", "provisioner", "name", "", "config", "mode", "dance");
	assert_int_equal(plugin_call(c, &none, "prepare", params, 5000, &res, &err), -1);
	assert_int_equal(c->last_code, RPC_INVALID_CONFIG);
	assert_string_equal(json_string_value(json_object_get(c->last_data, "attribute")), "mode");
	assert_true(err_is(&err, ERR_INVALID));
	err_clear(&err);
	/* the connection still serves after an error answer */
	params = json_pack("{s:s, s:s}", "kind", "builder", "name", "");
	assert_int_equal(plugin_call(c, &none, "prepare", params, 5000, &res, &err), -1);
	assert_int_equal(c->last_code, RPC_UNSUPPORTED);
	err_clear(&err);
	assert_int_equal(plugin_call(c, &none, "no-such-method", NULL, 5000, &res, &err), -1);
	assert_int_equal(c->last_code, RPC_METHOD_NOT_FOUND);
	err_clear(&err);
	plugin_close(c);
}

static void expect_failure(const char *config, const char *want1, const char *want2, enum err_kind kind)
{
	struct kiln_error err = ERR_INIT;
	struct plugin_conn *c = prepared(config);
	assert_int_equal(provision(c, NULL, &err), -1);
	char *t = err_text(&err);
	if (!strstr(t, want1) || (want2 && !strstr(t, want2)))
		fail_msg("\"%s\" does not say \"%s\" and \"%s\"", t, want1, want2 ? want2 : "");
	assert_has(t, "plugin kiln-plugin-fixture 0.3.0");
	if (!err_is(&err, kind))
		fail_msg("%s: kind %d, want %d", t, err.kind, kind);
	free(t);
	err_clear(&err);
	assert_true(c->dead);
	plugin_close(c);
}

static void test_misbehaving_plugins(void **state)
{
	(void)state;
	setenv("KILN_PLUGIN_CANCEL_GRACE", "300ms", 1);
	expect_failure("{\"mode\": \"crash\"}", "crashed during provision: it was killed by signal 11",
		       "its last output:\n    fixture: about to crash", ERR_GENERIC);
	expect_failure("{\"mode\": \"exit\"}", "stopped during provision: it exited with status 3", "about to exit",
		       ERR_GENERIC);
	expect_failure("{\"mode\": \"garbage\"}", "broke the protocol during provision",
		       "\"this is not JSON\"", ERR_GENERIC);

	/* hangs past its deadline: cancel, then killed after the grace period */
	struct kiln_error err = ERR_INIT;
	struct plugin_conn *c = prepared("{\"mode\": \"hang\"}");
	struct plugin_services none = {0};
	json_t *res = NULL;
	assert_int_equal(plugin_call(c, &none, "provision", NULL, 300, &res, &err), -1);
	char *t = err_text(&err);
	assert_has(t, "did not stop within 300ms of being cancelled (timeout) during provision, and was killed");
	assert_has(t, "fixture: about to hang");
	assert_true(err_is(&err, ERR_TIMEOUT));
	free(t);
	err_clear(&err);
	plugin_close(c);

	/* answers cancel: stops at once, and the error says cancelled */
	c = prepared("{\"mode\": \"wait-cancel\"}");
	long start = time(NULL);
	assert_int_equal(plugin_call(c, &none, "provision", NULL, 300, &res, &err), -1);
	assert_true(time(NULL) - start < 3);
	assert_true(err_is(&err, ERR_TIMEOUT));
	assert_has(err_cause(&err), "stopped after cancel");
	err_clear(&err);
	assert_false(c->dead);
	plugin_close(c);
	unsetenv("KILN_PLUGIN_CANCEL_GRACE");
}

/* Every message docs/plugins.md shows (lines "-> {...}" and "<- {...}" in ```jsonrpc blocks) is a
 * valid message, and every method it names is one of the protocol's, on the right side. */
static void test_documented_messages(void **state)
{
	(void)state;
	static const char *const kiln_calls[] = {"handshake", "describe", "prepare", "provision", "post_process",
						  "execute", "build", "cancel", "comm.output", NULL};
	static const char *const plugin_calls[] = {"ui.say", "ui.message", "ui.error", "ui.warn", "ui.progress",
						    "ui.secret", "log", "comm.exec", "comm.upload", "comm.download",
						    "comm.is_dir", "comm.reconnect", "artifact.open", NULL};
	const char *src = getenv("KILN_SRCDIR");
	char *path = xasprintf("%s/docs/plugins.md", src ? src : "..");
	struct buf text = BUF_INIT;
	struct kiln_error err = ERR_INIT;
	assert_int_equal(file_read_all(path, &text, &err), 0);
	bool in_block = false;
	size_t n = 0, lineno = 0;
	for (char *line = text.data, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		if (strncmp(line, "```", 3) == 0) {
			in_block = strcmp(line, "```jsonrpc") == 0;
			continue;
		}
		if (!in_block)
			continue;
		bool from_kiln = strncmp(line, "-> ", 3) == 0;
		if (!from_kiln && strncmp(line, "<- ", 3) != 0)
			fail_msg("docs/plugins.md:%zu: a jsonrpc block line starts with -> or <-", lineno);
		struct rpc_msg m;
		char *why = NULL;
		if (rpc_msg_parse(line + 3, strlen(line + 3), &m, &why) < 0)
			fail_msg("docs/plugins.md:%zu: %s", lineno, why);
		if (m.method) {
			const char *const *known = from_kiln ? kiln_calls : plugin_calls;
			bool ok = false;
			for (size_t i = 0; known[i]; i++)
				ok = ok || strcmp(known[i], m.method) == 0;
			if (!ok)
				fail_msg("docs/plugins.md:%zu: %s is not a method %s calls", lineno, m.method,
					 from_kiln ? "kiln" : "a plugin");
		}
		rpc_msg_free(&m);
		n++;
	}
	assert_true(n >= 40);
	buf_free(&text);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_documented_messages),
		cmocka_unit_test(test_framing_and_descriptors),
		cmocka_unit_test(test_protocol_versions),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_lock_file),
		cmocka_unit_test(test_descriptions),
		cmocka_unit_test(test_handshake_and_describe),
		cmocka_unit_test(test_services),
		cmocka_unit_test(test_prepare_errors),
		cmocka_unit_test(test_misbehaving_plugins),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
