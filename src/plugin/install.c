/* install.c — finding releases on a mirror or on GitHub, downloading, verifying, and putting plugins
 * in place (see install.h). */
#include "plugin/install.h"
#include "plugin/catalog.h"
#include "plugin/protocol.h"

#include <errno.h>
#include "util/lazy_jansson.h"
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "registry.h"
#include "ui/ui.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/hash.h"
#include "util/mem.h"
#include "util/version.h"

const char *plugin_mirror(const struct plugin_install_opts *o)
{
	if (o && o->mirror && *o->mirror)
		return o->mirror;
	const char *env = getenv("KILN_PLUGIN_MIRROR");
	return env && *env ? env : NULL;
}

void plugin_install_result_free(struct plugin_install_result *r)
{
	plugin_installed_clear(&r->inst);
	free(r->sha256);
	free(r->from);
	strv_free(&r->hashes);
	memset(r, 0, sizeof *r);
}

/* ------------------------------------------------------------------------------------------------
 * Releases */

struct release {
	char *version;
	char *protocol;
	char *file;
	char *url;           /* where the file is */
	char *sha256;        /* from the SHA256SUMS that lists it; NULL until known (GitHub) */
	char *sums_url;      /* GitHub: the release's SHA256SUMS */
};

struct releases {
	struct release *v;
	size_t n, cap;
	char *sums_text;     /* mirror: the SHA256SUMS, for every platform's hashes */
	char *where;         /* for messages */
};

static void releases_free(struct releases *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].version);
		free(r->v[i].protocol);
		free(r->v[i].file);
		free(r->v[i].url);
		free(r->v[i].sha256);
		free(r->v[i].sums_url);
	}
	free(r->v);
	free(r->sums_text);
	free(r->where);
	memset(r, 0, sizeof *r);
}

static const struct kiln_module *module(struct kiln_error *err)
{
	return kiln_module_get(err);
}

/* base/rel, for a URL or a directory. */
static char *location_join(const char *base, const char *rel)
{
	size_t n = strlen(base);
	while (n > 1 && base[n - 1] == '/')
		n--;
	return xasprintf("%.*s/%s", (int)n, base, rel);
}

/* The hex digest sha256sum lists for file in text, or NULL. */
static char *sums_lookup(const char *text, const char *file)
{
	const char *p = text;
	while (p && *p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (len > 66 && strspn(p, "0123456789abcdefABCDEF") == 64 && (p[64] == ' ' || p[64] == '\t')) {
			const char *name = p + 65;
			while (name < p + len && (*name == ' ' || *name == '*' || *name == '\t'))
				name++;
			size_t nl = (size_t)(p + len - name);
			while (nl && (name[nl - 1] == '\r' || name[nl - 1] == ' '))
				nl--;
			if (nl == strlen(file) && memcmp(name, file, nl) == 0) {
				char *hex = xstrndup(p, 64);
				for (char *c = hex; *c; c++)
					if (*c >= 'A' && *c <= 'F')
						*c = (char)(*c - 'A' + 'a');
				return hex;
			}
		}
		p = eol ? eol + 1 : NULL;
	}
	return NULL;
}

/* Every platform's hash of name's version in a SHA256SUMS text, as "sha256:<hex>". */
static void sums_hashes(const char *text, const char *name, const char *version, struct strv *out)
{
	char *prefix = xasprintf(PLUGIN_FILE_PREFIX "%s_v%s_x", name, version);
	for (const char *p = text; p && *p;) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (len > 66 && strspn(p, "0123456789abcdefABCDEF") == 64) {
			const char *f = p + 65;
			while (*f == ' ' || *f == '*')
				f++;
			if (strncmp(f, prefix, strlen(prefix)) == 0) {
				char *h = xasprintf("sha256:%.64s", p);
				for (char *c = h + 7; *c; c++)
					if (*c >= 'A' && *c <= 'F')
						*c = (char)(*c - 'A' + 'a');
				if (!strv_contains(out, h))
					strv_push(out, h);
				free(h);
			}
		}
		p = eol ? eol + 1 : NULL;
	}
	free(prefix);
	strv_sort(out);
}

static void add_release(struct releases *rs, const char *version, const char *protocol, const char *file, char *url,
			char *sha256, char *sums_url)
{
	rs->v = xgrow(rs->v, &rs->cap, rs->n + 1, sizeof *rs->v);
	rs->v[rs->n++] = (struct release){xstrdup(version), xstrdup(protocol), xstrdup(file), url, sha256, sums_url};
}

static int mirror_releases(const char *mirror, const char *source, const char *name, struct releases *rs,
			   struct kiln_error *err)
{
	const struct kiln_module *m = module(err);
	if (!m)
		return -1;
	char *base = location_join(mirror, source);
	char *sums = location_join(base, "SHA256SUMS");
	rs->where = xstrdup(mirror);
	if (m->fetch_text(sums, &rs->sums_text, err) < 0) {
		err_wrap(err, "reading the release list of %s on the mirror", source);
		err_hint(err, "a mirror holds SOURCE/SHA256SUMS and the files it lists (docs/plugins.md, \"Mirrors\")");
		free(base);
		free(sums);
		return -1;
	}
	for (const char *p = rs->sums_text; p && *p;) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (len > 66 && strspn(p, "0123456789abcdefABCDEF") == 64) {
			const char *f = p + 65;
			while (*f == ' ' || *f == '*')
				f++;
			char *file = xstrndup(f, (size_t)(p + len - f));
			file[strcspn(file, "\r ")] = '\0';
			char *n, *v, *pr;
			if (plugin_file_parse(file, &n, &v, &pr) && strcmp(n, name) == 0)
				add_release(rs, v, pr, file, location_join(base, file), xstrndup(p, 64), NULL);
			free(n);
			free(v);
			free(pr);
			free(file);
		}
		p = eol ? eol + 1 : NULL;
	}
	free(base);
	free(sums);
	return 0;
}

static int github_releases(const char *source, const char *name, struct releases *rs, struct kiln_error *err)
{
	const struct kiln_module *m = module(err);
	if (!m)
		return -1;
	if (strncmp(source, "github.com/", 11) != 0)
		return err_set(err, "kiln installs %s only from a mirror: plugins download from GitHub releases, and this "
				    "source is not on github.com",
			       source);
	const char *api = getenv("KILN_GITHUB_API");
	const char *slash = strchr(source + 11, '/');
	char *org = xstrndup(source + 11, (size_t)(slash - source - 11));
	char *url = xasprintf("%s/repos/%s/" PLUGIN_FILE_PREFIX "%s/releases?per_page=100",
			      api && *api ? api : "https://api.github.com", org, name);
	rs->where = xasprintf("https://github.com/%s/" PLUGIN_FILE_PREFIX "%s/releases", org, name);
	char *text = NULL;
	int rc = -1;
	json_t *j = NULL;
	if (m->fetch_text(url, &text, err) < 0) {
		err_wrap(err, "listing the releases of %s", source);
		err_hint(err, "without a connection to GitHub, install from a mirror (-plugin-mirror, KILN_PLUGIN_MIRROR) "
			      "or a file (kiln plugins install --path FILE %s)",
			 source);
		goto out;
	}
	json_error_t jerr;
	j = json_loads(text, 0, &jerr);
	if (!json_is_array(j)) {
		err_set(err, "the release list of %s (%s) is not a JSON array", source, url);
		goto out;
	}
	size_t i;
	json_t *rel;
	json_array_foreach(j, i, rel) {
		const char *tag = json_string_value(json_object_get(rel, "tag_name"));
		if (!tag || json_is_true(json_object_get(rel, "draft")))
			continue;
		const char *version = tag[0] == 'v' ? tag + 1 : tag;
		char *sums_name = xasprintf(PLUGIN_FILE_PREFIX "%s_v%s_SHA256SUMS", name, version);
		char *sums_url = NULL, *bin = NULL, *bin_url = NULL, *proto = NULL;
		size_t k;
		json_t *a;
		json_array_foreach(json_object_get(rel, "assets"), k, a) {
			const char *an = json_string_value(json_object_get(a, "name"));
			const char *au = json_string_value(json_object_get(a, "browser_download_url"));
			char *n, *v, *pr;
			if (!an || !au)
				continue;
			if (strcmp(an, sums_name) == 0) {
				free(sums_url);
				sums_url = xstrdup(au);
			} else if (plugin_file_parse(an, &n, &v, &pr) && strcmp(n, name) == 0 && strcmp(v, version) == 0) {
				free(bin);
				free(bin_url);
				free(proto);
				bin = xstrdup(an);
				bin_url = xstrdup(au);
				proto = xstrdup(pr);
			}
			free(n);
			free(v);
			free(pr);
		}
		if (bin && sums_url) {
			add_release(rs, version, proto, bin, bin_url, NULL, sums_url);
			bin_url = sums_url = NULL;
		}
		free(bin);
		free(bin_url);
		free(sums_url);
		free(proto);
		free(sums_name);
	}
	rc = 0;
out:
	json_decref(j);
	free(text);
	free(url);
	free(org);
	return rc;
}

/* ------------------------------------------------------------------------------------------------
 * Choosing */

static int choose(const struct releases *rs, const char *source, const char *constraint, const char *version,
		  const struct release **out, struct kiln_error *err)
{
	const struct release *best = NULL;
	struct strv seen = STRV_INIT, refused = STRV_INIT;
	for (size_t i = 0; i < rs->n; i++) {
		const struct release *r = &rs->v[i];
		if (!strv_contains(&seen, r->version))
			strv_push(&seen, r->version);
		if (version && strcmp(r->version, version) != 0)
			continue;
		if (constraint && version_satisfies(constraint, r->version, NULL) != 1)
			continue;
		char *why;
		if (!plugin_protocol_compatible(r->protocol, &why)) {
			strv_pushf(&refused, "%s (%s)", r->version, why);
			free(why);
			continue;
		}
			if (!best || plugin_version_cmp(r->version, best->version) > 0)
			best = r;
	}
	int rc = 0;
	if (best) {
		*out = best;
	} else if (refused.n) {
		char *list = strv_join(&refused, "; ");
		rc = err_set(err, "no release of %s that kiln can run: %s", source, list);
		err_hint(err, "install a kiln that speaks the plugin's protocol, or pin a release of the plugin built for "
			      "protocol " PLUGIN_PROTOCOL_TEXT);
		free(list);
	} else {
		strv_sort(&seen);
		char *list = seen.n ? strv_join(&seen, ", ") : xstrdup("none");
		if (version)
			rc = err_set(err, "%s has no release %s for %s at %s (releases: %s)", source, version, plugin_platform(),
				     rs->where, list);
		else
			rc = err_set(err, "no release of %s satisfies \"%s\" at %s (releases for %s: %s)", source,
				     constraint ? constraint : "any version", rs->where, plugin_platform(), list);
		free(list);
	}
	strv_free(&seen);
	strv_free(&refused);
	return rc;
}

/* ------------------------------------------------------------------------------------------------
 * Putting a file in place */

int plugin_check(const char *path, const char *want_version, char **version, char **protocol, struct kiln_error *err)
{
	struct plugin_conn *c;
	if (plugin_open(path, NULL, &c, err) < 0)
		return -1;
	*version = xstrdup(c->version);
	*protocol = xstrdup(c->protocol);
	int rc = 0;
	if (want_version && strcmp(c->version, want_version) != 0)
		rc = err_set(err, "the file is the release %s, but the plugin says it is version %s", want_version, c->version);
	plugin_close(c);
	json_t *desc = NULL;
	if (rc == 0 && (plugin_describe(path, NULL, &desc, err) < 0 || plugin_components_check(desc, err) < 0))
		rc = -1;
	json_decref(desc);
	if (rc < 0) {
		free(*version);
		free(*protocol);
		*version = *protocol = NULL;
	}
	return rc;
}

/* Move the verified file at tmp into dir/source under its layout name and write its _SHA256SUM. */
static int put_in_place(const char *tmp, const char *dir, const char *source, const char *name, const char *version,
			const char *protocol, const char *sha256, struct plugin_installed *out, struct kiln_error *err)
{
	char *sdir = path_join(dir, source);
	char *file = plugin_file_name(name, version, protocol);
	char *final = path_join(sdir, file);
	char *sum = xasprintf("%s" PLUGIN_SUM_SUFFIX, final);
	char *line = xasprintf("%s\n", sha256);
	int rc = -1;
	if (chmod(tmp, 0755) < 0) {
		err_set_errno(err, errno, "cannot make %s executable", tmp);
		goto out;
	}
	if (rename(tmp, final) < 0) {
		err_set_errno(err, errno, "cannot install %s", final);
		goto out;
	}
	if (file_write_atomic(sum, line, strlen(line), 0644, err) < 0) {
		unlink(final);
		goto out;
	}
	*out = (struct plugin_installed){xstrdup(source), xstrdup(name), xstrdup(version), xstrdup(protocol), final,
					 xstrdup(dir), false};
	final = NULL;
	rc = 0;
out:
	free(sdir);
	free(file);
	free(final);
	free(sum);
	free(line);
	return rc;
}

/* A private directory beside where the plugin goes (same file system, for rename). */
static char *staging_dir(const char *dir, const char *source, struct kiln_error *err)
{
	char *sdir = path_join(dir, source);
	if (mkdir_p(sdir, 0755, err) < 0) {
		free(sdir);
		return NULL;
	}
	char *tmpl = path_join(sdir, ".install-XXXXXX");
	free(sdir);
	if (!mkdtemp(tmpl)) {
		err_set_errno(err, errno, "cannot create a directory in %s to install into", dir);
		free(tmpl);
		return NULL;
	}
	return tmpl;
}

int plugin_install(const char *source, const char *constraint, const char *version, const struct strv *locked,
		   const struct plugin_install_opts *o, struct plugin_install_result *res, struct kiln_error *err)
{
	memset(res, 0, sizeof *res);
	char *why;
	if (!plugin_source_valid(source, &why)) {
		err_set(err, "%s", why);
		free(why);
		return -1;
	}
	const struct kiln_module *m = module(err);
	if (!m)
		return -1;
	char *name = plugin_source_name(source);
	const char *mirror = plugin_mirror(o);
	struct releases rs = {0};
	char *dir = plugin_install_dir();
	char *stage = NULL, *tmp = NULL, *got_version = NULL, *got_protocol = NULL, *sums = NULL;
	int rc = -1;
	const struct release *r = NULL;
	if ((mirror ? mirror_releases(mirror, source, name, &rs, err) : github_releases(source, name, &rs, err)) < 0)
		goto out;
	if (choose(&rs, source, constraint, version, &r, err) < 0)
		goto out;
	if (r->sums_url) { /* GitHub: the release's own SHA256SUMS */
		if (m->fetch_text(r->sums_url, &sums, err) < 0) {
			err_wrap(err, "reading the checksums of %s %s", source, r->version);
			goto out;
		}
		free(rs.sums_text);
		rs.sums_text = sums;
		sums = NULL;
		struct release *w = (struct release *)r;
		if (!(w->sha256 = sums_lookup(rs.sums_text, r->file))) {
			err_set(err, "%s does not list %s: kiln installs nothing it cannot verify", r->sums_url, r->file);
			goto out;
		}
	}
	if (locked && locked->n) {
		char *h = xasprintf("sha256:%s", r->sha256);
		bool ok = strv_contains(locked, h);
		free(h);
		if (!ok) {
			err_set(err, "%s %s at %s has the checksum sha256:%s, which the lock file does not record", source,
				r->version, rs.where, r->sha256);
			err_hint(err, "the release changed since it was locked: if you trust it, run kiln init -upgrade");
			goto out;
		}
	}
	if (!(stage = staging_dir(dir, source, err)))
		goto out;
	tmp = path_join(stage, r->file);
	ui_say(o && o->ui ? o->ui : ui_global(), "Installing %s %s from %s", source, r->version, r->url);
	if (m->fetch_file(r->url, r->sha256, tmp, o ? o->ui : NULL, err) < 0) {
		err_wrap(err, "installing %s %s", source, r->version);
		goto out;
	}
	if (chmod(tmp, 0755) < 0 || plugin_check(tmp, r->version, &got_version, &got_protocol, err) < 0) {
		if (!err_isset(err))
			err_set_errno(err, errno, "cannot make %s executable", tmp);
		err_wrap(err, "the release %s %s from %s cannot be installed", source, r->version, rs.where);
		goto out;
	}
	if (put_in_place(tmp, dir, source, name, r->version, r->protocol, r->sha256, &res->inst, err) < 0)
		goto out;
	res->sha256 = xstrdup(r->sha256);
	res->from = xstrdup(r->url);
	sums_hashes(rs.sums_text, name, r->version, &res->hashes);
	char *mine = xasprintf("sha256:%s", r->sha256);
	if (!strv_contains(&res->hashes, mine))
		strv_push(&res->hashes, mine);
	strv_sort(&res->hashes);
	free(mine);
	rc = 0;
out:
	if (stage) {
		struct kiln_error ignored = ERR_INIT;
		rm_rf(stage, &ignored);
		err_clear(&ignored);
	}
	free(stage);
	free(tmp);
	free(got_version);
	free(got_protocol);
	free(sums);
	free(dir);
	free(name);
	releases_free(&rs);
	return rc;
}

int plugin_install_file(const char *path, const char *source, struct plugin_install_result *res, struct kiln_error *err)
{
	memset(res, 0, sizeof *res);
	char *why;
	if (!plugin_source_valid(source, &why)) {
		err_set(err, "%s", why);
		free(why);
		return -1;
	}
	if (!file_is_regular(path))
		return err_set(err, "%s is not a file", path);
	char *name = plugin_source_name(source);
	char *dir = plugin_install_dir();
	char *stage = NULL, *tmp = NULL, *hex = NULL, *version = NULL, *protocol = NULL;
	int rc = -1;
	if (!(stage = staging_dir(dir, source, err)))
		goto out;
	tmp = path_join(stage, "plugin");
	/* copy first, then check and hash the copy: what runs is what was checked */
	if (file_copy(path, tmp, 0755, err) < 0 || hash_file_hex("sha256", tmp, &hex, err) < 0)
		goto out;
	if (plugin_check(tmp, NULL, &version, &protocol, err) < 0) {
		err_wrap(err, "%s cannot be installed", path);
		goto out;
	}
	if (put_in_place(tmp, dir, source, name, version, protocol, hex, &res->inst, err) < 0)
		goto out;
	res->sha256 = hex;
	hex = NULL;
	res->from = xstrdup(path);
	strv_pushf(&res->hashes, "sha256:%s", res->sha256);
	rc = 0;
out:
	if (stage) {
		struct kiln_error ignored = ERR_INIT;
		rm_rf(stage, &ignored);
		err_clear(&ignored);
	}
	free(stage);
	free(tmp);
	free(hex);
	free(version);
	free(protocol);
	free(dir);
	free(name);
	return rc;
}

int plugin_remove(const char *source, const char *version, struct strv *removed, struct kiln_error *err)
{
	struct plugin_list l;
	plugin_list_installed(source, &l);
	char *dir = plugin_install_dir();
	struct strv bundled = STRV_INIT;
	int rc = 0;
	for (size_t i = 0; i < l.n && rc == 0; i++) {
		const struct plugin_installed *p = &l.v[i];
		if (version && strcmp(p->version, version) != 0 && !(version[0] == 'v' && strcmp(p->version, version + 1) == 0))
			continue;
		if (p->bundled && strcmp(p->dir, dir) != 0) {
			strv_push(&bundled, p->path);
			continue;
		}
		char *sum = xasprintf("%s" PLUGIN_SUM_SUFFIX, p->path);
		if (unlink(p->path) < 0 && errno != ENOENT)
			rc = err_set_errno(err, errno, "cannot remove %s", p->path);
		else if (unlink(sum) < 0 && errno != ENOENT)
			rc = err_set_errno(err, errno, "cannot remove %s", sum);
		else
			strv_push(removed, p->path);
		free(sum);
	}
	if (rc == 0 && removed->n == 0) {
		if (bundled.n)
			rc = err_set(err, "%s comes with kiln (%s) and cannot be removed", source, bundled.v[0]);
		else
			rc = err_set_kind(err, ERR_NOT_FOUND, "%s%s%s is not installed", source, version ? " " : "",
					  version ? version : "");
	}
	strv_free(&bundled);
	free(dir);
	plugin_list_free(&l);
	return rc;
}
