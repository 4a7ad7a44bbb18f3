/* sigv4.c — AWS Signature Version 4 with OpenSSL (see sigv4.h). */
#include "cloud/aws/creds.h"
#include "cloud/aws/sigv4.h"
#include "cloud/aws/uri.h"
#include "util/buf.h"
#include "util/hash.h"
#include "util/mem.h"
#include "util/strv.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct hdr {
	char *name;    /* lower case */
	char *value;   /* trimmed, inner runs of white space made one space */
	size_t order;  /* position in the request: duplicates keep their order */
};

static int cmp_hdr(const void *a, const void *b)
{
	const struct hdr *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Trimall: what botocore does with ' '.join(value.split()). */
static char *trimall(const char *v, size_t len)
{
	struct buf b = BUF_INIT;
	size_t i = 0;
	bool pending = false;
	while (i < len) {
		if (isspace((unsigned char)v[i])) {
			pending = b.len > 0;
			i++;
			continue;
		}
		if (pending)
			buf_putc(&b, ' ');
		pending = false;
		buf_putc(&b, v[i++]);
	}
	if (!b.data)
		return xstrdup("");
	return buf_detach(&b);
}

static void add_hdr(struct hdr **v, size_t *n, size_t *cap, const char *name, size_t nlen, const char *value,
		    size_t vlen)
{
	*v = xgrow(*v, cap, *n + 1, sizeof **v);
	struct hdr *h = &(*v)[*n];
	h->name = xstrndup(name, nlen);
	for (char *p = h->name; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	h->value = trimall(value, vlen);
	h->order = *n;
	(*n)++;
}

static void free_hdrs(struct hdr *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].value);
	}
	free(v);
}

static void hmac(const void *key, size_t klen, const char *msg, unsigned char out[32])
{
	unsigned int len = 32;
	HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), out, &len);
}

static void sha256_hex(const char *s, size_t len, char out[65])
{
	unsigned char d[32];
	unsigned int dl = 32;
	EVP_Digest(s, len, d, &dl, EVP_sha256(), NULL);
	hex_encode(d, 32, out);
}

static void derive_key(const char *secret, const char *date8, const char *region, const char *service,
		       unsigned char key[32])
{
	char *k = xasprintf("AWS4%s", secret);
	unsigned char a[32], b[32];
	hmac(k, strlen(k), date8, a);
	OPENSSL_cleanse(k, strlen(k));
	free(k);
	hmac(a, 32, region, b);
	hmac(b, 32, service, a);
	hmac(a, 32, "aws4_request", key);
	OPENSSL_cleanse(a, sizeof a);
	OPENSSL_cleanse(b, sizeof b);
}

void aws_sigv4_amz_date(long long unix_seconds, char out[17])
{
	time_t t = (time_t)unix_seconds;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

static bool valid_date(const char *d)
{
	if (!d || strlen(d) != 16 || d[8] != 'T' || d[15] != 'Z')
		return false;
	for (int i = 0; i < 15; i++)
		if (i != 8 && !isdigit((unsigned char)d[i]))
			return false;
	return true;
}

/* The canonical URI of the request's path. */
static char *canonical_path(const struct aws_sigv4_request *r)
{
	const char *path = r->path && *r->path ? r->path : "/";
	if (r->s3)
		return xstrdup(path);
	char *norm = r->no_normalize ? xstrdup(path) : aws_path_normalize(path);
	struct buf b = BUF_INIT;
	aws_uri_encode(&b, norm, strlen(norm), true);
	free(norm);
	return buf_detach(&b);
}

/* Collect the headers to sign: the request's, host, and what the form adds. */
static int collect(const struct aws_sigv4_request *r, const struct aws_creds *c, bool presign, const char *payload,
		   struct hdr **out, size_t *nout, struct kiln_error *err)
{
	struct hdr *v = NULL;
	size_t n = 0, cap = 0;
	bool have_host = false;
	for (char *const *h = r->headers; h && *h; h++) {
		const char *colon = strchr(*h, ':');
		if (!colon || colon == *h) {
			free_hdrs(v, n);
			return err_set_kind(err, ERR_INVALID, "malformed header to sign: \"%s\"", *h);
		}
		add_hdr(&v, &n, &cap, *h, (size_t)(colon - *h), colon + 1, strlen(colon + 1));
		if (strcmp(v[n - 1].name, "host") == 0)
			have_host = true;
	}
	if (!have_host) {
		if (!r->host || !*r->host) {
			free_hdrs(v, n);
			return err_set_kind(err, ERR_INVALID, "no host to sign");
		}
		add_hdr(&v, &n, &cap, "host", 4, r->host, strlen(r->host));
	}
	if (!presign) {
		add_hdr(&v, &n, &cap, "x-amz-date", 10, r->amz_date, strlen(r->amz_date));
		if (c->session_token && *c->session_token && !r->omit_session_token)
			add_hdr(&v, &n, &cap, "x-amz-security-token", 20, c->session_token, strlen(c->session_token));
		if (r->content_sha256_header)
			add_hdr(&v, &n, &cap, "x-amz-content-sha256", 20, payload, strlen(payload));
	}
	if (n > 1)
		qsort(v, n, sizeof *v, cmp_hdr);
	*out = v;
	*nout = n;
	return 0;
}

static int sign(const struct aws_sigv4_request *r, const struct aws_creds *c, bool presign,
		struct aws_sigv4_result *out, struct kiln_error *err)
{
	memset(out, 0, sizeof *out);
	if (!c || !c->access_key_id || !c->secret_access_key)
		return err_set_kind(err, ERR_INVALID, "no AWS credentials to sign with");
	if (!valid_date(r->amz_date))
		return err_set_kind(err, ERR_INVALID, "bad X-Amz-Date \"%s\"", r->amz_date ? r->amz_date : "");
	if (!r->method || !r->service || !r->region || !*r->service || !*r->region)
		return err_set_kind(err, ERR_INVALID, "a request to sign needs a method, a service and a region");
	if (presign && (r->expires < 1 || r->expires > 604800))
		return err_set_kind(err, ERR_INVALID, "X-Amz-Expires must be 1 to 604800 seconds, not %d", r->expires);

	const char *payload = r->payload_hash ? r->payload_hash : AWS_EMPTY_SHA256;
	struct hdr *h = NULL;
	size_t nh = 0;
	if (collect(r, c, presign, payload, &h, &nh, err) < 0)
		return -1;

	char date8[9];
	memcpy(date8, r->amz_date, 8);
	date8[8] = '\0';
	out->credential_scope = xasprintf("%s/%s/%s/aws4_request", date8, r->region, r->service);

	struct buf signed_names = BUF_INIT, canon_headers = BUF_INIT;
	for (size_t i = 0; i < nh; i++) {
		bool dup = i > 0 && strcmp(h[i].name, h[i - 1].name) == 0;
		if (dup) {
			buf_printf(&canon_headers, ",%s", h[i].value);
			continue;
		}
		if (i) {
			buf_putc(&signed_names, ';');
			buf_putc(&canon_headers, '\n');
		}
		buf_puts(&signed_names, h[i].name);
		buf_printf(&canon_headers, "%s:%s", h[i].name, h[i].value);
	}
	buf_putc(&canon_headers, '\n');
	out->signed_headers = buf_detach(&signed_names);

	char *query = NULL;
	if (presign) {
		struct buf q = BUF_INIT;
		if (r->query && *r->query)
			buf_printf(&q, "%s&", r->query);
		struct buf cred = BUF_INIT, sh = BUF_INIT;
		char *credential = xasprintf("%s/%s", c->access_key_id, out->credential_scope);
		aws_uri_encode(&cred, credential, strlen(credential), false);
		free(credential);
		aws_uri_encode(&sh, out->signed_headers, strlen(out->signed_headers), false);
		buf_printf(&q, "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=%s&X-Amz-Date=%s&X-Amz-Expires=%d"
			   "&X-Amz-SignedHeaders=%s",
			   buf_cstr(&cred), r->amz_date, r->expires, buf_cstr(&sh));
		if (c->session_token && *c->session_token && !r->omit_session_token) {
			buf_puts(&q, "&X-Amz-Security-Token=");
			aws_uri_encode(&q, c->session_token, strlen(c->session_token), false);
		}
		buf_free(&cred);
		buf_free(&sh);
		query = aws_query_canonical(buf_cstr(&q));
		buf_free(&q);
	} else {
		query = aws_query_canonical(r->query);
	}

	char *path = canonical_path(r);
	out->canonical_request = xasprintf("%s\n%s\n%s\n%s\n%s\n%s", r->method, path, query, buf_cstr(&canon_headers),
					   out->signed_headers, payload);
	free(path);
	buf_free(&canon_headers);
	free_hdrs(h, nh);

	char crh[65];
	sha256_hex(out->canonical_request, strlen(out->canonical_request), crh);
	out->string_to_sign = xasprintf("AWS4-HMAC-SHA256\n%s\n%s\n%s", r->amz_date, out->credential_scope, crh);

	derive_key(c->secret_access_key, date8, r->region, r->service, out->signing_key);
	unsigned char sig[32];
	hmac(out->signing_key, 32, out->string_to_sign, sig);
	hex_encode(sig, 32, out->signature);

	if (presign) {
		out->presigned_query = xasprintf("%s&X-Amz-Signature=%s", query, out->signature);
	} else {
		out->authorization = xasprintf("AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s",
					       c->access_key_id, out->credential_scope, out->signed_headers,
					       out->signature);
	}
	free(query);
	return 0;
}

int aws_sigv4_sign(const struct aws_sigv4_request *r, const struct aws_creds *c, struct aws_sigv4_result *out,
		   struct kiln_error *err)
{
	return sign(r, c, false, out, err);
}

int aws_sigv4_presign(const struct aws_sigv4_request *r, const struct aws_creds *c, struct aws_sigv4_result *out,
		      struct kiln_error *err)
{
	return sign(r, c, true, out, err);
}

void aws_sigv4_result_free(struct aws_sigv4_result *r)
{
	if (!r)
		return;
	free(r->canonical_request);
	free(r->string_to_sign);
	free(r->credential_scope);
	free(r->signed_headers);
	free(r->authorization);
	free(r->presigned_query);
	OPENSSL_cleanse(r->signing_key, sizeof r->signing_key);
	memset(r, 0, sizeof *r);
}

void aws_sigv4_chunk_signature(const unsigned char signing_key[32], const char *amz_date, const char *scope,
			       const char *prev, const char *chunk_sha256, char out[65])
{
	char *sts = xasprintf("AWS4-HMAC-SHA256-PAYLOAD\n%s\n%s\n%s\n%s\n%s", amz_date, scope, prev,
			      AWS_EMPTY_SHA256, chunk_sha256);
	unsigned char sig[32];
	hmac(signing_key, 32, sts, sig);
	free(sts);
	hex_encode(sig, 32, out);
}

/* ------------------------------------------------------------------------------------------------
 * Where curl 7.88's signer is right */

static bool blank_runs(const char *v)
{
	/* curl collapses runs of blanks (space, tab) like AWS, but leaves other white space alone. */
	for (const char *p = v; *p; p++)
		if (*p == '\r' || *p == '\n' || *p == '\v' || *p == '\f')
			return true;
	return false;
}

bool aws_sigv4_curl_agrees(const struct aws_sigv4_request *r, bool body_in_memory)
{
	/* path: curl signs it as sent */
	char *path = canonical_path(r);
	bool ok = strcmp(path, r->path && *r->path ? r->path : "/") == 0;
	free(path);
	/* query: as sent */
	char *q = aws_query_canonical(r->query);
	ok = ok && strcmp(q, r->query ? r->query : "") == 0;
	free(q);
	if (!ok)
		return false;
	/* payload: from X-Amz-Content-Sha256 when the request sets it, else the in-memory body */
	bool sha_header = false;
	struct strv names = STRV_INIT;
	for (char *const *h = r->headers; h && *h && ok; h++) {
		size_t nl = strcspn(*h, ":");
		char *name = xstrndup(*h, nl);
		for (char *p = name; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if (strcmp(name, "x-amz-content-sha256") == 0)
			sha_header = true;
		if (strcmp(name, "host") == 0 || strcmp(name, "authorization") == 0 || strv_contains(&names, name) ||
		    !(*h)[nl] || blank_runs(*h + nl + 1))
			ok = false;
		strv_push_owned(&names, name);
	}
	if (r->content_sha256_header)
		sha_header = true;
	if (!sha_header && !body_in_memory)
		ok = false;
	/* the signed names, with what the signer adds */
	strv_push(&names, "host");
	strv_push(&names, "x-amz-date");
	strv_push(&names, "x-amz-security-token");
	strv_push(&names, "x-amz-content-sha256");
	/* curl sorts "name:value" lines: the same order as by name unless a name is a prefix of another
	 * that continues with a character below ':' ("x-amz-meta" and "x-amz-meta-a"). */
	for (size_t i = 0; ok && i < names.n; i++) {
		for (size_t k = 0; ok && k < names.n; k++) {
			size_t li = strlen(names.v[i]);
			if (i != k && strlen(names.v[k]) > li && strncmp(names.v[i], names.v[k], li) == 0 &&
			    (unsigned char)names.v[k][li] < ':')
				ok = false;
		}
	}
	strv_free(&names);
	return ok;
}
