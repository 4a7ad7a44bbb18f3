/* func_time.c — date and time functions: timestamp timeadd formatdate legacy_isotime legacy_strftime.
 * Timestamps are RFC 3339 strings as in Terraform/Packer; formatdate's verbs are Terraform's
 * (YYYY MM DD hh mm ss ZZZZZ ...), legacy_isotime takes a Go layout ("2006-01-02"), legacy_strftime a
 * C strftime format. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hcl/funcutil.h"
#include "util/mem.h"

#define P(n, t) {n, t, 0}
#define END {NULL, NULL, 0}

struct ts {
	struct tm tm;   /* the local fields as written */
	int offset;     /* seconds east of UTC */
	bool utc;       /* written with Z */
	long nanos;
};

static const char *const month_names[] = {"January", "February", "March", "April", "May", "June", "July",
					  "August", "September", "October", "November", "December"};
static const char *const day_names[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
					"Saturday"};

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int days_in_month(int y, int m)
{
	static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return d[m - 1];
}

/* RFC 3339 as Go's time.Parse(time.RFC3339, s) reads it, element by element, with the error
 * messages Terraform's parseTimestamp derives from Go's ParseError. */
static int ts_fail_elem(char **err, const char *what, const char *value)
{
	if (!*value)
		*err = xasprintf("not a valid RFC3339 timestamp: end of string before %s", what);
	else
		*err = xasprintf("not a valid RFC3339 timestamp: cannot use \"%s\" as %s", value, what);
	return -1;
}

static int ts_literal(const char **v, char lit, char **err)
{
	if (**v == lit) {
		(*v)++;
		return 0;
	}
	if (lit == 'T')
		*err = xstrdup("not a valid RFC3339 timestamp: missing required time introducer 'T'");
	else if (!**v)
		*err = xasprintf("not a valid RFC3339 timestamp: end of string where \"%c\" is expected", lit);
	else
		*err = xasprintf("not a valid RFC3339 timestamp: found \"%s\" where \"%c\" is expected", *v, lit);
	return -1;
}

static bool two_digits(const char *v, int *out)
{
	if (v[0] < '0' || v[0] > '9' || v[1] < '0' || v[1] > '9')
		return false;
	*out = (v[0] - '0') * 10 + (v[1] - '0');
	return true;
}

static int parse_rfc3339(const char *s, struct ts *t, char **err)
{
	memset(t, 0, sizeof(*t));
	const char *v = s;
	int y, mo, d, h, mi, se;
	if (strlen(v) < 4 || digits(v, 4, &y))
		return ts_fail_elem(err, "year", v);
	v += 4;
	if (ts_literal(&v, '-', err))
		return -1;
	if (!two_digits(v, &mo))
		return ts_fail_elem(err, "month", v);
	v += 2;
	if (mo < 1 || mo > 12)
		return ts_fail_elem(err, "month", v);
	if (ts_literal(&v, '-', err))
		return -1;
	if (!two_digits(v, &d))
		return ts_fail_elem(err, "day of month", v);
	v += 2;
	if (d > 31)
		return ts_fail_elem(err, "day of month", v);
	if (ts_literal(&v, 'T', err))
		return -1;
	/* the hour may have one digit */
	if (v[0] < '0' || v[0] > '9')
		return ts_fail_elem(err, "hour", v);
	h = v[0] - '0';
	if (v[1] >= '0' && v[1] <= '9') {
		h = h * 10 + (v[1] - '0');
		v += 2;
	} else {
		v += 1;
	}
	if (h >= 24)
		return ts_fail_elem(err, "hour", v);
	if (ts_literal(&v, ':', err))
		return -1;
	if (!two_digits(v, &mi))
		return ts_fail_elem(err, "minute", v);
	v += 2;
	if (mi >= 60)
		return ts_fail_elem(err, "minute", v);
	if (ts_literal(&v, ':', err))
		return -1;
	if (!two_digits(v, &se))
		return ts_fail_elem(err, "second", v);
	v += 2;
	if (se >= 60)
		return ts_fail_elem(err, "second", v);
	if (v[0] == '.' && v[1] >= '0' && v[1] <= '9') {
		v++;
		long ns = 0;
		int nd = 0;
		while (*v >= '0' && *v <= '9') {
			if (nd < 9)
				ns = ns * 10 + (*v - '0');
			nd++;
			v++;
		}
		for (; nd < 9; nd++)
			ns *= 10;
		t->nanos = ns;
	}
	if (*v == 'Z') {
		t->utc = true;
		v++;
	} else {
		int oh, om;
		if (strlen(v) < 6 || (v[0] != '+' && v[0] != '-') || v[3] != ':' || !two_digits(v + 1, &oh) ||
		    !two_digits(v + 4, &om))
			return ts_fail_elem(err, "UTC offset", v);
		t->offset = (oh * 3600 + om * 60) * (v[0] == '-' ? -1 : 1);
		v += 6;
	}
	if (*v)
		return ts_fail_elem(err, "timestamp segment", v);
	if (d < 1 || d > days_in_month(y, mo)) {
		*err = xstrdup("not a valid RFC3339 timestamp: day out of range");
		return -1;
	}
	t->tm.tm_year = y - 1900;
	t->tm.tm_mon = mo - 1;
	t->tm.tm_mday = d;
	t->tm.tm_hour = h;
	t->tm.tm_min = mi;
	t->tm.tm_sec = se;
	return 0;
}

/* Normalise the broken-down fields (after adding seconds) and compute the weekday. */
static void ts_normalize(struct ts *t)
{
	time_t secs = timegm(&t->tm);
	gmtime_r(&secs, &t->tm);
}

static void fmt_offset(const struct ts *t, struct buf *b, bool colon, bool z)
{
	if (z && (t->utc || t->offset == 0)) {
		buf_putc(b, 'Z');
		return;
	}
	int off = t->offset;
	char sign = off < 0 ? '-' : '+';
	if (off < 0)
		off = -off;
	buf_printf(b, colon ? "%c%02d:%02d" : "%c%02d%02d", sign, off / 3600, (off / 60) % 60);
}

static void fmt_rfc3339(const struct ts *t, struct buf *b)
{
	buf_printf(b, "%04d-%02d-%02dT%02d:%02d:%02d", t->tm.tm_year + 1900, t->tm.tm_mon + 1, t->tm.tm_mday,
		   t->tm.tm_hour, t->tm.tm_min, t->tm.tm_sec);
	fmt_offset(t, b, true, true);
}

static struct ts now_utc(void)
{
	struct ts t;
	memset(&t, 0, sizeof(t));
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	time_t secs = now.tv_sec;
	gmtime_r(&secs, &t.tm);
	t.utc = true;
	t.nanos = now.tv_nsec;
	return t;
}

static struct hcl_value *f_timestamp(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	struct ts t = now_utc();
	struct buf b = BUF_INIT;
	fmt_rfc3339(&t, &b);
	c->marks |= HCL_MARK_VOLATILE;
	return hcl_string_own(buf_detach(&b));
}

/* Go's time.ParseDuration, in exact integer arithmetic as Go does it: a duration beyond
 * int64 nanoseconds (about 292 years, "2562048h") is an error, not a value that wraps around.
 * NULL or an error message (caller frees). */
static char *parse_go_duration(const char *orig, int64_t *ns_out)
{
	const char *s = orig;
	bool neg = false;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (strcmp(s, "0") == 0) {
		*ns_out = 0;
		return NULL;
	}
	if (!*s)
		return xasprintf("time: invalid duration \"%s\"", orig);
	const uint64_t max = INT64_MAX;
	uint64_t total = 0;
	while (*s) {
		if (!(*s == '.' || (*s >= '0' && *s <= '9')))
			return xasprintf("time: invalid duration \"%s\"", orig);
		/* the integer part; more digits than fit is an error, as Go's leadingInt */
		const char *start = s;
		uint64_t v = 0;
		for (; *s >= '0' && *s <= '9'; s++) {
			if (v > max / 10)
				return xasprintf("time: invalid duration \"%s\"", orig);
			v = v * 10 + (uint64_t)(*s - '0');
			if (v > max)
				return xasprintf("time: invalid duration \"%s\"", orig);
		}
		bool pre = s != start, post = false;
		/* the fraction: digits past what fits are ignored, as Go's leadingFraction */
		uint64_t f = 0;
		double scale = 1;
		if (*s == '.') {
			s++;
			const char *fs = s;
			bool overflow = false;
			for (; *s >= '0' && *s <= '9'; s++) {
				if (overflow || f > max / 10) {
					overflow = true;
					continue;
				}
				uint64_t y = f * 10 + (uint64_t)(*s - '0');
				if (y > max) {
					overflow = true;
					continue;
				}
				f = y;
				scale *= 10;
			}
			post = s != fs;
		}
		if (!pre && !post)
			return xasprintf("time: invalid duration \"%s\"", orig);
		const char *u = s;
		while (*s && *s != '.' && !(*s >= '0' && *s <= '9'))
			s++;
		size_t ul = (size_t)(s - u);
		if (ul == 0)
			return xasprintf("time: missing unit in duration \"%s\"", orig);
		uint64_t unit;
		if (ul == 2 && !strncmp(u, "ns", 2)) unit = 1;
		else if (ul == 2 && !strncmp(u, "us", 2)) unit = 1000;
		else if (ul == 3 && (!strncmp(u, "\xc2\xb5s", 3) || !strncmp(u, "\xce\xbcs", 3))) unit = 1000;
		else if (ul == 2 && !strncmp(u, "ms", 2)) unit = 1000000;
		else if (ul == 1 && *u == 's') unit = 1000000000;
		else if (ul == 1 && *u == 'm') unit = 60 * (uint64_t)1000000000;
		else if (ul == 1 && *u == 'h') unit = 3600 * (uint64_t)1000000000;
		else
			return xasprintf("time: unknown unit \"%.*s\" in duration \"%s\"", (int)ul, u, orig);
		if (v > max / unit)
			return xasprintf("time: invalid duration \"%s\"", orig);
		v *= unit;
		if (f > 0) {
			v += (uint64_t)((double)f * ((double)unit / scale));
			if (v > max)
				return xasprintf("time: invalid duration \"%s\"", orig);
		}
		total += v;
		if (total > max)
			return xasprintf("time: invalid duration \"%s\"", orig);
	}
	*ns_out = neg ? -(int64_t)total : (int64_t)total;
	return NULL;
}

static struct hcl_value *f_timeadd(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	struct ts t;
	char *err = NULL;
	if (parse_rfc3339(hcl_str(a[0]), &t, &err) < 0) {
		struct hcl_value *r = hcl_call_error(c, "%s", err);
		free(err);
		return r;
	}
	int64_t ns = 0;
	char *derr = parse_go_duration(hcl_str(a[1]), &ns);
	if (derr) {
		struct hcl_value *r = hcl_call_error(c, "%s", derr);
		free(derr);
		return r;
	}
	/* in 64-bit seconds: a duration of centuries does not fit the int of tm_sec */
	int64_t whole = ns / 1000000000, nanos = t.nanos + ns % 1000000000;
	if (nanos >= 1000000000) {
		nanos -= 1000000000;
		whole++;
	} else if (nanos < 0) {
		nanos += 1000000000;
		whole--;
	}
	time_t secs = timegm(&t.tm) + (time_t)whole;
	gmtime_r(&secs, &t.tm);
	t.nanos = (long)nanos;
	struct buf b = BUF_INIT;
	fmt_rfc3339(&t, &b);
	return hcl_string_own(buf_detach(&b));
}

static struct hcl_value *f_formatdate(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	struct ts t;
	char *err = NULL;
	if (parse_rfc3339(hcl_str(a[1]), &t, &err) < 0) {
		struct hcl_value *r = hcl_call_arg_error(c, 1, "%s", err);
		free(err);
		return r;
	}
	ts_normalize(&t);
	const char *f = hcl_str(a[0]);
	struct buf b = BUF_INIT;
	size_t i = 0, len = strlen(f);
	while (i < len) {
		char ch = f[i];
		if (ch == '\'') {
			/* quoted literal; '' is a single quote */
			if (i + 1 < len && f[i + 1] == '\'') {
				buf_putc(&b, '\'');
				i += 2;
				continue;
			}
			size_t j = i + 1;
			struct buf lit = BUF_INIT;
			bool closed = false;
			while (j < len) {
				if (f[j] == '\'') {
					if (j + 1 < len && f[j + 1] == '\'') {
						buf_putc(&lit, '\'');
						j += 2;
						continue;
					}
					closed = true;
					j++;
					break;
				}
				buf_putc(&lit, f[j++]);
			}
			if (!closed) {
				buf_free(&lit);
				buf_free(&b);
				return hcl_call_arg_error(c, 0, "unterminated literal '");
			}
			buf_append(&b, buf_cstr(&lit), lit.len);
			buf_free(&lit);
			i = j;
			continue;
		}
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'))) {
			buf_putc(&b, ch);
			i++;
			continue;
		}
		size_t j = i;
		while (j < len && f[j] == ch)
			j++;
		size_t k = j - i;
		char *tok = xstrndup(f + i, k);
		const char *bad = NULL;
		int hr;
		switch (ch) {
		case 'Y':
			if (k == 4) buf_printf(&b, "%04d", t.tm.tm_year + 1900);
			else if (k == 2) buf_printf(&b, "%02d", (t.tm.tm_year + 1900) % 100);
			else bad = "year must either be \"YY\" or \"YYYY\"";
			break;
		case 'M':
			if (k == 4) buf_puts(&b, month_names[t.tm.tm_mon]);
			else if (k == 3) buf_append(&b, month_names[t.tm.tm_mon], 3);
			else if (k == 2) buf_printf(&b, "%02d", t.tm.tm_mon + 1);
			else if (k == 1) buf_printf(&b, "%d", t.tm.tm_mon + 1);
			else bad = "month must be \"M\", \"MM\", \"MMM\", or \"MMMM\"";
			break;
		case 'D':
			if (k == 2) buf_printf(&b, "%02d", t.tm.tm_mday);
			else if (k == 1) buf_printf(&b, "%d", t.tm.tm_mday);
			else bad = "day of month must either be \"D\" or \"DD\"";
			break;
		case 'E':
			if (k == 4) buf_puts(&b, day_names[t.tm.tm_wday]);
			else if (k == 3) buf_append(&b, day_names[t.tm.tm_wday], 3);
			else bad = "day of week must either be \"EEE\" or \"EEEE\"";
			break;
		case 'h':
			if (k == 2) buf_printf(&b, "%02d", t.tm.tm_hour);
			else if (k == 1) buf_printf(&b, "%d", t.tm.tm_hour);
			else bad = "24-hour must either be \"h\" or \"hh\"";
			break;
		case 'H':
			hr = t.tm.tm_hour % 12;
			if (hr == 0)
				hr = 12;
			if (k == 2) buf_printf(&b, "%02d", hr);
			else if (k == 1) buf_printf(&b, "%d", hr);
			else bad = "12-hour must either be \"H\" or \"HH\"";
			break;
		case 'A': case 'a':
			if (k != 2) {
				bad = "must be \"AA\" or \"aa\"";
				break;
			}
			if (t.tm.tm_hour < 12)
				buf_puts(&b, ch == 'A' ? "AM" : "am");
			else
				buf_puts(&b, ch == 'A' ? "PM" : "pm");
			break;
		case 'm':
			if (k == 2) buf_printf(&b, "%02d", t.tm.tm_min);
			else if (k == 1) buf_printf(&b, "%d", t.tm.tm_min);
			else bad = "minute must either be \"m\" or \"mm\"";
			break;
		case 's':
			if (k == 2) buf_printf(&b, "%02d", t.tm.tm_sec);
			else if (k == 1) buf_printf(&b, "%d", t.tm.tm_sec);
			else bad = "second must either be \"s\" or \"ss\"";
			break;
		case 'Z':
			if (k == 1) fmt_offset(&t, &b, true, true);
			else if (k == 3) {
				if (t.utc || t.offset == 0)
					buf_puts(&b, "UTC");
				else
					fmt_offset(&t, &b, false, false);
			} else if (k == 4) fmt_offset(&t, &b, false, false);
			else if (k == 5) fmt_offset(&t, &b, true, false);
			else bad = "timezone must be Z, ZZZZ, or ZZZZZ";
			break;
		default:
			bad = "";
			break;
		}
		if (bad) {
			struct hcl_value *r = *bad ? hcl_call_arg_error(c, 0, "invalid date format verb \"%s\": %s", tok, bad)
						   : hcl_call_arg_error(c, 0, "invalid date format verb \"%s\"", tok);
			free(tok);
			buf_free(&b);
			return r;
		}
		free(tok);
		i = j;
	}
	return hcl_string_own(buf_detach(&b));
}

/* Go layout formatting (time.Time.Format), for legacy_isotime */
static void go_layout(const struct ts *t, const char *layout, struct buf *b)
{
	static const struct {
		const char *tok;
		int id;
	} toks[] = {
		{"January", 1}, {"Jan", 2}, {"Monday", 3}, {"Mon", 4}, {"MST", 5}, {"2006", 6}, {"Z07:00", 7},
		{"Z0700", 8}, {"-07:00", 9}, {"-0700", 10}, {"-07", 11}, {"01", 12}, {"02", 13}, {"_2", 14},
		{"15", 15}, {"03", 16}, {"04", 17}, {"05", 18}, {"06", 19}, {"PM", 20}, {"pm", 21}, {"1", 22},
		{"2", 23}, {"3", 24}, {"4", 25}, {"5", 26}, {".000000000", 27}, {".000000", 28}, {".000", 29},
		{"002", 30}, {NULL, 0},
	};
	const char *p = layout;
	while (*p) {
		int id = 0;
		size_t tl = 0;
		for (size_t i = 0; toks[i].tok; i++) {
			size_t l = strlen(toks[i].tok);
			if (strncmp(p, toks[i].tok, l) == 0) {
				id = toks[i].id;
				tl = l;
				break;
			}
		}
		int hr = t->tm.tm_hour % 12 ? t->tm.tm_hour % 12 : 12;
		switch (id) {
		case 0: buf_putc(b, *p); tl = 1; break;
		case 1: buf_puts(b, month_names[t->tm.tm_mon]); break;
		case 2: buf_append(b, month_names[t->tm.tm_mon], 3); break;
		case 3: buf_puts(b, day_names[t->tm.tm_wday]); break;
		case 4: buf_append(b, day_names[t->tm.tm_wday], 3); break;
		case 5: buf_puts(b, "UTC"); break;
		case 6: buf_printf(b, "%04d", t->tm.tm_year + 1900); break;
		case 7: fmt_offset(t, b, true, true); break;
		case 8: fmt_offset(t, b, false, true); break;
		case 9: fmt_offset(t, b, true, false); break;
		case 10: fmt_offset(t, b, false, false); break;
		case 11: buf_puts(b, "+00"); break;
		case 12: buf_printf(b, "%02d", t->tm.tm_mon + 1); break;
		case 13: buf_printf(b, "%02d", t->tm.tm_mday); break;
		case 14: buf_printf(b, "%2d", t->tm.tm_mday); break;
		case 15: buf_printf(b, "%02d", t->tm.tm_hour); break;
		case 16: buf_printf(b, "%02d", hr); break;
		case 17: buf_printf(b, "%02d", t->tm.tm_min); break;
		case 18: buf_printf(b, "%02d", t->tm.tm_sec); break;
		case 19: buf_printf(b, "%02d", (t->tm.tm_year + 1900) % 100); break;
		case 20: buf_puts(b, t->tm.tm_hour < 12 ? "AM" : "PM"); break;
		case 21: buf_puts(b, t->tm.tm_hour < 12 ? "am" : "pm"); break;
		case 22: buf_printf(b, "%d", t->tm.tm_mon + 1); break;
		case 23: buf_printf(b, "%d", t->tm.tm_mday); break;
		case 24: buf_printf(b, "%d", hr); break;
		case 25: buf_printf(b, "%d", t->tm.tm_min); break;
		case 26: buf_printf(b, "%d", t->tm.tm_sec); break;
		case 27: buf_printf(b, ".%09ld", t->nanos); break;
		case 28: buf_printf(b, ".%06ld", t->nanos / 1000); break;
		case 29: buf_printf(b, ".%03ld", t->nanos / 1000000); break;
		case 30: buf_printf(b, "%03d", t->tm.tm_yday + 1); break;
		}
		p += tl;
	}
}

static struct hcl_value *f_legacy_isotime(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	if (n > 1)
		return hcl_call_error(c, "too many values, 1 needed: %zu given", n);
	struct ts t = now_utc();
	struct buf b = BUF_INIT;
	if (n == 0)
		fmt_rfc3339(&t, &b);
	else
		go_layout(&t, hcl_str(a[0]), &b);
	return hcl_string_own(buf_detach(&b));
}

static struct hcl_value *f_legacy_strftime(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	if (n > 1)
		return hcl_call_error(c, "too many values, 1 needed: %zu given", n);
	struct ts t = now_utc();
	if (n == 0) {
		struct buf b = BUF_INIT;
		fmt_rfc3339(&t, &b);
		return hcl_string_own(buf_detach(&b));
	}
	/* strftime returns 0 both when the text did not fit and when it is empty: a trailing space, cut
	 * off again, tells them apart, and the buffer grows until the text fits. No conversion writes more
	 * than a few dozen bytes, so the bound only stops a runaway loop. */
	struct buf fmt = BUF_INIT, out = BUF_INIT;
	buf_puts(&fmt, hcl_str(a[0]));
	buf_putc(&fmt, ' ');
	size_t limit = 64 * fmt.len + 4096, cap = fmt.len + 256, k = 0;
	for (; cap <= limit; cap *= 2) {
		buf_reserve(&out, cap);
		k = strftime(out.data, cap, buf_cstr(&fmt), &t.tm);
		if (k > 0)
			break;
	}
	buf_free(&fmt);
	if (k == 0) {
		buf_free(&out);
		return hcl_call_error(c, "the format's result is too long");
	}
	out.len = k - 1;   /* without the space */
	out.data[out.len] = '\0';
	return hcl_string_own(buf_detach(&out));
}

const struct hcl_func hcl_funcs_time[] = {
	{"formatdate", (const struct hcl_param[]){P("format", "string"), P("time", "string"), END}, NULL, "string",
	 f_formatdate, "Format an RFC 3339 timestamp."},
	{"legacy_isotime", (const struct hcl_param[]){END}, &(const struct hcl_param){"format", "string", 0}, "string",
	 f_legacy_isotime, "The current UTC time in a Go layout."},
	{"legacy_strftime", (const struct hcl_param[]){END}, &(const struct hcl_param){"format", "string", 0},
	 "string", f_legacy_strftime, "The current UTC time in a strftime format."},
	{"timeadd", (const struct hcl_param[]){P("timestamp", "string"), P("duration", "string"), END}, NULL,
	 "string", f_timeadd, "Add a duration to a timestamp."},
	{"timestamp", (const struct hcl_param[]){END}, NULL, "string", f_timestamp,
	 "The current UTC time, RFC 3339."},
	{NULL, NULL, NULL, NULL, NULL, NULL},
};
