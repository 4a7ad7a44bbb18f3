/* ctx.c — the run context's build data and the expansion of Go-template text that Packer templates
 * keep inside strings ({{ .HTTPIP }}, {{ .Name }}, {{ build `Host` }}). Field lookups, the `build`
 * function and Packer's functions without arguments (`timestamp`, `uuid`, `isotime`: amazon-import's
 * default s3_key_name is "packer-import-{{timestamp}}.ova") are supported: that is what Packer's HCL2
 * mode leaves for components. */
#include "component.h"
#include "util/buf.h"
#include "util/lazy_crypto.h"
#include "util/mem.h"
#include "util/signals.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *kv_lookup(char *const *kv, size_t n, const char *key, size_t keylen)
{
	for (size_t i = n; i-- > 0;) {
		if (strncmp(kv[i], key, keylen) == 0 && kv[i][keylen] == '=')
			return kv[i] + keylen + 1;
	}
	return NULL;
}

void kiln_ctx_set(struct kiln_ctx *ctx, const char *key, const char *value)
{
	size_t kl = strlen(key);
	for (size_t i = 0; i < ctx->build_data.n; i++) {
		if (strncmp(ctx->build_data.v[i], key, kl) == 0 && ctx->build_data.v[i][kl] == '=') {
			free(ctx->build_data.v[i]);
			ctx->build_data.v[i] = xasprintf("%s=%s", key, value ? value : "");
			return;
		}
	}
	strv_pushf(&ctx->build_data, "%s=%s", key, value ? value : "");
}

const char *kiln_ctx_get(const struct kiln_ctx *ctx, const char *key)
{
	return kv_lookup(ctx->build_data.v, ctx->build_data.n, key, strlen(key));
}

static size_t extra_len(char *const *extra)
{
	size_t n = 0;
	while (extra && extra[n])
		n++;
	return n;
}

/* Packer's `timestamp` and `isotime` are the time the run started: the same in every string. */
static time_t run_start;
static pthread_once_t run_start_once = PTHREAD_ONCE_INIT;

static void set_run_start(void)
{
	run_start = time(NULL);
}

/* timestamp, uuid, isotime: true when `a` is one of them (its value appended). */
static bool expand_function(const char *a, size_t n, struct buf *out)
{
	pthread_once(&run_start_once, set_run_start);
	if (n == 9 && memcmp(a, "timestamp", 9) == 0) {
		buf_printf(out, "%lld", (long long)run_start);
		return true;
	}
	if (n == 7 && memcmp(a, "isotime", 7) == 0) {
		struct tm tm;
		char s[32];
		gmtime_r(&run_start, &tm);
		strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%SZ", &tm);
		buf_puts(out, s);
		return true;
	}
	if (n == 4 && memcmp(a, "uuid", 4) == 0) {
		unsigned char b[16];
		if (RAND_bytes(b, sizeof b) != 1)
			return false;
		b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
		b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
		buf_printf(out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
			   b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
		return true;
	}
	return false;
}

/* Parse the inside of one {{ ... }} action (already trimmed) and append its value. */
static int expand_action(const struct kiln_ctx *ctx, char *const *extra, const char *a, size_t n,
			 struct buf *out, struct kiln_error *err)
{
	const char *key = NULL;
	size_t keylen = 0;
	if (expand_function(a, n, out))
		return 0;
	if (n > 1 && a[0] == '.') {
		key = a + 1;
		keylen = n - 1;
		for (size_t i = 0; i < keylen; i++)
			if (!isalnum((unsigned char)key[i]) && key[i] != '_')
				return err_set_kind(err, ERR_INVALID, "unsupported template action {{ %.*s }}", (int)n, a);
	} else if (n > 6 && strncmp(a, "build", 5) == 0 && isspace((unsigned char)a[5])) {
		const char *p = a + 5;
		while (isspace((unsigned char)*p))
			p++;
		char q = *p;
		const char *end = a + n;
		if ((q == '`' || q == '"') && end - p >= 2 && end[-1] == q) {
			key = p + 1;
			keylen = (size_t)(end - 1 - key);
		}
	}
	if (!key)
		return err_set_kind(err, ERR_INVALID, "unsupported template action {{ %.*s }}", (int)n, a);
	const char *v = kv_lookup(extra, extra_len(extra), key, keylen);
	if (!v && ctx)
		v = kv_lookup(ctx->build_data.v, ctx->build_data.n, key, keylen);
	if (!v)
		return err_set_kind(err, ERR_INVALID, "template references unknown value \"%.*s\"", (int)keylen, key);
	buf_puts(out, v);
	return 0;
}

int kiln_ctx_expand(const struct kiln_ctx *ctx, const char *text, char *const *extra, char **outp,
		    struct kiln_error *err)
{
	struct buf out = BUF_INIT;
	const char *p = text;
	while (*p) {
		const char *open = strstr(p, "{{");
		if (!open) {
			buf_puts(&out, p);
			break;
		}
		const char *close = strstr(open + 2, "}}");
		if (!close) {
			buf_free(&out);
			return err_set_kind(err, ERR_INVALID, "unclosed \"{{\" in \"%s\"", text);
		}
		size_t lit = (size_t)(open - p);
		const char *a = open + 2, *e = close;
		bool trim_left = a < e && *a == '-' && a + 1 < e && isspace((unsigned char)a[1]);
		bool trim_right = e - a >= 2 && e[-1] == '-' && isspace((unsigned char)e[-2]);
		if (trim_left)
			a++;
		if (trim_right)
			e--;
		buf_append(&out, p, lit);
		if (trim_left)
			while (out.len && isspace((unsigned char)out.data[out.len - 1]))
				buf_truncate(&out, out.len - 1);
		while (a < e && isspace((unsigned char)*a))
			a++;
		while (e > a && isspace((unsigned char)e[-1]))
			e--;
		if (expand_action(ctx, extra, a, (size_t)(e - a), &out, err) < 0) {
			buf_free(&out);
			return -1;
		}
		p = close + 2;
		if (trim_right)
			while (isspace((unsigned char)*p))
				p++;
	}
	*outp = buf_detach(&out);
	return 0;
}
