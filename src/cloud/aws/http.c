/* http.c — AWS requests over libcurl (see http.h). */
#include "config.h"

#include "cloud/aws/http.h"
#include "cloud/aws/sigv4.h"
#include "ui/ui.h"
#include "util/hash.h"
#include "util/mem.h"
#include "util/signals.h"
#include "util/timeutil.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_ANSWER (16u << 20)

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ------------------------------------------------------------------------------------------------
 * Endpoints */

void aws_endpoint_free(struct aws_endpoint *e)
{
	if (!e)
		return;
	free(e->scheme);
	free(e->host);
	free(e->hostport);
	free(e->prefix);
	memset(e, 0, sizeof *e);
}

int aws_endpoint_parse(const char *url, struct aws_endpoint *out, struct kiln_error *err)
{
	memset(out, 0, sizeof *out);
	const char *sep = url ? strstr(url, "://") : NULL;
	if (!sep)
		return err_set_kind(err, ERR_INVALID, "endpoint \"%s\" is not a URL (http://host[:port])", url ? url : "");
	out->scheme = xstrndup(url, (size_t)(sep - url));
	for (char *p = out->scheme; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (strcmp(out->scheme, "http") != 0 && strcmp(out->scheme, "https") != 0) {
		err_set_kind(err, ERR_INVALID, "endpoint \"%s\": only http and https are supported", url);
		goto fail;
	}
	const char *h = sep + 3;
	const char *path = strchr(h, '/');
	size_t hl = path ? (size_t)(path - h) : strlen(h);
	const char *q = memchr(h, '?', hl);
	if (q || memchr(h, '@', hl) || hl == 0) {
		err_set_kind(err, ERR_INVALID, "endpoint \"%s\" must be scheme://host[:port][/path]", url);
		goto fail;
	}
	const char *port = NULL;
	if (*h == '[') {
		const char *close = memchr(h, ']', hl);
		if (!close) {
			err_set_kind(err, ERR_INVALID, "endpoint \"%s\": unclosed IPv6 address", url);
			goto fail;
		}
		out->host = xstrndup(h + 1, (size_t)(close - h - 1));
		if (close + 1 < h + hl) {
			if (close[1] != ':') {
				err_set_kind(err, ERR_INVALID, "endpoint \"%s\": junk after the IPv6 address", url);
				goto fail;
			}
			port = close + 2;
		}
	} else {
		const char *colon = memchr(h, ':', hl);
		out->host = xstrndup(h, colon ? (size_t)(colon - h) : hl);
		if (colon)
			port = colon + 1;
	}
	int def = strcmp(out->scheme, "https") == 0 ? 443 : 80;
	out->port = def;
	if (port) {
		char *end = NULL;
		long pn = strtol(port, &end, 10);
		if (end == port || end != h + hl || pn < 1 || pn > 65535) {
			err_set_kind(err, ERR_INVALID, "endpoint \"%s\": bad port", url);
			goto fail;
		}
		out->port = (int)pn;
		out->explicit_port = true;
	}
	for (char *p = out->host; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (!*out->host) {
		err_set_kind(err, ERR_INVALID, "endpoint \"%s\" has no host", url);
		goto fail;
	}
	unsigned char a[16];
	out->is_ip = inet_pton(AF_INET, out->host, a) == 1 || inet_pton(AF_INET6, out->host, a) == 1;
	bool v6 = strchr(out->host, ':') != NULL;
	if (out->port != def)
		out->hostport = xasprintf(v6 ? "[%s]:%d" : "%s:%d", out->host, out->port);
	else
		out->hostport = xasprintf(v6 ? "[%s]" : "%s", out->host);
	/* a path prefix, without the trailing slash */
	const char *pp = path ? path : "";
	size_t pl = strlen(pp);
	while (pl && pp[pl - 1] == '/')
		pl--;
	out->prefix = xstrndup(pp, pl);
	return 0;
fail:
	aws_endpoint_free(out);
	return -1;
}

char *aws_endpoint_base(const struct aws_endpoint *e)
{
	return xasprintf("%s://%s", e->scheme, e->hostport);
}

static char *env_dup(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? xstrdup(v) : NULL;
}

static bool env_true(const char *name)
{
	const char *v = getenv(name);
	return v && strcasecmp(v, "true") == 0;
}

/* Packer's custom_endpoint_ec2 may be a bare host: the Go SDK put https:// in front. */
static char *with_scheme(const char *u)
{
	return strstr(u, "://") ? xstrdup(u) : xasprintf("https://%s", u);
}

void aws_endpoints_from_env(struct aws_endpoints *e, const char *custom_endpoint_ec2)
{
	memset(e, 0, sizeof *e);
	bool ignore = env_true("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	char *global = ignore ? NULL : env_dup("AWS_ENDPOINT_URL");
	char *ec2 = ignore ? NULL : env_dup("AWS_ENDPOINT_URL_EC2");
	char *s3 = ignore ? NULL : env_dup("AWS_ENDPOINT_URL_S3");
	char *sts = ignore ? NULL : env_dup("AWS_ENDPOINT_URL_STS");
	if (custom_endpoint_ec2 && *custom_endpoint_ec2) {
		e->ec2 = with_scheme(custom_endpoint_ec2);
		/* Packer 1.6's custom_endpoint_ec2 was the whole session's endpoint: its S3 upload went there
		 * too (an all-in-one endpoint such as LocalStack's). The S3 variables still win. */
		if (!s3 && !global)
			e->s3 = xstrdup(e->ec2);
		free(ec2);
	} else {
		e->ec2 = ec2 ? ec2 : global ? xstrdup(global) : NULL;
	}
	if (!e->s3)
		e->s3 = s3 ? s3 : global ? xstrdup(global) : NULL;
	else
		free(s3);
	e->sts = sts ? sts : global ? xstrdup(global) : NULL;
	free(global);
	e->imds = env_dup("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	e->imds_disabled = env_true("AWS_EC2_METADATA_DISABLED");
}

void aws_endpoints_free(struct aws_endpoints *e)
{
	if (!e)
		return;
	free(e->ec2);
	free(e->s3);
	free(e->sts);
	free(e->imds);
	memset(e, 0, sizeof *e);
}

char *aws_service_url(const struct aws_endpoints *e, const char *service, const char *region)
{
	const char *o = NULL;
	if (e && strcmp(service, "ec2") == 0)
		o = e->ec2;
	else if (e && strcmp(service, "s3") == 0)
		o = e->s3;
	else if (e && strcmp(service, "sts") == 0)
		o = e->sts;
	if (o)
		return xstrdup(o);
	bool china = region && strncmp(region, "cn-", 3) == 0;
	return xasprintf("https://%s.%s.amazonaws.com%s", service, region ? region : "us-east-1", china ? ".cn" : "");
}

/* ------------------------------------------------------------------------------------------------
 * Client */

void aws_client_init(struct aws_client *c)
{
	memset(c, 0, sizeof *c);
	c->max_retries = 10;
	c->retry_base_ms = 500;
	c->ca_bundle = env_dup("AWS_CA_BUNDLE");
	pthread_once(&curl_once, curl_init_once);
}

void aws_client_free(struct aws_client *c)
{
	if (!c)
		return;
	aws_creds_provider_free(c->creds);
	aws_endpoints_free(&c->endpoints);
	free(c->region);
	free(c->ca_bundle);
	memset(c, 0, sizeof *c);
}

void aws_response_free(struct aws_response *r)
{
	if (!r)
		return;
	buf_free(&r->body);
	strv_free(&r->headers);
	aws_xml_free(r->xml);
	free(r->code);
	free(r->message);
	memset(r, 0, sizeof *r);
}

const char *aws_response_header(const struct aws_response *r, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < r->headers.n; i++)
		if (strncmp(r->headers.v[i], name, n) == 0 && r->headers.v[i][n] == ':')
			return r->headers.v[i] + n + 1 + (r->headers.v[i][n + 1] == ' ');
	return NULL;
}

/* ------------------------------------------------------------------------------------------------
 * Retries */

static const char *const throttling_codes[] = {
	"Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
	"TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
	"RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled",
	"SlowDown", "PriorRequestNotComplete", "EC2ThrottledException", "RequestTimeout",
	"RequestTimeoutException", "InternalError", "ServiceUnavailable", "InternalFailure",
	"IDPCommunicationError", NULL,
};

bool aws_retryable(long status, const char *code)
{
	if (status == 0 || status == 429 || status == 500 || status == 502 || status == 503 || status == 504)
		return true;
	for (size_t i = 0; code && throttling_codes[i]; i++)
		if (strcmp(code, throttling_codes[i]) == 0)
			return true;
	return false;
}

bool aws_expired_code(const char *code)
{
	/* EC2 says RequestExpired for an expired session token (and for a request signed too long ago) */
	return code && (strcmp(code, "ExpiredToken") == 0 || strcmp(code, "ExpiredTokenException") == 0 ||
			strcmp(code, "TokenRefreshRequired") == 0 || strcmp(code, "RequestExpired") == 0);
}

long aws_backoff_ms(int attempt, long base_ms)
{
	long cap = 20000, ceil = base_ms;
	for (int i = 1; i < attempt && ceil < cap; i++)
		ceil *= 2;
	if (ceil > cap)
		ceil = cap;
	/* full jitter (AWS's "Exponential Backoff And Jitter"), but never less than a tenth */
	long r = (long)((unsigned long)rand() % (unsigned long)(ceil + 1));
	return r < ceil / 10 ? ceil / 10 : r;
}

static bool curl_retryable(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

/* ------------------------------------------------------------------------------------------------
 * One transfer */

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	(void)arg, (void)dt, (void)dn, (void)ut, (void)un;
	return sig_cancelled() ? 1 : 0;
}

void aws_curl_common(void *curl, const struct aws_client *c, long connect_timeout_ms, bool cancellable)
{
	CURL *h = curl;
	curl_easy_setopt(h, CURLOPT_USERAGENT, "kiln/" PACKAGE_VERSION " (amazon-import)");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_timeout_ms > 0 ? connect_timeout_ms : 10000L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	if (cancellable) {
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	}
	if (c && c->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (c && c->ca_bundle)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_bundle);
}

size_t aws_curl_on_body(char *data, size_t size, size_t n, void *arg)
{
	struct aws_response *r = arg;
	size_t len = size * n;
	if (r->body.len + len > MAX_ANSWER)
		return 0;
	buf_append(&r->body, data, len);
	return len;
}

size_t aws_curl_on_header(char *data, size_t size, size_t n, void *arg)
{
	struct aws_response *r = arg;
	size_t len = size * n;
	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		strv_free(&r->headers);  /* a new response (after 100 Continue) */
		return len;
	}
	const char *colon = memchr(data, ':', len);
	if (!colon)
		return len;
	struct buf b = BUF_INIT;
	for (const char *p = data; p < colon; p++)
		buf_putc(&b, (char)tolower((unsigned char)*p));
	buf_puts(&b, ": ");
	const char *v = colon + 1, *e = data + len;
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' '))
		e--;
	buf_append(&b, v, (size_t)(e - v));
	if (r->headers.n < 200)
		strv_push_owned(&r->headers, buf_detach(&b));
	else
		buf_free(&b);
	return len;
}

void aws_response_finish(struct aws_response *r)
{
	struct kiln_error e = ERR_INIT;
	aws_xml_free(r->xml);
	r->xml = NULL;
	free(r->code);
	free(r->message);
	r->code = r->message = NULL;
	/* XML when it looks like it: S3's errors to HEAD have no body at all */
	const char *b = buf_cstr(&r->body);
	while (*b && isspace((unsigned char)*b))
		b++;
	if (*b == '<' && aws_xml_parse(r->body.data, r->body.len, &r->xml, &e) == 0) {
		const char *code = NULL, *msg = NULL;
		if (aws_xml_error(r->xml, &code, &msg)) {
			r->code = xstrdup(code && *code ? code : "UnknownError");
			r->message = msg && *msg ? xstrdup(msg) : NULL;
		}
	}
	err_clear(&e);
	if (!r->code && (r->status < 200 || r->status > 299) && r->status) {
		/* S3 answers HEAD errors without a body; say what the status means */
		const char *c = r->status == 403 ? "Forbidden" : r->status == 404 ? "NotFound"
				: r->status == 301 ? "PermanentRedirect" : NULL;
		if (c)
			r->code = xstrdup(c);
	}
}

char *aws_request_path(const struct aws_request *r)
{
	const char *p = r->path && *r->path ? r->path : "/";
	return xasprintf("%s%s", r->endpoint->prefix ? r->endpoint->prefix : "", p);
}

int aws_sign_headers(const struct aws_request *r, const struct aws_creds *cr, const char *region,
		     const char *payload_hash, const char *amz_date, struct strv *out, char signature[65],
		     char **scope, unsigned char signing_key[32], struct kiln_error *err)
{
	char *path = aws_request_path(r);
	struct aws_sigv4_request s = {
		.method = r->method,
		.host = r->endpoint->hostport,
		.path = path,
		.query = r->query,
		.headers = r->headers,
		.payload_hash = payload_hash,
		.service = r->service,
		.region = region,
		.amz_date = amz_date,
		.s3 = r->s3,
		.content_sha256_header = r->s3,
	};
	struct aws_sigv4_result res;
	int rc = aws_sigv4_sign(&s, cr, &res, err);
	free(path);
	if (rc < 0)
		return -1;
	strv_pushf(out, "Host: %s", r->endpoint->hostport);
	strv_pushf(out, "X-Amz-Date: %s", amz_date);
	if (cr->session_token && *cr->session_token)
		strv_pushf(out, "X-Amz-Security-Token: %s", cr->session_token);
	if (r->s3)
		strv_pushf(out, "X-Amz-Content-Sha256: %s", payload_hash);
	strv_pushf(out, "Authorization: %s", res.authorization);
	if (signature)
		memcpy(signature, res.signature, 65);
	if (scope)
		*scope = xstrdup(res.credential_scope);
	if (signing_key)
		memcpy(signing_key, res.signing_key, 32);
	aws_sigv4_result_free(&res);
	return 0;
}

int aws_response_error(const char *op, const struct aws_response *resp, long curl_code, const char *curl_msg,
		       struct kiln_error *err)
{
	if (curl_code == CURLE_ABORTED_BY_CALLBACK && sig_cancelled())
		return err_set_kind(err, ERR_CANCELLED, "%s: cancelled", op);
	if (resp->status == 0)
		return err_set_kind(err, ERR_IO, "%s: no answer: %s", op, curl_msg && *curl_msg ? curl_msg
					: curl_easy_strerror((CURLcode)curl_code));
	if (resp->code && resp->message)
		return err_set(err, "%s: %s: %s (HTTP %ld)", op, resp->code, resp->message, resp->status);
	if (resp->code)
		return err_set(err, "%s: %s (HTTP %ld)", op, resp->code, resp->status);
	return err_set(err, "%s: HTTP %ld", op, resp->status);
}

struct attempt {
	long curl_code;
	char curl_msg[CURL_ERROR_SIZE];
};

static int perform(struct aws_client *c, const struct aws_request *r, const struct aws_creds *cr,
		   struct aws_response *resp, struct attempt *at, struct kiln_error *err)
{
	CURL *h = curl_easy_init();
	if (!h)
		return err_set(err, "cannot create a curl handle");
	struct curl_slist *slist = NULL;
	struct strv headers = STRV_INIT;
	char *path = aws_request_path(r);
	char *base = aws_endpoint_base(r->endpoint);
	char *url = xasprintf("%s%s%s%s", base, path, r->query && *r->query ? "?" : "", r->query ? r->query : "");
	char *sigv4 = NULL;
	const char *region = r->region ? r->region : c->region;
	int rc = -1;

	for (char *const *hh = r->headers; hh && *hh; hh++)
		strv_push(&headers, *hh);
	char body_hash[65];
	char *hx = hash_hex("sha256", r->body ? r->body : "", r->body ? r->body_len : 0);
	snprintf(body_hash, sizeof body_hash, "%s", hx);
	free(hx);
	if (r->service && cr) {
		char *path_signed = aws_request_path(r);
		struct strv names = STRV_INIT;
		for (size_t i = 0; i < headers.n; i++)
			strv_push(&names, headers.v[i]);
		if (r->s3)
			strv_pushf(&names, "X-Amz-Content-Sha256: %s", body_hash);
		struct aws_sigv4_request s = {.method = r->method, .host = r->endpoint->hostport, .path = path_signed,
					      .query = r->query, .headers = names.n ? names.v : NULL,
					      .service = r->service, .region = region, .s3 = r->s3};
		bool curl_signs = aws_sigv4_curl_agrees(&s, true);
		free(path_signed);
		if (curl_signs) {
			/* curl signs: it is given the same headers, and the token to sign with them */
			strv_free(&headers);
			headers = names;
			if (cr->session_token && *cr->session_token)
				strv_pushf(&headers, "X-Amz-Security-Token: %s", cr->session_token);
			sigv4 = xasprintf("aws:amz:%s:%s", region, r->service);
			curl_easy_setopt(h, CURLOPT_AWS_SIGV4, sigv4);
			curl_easy_setopt(h, CURLOPT_USERNAME, cr->access_key_id);
			curl_easy_setopt(h, CURLOPT_PASSWORD, cr->secret_access_key);
		} else {
			strv_free(&names);
			char date[17];
			aws_sigv4_amz_date((long long)time(NULL), date);
			if (aws_sign_headers(r, cr, region, body_hash, date, &headers, NULL, NULL, NULL, err) < 0)
				goto out;
			/* no "Expect: 100-continue" wait before a large body (not for curl's signer: it would
			 * sign the empty header it never sends) */
			strv_push(&headers, "Expect:");
		}
	}
	for (size_t i = 0; i < headers.n; i++)
		slist = curl_slist_append(slist, headers.v[i]);

	aws_curl_common(h, c, r->connect_timeout_ms, !r->cleanup);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, slist);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, r->timeout_ms > 0 ? r->timeout_ms : 120000L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, aws_curl_on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, aws_curl_on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, resp);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, at->curl_msg);
	if (strcmp(r->method, "HEAD") == 0)
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	else if (strcmp(r->method, "GET") != 0)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
	if (r->body || strcmp(r->method, "POST") == 0 || strcmp(r->method, "PUT") == 0) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(r->body ? r->body_len : 0));
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body ? r->body : "");
	}
	at->curl_msg[0] = '\0';
	long t0 = time_mono_ms();
	CURLcode cc = curl_easy_perform(h);
	at->curl_code = cc;
	if (cc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	aws_response_finish(resp);
	log_debug("aws: %s %s (%s %s) -> %ld%s%s in %ld ms", r->service ? r->service : "http", r->operation,
		  r->method, r->endpoint->hostport, resp->status, resp->code ? " " : "", resp->code ? resp->code : "",
		  time_mono_ms() - t0);
	rc = 0;
out:
	curl_easy_cleanup(h);
	curl_slist_free_all(slist);
	/* the headers may hold the session token: wipe before freeing */
	for (size_t i = 0; i < headers.n; i++)
		memset(headers.v[i], 0, strlen(headers.v[i]));
	strv_free(&headers);
	free(sigv4);
	free(url);
	free(base);
	free(path);
	return rc;
}

int aws_send(struct aws_client *c, const struct aws_request *r, struct aws_response *resp, struct kiln_error *err)
{
	pthread_once(&curl_once, curl_init_once);
	memset(resp, 0, sizeof *resp);
	int max = r->max_attempts > 0 ? r->max_attempts : c->max_retries + 1;
	bool refreshed = false;
	for (int attempt = 1;; attempt++) {
		struct aws_creds cr = {0};
		if (r->service) {
			if (!c->creds)
				return err_set_kind(err, ERR_INVALID, "%s: no AWS credentials", r->operation);
			if (aws_creds_provider_get(c->creds, false, &cr, err) < 0)
				return err_wrap(err, "%s", r->operation);
		}
		aws_response_free(resp);
		struct attempt at = {0};
		int rc = perform(c, r, r->service ? &cr : NULL, resp, &at, err);
		aws_creds_clear(&cr);
		if (rc < 0)
			return -1;
		bool ok = at.curl_code == CURLE_OK && resp->status >= 200 && resp->status <= 299 && !resp->code;
		if (ok)
			return 0;
		if (!r->cleanup && (at.curl_code == CURLE_ABORTED_BY_CALLBACK || sig_cancelled()))
			return err_set_kind(err, ERR_CANCELLED, "%s: cancelled", r->operation);
		if (r->service && aws_expired_code(resp->code) && !refreshed && aws_creds_provider_refreshable(c->creds)) {
			/* fresh credentials, and this attempt does not count */
			struct aws_creds fresh = {0};
			if (aws_creds_provider_get(c->creds, true, &fresh, err) < 0)
				return err_wrap(err, "%s: the credentials expired and could not be refreshed", r->operation);
			aws_creds_clear(&fresh);
			refreshed = true;
			attempt--;
			continue;
		}
		bool again = at.curl_code != CURLE_OK ? curl_retryable((CURLcode)at.curl_code)
						      : aws_retryable(resp->status, resp->code);
		if (!again || attempt >= max)
			return aws_response_error(r->operation, resp, at.curl_code, at.curl_msg, err);
		long wait = aws_backoff_ms(attempt, c->retry_base_ms);
		log_debug("aws: %s: attempt %d of %d failed (%ld %s), again in %ld ms", r->operation, attempt, max,
			  resp->status, resp->code ? resp->code : at.curl_msg, wait);
		if (r->cleanup) {
			struct timespec ts = {wait / 1000, (wait % 1000) * 1000000L};
			nanosleep(&ts, NULL);
		} else if (sleep_cancellable_ms(wait) < 0) {
			return err_set_kind(err, ERR_CANCELLED, "%s: cancelled", r->operation);
		}
	}
}
