/* test-aws-botocore.c — the differential test of SigV4 against botocore: aws-botocore-sign.py generates
 * S3, EC2 and STS requests (odd keys, query parameters, SSE headers, session tokens, IPv6 hosts) and
 * signs them with Debian's python3-botocore; kiln's signer must produce the same canonical request,
 * string to sign and signature, byte for byte. Where kiln lets libcurl sign (aws_sigv4_curl_agrees),
 * the request is also sent through curl with CURLOPT_AWS_SIGV4 to a listener on 127.0.0.1, and the
 * signature curl sent must be botocore's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cloud/aws/creds.h"
#include "cloud/aws/sigv4.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/strv.h"

#define CASES 400

/* ------------------------------------------------------------------------------------------------
 * A listener that answers every request with 200 and keeps the last request's head. */

struct listener {
	int fd;
	int port;
	pthread_t thread;
	pthread_mutex_t lock;
	char *last_head;
};

static void *listen_main(void *arg)
{
	struct listener *l = arg;
	for (;;) {
		int c = accept(l->fd, NULL, NULL);
		if (c < 0)
			return NULL;
		struct buf in = BUF_INIT;
		char chunk[4096];
		ssize_t n;
		char *end = NULL;
		while (!(end = strstr(buf_cstr(&in), "\r\n\r\n")) && (n = read(c, chunk, sizeof chunk)) > 0)
			buf_append(&in, chunk, (size_t)n);
		if (end) {
			size_t head = (size_t)(end - in.data) + 4;
			long clen = 0;
			const char *cl = strcasestr(in.data, "\r\ncontent-length:");
			if (cl && cl < end)
				clen = strtol(cl + 17, NULL, 10);
			while ((long)(in.len - head) < clen && (n = read(c, chunk, sizeof chunk)) > 0)
				buf_append(&in, chunk, (size_t)n);
			pthread_mutex_lock(&l->lock);
			free(l->last_head);
			l->last_head = xstrndup(in.data, head);
			pthread_mutex_unlock(&l->lock);
			static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
			if (write(c, reply, sizeof reply - 1) < 0) {
				/* the test sees curl's error */
			}
		}
		buf_free(&in);
		close(c);
	}
}

static void listener_start(struct listener *l)
{
	memset(l, 0, sizeof *l);
	pthread_mutex_init(&l->lock, NULL);
	l->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(l->fd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(l->fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(l->fd, 16), 0);
	socklen_t al = sizeof a;
	getsockname(l->fd, (struct sockaddr *)&a, &al);
	l->port = ntohs(a.sin_port);
	pthread_create(&l->thread, NULL, listen_main, l);
}

static void listener_stop(struct listener *l)
{
	shutdown(l->fd, SHUT_RDWR);
	close(l->fd);
	pthread_join(l->thread, NULL);
	free(l->last_head);
	pthread_mutex_destroy(&l->lock);
}

/* ------------------------------------------------------------------------------------------------ */

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

/* The signature curl put in the Authorization header of the last request, or NULL. */
static char *curl_signature(struct listener *l, json_t *c, const struct aws_creds *cr, bool *sent)
{
	CURL *h = curl_easy_init();
	assert_non_null(h);
	const char *url = jstr(c, "url");
	const char *host = jstr(c, "host");
	/* connect to the listener whatever the host is: only loopback traffic */
	char *hostport = strchr(host, ':') && host[strlen(host) - 1] != ']' ? xstrdup(host) : xasprintf("%s:80", host);
	char *connect_to = xasprintf("%s:127.0.0.1:%d", hostport, l->port);
	struct curl_slist *ct = curl_slist_append(NULL, connect_to);
	free(connect_to);
	free(hostport);
	struct curl_slist *hs = NULL;
	json_t *hv;
	size_t i;
	json_array_foreach(json_object_get(c, "headers"), i, hv)
	{
		char *line = xasprintf("%s: %s", json_string_value(json_array_get(hv, 0)),
				       json_string_value(json_array_get(hv, 1)));
		hs = curl_slist_append(hs, line);
		free(line);
	}
	char *date = xasprintf("X-Amz-Date: %s", jstr(c, "amz_date"));
	hs = curl_slist_append(hs, date);
	free(date);
	if (cr->session_token) {
		char *t = xasprintf("X-Amz-Security-Token: %s", cr->session_token);
		hs = curl_slist_append(hs, t);
		free(t);
	}
	char *sigv4 = xasprintf("aws:amz:%s:%s", jstr(c, "region"), jstr(c, "service"));
	const char *method = jstr(c, "method");
	const char *body = jstr(c, "body");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CONNECT_TO, ct);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
	curl_easy_setopt(h, CURLOPT_AWS_SIGV4, sigv4);
	curl_easy_setopt(h, CURLOPT_USERNAME, cr->access_key_id);
	curl_easy_setopt(h, CURLOPT_PASSWORD, cr->secret_access_key);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	else if (strcmp(method, "GET") != 0)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	if (*body || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	}
	CURLcode rc = curl_easy_perform(h);
	*sent = rc == CURLE_OK;
	char *sig = NULL;
	pthread_mutex_lock(&l->lock);
	const char *p = l->last_head ? strstr(l->last_head, "Signature=") : NULL;
	if (p && rc == CURLE_OK)
		sig = xstrndup(p + 10, 64);
	pthread_mutex_unlock(&l->lock);
	curl_easy_cleanup(h);
	curl_slist_free_all(hs);
	curl_slist_free_all(ct);
	free(sigv4);
	return sig;
}

static void test_botocore(void **state)
{
	(void)state;
	const char *src = getenv("KILN_SRCDIR");
	char *cmd = xasprintf("/usr/bin/python3 '%s/tests/unit/aws-botocore-sign.py' %d", src ? src : ".", CASES);
	FILE *f = popen(cmd, "r");
	free(cmd);
	assert_non_null(f);
	struct listener l;
	listener_start(&l);
	curl_global_init(CURL_GLOBAL_DEFAULT);

	size_t n = 0, by_curl = 0, kiln_only = 0, curl_wrong_there = 0;
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		json_error_t je;
		json_t *c = json_loads(line, 0, &je);
		if (!c)
			fail_msg("botocore case %zu is not JSON: %s", n, je.text);
		struct aws_creds cr = {
			.access_key_id = xstrdup(jstr(c, "access_key")),
			.secret_access_key = xstrdup(jstr(c, "secret_key")),
			.session_token = json_is_string(json_object_get(c, "token")) ? xstrdup(jstr(c, "token")) : NULL,
		};
		struct strv headers = STRV_INIT;
		json_t *hv;
		size_t i;
		json_array_foreach(json_object_get(c, "headers"), i, hv)
		{
			strv_pushf(&headers, "%s: %s", json_string_value(json_array_get(hv, 0)),
				   json_string_value(json_array_get(hv, 1)));
		}
		const char *query = jstr(c, "query");
		struct aws_sigv4_request r = {
			.method = jstr(c, "method"),
			.host = jstr(c, "host"),
			.path = jstr(c, "path"),
			.query = *query ? query : NULL,
			.headers = headers.n ? headers.v : NULL,
			.payload_hash = jstr(c, "payload_hash"),
			.service = jstr(c, "service"),
			.region = jstr(c, "region"),
			.amz_date = jstr(c, "amz_date"),
			.s3 = strcmp(jstr(c, "service"), "s3") == 0,
		};
		struct aws_sigv4_result res;
		struct kiln_error err = ERR_INIT;
		assert_int_equal(aws_sigv4_sign(&r, &cr, &res, &err), 0);
		if (strcmp(res.canonical_request, jstr(c, "canonical_request")) != 0)
			fail_msg("case %zu (%s %s): canonical request\n--- botocore\n%s\n--- kiln\n%s", n, r.method,
				 jstr(c, "url"), jstr(c, "canonical_request"), res.canonical_request);
		assert_string_equal(res.string_to_sign, jstr(c, "string_to_sign"));
		assert_string_equal(res.signature, jstr(c, "signature"));
		aws_sigv4_result_free(&res);

		bool sent = false;
		char *csig = curl_signature(&l, c, &cr, &sent);
		if (!sent)
			fail_msg("case %zu: curl could not send %s %s to the listener", n, r.method, jstr(c, "url"));
		if (aws_sigv4_curl_agrees(&r, true)) {
			by_curl++;
			if (!csig || strcmp(csig, jstr(c, "signature")) != 0)
				fail_msg("case %zu (%s %s): curl signed %s, botocore %s, though kiln would let curl sign it",
					 n, r.method, jstr(c, "url"), csig ? csig : "(nothing)", jstr(c, "signature"));
		} else {
			kiln_only++;
			if (!csig || strcmp(csig, jstr(c, "signature")) != 0)
				curl_wrong_there++;
		}
		free(csig);
		strv_free(&headers);
		aws_creds_clear(&cr);
		json_decref(c);
		n++;
	}
	free(line);
	int st = pclose(f);
	if (st != 0)
		fail_msg("aws-botocore-sign.py failed (exit %d): /usr/bin/python3 needs python3-botocore "
			 "(scripts/install-deps installs it)", st);
	listener_stop(&l);
	curl_global_cleanup();
	assert_int_equal(n, CASES);
	/* both signers are exercised on a good share of the cases */
	assert_true(by_curl >= CASES / 5);
	assert_true(kiln_only >= CASES / 5);
	printf("# %zu requests: %zu signed as botocore does by both kiln and curl, %zu by kiln where curl 7.88 "
	       "is not (curl got %zu of those wrong)\n",
	       n, by_curl, kiln_only, curl_wrong_there);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_botocore),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
