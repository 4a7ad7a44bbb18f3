/* server.c — the seed server on libmicrohttpd: binds its own socket (so the port is held from start
 * to stop), serves connections from an epoll thread per core, answers GET/HEAD from http_content
 * (prepared responses, shared between requests) or from the served directory (opened with openat2
 * RESOLVE_BENEATH on every request; small files read into one write with the headers, mid-sized ones
 * kept in memory (the file cache below), larger ones with sendfile), and reports the first fetch of
 * each path. */
#include "http-seed/seed_server.h"
#include "http-seed/http_parse.h"
#include "ui/ui.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/openat2.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_ADDRESS "127.0.0.1"
#define DEFAULT_CONNECTIONS 64
#define MAX_POOL_THREADS 4
#define CONNECTION_MEMORY (16 * 1024)   /* bounds request line + headers */
#define IDLE_TIMEOUT_S 30
#define LISTEN_BACKLOG 128
#define SMALL_FILE (64 * 1024)          /* read into memory per request up to this */
#define CACHE_FILE_MAX (4 * 1024 * 1024) /* above SMALL_FILE and up to this: kept in the file cache */
#define CACHE_BYTES (32 * 1024 * 1024)   /* the cache's memory, entries still being sent included */
#define CACHE_ENTRIES 64
#define CACHE_SETTLE_S 1                 /* a file changed less than this long ago is not cached */

struct content_entry {
	char *path;
	char *data;
	size_t len;
	const char *type;
	struct MHD_Response *whole;   /* the 200 response, queued again for every request */
};

/* Paths already fetched, for the first-fetch callback: an open-addressing hash set of strings
 * (NULL = empty slot), kept at most half full. */
struct fetched {
	char **slots;
	size_t cap, n;
};

/* The file cache. libmicrohttpd sends a file response as a header write and then sendfile() in
 * 128 KiB pieces, returning to its event loop between pieces; from memory it sends headers and body
 * in one call. For a 1 MiB file the pieces cost the client and server together ~1.4x the CPU per
 * request (bench/seed.sh, against wrk), so files between SMALL_FILE and CACHE_FILE_MAX are read once
 * and kept.
 * An entry belongs to one inode and is used only while the file's size, mtime and ctime are what
 * they were when it was read (ctime changes on every write and cannot be set back); a file changed
 * in the last CACHE_SETTLE_S seconds is not cached at all, as timestamps are coarser than writes.
 * Each response holds a reference, so an entry evicted or found stale is freed when its last
 * response is done. Everything live counts towards CACHE_BYTES; over it, files go out with sendfile. */
struct cached_file {
	struct file_cache *cache;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
	char *data;
	unsigned refs;       /* one while listed, one per response using it */
	uint64_t used;       /* the cache's clock at the last use, for eviction */
};

struct file_cache {
	pthread_mutex_t lock;
	struct cached_file *list[CACHE_ENTRIES];
	size_t n;
	size_t bytes;        /* data of every live entry, listed or not */
	uint64_t clock;
};

enum { ERR_400, ERR_403, ERR_404, ERR_405, ERR_500, N_ERRORS };
static const unsigned error_status[N_ERRORS] = {400, 403, 404, 405, 500};
static const char *const error_body[N_ERRORS] = {
	"400 Bad Request\n", "403 Forbidden\n", "404 Not Found\n", "405 Method Not Allowed\n",
	"500 Internal Server Error\n",
};

struct seed_server {
	struct MHD_Daemon *daemon;
	char *address;
	int port;
	int listen_fd;         /* bound and listening from start to stop; libmicrohttpd accepts on it */
	int root_fd;           /* O_PATH descriptor of the served directory, -1 when none */
	char *root_real;       /* its realpath, for kernels without openat2 */
	bool use_openat2;
	struct content_entry *content;   /* sorted by path */
	size_t n_content;
	struct MHD_Response *errors[N_ERRORS];
	seed_fetch_fn on_fetch;
	void *fetch_arg;
	pthread_mutex_t lock;  /* guards fetched */
	struct fetched fetched;
	struct file_cache cache;
};

/* ---- first-fetch set ---- */

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;   /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* Insert path; true when it was not there yet. */
static bool fetched_add(struct fetched *f, const char *path)
{
	if ((f->n + 1) * 2 > f->cap) {
		struct fetched g = {xcalloc(f->cap ? f->cap * 2 : 64, sizeof(char *)), f->cap ? f->cap * 2 : 64, 0};
		for (size_t i = 0; i < f->cap; i++)
			if (f->slots[i]) {
				size_t j = hash_str(f->slots[i]) & (g.cap - 1);
				while (g.slots[j])
					j = (j + 1) & (g.cap - 1);
				g.slots[j] = f->slots[i];
				g.n++;
			}
		free(f->slots);
		*f = g;
	}
	size_t j = hash_str(path) & (f->cap - 1);
	for (; f->slots[j]; j = (j + 1) & (f->cap - 1))
		if (strcmp(f->slots[j], path) == 0)
			return false;
	f->slots[j] = xstrdup(path);
	f->n++;
	return true;
}

static void fetched_free(struct fetched *f)
{
	for (size_t i = 0; i < f->cap; i++)
		free(f->slots[i]);
	free(f->slots);
}

/* ---- file cache ---- */

static bool same_time(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

/* Drop one reference; the last one frees the entry. Call with the cache locked. */
static void cache_unref_locked(struct cached_file *f)
{
	if (--f->refs)
		return;
	f->cache->bytes -= (size_t)f->size;
	free(f->data);
	free(f);
}

/* libmicrohttpd's free callback of a response made from an entry. */
static void cache_release(void *cls)
{
	struct cached_file *f = cls;
	struct file_cache *c = f->cache;
	pthread_mutex_lock(&c->lock);
	cache_unref_locked(f);
	pthread_mutex_unlock(&c->lock);
}

static void cache_unlist_locked(struct file_cache *c, size_t i)
{
	struct cached_file *f = c->list[i];
	c->list[i] = c->list[--c->n];
	cache_unref_locked(f);
}

/* The listed, still valid entry for the file st describes, with a reference taken; a stale one is
 * dropped. Call with the cache locked. */
static struct cached_file *cache_find_locked(struct file_cache *c, const struct stat *st)
{
	for (size_t i = 0; i < c->n; i++) {
		struct cached_file *f = c->list[i];
		if (f->dev != st->st_dev || f->ino != st->st_ino)
			continue;
		if (f->size == st->st_size && same_time(f->mtime, st->st_mtim) && same_time(f->ctime, st->st_ctim)) {
			f->refs++;
			f->used = ++c->clock;
			return f;
		}
		cache_unlist_locked(c, i);
		return NULL;
	}
	return NULL;
}

/* Make room for `size` more bytes by unlisting the least recently used entries; false when entries
 * still being sent keep it from fitting. Call with the cache locked. */
static bool cache_room_locked(struct file_cache *c, size_t size)
{
	while (c->n && (c->n == CACHE_ENTRIES || c->bytes + size > CACHE_BYTES)) {
		size_t oldest = 0;
		for (size_t i = 1; i < c->n; i++)
			if (c->list[i]->used < c->list[oldest]->used)
				oldest = i;
		cache_unlist_locked(c, oldest);
	}
	return c->bytes + size <= CACHE_BYTES;
}

static bool settled(const struct stat *st)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	time_t changed = st->st_mtim.tv_sec > st->st_ctim.tv_sec ? st->st_mtim.tv_sec : st->st_ctim.tv_sec;
	return now.tv_sec - changed > CACHE_SETTLE_S;
}

/* The cached contents of the open regular file fd (st from fstat), with a reference the caller
 * passes on to a response; NULL when the file is not to be cached or could not be read whole (the
 * caller then sends it from fd). `path` is for the debug log. */
static struct cached_file *cache_get(struct file_cache *c, int fd, const struct stat *st, const char *path)
{
	if (st->st_size <= SMALL_FILE || st->st_size > CACHE_FILE_MAX)
		return NULL;
	pthread_mutex_lock(&c->lock);
	struct cached_file *f = cache_find_locked(c, st);
	pthread_mutex_unlock(&c->lock);
	if (f || !settled(st))
		return f;

	/* Read outside the lock; keep it only if the file did not change meanwhile. */
	size_t size = (size_t)st->st_size, got = 0;
	char *data = xmalloc(size);
	while (got < size) {
		ssize_t n = pread(fd, data + got, size - got, (off_t)got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	struct stat after;
	if (got != size || fstat(fd, &after) < 0 || after.st_size != st->st_size ||
	    !same_time(after.st_mtim, st->st_mtim) || !same_time(after.st_ctim, st->st_ctim)) {
		free(data);
		return NULL;
	}

	pthread_mutex_lock(&c->lock);
	f = cache_find_locked(c, st);   /* another thread may have read it too */
	if (!f && cache_room_locked(c, size)) {
		f = xcalloc(1, sizeof *f);
		*f = (struct cached_file){c, st->st_dev, st->st_ino, st->st_size, st->st_mtim, st->st_ctim, data,
		                          2, ++c->clock};
		data = NULL;
		c->list[c->n++] = f;
		c->bytes += size;
		log_debug("http-seed: keeping %s in memory (%zu bytes)", path, size);
	}
	pthread_mutex_unlock(&c->lock);
	free(data);
	return f;
}

static void cache_free(struct file_cache *c)
{
	while (c->n)
		cache_unlist_locked(c, c->n - 1);   /* no response is left: the daemon is stopped */
	pthread_mutex_destroy(&c->lock);
}

/* ---- responses ---- */

static struct MHD_Response *buffer_response(const void *data, size_t len, const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_PERSISTENT);
	if (r && type)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	return r;
}

static struct MHD_Response *range_response(struct MHD_Response *r, uint64_t off, uint64_t len,
                                           uint64_t size)
{
	if (!r)
		return NULL;
	char value[96];
	snprintf(value, sizeof value, "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, off, off + len - 1, size);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_RANGE, value);
	MHD_add_response_header(r, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
	return r;
}

static struct MHD_Response *unsatisfiable(uint64_t size)
{
	static const char body[] = "416 Range Not Satisfiable\n";
	struct MHD_Response *r = buffer_response(body, sizeof body - 1, "text/plain; charset=utf-8");
	if (r) {
		char value[64];
		snprintf(value, sizeof value, "bytes */%" PRIu64, size);
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_RANGE, value);
	}
	return r;
}

struct reply {
	unsigned status;
	struct MHD_Response *resp;
	bool shared;      /* owned by the server, not destroyed after queueing */
	uint64_t bytes;   /* body length, for the log */
};

static void reply_error(struct seed_server *s, struct reply *r, unsigned status)
{
	int i = status == 400 ? ERR_400 : status == 403 ? ERR_403 : status == 404 ? ERR_404
	      : status == 405 ? ERR_405 : ERR_500;
	r->status = error_status[i];
	r->resp = s->errors[i];
	r->shared = true;
	r->bytes = strlen(error_body[i]);
}

static int content_find_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct content_entry *)elem)->path);
}

static int content_sort_cmp(const void *a, const void *b)
{
	return strcmp(((const struct content_entry *)a)->path, ((const struct content_entry *)b)->path);
}

static void serve_content(struct MHD_Connection *c, const struct content_entry *e, struct reply *r)
{
	uint64_t off, len;
	const char *range = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_RANGE);
	switch (seed_parse_range(range, e->len, &off, &len)) {
	case SEED_RANGE_NONE:
		*r = (struct reply){200, e->whole, true, e->len};
		return;
	case SEED_RANGE_PARTIAL:
		*r = (struct reply){206, range_response(buffer_response(e->data + off, len, e->type), off, len, e->len),
		                    false, len};
		return;
	case SEED_RANGE_UNSATISFIABLE:
		*r = (struct reply){416, unsatisfiable(e->len), false, 0};
		return;
	}
}

/* Open rel (no leading '/') inside the served tree, never outside it. Returns the fd, or -1 with
 * *status set to the HTTP status to answer. */
static int open_beneath(struct seed_server *s, const char *rel, unsigned *status)
{
	int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;   /* NONBLOCK: a FIFO must not hang us */
	int fd;
	if (s->use_openat2) {
		struct open_how how = {.flags = (uint64_t)flags, .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
		fd = (int)syscall(SYS_openat2, s->root_fd, rel, &how, sizeof how);
	} else {
		/* Kernels before 5.6 (or a seccomp filter hiding openat2): resolve, then check the result
		 * is inside the tree. */
		char *joined = xasprintf("%s/%s", s->root_real, rel);
		char *real = realpath(joined, NULL);
		int saved = errno;
		free(joined);
		size_t n = strlen(s->root_real);
		if (!real) {
			fd = -1;
			errno = saved;
		} else if (strncmp(real, s->root_real, n) != 0 || (real[n] != '/' && real[n] != '\0')) {
			fd = -1;
			errno = EXDEV;
		} else {
			fd = open(real, flags);
		}
		free(real);
	}
	if (fd < 0)
		*status = errno == ENOENT || errno == ENOTDIR || errno == ENAMETOOLONG ? 404
		        : errno == EXDEV || errno == ELOOP || errno == EACCES || errno == EPERM || errno == ENXIO ? 403
		        : 500;
	return fd;
}

static void serve_file(struct seed_server *s, struct MHD_Connection *c, const char *path, struct reply *r)
{
	unsigned status = 404;
	int fd = open_beneath(s, path + 1, &status);
	if (fd < 0) {
		reply_error(s, r, status);
		return;
	}
	struct stat st;
	int rc = fstat(fd, &st);
	if (rc < 0 || !S_ISREG(st.st_mode)) {
		/* no directory listings; devices, FIFOs and sockets are not ours to serve */
		bool dir = rc == 0 && S_ISDIR(st.st_mode);
		close(fd);
		reply_error(s, r, dir ? 404 : 403);
		return;
	}
	uint64_t size = (uint64_t)st.st_size;
	const char *type = seed_type_by_extension(path);
	if (!type) {
		char head[512];
		ssize_t n = pread(fd, head, sizeof head, 0);
		type = seed_content_type(path, head, n > 0 ? (size_t)n : 0);
	}

	uint64_t off = 0, len = size;
	const char *range = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_RANGE);
	enum seed_range kind = seed_parse_range(range, size, &off, &len);
	if (kind == SEED_RANGE_UNSATISFIABLE) {
		close(fd);
		*r = (struct reply){416, unsatisfiable(size), false, 0};
		return;
	}
	/* Small bodies go out in one write together with the headers, and so do cached ones; larger ones
	 * with sendfile. */
	struct MHD_Response *resp = NULL;
	struct cached_file *cached = len > SMALL_FILE ? cache_get(&s->cache, fd, &st, path) : NULL;
	if (cached) {
		close(fd);
		resp = MHD_create_response_from_buffer_with_free_callback_cls(len, cached->data + off, cache_release,
		                                                              cached);
		if (!resp)
			cache_release(cached);
	} else if (len <= SMALL_FILE) {
		char *data = xmalloc(len ? len : 1);
		ssize_t got = pread(fd, data, len, (off_t)off);
		close(fd);
		if (got == (ssize_t)len)
			resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
		if (!resp)
			free(data);
	} else {
		resp = MHD_create_response_from_fd_at_offset64(len, fd, off);   /* owns fd */
		if (!resp)
			close(fd);
	}
	if (!resp) {
		reply_error(s, r, 500);
		return;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (kind == SEED_RANGE_PARTIAL)
		*r = (struct reply){206, range_response(resp, off, len, size), false, len};
	else {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
		*r = (struct reply){200, resp, false, len};
	}
}

static void client_address(struct MHD_Connection *c, char *out, size_t n)
{
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(out, n, "?");
	if (info && info->client_addr) {
		socklen_t len = info->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
		                                                         : sizeof(struct sockaddr_in);
		getnameinfo(info->client_addr, len, out, (socklen_t)n, NULL, 0, NI_NUMERICHOST);
	}
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **req_cls)
{
	struct seed_server *s = cls;
	struct reply r = {0};
	char *path = NULL;
	bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;
	bool allowed = get || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;

	/* libmicrohttpd calls this once when the headers are in, then once per body chunk, then once
	 * more. Answering on the first call keeps it from reading a body (a POST gets its 405 at
	 * once) but also makes it close the connection, so GET and HEAD answer on a later call. */
	static int seen;
	if (allowed && !*req_cls) {
		*req_cls = &seen;
		return MHD_YES;
	}
	if (allowed && *upload_data_size) {
		*upload_data_size = 0;   /* a body on GET means nothing: drop it */
		return MHD_YES;
	}

	if (!allowed) {
		reply_error(s, &r, 405);
	} else {
		int status = seed_target_to_path(url, &path);
		const struct content_entry *e = NULL;
		if (status)
			reply_error(s, &r, (unsigned)status);
		else if ((e = bsearch(path, s->content, s->n_content, sizeof *e, content_find_cmp)))
			serve_content(c, e, &r);
		else if (s->root_fd >= 0)
			serve_file(s, c, path, &r);
		else
			reply_error(s, &r, 404);
	}
	if (!r.resp)   /* out of memory inside libmicrohttpd */
		reply_error(s, &r, 500);

	enum MHD_Result ret = MHD_queue_response(c, r.status, r.resp);
	if (!r.shared)
		MHD_destroy_response(r.resp);

	bool first = false;
	if (get && s->on_fetch && (r.status == 200 || r.status == 206)) {
		pthread_mutex_lock(&s->lock);
		first = fetched_add(&s->fetched, path);
		pthread_mutex_unlock(&s->lock);
	}
	if (first || log_enabled()) {
		char client[64];
		client_address(c, client, sizeof client);
		log_debug("http-seed: %s %s %s -> %u (%" PRIu64 " bytes)", client, method, url, r.status,
		          r.bytes);
		if (first)
			s->on_fetch(s->fetch_arg, path, client);
	}
	free(path);
	return ret;
}

/* libmicrohttpd decodes the path before the handler sees it; we want the raw target so that
 * decoding happens exactly once, in seed_target_to_path(). */
static size_t keep_raw_url(void *cls, struct MHD_Connection *c, char *uri)
{
	return strlen(uri);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	if (!log_enabled())
		return;
	char *msg = xvasprintf(fmt, ap);
	size_t n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_debug("http-seed: libmicrohttpd: %s", msg);
	free(msg);
}

/* ---- start / stop ---- */

static int bind_port(const char *address, int min, int max, int *fd_out, int *port_out, struct kiln_error *err)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
	                         .ai_flags = AI_NUMERICHOST | AI_PASSIVE};
	struct addrinfo *ai = NULL;
	if (getaddrinfo(address, NULL, &hints, &ai) != 0 || !ai)
		return err_set_kind(err, ERR_INVALID, "bind address \"%s\" is not a numeric IPv4 or IPv6 address",
		                    address);
	if (!(min == 0 && max == 0) && (min < 1 || max > 65535 || min > max)) {
		freeaddrinfo(ai);
		return err_set_kind(err, ERR_INVALID, "port range %d-%d is not within 1-65535 with min <= max", min, max);
	}

	/* Start at a random port in the range, like Packer, so concurrent builds rarely race for the
	 * same one; a port that bind() refuses is simply skipped. */
	unsigned n = (unsigned)(max - min) + 1, start = 0;
	if (getrandom(&start, sizeof start, 0) != sizeof start)
		start = (unsigned)getpid();
	start %= n;
	int rc = -1, last_errno = 0;
	for (unsigned i = 0; i < n; i++) {
		int port = min == 0 && max == 0 ? 0 : min + (int)((start + i) % n);
		int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0) {
			err_set_errno(err, errno, "creating a socket");
			break;
		}
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);   /* not SO_REUSEPORT: exclusive */
		struct sockaddr_storage sa;
		memcpy(&sa, ai->ai_addr, ai->ai_addrlen);
		if (ai->ai_family == AF_INET6)
			((struct sockaddr_in6 *)&sa)->sin6_port = htons((uint16_t)port);
		else
			((struct sockaddr_in *)&sa)->sin_port = htons((uint16_t)port);
		if (bind(fd, (struct sockaddr *)&sa, ai->ai_addrlen) == 0 && listen(fd, LISTEN_BACKLOG) == 0) {
			socklen_t len = sizeof sa;
			getsockname(fd, (struct sockaddr *)&sa, &len);
			*port_out = ntohs(ai->ai_family == AF_INET6 ? ((struct sockaddr_in6 *)&sa)->sin6_port
			                                            : ((struct sockaddr_in *)&sa)->sin_port);
			*fd_out = fd;
			rc = 0;
			break;
		}
		last_errno = errno;
		close(fd);
		if (last_errno != EADDRINUSE && last_errno != EACCES) {
			err_set_errno(err, last_errno, "binding %s port %d", address, port);
			if (last_errno == EADDRNOTAVAIL)
				err_hint(err, "the bind address must belong to this host (127.0.0.1 serves guests on "
				              "user-mode networking)");
			break;
		}
	}
	freeaddrinfo(ai);
	if (rc < 0 && !err_isset(err)) {
		err_set_kind(err, ERR_IO, "no free port in %d-%d on %s (last error: %s)", min, max, address,
		             strerror(last_errno));
		err_hint(err, "every port in the range is taken; widen the range or free a port");
	}
	return rc;
}

static int add_content(struct seed_server *s, const struct seed_server_options *o, struct kiln_error *err)
{
	s->content = xcalloc(o->n_content ? o->n_content : 1, sizeof *s->content);
	for (size_t i = 0; i < o->n_content; i++) {
		const struct seed_content *in = &o->content[i];
		char *path = NULL;
		if (!in->path || in->path[0] != '/')
			return err_set_kind(err, ERR_INVALID, "content path \"%s\" must start with \"/\"",
			                    in->path ? in->path : "");
		if (seed_clean_path(in->path, &path) != 0)
			return err_set_kind(err, ERR_INVALID, "content path \"%s\" must not contain \"..\"", in->path);
		struct content_entry *e = &s->content[s->n_content++];
		e->path = path;
		e->len = in->len;
		e->data = xmalloc(in->len ? in->len : 1);
		if (in->len)
			memcpy(e->data, in->data, in->len);
		e->type = seed_content_type(path, e->data, e->len);
		e->whole = buffer_response(e->data, e->len, e->type);
		if (!e->whole)
			return err_set(err, "libmicrohttpd could not create a response");
		MHD_add_response_header(e->whole, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
	}
	qsort(s->content, s->n_content, sizeof *s->content, content_sort_cmp);
	for (size_t i = 1; i < s->n_content; i++)
		if (strcmp(s->content[i - 1].path, s->content[i].path) == 0)
			return err_set_kind(err, ERR_INVALID, "two content entries for the path \"%s\"",
			                    s->content[i].path);
	return 0;
}

static int open_root(struct seed_server *s, const char *dir, struct kiln_error *err)
{
	s->root_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->root_fd < 0) {
		err_set_errno(err, errno, "serving directory \"%s\"", dir);
		err->kind = ERR_INVALID;
		return -1;
	}
	s->root_real = realpath(dir, NULL);
	if (!s->root_real)
		return err_set_errno(err, errno, "resolving directory \"%s\"", dir);
	struct open_how how = {.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC, .resolve = RESOLVE_BENEATH};
	int fd = (int)syscall(SYS_openat2, s->root_fd, ".", &how, sizeof how);
	s->use_openat2 = fd >= 0;
	if (fd >= 0)
		close(fd);
	return 0;
}

int seed_server_start(const struct seed_server_options *o, struct seed_server **out, struct kiln_error *err)
{
	*out = NULL;
	struct seed_server *s = xcalloc(1, sizeof *s);
	s->root_fd = -1;
	s->on_fetch = o->on_first_fetch;
	s->fetch_arg = o->fetch_arg;
	s->address = xstrdup(o->bind_address && *o->bind_address ? o->bind_address : DEFAULT_ADDRESS);
	s->listen_fd = -1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->cache.lock, NULL);

	if (add_content(s, o, err) < 0)
		goto fail;
	if (o->directory && open_root(s, o->directory, err) < 0)
		goto fail;
	for (int i = 0; i < N_ERRORS; i++) {
		s->errors[i] = buffer_response(error_body[i], strlen(error_body[i]), "text/plain; charset=utf-8");
		if (!s->errors[i]) {
			err_set(err, "libmicrohttpd could not create a response");
			goto fail;
		}
	}
	MHD_add_response_header(s->errors[ERR_405], MHD_HTTP_HEADER_ALLOW, "GET, HEAD");

	if (bind_port(s->address, o->port_min, o->port_max, &s->listen_fd, &s->port, err) < 0)
		goto fail;
	/* Event-driven, one epoll thread per core (as nginx runs a worker per core): a thread per
	 * connection spent more CPU per small request than nginx on context switches. ITC lets
	 * seed_server_stop() take the socket back with MHD_quiesce_daemon(). */
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned pool = ncpu < 1 ? 1 : ncpu > MAX_POOL_THREADS ? MAX_POOL_THREADS : (unsigned)ncpu;
	if (strchr(s->address, ':'))
		flags |= MHD_USE_IPv6;
	s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_LISTEN_SOCKET, s->listen_fd,
		MHD_OPTION_UNESCAPE_CALLBACK, keep_raw_url, NULL,
		MHD_OPTION_CONNECTION_LIMIT, o->max_connections ? o->max_connections : DEFAULT_CONNECTIONS,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT_S,
		MHD_OPTION_THREAD_POOL_SIZE, pool,
		MHD_OPTION_END);
	if (!s->daemon) {
		/* it may or may not have closed the socket it was given */
		if (fcntl(s->listen_fd, F_GETFD) < 0)
			s->listen_fd = -1;
		err_set(err, "libmicrohttpd could not start serving on %s port %d", s->address, s->port);
		goto fail;
	}
	log_debug("http-seed: serving %s%s%zu content entries on %s port %d", o->directory ? o->directory : "",
	          o->directory ? " and " : "", s->n_content, s->address, s->port);
	*out = s;
	return 0;
fail:
	seed_server_stop(s);
	return -1;
}

void seed_server_stop(struct seed_server *s)
{
	if (!s)
		return;
	if (s->daemon)
		MHD_quiesce_daemon(s->daemon);   /* stops accepting; the socket stays ours to close */
	if (s->listen_fd >= 0)
		close(s->listen_fd);             /* the port is free from here on */
	if (s->daemon) {
		MHD_stop_daemon(s->daemon);      /* closes the connections, joins their threads */
		log_debug("http-seed: stopped serving on %s port %d", s->address, s->port);
	}
	for (size_t i = 0; i < s->n_content; i++) {
		if (s->content[i].whole)
			MHD_destroy_response(s->content[i].whole);
		free(s->content[i].path);
		free(s->content[i].data);
	}
	free(s->content);
	for (int i = 0; i < N_ERRORS; i++)
		if (s->errors[i])
			MHD_destroy_response(s->errors[i]);
	if (s->root_fd >= 0)
		close(s->root_fd);
	free(s->root_real);
	fetched_free(&s->fetched);
	pthread_mutex_destroy(&s->lock);
	cache_free(&s->cache);
	free(s->address);
	free(s);
}

int seed_server_port(const struct seed_server *s)
{
	return s->port;
}

const char *seed_server_address(const struct seed_server *s)
{
	return s->address;
}
