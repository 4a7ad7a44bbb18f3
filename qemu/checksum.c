/* checksum.c — parsing iso_checksum and SUMS files (see checksum.h). */
#include "qemu/checksum.h"
#include "util/buf.h"
#include "util/hash.h"
#include "util/mem.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *algo;
	size_t len;
} algo_lens[] = {
	{"md5", 32}, {"sha1", 40}, {"sha224", 56}, {"sha256", 64}, {"sha384", 96}, {"sha512", 128},
};

const char *qemu_checksum_algo_for_len(size_t hexlen)
{
	for (size_t i = 0; i < sizeof algo_lens / sizeof algo_lens[0]; i++)
		if (algo_lens[i].len == hexlen)
			return algo_lens[i].algo;
	return NULL;
}

static const char *known_algo(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof algo_lens / sizeof algo_lens[0]; i++)
		if (strlen(algo_lens[i].algo) == n && strncasecmp(s, algo_lens[i].algo, n) == 0)
			return algo_lens[i].algo;
	return NULL;
}

static bool all_hex(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

static char *lower_dup(const char *s, size_t n)
{
	char *r = xstrndup(s, n);
	for (char *p = r; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return r;
}

/* Check hex against algo (or infer algo when NULL) and store both. */
static int set_digest(struct qemu_checksum *c, const char *algo, const char *hex, size_t n, const char *what,
		      struct kiln_error *err)
{
	if (!all_hex(hex, n))
		return err_set_kind(err, ERR_INVALID, "%s: \"%.*s\" is not a hexadecimal digest", what, (int)n, hex);
	if (!algo) {
		algo = qemu_checksum_algo_for_len(n);
		if (!algo)
			return err_set_kind(err, ERR_INVALID,
					    "%s: cannot tell the algorithm of a %zu-character digest; prefix it "
					    "(\"sha256:...\", \"md5:...\")", what, n);
	} else if (hash_hex_len(algo) != n) {
		return err_set_kind(err, ERR_INVALID, "%s: a %s digest has %zu hex characters, this one has %zu", what,
				    algo, hash_hex_len(algo), n);
	}
	free(c->algo);
	free(c->hex);
	c->algo = xstrdup(algo);
	c->hex = lower_dup(hex, n);
	return 0;
}

int qemu_checksum_parse(const char *spec, struct qemu_checksum *out, struct kiln_error *err)
{
	memset(out, 0, sizeof *out);
	while (spec && isspace((unsigned char)*spec))
		spec++;
	size_t n = spec ? strlen(spec) : 0;
	while (n && isspace((unsigned char)spec[n - 1]))
		n--;
	if (n == 0)
		return err_set_kind(err, ERR_INVALID,
				    "iso_checksum is empty: give the image's digest (\"sha256:...\"), a SUMS file "
				    "(\"file:https://.../SHA256SUMS\") or \"none\"");
	if (n == 4 && strncasecmp(spec, "none", 4) == 0)
		return 0;
	const char *colon = memchr(spec, ':', n);
	const char *algo = NULL;
	const char *rest = spec;
	size_t restn = n;
	if (colon) {
		size_t pn = (size_t)(colon - spec);
		if (pn == 4 && strncasecmp(spec, "file", 4) == 0) {
			out->sums_ref = xstrndup(colon + 1, n - pn - 1);
			goto check_ref;
		}
		algo = known_algo(spec, pn);
		if (!algo)
			return err_set_kind(err, ERR_INVALID,
					    "iso_checksum: unknown checksum type \"%.*s\" (use md5, sha1, sha224, "
					    "sha256, sha384, sha512, file or none)", (int)pn, spec);
		rest = colon + 1;
		restn = n - pn - 1;
		if (restn > 5 && strncasecmp(rest, "file:", 5) == 0) {
			out->sums_algo = xstrdup(algo);
			out->sums_ref = xstrndup(rest + 5, restn - 5);
			goto check_ref;
		}
	}
	if (set_digest(out, algo, rest, restn, "iso_checksum", err) < 0) {
		qemu_checksum_free(out);
		return -1;
	}
	return 0;
check_ref:
	if (!out->sums_ref[0]) {
		qemu_checksum_free(out);
		return err_set_kind(err, ERR_INVALID, "iso_checksum: \"file:\" needs the SUMS file's URL or path");
	}
	return 0;
}

bool qemu_checksum_is_none(const struct qemu_checksum *c)
{
	return !c->algo && !c->sums_ref;
}

/* Does the SUMS entry name `entry` designate `filename`? Entries may carry "./" or directories. */
static bool name_matches(const char *entry, size_t en, const char *filename)
{
	while (en > 2 && entry[0] == '.' && entry[1] == '/') {
		entry += 2;
		en -= 2;
	}
	size_t fn = strlen(filename);
	if (en == fn && memcmp(entry, filename, fn) == 0)
		return true;
	const char *fbase = strrchr(filename, '/');
	fbase = fbase ? fbase + 1 : filename;
	const char *ebase = entry;
	for (size_t i = 0; i < en; i++)
		if (entry[i] == '/')
			ebase = entry + i + 1;
	size_t ebn = en - (size_t)(ebase - entry);
	return ebn == strlen(fbase) && memcmp(ebase, fbase, ebn) == 0;
}

int qemu_checksum_resolve_sums(struct qemu_checksum *c, const char *text, const char *filename,
			       struct kiln_error *err)
{
	const char *p = text;
	const char *single = NULL;
	size_t single_n = 0, nlines = 0;
	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t ln = eol ? (size_t)(eol - p) : strlen(p);
		const char *l = p;
		p = eol ? eol + 1 : p + ln;
		while (ln && (l[ln - 1] == '\r' || isspace((unsigned char)l[ln - 1])))
			ln--;
		while (ln && isspace((unsigned char)*l)) {
			l++;
			ln--;
		}
		if (ln == 0 || l[0] == '#')
			continue;
		nlines++;
		/* BSD style: ALGO (name) = hex */
		const char *open = memchr(l, '(', ln);
		const char *close = open ? memchr(open, ')', ln - (size_t)(open - l)) : NULL;
		const char *eq = close ? memchr(close, '=', ln - (size_t)(close - l)) : NULL;
		if (open && close && eq) {
			size_t an = (size_t)(open - l);
			while (an && isspace((unsigned char)l[an - 1]))
				an--;
			const char *a = known_algo(l, an);
			const char *h = eq + 1;
			while (h < l + ln && isspace((unsigned char)*h))
				h++;
			if (a && name_matches(open + 1, (size_t)(close - open - 1), filename)) {
				const char *want = c->sums_algo ? c->sums_algo : a;
				return set_digest(c, want, h, (size_t)(l + ln - h), "SUMS entry", err);
			}
			continue;
		}
		/* GNU style: hex  name, or hex *name; or a bare digest */
		size_t hn = 0;
		while (hn < ln && !isspace((unsigned char)l[hn]))
			hn++;
		if (hn == ln) {
			single = l;
			single_n = ln;
			continue;
		}
		const char *name = l + hn;
		while (name < l + ln && isspace((unsigned char)*name))
			name++;
		if (*name == '*')
			name++;
		if (name_matches(name, (size_t)(l + ln - name), filename))
			return set_digest(c, c->sums_algo, l, hn, "SUMS entry", err);
	}
	if (single && nlines == 1)
		return set_digest(c, c->sums_algo, single, single_n, "SUMS file", err);
	return err_set_kind(err, ERR_NOT_FOUND, "the checksum file %s has no entry for \"%s\"", c->sums_ref, filename);
}

char *qemu_checksum_format(const struct qemu_checksum *c)
{
	if (!c->algo)
		return xstrdup("none");
	return xasprintf("%s:%s", c->algo, c->hex);
}

void qemu_checksum_free(struct qemu_checksum *c)
{
	if (!c)
		return;
	free(c->algo);
	free(c->hex);
	free(c->sums_ref);
	free(c->sums_algo);
	memset(c, 0, sizeof *c);
}
