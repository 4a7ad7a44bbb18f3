/* s3.c — uploads to S3 straight from the file, several parts in flight on one libcurl multi handle,
 * each body streamed in aws-chunked form and signed chunk by chunk (see s3.h). */
#include "cloud/aws/s3.h"
#include "cloud/aws/sigv4.h"
#include "cloud/aws/uri.h"
#include "ui/ui.h"
#include "util/buf.h"
#include "util/hash.h"
#include "util/mem.h"
#include "util/signals.h"
#include "util/timeutil.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (256u << 10)          /* data bytes per signed chunk of a body */
#define SIG_EXT ";chunk-signature="
#define DEFAULT_CONCURRENCY 8

void aws_s3_put_result_free(struct aws_s3_put_result *r)
{
	if (!r)
		return;
	free(r->etag);
	free(r->error_code);
	free(r->upload_id);
	free(r->abort_error);
	memset(r, 0, sizeof *r);
}

uint64_t aws_s3_part_size(uint64_t size, uint64_t min)
{
	const uint64_t mib = 1 << 20;
	uint64_t p = min ? min : AWS_S3_MIN_PART;
	uint64_t need = (size + AWS_S3_MAX_PARTS - 1) / AWS_S3_MAX_PARTS;
	if (need > p)
		p = need;
	return (p + mib - 1) / mib * mib;
}

/* ------------------------------------------------------------------------------------------------
 * Addressing */

/* Can the bucket be the first label of a host name (and, over TLS, match *.s3 certificates)? */
static bool dns_bucket(const char *b, bool tls)
{
	size_t n = strlen(b);
	if (n < 3 || n > 63 || !isalnum((unsigned char)b[0]) || !isalnum((unsigned char)b[n - 1]))
		return false;
	for (const char *p = b; *p; p++) {
		if (*p == '.' && tls)
			return false;
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-' || *p == '.'))
			return false;
	}
	return true;
}

int aws_s3_target(const struct aws_client *c, const char *bucket, const char *key, struct aws_endpoint *ep,
		  char **path, struct kiln_error *err)
{
	char *url = aws_service_url(&c->endpoints, "s3", c->region);
	int rc = aws_endpoint_parse(url, ep, err);
	free(url);
	if (rc < 0)
		return -1;
	struct buf p = BUF_INIT;
	bool path_style = ep->is_ip || ep->explicit_port || !dns_bucket(bucket, strcmp(ep->scheme, "https") == 0);
	if (path_style) {
		buf_putc(&p, '/');
		aws_uri_encode(&p, bucket, strlen(bucket), false);
	} else {
		/* BUCKET.host */
		char *host = xasprintf("%s.%s", bucket, ep->host);
		char *hostport = xasprintf("%s.%s", bucket, ep->hostport);
		free(ep->host);
		free(ep->hostport);
		ep->host = host;
		ep->hostport = hostport;
	}
	buf_putc(&p, '/');
	if (key)
		aws_uri_encode(&p, key, strlen(key), true);
	*path = buf_detach(&p);
	return 0;
}

/* ------------------------------------------------------------------------------------------------
 * One body streamed in signed chunks */

struct part {
	int number;              /* 0: a single PutObject */
	uint64_t offset, len;
	int attempts;
	long retry_at;           /* time_mono_ms() after which it may start again */
	bool done, active;
	char *etag;
	/* the transfer */
	CURL *h;
	struct curl_slist *slist;
	struct strv headers;
	struct aws_response resp;
	char errbuf[CURL_ERROR_SIZE];
	/* chunk signing */
	int fd;
	unsigned char key[32];
	char *scope;
	char amz_date[17];
	char seed[65];
	char prev[65];
	char *buf;               /* the framed chunk being sent */
	size_t buf_len, buf_pos;
	uint64_t sent;           /* data bytes framed so far */
	bool final_framed;
	bool read_error;
};

static size_t hexlen(uint64_t n)
{
	size_t l = 1;
	while (n >= 16) {
		n >>= 4;
		l++;
	}
	return l;
}

/* The length of a body of len data bytes in aws-chunked form. */
static uint64_t encoded_length(uint64_t len)
{
	uint64_t per = strlen(SIG_EXT) + 64 + 4;  /* extension, signature, two CRLFs */
	uint64_t full = len / CHUNK, rest = len % CHUNK;
	uint64_t n = full * (hexlen(CHUNK) + per + CHUNK);
	if (rest)
		n += hexlen(rest) + per + rest;
	return n + 1 + per;  /* the final, empty chunk: "0;chunk-signature=...\r\n\r\n" */
}

static void part_rewind(struct part *p)
{
	memcpy(p->prev, p->seed, sizeof p->prev);
	p->buf_len = p->buf_pos = 0;
	p->sent = 0;
	p->final_framed = false;
}

/* Frame the next chunk into p->buf: read it, hash it, sign it. */
static int frame_next(struct part *p)
{
	uint64_t left = p->len - p->sent;
	size_t size = left < CHUNK ? (size_t)left : CHUNK;
	size_t hl = hexlen(size) + strlen(SIG_EXT) + 64 + 2;
	char *data = p->buf + hl;
	size_t got = 0;
	while (got < size) {
		ssize_t n = pread(p->fd, data + got, size - got, (off_t)(p->offset + p->sent + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			p->read_error = true;
			return -1;
		}
		got += (size_t)n;
	}
	unsigned char d[32];
	unsigned int dl = 32;
	char hex[65], sig[65];
	EVP_Digest(data, size, d, &dl, EVP_sha256(), NULL);
	hex_encode(d, 32, hex);
	aws_sigv4_chunk_signature(p->key, p->amz_date, p->scope, p->prev, hex, sig);
	memcpy(p->prev, sig, sizeof p->prev);
	/* the header, written in front of the data it signs */
	char head[32 + 64];
	int n = snprintf(head, sizeof head, "%zx" SIG_EXT "%s\r\n", size, sig);
	memcpy(p->buf, head, (size_t)n);
	memcpy(data + size, "\r\n", 2);
	p->buf_len = hl + size + 2;
	p->buf_pos = 0;
	p->sent += size;
	if (size == 0)
		p->final_framed = true;
	return 0;
}

static size_t on_read(char *out, size_t size, size_t n, void *arg)
{
	struct part *p = arg;
	size_t room = size * n, copied = 0;
	while (copied < room) {
		if (p->buf_pos == p->buf_len) {
			if (p->final_framed)
				break;
			if (frame_next(p) < 0)
				return CURL_READFUNC_ABORT;
		}
		size_t k = p->buf_len - p->buf_pos;
		if (k > room - copied)
			k = room - copied;
		memcpy(out + copied, p->buf + p->buf_pos, k);
		p->buf_pos += k;
		copied += k;
	}
	return copied;
}

static int on_seek(void *arg, curl_off_t offset, int origin)
{
	struct part *p = arg;
	if (offset != 0 || origin != SEEK_SET)
		return CURL_SEEKFUNC_CANTSEEK;
	part_rewind(p);
	return CURL_SEEKFUNC_OK;
}

struct upload {
	struct aws_client *c;
	const char *bucket, *key;
	const struct aws_s3_put_opts *o;
	struct aws_endpoint ep;
	char *path;
	char *upload_id;
	int fd;
	uint64_t size;
	char *error_code;        /* AWS's code for the failure */
	struct part *parts;
	size_t nparts;
	CURLM *multi;
	int retries;
};

static void part_release(struct part *p)
{
	if (p->h)
		curl_easy_cleanup(p->h);
	p->h = NULL;
	curl_slist_free_all(p->slist);
	p->slist = NULL;
	for (size_t i = 0; i < p->headers.n; i++)
		memset(p->headers.v[i], 0, strlen(p->headers.v[i]));
	strv_free(&p->headers);
	free(p->scope);
	p->scope = NULL;
	free(p->buf);
	p->buf = NULL;
	p->active = false;
}

/* The headers a body request signs besides the chunking ones: PutObject's content type and encryption. */
static void object_headers(const struct upload *u, struct strv *h)
{
	strv_push(h, "Content-Type: application/octet-stream");
	if (u->o && u->o->sse && *u->o->sse) {
		strv_pushf(h, "X-Amz-Server-Side-Encryption: %s", u->o->sse);
		if (strcmp(u->o->sse, "aws:kms") == 0 && u->o->sse_kms_key && *u->o->sse_kms_key)
			strv_pushf(h, "X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id: %s", u->o->sse_kms_key);
	}
}

static int part_start(struct upload *u, struct part *p, struct kiln_error *err)
{
	struct aws_creds cr = {0};
	if (aws_creds_provider_get(u->c->creds, false, &cr, err) < 0)
		return -1;
	aws_response_free(&p->resp);
	memset(&p->resp, 0, sizeof p->resp);
	struct strv signed_h = STRV_INIT;
	strv_push(&signed_h, "Content-Encoding: aws-chunked");
	strv_pushf(&signed_h, "X-Amz-Decoded-Content-Length: %llu", (unsigned long long)p->len);
	if (p->number == 0)
		object_headers(u, &signed_h);
	char *query = NULL;
	if (p->number) {
		struct aws_query q = AWS_QUERY_INIT;
		aws_query_addf(&q, "partNumber", "%d", p->number);
		aws_query_add(&q, "uploadId", u->upload_id);
		query = aws_query_string(&q);
		aws_query_free(&q);
	}
	struct aws_request r = {
		.operation = p->number ? "UploadPart" : "PutObject",
		.method = "PUT",
		.service = "s3",
		.endpoint = &u->ep,
		.path = u->path,
		.query = query,
		.headers = signed_h.v,
		.s3 = true,
	};
	aws_sigv4_amz_date((long long)time(NULL), p->amz_date);
	for (size_t i = 0; i < signed_h.n; i++)
		strv_push(&p->headers, signed_h.v[i]);
	int rc = aws_sign_headers(&r, &cr, u->c->region, AWS_STREAMING_PAYLOAD, p->amz_date, &p->headers, p->seed,
				  &p->scope, p->key, err);
	aws_creds_clear(&cr);
	strv_free(&signed_h);
	if (rc < 0) {
		free(query);
		return -1;
	}
	strv_push(&p->headers, "Expect:");
	for (size_t i = 0; i < p->headers.n; i++)
		p->slist = curl_slist_append(p->slist, p->headers.v[i]);

	p->fd = u->fd;
	p->buf = xmalloc(CHUNK + 128);
	part_rewind(p);
	p->read_error = false;
	p->h = curl_easy_init();
	char *base = aws_endpoint_base(&u->ep);
	char *url = xasprintf("%s%s%s%s", base, u->path, query ? "?" : "", query ? query : "");
	free(base);
	free(query);
	aws_curl_common(p->h, u->c, 0, true);
	curl_easy_setopt(p->h, CURLOPT_URL, url);
	free(url);
	curl_easy_setopt(p->h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(p->h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)encoded_length(p->len));
	curl_easy_setopt(p->h, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(p->h, CURLOPT_READDATA, p);
	curl_easy_setopt(p->h, CURLOPT_SEEKFUNCTION, on_seek);
	curl_easy_setopt(p->h, CURLOPT_SEEKDATA, p);
	curl_easy_setopt(p->h, CURLOPT_UPLOAD_BUFFERSIZE, (long)CHUNK);
	curl_easy_setopt(p->h, CURLOPT_HTTPHEADER, p->slist);
	curl_easy_setopt(p->h, CURLOPT_WRITEFUNCTION, aws_curl_on_body);
	curl_easy_setopt(p->h, CURLOPT_WRITEDATA, &p->resp);
	curl_easy_setopt(p->h, CURLOPT_HEADERFUNCTION, aws_curl_on_header);
	curl_easy_setopt(p->h, CURLOPT_HEADERDATA, &p->resp);
	curl_easy_setopt(p->h, CURLOPT_ERRORBUFFER, p->errbuf);
	curl_easy_setopt(p->h, CURLOPT_PRIVATE, p);
	/* a part that makes no progress for a minute is retried */
	curl_easy_setopt(p->h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(p->h, CURLOPT_LOW_SPEED_TIME, 60L);
	p->errbuf[0] = '\0';
	p->active = true;
	p->attempts++;
	curl_multi_add_handle(u->multi, p->h);
	return 0;
}

/* A finished transfer: done, to retry, or the upload's end. */
static int part_finished(struct upload *u, struct part *p, CURLcode cc, struct kiln_error *err)
{
	long status = 0;
	if (cc == CURLE_OK)
		curl_easy_getinfo(p->h, CURLINFO_RESPONSE_CODE, &status);
	p->resp.status = status;
	aws_response_finish(&p->resp);
	curl_multi_remove_handle(u->multi, p->h);
	const char *op = p->number ? "UploadPart" : "PutObject";
	const char *etag = aws_response_header(&p->resp, "etag");
	bool read_error = p->read_error;
	char errbuf[CURL_ERROR_SIZE];
	memcpy(errbuf, p->errbuf, sizeof errbuf);
	part_release(p);
	log_debug("aws: s3 %s %d (%llu bytes) -> %ld%s%s", op, p->number, (unsigned long long)p->len, status,
		  p->resp.code ? " " : "", p->resp.code ? p->resp.code : "");
	if (read_error)
		return err_set_kind(err, ERR_IO, "%s: cannot read bytes %llu-%llu of the file (did it shrink?)", op,
				    (unsigned long long)p->offset, (unsigned long long)(p->offset + p->len));
	if (cc == CURLE_OK && status >= 200 && status <= 299 && !p->resp.code) {
		if (!etag || !*etag)
			return err_set(err, "%s %d: S3 answered without an ETag", op, p->number);
		p->etag = xstrdup(etag);
		p->done = true;
		return 0;
	}
	if (cc == CURLE_ABORTED_BY_CALLBACK && sig_cancelled())
		return err_set_kind(err, ERR_CANCELLED, "upload cancelled");
	bool expired = aws_expired_code(p->resp.code) && aws_creds_provider_refreshable(u->c->creds);
	bool again = expired || (cc != CURLE_OK ? (cc != CURLE_ABORTED_BY_CALLBACK && cc != CURLE_READ_ERROR)
					       : aws_retryable(status, p->resp.code));
	int max = u->c->max_retries + 1;
	if (!again || p->attempts >= max) {
		if (p->resp.code && !u->error_code)
			u->error_code = xstrdup(p->resp.code);
		char *what = p->number ? xasprintf("UploadPart %d", p->number) : xstrdup("PutObject");
		aws_response_error(what, &p->resp, cc, errbuf, err);
		free(what);
		return -1;
	}
	if (expired) {
		struct aws_creds fresh = {0};
		if (aws_creds_provider_get(u->c->creds, true, &fresh, err) < 0)
			return err_wrap(err, "%s: the credentials expired and could not be refreshed", op);
		aws_creds_clear(&fresh);
		p->retry_at = 0;
	} else {
		p->retry_at = time_mono_ms() + aws_backoff_ms(p->attempts, u->c->retry_base_ms);
	}
	u->retries++;
	log_debug("aws: s3 %s %d: attempt %d failed (%ld %s), again", op, p->number, p->attempts, status,
		  p->resp.code ? p->resp.code : errbuf);
	return 0;
}

/* Send every part (or the one PutObject), `concurrency` at a time. */
static int send_parts(struct upload *u, struct kiln_error *err)
{
	int conc = u->o && u->o->concurrency > 0 ? u->o->concurrency : DEFAULT_CONCURRENCY;
	u->multi = curl_multi_init();
	curl_multi_setopt(u->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)conc);
	int rc = 0;
	size_t ndone = 0;
	uint64_t done_bytes = 0;
	long last_progress = 0;
	while (ndone < u->nparts && rc == 0) {
		long now = time_mono_ms();
		int active = 0;
		for (size_t i = 0; i < u->nparts; i++)
			active += u->parts[i].active;
		long next_retry = 0;
		for (size_t i = 0; i < u->nparts && active < conc && rc == 0; i++) {
			struct part *p = &u->parts[i];
			if (p->done || p->active)
				continue;
			if (p->retry_at > now) {
				if (!next_retry || p->retry_at < next_retry)
					next_retry = p->retry_at;
				continue;
			}
			rc = part_start(u, p, err);
			active++;
		}
		if (rc < 0)
			break;
		int running = 0;
		curl_multi_perform(u->multi, &running);
		CURLMsg *m;
		int left;
		while (rc == 0 && (m = curl_multi_info_read(u->multi, &left))) {
			if (m->msg != CURLMSG_DONE)
				continue;
			struct part *p = NULL;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&p);
			CURLcode cc = m->data.result;
			rc = part_finished(u, p, cc, err);
			if (rc == 0 && p->done) {
				ndone++;
				done_bytes += p->len;
			}
		}
		if (rc < 0)
			break;
		if (sig_cancelled()) {
			rc = err_set_kind(err, ERR_CANCELLED, "upload cancelled");
			break;
		}
		if (u->o && u->o->progress && (time_mono_ms() - last_progress >= 200 || ndone == u->nparts)) {
			uint64_t inflight = 0;
			for (size_t i = 0; i < u->nparts; i++)
				if (u->parts[i].active)
					inflight += u->parts[i].sent;
			u->o->progress(u->o->progress_arg, done_bytes + inflight, u->size);
			last_progress = time_mono_ms();
		}
		if (ndone == u->nparts)
			break;
		int timeout = 1000;
		if (next_retry) {
			long wait = next_retry - time_mono_ms();
			timeout = wait < 0 ? 0 : wait < timeout ? (int)wait : timeout;
		}
		struct curl_waitfd extra = {.fd = sig_cancel_fd(), .events = CURL_WAIT_POLLIN};
		curl_multi_poll(u->multi, extra.fd >= 0 ? &extra : NULL, extra.fd >= 0 ? 1 : 0, timeout, NULL);
	}
	for (size_t i = 0; i < u->nparts; i++) {
		if (u->parts[i].active) {
			curl_multi_remove_handle(u->multi, u->parts[i].h);
			part_release(&u->parts[i]);
		}
		aws_response_free(&u->parts[i].resp);
	}
	curl_multi_cleanup(u->multi);
	u->multi = NULL;
	return rc;
}

/* ------------------------------------------------------------------------------------------------
 * The calls */

static int s3_call(struct aws_client *c, const char *op, const char *method, const char *bucket, const char *key,
		   const char *query, char *const *headers, const char *body, bool cleanup, struct aws_response *resp,
		   struct kiln_error *err)
{
	memset(resp, 0, sizeof *resp);
	struct aws_endpoint ep;
	char *path = NULL;
	if (aws_s3_target(c, bucket, key, &ep, &path, err) < 0)
		return -1;
	struct aws_request r = {
		.operation = op,
		.method = method,
		.service = "s3",
		.endpoint = &ep,
		.path = path,
		.query = query,
		.headers = headers,
		.body = body,
		.body_len = body ? strlen(body) : 0,
		.s3 = true,
		.cleanup = cleanup,
		.max_attempts = cleanup ? 3 : 0,
		.timeout_ms = cleanup ? 30000 : 0,
	};
	int rc = aws_send(c, &r, resp, err);
	if (rc < 0) {
		/* the usual cause of a 301 or an AuthorizationHeaderMalformed: a bucket in another region */
		const char *where = aws_response_header(resp, "x-amz-bucket-region");
		if (where && c->region && strcmp(where, c->region) != 0)
			err_hint(err, "the bucket %s is in %s, not in %s: VM Import needs the bucket in the region of the "
				      "import (set region = \"%s\", or use a bucket in %s)", bucket, where, c->region, where,
				 c->region);
	}
	aws_endpoint_free(&ep);
	free(path);
	return rc;
}

int aws_s3_delete(struct aws_client *c, const char *bucket, const char *key, struct kiln_error *err)
{
	struct aws_response resp;
	int rc = s3_call(c, "DeleteObject", "DELETE", bucket, key, NULL, NULL, NULL, true, &resp, err);
	aws_response_free(&resp);
	return rc;
}

int aws_s3_abort(struct aws_client *c, const char *bucket, const char *key, const char *upload_id,
		 struct kiln_error *err)
{
	struct aws_query q = AWS_QUERY_INIT;
	aws_query_add(&q, "uploadId", upload_id);
	char *query = aws_query_string(&q);
	aws_query_free(&q);
	struct aws_response resp;
	int rc = s3_call(c, "AbortMultipartUpload", "DELETE", bucket, key, query, NULL, NULL, true, &resp, err);
	free(query);
	aws_response_free(&resp);
	return rc;
}

static int create_upload(struct upload *u, struct kiln_error *err)
{
	struct strv h = STRV_INIT;
	object_headers(u, &h);
	struct aws_response resp;
	int rc = s3_call(u->c, "CreateMultipartUpload", "POST", u->bucket, u->key, "uploads=", h.v, NULL, false, &resp,
			 err);
	strv_free(&h);
	if (rc < 0 && resp.code)
		u->error_code = xstrdup(resp.code);
	if (rc == 0) {
		const char *id = aws_xml_text(resp.xml, "UploadId");
		if (!id || !*id)
			rc = err_set(err, "CreateMultipartUpload: S3 answered without an UploadId");
		else
			u->upload_id = xstrdup(id);
	}
	aws_response_free(&resp);
	return rc;
}

static int complete_upload(struct upload *u, char **etag, struct kiln_error *err)
{
	struct buf x = BUF_INIT;
	buf_puts(&x, "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
	for (size_t i = 0; i < u->nparts; i++) {
		buf_printf(&x, "<Part><PartNumber>%d</PartNumber><ETag>", u->parts[i].number);
		buf_put_xml(&x, u->parts[i].etag);
		buf_puts(&x, "</ETag></Part>");
	}
	buf_puts(&x, "</CompleteMultipartUpload>");
	struct aws_query q = AWS_QUERY_INIT;
	aws_query_add(&q, "uploadId", u->upload_id);
	char *query = aws_query_string(&q);
	aws_query_free(&q);
	char *const h[] = {(char *)"Content-Type: application/xml", NULL};
	struct aws_response resp;
	int rc = s3_call(u->c, "CompleteMultipartUpload", "POST", u->bucket, u->key, query, h, buf_cstr(&x), false,
			 &resp, err);
	if (rc < 0 && resp.code && !u->error_code)
		u->error_code = xstrdup(resp.code);
	if (rc == 0) {
		const char *e = aws_xml_text(resp.xml, "ETag");
		*etag = e ? xstrdup(e) : NULL;
	}
	aws_response_free(&resp);
	free(query);
	buf_free(&x);
	return rc;
}

int aws_s3_put_file(struct aws_client *c, const char *bucket, const char *key, const char *path,
		    const struct aws_s3_put_opts *o, struct aws_s3_put_result *res, struct kiln_error *err)
{
	memset(res, 0, sizeof *res);
	struct upload u = {.c = c, .bucket = bucket, .key = key, .o = o, .fd = -1};
	int rc = -1;
	u.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (u.fd < 0)
		return err_set_errno(err, errno, "cannot open %s", path);
	struct stat st;
	if (fstat(u.fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(u.fd);
		return err_set_kind(err, ERR_INVALID, "%s is not a regular file", path);
	}
	u.size = (uint64_t)st.st_size;
	if (u.size > AWS_S3_MAX_OBJECT) {
		close(u.fd);
		return err_set_kind(err, ERR_INVALID, "%s is larger than S3's 5 TiB limit for one object", path);
	}
	posix_fadvise(u.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (aws_s3_target(c, bucket, key, &u.ep, &u.path, err) < 0)
		goto out;
	uint64_t threshold = o && o->multipart_threshold ? o->multipart_threshold : AWS_S3_MULTIPART_THRESHOLD;
	if (u.size < threshold) {
		u.nparts = 1;
		u.parts = xcalloc(1, sizeof *u.parts);
		u.parts[0].len = u.size;
		rc = send_parts(&u, err);
		if (rc == 0) {
			res->etag = u.parts[0].etag ? xstrdup(u.parts[0].etag) : NULL;
			res->parts = 1;
		}
		goto out;
	}
	uint64_t ps = aws_s3_part_size(u.size, o ? o->part_size : 0);
	u.nparts = (size_t)((u.size + ps - 1) / ps);
	u.parts = xcalloc(u.nparts, sizeof *u.parts);
	for (size_t i = 0; i < u.nparts; i++) {
		u.parts[i].number = (int)i + 1;
		u.parts[i].offset = (uint64_t)i * ps;
		u.parts[i].len = i + 1 < u.nparts ? ps : u.size - (uint64_t)i * ps;
	}
	res->multipart = true;
	res->parts = (int)u.nparts;
	if (create_upload(&u, err) < 0)
		goto out;
	res->upload_id = xstrdup(u.upload_id);
	rc = send_parts(&u, err);
	if (rc == 0)
		rc = complete_upload(&u, &res->etag, err);
	if (rc < 0) {
		/* nothing may stay billed in the bucket: abort, even after Ctrl-C */
		struct kiln_error ae = ERR_INIT;
		if (aws_s3_abort(c, bucket, key, u.upload_id, &ae) == 0) {
			res->aborted = true;
		} else {
			res->abort_error = err_text(&ae);
		}
		err_clear(&ae);
	}
out:
	res->bytes = u.size;
	res->retries = u.retries;
	res->error_code = u.error_code;
	for (size_t i = 0; i < u.nparts; i++)
		free(u.parts[i].etag);
	free(u.parts);
	free(u.upload_id);
	free(u.path);
	aws_endpoint_free(&u.ep);
	close(u.fd);
	return rc;
}
