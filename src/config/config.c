/* config.c — kiln's configuration file and the pool of a run (see config.h). */
#include "config/config.h"
#include "hcl/eval.h"
#include "hcl/number.h"
#include "hcl/parser.h"
#include "hcl/value.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/units.h"

#include <stdlib.h>
#include <string.h>

char *config_default_path(void)
{
	const char *k = getenv("KILN_CONFIG");
	if (k && *k)
		return xstrdup(k);
	const char *x = getenv("XDG_CONFIG_HOME");
	if (x && *x)
		return xasprintf("%s/kiln/config.hcl", x);
	const char *h = getenv("HOME");
	return xasprintf("%s/.config/kiln/config.hcl", h && *h ? h : "/tmp");
}

static const char *const host_attrs[] = {"uri", "max_builds", "reserve_memory", "storage_pool", "cache_size", NULL};

static void unsupported(struct hcl_diags *d, const struct hcl_range *r, const char *what, const char *name,
			const char *const *known)
{
	size_t n = 0;
	while (known[n])
		n++;
	const char *s = hcl_name_suggestion(name, known, n);
	char *summary = xasprintf("Unsupported %s", what);
	hcl_error(d, r, summary, "%s \"%s\" %s not expected here.%s%s%s", what[0] == 'a' ? "An argument named" : "Blocks of type",
		  name, what[0] == 'a' ? "is" : "are", s ? " Did you mean \"" : "", s ? s : "", s ? "\"?" : "");
	free(summary);
}

/* A string attribute (NULL with a diagnostic when it is not one). */
static char *attr_string(const struct hcl_attribute *a, struct hcl_eval_ctx *ctx, struct hcl_diags *d)
{
	struct hcl_value *v = hcl_eval_as(a->expr, HCL_T_STRING, ctx, "Invalid value", d);
	char *s = NULL;
	if (v && !hcl_is_null(v) && hcl_is_known(v) && hcl_kind(v) == HCL_STRING)
		s = xstrdup(v->u.str.s);
	else if (v && hcl_is_null(v))
		hcl_error(d, &a->range, "Invalid value", "%s must not be null.", a->name);
	hcl_value_unref(v);
	return s;
}

/* A size: a string with units ("4G") or a number of MiB. */
static bool attr_size(const struct hcl_attribute *a, struct hcl_eval_ctx *ctx, uint64_t *out, struct hcl_diags *d)
{
	char *s = attr_string(a, ctx, d);
	if (!s)
		return false;
	struct kiln_error e = ERR_INIT;
	bool ok = size_parse(s, 'M', out, &e) == 0;
	if (!ok)
		hcl_error(d, &a->range, "Invalid size", "%s: %s. Write a number of MiB or a size with a unit: \"512M\", \"4G\".",
			  a->name, err_cause(&e));
	err_clear(&e);
	free(s);
	return ok;
}

static bool attr_int(const struct hcl_attribute *a, struct hcl_eval_ctx *ctx, int min, int max, int *out,
		     struct hcl_diags *d)
{
	struct hcl_value *v = hcl_eval_as(a->expr, HCL_T_NUMBER, ctx, "Invalid value", d);
	int64_t i = 0;
	bool ok = v && !hcl_is_null(v) && hcl_is_known(v) && hcl_kind(v) == HCL_NUMBER && hcl_num_to_int64(v->u.num, &i) &&
		  i >= min && i <= max;
	if (v && !ok && hcl_kind(v) == HCL_NUMBER)
		hcl_error(d, &a->range, "Invalid value", "%s must be a whole number from %d to %d.", a->name, min, max);
	hcl_value_unref(v);
	if (ok)
		*out = (int)i;
	return ok;
}

static void decode_host(const struct hcl_block *blk, struct hcl_eval_ctx *ctx, struct config *c, struct strv *seen,
			struct hcl_diags *d)
{
	if (blk->nlabels != 1) {
		hcl_error(d, &blk->type_range, "Missing name for host",
			  "A host block has one label, the host's name: host \"rack1\" { uri = \"qemu+ssh://rack1/system\" }.");
		return;
	}
	if (strv_contains(seen, blk->labels[0])) {
		hcl_error(d, &blk->label_ranges[0], "Duplicate host", "A host named \"%s\" was already defined.",
			  blk->labels[0]);
		return;
	}
	strv_push(seen, blk->labels[0]);
	struct config_host h = {.cache_size = CONFIG_DEFAULT_CACHE_SIZE};
	const struct hcl_body *b = blk->body;
	for (size_t i = 0; i < b->nblocks; i++)
		unsupported(d, &b->blocks[i]->type_range, "block type", b->blocks[i]->type, (const char *const[]){NULL});
	bool ok = true;
	for (size_t i = 0; i < b->nattrs; i++) {
		const struct hcl_attribute *a = b->attrs[i];
		if (strcmp(a->name, "uri") == 0) {
			h.uri = attr_string(a, ctx, d);
			ok = ok && h.uri;
			if (h.uri && !strstr(h.uri, ":/")) {
				hcl_error(d, &a->range, "Invalid libvirt URI",
					  "\"%s\" is not a libvirt URI: write qemu:///system, qemu+ssh://user@host/system or "
					  "qemu+tls://host/system.", h.uri);
				ok = false;
			}
		} else if (strcmp(a->name, "max_builds") == 0) {
			ok = attr_int(a, ctx, 0, 1024, &h.max_builds, d) && ok;
		} else if (strcmp(a->name, "reserve_memory") == 0) {
			ok = attr_size(a, ctx, &h.reserve_memory, d) && ok;
		} else if (strcmp(a->name, "storage_pool") == 0) {
			h.storage_pool = attr_string(a, ctx, d);
			ok = ok && h.storage_pool;
		} else if (strcmp(a->name, "cache_size") == 0) {
			ok = attr_size(a, ctx, &h.cache_size, d) && ok;
		} else {
			unsupported(d, &a->name_range, "argument", a->name, host_attrs);
			ok = false;
		}
	}
	if (!h.uri && ok) {
		hcl_error(d, &blk->body->end_range, "Missing required argument",
			  "The argument \"uri\" is required: the host's libvirt URI.");
		ok = false;
	}
	if (!ok) {
		free(h.uri);
		free(h.storage_pool);
		return;
	}
	h.name = xstrdup(blk->labels[0]);
	c->hosts = xrealloc(c->hosts, (c->nhosts + 1) * sizeof *c->hosts);
	c->hosts[c->nhosts++] = h;
}

int config_load(const char *path, struct config *out, struct hcl_fileset *files, struct hcl_diags *diags)
{
	memset(out, 0, sizeof *out);
	char *p = path ? xstrdup(path) : config_default_path();
	if (!path && !file_exists(p)) {
		free(p);
		return 0;
	}
	size_t before = diags->n;
	struct hcl_file *f = hcl_parse_config_file(p, diags);
	if (!f) {
		free(p);
		return -1;
	}
	out->path = p;
	struct hcl_eval_ctx *ctx = hcl_eval_ctx_new();
	struct strv seen = STRV_INIT;
	const struct hcl_body *body = f->body;
	for (size_t i = 0; i < body->nattrs; i++)
		unsupported(diags, &body->attrs[i]->name_range, "argument", body->attrs[i]->name, (const char *const[]){NULL});
	for (size_t i = 0; i < body->nblocks; i++) {
		const struct hcl_block *blk = body->blocks[i];
		if (strcmp(blk->type, "host") == 0)
			decode_host(blk, ctx, out, &seen, diags);
		else
			unsupported(diags, &blk->type_range, "block type", blk->type, (const char *const[]){"host", NULL});
	}
	hcl_eval_ctx_free(ctx);
	strv_free(&seen);
	hcl_fileset_add(files, f);
	for (size_t i = before; i < diags->n; i++)
		if (diags->v[i].severity == HCL_DIAG_ERROR)
			return -1;
	return 0;
}

void config_free(struct config *c)
{
	for (size_t i = 0; i < c->nhosts; i++) {
		free(c->hosts[i].name);
		free(c->hosts[i].uri);
		free(c->hosts[i].storage_pool);
	}
	free(c->hosts);
	free(c->path);
	memset(c, 0, sizeof *c);
}

char *config_host_name_from_uri(const char *uri)
{
	const char *sep = strstr(uri, "://");
	if (!sep)
		return xstrdup(uri);
	const char *h = sep + 3;
	if (*h == '/' || !*h) {
		/* local: qemu:///system → "local", qemu:///session → "session" */
		const char *path = strchr(h, '/');
		if (path && strncmp(path, "/session", 8) == 0)
			return xstrdup("session");
		return xstrdup("local");
	}
	const char *at = strchr(h, '@');
	const char *slash = strchr(h, '/');
	if (at && (!slash || at < slash))
		h = at + 1;
	size_t n = strcspn(h, "/?");
	return xstrndup(h, n);
}

static const struct config_host *find_named(const struct config *c, const char *name)
{
	for (size_t i = 0; c && i < c->nhosts; i++)
		if (strcmp(c->hosts[i].name, name) == 0)
			return &c->hosts[i];
	return NULL;
}

static const struct config_host *find_uri(const struct config *c, const char *uri)
{
	for (size_t i = 0; c && i < c->nhosts; i++)
		if (strcmp(c->hosts[i].uri, uri) == 0)
			return &c->hosts[i];
	return NULL;
}

static struct kiln_host host_of(const struct config_host *h)
{
	return (struct kiln_host){h->name, h->uri, h->max_builds, h->reserve_memory, h->storage_pool, h->cache_size};
}

int config_pool(const struct config *c, const char *spec, struct config_pool *out, struct kiln_error *err)
{
	memset(out, 0, sizeof *out);
	const char *from = "-hosts";
	if (!spec) {
		spec = getenv("KILN_HOSTS");
		from = "KILN_HOSTS";
	}
	if (!spec) {
		out->hosts = xcalloc(c->nhosts + 1, sizeof *out->hosts);
		for (size_t i = 0; i < c->nhosts; i++)
			out->hosts[out->n++] = host_of(&c->hosts[i]);
		return 0;
	}
	struct strv items = STRV_INIT;
	char *copy = xstrdup(spec);
	for (char *save = NULL, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		while (*t == ' ')
			t++;
		size_t l = strlen(t);
		while (l && t[l - 1] == ' ')
			t[--l] = 0;
		if (*t)
			strv_push(&items, t);
	}
	free(copy);
	out->hosts = xcalloc(items.n + 1, sizeof *out->hosts);
	int rc = 0;
	for (size_t i = 0; i < items.n && rc == 0; i++) {
		const char *it = items.v[i];
		const struct config_host *h = strstr(it, "://") ? find_uri(c, it) : find_named(c, it);
		struct kiln_host k;
		if (h) {
			k = host_of(h);
		} else if (strstr(it, "://")) {
			char *name = config_host_name_from_uri(it);
			/* two URIs that give the same name (one host, two daemons) are told apart by their order */
			for (size_t j = 0; j < out->n; j++)
				if (strcmp(out->hosts[j].name, name) == 0) {
					char *n2 = xasprintf("%s#%zu", name, i + 1);
					free(name);
					name = n2;
					break;
				}
			strv_push_owned(&out->owned, name);
			strv_push(&out->owned, it);
			k = (struct kiln_host){out->owned.v[out->owned.n - 2], out->owned.v[out->owned.n - 1], 0, 0, NULL,
					       CONFIG_DEFAULT_CACHE_SIZE};
		} else {
			rc = err_set_kind(err, ERR_INVALID, "%s: \"%s\" is neither a libvirt URI nor a host of %s", from, it,
					  c->path ? c->path : "the configuration file (there is none)");
			err_hint(err, "give libvirt URIs (qemu+ssh://user@host/system) or names of host blocks in %s (docs/hosts.md)",
				 c->path ? c->path : "$XDG_CONFIG_HOME/kiln/config.hcl");
			break;
		}
		for (size_t j = 0; j < out->n && rc == 0; j++)
			if (strcmp(out->hosts[j].uri, k.uri) == 0)
				rc = err_set_kind(err, ERR_INVALID, "%s names %s twice", from, k.uri);
		if (rc == 0)
			out->hosts[out->n++] = k;
	}
	strv_free(&items);
	if (rc < 0)
		config_pool_free(out);
	return rc;
}

void config_pool_free(struct config_pool *p)
{
	free(p->hosts);
	strv_free(&p->owned);
	memset(p, 0, sizeof *p);
}
