/* cmd-init.c — `kiln init`: check a template's packer { required_version, required_plugins }, install
 * the external plugins it requires (pinned, verified) and record them in the lock file beside it. The
 * Packer plugins whose components kiln builds in (cli/requirements.h) are reported as such, with the
 * release they stand in for. Every requirement is listed with how it was satisfied, also when another
 * one fails. */
#include "cli/cli.h"
#include "cli/diagout.h"
#include "cli/requirements.h"
#include "cli/tmplargs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/install.h"
#include "plugin/installed.h"
#include "plugin/lock.h"
#include "plugin/protocol.h"
#include "template/template.h"
#include "ui/ui.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/version.h"
#include "util/strv.h"

struct outcome {
	char *how;              /* "installed 1.2.0 from ..." */
	char *version, *protocol;
	struct strv hashes;
};

static void outcome_free(struct outcome *o)
{
	free(o->how);
	free(o->version);
	free(o->protocol);
	strv_free(&o->hashes);
	memset(o, 0, sizeof *o);
}

/* The newest installed version of source that satisfies the constraint and that this kiln runs. */
static const struct plugin_installed *newest_installed(const struct plugin_list *l, const char *constraint,
						       const char *exact)
{
	for (size_t i = 0; i < l->n; i++) { /* newest first */
		const struct plugin_installed *p = &l->v[i];
		char *why = NULL;
		bool ok = (!exact || strcmp(p->version, exact) == 0) &&
			  (!constraint || version_satisfies(constraint, p->version, NULL) == 1) &&
			  plugin_protocol_compatible(p->protocol, &why);
		free(why);
		if (ok)
			return p;
	}
	return NULL;
}

/* An installed plugin, checked: its checksum file, then a handshake and describe. */
static int use_installed(const struct plugin_installed *p, struct outcome *o, struct kiln_error *err)
{
	char *hex = NULL, *v = NULL, *pr = NULL;
	if (plugin_verify_file(p->path, &hex, err) < 0 || plugin_check(p->path, p->version, &v, &pr, err) < 0) {
		free(hex);
		return -1;
	}
	o->version = xstrdup(p->version);
	o->protocol = pr;
	free(v);
	strv_pushf(&o->hashes, "sha256:%s", hex);
	free(hex);
	return 0;
}

static int install(const struct tmpl_plugin_req *q, const char *version, const struct strv *locked,
		   const struct plugin_install_opts *opts, struct outcome *o, struct kiln_error *err)
{
	struct plugin_install_result r;
	if (plugin_install(q->source, q->version, version, locked, opts, &r, err) < 0)
		return -1;
	o->how = xasprintf("installed %s from %s into %s", r.inst.version, r.from, r.inst.path);
	o->version = xstrdup(r.inst.version);
	o->protocol = xstrdup(r.inst.protocol);
	for (size_t i = 0; i < r.hashes.n; i++)
		strv_push(&o->hashes, r.hashes.v[i]);
	plugin_install_result_free(&r);
	return 0;
}

static int init_one(const struct tmpl_plugin_req *q, const struct plugin_lock *lock, bool upgrade,
		    const struct plugin_install_opts *opts, struct outcome *o, struct kiln_error *err)
{
	const struct plugin_lock_entry *e = upgrade ? NULL : plugin_lock_find(lock, q->source);
	struct plugin_list l;
	plugin_list_installed(q->source, &l);
	int rc = -1;
	if (e) {
		/* the lock decides the release; the constraint must still allow it */
		if (q->version && version_satisfies(q->version, e->version, NULL) != 1) {
			err_set(err, "the lock file records version %s, which does not satisfy \"%s\"", e->version, q->version);
			err_hint(err, "run kiln init -upgrade to choose a release that does");
			goto out;
		}
		const struct plugin_installed *p = newest_installed(&l, NULL, e->version);
		if (!p) {
			rc = install(q, e->version, &e->hashes, opts, o, err);
			goto out;
		}
		if (use_installed(p, o, err) < 0)
			goto out;
		if (!plugin_lock_has_hash(e, o->hashes.v[0] + 7)) {
			err_set(err, "the installed %s %s (%s) has the checksum %s, which the lock file does not record",
				q->source, p->version, p->path, o->hashes.v[0]);
			err_hint(err, "if you trust this file, run kiln init -upgrade to record it");
			goto out;
		}
		strv_free(&o->hashes);
		for (size_t i = 0; i < e->hashes.n; i++)
			strv_push(&o->hashes, e->hashes.v[i]);
		o->how = xasprintf("using %s (as locked), installed at %s", p->version, p->path);
		rc = 0;
		goto out;
	}
	const struct plugin_installed *p = upgrade ? NULL : newest_installed(&l, q->version, NULL);
	if (p) {
		rc = use_installed(p, o, err);
		if (rc == 0)
			o->how = xasprintf("using %s, installed at %s%s", p->version, p->path, p->bundled ? " (comes with kiln)" : "");
		goto out;
	}
	rc = install(q, NULL, NULL, opts, o, err);
out:
	plugin_list_free(&l);
	return rc;
}

static char *req_label(const struct tmpl_plugin_req *q)
{
	return xasprintf("Plugin \"%s\" (%s%s%s)", q->name, q->source ? q->source : "no source", q->version ? " " : "",
			 q->version ? q->version : "");
}

static int run_init(struct cli_args *a)
{
	struct hcl_diags d = HCL_DIAGS_INIT;
	struct tmpl *t = cli_load_template(a, a->argv[0], TMPL_SYNTAX_ONLY, true, &d);
	const struct tmpl_plugin_req *reqs;
	size_t n = tmpl_required_plugins(t, &reqs);
	const char *const *versions;
	const struct hcl_range *vranges;
	size_t nv = tmpl_required_versions(t, &versions, &vranges);
	for (size_t i = 0; i < nv; i++)
		if (!hcl_diags_has_errors(&d))
			printf("Packer version constraint \"%s\": satisfied (kiln implements Packer %s).\n", versions[i],
			       TMPL_PACKER_VERSION);
	for (size_t i = 0; i < n; i++) {
		char *why;
		if (!reqs[i].source)
			hcl_error(&d, &reqs[i].range, "Missing plugin source",
				  "The required plugin \"%s\" needs a source, such as source = \"github.com/ORG/%s\": it "
				  "says where kiln init finds the plugin.",
				  reqs[i].name, reqs[i].name);
		else if (!plugin_source_valid(reqs[i].source, &why))
			hcl_error(&d, &reqs[i].range, "Invalid plugin source", "%s.", why), free(why);
	}
	if (hcl_diags_has_errors(&d)) {
		cli_print_diags(stderr, &d, tmpl_files(t));
		return cli_template_done(t, &d, 1);
	}
	struct plugin_lock lock;
	struct kiln_error err = ERR_INIT;
	struct buf failures = BUF_INIT;
	int rc = 0;
	if (plugin_lock_read(tmpl_dir(t), &lock, &err) < 0) {
		char *m = err_text(&err);
		fprintf(stderr, "Error: %s\n%s\n", m, err.hint ? err.hint : "");
		free(m);
		err_clear(&err);
		plugin_lock_free(&lock);
		return cli_template_done(t, &d, 1);
	}
	struct plugin_install_opts opts = {cli_string(a, "plugin-mirror"), NULL};
	bool upgrade = cli_bool(a, "upgrade");
	struct strv keep = STRV_INIT;
	size_t installed = 0;
	for (size_t i = 0; i < n; i++) {
		const struct tmpl_plugin_req *q = &reqs[i];
		char *label = req_label(q);
		struct cli_req_result res;
		cli_req_check(q, &res);
		if (res.state == CLI_REQ_BUILTIN) {
			printf("%s: built into kiln as the %s, standing in for release %s.\n", label, res.provides,
			       res.release);
			if (upgrade)
				printf("Plugin \"%s\": -upgrade has nothing to upgrade: the built-in %s changes with kiln "
				       "itself (newest release it stands in for: %s).\n",
				       q->name, res.provides, res.newest);
		} else if (res.state == CLI_REQ_VERSION) {
			cli_req_version_error(q, &res, &d);
			rc = 1;
		} else {
			struct outcome o = {0};
			strv_push(&keep, q->source); /* a failure keeps what the lock said */
			if (init_one(q, &lock, upgrade, &opts, &o, &err) == 0) {
				printf("%s: %s.\n", label, o.how);
				plugin_lock_set(&lock, q->source, o.version, q->version, o.protocol, &o.hashes);
				installed++;
			} else {
				char *m = err_text(&err);
				printf("%s: failed (see below).\n", label);
				buf_printf(&failures, "Error: %s: %s\n", label, m);
				if (err.hint)
					buf_printf(&failures, "  %s\n", err.hint);
				free(m);
				err_clear(&err);
				rc = 1;
			}
			outcome_free(&o);
		}
		cli_req_result_free(&res);
		free(label);
		fflush(stdout);
	}
	if (n == 0)
		puts("No plugins required.");
	plugin_lock_retain(&lock, &keep);
	/* no lock file for nothing: a template whose only plugin failed gets none */
	if (installed || lock.exists) {
		if (plugin_lock_write(&lock, &err) < 0) {
			char *m = err_text(&err);
			buf_printf(&failures, "Error: %s\n", m);
			free(m);
			err_clear(&err);
			rc = 1;
		} else {
			printf("%s %s (%zu plugin%s).\n", lock.exists ? "Updated" : "Wrote", lock.path, lock.n, lock.n == 1 ? "" : "s");
		}
	}
	fputs(buf_cstr(&failures), stderr);
	cli_print_diags(stderr, &d, tmpl_files(t));
	buf_free(&failures);
	strv_free(&keep);
	plugin_lock_free(&lock);
	return cli_template_done(t, &d, rc);
}

const struct cli_command cmd_init = {
	.name = "init",
	.synopsis = "Installs the plugins a template requires and locks them",
	.usage = "kiln init [options] PATH",
	.help = "  Reads the packer { required_version, required_plugins } blocks of the template in PATH.\n"
		"  A required plugin that kiln builds in (github.com/hashicorp/qemu, ...) is reported as\n"
		"  such. Every other one is installed, unless a release that satisfies its version\n"
		"  constraint is installed already: the newest release that satisfies it and that this\n"
		"  kiln can run, from the mirror (-plugin-mirror, KILN_PLUGIN_MIRROR) or from the source's\n"
		"  GitHub releases, verified against the release's SHA256SUMS, into $KILN_PLUGIN_PATH or\n"
		"  ~/.config/kiln/plugins. init then records each plugin's version and checksums in\n"
		"  .kiln.lock.hcl beside the template; kiln build and kiln validate use exactly those and\n"
		"  refuse a plugin that does not match. With the lock file present, init installs the\n"
		"  locked releases; -upgrade chooses again. required_version is checked against the Packer\n"
		"  release whose template language kiln implements (" TMPL_PACKER_VERSION ").\n"
		"\n"
		"  Exit status: 0 when every requirement is satisfied, 1 otherwise (each one is still\n"
		"  listed with how it was satisfied).\n",
	.flags = (const struct cli_flag[]){
		{"upgrade", CLI_BOOL, NULL, "false", "Choose the newest releases that satisfy the constraints again, and update the lock file."},
		{"plugin-mirror", CLI_STRING, "URL", NULL, "Install from this mirror (a directory or an http(s) URL) instead of GitHub; default $KILN_PLUGIN_MIRROR."},
		{NULL},
	},
	.min_args = 1,
	.max_args = 1,
	.run = run_init,
	.winds_down = true,
};
