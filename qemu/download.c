/* download.c — the download cache (see download.h): libcurl transfers hashed while they stream, resume
 * from ".part" files, a lock per cache entry, mirrors in order, and local files used in place. */
#include "config.h"

#include "qemu/download.h"
#include "ui/ui.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/hash.h"
#include "util/mem.h"
#include "util/signals.h"
#include "util/strv.h"
#include "util/timeutil.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define HASH_CHUNK (1 << 20)
#define LOCK_POLL_MS 200
#define BIG_FILE (64ull << 20)

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

char *qemu_cache_dir(void)
{
	const char *d = getenv("KILN_CACHE_DIR");
	if (d && *d)
		return path_abs(d);
	return xdg_cache_path("kiln");
}

bool qemu_url_is_remote(const char *url)
{
	return strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0 ||
	       strncasecmp(url, "ftp://", 6) == 0 || strncasecmp(url, "ftps://", 7) == 0;
}

/* Decode %XX escapes of a file:// URL path. */
static char *percent_decode(const char *s)
{
	struct buf b = BUF_INIT;
	for (const char *p = s; *p; p++) {
		if (p[0] == '%' && p[1] && p[2]) {
			char hex[3] = {p[1], p[2], 0};
			char *end;
			long v = strtol(hex, &end, 16);
			if (*end == '\0') {
				buf_putc(&b, (char)v);
				p += 2;
				continue;
			}
		}
		buf_putc(&b, *p);
	}
	return buf_detach(&b);
}

char *qemu_url_local_path(const char *url, const char *base_dir)
{
	if (qemu_url_is_remote(url))
		return NULL;
	char *path;
	if (strncasecmp(url, "file://", 7) == 0) {
		const char *p = url + 7;
		if (strncasecmp(p, "localhost/", 10) == 0)
			p += 9;
		path = percent_decode(p);
	} else if (strncasecmp(url, "file:", 5) == 0) {
		path = percent_decode(url + 5);
	} else {
		path = xstrdup(url);
	}
	if (path[0] != '/' && base_dir) {
		char *j = path_join(base_dir, path);
		free(path);
		path = j;
	}
	char *abs = path_abs(path);
	free(path);
	return abs;
}

/* The last path component of a URL, without query or fragment: what a SUMS file lists. */
static char *url_filename(const char *url)
{
	const char *start = url;
	const char *scheme = strstr(url, "://");
	if (scheme)
		start = scheme + 3;
	size_t n = strcspn(start, "?#");
	char *path = xstrndup(start, n);
	char *slash = strrchr(path, '/');
	char *name = percent_decode(slash ? slash + 1 : path);
	free(path);
	return name;
}

/* ------------------------------------------------------------------------------------------------
 * Hashing files */

static int hash_fd(int fd, struct hasher *h, uint64_t limit, struct ui_progress *prog, struct kiln_error *err)
{
	char *chunk = xmalloc(HASH_CHUNK);
	uint64_t done = 0;
	int rc = 0;
	while (limit == 0 || done < limit) {
		if (sig_cancelled()) {
			rc = err_set_kind(err, ERR_CANCELLED, "cancelled while hashing");
			break;
		}
		size_t want = HASH_CHUNK;
		if (limit && limit - done < want)
			want = (size_t)(limit - done);
		ssize_t r = read(fd, chunk, want);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = err_set_errno(err, errno, "reading");
			break;
		}
		if (r == 0)
			break;
		hasher_update(h, chunk, (size_t)r);
		done += (uint64_t)r;
		ui_progress_update(prog, done);
	}
	free(chunk);
	return rc;
}

static int hash_path(const char *path, const char *algo, struct ui *ui, char **hex, struct kiln_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set_errno(err, errno, "opening %s", path);
	struct stat st;
	struct ui_progress *prog = NULL;
	if (fstat(fd, &st) == 0 && (uint64_t)st.st_size >= BIG_FILE) {
		char *label = xasprintf("Verifying %s checksum of %s", algo, path);
		prog = ui_progress_start(ui, label, (uint64_t)st.st_size);
		free(label);
	}
	struct hasher *h = hasher_new(algo);
	int rc = hash_fd(fd, h, 0, prog, err);
	ui_progress_finish(prog);
	close(fd);
	if (rc < 0) {
		hasher_free(h);
		return err_wrap(err, "hashing %s", path);
	}
	*hex = hasher_final_hex(h);
	return 0;
}

/* ------------------------------------------------------------------------------------------------
 * Verification stamps for local files: "<cache>/verified/<sha256 of the path>" holds the file's identity
 * and the digest it was verified against. */

static char *stamp_path_in(const char *cache, const char *subdir, const char *path)
{
	char *key = hash_hex("sha256", path, strlen(path));
	char *dir = path_join(cache, subdir);
	char *p = path_join(dir, key);
	free(key);
	free(dir);
	return p;
}

static char *stamp_path(const char *cache, const char *path)
{
	return stamp_path_in(cache, "verified", path);
}

static char *stamp_line(const struct stat *st, const struct qemu_checksum *c)
{
	return xasprintf("%ju %ju %jd %jd.%09ld %s %s\n", (uintmax_t)st->st_dev, (uintmax_t)st->st_ino,
			 (intmax_t)st->st_size, (intmax_t)st->st_mtim.tv_sec, st->st_mtim.tv_nsec, c->algo, c->hex);
}

static bool stamp_matches(const char *cache, const char *path, const struct stat *st, const struct qemu_checksum *c)
{
	char *sp = stamp_path(cache, path);
	struct buf b = BUF_INIT;
	struct kiln_error e = ERR_INIT;
	bool ok = false;
	if (file_read_all(sp, &b, &e) == 0) {
		char *want = stamp_line(st, c);
		ok = strcmp(buf_cstr(&b), want) == 0;
		free(want);
	}
	err_clear(&e);
	buf_free(&b);
	free(sp);
	return ok;
}

static void stamp_write_in(const char *cache, const char *subdir, const char *path, const struct stat *st,
			   const struct qemu_checksum *c)
{
	char *sp = stamp_path_in(cache, subdir, path);
	char *dir = path_dirname(sp);
	char *line = stamp_line(st, c);
	struct kiln_error e = ERR_INIT;
	if (mkdir_p(dir, 0755, &e) == 0)
		file_write_atomic(sp, line, strlen(line), 0644, &e);
	if (err_isset(&e))
		log_debug("download: cannot record verification of %s: %s", path, err_cause(&e));
	err_clear(&e);
	free(line);
	free(dir);
	free(sp);
}

static void stamp_write(const char *cache, const char *path, const struct stat *st, const struct qemu_checksum *c)
{
	stamp_write_in(cache, "verified", path, st, c);
}

static int verify_local(const char *cache, const char *path, const struct qemu_checksum *c, struct ui *ui,
			struct kiln_error *err)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return err_set_kind(err, errno == ENOENT ? ERR_NOT_FOUND : ERR_IO, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return err_set_kind(err, ERR_INVALID, "%s is not a regular file", path);
	if (qemu_checksum_is_none(c))
		return 0;
	if (stamp_matches(cache, path, &st, c)) {
		log_debug("download: %s already verified (%s:%s)", path, c->algo, c->hex);
		return 0;
	}
	char *got = NULL;
	if (hash_path(path, c->algo, ui, &got, err) < 0)
		return -1;
	int rc = 0;
	if (strcmp(got, c->hex) != 0) {
		rc = err_set_kind(err, ERR_INVALID, "checksum mismatch for %s: expected %s:%s, got %s:%s", path,
				  c->algo, c->hex, c->algo, got);
		err_hint(err, "check iso_checksum, or whether %s is the file you meant", path);
	} else {
		stamp_write(cache, path, &st, c);
	}
	free(got);
	return rc;
}

/* ------------------------------------------------------------------------------------------------
 * Transfers */

struct transfer {
	CURL *curl;
	int fd;
	struct hasher *h;
	const char *algo;
	uint64_t offset;       /* bytes already in the .part file when this transfer started */
	uint64_t received;     /* bytes received by this transfer */
	bool status_checked;
	bool restarted;        /* the server ignored the range: started over */
	struct ui_progress *prog;
	int write_errno;
};

static size_t on_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct transfer *t = arg;
	size_t n = size * nmemb;
	if (!t->status_checked) {
		t->status_checked = true;
		long code = 0;
		curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &code);
		if (t->offset > 0 && code == 200) {
			/* The server sent the whole file: start over. */
			if (ftruncate(t->fd, 0) < 0 || lseek(t->fd, 0, SEEK_SET) < 0) {
				t->write_errno = errno;
				return 0;
			}
			if (t->h) {
				hasher_free(t->h);
				t->h = hasher_new(t->algo);
			}
			t->offset = 0;
			t->restarted = true;
		}
	}
	size_t off = 0;
	while (off < n) {
		ssize_t w = write(t->fd, data + off, n - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			t->write_errno = errno;
			return 0;
		}
		off += (size_t)w;
	}
	if (t->h)
		hasher_update(t->h, data, n);
	t->received += n;
	return n;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	(void)ultotal;
	(void)ulnow;
	struct transfer *t = arg;
	if (sig_cancelled())
		return 1;
	if (t->prog) {
		if (dltotal > 0)
			ui_progress_set_total(t->prog, t->offset + (uint64_t)dltotal);
		ui_progress_update(t->prog, t->offset + (uint64_t)dlnow);
	}
	return 0;
}

static void setup_curl(CURL *c, const char *url, char *errbuf)
{
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	/* A transfer that stalls below 1 KiB/s for a minute is given up (and can be resumed). */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "kiln/" PACKAGE_VERSION);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	errbuf[0] = '\0';
}

static int curl_failure(CURL *c, CURLcode rc, const char *errbuf, const char *url, struct kiln_error *err)
{
	if (rc == CURLE_ABORTED_BY_CALLBACK || sig_cancelled())
		return err_set_kind(err, ERR_CANCELLED, "download of %s cancelled", url);
	long code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (rc == CURLE_HTTP_RETURNED_ERROR)
		return err_set_kind(err, code == 404 ? ERR_NOT_FOUND : ERR_IO, "%s: HTTP status %ld", url, code);
	return err_set_kind(err, ERR_IO, "%s: %s", url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
}

int qemu_fetch_text(const char *url, const char *base_dir, char **text, struct kiln_error *err)
{
	struct buf b = BUF_INIT;
	if (!qemu_url_is_remote(url)) {
		char *p = qemu_url_local_path(url, base_dir);
		int rc = file_read_all(p, &b, err);
		free(p);
		if (rc < 0)
			return -1;
		*text = buf_detach(&b);
		return 0;
	}
	pthread_once(&curl_once, curl_init_once);
	CURL *c = curl_easy_init();
	char errbuf[CURL_ERROR_SIZE];
	setup_curl(c, url, errbuf);
	FILE *mem = NULL;
	char *data = NULL;
	size_t len = 0;
	mem = open_memstream(&data, &len);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, mem);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)(16 << 20));
	CURLcode rc = curl_easy_perform(c);
	fclose(mem);
	int ret = 0;
	if (rc != CURLE_OK) {
		ret = curl_failure(c, rc, errbuf, url, err);
		free(data);
	} else {
		*text = data;
	}
	curl_easy_cleanup(c);
	return ret;
}

/* Take the entry's lock, waiting (cancellably) while another build holds it. A build whose download
 * fails removes the lock file (holding the lock), so a lock taken on a file no longer at lock_path is
 * stale: it is dropped and the lock taken again on the path's new file. */
static int lock_entry(const char *lock_path, struct ui *ui, int *fd_out, struct kiln_error *err)
{
	bool told = false;
again:;
	int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return err_set_errno(err, errno, "opening lock %s", lock_path);
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			int e = errno;
			close(fd);
			return err_set_errno(err, e, "locking %s", lock_path);
		}
		if (!told) {
			ui_say(ui, "Waiting for another build that is downloading the same file...");
			told = true;
		}
		if (sleep_cancellable_ms(LOCK_POLL_MS) < 0) {
			close(fd);
			return err_set_kind(err, ERR_CANCELLED, "cancelled while waiting for the download lock");
		}
	}
	struct stat held, now;
	if (fstat(fd, &held) == 0 && (stat(lock_path, &now) < 0 || held.st_ino != now.st_ino || held.st_dev != now.st_dev)) {
		close(fd);
		goto again;
	}
	*fd_out = fd;
	return 0;
}

/* Download url into part (resuming), verify, and rename to final. */
static int download_one(const char *url, const char *final, const struct qemu_checksum *c, struct ui *ui,
			struct kiln_error *err)
{
	pthread_once(&curl_once, curl_init_once);
	char *part = xasprintf("%s.part", final);
	int ret = -1;
	struct transfer t = {.fd = -1, .algo = c->algo};
	t.fd = open(part, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (t.fd < 0) {
		err_set_errno(err, errno, "creating %s", part);
		goto out;
	}
	struct stat st;
	if (fstat(t.fd, &st) < 0) {
		err_set_errno(err, errno, "stat %s", part);
		goto out;
	}
	t.offset = (uint64_t)st.st_size;
	if (c->algo)
		t.h = hasher_new(c->algo);
	if (t.offset > 0) {
		/* Resume: the bytes we already have go into the digest first. */
		if (t.h && hash_fd(t.fd, t.h, t.offset, NULL, err) < 0)
			goto out;
		if (lseek(t.fd, (off_t)t.offset, SEEK_SET) < 0) {
			err_set_errno(err, errno, "seeking %s", part);
			goto out;
		}
		char *have = ui_format_bytes(t.offset);
		ui_say(ui, "Resuming download of %s (%s already here)", url, have);
		free(have);
	} else {
		ui_say(ui, "Downloading %s", url);
	}

	for (int attempt = 0; attempt < 2; attempt++) {
		t.curl = curl_easy_init();
		char errbuf[CURL_ERROR_SIZE];
		setup_curl(t.curl, url, errbuf);
		curl_easy_setopt(t.curl, CURLOPT_WRITEFUNCTION, on_write);
		curl_easy_setopt(t.curl, CURLOPT_WRITEDATA, &t);
		curl_easy_setopt(t.curl, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(t.curl, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(t.curl, CURLOPT_XFERINFODATA, &t);
		if (t.offset > 0)
			curl_easy_setopt(t.curl, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)t.offset);
		char *label = xasprintf("%s", url);
		t.prog = ui_progress_start(ui, label, 0);
		free(label);
		t.status_checked = false;
		CURLcode rc = curl_easy_perform(t.curl);
		ui_progress_finish(t.prog);
		t.prog = NULL;
		long code = 0;
		curl_easy_getinfo(t.curl, CURLINFO_RESPONSE_CODE, &code);
		if (rc == CURLE_OK) {
			curl_easy_cleanup(t.curl);
			t.curl = NULL;
			break;
		}
		if (t.write_errno) {
			err_set_errno(err, t.write_errno, "writing %s", part);
		} else if (rc == CURLE_HTTP_RETURNED_ERROR && code == 416 && t.offset > 0 && attempt == 0) {
			/* "Range not satisfiable": the part file may hold the whole file already; if the digest
			 * disagrees below, the part is discarded. Without a digest, start over. */
			curl_easy_cleanup(t.curl);
			t.curl = NULL;
			if (t.h)
				break;
			if (ftruncate(t.fd, 0) < 0 || lseek(t.fd, 0, SEEK_SET) < 0) {
				err_set_errno(err, errno, "truncating %s", part);
				goto out;
			}
			t.offset = 0;
			continue;
		} else if (rc == CURLE_RANGE_ERROR && t.offset > 0 && attempt == 0) {
			/* The server cannot resume: start over from the first byte. */
			log_debug("download: %s does not support ranges, starting over", url);
			curl_easy_cleanup(t.curl);
			t.curl = NULL;
			if (ftruncate(t.fd, 0) < 0 || lseek(t.fd, 0, SEEK_SET) < 0) {
				err_set_errno(err, errno, "truncating %s", part);
				goto out;
			}
			if (t.h) {
				hasher_free(t.h);
				t.h = hasher_new(c->algo);
			}
			t.offset = 0;
			continue;
		} else {
			curl_failure(t.curl, rc, errbuf, url, err);
		}
		curl_easy_cleanup(t.curl);
		t.curl = NULL;
		goto out;
	}
	if (fsync(t.fd) < 0) {
		err_set_errno(err, errno, "writing %s", part);
		goto out;
	}
	if (t.h) {
		char *got = hasher_final_hex(t.h);
		t.h = NULL;
		if (strcmp(got, c->hex) != 0) {
			unlink(part);
			err_set_kind(err, ERR_INVALID, "checksum mismatch for %s: expected %s:%s, got %s:%s; the download was discarded",
				     url, c->algo, c->hex, c->algo, got);
			err_hint(err, "check iso_checksum, or whether the mirror serves the file you meant");
			free(got);
			goto out;
		}
		free(got);
	}
	if (rename(part, final) < 0) {
		err_set_errno(err, errno, "renaming %s", part);
		goto out;
	}
	ret = 0;
out:
	if (t.h)
		hasher_free(t.h);
	if (t.fd >= 0) {
		/* Nothing worth resuming from: do not leave an empty part file behind. */
		struct stat pst;
		if (ret < 0 && stat(part, &pst) == 0 && pst.st_size == 0)
			unlink(part);
		close(t.fd);
	}
	free(part);
	return ret;
}

static char *cache_entry_path(const char *cache, const struct qemu_checksum *c, const char *url, const char *ext)
{
	char *dir, *name;
	if (c->algo) {
		dir = path_join(cache, c->algo);
		name = xasprintf("%s.%s", c->hex, ext);
	} else {
		char *key = hash_hex("sha256", url, strlen(url));
		dir = path_join(cache, "url");
		name = xasprintf("%s.%s", key, ext);
		free(key);
	}
	char *p = path_join(dir, name);
	free(dir);
	free(name);
	return p;
}

static int fetch_remote(const struct qemu_fetch_req *req, const char *cache, const char *url,
			const struct qemu_checksum *c, struct qemu_fetch_result *res, struct kiln_error *err)
{
	const char *ext = req->extension && *req->extension ? req->extension : "iso";
	char *final;
	if (req->target_path && *req->target_path) {
		char *t = qemu_url_local_path(req->target_path, req->base_dir);
		if (file_is_dir(t)) {
			char *name = c->algo ? xasprintf("%s-%s.%s", c->algo, c->hex, ext) : url_filename(url);
			final = path_join(t, name);
			free(name);
			free(t);
		} else {
			final = t;
		}
	} else {
		final = cache_entry_path(cache, c, url, ext);
	}
	char *dir = path_dirname(final);
	char *lock = xasprintf("%s.lock", final);
	int lockfd = -1, ret = -1;
	if (mkdir_p(dir, 0755, err) < 0)
		goto out;
	if (lock_entry(lock, req->ui, &lockfd, err) < 0)
		goto out;
	if (file_is_regular(final)) {
		/* A cache entry is complete and verified by construction; a user's iso_target_path is not. */
		if (req->target_path && *req->target_path && verify_local(cache, final, c, req->ui, err) < 0) {
			log_debug("download: %s does not verify, downloading again", final);
			err_clear(err);
			unlink(final);
		} else {
			log_debug("download: using cached %s for %s", final, url);
			res->cached = true;
			res->path = final;
			final = NULL;
			ret = 0;
			goto out;
		}
	}
	if (download_one(url, final, c, req->ui, err) < 0)
		goto out;
	res->path = final;
	final = NULL;
	ret = 0;
out:
	if (lockfd >= 0) {
		if (ret < 0)
			unlink(lock);   /* nothing left of a failed download but its .part (see lock_entry) */
		close(lockfd);  /* releases the flock */
	}
	free(lock);
	free(dir);
	free(final);
	return ret;
}

int qemu_fetch(const struct qemu_fetch_req *req, struct qemu_fetch_result *res, struct kiln_error *err)
{
	memset(res, 0, sizeof *res);
	struct ui *ui = req->ui ? req->ui : ui_global();
	struct qemu_checksum c;
	if (req->nurls == 0)
		return err_set_kind(err, ERR_INVALID, "no iso_url or iso_urls to fetch");
	if (qemu_checksum_parse(req->checksum, &c, err) < 0)
		return -1;
	char *cache = req->cache_dir ? xstrdup(req->cache_dir) : qemu_cache_dir();
	struct strv failures = STRV_INIT;
	int ret = -1;

	if (c.sums_ref) {
		char *text = NULL;
		if (qemu_fetch_text(c.sums_ref, req->base_dir, &text, err) < 0) {
			err_wrap(err, "fetching the checksum file named by iso_checksum");
			goto out;
		}
		int rc = -1;
		for (size_t i = 0; i < req->nurls && rc < 0; i++) {
			char *name = url_filename(req->urls[i]);
			struct kiln_error e = ERR_INIT;
			rc = qemu_checksum_resolve_sums(&c, text, name, &e);
			if (rc < 0 && i + 1 == req->nurls)
				err_move(err, &e);
			err_clear(&e);
			free(name);
		}
		free(text);
		if (rc < 0)
			goto out;
		log_debug("download: %s gives %s:%s", c.sums_ref, c.algo, c.hex);
	}

	for (size_t i = 0; i < req->nurls; i++) {
		const char *url = req->urls[i];
		struct kiln_error e = ERR_INIT;
		int rc;
		if (qemu_url_is_remote(url)) {
			rc = fetch_remote(req, cache, url, &c, res, &e);
		} else {
			char *path = qemu_url_local_path(url, req->base_dir);
			rc = verify_local(cache, path, &c, ui, &e);
			if (rc == 0) {
				res->path = path;
				res->in_place = true;
			} else {
				free(path);
			}
		}
		if (rc == 0) {
			res->url = xstrdup(url);
			res->checksum = qemu_checksum_format(&c);
			ret = 0;
			goto out;
		}
		if (err_is(&e, ERR_CANCELLED)) {
			err_move(err, &e);
			goto out;
		}
		if (req->nurls == 1) {
			err_move(err, &e);
			goto out;
		}
		char *text = err_text(&e);
		strv_push_owned(&failures, text);
		if (i + 1 < req->nurls)
			ui_say(ui, "Could not fetch %s (%s); trying the next URL", url, err_cause(&e));
		err_clear(&e);
	}
	{
		char *all = strv_join(&failures, "; ");
		err_set_kind(err, ERR_IO, "none of the %zu URLs could be fetched: %s", req->nurls, all);
		free(all);
	}
out:
	strv_free(&failures);
	qemu_checksum_free(&c);
	free(cache);
	return ret;
}

int qemu_file_sha256(const char *path, struct ui *ui, char **hex, struct kiln_error *err)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return err_set_errno(err, errno, "%s", path);
	char *cache = qemu_cache_dir();
	char *sp = stamp_path_in(cache, "content", path);
	struct qemu_checksum any = {.algo = (char *)"sha256", .hex = (char *)""};
	char *prefix = stamp_line(&st, &any);   /* "... sha256 \n": the identity, then the digest */
	prefix[strlen(prefix) - 1] = 0;
	struct buf b = BUF_INIT;
	struct kiln_error e = ERR_INIT;
	int rc = 0;
	*hex = NULL;
	if (file_read_all(sp, &b, &e) == 0 && strncmp(buf_cstr(&b), prefix, strlen(prefix)) == 0) {
		const char *h = buf_cstr(&b) + strlen(prefix);
		if (strlen(h) == 65 && h[64] == '\n')
			*hex = xstrndup(h, 64);
	}
	err_clear(&e);
	if (!*hex) {
		rc = hash_path(path, "sha256", ui, hex, err);
		if (rc == 0) {
			struct qemu_checksum c = {.algo = (char *)"sha256", .hex = *hex};
			stamp_write_in(cache, "content", path, &st, &c);
		}
	}
	buf_free(&b);
	free(prefix);
	free(sp);
	free(cache);
	return rc;
}

void qemu_fetch_result_free(struct qemu_fetch_result *res)
{
	if (!res)
		return;
	free(res->path);
	free(res->url);
	free(res->checksum);
	memset(res, 0, sizeof *res);
}
