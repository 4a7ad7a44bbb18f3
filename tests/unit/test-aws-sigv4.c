/* test-aws-sigv4.c — kiln's SigV4 signer against AWS's published test suite (tests/data/aws-sigv4/v4,
 * from aws-c-auth: every case, header and presigned forms, byte for byte on the canonical request, the
 * string to sign and the signature), the URI rules, chunk signatures, and the rule that says where
 * curl's signer is right. The differential test against botocore is test-aws-botocore.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cloud/aws/creds.h"
#include "cloud/aws/sigv4.h"
#include "cloud/aws/uri.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/hash.h"
#include "util/mem.h"
#include "util/strv.h"

static char *vectors_dir(void)
{
	const char *src = getenv("KILN_SRCDIR");
	return xasprintf("%s/tests/data/aws-sigv4/v4", src ? src : ".");
}

static char *slurp(const char *dir, const char *name)
{
	char *p = path_join(dir, name);
	struct buf b = BUF_INIT;
	struct kiln_error err = ERR_INIT;
	if (file_read_all(p, &b, &err) < 0) {
		free(p);
		err_clear(&err);
		return NULL;
	}
	free(p);
	/* the files end without a newline, or with one that is not part of the text */
	if (b.len && b.data[b.len - 1] == '\n')
		buf_truncate(&b, b.len - 1);
	return buf_detach(&b);
}

struct vector {
	char *method, *path, *query;
	struct strv headers;  /* without Host */
	char *host;
	struct buf body;
	struct aws_creds creds;
	char *region, *service, *amz_date;
	bool normalize, sign_body, omit_token;
	int expires;
};

static void vector_free(struct vector *v)
{
	free(v->method);
	free(v->path);
	free(v->query);
	strv_free(&v->headers);
	free(v->host);
	buf_free(&v->body);
	aws_creds_clear(&v->creds);
	free(v->region);
	free(v->service);
	free(v->amz_date);
}

static void load_vector(const char *dir, struct vector *v)
{
	memset(v, 0, sizeof *v);
	char *ctx = slurp(dir, "context.json");
	assert_non_null(ctx);
	json_error_t je;
	json_t *j = json_loads(ctx, 0, &je);
	assert_non_null(j);
	json_t *c = json_object_get(j, "credentials");
	v->creds.access_key_id = xstrdup(json_string_value(json_object_get(c, "access_key_id")));
	v->creds.secret_access_key = xstrdup(json_string_value(json_object_get(c, "secret_access_key")));
	if (json_object_get(c, "token"))
		v->creds.session_token = xstrdup(json_string_value(json_object_get(c, "token")));
	v->region = xstrdup(json_string_value(json_object_get(j, "region")));
	v->service = xstrdup(json_string_value(json_object_get(j, "service")));
	v->normalize = json_is_true(json_object_get(j, "normalize"));
	v->sign_body = json_is_true(json_object_get(j, "sign_body"));
	v->omit_token = json_is_true(json_object_get(j, "omit_session_token"));
	v->expires = (int)json_integer_value(json_object_get(j, "expiration_in_seconds"));
	/* "2015-08-30T12:36:00Z" → "20150830T123600Z" */
	const char *ts = json_string_value(json_object_get(j, "timestamp"));
	struct buf d = BUF_INIT;
	for (const char *p = ts; *p; p++)
		if (*p != '-' && *p != ':')
			buf_putc(&d, *p);
	v->amz_date = buf_detach(&d);
	json_decref(j);
	free(ctx);

	char *req = slurp(dir, "request.txt");
	assert_non_null(req);
	/* request line: METHOD SP PATH[?QUERY] SP HTTP/1.1 (the path may hold spaces) */
	char *eol = strchr(req, '\n');
	size_t ll = eol ? (size_t)(eol - req) : strlen(req);
	char *line = xstrndup(req, ll);
	char *sp = strchr(line, ' ');
	char *ver = strstr(line, " HTTP/1.1");
	assert_non_null(sp);
	assert_non_null(ver);
	v->method = xstrndup(line, (size_t)(sp - line));
	char *target = xstrndup(sp + 1, (size_t)(ver - sp - 1));
	char *q = strchr(target, '?');
	if (q) {
		v->query = xstrdup(q + 1);
		*q = '\0';
	}
	v->path = xstrdup(target);
	free(target);
	free(line);
	/* headers, with continuation lines, then the body after an empty line */
	const char *p = eol ? eol + 1 : req + ll;
	struct buf cur = BUF_INIT;
	bool have = false;
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0) {
			p = e ? e + 1 : p + n;
			buf_append(&v->body, p, strlen(p));
			break;
		}
		if ((*p == ' ' || *p == '\t') && have) {
			buf_putc(&cur, ' ');
			buf_append(&cur, p, n);
		} else {
			if (have)
				strv_push(&v->headers, buf_cstr(&cur));
			buf_reset(&cur);
			buf_append(&cur, p, n);
			have = true;
		}
		p = e ? e + 1 : p + n;
	}
	if (have)
		strv_push(&v->headers, buf_cstr(&cur));
	buf_free(&cur);
	free(req);
	/* Host comes from the headers */
	for (size_t i = 0; i < v->headers.n; i++) {
		if (strncasecmp(v->headers.v[i], "host:", 5) == 0) {
			v->host = xstrdup(v->headers.v[i] + 5);
			free(v->headers.v[i]);
			memmove(&v->headers.v[i], &v->headers.v[i + 1], (v->headers.n - i) * sizeof *v->headers.v);
			v->headers.n--;
			break;
		}
	}
	assert_non_null(v->host);
}

static void expect_file(const char *dir, const char *name, const char *got)
{
	char *want = slurp(dir, name);
	assert_non_null(want);
	if (strcmp(want, got) != 0)
		fail_msg("%s/%s differs:\n--- want\n%s\n--- got\n%s", dir, name, want, got);
	free(want);
}

static void run_vector(const char *dir, size_t *ncases)
{
	struct vector v;
	load_vector(dir, &v);
	char body_hash[65];
	char *h = hash_hex("sha256", v.body.data ? v.body.data : "", v.body.len);
	snprintf(body_hash, sizeof body_hash, "%s", h);
	free(h);
	struct aws_sigv4_request r = {
		.method = v.method,
		.host = v.host,
		.path = v.path,
		.query = v.query,
		.headers = v.headers.n ? v.headers.v : NULL,
		.payload_hash = body_hash,
		.service = v.service,
		.region = v.region,
		.amz_date = v.amz_date,
		.no_normalize = !v.normalize,
		.omit_session_token = v.omit_token,
		.content_sha256_header = v.sign_body,
		.expires = v.expires,
	};
	struct aws_sigv4_result res;
	struct kiln_error err = ERR_INIT;
	assert_int_equal(aws_sigv4_sign(&r, &v.creds, &res, &err), 0);
	expect_file(dir, "header-canonical-request.txt", res.canonical_request);
	expect_file(dir, "header-string-to-sign.txt", res.string_to_sign);
	expect_file(dir, "header-signature.txt", res.signature);
	aws_sigv4_result_free(&res);

	/* the presigned form signs the body hash too, without an x-amz-content-sha256 header */
	r.content_sha256_header = false;
	assert_int_equal(aws_sigv4_presign(&r, &v.creds, &res, &err), 0);
	expect_file(dir, "query-canonical-request.txt", res.canonical_request);
	expect_file(dir, "query-string-to-sign.txt", res.string_to_sign);
	expect_file(dir, "query-signature.txt", res.signature);
	aws_sigv4_result_free(&res);
	vector_free(&v);
	(*ncases)++;
}

static void test_aws_suite(void **state)
{
	(void)state;
	char *top = vectors_dir();
	DIR *d = opendir(top);
	if (!d)
		fail_msg("cannot open %s", top);
	struct strv names = STRV_INIT;
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			strv_push(&names, de->d_name);
	closedir(d);
	strv_sort(&names);
	size_t n = 0;
	for (size_t i = 0; i < names.n; i++) {
		char *dir = path_join(top, names.v[i]);
		run_vector(dir, &n);
		free(dir);
	}
	/* every case in the suite ran (38 in aws-c-auth's v4 set) */
	assert_int_equal(n, names.n);
	assert_true(n >= 38);
	strv_free(&names);
	free(top);
}

static void expect_norm(const char *in, const char *want)
{
	char *got = aws_path_normalize(in);
	assert_string_equal(got, want);
	free(got);
}

static void test_uri(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	aws_uri_encode(&b, "a b/c~d+e=f*", 12, true);
	assert_string_equal(buf_cstr(&b), "a%20b/c~d%2Be%3Df%2A");
	buf_reset(&b);
	aws_uri_encode(&b, "a/b", 3, false);
	assert_string_equal(buf_cstr(&b), "a%2Fb");
	buf_reset(&b);
	aws_uri_decode(&b, "%41%zz%4", 8);
	assert_string_equal(buf_cstr(&b), "A%zz%4");
	buf_free(&b);

	expect_norm("", "/");
	expect_norm("/", "/");
	expect_norm("//", "/");
	expect_norm("/a/./b/../c/", "/a/c/");
	expect_norm("/../../a", "/a");
	expect_norm("//example//", "/example/");

	char *c = aws_query_canonical("b=2&a=1&a=0&c");
	assert_string_equal(c, "a=0&a=1&b=2&c=");
	free(c);
	c = aws_query_canonical("x=a%2fb&y=%7e");
	assert_string_equal(c, "x=a%2Fb&y=~");
	free(c);

	/* names that prefix others sort first, whatever follows them */
	struct aws_query q = AWS_QUERY_INIT;
	aws_query_add(&q, "uploadId", "x y");
	aws_query_add(&q, "partNumber", "2");
	aws_query_add(&q, "a-b", "1");
	aws_query_add(&q, "a", "2");
	aws_query_add(&q, "uploads", NULL);
	char *s = aws_query_string(&q);
	assert_string_equal(s, "a=2&a-b=1&partNumber=2&uploadId=x%20y&uploads=");
	c = aws_query_canonical(s);
	assert_string_equal(c, s);
	free(c);
	free(s);
	aws_query_free(&q);
}

/* The aws-chunked example of AWS's S3 documentation ("Signature Calculations for the Authorization
 * Header: Transferring Payload in Multiple Chunks"): 64 KiB of 'a', then 1 KiB, then the final chunk. */
static void test_chunk_signatures(void **state)
{
	(void)state;
	struct aws_creds c = {.access_key_id = (char *)"AKIAIOSFODNN7EXAMPLE",
			      .secret_access_key = (char *)"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"};
	char *const headers[] = {
		(char *)"content-encoding: aws-chunked",
		(char *)"content-length: 66824",
		(char *)"x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
		(char *)"x-amz-decoded-content-length: 66560",
		(char *)"x-amz-storage-class: REDUCED_REDUNDANCY",
		NULL,
	};
	struct aws_sigv4_request r = {
		.method = "PUT",
		.host = "s3.amazonaws.com",
		.path = "/examplebucket/chunkObject.txt",
		.headers = headers,
		.payload_hash = AWS_STREAMING_PAYLOAD,
		.service = "s3",
		.region = "us-east-1",
		.amz_date = "20130524T000000Z",
		.s3 = true,
	};
	struct aws_sigv4_result res;
	struct kiln_error err = ERR_INIT;
	assert_int_equal(aws_sigv4_sign(&r, &c, &res, &err), 0);
	assert_string_equal(res.signature, "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");
	char *a = xmalloc(65536);
	memset(a, 'a', 65536);
	char *h1 = hash_hex("sha256", a, 65536);
	char *h2 = hash_hex("sha256", a, 1024);
	char s1[65], s2[65], s3[65];
	aws_sigv4_chunk_signature(res.signing_key, r.amz_date, res.credential_scope, res.signature, h1, s1);
	assert_string_equal(s1, "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648");
	aws_sigv4_chunk_signature(res.signing_key, r.amz_date, res.credential_scope, s1, h2, s2);
	assert_string_equal(s2, "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497");
	aws_sigv4_chunk_signature(res.signing_key, r.amz_date, res.credential_scope, s2, AWS_EMPTY_SHA256, s3);
	assert_string_equal(s3, "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9");
	free(h1);
	free(h2);
	free(a);
	aws_sigv4_result_free(&res);
}

static void test_curl_agrees(void **state)
{
	(void)state;
	char *const ec2[] = {(char *)"Content-Type: application/x-www-form-urlencoded; charset=utf-8", NULL};
	struct aws_sigv4_request r = {.method = "POST", .host = "ec2.us-east-1.amazonaws.com", .path = "/",
				      .headers = ec2, .service = "ec2", .region = "us-east-1"};
	assert_true(aws_sigv4_curl_agrees(&r, true));
	/* a body curl cannot hash, and no X-Amz-Content-Sha256 */
	assert_false(aws_sigv4_curl_agrees(&r, false));

	char *const kms[] = {(char *)"X-Amz-Content-Sha256: " AWS_EMPTY_SHA256,
			     (char *)"X-Amz-Server-Side-Encryption: aws:kms",
			     (char *)"X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id: alias/k", NULL};
	struct aws_sigv4_request s = {.method = "POST", .host = "127.0.0.1:9000", .path = "/b/k.ova",
				      .query = "uploads=", .headers = kms, .service = "s3", .region = "us-east-1",
				      .s3 = true};
	/* curl sorts "x-amz-server-side-encryption-aws-kms-key-id:" before "x-amz-server-side-encryption:" */
	assert_false(aws_sigv4_curl_agrees(&s, false));
	s.headers = (char *const *)kms + 0;
	char *const sse[] = {(char *)"X-Amz-Content-Sha256: " AWS_EMPTY_SHA256,
			     (char *)"X-Amz-Server-Side-Encryption: AES256", NULL};
	s.headers = sse;
	assert_true(aws_sigv4_curl_agrees(&s, false));
	/* "?uploads" as sent is not "uploads=" */
	s.query = "uploads";
	assert_false(aws_sigv4_curl_agrees(&s, false));
	s.query = "uploadId=a&partNumber=1";
	assert_false(aws_sigv4_curl_agrees(&s, false));
	s.query = "partNumber=1&uploadId=a";
	assert_true(aws_sigv4_curl_agrees(&s, false));
	/* a path other services would normalize or encode again */
	r.path = "/a/../b";
	assert_false(aws_sigv4_curl_agrees(&r, true));
	r.path = "/a%20b";
	assert_false(aws_sigv4_curl_agrees(&r, true));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aws_suite),
		cmocka_unit_test(test_uri),
		cmocka_unit_test(test_chunk_signatures),
		cmocka_unit_test(test_curl_agrees),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
