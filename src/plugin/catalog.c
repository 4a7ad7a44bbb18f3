/* catalog.c — required plugins resolved to installed, verified, described plugins (see catalog.h). */
#include "plugin/catalog.h"
#include "plugin/installed.h"
#include "plugin/lock.h"
#include "plugin/protocol.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/version.h"

/* ------------------------------------------------------------------------------------------------
 * describe */

int plugin_describe(const char *path, const char *workdir, json_t **desc, struct kiln_error *err)
{
	struct plugin_conn *c;
	*desc = NULL;
	if (plugin_open(path, workdir, &c, err) < 0)
		return -1;
	struct plugin_services none = {0};
	long t = plugin_timeout_ms("KILN_PLUGIN_CALL_TIMEOUT", PLUGIN_CALL_TIMEOUT_MS);
	int rc = plugin_call(c, &none, "describe", json_object(), t, desc, err);
	if (rc == 0 && !json_is_object(*desc)) {
		err_set(err, "%s: describe answered %s instead of an object", c->label, json_is_null(*desc) ? "null" : "a value");
		json_decref(*desc);
		*desc = NULL;
		rc = -1;
	}
	plugin_close(c);
	return rc;
}

/* ------------------------------------------------------------------------------------------------
 * Resolving required plugins */

struct resolved {
	char *dir;                    /* the template's directory */
	char *key;                    /* the required_plugins key */
	char *source;
	char *constraint;
	int state;                    /* 1 usable, -1 not (said once) */
	struct plugin_ref ref;
	struct plugin_component **comps;
	size_t ncomps, capcomps;
};

static pthread_mutex_t catalog_lock = PTHREAD_MUTEX_INITIALIZER;
static struct resolved **resolved;
static size_t nresolved, capresolved;

static const char *const kind_keys[] = {NULL, "builders", "provisioners", "post_processors", "data_sources"};

static int add_components(struct resolved *r, const json_t *desc, struct kiln_error *err)
{
	for (enum plugin_kind k = PLUGIN_BUILDER; k <= PLUGIN_DATASOURCE; k++) {
		const json_t *map = json_object_get(desc, kind_keys[k]);
		if (!map)
			continue;
		if (!json_is_object(map))
			return err_set(err, "\"%s\" must be an object of components by name", kind_keys[k]);
		const char *name;
		const json_t *d;
		json_object_foreach((json_t *)map, name, d) {
			if (*name && (strchr(name, '-') == name || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(name)))
				return err_set(err, "%s \"%s\": a component's name is lowercase letters, digits, _ and -",
					       plugin_kind_name(k), name);
			char *type = *name ? xasprintf("%s-%s", r->key, name) : xstrdup(r->key);
			struct plugin_component *pc;
			int rc = plugin_component_new(k, name, type, d, &r->ref, &pc, err);
			free(type);
			if (rc < 0)
				return -1;
			r->comps = xgrow(r->comps, &r->capcomps, r->ncomps + 1, sizeof *r->comps);
			r->comps[r->ncomps++] = pc;
		}
	}
	return 0;
}

int plugin_components_check(const json_t *desc, struct kiln_error *err)
{
	struct resolved r = {.key = "plugin"};
	int rc = add_components(&r, desc, err);
	for (size_t i = 0; i < r.ncomps; i++)
		plugin_component_free(r.comps[i]);
	free(r.comps);
	return rc;
}

static char *req_text(const struct tmpl_plugin_req *q)
{
	return xasprintf("\"%s\" (%s%s%s)", q->name, q->source, q->version ? " " : "", q->version ? q->version : "");
}

/* Why a required plugin cannot be used: summary and detail for the diagnostic. */
struct why {
	char *summary;
	char *detail;
};

static void why_set(struct why *w, const char *summary, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void why_set(struct why *w, const char *summary, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	w->summary = xstrdup(summary);
	w->detail = xvasprintf(fmt, ap);
	va_end(ap);
}

/* A plugin that comes with kiln (kiln's own plugin directory, put there by `make install`) is part of
 * kiln, like a built-in: it stands in for a requirement the lock file does not record, and for a
 * component type that no requirement claims, verified by its _SHA256SUM alone. */
static const struct plugin_installed *bundled_release(const struct plugin_list *list, const char *constraint)
{
	for (size_t i = 0; i < list->n; i++)
		if (list->v[i].bundled && (!constraint || version_satisfies(constraint, list->v[i].version, NULL) == 1))
			return &list->v[i];
	return NULL;
}

/* The bundled plugin whose name is the longest prefix of type ("ansible" for "ansible-local"). */
static bool bundled_for_type(const char *type, char **key, char **source)
{
	struct plugin_list all = {0};
	plugin_list_installed(NULL, &all);
	const struct plugin_installed *best = NULL;
	for (size_t i = 0; i < all.n; i++) {
		const struct plugin_installed *p = &all.v[i];
		size_t n = strlen(p->name);
		if (p->bundled && strncmp(type, p->name, n) == 0 && (type[n] == '\0' || type[n] == '-') &&
		    (!best || n > strlen(best->name)))
			best = p;
	}
	if (best) {
		*key = xstrdup(best->name);
		*source = xstrdup(best->source);
	}
	plugin_list_free(&all);
	return best != NULL;
}

static void resolve(struct resolved *r, const struct tmpl_plugin_req *q, struct why *w)
{
	struct plugin_lock lock;
	struct kiln_error e = ERR_INIT;
	struct plugin_list list = {0};
	char *rq = req_text(q);
	char *hex = NULL;
	json_t *desc = NULL;
	const struct plugin_installed *inst = NULL;
	r->state = -1;
	if (plugin_lock_read(r->dir, &lock, &e) < 0) {
		char *t = err_text(&e);
		why_set(w, "Invalid lock file", "%s. %s.", t, e.hint);
		free(t);
		goto out;
	}
	plugin_list_installed(q->source, &list);
	if (!lock.exists || !plugin_lock_find(&lock, q->source)) {
		inst = bundled_release(&list, q->version);
		if (inst) {
			if (plugin_verify_file(inst->path, &hex, &e) < 0) {
				char *t = err_text(&e);
				why_set(w, "Plugin file damaged", "%s. Reinstall kiln (make install).", t);
				free(t);
				goto out;
			}
			goto usable;
		}
	}
	if (!lock.exists) {
		why_set(w, "Plugin not installed",
			"The template requires the plugin %s, and has no lock file (%s) recording which release to use. "
			"Run `kiln init` on the template to install its plugins and record their checksums.",
			rq, PLUGIN_LOCK_FILE);
		goto out;
	}
	const struct plugin_lock_entry *le = plugin_lock_find(&lock, q->source);
	if (!le) {
		why_set(w, "Plugin not installed",
			"The template requires the plugin %s, which the lock file %s does not list. Run `kiln init` on the "
			"template to install it and record its checksum.",
			rq, lock.path);
		goto out;
	}
	if (q->version && version_satisfies(q->version, le->version, NULL) != 1) {
		why_set(w, "Plugin does not match the lock file",
			"The lock file %s records version %s of %s, which does not satisfy the constraint \"%s\". Run "
			"`kiln init -upgrade` to install a release that does and record it.",
			lock.path, le->version, q->source, q->version);
		goto out;
	}
	for (size_t i = 0; i < list.n && !inst; i++)
		if (strcmp(list.v[i].version, le->version) == 0)
			inst = &list.v[i];
	if (!inst) {
		why_set(w, "Plugin not installed",
			"The template requires the plugin %s, and version %s (the one the lock file records) is not "
			"installed. Run `kiln init` on the template to install it.",
			rq, le->version);
		goto out;
	}
	if (plugin_verify_file(inst->path, &hex, &e) < 0) {
		char *t = err_text(&e);
		why_set(w, "Plugin file damaged", "%s. Run `kiln init -upgrade` to install it again.", t);
		free(t);
		goto out;
	}
	if (!plugin_lock_has_hash(le, hex)) {
		why_set(w, "Plugin does not match the lock file",
			"The installed plugin %s %s (%s) has the checksum sha256:%s, which the lock file %s does not "
			"record for it. kiln does not run a plugin that differs from the one recorded. If you trust this "
			"file, run `kiln init -upgrade` to record its checksum.",
			q->source, inst->version, inst->path, hex, lock.path);
		goto out;
	}
usable:;
	char *pwhy;
	if (!plugin_protocol_compatible(inst->protocol, &pwhy)) {
		why_set(w, "Plugin cannot run on this kiln", "The plugin %s %s (%s) cannot run: %s.", q->source,
			inst->version, inst->path, pwhy);
		free(pwhy);
		goto out;
	}
	r->ref.source = xstrdup(q->source);
	r->ref.version = xstrdup(inst->version);
	r->ref.path = xstrdup(inst->path);
	r->ref.sha256 = hex;
	hex = NULL;
	/* plugins run where kiln runs, as Packer's do: relative paths in a configuration mean the same to
	 * a plugin as to kiln's own components */
	r->ref.workdir = path_abs(".");
	if (plugin_describe(r->ref.path, r->ref.workdir, &desc, &e) < 0 || add_components(r, desc, &e) < 0) {
		char *t = err_text(&e);
		why_set(w, "Plugin failed", "kiln could not ask the plugin %s %s (%s) what it provides: %s%s%s", q->source,
			inst->version, inst->path, t, e.hint ? ". " : "", e.hint ? e.hint : "");
		free(t);
		goto out;
	}
	r->state = 1;
out:
	json_decref(desc);
	free(hex);
	free(rq);
	err_clear(&e);
	plugin_list_free(&list);
	plugin_lock_free(&lock);
}

static struct resolved *lookup(const char *dir, const struct tmpl_plugin_req *q)
{
	for (size_t i = 0; i < nresolved; i++) {
		struct resolved *r = resolved[i];
		if (strcmp(r->dir, dir) == 0 && strcmp(r->key, q->name) == 0 && strcmp(r->source, q->source) == 0 &&
		    ((!r->constraint && !q->version) || (r->constraint && q->version && strcmp(r->constraint, q->version) == 0)))
			return r;
	}
	struct resolved *r = xcalloc(1, sizeof *r);
	r->dir = xstrdup(dir);
	r->key = xstrdup(q->name);
	r->source = xstrdup(q->source);
	r->constraint = q->version ? xstrdup(q->version) : NULL;
	resolved = xgrow(resolved, &capresolved, nresolved + 1, sizeof *resolved);
	resolved[nresolved++] = r;
	return r;
}

static void provided_list(const struct resolved *r, struct buf *b)
{
	for (size_t i = 0; i < r->ncomps; i++)
		buf_printf(b, "%s%s \"%s\"", i ? ", " : "", plugin_kind_name(r->comps[i]->kind), r->comps[i]->type);
	if (!r->ncomps)
		buf_puts(b, "nothing");
}

static int find(void *arg, const char *kind, const char *type, const struct tmpl_plugin_req *reqs, size_t nreqs,
		const char *template_dir, struct tmpl_plugin_found *found, char **summary, char **detail)
{
	(void)arg;
	*summary = *detail = NULL;
	/* the requirement whose key is the longest prefix of the type */
	const struct tmpl_plugin_req *q = NULL;
	for (size_t i = 0; i < nreqs; i++) {
		size_t n = strlen(reqs[i].name);
		if (strncmp(type, reqs[i].name, n) == 0 && (type[n] == '\0' || type[n] == '-') &&
		    (!q || n > strlen(q->name)))
			q = &reqs[i];
	}
	/* (a Packer plugin kiln builds in needs no lookup: its components are found first, as kiln's own);
	 * a type no requirement claims may be a plugin that comes with kiln */
	struct tmpl_plugin_req bundled = {0};
	char *bkey = NULL, *bsource = NULL;
	if (!q || !q->source) {
		if (!bundled_for_type(type, &bkey, &bsource))
			return 0;
		bundled.name = bkey;
		bundled.source = bsource;
		q = &bundled;
	}
	pthread_mutex_lock(&catalog_lock);
	struct resolved *r = lookup(template_dir, q);
	int rc = -1;
	if (r->state == 0) {
		struct why w = {NULL, NULL};
		resolve(r, q, &w);
		*summary = w.summary;
		*detail = w.detail;
	}
	if (r->state < 0)
		goto out;
	enum plugin_kind k = plugin_kind_from_name(kind);
	for (size_t i = 0; i < r->ncomps; i++) {
		if (r->comps[i]->kind == k && strcmp(r->comps[i]->type, type) == 0) {
			found->component = &r->comps[i]->c;
			found->schema = r->comps[i]->schema;
			rc = 1;
			goto out;
		}
	}
	struct buf b = BUF_INIT;
	provided_list(r, &b);
	*summary = xasprintf("Unsupported %s type", k == PLUGIN_DATASOURCE ? "data source" : kind);
	*detail = xasprintf("The plugin \"%s\" (%s %s) provides no %s named \"%s\". It provides: %s.", q->name, r->ref.source,
			    r->ref.version, k == PLUGIN_DATASOURCE ? "data source" : kind, type, buf_cstr(&b));
	buf_free(&b);
out:
	pthread_mutex_unlock(&catalog_lock);
	free(bkey);
	free(bsource);
	return rc;
}

static void names(void *arg, const char *kind, struct strv *out)
{
	(void)arg;
	enum plugin_kind k = plugin_kind_from_name(kind);
	pthread_mutex_lock(&catalog_lock);
	for (size_t i = 0; i < nresolved; i++)
		for (size_t c = 0; c < resolved[i]->ncomps; c++)
			if (resolved[i]->comps[c]->kind == k)
				strv_push(out, resolved[i]->comps[c]->type);
	pthread_mutex_unlock(&catalog_lock);
}

const struct tmpl_plugins plugin_finder = {find, names, NULL};
