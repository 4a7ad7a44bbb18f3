/* creds.c — AWS credentials: the chain of sources, refreshing, and what each source reads (see
 * creds.h). STS and the metadata service are reached through http.c. */
#include "cloud/aws/creds.h"
#include "cloud/aws/http.h"
#include "cloud/aws/ini.h"
#include "cloud/aws/uri.h"
#include "ui/ui.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/proc.h"

#include <ctype.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define REFRESH_BEFORE_S 300
#define MAX_PROFILE_CHAIN 8
#define PROCESS_TIMEOUT_MS 60000

/* ------------------------------------------------------------------------------------------------
 * The credentials themselves */

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void aws_creds_copy(struct aws_creds *dst, const struct aws_creds *src)
{
	dst->access_key_id = dup_or_null(src->access_key_id);
	dst->secret_access_key = dup_or_null(src->secret_access_key);
	dst->session_token = dup_or_null(src->session_token);
	dst->expiration = src->expiration;
}

static void wipe(char **s)
{
	if (*s) {
		OPENSSL_cleanse(*s, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

void aws_creds_clear(struct aws_creds *c)
{
	if (!c)
		return;
	wipe(&c->access_key_id);
	wipe(&c->secret_access_key);
	wipe(&c->session_token);
	c->expiration = 0;
}

/* Every value read is masked in all output from now on (Packer masks the access key too). */
static void mask(const struct aws_creds *c)
{
	if (c->access_key_id && *c->access_key_id)
		ui_secret_add(c->access_key_id);
	if (c->secret_access_key && *c->secret_access_key)
		ui_secret_add(c->secret_access_key);
	if (c->session_token && *c->session_token)
		ui_secret_add(c->session_token);
}

static bool days_from_civil(int y, int m, int d, int64_t *out)
{
	if (m < 1 || m > 12 || d < 1 || d > 31)
		return false;
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	*out = era * 146097 + doe - 719468;
	return true;
}

int aws_parse_time(const char *s, int64_t *out)
{
	int y, mo, d, h, mi, se, n = 0;
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &se, &n) != 6 || n != 19)
		return -1;
	const char *p = s + 19;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			;
	int64_t off = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om, m2 = 0;
		if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &m2) != 2 || m2 != 5)
			return -1;
		off = (int64_t)(oh * 3600 + om * 60) * (*p == '+' ? 1 : -1);
		p += 6;
	} else {
		return -1;
	}
	if (*p || h > 23 || mi > 59 || se > 60)
		return -1;
	int64_t days;
	if (!days_from_civil(y, mo, d, &days))
		return -1;
	*out = days * 86400 + h * 3600 + mi * 60 + se - off;
	return 0;
}

int aws_creds_parse_json(const char *text, size_t len, bool need_version, struct aws_creds *out,
			 struct kiln_error *err)
{
	memset(out, 0, sizeof *out);
	json_error_t je;
	json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!j || !json_is_object(j)) {
		json_decref(j);
		return err_set_kind(err, ERR_INVALID, "credentials are not a JSON object%s%s", j ? "" : ": ",
				    j ? "" : je.text);
	}
	int rc = -1;
	if (need_version) {
		json_t *v = json_object_get(j, "Version");
		if (!json_is_integer(v) || json_integer_value(v) != 1) {
			err_set_kind(err, ERR_INVALID, "credential_process output must have \"Version\": 1");
			goto out;
		}
	}
	const char *id = json_string_value(json_object_get(j, "AccessKeyId"));
	const char *secret = json_string_value(json_object_get(j, "SecretAccessKey"));
	const char *token = json_string_value(json_object_get(j, "SessionToken"));
	if (!token)
		token = json_string_value(json_object_get(j, "Token"));  /* the metadata service's name */
	const char *exp = json_string_value(json_object_get(j, "Expiration"));
	if (!id || !*id || !secret || !*secret) {
		err_set_kind(err, ERR_INVALID, "credentials lack AccessKeyId or SecretAccessKey");
		goto out;
	}
	int64_t t = 0;
	if (exp && *exp && aws_parse_time(exp, &t) < 0) {
		err_set_kind(err, ERR_INVALID, "credentials have a malformed Expiration \"%s\"", exp);
		goto out;
	}
	out->access_key_id = xstrdup(id);
	out->secret_access_key = xstrdup(secret);
	out->session_token = token && *token ? xstrdup(token) : NULL;
	out->expiration = t;
	mask(out);
	rc = 0;
out:
	json_decref(j);
	return rc;
}

int aws_split_command(const char *cmd, struct strv *argv, struct kiln_error *err)
{
	struct buf w = BUF_INIT;
	bool in_word = false;
	const char *p = cmd;
	while (*p) {
		char c = *p;
		if (isspace((unsigned char)c)) {
			if (in_word) {
				strv_push_owned(argv, buf_detach(&w));
				in_word = false;
			}
			p++;
		} else if (c == '\'') {
			const char *e = strchr(p + 1, '\'');
			if (!e)
				goto unterminated;
			buf_append(&w, p + 1, (size_t)(e - p - 1));
			in_word = true;
			p = e + 1;
		} else if (c == '"') {
			p++;
			while (*p && *p != '"') {
				/* inside double quotes a backslash escapes only $ ` " \ and newline */
				if (*p == '\\' && p[1] && strchr("$`\"\\\n", p[1]))
					p++;
				buf_putc(&w, *p++);
			}
			if (*p != '"')
				goto unterminated;
			p++;
			in_word = true;
		} else if (c == '\\') {
			if (p[1])
				buf_putc(&w, p[1]), p += 2;
			else
				p++;
			in_word = true;
		} else {
			buf_putc(&w, c);
			in_word = true;
			p++;
		}
	}
	if (in_word)
		strv_push_owned(argv, buf_detach(&w));
	buf_free(&w);
	return 0;
unterminated:
	buf_free(&w);
	return err_set_kind(err, ERR_INVALID, "credential_process has an unterminated quote");
}

/* ------------------------------------------------------------------------------------------------
 * Providers */

enum src_kind { SRC_STATIC, SRC_PROCESS, SRC_ASSUME_ROLE, SRC_WEB_IDENTITY, SRC_IMDS };

struct aws_creds_provider {
	pthread_mutex_t lock;
	enum src_kind kind;
	char *source;
	struct aws_creds cur;
	bool have;
	/* SRC_PROCESS */
	char *process;
	/* SRC_ASSUME_ROLE and SRC_WEB_IDENTITY */
	struct aws_assume_role role;
	struct aws_creds_provider *base;     /* assume role: the credentials that ask */
	char *token_file;                    /* web identity */
	/* for STS and the metadata service */
	struct aws_endpoints endpoints;
	char *region;
	bool insecure;
};

static void role_copy(struct aws_assume_role *d, const struct aws_assume_role *s)
{
	memset(d, 0, sizeof *d);
	d->role_arn = dup_or_null(s->role_arn);
	d->session_name = dup_or_null(s->session_name);
	d->external_id = dup_or_null(s->external_id);
	d->duration_seconds = s->duration_seconds;
	d->policy = dup_or_null(s->policy);
	for (size_t i = 0; i < s->policy_arns.n; i++)
		strv_push(&d->policy_arns, s->policy_arns.v[i]);
	for (size_t i = 0; i < s->tags.n; i++)
		strv_push(&d->tags, s->tags.v[i]);
	for (size_t i = 0; i < s->transitive_tag_keys.n; i++)
		strv_push(&d->transitive_tag_keys, s->transitive_tag_keys.v[i]);
	d->mfa_serial = dup_or_null(s->mfa_serial);
	d->mfa_code = dup_or_null(s->mfa_code);
}

static void role_free(struct aws_assume_role *r)
{
	free(r->role_arn);
	free(r->session_name);
	free(r->external_id);
	free(r->policy);
	strv_free(&r->policy_arns);
	strv_free(&r->tags);
	strv_free(&r->transitive_tag_keys);
	free(r->mfa_serial);
	free(r->mfa_code);
	memset(r, 0, sizeof *r);
}

static void copy_endpoints(struct aws_endpoints *d, const struct aws_endpoints *s)
{
	memset(d, 0, sizeof *d);
	if (!s)
		return;
	d->ec2 = dup_or_null(s->ec2);
	d->s3 = dup_or_null(s->s3);
	d->sts = dup_or_null(s->sts);
	d->imds = dup_or_null(s->imds);
	d->imds_disabled = s->imds_disabled;
}

static struct aws_creds_provider *provider_new(enum src_kind kind, const struct aws_creds_opts *o, char *source)
{
	struct aws_creds_provider *p = xcalloc(1, sizeof *p);
	pthread_mutex_init(&p->lock, NULL);
	p->kind = kind;
	p->source = source;
	copy_endpoints(&p->endpoints, o->endpoints);
	p->region = dup_or_null(o->region);
	p->insecure = o->insecure;
	return p;
}

void aws_creds_provider_free(struct aws_creds_provider *p)
{
	if (!p)
		return;
	aws_creds_clear(&p->cur);
	free(p->source);
	free(p->process);
	role_free(&p->role);
	aws_creds_provider_free(p->base);
	free(p->token_file);
	aws_endpoints_free(&p->endpoints);
	free(p->region);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

const char *aws_creds_provider_source(const struct aws_creds_provider *p)
{
	return p ? p->source : "";
}

bool aws_creds_provider_refreshable(const struct aws_creds_provider *p)
{
	return p && p->kind != SRC_STATIC;
}

static struct aws_creds_provider *static_provider(const struct aws_creds_opts *o, const char *id, const char *secret,
						  const char *token, char *source)
{
	struct aws_creds_provider *p = provider_new(SRC_STATIC, o, source);
	p->cur.access_key_id = xstrdup(id);
	p->cur.secret_access_key = xstrdup(secret);
	p->cur.session_token = token && *token ? xstrdup(token) : NULL;
	p->have = true;
	mask(&p->cur);
	return p;
}

/* --- credential_process --- */

static int run_process(struct aws_creds_provider *p, struct aws_creds *out, struct kiln_error *err)
{
	struct strv argv = STRV_INIT;
	struct buf o = BUF_INIT, e = BUF_INIT;
	int rc = -1, status = 0;
	if (aws_split_command(p->process, &argv, err) < 0)
		goto out;
	if (argv.n == 0) {
		err_set_kind(err, ERR_INVALID, "credential_process is empty");
		goto out;
	}
	struct proc_opts po = {.out = &o, .errout = &e, .timeout_ms = PROCESS_TIMEOUT_MS};
	if (proc_run(strv_argv(&argv), &po, &status, err) < 0) {
		err_wrap(err, "running credential_process %s", argv.v[0]);
		goto out;
	}
	if (status != 0) {
		/* its stderr says why; its stdout might hold credentials, so it is not shown */
		char *why = e.len ? xstrndup(e.data, e.len > 400 ? 400 : e.len) : NULL;
		size_t l = why ? strlen(why) : 0;
		while (l && isspace((unsigned char)why[l - 1]))
			why[--l] = '\0';
		err_set(err, "credential_process %s exited with status %d%s%s", argv.v[0], status, why ? ": " : "",
			why ? why : "");
		free(why);
		goto out;
	}
	if (aws_creds_parse_json(buf_cstr(&o), o.len, true, out, err) < 0) {
		err_wrap(err, "credential_process %s", argv.v[0]);
		goto out;
	}
	rc = 0;
out:
	if (o.data)
		OPENSSL_cleanse(o.data, o.len);
	buf_free(&o);
	buf_free(&e);
	strv_free(&argv);
	return rc;
}

/* --- STS --- */

static int sts_call(struct aws_creds_provider *p, struct aws_client *client, const char *action, struct aws_query *q,
		    struct aws_creds *out, struct kiln_error *err)
{
	const char *region = p->region && *p->region ? p->region : "us-east-1";
	char *url = p->endpoints.sts ? xstrdup(p->endpoints.sts)
		    : p->region && *p->region ? aws_service_url(NULL, "sts", region) : xstrdup("https://sts.amazonaws.com");
	struct aws_endpoint ep;
	struct aws_response resp = {0};
	char *body = NULL;
	char *result = xasprintf("%sResult/Credentials", action);
	int rc = -1;
	if (aws_endpoint_parse(url, &ep, err) < 0)
		goto out_url;
	aws_query_add(q, "Action", action);
	aws_query_add(q, "Version", "2011-06-15");
	body = aws_query_string(q);
	char *const headers[] = {(char *)"Content-Type: application/x-www-form-urlencoded; charset=utf-8", NULL};
	struct aws_request r = {
		.operation = action,
		.method = "POST",
		.service = client->creds ? "sts" : NULL,
		.region = region,
		.endpoint = &ep,
		.headers = headers,
		.body = body,
		.body_len = strlen(body),
		.max_attempts = 3,
		.timeout_ms = 30000,
	};
	if (aws_send(client, &r, &resp, err) < 0)
		goto out;
	const struct aws_xml *c = aws_xml_path(resp.xml, result);
	const char *id = aws_xml_text(c, "AccessKeyId"), *secret = aws_xml_text(c, "SecretAccessKey");
	const char *token = aws_xml_text(c, "SessionToken"), *exp = aws_xml_text(c, "Expiration");
	if (!id || !*id || !secret || !*secret || !token || !*token) {
		err_set(err, "%s: STS's answer has no credentials", action);
		goto out;
	}
	memset(out, 0, sizeof *out);
	out->access_key_id = xstrdup(id);
	out->secret_access_key = xstrdup(secret);
	out->session_token = xstrdup(token);
	if (exp && aws_parse_time(exp, &out->expiration) < 0)
		out->expiration = (int64_t)time(NULL) + 900;
	mask(out);
	rc = 0;
out:
	/* STS's answer held the secrets */
	if (resp.body.data)
		OPENSSL_cleanse(resp.body.data, resp.body.len);
	aws_response_free(&resp);
	aws_endpoint_free(&ep);
out_url:
	if (body)
		OPENSSL_cleanse(body, strlen(body));
	free(body);
	free(url);
	free(result);
	return rc;
}

static char *session_name(const struct aws_assume_role *r)
{
	return r->session_name && *r->session_name ? xstrdup(r->session_name)
						   : xasprintf("kiln-%lld", (long long)time(NULL));
}

static int assume_role(struct aws_creds_provider *p, struct aws_creds *out, struct kiln_error *err)
{
	struct aws_client client;
	aws_client_init(&client);
	/* the base provider stays with p: lend it to this client */
	client.creds = p->base;
	client.insecure = p->insecure;
	client.region = dup_or_null(p->region);
	struct aws_query q = AWS_QUERY_INIT;
	aws_query_add(&q, "RoleArn", p->role.role_arn);
	char *sn = session_name(&p->role);
	aws_query_add(&q, "RoleSessionName", sn);
	free(sn);
	if (p->role.duration_seconds > 0)
		aws_query_addf(&q, "DurationSeconds", "%d", p->role.duration_seconds);
	if (p->role.external_id && *p->role.external_id)
		aws_query_add(&q, "ExternalId", p->role.external_id);
	if (p->role.policy && *p->role.policy)
		aws_query_add(&q, "Policy", p->role.policy);
	for (size_t i = 0; i < p->role.policy_arns.n; i++) {
		char *k = xasprintf("PolicyArns.member.%zu.arn", i + 1);
		aws_query_add(&q, k, p->role.policy_arns.v[i]);
		free(k);
	}
	for (size_t i = 0; i < p->role.tags.n; i++) {
		const char *t = p->role.tags.v[i];
		const char *eq = strchr(t, '=');
		char *k = xasprintf("Tags.member.%zu.Key", i + 1), *v = xasprintf("Tags.member.%zu.Value", i + 1);
		char *key = eq ? xstrndup(t, (size_t)(eq - t)) : xstrdup(t);
		aws_query_add(&q, k, key);
		aws_query_add(&q, v, eq ? eq + 1 : "");
		free(key);
		free(k);
		free(v);
	}
	for (size_t i = 0; i < p->role.transitive_tag_keys.n; i++) {
		char *k = xasprintf("TransitiveTagKeys.member.%zu", i + 1);
		aws_query_add(&q, k, p->role.transitive_tag_keys.v[i]);
		free(k);
	}
	if (p->role.mfa_serial) {
		aws_query_add(&q, "SerialNumber", p->role.mfa_serial);
		aws_query_add(&q, "TokenCode", p->role.mfa_code);
	}
	int rc = sts_call(p, &client, "AssumeRole", &q, out, err);
	if (rc < 0)
		err_wrap(err, "assuming role %s", p->role.role_arn);
	aws_query_free(&q);
	client.creds = NULL;
	aws_client_free(&client);
	return rc;
}

static int web_identity(struct aws_creds_provider *p, struct aws_creds *out, struct kiln_error *err)
{
	struct buf tok = BUF_INIT;
	if (file_read_all(p->token_file, &tok, err) < 0)
		return err_wrap(err, "reading the web identity token");
	while (tok.len && isspace((unsigned char)tok.data[tok.len - 1]))
		buf_truncate(&tok, tok.len - 1);
	if (!tok.len) {
		buf_free(&tok);
		return err_set_kind(err, ERR_INVALID, "the web identity token file %s is empty", p->token_file);
	}
	ui_secret_add(buf_cstr(&tok));
	struct aws_client client;
	aws_client_init(&client);  /* no credentials: AssumeRoleWithWebIdentity is not signed */
	client.insecure = p->insecure;
	struct aws_query q = AWS_QUERY_INIT;
	aws_query_add(&q, "RoleArn", p->role.role_arn);
	char *sn = session_name(&p->role);
	aws_query_add(&q, "RoleSessionName", sn);
	free(sn);
	aws_query_add(&q, "WebIdentityToken", buf_cstr(&tok));
	if (p->role.duration_seconds > 0)
		aws_query_addf(&q, "DurationSeconds", "%d", p->role.duration_seconds);
	int rc = sts_call(p, &client, "AssumeRoleWithWebIdentity", &q, out, err);
	if (rc < 0)
		err_wrap(err, "assuming role %s with the web identity token in %s", p->role.role_arn, p->token_file);
	for (size_t i = 0; i < q.pairs.n; i++)
		OPENSSL_cleanse(q.pairs.v[i], strlen(q.pairs.v[i]));
	aws_query_free(&q);
	OPENSSL_cleanse(tok.data, tok.len);
	buf_free(&tok);
	aws_client_free(&client);
	return rc;
}

/* --- the metadata service (IMDSv2) --- */

/* One call to the metadata service: ok, not there (no answer, 404), or an error. */
enum imds_result { IMDS_OK, IMDS_ABSENT, IMDS_ERROR };

static enum imds_result imds_get(const struct aws_endpoints *eps, const char *method, const char *path,
				 const char *token, struct buf *out, struct kiln_error *err)
{
	const char *url = eps && eps->imds ? eps->imds : "http://169.254.169.254";
	struct aws_endpoint ep;
	if (aws_endpoint_parse(url, &ep, err) < 0)
		return IMDS_ERROR;
	struct aws_client client;
	aws_client_init(&client);
	struct strv headers = STRV_INIT;
	if (token)
		strv_pushf(&headers, "X-aws-ec2-metadata-token: %s", token);
	else
		strv_push(&headers, "X-aws-ec2-metadata-token-ttl-seconds: 21600");
	struct aws_request r = {
		.operation = "instance metadata",
		.method = method,
		.endpoint = &ep,
		.path = path,
		.headers = headers.v,
		.timeout_ms = 2000,
		.connect_timeout_ms = 1000,
		.max_attempts = 2,
	};
	struct aws_response resp = {0};
	struct kiln_error e = ERR_INIT;
	enum imds_result res = IMDS_OK;
	if (aws_send(&client, &r, &resp, &e) < 0) {
		if (err_is(&e, ERR_CANCELLED)) {
			err_move(err, &e);
			res = IMDS_ERROR;
		} else if (resp.status == 0 || resp.status == 404) {
			res = IMDS_ABSENT;
			log_debug("aws: instance metadata %s: %s", path, err_cause(&e));
		} else {
			err_move(err, &e);
			err_wrap(err, "the EC2 instance metadata service at %s", url);
			res = IMDS_ERROR;
		}
	} else {
		buf_append(out, resp.body.data ? resp.body.data : "", resp.body.len);
	}
	err_clear(&e);
	if (resp.body.data)
		OPENSSL_cleanse(resp.body.data, resp.body.len);
	aws_response_free(&resp);
	for (size_t i = 0; i < headers.n; i++)
		OPENSSL_cleanse(headers.v[i], strlen(headers.v[i]));
	strv_free(&headers);
	aws_endpoint_free(&ep);
	aws_client_free(&client);
	return res;
}

static enum imds_result imds_token(const struct aws_endpoints *eps, char **token, struct kiln_error *err)
{
	struct buf t = BUF_INIT;
	enum imds_result r = imds_get(eps, "PUT", "/latest/api/token", NULL, &t, err);
	if (r == IMDS_OK) {
		*token = buf_detach(&t);
		ui_secret_add(*token);
	}
	buf_free(&t);
	return r;
}

static enum imds_result imds_creds(struct aws_creds_provider *p, struct aws_creds *out, struct kiln_error *err)
{
	char *token = NULL;
	struct buf role = BUF_INIT, js = BUF_INIT;
	enum imds_result r = imds_token(&p->endpoints, &token, err);
	if (r != IMDS_OK)
		goto out;
	r = imds_get(&p->endpoints, "GET", "/latest/meta-data/iam/security-credentials/", token, &role, err);
	if (r != IMDS_OK)
		goto out;
	/* the first line names the role */
	size_t rl = strcspn(buf_cstr(&role), "\r\n");
	buf_truncate(&role, rl);
	if (!role.len) {
		r = IMDS_ABSENT;
		goto out;
	}
	struct buf path = BUF_INIT;
	buf_puts(&path, "/latest/meta-data/iam/security-credentials/");
	aws_uri_encode(&path, role.data, role.len, false);
	r = imds_get(&p->endpoints, "GET", buf_cstr(&path), token, &js, err);
	buf_free(&path);
	if (r != IMDS_OK)
		goto out;
	if (aws_creds_parse_json(buf_cstr(&js), js.len, false, out, err) < 0) {
		err_wrap(err, "the instance metadata service's credentials for role %s", buf_cstr(&role));
		r = IMDS_ERROR;
		goto out;
	}
	if (!p->source || !strstr(p->source, buf_cstr(&role))) {
		free(p->source);
		p->source = xasprintf("EC2 instance metadata (role %s)", buf_cstr(&role));
	}
out:
	if (js.data)
		OPENSSL_cleanse(js.data, js.len);
	buf_free(&js);
	buf_free(&role);
	if (token)
		OPENSSL_cleanse(token, strlen(token));
	free(token);
	return r;
}

/* --- fetching and refreshing --- */

static int fetch(struct aws_creds_provider *p, struct aws_creds *out, struct kiln_error *err)
{
	switch (p->kind) {
	case SRC_STATIC:
		aws_creds_copy(out, &p->cur);
		return 0;
	case SRC_PROCESS:
		return run_process(p, out, err);
	case SRC_ASSUME_ROLE:
		return assume_role(p, out, err);
	case SRC_WEB_IDENTITY:
		return web_identity(p, out, err);
	case SRC_IMDS: {
		enum imds_result r = imds_creds(p, out, err);
		if (r == IMDS_ABSENT)
			return err_set_kind(err, ERR_NOT_FOUND, "the EC2 instance metadata service has no credentials");
		return r == IMDS_OK ? 0 : -1;
	}
	}
	return -1;
}

int aws_creds_provider_get(struct aws_creds_provider *p, bool force, struct aws_creds *out, struct kiln_error *err)
{
	memset(out, 0, sizeof *out);
	pthread_mutex_lock(&p->lock);
	int rc = 0;
	int64_t now = (int64_t)time(NULL);
	bool stale = !p->have || (p->cur.expiration && p->cur.expiration - now < REFRESH_BEFORE_S);
	if (p->kind != SRC_STATIC && (force || stale)) {
		struct aws_creds fresh = {0};
		log_debug("aws: %s credentials from %s", p->have ? "refreshing" : "reading", p->source);
		rc = fetch(p, &fresh, err);
		if (rc == 0) {
			aws_creds_clear(&p->cur);
			p->cur = fresh;
			p->have = true;
		}
	}
	if (rc == 0)
		aws_creds_copy(out, &p->cur);
	pthread_mutex_unlock(&p->lock);
	return rc;
}

/* ------------------------------------------------------------------------------------------------
 * The chain */

static char *home_path(const char *rel)
{
	const char *h = getenv("HOME");
	return xasprintf("%s/%s", h && *h ? h : "/", rel);
}

/* "~/x" as the SDKs expand it */
static char *expand_tilde(const char *p)
{
	if (p[0] == '~' && (p[1] == '/' || !p[1]))
		return home_path(p[1] ? p + 2 : "");
	return xstrdup(p);
}

static char *env_path(const char *var, const char *def_rel)
{
	const char *v = getenv(var);
	return v && *v ? expand_tilde(v) : home_path(def_rel);
}

struct files {
	char *cred_path, *conf_path;
	struct aws_ini *cred, *conf;
};

static int load_files(const struct aws_creds_opts *o, struct files *f, struct kiln_error *err)
{
	memset(f, 0, sizeof *f);
	f->cred_path = o && o->shared_credentials_file && *o->shared_credentials_file
			       ? expand_tilde(o->shared_credentials_file)
			       : env_path("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
	f->conf_path = env_path("AWS_CONFIG_FILE", ".aws/config");
	if (aws_ini_load(f->cred_path, &f->cred, err) < 0 || aws_ini_load(f->conf_path, &f->conf, err) < 0)
		return -1;
	return 0;
}

static void free_files(struct files *f)
{
	free(f->cred_path);
	free(f->conf_path);
	aws_ini_free(f->cred);
	aws_ini_free(f->conf);
}

char *aws_profile_region(const char *profile, struct kiln_error *err)
{
	struct files f;
	char *r = NULL;
	if (load_files(NULL, &f, err) == 0) {
		const char *name = profile && *profile ? profile : getenv("AWS_PROFILE");
		if (!name || !*name)
			name = "default";
		const char *v = aws_ini_get(f.conf, aws_ini_profile_section(f.conf, name, true), "region");
		if (v && *v)
			r = xstrdup(v);
	}
	free_files(&f);
	return r;
}

/* A key of the profile: the config file's section, else the credentials file's (or the other way round
 * for the static keys, as the SDKs read them). */
static const char *conf_get(const struct files *f, const char *profile, const char *key)
{
	return aws_ini_get(f->conf, aws_ini_profile_section(f->conf, profile, true), key);
}

static const char *cred_get(const struct files *f, const char *profile, const char *key)
{
	return aws_ini_get(f->cred, aws_ini_profile_section(f->cred, profile, false), key);
}

static const char *any_get(const struct files *f, const char *profile, const char *key)
{
	const char *v = cred_get(f, profile, key);
	return v ? v : conf_get(f, profile, key);
}

static int profile_provider(const struct aws_creds_opts *o, struct files *f, const char *profile, int depth,
			    struct aws_creds_provider **out, struct kiln_error *err);

static struct aws_creds_provider *env_static(const struct aws_creds_opts *o)
{
	const char *id = getenv("AWS_ACCESS_KEY_ID"), *secret = getenv("AWS_SECRET_ACCESS_KEY");
	if (!id || !*id || !secret || !*secret)
		return NULL;
	return static_provider(o, id, secret, getenv("AWS_SESSION_TOKEN"),
			       xstrdup("environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)"));
}

static int role_provider(const struct aws_creds_opts *o, struct files *f, const char *profile, const char *role_arn,
			 int depth, struct aws_creds_provider **out, struct kiln_error *err)
{
	const char *src = conf_get(f, profile, "source_profile");
	const char *cs = conf_get(f, profile, "credential_source");
	const char *wit = conf_get(f, profile, "web_identity_token_file");
	struct aws_creds_provider *base = NULL;
	const char *mfa = conf_get(f, profile, "mfa_serial");
	if (mfa && !(o->mfa_code && *o->mfa_code)) {
		err_set_kind(err, ERR_INVALID, "profile \"%s\" needs an MFA code (mfa_serial), which kiln cannot ask for",
			     profile);
		err_hint(err, "give the current code as mfa_code");
		return -1;
	}
	if (src && cs)
		return err_set_kind(err, ERR_INVALID, "profile \"%s\" has both source_profile and credential_source",
				    profile);
	if (src) {
		if (strcmp(src, profile) == 0) {
			/* a profile may be its own source when it holds static keys */
			const char *id = any_get(f, profile, "aws_access_key_id");
			const char *sk = any_get(f, profile, "aws_secret_access_key");
			if (!id || !sk)
				return err_set_kind(err, ERR_INVALID, "profile \"%s\" is its own source_profile but has "
						    "no keys", profile);
			base = static_provider(o, id, sk, any_get(f, profile, "aws_session_token"),
					       xasprintf("profile \"%s\"", profile));
		} else if (profile_provider(o, f, src, depth + 1, &base, err) < 0) {
			return err_wrap(err, "source_profile \"%s\" of profile \"%s\"", src, profile);
		}
	} else if (cs) {
		if (strcasecmp(cs, "Environment") == 0) {
			base = env_static(o);
			if (!base)
				return err_set_kind(err, ERR_NOT_FOUND, "profile \"%s\": credential_source = Environment, "
						    "but AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are not set", profile);
		} else if (strcasecmp(cs, "Ec2InstanceMetadata") == 0) {
			base = provider_new(SRC_IMDS, o, xstrdup("EC2 instance metadata"));
		} else {
			return err_set_kind(err, ERR_INVALID, "profile \"%s\": credential_source \"%s\" is not supported "
					    "(use Environment or Ec2InstanceMetadata)", profile, cs);
		}
	} else if (wit) {
		struct aws_creds_provider *p = provider_new(SRC_WEB_IDENTITY, o,
							    xasprintf("profile \"%s\" (web identity, role %s)", profile, role_arn));
		p->role.role_arn = xstrdup(role_arn);
		p->role.session_name = dup_or_null(conf_get(f, profile, "role_session_name"));
		p->token_file = expand_tilde(wit);
		*out = p;
		return 0;
	} else {
		return err_set_kind(err, ERR_INVALID, "profile \"%s\" has role_arn but neither source_profile nor "
				    "credential_source", profile);
	}
	struct aws_creds_provider *p = provider_new(SRC_ASSUME_ROLE, o,
						    xasprintf("profile \"%s\" (role %s, from %s)", profile, role_arn,
							      base->source));
	p->role.role_arn = xstrdup(role_arn);
	p->role.session_name = dup_or_null(conf_get(f, profile, "role_session_name"));
	p->role.external_id = dup_or_null(conf_get(f, profile, "external_id"));
	if (mfa) {
		p->role.mfa_serial = xstrdup(mfa);
		p->role.mfa_code = xstrdup(o->mfa_code);
	}
	const char *ds = conf_get(f, profile, "duration_seconds");
	if (ds)
		p->role.duration_seconds = atoi(ds);
	p->base = base;
	*out = p;
	return 0;
}

static int profile_provider(const struct aws_creds_opts *o, struct files *f, const char *profile, int depth,
			    struct aws_creds_provider **out, struct kiln_error *err)
{
	*out = NULL;
	if (depth > MAX_PROFILE_CHAIN)
		return err_set_kind(err, ERR_INVALID, "profile \"%s\": source_profile chain longer than %d (a loop?)",
				    profile, MAX_PROFILE_CHAIN);
	bool in_conf = aws_ini_profile_section(f->conf, profile, true) != NULL;
	bool in_cred = aws_ini_profile_section(f->cred, profile, false) != NULL;
	if (!in_conf && !in_cred)
		return err_set_kind(err, ERR_NOT_FOUND, "profile \"%s\" is in neither %s nor %s", profile, f->cred_path,
				    f->conf_path);
	/* botocore's order: role_arn, web identity, the credentials file's keys, credential_process, the
	 * config file's keys */
	const char *role = conf_get(f, profile, "role_arn");
	if (role && *role)
		return role_provider(o, f, profile, role, depth, out, err);
	const char *id = cred_get(f, profile, "aws_access_key_id"), *sk = cred_get(f, profile, "aws_secret_access_key");
	if (id || sk) {
		if (!id || !sk || !*id || !*sk)
			return err_set_kind(err, ERR_INVALID, "profile \"%s\" in %s has only one of aws_access_key_id and "
					    "aws_secret_access_key", profile, f->cred_path);
		*out = static_provider(o, id, sk, cred_get(f, profile, "aws_session_token"),
				       xasprintf("shared credentials file %s, profile \"%s\"", f->cred_path, profile));
		return 0;
	}
	const char *proc = any_get(f, profile, "credential_process");
	if (proc && *proc) {
		struct aws_creds_provider *p = provider_new(SRC_PROCESS, o,
							    xasprintf("credential_process of profile \"%s\"", profile));
		p->process = xstrdup(proc);
		*out = p;
		return 0;
	}
	id = conf_get(f, profile, "aws_access_key_id");
	sk = conf_get(f, profile, "aws_secret_access_key");
	if (id || sk) {
		if (!id || !sk || !*id || !*sk)
			return err_set_kind(err, ERR_INVALID, "profile \"%s\" in %s has only one of aws_access_key_id and "
					    "aws_secret_access_key", profile, f->conf_path);
		*out = static_provider(o, id, sk, conf_get(f, profile, "aws_session_token"),
				       xasprintf("shared config file %s, profile \"%s\"", f->conf_path, profile));
		return 0;
	}
	if (conf_get(f, profile, "sso_start_url") || conf_get(f, profile, "sso_session")) {
		err_set_kind(err, ERR_INVALID, "profile \"%s\" uses AWS SSO, which kiln does not read", profile);
		err_hint(err, "add credential_process = aws configure export-credentials --profile %s --format process "
			      "to a profile and use that one", profile);
		return -1;
	}
	return err_set_kind(err, ERR_NOT_FOUND, "profile \"%s\" has no credentials", profile);
}

int aws_creds_provider_new(const struct aws_creds_opts *o, struct aws_creds_provider **out, struct kiln_error *err)
{
	*out = NULL;
	struct aws_creds_provider *p = NULL;
	struct files f = {0};
	struct strv tried = STRV_INIT;
	int rc = -1;

	/* 1. the template */
	if ((o->access_key && *o->access_key) || (o->secret_key && *o->secret_key)) {
		if (!o->access_key || !*o->access_key || !o->secret_key || !*o->secret_key) {
			err_set_kind(err, ERR_INVALID, "access_key and secret_key must both be set, or neither");
			goto out;
		}
		p = static_provider(o, o->access_key, o->secret_key, o->token, xstrdup("the template's access_key"));
		goto found;
	}
	/* 2. the environment */
	if ((p = env_static(o)))
		goto found;
	strv_push(&tried, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
	/* 3. the shared files */
	if (load_files(o, &f, err) < 0)
		goto out;
	const char *profile = o->profile && *o->profile ? o->profile : getenv("AWS_PROFILE");
	bool explicit_profile = profile && *profile;
	if (!explicit_profile)
		profile = "default";
	struct kiln_error pe = ERR_INIT;
	if (profile_provider(o, &f, profile, 0, &p, &pe) == 0) {
		goto found;
	} else if (explicit_profile || !err_is(&pe, ERR_NOT_FOUND)) {
		err_move(err, &pe);
		goto out;
	}
	err_clear(&pe);
	strv_pushf(&tried, "profile \"default\" in %s and %s", f.cred_path, f.conf_path);
	/* 4. web identity from the environment */
	const char *wif = getenv("AWS_WEB_IDENTITY_TOKEN_FILE"), *war = getenv("AWS_ROLE_ARN");
	if (wif && *wif && war && *war) {
		p = provider_new(SRC_WEB_IDENTITY, o, xasprintf("web identity (AWS_WEB_IDENTITY_TOKEN_FILE, role %s)", war));
		p->role.role_arn = xstrdup(war);
		p->role.session_name = dup_or_null(getenv("AWS_ROLE_SESSION_NAME"));
		p->token_file = expand_tilde(wif);
		goto found;
	}
	strv_push(&tried, "AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN");
	/* 5. the metadata service: only when it answers */
	if (!o->skip_metadata && !(o->endpoints && o->endpoints->imds_disabled)) {
		struct aws_creds_provider *m = provider_new(SRC_IMDS, o, xstrdup("EC2 instance metadata"));
		struct aws_creds c = {0};
		struct kiln_error me = ERR_INIT;
		enum imds_result r = imds_creds(m, &c, &me);
		if (r == IMDS_OK) {
			m->cur = c;
			m->have = true;
			p = m;
			goto found;
		}
		aws_creds_provider_free(m);
		if (r == IMDS_ERROR) {
			err_move(err, &me);
			goto out;
		}
		err_clear(&me);
		strv_push(&tried, "the EC2 instance metadata service");
	}
	char *list = strv_join(&tried, "; ");
	err_set_kind(err, ERR_NOT_FOUND, "no AWS credentials found (looked at: %s)", list);
	err_hint(err, "set access_key and secret_key, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile "
		      "(`profile` or AWS_PROFILE) in ~/.aws/credentials");
	free(list);
	goto out;
found:
	/* the template's assume_role block applies to whatever was found */
	if (o->assume_role && o->assume_role->role_arn && *o->assume_role->role_arn) {
		struct aws_creds_provider *a = provider_new(SRC_ASSUME_ROLE, o,
							    xasprintf("role %s (assume_role, from %s)",
								      o->assume_role->role_arn, p->source));
		role_copy(&a->role, o->assume_role);
		a->base = p;
		p = a;
	}
	/* temporary credentials are read now, so that a source that fails says so before any upload */
	struct aws_creds first = {0};
	if (aws_creds_provider_get(p, false, &first, err) < 0) {
		err_wrap(err, "credentials from %s", p->source);
		aws_creds_provider_free(p);
		p = NULL;
		goto out;
	}
	aws_creds_clear(&first);
	log_debug("aws: credentials from %s", p->source);
	*out = p;
	p = NULL;
	rc = 0;
out:
	aws_creds_provider_free(p);
	free_files(&f);
	strv_free(&tried);
	return rc;
}
