/* secret.c — the registry of sensitive strings and their masking (see ui.h). Every path that prints or
 * logs text kiln did not render from marked values goes through ui_mask(), so a secret registered
 * once never reaches a terminal or a log file. */
#include "ui/ui.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/strv.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t secret_lock = PTHREAD_MUTEX_INITIALIZER;
static struct strv secrets; /* kept longest first so a secret containing another is masked whole */
static struct strv publics; /* kiln's own names (ui_public_add), never masked where they appear whole */

void ui_secret_add(const char *secret)
{
	if (!secret || strlen(secret) < UI_SECRET_MIN_LEN)
		return;
	pthread_mutex_lock(&secret_lock);
	if (!strv_contains(&secrets, secret)) {
		strv_push(&secrets, secret);
		/* insertion sort by length, descending */
		for (size_t i = secrets.n - 1; i > 0 && strlen(secrets.v[i]) > strlen(secrets.v[i - 1]); i--) {
			char *t = secrets.v[i];
			secrets.v[i] = secrets.v[i - 1];
			secrets.v[i - 1] = t;
		}
	}
	pthread_mutex_unlock(&secret_lock);
}

void ui_public_add(const char *text)
{
	if (!text || strlen(text) <= UI_SECRET_MIN_LEN)
		return;
	pthread_mutex_lock(&secret_lock);
	if (!strv_contains(&publics, text))
		strv_push(&publics, text);
	pthread_mutex_unlock(&secret_lock);
}

/* The length of the secret starting at p (the longest), or 0. */
static size_t secret_at(const char *p)
{
	for (size_t i = 0; i < secrets.n; i++) {
		size_t n = strlen(secrets.v[i]);
		if (strncmp(p, secrets.v[i], n) == 0)
			return n;
	}
	return 0;
}

/* The length of the longest public name starting at p that no secret straddles (one starting inside
 * it and ending past it would otherwise be cut in two) and that is not itself a secret (a build named
 * like its password must not unmask the password everywhere it appears), or 0. */
static size_t public_at(const char *p)
{
	size_t best = 0;
	for (size_t i = 0; i < publics.n; i++) {
		size_t n = strlen(publics.v[i]);
		if (n > best && p[0] == publics.v[i][0] && strncmp(p, publics.v[i], n) == 0)
			best = n;
	}
	for (size_t q = 0; q < best; q++) {
		size_t m = secret_at(p + q);
		if (m && (q + m > best || m == best))
			return 0;
	}
	return best;
}

void ui_secrets_clear(void)
{
	pthread_mutex_lock(&secret_lock);
	strv_free(&secrets);
	strv_free(&publics);
	pthread_mutex_unlock(&secret_lock);
}

char *ui_mask(const char *s)
{
	pthread_mutex_lock(&secret_lock);
	if (secrets.n == 0) {
		pthread_mutex_unlock(&secret_lock);
		return xstrdup(s);
	}
	struct buf out = BUF_INIT;
	const char *p = s;
	while (*p) {
		size_t pub = publics.n ? public_at(p) : 0;
		if (pub) {
			buf_append(&out, p, pub);
			p += pub;
			continue;
		}
		size_t matched = secret_at(p);
		if (matched) {
			buf_puts(&out, "<sensitive>");
			p += matched;
		} else {
			buf_putc(&out, *p++);
		}
	}
	pthread_mutex_unlock(&secret_lock);
	return buf_detach(&out);
}
