/* log.c — debug logging to stderr or a file, switched on with KILN_LOG=1 (or PACKER_LOG=1) and
 * redirected with KILN_LOG_PATH (or PACKER_LOG_PATH). Lines are masked like all other output. */
#include "ui/ui.h"
#include "util/mem.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *log_file;
static bool log_on;
static bool log_owned;

static const char *env2(const char *a, const char *b)
{
	const char *v = getenv(a);
	if (v && *v)
		return v;
	v = getenv(b);
	return v && *v ? v : NULL;
}

void log_init_from_env(void)
{
	const char *on = env2("KILN_LOG", "PACKER_LOG");
	const char *path = env2("KILN_LOG_PATH", "PACKER_LOG_PATH");
	pthread_mutex_lock(&log_lock);
	log_on = (on && strcmp(on, "0") != 0) || path;
	if (log_on && path) {
		log_file = fopen(path, "a");
		log_owned = log_file != NULL;
	}
	if (log_on && !log_file)
		log_file = stderr;
	pthread_mutex_unlock(&log_lock);
}

bool log_enabled(void)
{
	return log_on;
}

static void log_write(const char *level, const char *fmt, va_list ap)
{
	if (!log_on)
		return;
	char *msg = xvasprintf(fmt, ap);
	char *masked = ui_mask(msg);
	struct timeval tv;
	gettimeofday(&tv, NULL);
	struct tm tm;
	localtime_r(&tv.tv_sec, &tm);
	char ts[32];
	strftime(ts, sizeof ts, "%Y/%m/%d %H:%M:%S", &tm);
	pthread_mutex_lock(&log_lock);
	if (log_file) {
		fprintf(log_file, "%s [%s] %s\n", ts, level, masked);
		fflush(log_file);
	}
	pthread_mutex_unlock(&log_lock);
	free(masked);
	free(msg);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_write("DEBUG", fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_write("INFO", fmt, ap);
	va_end(ap);
}

void log_close(void)
{
	pthread_mutex_lock(&log_lock);
	if (log_owned && log_file)
		fclose(log_file);
	log_file = NULL;
	log_owned = false;
	log_on = false;
	pthread_mutex_unlock(&log_lock);
}
