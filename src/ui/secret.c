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

void ui_secrets_clear(void)
{
	pthread_mutex_lock(&secret_lock);
	strv_free(&secrets);
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
		size_t matched = 0;
		for (size_t i = 0; i < secrets.n; i++) {
			size_t n = strlen(secrets.v[i]);
			if (strncmp(p, secrets.v[i], n) == 0) {
				matched = n;
				break;
			}
		}
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
