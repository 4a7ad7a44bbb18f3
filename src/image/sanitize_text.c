/* sanitize_text.c — line edits of guest account, sudoers and SSH files (see sanitize_text.h). */
#include "image/sanitize_text.h"
#include "image/image.h"
#include "util/buf.h"
#include "util/mem.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Call fn for each line (without its newline); fn appends what to keep to out. A final line without a
 * newline keeps lacking one. */
typedef void (*line_fn)(const char *line, size_t len, bool has_nl, struct buf *out, void *arg);

static char *map_lines(const char *text, line_fn fn, void *arg)
{
	struct buf out = BUF_INIT;
	const char *p = text ? text : "";
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		fn(p, len, nl != NULL, &out, arg);
		p += len + (nl ? 1 : 0);
	}
	if (!out.data)
		return xstrdup("");
	return buf_detach(&out);
}

static void keep_line(struct buf *out, const char *line, size_t len, bool has_nl)
{
	buf_append(out, line, len);
	if (has_nl)
		buf_putc(out, '\n');
}

/* The n-th ':'-separated field of line (n from 0) as [*start, *start + *flen). */
static bool field(const char *line, size_t len, int n, const char **start, size_t *flen)
{
	const char *p = line, *end = line + len;
	for (int i = 0; i < n; i++) {
		const char *c = memchr(p, ':', (size_t)(end - p));
		if (!c)
			return false;
		p = c + 1;
	}
	const char *c = memchr(p, ':', (size_t)(end - p));
	*start = p;
	*flen = c ? (size_t)(c - p) : (size_t)(end - p);
	return true;
}

static bool field_is(const char *line, size_t len, int n, const char *want)
{
	const char *f;
	size_t fl;
	return field(line, len, n, &f, &fl) && fl == strlen(want) && memcmp(f, want, fl) == 0;
}

struct user_arg {
	const char *user;
	unsigned count;
	bool gshadow;
	bool rest_empty;
	const char *blob;
	size_t bloblen;
	const char *prefix;
};

static void drop_user_line(const char *line, size_t len, bool has_nl, struct buf *out, void *arg)
{
	struct user_arg *u = arg;
	if (field_is(line, len, 0, u->user)) {
		u->count++;
		return;
	}
	keep_line(out, line, len, has_nl);
}

char *img_text_remove_user_entries(const char *text, const char *user, unsigned *removed)
{
	struct user_arg u = {.user = user};
	char *r = map_lines(text, drop_user_line, &u);
	*removed = u.count;
	return r;
}

/* Remove user from a comma-separated list; returns true when it was there. */
static bool list_without(const char *list, size_t len, const char *user, struct buf *out, size_t *left)
{
	bool found = false;
	size_t ul = strlen(user);
	const char *p = list, *end = list + len;
	*left = 0;
	bool first = true;
	while (p < end) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		size_t n = c ? (size_t)(c - p) : (size_t)(end - p);
		if (n == ul && memcmp(p, user, ul) == 0) {
			found = true;
		} else if (n > 0) {
			if (!first)
				buf_putc(out, ',');
			buf_append(out, p, n);
			first = false;
			(*left)++;
		}
		p += n + (c ? 1 : 0);
	}
	return found;
}

static void group_line(const char *line, size_t len, bool has_nl, struct buf *out, void *arg)
{
	struct user_arg *u = arg;
	const char *f;
	size_t fl;
	/* group: members are field 3; gshadow: admins field 2, members field 3. */
	if (!field(line, len, 3, &f, &fl)) {
		keep_line(out, line, len, has_nl);
		return;
	}
	struct buf rebuilt = BUF_INIT;
	bool changed = false;
	size_t left_total = 0;
	for (int n = 0; n < 4; n++) {
		const char *s = line;
		size_t sl = 0;
		field(line, len, n, &s, &sl);
		if (n)
			buf_putc(&rebuilt, ':');
		if (n == 3 || (n == 2 && u->gshadow)) {
			size_t left;
			if (list_without(s, sl, u->user, &rebuilt, &left))
				changed = true;
			left_total += left;
		} else {
			buf_append(&rebuilt, s, sl);
		}
	}
	/* Anything after the fourth field (there should be nothing) is kept as it was. */
	size_t consumed = (size_t)(f + fl - line);
	if (consumed < len)
		buf_append(&rebuilt, line + consumed, len - consumed);
	if (field_is(line, len, 0, u->user) && left_total == 0) {
		u->count++;        /* the user's private group, now empty */
	} else if (changed) {
		u->count++;
		keep_line(out, rebuilt.data, rebuilt.len, has_nl);
	} else {
		keep_line(out, line, len, has_nl);
	}
	buf_free(&rebuilt);
}

char *img_text_remove_user_from_groups(const char *text, const char *user, bool gshadow, unsigned *edited)
{
	struct user_arg u = {.user = user, .gshadow = gshadow};
	char *r = map_lines(text, group_line, &u);
	*edited = u.count;
	return r;
}

static bool blank_or_comment(const char *line, size_t len)
{
	size_t i = 0;
	while (i < len && isspace((unsigned char)line[i]))
		i++;
	return i == len || line[i] == '#';
}

static void sudoers_line(const char *line, size_t len, bool has_nl, struct buf *out, void *arg)
{
	struct user_arg *u = arg;
	size_t i = 0, ul = strlen(u->user);
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	/* "user<space>..." grants the user something; "#includedir" and "Defaults:user" are kept. */
	if (len - i > ul && memcmp(line + i, u->user, ul) == 0 && (line[i + ul] == ' ' || line[i + ul] == '\t')) {
		u->count++;
		return;
	}
	if (!blank_or_comment(line, len))
		u->rest_empty = false;
	keep_line(out, line, len, has_nl);
}

char *img_text_remove_sudoers_user(const char *text, const char *user, unsigned *removed, bool *rest_empty)
{
	struct user_arg u = {.user = user, .rest_empty = true};
	char *r = map_lines(text, sudoers_line, &u);
	*removed = u.count;
	*rest_empty = u.rest_empty;
	return r;
}

/* Is the whitespace-separated token [blob, bloblen) one of line's tokens? */
static bool has_token(const char *line, size_t len, const char *blob, size_t bloblen)
{
	size_t i = 0;
	while (i < len) {
		while (i < len && isspace((unsigned char)line[i]))
			i++;
		size_t s = i;
		while (i < len && !isspace((unsigned char)line[i]))
			i++;
		if (i - s == bloblen && memcmp(line + s, blob, bloblen) == 0)
			return true;
	}
	return false;
}

static void key_line(const char *line, size_t len, bool has_nl, struct buf *out, void *arg)
{
	struct user_arg *u = arg;
	if (u->bloblen && has_token(line, len, u->blob, u->bloblen)) {
		u->count++;
		return;
	}
	if (!blank_or_comment(line, len))
		u->rest_empty = false;
	keep_line(out, line, len, has_nl);
}

char *img_text_remove_authorized_key(const char *text, const char *pubkey, unsigned *removed, bool *rest_empty)
{
	struct user_arg u = {.rest_empty = true};
	/* The blob is the second token of "type blob comment". */
	const char *p = pubkey ? pubkey : "";
	while (*p && isspace((unsigned char)*p))
		p++;
	while (*p && !isspace((unsigned char)*p))
		p++;
	while (*p && isspace((unsigned char)*p))
		p++;
	u.blob = p;
	while (*p && !isspace((unsigned char)*p))
		p++;
	u.bloblen = (size_t)(p - u.blob);
	char *r = map_lines(text, key_line, &u);
	*removed = u.count;
	*rest_empty = u.rest_empty;
	return r;
}

static void prefixed_line(const char *line, size_t len, bool has_nl, struct buf *out, void *arg)
{
	struct user_arg *u = arg;
	size_t pl = strlen(u->prefix);
	if (len >= pl && memcmp(line, u->prefix, pl) == 0) {
		u->count++;
		return;
	}
	keep_line(out, line, len, has_nl);
}

char *img_text_remove_prefixed(const char *text, const char *prefix, unsigned *removed)
{
	struct user_arg u = {.prefix = prefix};
	char *r = map_lines(text, prefixed_line, &u);
	*removed = u.count;
	return r;
}

char *img_text_hostname(const char *etc_hostname)
{
	const char *p = etc_hostname ? etc_hostname : "";
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (!blank_or_comment(p, len)) {
			while (isspace((unsigned char)*p))
				p++, len--;
			while (len && isspace((unsigned char)p[len - 1]))
				len--;
			return xstrndup(p, len);
		}
		p += len + (nl ? 1 : 0);
	}
	return NULL;
}

bool img_text_hostname_is_generic(const char *name)
{
	return name && (strcmp(name, "localhost") == 0 || strcmp(name, "localhost.localdomain") == 0);
}

struct host_arg {
	const char *hostname;
	size_t short_len;     /* length of the first label */
	unsigned count;
	char *old;
};

static void sysconfig_line(const char *line, size_t len, bool has_nl, struct buf *out, void *arg)
{
	struct host_arg *h = arg;
	if (len > 9 && memcmp(line, "HOSTNAME=", 9) == 0) {
		const char *v = line + 9;
		size_t vl = len - 9;
		if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0])
			v++, vl -= 2;
		char *name = xstrndup(v, vl);
		if (*name && !img_text_hostname_is_generic(name)) {
			h->count++;
			if (!h->old)
				h->old = name;
			else
				free(name);
			buf_puts(out, "HOSTNAME=localhost");
			if (has_nl)
				buf_putc(out, '\n');
			return;
		}
		free(name);
	}
	keep_line(out, line, len, has_nl);
}

char *img_text_sysconfig_reset_hostname(const char *text, unsigned *edited, char **old)
{
	struct host_arg h = {0};
	char *r = map_lines(text, sysconfig_line, &h);
	*edited = h.count;
	*old = h.old;
	return r;
}

static void hosts_line(const char *line, size_t len, bool has_nl, struct buf *out, void *arg)
{
	struct host_arg *h = arg;
	const char *p = line, *end = line + len;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (!(end - p > 9 && memcmp(p, "127.0.1.1", 9) == 0 && (p[9] == ' ' || p[9] == '\t'))) {
		keep_line(out, line, len, has_nl);
		return;
	}
	/* address, then names up to an optional comment */
	const char *names = p + 9;
	const char *hash = memchr(names, '#', (size_t)(end - names));
	const char *nend = hash ? hash : end;
	struct buf kept = BUF_INIT;
	bool dropped = false;
	for (const char *q = names; q < nend;) {
		while (q < nend && (*q == ' ' || *q == '\t'))
			q++;
		const char *w = q;
		while (q < nend && *q != ' ' && *q != '\t')
			q++;
		size_t wl = (size_t)(q - w);
		if (!wl)
			continue;
		/* the same first label: "build", "build.example.com" for a host named either */
		const char *wdot = memchr(w, '.', wl);
		size_t wshort = wdot ? (size_t)(wdot - w) : wl;
		bool same = wshort == h->short_len && memcmp(w, h->hostname, wshort) == 0;
		if (same) {
			dropped = true;
			continue;
		}
		buf_putc(&kept, ' ');
		buf_append(&kept, w, wl);
	}
	if (!dropped) {
		keep_line(out, line, len, has_nl);
	} else {
		h->count++;
		if (kept.len) {
			buf_append(out, line, (size_t)(names - line));
			buf_append(out, kept.data, kept.len);
			if (hash) {
				buf_putc(out, ' ');
				buf_append(out, hash, (size_t)(end - hash));
			}
			if (has_nl)
				buf_putc(out, '\n');
		}
	}
	buf_free(&kept);
}

char *img_text_hosts_forget(const char *text, const char *hostname, unsigned *edited)
{
	*edited = 0;
	if (!hostname || !*hostname || img_text_hostname_is_generic(hostname))
		return xstrdup(text ? text : "");
	const char *dot = strchr(hostname, '.');
	struct host_arg h = {.hostname = hostname, .short_len = dot ? (size_t)(dot - hostname) : strlen(hostname)};
	char *r = map_lines(text, hosts_line, &h);
	*edited = h.count;
	return r;
}

struct lookup_arg {
	const char *user;
	long uid_min;
	bool found;
	long uid;
	char *home;
	struct strv *users;
};

static long field_long(const char *line, size_t len, int n)
{
	const char *f;
	size_t fl;
	if (!field(line, len, n, &f, &fl) || fl == 0 || fl > 18)
		return -1;
	long v = 0;
	for (size_t i = 0; i < fl; i++) {
		if (!isdigit((unsigned char)f[i]))
			return -1;
		v = v * 10 + (f[i] - '0');
	}
	return v;
}

static void lookup_line(const char *line, size_t len, bool has_nl, struct buf *out, void *arg)
{
	(void)has_nl;
	(void)out;
	struct lookup_arg *l = arg;
	const char *f;
	size_t fl;
	if (l->user) {
		if (!l->found && field_is(line, len, 0, l->user)) {
			l->found = true;
			l->uid = field_long(line, len, 2);
			if (field(line, len, 5, &f, &fl))
				l->home = xstrndup(f, fl);
		}
		return;
	}
	long uid = field_long(line, len, 2);
	if (uid >= l->uid_min && uid < 60000 && field(line, len, 0, &f, &fl) && fl)
		strv_push_owned(l->users, xstrndup(f, fl));
}

bool img_text_passwd_lookup(const char *passwd, const char *user, long *uid, char **home)
{
	struct lookup_arg l = {.user = user};
	free(map_lines(passwd, lookup_line, &l));
	if (!l.found) {
		free(l.home);
		return false;
	}
	*uid = l.uid;
	if (home)
		*home = l.home ? l.home : xstrdup("");
	else
		free(l.home);
	return true;
}

void img_text_passwd_ordinary_users(const char *passwd, long uid_min, struct strv *out)
{
	struct lookup_arg l = {.uid_min = uid_min, .users = out};
	free(map_lines(passwd, lookup_line, &l));
}

long img_text_login_defs_uid_min(const char *login_defs)
{
	const char *p = login_defs ? login_defs : "";
	while (*p) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, "UID_MIN", 7) == 0 && (p[7] == ' ' || p[7] == '\t')) {
			char *end;
			long v = strtol(p + 7, &end, 10);
			if (end != p + 7 && v > 0)
				return v;
		}
		const char *nl = strchr(p, '\n');
		if (!nl)
			break;
		p = nl + 1;
	}
	return 1000;
}

static bool all_digits(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

bool img_log_is_rotated(const char *name)
{
	static const char *const compressed[] = {".gz", ".xz", ".bz2", ".zst", ".lz4", ".Z", ".old"};
	size_t n = strlen(name);
	for (size_t i = 0; i < sizeof compressed / sizeof compressed[0]; i++) {
		size_t l = strlen(compressed[i]);
		if (n > l && strcmp(name + n - l, compressed[i]) == 0)
			return true;
	}
	/* name.N, name-YYYYMMDD */
	const char *dot = strrchr(name, '.');
	if (dot && dot != name && all_digits(dot + 1, strlen(dot + 1)))
		return true;
	const char *dash = strrchr(name, '-');
	if (dash && dash != name && strlen(dash + 1) == 8 && all_digits(dash + 1, 8))
		return true;
	return false;
}

/* libguestfs' rule for an epoch: digits only, fitting an int; -1 otherwise. */
static int parse_epoch(const char *s)
{
	long v = 0;
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s) || v > 214748364)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v > 2147483647 ? -1 : (int)v;
}

static int cmp_package(const void *a, const void *b)
{
	const struct img_package *x = a, *y = b;
	return strcmp(x->name, y->name);
}

void img_text_dpkg_status(const char *text, struct img_package **out, size_t *n)
{
	size_t cap = 0;
	char *name = NULL, *version = NULL, *release = NULL, *arch = NULL;
	int epoch = 0;
	bool installed = false;
	*out = NULL;
	*n = 0;
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *line = xstrndup(p, len);
		p += len + (nl ? 1 : 0);
		if (strncmp(line, "Package: ", 9) == 0) {
			free(name);
			name = xstrdup(line + 9);
		} else if (strncmp(line, "Status: ", 8) == 0) {
			installed = strstr(line + 8, "installed") != NULL;
		} else if (strncmp(line, "Version: ", 9) == 0) {
			free(version);
			free(release);
			release = NULL;
			char *v = line + 9, *colon = strchr(v, ':');
			if (colon) {
				*colon = '\0';
				epoch = parse_epoch(v);
				v = colon + 1;
			} else {
				epoch = 0;
			}
			char *dash = strchr(v, '-');
			if (dash) {
				*dash = '\0';
				release = xstrdup(dash + 1);
			}
			version = xstrdup(v);
		} else if (strncmp(line, "Architecture: ", 14) == 0) {
			free(arch);
			arch = xstrdup(line + 14);
		} else if (!*line) {
			if (installed && name && version && epoch >= 0) {
				if (*n == cap) {
					cap = cap ? 2 * cap : 64;
					*out = xrealloc(*out, cap * sizeof **out);
				}
				(*out)[(*n)++] = (struct img_package){name, version, release ? release : xstrdup(""),
								      arch ? arch : xstrdup(""), epoch};
				name = version = release = arch = NULL;
			}
			free(name);
			free(version);
			free(release);
			free(arch);
			name = version = release = arch = NULL;
			installed = false;
		}
		free(line);
	}
	free(name);
	free(version);
	free(release);
	free(arch);
	if (*n)
		qsort(*out, *n, sizeof **out, cmp_package);
}
