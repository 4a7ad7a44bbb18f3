/* sigv4.h — AWS Signature Version 4, computed with OpenSSL: the canonical request, the string to sign,
 * the signature, as an Authorization header or as a presigned query, and the chunk signatures of an
 * aws-chunked (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) body.
 *
 * kiln signs most requests with libcurl's own SigV4 (CURLOPT_AWS_SIGV4); this signer is for what curl
 * does not do (presigned URLs, chunk signatures: the chunks chain from the header signature, which curl
 * does not expose) and for the requests curl 7.88 canonicalises differently from AWS
 * (aws_sigv4_curl_agrees() says which). Both are checked against AWS's test suite and botocore. */
#ifndef KILN_CLOUD_AWS_SIGV4_H
#define KILN_CLOUD_AWS_SIGV4_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

#define AWS_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define AWS_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
#define AWS_STREAMING_PAYLOAD "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"

struct aws_creds;

struct aws_sigv4_request {
	const char *method;          /* "GET" */
	const char *host;            /* the Host header: "ec2.us-east-1.amazonaws.com", "127.0.0.1:9000" */
	const char *path;            /* as sent (percent-encoded); NULL or "" is "/" */
	const char *query;           /* as sent, without '?'; NULL when none */
	char *const *headers;        /* more headers to sign, "Name: value", NULL-terminated (may be NULL);
	                                a name given twice is signed as "a,b" (the values in order) */
	const char *payload_hash;    /* hex SHA-256 of the body, AWS_UNSIGNED_PAYLOAD or AWS_STREAMING_PAYLOAD;
	                                NULL: the empty body's */
	const char *service;         /* "ec2", "s3", "sts" */
	const char *region;
	const char *amz_date;        /* "20150830T123600Z" */
	bool s3;                     /* S3's rules: the path is signed as sent (no normalization, no
	                                second encoding) */
	bool no_normalize;           /* other services: encode the path again but keep "." and ".."
	                                segments (AWS's test suite has such cases) */
	bool omit_session_token;     /* the token is sent but not signed (a few services want that) */
	bool content_sha256_header;  /* header form: also sign x-amz-content-sha256 (S3 requires it) */
	int expires;                 /* presigned form: X-Amz-Expires in seconds */
};

struct aws_sigv4_result {
	char *canonical_request;
	char *string_to_sign;
	char *credential_scope;      /* "20150830/us-east-1/service/aws4_request" */
	char *signed_headers;        /* "host;x-amz-date" */
	char signature[65];
	/* header form: the headers to send besides the request's own, "Name: value" lines:
	 * X-Amz-Date, X-Amz-Security-Token (unless omitted), X-Amz-Content-Sha256 (when asked), Authorization */
	char *authorization;         /* the Authorization header's value */
	/* presigned form: the whole query to send (the request's parameters and the X-Amz-* ones) */
	char *presigned_query;
	unsigned char signing_key[32];
};

/* Header form. The request's headers must include nothing kiln adds (X-Amz-Date, Authorization). */
int aws_sigv4_sign(const struct aws_sigv4_request *r, const struct aws_creds *c, struct aws_sigv4_result *out,
		   struct kiln_error *err);
/* Presigned (query) form: r->expires must be 1..604800. */
int aws_sigv4_presign(const struct aws_sigv4_request *r, const struct aws_creds *c, struct aws_sigv4_result *out,
		      struct kiln_error *err);
void aws_sigv4_result_free(struct aws_sigv4_result *r);

/* The signature of one chunk of an aws-chunked body: prev is the previous chunk's signature (the
 * request's own for the first chunk); chunk_sha256 the chunk's hex digest (the empty hash for the
 * final, empty chunk). */
void aws_sigv4_chunk_signature(const unsigned char signing_key[32], const char *amz_date, const char *scope,
			       const char *prev, const char *chunk_sha256, char out[65]);

/* "20150830T123600Z" for a Unix time. */
void aws_sigv4_amz_date(long long unix_seconds, char out[17]);

/* Does curl 7.88's CURLOPT_AWS_SIGV4 compute this request's signature as AWS does? It signs the path
 * and the query as sent, sorts "name:value" lines rather than names, hashes only CURLOPT_POSTFIELDS
 * (or takes X-Amz-Content-Sha256 when set), and signs every header it is given. So it is right when
 * the path and query are already canonical, no signed header name is another's prefix followed by a
 * character sorting before ':', no name repeats, no value has runs of blanks, and the payload hash is
 * given or is that of the in-memory body. `r->headers` are the headers curl would be given. */
bool aws_sigv4_curl_agrees(const struct aws_sigv4_request *r, bool body_in_memory);

#endif
