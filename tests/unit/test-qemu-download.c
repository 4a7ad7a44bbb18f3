/* test-qemu-download.c — the download cache against a local HTTP server (libmicrohttpd on 127.0.0.1):
 * content addressing, mismatch discards, mirrors in order, resume after a cut transfer, servers that
 * ignore ranges, SUMS files, local files used in place, and the lock shared by parallel builds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qemu/download.h"
#include "ui/ui.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/hash.h"
#include "util/mem.h"

#define BLOB_SIZE (3 * 1024 * 1024 + 123)

static unsigned char *blob;
static char *blob_sha256;
static struct MHD_Daemon *httpd;
static unsigned port;
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static int requests_blob;
static long last_range_start = -1;

struct cut_state {
	size_t limit;
};

static ssize_t cut_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct cut_state *s = cls;
	if (pos >= s->limit)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	size_t n = s->limit - (size_t)pos;
	if (n > max)
		n = max;
	memcpy(buf, blob + pos, n);
	return (ssize_t)n;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const void *data, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
			       const char *version, const char *upload, size_t *upload_size, void **ptr)
{
	(void)cls;
	(void)method;
	(void)version;
	(void)upload;
	(void)upload_size;
	(void)ptr;
	if (strcmp(url, "/blob.iso") == 0 || strcmp(url, "/mirror/blob.iso") == 0) {
		const char *range = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Range");
		long start = 0;
		pthread_mutex_lock(&stats_lock);
		requests_blob++;
		if (range && sscanf(range, "bytes=%ld-", &start) == 1)
			last_range_start = start;
		pthread_mutex_unlock(&stats_lock);
		if (start >= BLOB_SIZE)
			return reply(conn, 416, "", 0);
		struct MHD_Response *r = MHD_create_response_from_buffer(BLOB_SIZE - (size_t)start, blob + start,
									 MHD_RESPMEM_PERSISTENT);
		unsigned status = 200;
		if (start > 0) {
			char cr[96];
			snprintf(cr, sizeof cr, "bytes %ld-%d/%d", start, BLOB_SIZE - 1, BLOB_SIZE);
			MHD_add_response_header(r, "Content-Range", cr);
			status = 206;
		}
		enum MHD_Result ret = MHD_queue_response(conn, status, r);
		MHD_destroy_response(r);
		return ret;
	}
	if (strcmp(url, "/norange/blob.iso") == 0) {
		pthread_mutex_lock(&stats_lock);
		requests_blob++;
		pthread_mutex_unlock(&stats_lock);
		return reply(conn, 200, blob, BLOB_SIZE);
	}
	if (strcmp(url, "/cut/blob.iso") == 0) {
		static struct cut_state half = {BLOB_SIZE / 2};
		struct MHD_Response *r = MHD_create_response_from_callback(BLOB_SIZE, 64 * 1024, cut_reader, &half, NULL);
		enum MHD_Result ret = MHD_queue_response(conn, 200, r);
		MHD_destroy_response(r);
		return ret;
	}
	if (strcmp(url, "/SHA256SUMS") == 0) {
		char *text = xasprintf("0000000000000000000000000000000000000000000000000000000000000000  other.iso\n"
				       "%s *blob.iso\n", blob_sha256);
		enum MHD_Result ret = reply(conn, 200, text, strlen(text));
		free(text);
		return ret;
	}
	return reply(conn, 404, "not found", 9);
}

static int setup(void **state)
{
	(void)state;
	struct ui_settings s = {.out = stderr, .err = stderr, .color = UI_COLOR_NEVER};
	ui_configure(&s);
	blob = xmalloc(BLOB_SIZE);
	uint32_t x = 12345;
	for (size_t i = 0; i < BLOB_SIZE; i++) {
		x = x * 1103515245u + 12345u;
		blob[i] = (unsigned char)(x >> 16);
	}
	blob_sha256 = hash_hex("sha256", blob, BLOB_SIZE);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	httpd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handler, NULL,
				 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_END);
	if (!httpd)
		return -1;
	port = MHD_get_daemon_info(httpd, MHD_DAEMON_INFO_BIND_PORT)->port;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	MHD_stop_daemon(httpd);
	free(blob);
	free(blob_sha256);
	return 0;
}

static char *url_for(const char *path)
{
	return xasprintf("http://127.0.0.1:%u%s", port, path);
}

static char *make_cache(void)
{
	struct kiln_error err = ERR_INIT;
	char *d = tmpdir_make("kiln-test-cache", &err);
	assert_non_null(d);
	return d;
}

static void assert_file_is_blob(const char *path)
{
	struct buf b = BUF_INIT;
	struct kiln_error err = ERR_INIT;
	assert_int_equal(file_read_all(path, &b, &err), 0);
	assert_int_equal(b.len, BLOB_SIZE);
	assert_memory_equal(b.data, blob, BLOB_SIZE);
	buf_free(&b);
}

static int count_files(const char *dir)
{
	char *cmd = xasprintf("find '%s' -type f ! -name '*.lock' | wc -l", dir);
	FILE *p = popen(cmd, "r");
	int n = -1;
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%d", &n), 1);
	pclose(p);
	free(cmd);
	return n;
}

static int count_locks(const char *dir)
{
	char *cmd = xasprintf("find '%s' -name '*.lock' | wc -l", dir);
	FILE *p = popen(cmd, "r");
	int n = -1;
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%d", &n), 1);
	pclose(p);
	free(cmd);
	return n;
}

static int fetch(char **urls, size_t n, const char *checksum, const char *cache, struct qemu_fetch_result *res,
		 struct kiln_error *err)
{
	struct qemu_fetch_req req = {.urls = urls, .nurls = n, .checksum = checksum, .cache_dir = cache};
	return qemu_fetch(&req, res, err);
}

static void test_download_is_content_addressed_and_cached(void **state)
{
	(void)state;
	char *cache = make_cache();
	char *url = url_for("/blob.iso");
	char *sum = xasprintf("sha256:%s", blob_sha256);
	struct qemu_fetch_result res;
	struct kiln_error err = ERR_INIT;
	requests_blob = 0;
	assert_int_equal(fetch(&url, 1, sum, cache, &res, &err), 0);
	char *want = xasprintf("%s/sha256/%s.iso", cache, blob_sha256);
	assert_string_equal(res.path, want);
	assert_false(res.cached);
	assert_false(res.in_place);
	assert_string_equal(res.checksum, sum);
	assert_file_is_blob(res.path);
	qemu_fetch_result_free(&res);

	/* the second build finds it: no request at all, even from another URL with the same digest */
	char *mirror = url_for("/mirror/blob.iso");
	assert_int_equal(fetch(&mirror, 1, sum, cache, &res, &err), 0);
	assert_true(res.cached);
	assert_string_equal(res.path, want);
	assert_int_equal(requests_blob, 1);
	qemu_fetch_result_free(&res);
	free(mirror);
	free(want);
	free(sum);
	free(url);
	tmpdir_release(cache);
	free(cache);
}

static void test_mismatch_discards_and_names_both_digests(void **state)
{
	(void)state;
	char *cache = make_cache();
	char *url = url_for("/blob.iso");
	const char *wrong = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
	struct qemu_fetch_result res;
	struct kiln_error err = ERR_INIT;
	assert_int_equal(fetch(&url, 1, wrong, cache, &res, &err), -1);
	char *text = err_text(&err);
	assert_non_null(strstr(text, "checksum mismatch"));
	assert_non_null(strstr(text, "expected sha256:1111111111111111111111111111111111111111111111111111111111111111"));
	char *got = xasprintf("got sha256:%s", blob_sha256);
	assert_non_null(strstr(text, got));
	free(got);
	free(text);
	err_clear(&err);
	assert_int_equal(count_files(cache), 0);
	assert_int_equal(count_locks(cache), 0); /* a failed download leaves no lock file either */
	free(url);
	tmpdir_release(cache);
	free(cache);
}

static void test_mirrors_in_order(void **state)
{
	(void)state;
	char *cache = make_cache();
	char *urls[] = {url_for("/missing.iso"), url_for("/blob.iso")};
	char *sum = xasprintf("%s", blob_sha256);   /* bare digest: sha256 by its length */
	struct qemu_fetch_result res;
	struct kiln_error err = ERR_INIT;
	assert_int_equal(fetch(urls, 2, sum, cache, &res, &err), 0);
	assert_string_equal(res.url, urls[1]);
	assert_file_is_blob(res.path);
	qemu_fetch_result_free(&res);
	tmpdir_release(cache);
	free(cache);

	/* all failing: every URL is named */
	cache = make_cache();
	char *bad[] = {url_for("/missing.iso"), url_for("/gone.iso")};
	assert_int_equal(fetch(bad, 2, sum, cache, &res, &err), -1);
	char *text = err_text(&err);
	assert_non_null(strstr(text, "/missing.iso: HTTP status 404"));
	assert_non_null(strstr(text, "/gone.iso: HTTP status 404"));
	free(text);
	err_clear(&err);
	for (int i = 0; i < 2; i++) {
		free(urls[i]);
		free(bad[i]);
	}
	free(sum);
	tmpdir_release(cache);
	free(cache);
}

static void test_resume_after_cut(void **state)
{
	(void)state;
	char *cache = make_cache();
	char *cut = url_for("/cut/blob.iso");
	char *full = url_for("/blob.iso");
	char *sum = xasprintf("sha256:%s", blob_sha256);
	struct qemu_fetch_result res;
	struct kiln_error err = ERR_INIT;
	assert_int_equal(fetch(&cut, 1, sum, cache, &res, &err), -1);
	err_clear(&err);
	char *part = xasprintf("%s/sha256/%s.iso.part", cache, blob_sha256);
	off_t size = 0;
	assert_int_equal(file_size(part, &size, &err), 0);
	assert_true(size > 0 && size < BLOB_SIZE);

	last_range_start = -1;
	assert_int_equal(fetch(&full, 1, sum, cache, &res, &err), 0);
	assert_int_equal(last_range_start, (long)size);
	assert_file_is_blob(res.path);
	assert_false(file_exists(part));
	qemu_fetch_result_free(&res);
	free(part);
	free(cut);
	free(full);
	free(sum);
	tmpdir_release(cache);
	free(cache);
}

static void test_server_ignoring_range_starts_over(void **state)
{
	(void)state;
	char *cache = make_cache();
	char *url = url_for("/norange/blob.iso");
	char *sum = xasprintf("sha256:%s", blob_sha256);
	struct kiln_error err = ERR_INIT;
	char *dir = xasprintf("%s/sha256", cache);
	assert_int_equal(mkdir_p(dir, 0755, &err), 0);
	char *part = xasprintf("%s/%s.iso.part", dir, blob_sha256);
	assert_int_equal(file_write(part, "garbage that is not the start of the file", 41, 0644, &err), 0);
	struct qemu_fetch_result res;
	assert_int_equal(fetch(&url, 1, sum, cache, &res, &err), 0);
	assert_file_is_blob(res.path);
	qemu_fetch_result_free(&res);
	free(part);
	free(dir);
	free(url);
	free(sum);
	tmpdir_release(cache);
	free(cache);
}

static void test_sums_file_over_http(void **state)
{
	(void)state;
	char *cache = make_cache();
	char *url = url_for("/blob.iso");
	char *sums = url_for("/SHA256SUMS");
	char *spec = xasprintf("file:%s", sums);
	struct qemu_fetch_result res;
	struct kiln_error err = ERR_INIT;
	assert_int_equal(fetch(&url, 1, spec, cache, &res, &err), 0);
	char *want = xasprintf("sha256:%s", blob_sha256);
	assert_string_equal(res.checksum, want);
	assert_file_is_blob(res.path);
	qemu_fetch_result_free(&res);
	free(want);
	free(spec);
	free(sums);
	free(url);
	tmpdir_release(cache);
	free(cache);
}

static void test_none_is_keyed_by_url(void **state)
{
	(void)state;
	char *cache = make_cache();
	char *url = url_for("/blob.iso");
	struct qemu_fetch_result res;
	struct kiln_error err = ERR_INIT;
	assert_int_equal(fetch(&url, 1, "none", cache, &res, &err), 0);
	char *key = hash_hex("sha256", url, strlen(url));
	char *want = xasprintf("%s/url/%s.iso", cache, key);
	assert_string_equal(res.path, want);
	assert_string_equal(res.checksum, "none");
	assert_file_is_blob(res.path);
	qemu_fetch_result_free(&res);
	free(want);
	free(key);
	free(url);
	tmpdir_release(cache);
	free(cache);
}

static void test_local_files_are_used_in_place(void **state)
{
	(void)state;
	char *cache = make_cache();
	char *dir = make_cache();
	char *path = xasprintf("%s/base.qcow2", dir);
	struct kiln_error err = ERR_INIT;
	assert_int_equal(file_write(path, blob, BLOB_SIZE, 0644, &err), 0);
	char *sum = xasprintf("sha256:%s", blob_sha256);
	struct qemu_fetch_result res;

	char *rel = xstrdup("base.qcow2");
	struct qemu_fetch_req req = {.urls = &rel, .nurls = 1, .checksum = sum, .cache_dir = cache, .base_dir = dir};
	assert_int_equal(qemu_fetch(&req, &res, &err), 0);
	assert_true(res.in_place);
	assert_string_equal(res.path, path);
	qemu_fetch_result_free(&res);

	char *furl = xasprintf("file://%s", path);
	assert_int_equal(fetch(&furl, 1, sum, cache, &res, &err), 0);
	assert_true(res.in_place);
	assert_string_equal(res.path, path);
	qemu_fetch_result_free(&res);

	/* a changed file (new mtime) is hashed again; the user's file is never deleted */
	blob[0] ^= 0xff;
	assert_int_equal(file_write(path, blob, BLOB_SIZE, 0644, &err), 0);
	blob[0] ^= 0xff;
	struct timespec ts[2] = {{0, UTIME_NOW}, {1000000000, 0}};
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
	assert_int_equal(fetch(&furl, 1, sum, cache, &res, &err), -1);
	assert_non_null(strstr(err_cause(&err), "checksum mismatch"));
	err_clear(&err);
	assert_true(file_exists(path));

	char *missing = xasprintf("%s/nope.qcow2", dir);
	assert_int_equal(fetch(&missing, 1, "none", cache, &res, &err), -1);
	assert_true(err_is(&err, ERR_NOT_FOUND));
	err_clear(&err);

	free(missing);
	free(furl);
	free(rel);
	free(sum);
	free(path);
	tmpdir_release(dir);
	free(dir);
	tmpdir_release(cache);
	free(cache);
}

struct holder {
	char *lock;
	int fd;
};

/* "Another build" holds the lock of the blob's cache entry in cache; returns the entry's directory. */
static char *hold_entry_lock(const char *cache, struct holder *h)
{
	struct kiln_error err = ERR_INIT;
	char *dir = xasprintf("%s/sha256", cache);
	assert_int_equal(mkdir_p(dir, 0755, &err), 0);
	h->lock = xasprintf("%s/%s.iso.lock", dir, blob_sha256);
	h->fd = open(h->lock, O_RDWR | O_CREAT, 0644);
	assert_true(h->fd >= 0);
	assert_int_equal(flock(h->fd, LOCK_EX), 0);
	return dir;
}

static void *release_later(void *arg)
{
	struct holder *h = arg;
	usleep(400 * 1000);
	close(h->fd);
	return NULL;
}

static void test_lock_is_shared_with_other_builds(void **state)
{
	(void)state;
	char *cache = make_cache();
	char *url = url_for("/blob.iso");
	char *sum = xasprintf("sha256:%s", blob_sha256);
	struct kiln_error err = ERR_INIT;
	struct holder h;
	char *dir = hold_entry_lock(cache, &h);
	/* "another build" finishes the download while we wait */
	char *final = xasprintf("%s/%s.iso", dir, blob_sha256);
	assert_int_equal(file_write(final, blob, BLOB_SIZE, 0644, &err), 0);
	pthread_t t;
	pthread_create(&t, NULL, release_later, &h);
	requests_blob = 0;
	struct qemu_fetch_result res;
	assert_int_equal(fetch(&url, 1, sum, cache, &res, &err), 0);
	pthread_join(t, NULL);
	assert_true(res.cached);
	assert_int_equal(requests_blob, 0);
	qemu_fetch_result_free(&res);
	free(final);
	free(h.lock);
	free(dir);
	free(url);
	free(sum);
	tmpdir_release(cache);
	free(cache);
}

/* The holder's download fails: it removes the lock file while holding the lock, then releases it. */
static void *fail_and_release_later(void *arg)
{
	struct holder *h = arg;
	usleep(400 * 1000);
	unlink(h->lock);
	close(h->fd);
	return NULL;
}

static void test_waiter_relocks_after_a_failed_download(void **state)
{
	(void)state;
	char *cache = make_cache();
	char *url = url_for("/blob.iso");
	char *sum = xasprintf("sha256:%s", blob_sha256);
	struct kiln_error err = ERR_INIT;
	struct holder h;
	char *dir = hold_entry_lock(cache, &h);
	pthread_t t;
	pthread_create(&t, NULL, fail_and_release_later, &h);
	struct qemu_fetch_result res;
	assert_int_equal(fetch(&url, 1, sum, cache, &res, &err), 0);
	pthread_join(t, NULL);
	assert_false(res.cached);
	assert_file_is_blob(res.path);
	/* the lock was taken again on a new file at the path, not on the removed one */
	assert_true(file_is_regular(h.lock));
	qemu_fetch_result_free(&res);
	free(h.lock);
	free(dir);
	free(url);
	free(sum);
	tmpdir_release(cache);
	free(cache);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_download_is_content_addressed_and_cached),
		cmocka_unit_test(test_mismatch_discards_and_names_both_digests),
		cmocka_unit_test(test_mirrors_in_order),
		cmocka_unit_test(test_resume_after_cut),
		cmocka_unit_test(test_server_ignoring_range_starts_over),
		cmocka_unit_test(test_sums_file_over_http),
		cmocka_unit_test(test_none_is_keyed_by_url),
		cmocka_unit_test(test_local_files_are_used_in_place),
		cmocka_unit_test(test_lock_is_shared_with_other_builds),
		cmocka_unit_test(test_waiter_relocks_after_a_failed_download),
	};
	return cmocka_run_group_tests_name("qemu-download", tests, setup, teardown);
}
