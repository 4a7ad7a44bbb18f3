/* registry.c — finding components. The tables themselves are in src/components.c, built into the
 * module kiln-components.so (see registry.h for why); this file loads the module once, on first use. */
#include "registry.h"
#include "ui/ui.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/signals.h"
#include "util/strv.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Defined only where the components are linked in statically (unit tests, test helpers). */
#pragma weak kiln_builtin_module

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static const struct kiln_module *loaded;
static char *load_failure; /* why loading failed, for every caller */

/* The module at path, or NULL with *why (malloc'ed) saying what was wrong with it. */
static const struct kiln_module *try_load(const char *path, char **why)
{
	void *h = dlopen(path, RTLD_LAZY | RTLD_LOCAL);
	if (!h) {
		*why = xstrdup(dlerror());
		return NULL;
	}
	const struct kiln_module *m = dlsym(h, "kiln_builtin_module");
	if (m && m->abi == KILN_MODULE_ABI && m->component_abi == KILN_COMPONENT_ABI)
		return m; /* kept loaded for the life of the process */
	*why = m ? xasprintf("%s was built for another kiln (module ABI %d, component ABI %d; this kiln: %d, %d)", path,
			     m->abi, m->component_abi, KILN_MODULE_ABI, KILN_COMPONENT_ABI)
		 : xasprintf("%s: no kiln_builtin_module", path);
	dlclose(h);
	return NULL;
}

/* $KILN_COMPONENTS, else the module next to the running binary (the build tree), else the installed
 * one: the first that exists is the one loaded. */
static void load(void)
{
	if (&kiln_builtin_module) {
		loaded = &kiln_builtin_module;
		return;
	}
	const char *env = getenv("KILN_COMPONENTS");
	char *path = env && *env ? xstrdup(env) : NULL;
	if (!path) {
		char *exe = realpath("/proc/self/exe", NULL);
		if (exe) {
			char *dir = path_dirname(exe);
			path = path_join(dir, KILN_MODULE_FILE);
			free(dir);
			free(exe);
			if (!file_exists(path)) {
				free(path);
				path = NULL;
			}
		}
	}
	/* the module's libraries start threads and install signal handlers of their own: from here on
	 * the signals go to kiln's signal thread (util/signals.h) */
	sig_handle_on_thread();
	loaded = try_load(path ? path : KILN_PKGLIBDIR "/" KILN_MODULE_FILE, &load_failure);
	free(path);
}

const struct kiln_module *kiln_module_get(struct kiln_error *err)
{
	pthread_once(&load_once, load);
	if (!loaded && err) {
		err_set(err, "kiln cannot load its components (%s): %s", KILN_MODULE_FILE, load_failure);
		err_hint(err, "Reinstall kiln (make install puts it in " KILN_PKGLIBDIR "), or point KILN_COMPONENTS at the file.");
	}
	return loaded;
}

/* Lookups have no error channel: a module that cannot be loaded is reported once, on stderr, and every
 * type is then unknown. */
static void report_failure(void)
{
	struct kiln_error e = ERR_INIT;
	kiln_module_get(&e);
	char *t = err_text(&e);
	ui_error_plain(NULL, "Error: %s\n%s", t, e.hint);
	free(t);
	err_clear(&e);
}

static const struct kiln_module *module(void)
{
	static pthread_once_t reported = PTHREAD_ONCE_INIT;
	const struct kiln_module *m = kiln_module_get(NULL);
	if (!m)
		pthread_once(&reported, report_failure);
	return m;
}

#define FIND(table, type)                                                  \
	do {                                                               \
		const struct kiln_module *m = module();                    \
		for (size_t i = 0; m && m->table[i]; i++)                  \
			if (strcmp(m->table[i]->type, type) == 0)          \
				return m->table[i];                        \
		return NULL;                                               \
	} while (0)

const struct kiln_builder *kiln_find_builder(const char *type)
{
	FIND(builders, type);
}

const struct kiln_provisioner *kiln_find_provisioner(const char *type)
{
	FIND(provisioners, type);
}

const struct kiln_postprocessor *kiln_find_postprocessor(const char *type)
{
	FIND(postprocessors, type);
}

const struct kiln_datasource *kiln_find_datasource(const char *type)
{
	FIND(datasources, type);
}

const char *const kiln_component_kinds[] = {"builder", "provisioner", "post-processor", "data", NULL};

bool kiln_find_component(const char *kind, const char *type, struct kiln_component_info *out)
{
	memset(out, 0, sizeof *out);
	out->kind = kind;
	out->type = type;
	if (strcmp(kind, "builder") == 0) {
		const struct kiln_builder *b = kiln_find_builder(type);
		if (b) {
			out->doc = b->doc;
			out->builder_id = b->builder_id;
			out->schema = b->schema;
		}
	} else if (strcmp(kind, "provisioner") == 0) {
		const struct kiln_provisioner *p = kiln_find_provisioner(type);
		if (p) {
			out->doc = p->doc;
			out->schema = p->schema;
		}
	} else if (strcmp(kind, "post-processor") == 0) {
		const struct kiln_postprocessor *p = kiln_find_postprocessor(type);
		if (p) {
			out->doc = p->doc;
			out->schema = p->schema;
		}
	} else if (strcmp(kind, "data") == 0) {
		const struct kiln_datasource *d = kiln_find_datasource(type);
		if (d) {
			out->doc = d->doc;
			out->schema = d->schema;
		}
	}
	return out->schema != NULL;
}

void kiln_component_names(const char *kind, struct strv *out)
{
	const struct kiln_module *m = module();
	if (!m)
		return;
	if (strcmp(kind, "builder") == 0)
		for (size_t i = 0; m->builders[i]; i++)
			strv_push(out, m->builders[i]->type);
	else if (strcmp(kind, "provisioner") == 0)
		for (size_t i = 0; m->provisioners[i]; i++)
			strv_push(out, m->provisioners[i]->type);
	else if (strcmp(kind, "post-processor") == 0)
		for (size_t i = 0; m->postprocessors[i]; i++)
			strv_push(out, m->postprocessors[i]->type);
	else if (strcmp(kind, "data") == 0)
		for (size_t i = 0; m->datasources[i]; i++)
			strv_push(out, m->datasources[i]->type);
	strv_sort(out);
}

int kiln_module_gzip(const void *data, size_t len, struct buf *out, char **why)
{
	struct kiln_error e = ERR_INIT;
	const struct kiln_module *m = kiln_module_get(&e);
	if (!m) {
		*why = err_text(&e);
		err_clear(&e);
		return -1;
	}
	return m->gzip(data, len, out, why);
}
