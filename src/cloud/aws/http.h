/* http.h — AWS requests over libcurl: endpoints, signing (curl's CURLOPT_AWS_SIGV4 where it signs as
 * AWS does, kiln's own otherwise: sigv4.h), retries with backoff for throttling, 5xx and dropped
 * connections, a fresh signature and fresh credentials for each attempt, errors with AWS's code and
 * message, Ctrl-C. Nothing here logs a header, a body or a credential: log lines name the service, the
 * operation and the HTTP status. */
#ifndef KILN_CLOUD_AWS_HTTP_H
#define KILN_CLOUD_AWS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cloud/aws/creds.h"
#include "cloud/aws/xml.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/strv.h"

/* A parsed endpoint URL: scheme://host[:port][/prefix]. */
struct aws_endpoint {
	char *scheme;      /* "https", "http" */
	char *host;        /* "ec2.us-east-1.amazonaws.com", "127.0.0.1", "::1" (no brackets) */
	int port;          /* the port to use (the scheme's default when the URL has none) */
	bool explicit_port;
	char *hostport;    /* the Host header: host, bracketed when IPv6, ":port" unless the default */
	char *prefix;      /* a path before the request's own, without a trailing '/' ("" usually) */
	bool is_ip;
};
int aws_endpoint_parse(const char *url, struct aws_endpoint *out, struct kiln_error *err);
void aws_endpoint_free(struct aws_endpoint *e);
/* "scheme://hostport" */
char *aws_endpoint_base(const struct aws_endpoint *e);

/* Endpoint overrides: custom_endpoint_ec2, AWS_ENDPOINT_URL_EC2, AWS_ENDPOINT_URL_S3,
 * AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, and the metadata service's AWS_EC2_METADATA_SERVICE_ENDPOINT. */
struct aws_endpoints {
	char *ec2, *s3, *sts;  /* NULL: AWS's regional endpoint */
	char *imds;            /* NULL: http://169.254.169.254 */
	bool imds_disabled;    /* AWS_EC2_METADATA_DISABLED=true */
};
/* From the environment, with custom_endpoint_ec2 (may be NULL) first for EC2. */
void aws_endpoints_from_env(struct aws_endpoints *e, const char *custom_endpoint_ec2);
void aws_endpoints_free(struct aws_endpoints *e);
/* The URL for service in region: the override, else https://{service}.{region}.amazonaws.com
 * (".amazonaws.com.cn" in China's regions). Caller frees. */
char *aws_service_url(const struct aws_endpoints *e, const char *service, const char *region);

/* What every request of one import shares. */
struct aws_client {
	struct aws_creds_provider *creds;
	struct aws_endpoints endpoints;
	char *region;
	bool insecure;           /* insecure_skip_tls_verify */
	int max_retries;         /* attempts after the first (Packer's max_retries, default 10) */
	long retry_base_ms;      /* first backoff (500 ms; tests make it shorter) */
	char *ca_bundle;         /* AWS_CA_BUNDLE */
};

void aws_client_init(struct aws_client *c);
void aws_client_free(struct aws_client *c);  /* frees the provider too */

struct aws_request {
	const char *operation;   /* for messages and the log: "ImportImage", "UploadPart" */
	const char *method;
	const char *service;     /* signing name: "ec2", "s3", "sts"; NULL: unsigned (IMDS, web identity) */
	const char *region;      /* signing region (NULL: the client's) */
	const struct aws_endpoint *endpoint;
	const char *path;        /* as sent, percent-encoded; NULL: "/" (after the endpoint's prefix) */
	const char *query;       /* canonical (uri.h's aws_query_string), NULL when none */
	char *const *headers;    /* "Name: value", NULL-terminated, may be NULL */
	const void *body;        /* in memory; NULL when none */
	size_t body_len;
	bool s3;                 /* S3's signing rules; X-Amz-Content-Sha256 is sent */
	long timeout_ms;         /* whole request; 0: 120 s */
	long connect_timeout_ms; /* 0: 10 s */
	int max_attempts;        /* 0: the client's max_retries + 1 */
	bool cleanup;            /* runs to the end even after Ctrl-C (aborting an upload, deleting) */
};

struct aws_response {
	long status;             /* HTTP status; 0 when no answer came */
	struct buf body;
	struct strv headers;     /* "name: value", names in lower case */
	struct aws_xml *xml;     /* the parsed body when it is XML */
	char *code;              /* AWS's error code, when the answer is an error */
	char *message;
};
void aws_response_free(struct aws_response *r);
/* A header's value (name in lower case), or NULL. */
const char *aws_response_header(const struct aws_response *r, const char *name);

/* Send, retrying what AWS says to retry. 0 for a 2xx answer (an S3 200 that carries an <Error> is a
 * failure); otherwise -1 with err naming the operation, AWS's code and message and the HTTP status, and
 * *resp filled as far as it got (callers look at resp->code for hints). */
int aws_send(struct aws_client *c, const struct aws_request *r, struct aws_response *resp, struct kiln_error *err);

/* Should an answer with this status and code be tried again (throttling, 5xx, timeouts)? status 0:
 * the connection failed. */
bool aws_retryable(long status, const char *code);
/* Does the code say the credentials expired (so fresh ones may help)? */
bool aws_expired_code(const char *code);
/* Backoff before attempt n (1-based): exponential from base_ms with full jitter, at most 20 s. */
long aws_backoff_ms(int attempt, long base_ms);

/* --- what s3.c shares with http.c --- */
/* Set the options every AWS transfer has (TLS, proxy from the environment, user agent, timeouts, and
 * unless it is cleanup, cancellation by Ctrl-C) on an easy handle. */
void aws_curl_common(void *curl, const struct aws_client *c, long connect_timeout_ms, bool cancellable);
/* curl's write and header callbacks into a struct aws_response (body capped at 16 MiB; header names in
 * lower case). */
size_t aws_curl_on_body(char *data, size_t size, size_t n, void *resp);
size_t aws_curl_on_header(char *data, size_t size, size_t n, void *resp);
/* Fill resp from an answer already in resp->body/status: parse XML, find AWS's error. */
void aws_response_finish(struct aws_response *resp);
/* The headers to send for a signed request with kiln's signer (sigv4.c): the request's, X-Amz-Date,
 * the token, X-Amz-Content-Sha256 for S3, Authorization. payload_hash may be AWS_STREAMING_PAYLOAD;
 * *signature/scope/key are what chunk signatures chain from (may be NULL). */
int aws_sign_headers(const struct aws_request *r, const struct aws_creds *cr, const char *region,
		     const char *payload_hash, const char *amz_date, struct strv *out, char signature[65],
		     char **scope, unsigned char signing_key[32], struct kiln_error *err);
/* "HTTP 403 SignatureDoesNotMatch: The request signature we calculated..." into err for op. */
int aws_response_error(const char *op, const struct aws_response *resp, long curl_code, const char *curl_msg,
		       struct kiln_error *err);
/* The path to send: the endpoint's prefix and the request's path. Caller frees. */
char *aws_request_path(const struct aws_request *r);

#endif
