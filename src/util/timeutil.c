/* timeutil.c — time and durations (see timeutil.h). */
#include "util/timeutil.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/signals.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t time_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

long time_mono_ms(void)
{
	return (long)(time_mono_ns() / 1000000LL);
}

static const struct {
	const char *unit;
	int64_t ns;
} units[] = {
	{"ns", 1}, {"us", 1000}, {"\xc2\xb5s", 1000}, {"\xce\xbcs", 1000}, {"ms", 1000000},
	{"s", 1000000000LL}, {"m", 60LL * 1000000000LL}, {"h", 3600LL * 1000000000LL},
};

int duration_parse_ns(const char *s, int64_t *out, struct kiln_error *err)
{
	const char *orig = s;
	bool neg = false;
	if (*s == '-' || *s == '+') {
		neg = *s == '-';
		s++;
	}
	if (strcmp(s, "0") == 0) {
		*out = 0;
		return 0;
	}
	if (!*s)
		return err_set_kind(err, ERR_INVALID, "invalid duration \"%s\"", orig);
	double total = 0;
	while (*s) {
		if (!((*s >= '0' && *s <= '9') || *s == '.'))
			return err_set_kind(err, ERR_INVALID, "invalid duration \"%s\"", orig);
		const char *numstart = s;
		int64_t whole = 0;
		double frac = 0, scale = 1;
		bool digits = false;
		while (*s >= '0' && *s <= '9') {
			whole = whole * 10 + (*s - '0');
			s++;
			digits = true;
			if (whole > (int64_t)1 << 62)
				return err_set_kind(err, ERR_INVALID, "invalid duration \"%s\"", orig);
		}
		if (*s == '.') {
			s++;
			while (*s >= '0' && *s <= '9') {
				scale /= 10;
				frac += (*s - '0') * scale;
				s++;
				digits = true;
			}
		}
		if (!digits || s == numstart)
			return err_set_kind(err, ERR_INVALID, "invalid duration \"%s\"", orig);
		size_t best = 0;
		int64_t mult = 0;
		for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
			size_t ul = strlen(units[i].unit);
			if (strncmp(s, units[i].unit, ul) == 0 && ul > best) {
				/* "m" must not swallow the "m" of "ms" */
				best = ul;
				mult = units[i].ns;
			}
		}
		if (!best) {
			if (!*s)
				return err_set_kind(err, ERR_INVALID, "missing unit in duration \"%s\"", orig);
			return err_set_kind(err, ERR_INVALID, "unknown unit in duration \"%s\"", orig);
		}
		s += best;
		total += (double)whole * (double)mult + frac * (double)mult;
	}
	if (total > 9.2e18)
		return err_set_kind(err, ERR_INVALID, "invalid duration \"%s\"", orig);
	*out = (int64_t)(neg ? -total : total);
	return 0;
}

int duration_parse(const char *s, int64_t *ms, struct kiln_error *err)
{
	int64_t ns;
	if (duration_parse_ns(s, &ns, err) < 0)
		return -1;
	*ms = ns / 1000000LL;
	return 0;
}

/* Go's fmtFrac/fmtInt-based Duration.String(). */
char *duration_format_ns(int64_t d)
{
	char tmp[40];
	int w = (int)sizeof tmp;
	uint64_t u = d < 0 ? (uint64_t)(-(d + 1)) + 1 : (uint64_t)d;
	bool neg = d < 0;
	if (u < 1000000000ULL) {
		int prec = 0;
		const char *unit;
		if (u == 0)
			return xstrdup("0s");
		if (u < 1000) {
			unit = "ns";
		} else if (u < 1000000) {
			unit = "\xc2\xb5s";
			prec = 3;
		} else {
			unit = "ms";
			prec = 6;
		}
		struct buf b = BUF_INIT;
		uint64_t whole = u, fracv = 0, p10 = 1;
		for (int i = 0; i < prec; i++)
			p10 *= 10;
		whole = u / p10;
		fracv = u % p10;
		if (neg)
			buf_putc(&b, '-');
		buf_printf(&b, "%llu", (unsigned long long)whole);
		if (fracv) {
			char fr[16];
			snprintf(fr, sizeof fr, "%0*llu", prec, (unsigned long long)fracv);
			size_t fl = strlen(fr);
			while (fl && fr[fl - 1] == '0')
				fr[--fl] = '\0';
			buf_printf(&b, ".%s", fr);
		}
		buf_puts(&b, unit);
		return buf_detach(&b);
	}
	(void)w;
	struct buf b = BUF_INIT;
	if (neg)
		buf_putc(&b, '-');
	uint64_t secs = u / 1000000000ULL, fracns = u % 1000000000ULL;
	uint64_t h = secs / 3600, m = (secs / 60) % 60, s = secs % 60;
	if (h)
		buf_printf(&b, "%lluh", (unsigned long long)h);
	if (h || m)
		buf_printf(&b, "%llum", (unsigned long long)m);
	buf_printf(&b, "%llu", (unsigned long long)s);
	if (fracns) {
		char fr[16];
		snprintf(fr, sizeof fr, "%09llu", (unsigned long long)fracns);
		size_t fl = strlen(fr);
		while (fl && fr[fl - 1] == '0')
			fr[--fl] = '\0';
		buf_printf(&b, ".%s", fr);
	}
	buf_putc(&b, 's');
	return buf_detach(&b);
}

char *duration_words_ns(int64_t ns)
{
	static const struct { const char *one, *many; int64_t us; } words[] = {
		{"year", "years", 365LL * 86400 * 1000000}, {"week", "weeks", 7LL * 86400 * 1000000},
		{"day", "days", 86400LL * 1000000}, {"hour", "hours", 3600LL * 1000000},
		{"minute", "minutes", 60LL * 1000000}, {"second", "seconds", 1000000},
		{"millisecond", "milliseconds", 1000}, {"microsecond", "microseconds", 1},
	};
	int64_t us = (ns < 0 ? -ns : ns) / 1000;
	struct buf b = BUF_INIT;
	int shown = 0;
	for (size_t i = 0; i < sizeof words / sizeof words[0] && shown < 2; i++) {
		int64_t n = us / words[i].us;
		us %= words[i].us;
		if (n == 0)
			continue;
		buf_printf(&b, "%s%lld %s", shown ? " " : "", (long long)n, n == 1 ? words[i].one : words[i].many);
		shown++;
	}
	if (!shown)
		buf_puts(&b, "0 microseconds");
	return buf_detach(&b);
}

char *duration_human_ms(int64_t ms)
{
	int64_t s = ms / 1000;
	if (s < 60)
		return ms < 10000 && ms % 1000 ? xasprintf("%.1fs", (double)ms / 1000.0) : xasprintf("%llds", (long long)s);
	if (s < 3600)
		return xasprintf("%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
	return xasprintf("%lldh%02lldm", (long long)(s / 3600), (long long)((s / 60) % 60));
}

int sleep_cancellable_ms(long ms)
{
	long end = time_mono_ms() + ms;
	for (;;) {
		if (sig_cancelled())
			return -1;
		long left = end - time_mono_ms();
		if (left <= 0)
			return 0;
		struct pollfd p = {sig_cancel_fd(), POLLIN, 0};
		poll(p.fd >= 0 ? &p : NULL, p.fd >= 0 ? 1 : 0, (int)(left > 1000 ? 1000 : left));
	}
}

char *time_now_rfc3339(void)
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	char out[32];
	strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return xstrdup(out);
}
