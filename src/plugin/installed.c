/* installed.c — the plugin directories and Packer's file layout in them (see installed.h). */
#include "plugin/installed.h"

#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "ui/ui.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/hash.h"
#include "util/mem.h"
#include "util/version.h"

char *plugin_install_dir(void)
{
	const char *env = getenv("KILN_PLUGIN_PATH");
	if (env && *env)
		return xstrdup(env);
	const char *xdg = getenv("XDG_CONFIG_HOME");
	if (xdg && *xdg)
		return xasprintf("%s/kiln/plugins", xdg);
	const char *home = getenv("HOME");
	return xasprintf("%s/.config/kiln/plugins", home && *home ? home : ".");
}

const char *plugin_bundled_dir(void)
{
	const char *env = getenv("KILN_BUNDLED_PLUGINS"); /* tests: a kiln installed with DESTDIR */
	return env && *env ? env : KILN_PKGLIBDIR "/plugins";
}

void plugin_dirs(struct strv *out)
{
	strv_push_owned(out, plugin_install_dir());
	if (strcmp(out->v[out->n - 1], plugin_bundled_dir()) != 0)
		strv_push(out, plugin_bundled_dir());
}

const char *plugin_platform(void)
{
	static char text[128];
	if (!*text) {
		struct utsname u;
		const char *arch = "amd64";
		if (uname(&u) == 0) {
			if (strcmp(u.machine, "x86_64") == 0)
				arch = "amd64";
			else if (strcmp(u.machine, "aarch64") == 0)
				arch = "arm64";
			else if (u.machine[0] == 'i' && strcmp(u.machine + 2, "86") == 0)
				arch = "386";
			else
				arch = u.machine;
		}
		snprintf(text, sizeof text, "linux_%.64s", arch);
	}
	return text;
}

/* ------------------------------------------------------------------------------------------------
 * Sources and file names */

static bool source_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.';
}

bool plugin_source_valid(const char *source, char **why)
{
	*why = NULL;
	int parts = 0;
	const char *p = source;
	while (p && *p) {
		size_t n = 0;
		while (source_char(p[n]))
			n++;
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.') || (p[n] && p[n] != '/'))
			break;
		parts++;
		p += n;
		if (*p == '/')
			p++;
		else
			break;
	}
	/* the host has a dot: "github.com", not "acme" */
	const char *dot = source ? strchr(source, '.') : NULL;
	if (source && *source && p && !*p && parts == 3 && dot && dot < strchr(source, '/') &&
	    source[strlen(source) - 1] != '/')
		return true;
	*why = xasprintf("\"%s\" is not a plugin source: it has the form HOST/ORG/NAME, such as "
			 "\"github.com/acme/hello\"",
			 source ? source : "");
	return false;
}

char *plugin_source_name(const char *source)
{
	const char *slash = strrchr(source, '/');
	const char *name = slash ? slash + 1 : source;
	/* Packer's repositories are named packer-plugin-NAME; the source names NAME either way */
	if (strncmp(name, "packer-plugin-", 14) == 0)
		name += 14;
	else if (strncmp(name, PLUGIN_FILE_PREFIX, strlen(PLUGIN_FILE_PREFIX)) == 0)
		name += strlen(PLUGIN_FILE_PREFIX);
	return xstrdup(name);
}

char *plugin_file_name(const char *name, const char *version, const char *protocol)
{
	return xasprintf(PLUGIN_FILE_PREFIX "%s_v%s_x%s_%s", name, version, protocol, plugin_platform());
}

bool plugin_file_parse(const char *file, char **name, char **version, char **protocol)
{
	*name = *version = *protocol = NULL;
	size_t pl = strlen(PLUGIN_FILE_PREFIX);
	if (strncmp(file, PLUGIN_FILE_PREFIX, pl) != 0)
		return false;
	const char *n = file + pl;
	const char *v = strstr(n, "_v");
	if (!v || v == n)
		return false;
	const char *x = strstr(v + 2, "_x");
	if (!x || x == v + 2)
		return false;
	const char *plat = strchr(x + 2, '_');
	if (!plat || plat == x + 2 || strcmp(plat + 1, plugin_platform()) != 0)
		return false;
	for (const char *p = n; p < v; p++)
		if (!source_char(*p) || *p == '_')
			return false;
	char *ver = xstrndup(v + 2, (size_t)(x - v - 2));
	struct version parsed = VERSION_INIT;
	int vr = version_parse(ver, &parsed, NULL);
	version_free(&parsed);
	if (vr < 0) {
		free(ver);
		return false;
	}
	*name = xstrndup(n, (size_t)(v - n));
	*version = ver;
	*protocol = xstrndup(x + 2, (size_t)(plat - x - 2));
	return true;
}

int plugin_version_cmp(const char *a, const char *b)
{
	struct version va = VERSION_INIT, vb = VERSION_INIT;
	int rc = 0;
	/* a name that is not a version sorts first (it cannot be chosen anyway) */
	bool ga = version_parse(a, &va, NULL) == 0, gb = version_parse(b, &vb, NULL) == 0;
	if (ga && gb)
		rc = version_compare(&va, &vb);
	else
		rc = ga - gb;
	version_free(&va);
	version_free(&vb);
	return rc;
}

/* ------------------------------------------------------------------------------------------------
 * Listing */

void plugin_installed_clear(struct plugin_installed *p)
{
	free(p->source);
	free(p->name);
	free(p->version);
	free(p->protocol);
	free(p->path);
	free(p->dir);
	memset(p, 0, sizeof *p);
}

void plugin_list_free(struct plugin_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		plugin_installed_clear(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

static bool listed(const struct plugin_list *l, const char *source, const char *version)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].source, source) == 0 && strcmp(l->v[i].version, version) == 0)
			return true;
	return false;
}

/* The plugins in one source directory. */
static void scan_source(const char *root, const char *source, bool bundled, struct plugin_list *out)
{
	char *dir = path_join(root, source);
	DIR *d = opendir(dir);
	if (!d) {
		free(dir);
		return;
	}
	char *want = plugin_source_name(source);
	struct dirent *e;
	while ((e = readdir(d))) {
		char *name, *version, *protocol;
		if (!plugin_file_parse(e->d_name, &name, &version, &protocol))
			continue;
		char *path = path_join(dir, e->d_name);
		char *sum = xasprintf("%s" PLUGIN_SUM_SUFFIX, path);
		if (strcmp(name, want) != 0) {
			log_debug("plugins: ignoring %s: a plugin named %s in the directory of %s", path, name, source);
		} else if (!file_is_regular(sum)) {
			log_info("plugins: ignoring %s: %s is missing", path, sum);
		} else if (!listed(out, source, version) && file_is_regular(path)) {
			out->v = xgrow(out->v, &out->cap, out->n + 1, sizeof *out->v);
			out->v[out->n++] = (struct plugin_installed){xstrdup(source), name, version, protocol, path,
								      xstrdup(root), bundled};
			name = version = protocol = path = NULL;
		}
		free(name);
		free(version);
		free(protocol);
		free(path);
		free(sum);
	}
	closedir(d);
	free(want);
	free(dir);
}

static void subdirs(const char *dir, struct strv *out)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char *p = path_join(dir, e->d_name);
		if (file_is_dir(p))
			strv_push(out, e->d_name);
		free(p);
	}
	closedir(d);
	strv_sort(out);
}

static int cmp_installed(const void *a, const void *b)
{
	const struct plugin_installed *x = a, *y = b;
	int c = strcmp(x->source, y->source);
	if (c)
		return c;
	return plugin_version_cmp(y->version, x->version); /* newest first */
}

void plugin_list_installed(const char *source, struct plugin_list *out)
{
	memset(out, 0, sizeof *out);
	struct strv dirs = STRV_INIT;
	plugin_dirs(&dirs);
	for (size_t i = 0; i < dirs.n; i++) {
		bool bundled = strcmp(dirs.v[i], plugin_bundled_dir()) == 0;
		if (source) {
			scan_source(dirs.v[i], source, bundled, out);
			continue;
		}
		/* host/org/name below the root */
		struct strv hosts = STRV_INIT;
		subdirs(dirs.v[i], &hosts);
		for (size_t h = 0; h < hosts.n; h++) {
			char *hd = path_join(dirs.v[i], hosts.v[h]);
			struct strv orgs = STRV_INIT;
			subdirs(hd, &orgs);
			for (size_t o = 0; o < orgs.n; o++) {
				char *od = path_join(hd, orgs.v[o]);
				struct strv names = STRV_INIT;
				subdirs(od, &names);
				for (size_t n = 0; n < names.n; n++) {
					char *src = xasprintf("%s/%s/%s", hosts.v[h], orgs.v[o], names.v[n]);
					char *why;
					if (plugin_source_valid(src, &why))
						scan_source(dirs.v[i], src, bundled, out);
					free(why);
					free(src);
				}
				strv_free(&names);
				free(od);
			}
			strv_free(&orgs);
			free(hd);
		}
		strv_free(&hosts);
	}
	strv_free(&dirs);
	if (out->n > 1)
		qsort(out->v, out->n, sizeof *out->v, cmp_installed);
}

/* ------------------------------------------------------------------------------------------------
 * Checksums */

int plugin_verify_file(const char *path, char **sha256, struct kiln_error *err)
{
	char *sum_path = xasprintf("%s" PLUGIN_SUM_SUFFIX, path);
	struct buf text = BUF_INIT;
	char *hex = NULL;
	int rc = -1;
	if (sha256)
		*sha256 = NULL;
	if (file_read_all(sum_path, &text, err) < 0)
		goto out;
	/* the digest, optionally followed by "  file name" as sha256sum writes it */
	size_t n = strspn(buf_cstr(&text), "0123456789abcdefABCDEF");
	if (n != 64) {
		err_set(err, "%s does not hold a SHA-256 digest", sum_path);
		goto out;
	}
	if (hash_file_hex("sha256", path, &hex, err) < 0)
		goto out;
	if (strncasecmp(hex, buf_cstr(&text), 64) != 0) {
		err_set(err, "%s does not match its checksum file: its SHA-256 is %s, %s says %.64s", path, hex,
			path_has_suffix(sum_path, PLUGIN_SUM_SUFFIX) ? "the _SHA256SUM file" : sum_path, buf_cstr(&text));
		err_hint(err, "the file was changed after it was installed: reinstall the plugin (kiln init -upgrade, or "
			      "kiln plugins install)");
		goto out;
	}
	if (sha256) {
		*sha256 = hex;
		hex = NULL;
	}
	rc = 0;
out:
	free(hex);
	buf_free(&text);
	free(sum_path);
	return rc;
}
