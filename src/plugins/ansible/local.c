/* local.c — provisioner "ansible-local": the playbook and what it needs are uploaded through kiln's
 * communicator into a staging directory on the machine, and ansible-playbook runs there against
 * 127.0.0.1 (-c local), as Packer's ansible-local does. Every path and value kiln puts on the remote
 * command line is quoted; `command` and `extra_arguments` are shell text, as in Packer. */
#define _GNU_SOURCE
#include "ansible.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STAGING_PARENT "/tmp/packer-provisioner-ansible-local"

static const char local_schema[] =
	"{\"attributes\": ["
	"{\"name\": \"playbook_file\", \"type\": \"string\", \"description\": \"The playbook to run (a local file, "
	"uploaded).\"},"
	"{\"name\": \"playbook_files\", \"type\": \"list(string)\", \"description\": \"Playbooks to run one after the "
	"other (instead of playbook_file).\"},"
	"{\"name\": \"playbook_dir\", \"type\": \"string\", \"description\": \"A directory uploaded whole as the staging "
	"directory (playbooks, roles, vars).\"},"
	"{\"name\": \"playbook_paths\", \"type\": \"list(string)\", \"description\": \"Directories of more playbooks, "
	"uploaded into the staging directory's playbooks/.\"},"
	"{\"name\": \"role_paths\", \"type\": \"list(string)\", \"description\": \"Role directories, uploaded into the "
	"staging directory's roles/.\"},"
	"{\"name\": \"collection_paths\", \"type\": \"list(string)\", \"description\": \"Collection directories, uploaded "
	"into the staging directory's collections/.\"},"
	"{\"name\": \"group_vars\", \"type\": \"string\", \"description\": \"A group_vars directory to upload.\"},"
	"{\"name\": \"host_vars\", \"type\": \"string\", \"description\": \"A host_vars directory to upload.\"},"
	"{\"name\": \"inventory_file\", \"type\": \"string\", \"description\": \"An inventory to upload and use instead "
	"of the generated one (127.0.0.1).\"},"
	"{\"name\": \"inventory_groups\", \"type\": \"list(string)\", \"description\": \"Groups 127.0.0.1 is in, in the "
	"generated inventory.\"},"
	"{\"name\": \"extra_arguments\", \"type\": \"list(string)\", \"description\": \"More arguments for "
	"ansible-playbook: shell text on the machine, as in Packer.\"},"
	"{\"name\": \"command\", \"type\": \"string\", \"default\": \"ANSIBLE_FORCE_COLOR=1 PYTHONUNBUFFERED=1 "
	"ansible-playbook\", \"description\": \"The command that runs ansible-playbook on the machine (shell text).\"},"
	"{\"name\": \"staging_directory\", \"type\": \"string\", \"description\": \"Where the files go on the machine "
	"(default: a new directory under " STAGING_PARENT ").\"},"
	"{\"name\": \"clean_staging_directory\", \"type\": \"bool\", \"default\": false, \"description\": \"Remove the "
	"staging directory when done.\"},"
	"{\"name\": \"galaxy_file\", \"type\": \"string\", \"description\": \"A requirements file, uploaded and "
	"installed with ansible-galaxy on the machine.\"},"
	"{\"name\": \"galaxy_command\", \"type\": \"string\", \"default\": \"ansible-galaxy\", \"description\": \"The "
	"ansible-galaxy command on the machine.\"},"
	"{\"name\": \"galaxy_force_install\", \"type\": \"bool\", \"default\": false, \"description\": \"Install again "
	"what is already installed (-f).\"},"
	"{\"name\": \"galaxy_roles_path\", \"type\": \"string\", \"description\": \"Where galaxy installs roles on the "
	"machine (default: galaxy_roles in the staging directory).\"},"
	"{\"name\": \"galaxy_collections_path\", \"type\": \"string\", \"description\": \"Where galaxy installs "
	"collections on the machine (default: galaxy_collections in the staging directory).\"}"
	"], \"conflicts\": [[\"playbook_file\", \"playbook_files\"]]}";

static int local_prepare(struct kp_ctx *ctx, void **instance)
{
	const struct kp_json *c = kp_config(ctx);
	*instance = NULL;
	const char *pb = kp_json_get_string(c, "playbook_file", NULL);
	const struct kp_json *pbs = kp_json_get(c, "playbook_files");
	if ((!pb || !*pb) && !kp_json_len(pbs) && !ans_unknown(ctx, "playbook_file") && !ans_unknown(ctx, "playbook_files"))
		return kp_config_error(ctx, "playbook_file", "Either playbook_file or playbook_files must be specified");
	if (ans_check_file(ctx, "playbook_file", pb) < 0 || ans_check_file(ctx, "inventory_file", kp_json_get_string(c, "inventory_file", NULL)) < 0 ||
	    ans_check_file(ctx, "galaxy_file", kp_json_get_string(c, "galaxy_file", NULL)) < 0 ||
	    ans_check_dir(ctx, "playbook_dir", kp_json_get_string(c, "playbook_dir", NULL)) < 0 ||
	    ans_check_dir(ctx, "group_vars", kp_json_get_string(c, "group_vars", NULL)) < 0 ||
	    ans_check_dir(ctx, "host_vars", kp_json_get_string(c, "host_vars", NULL)) < 0)
		return -1;
	for (size_t i = 0; i < kp_json_len(pbs); i++)
		if (ans_check_file(ctx, "playbook_files", kp_json_as_string(kp_json_at(pbs, i))) < 0)
			return -1;
	static const char *const dir_lists[] = {"playbook_paths", "role_paths", "collection_paths", NULL};
	for (size_t k = 0; dir_lists[k]; k++) {
		const struct kp_json *l = kp_json_get(c, dir_lists[k]);
		for (size_t i = 0; i < kp_json_len(l); i++)
			if (ans_check_dir(ctx, dir_lists[k], kp_json_as_string(kp_json_at(l, i))) < 0)
				return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------------ */

struct lrun {
	struct kp_ctx *ctx;
	const struct kp_json *cfg;
	char *staging;
	struct ans_tail tail;
};

static void on_line(void *arg, bool is_stderr, const char *line)
{
	struct lrun *r = arg;
	ans_tail_add(&r->tail, line);
	if (is_stderr)
		kp_error(r->ctx, "%s", line);
	else
		kp_message(r->ctx, "%s", line);
}

/* Run a command on the machine; a non-zero status fails with what it printed. */
static int remote(struct lrun *r, const char *what, const char *command, int *status_out)
{
	int status;
	ans_tail_free(&r->tail);
	if (kp_exec(r->ctx, command, on_line, r, &status) < 0)
		return -1;
	if (status_out) {
		*status_out = status;
		return 0;
	}
	if (status != 0) {
		char *t = ans_tail_text(&r->tail);
		int rc = kp_fail(r->ctx, "%s: non-zero exit status %d%s%s", what, status, *t ? ":\n" : "", t);
		free(t);
		return rc;
	}
	return 0;
}

static char *staged(struct lrun *r, const char *rel)
{
	return kp_printf("%s/%s", r->staging, rel);
}

static int make_dir(struct lrun *r, const char *dir)
{
	char *q = kp_shell_quote(dir);
	char *cmd = kp_printf("mkdir -p %s", q);
	kp_say(r->ctx, "Creating directory: %s", dir);
	int rc = remote(r, "Error creating directory", cmd, NULL);
	free(cmd);
	free(q);
	return rc;
}

static const char *base_of(const char *path, char **owned)
{
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	*owned = kp_printf("%.*s", (int)n, path);
	const char *slash = strrchr(*owned, '/');
	return slash ? slash + 1 : *owned;
}

/* Packer's uploadDir: the directory's contents into dst. */
static int upload_dir(struct lrun *r, const char *dst, const char *src)
{
	if (make_dir(r, dst) < 0)
		return -1;
	size_t n = strlen(src);
	char *contents = kp_printf("%s%s", src, n && src[n - 1] == '/' ? "" : "/");
	int rc = kp_upload_dir(r->ctx, contents, dst);
	free(contents);
	return rc;
}

static int upload_file(struct lrun *r, const char *src, const char *dst)
{
	return kp_upload_file(r->ctx, src, dst);
}

static int upload_named(struct lrun *r, const char *what, const char *src)
{
	char *owned;
	const char *b = base_of(src, &owned);
	char *dst = staged(r, b);
	kp_say(r->ctx, "Uploading %s...", what);
	int rc = upload_file(r, src, dst);
	free(dst);
	free(owned);
	return rc;
}

/* The remote path of each playbook, relative to the staging directory, uploading those not already
 * there (Packer: files under playbook_dir are there; others go to staging + their absolute path). */
static int stage_playbooks(struct lrun *r, struct ans_strv *remote_pbs)
{
	const struct kp_json *c = r->cfg;
	const char *pb = kp_json_get_string(c, "playbook_file", NULL);
	if (pb && *pb) {
		if (upload_named(r, "main Playbook file", pb) < 0)
			return -1;
		char *owned;
		ans_strv_push_owned(remote_pbs, staged(r, base_of(pb, &owned)));
		free(owned);
		return 0;
	}
	const char *pdir = kp_json_get_string(c, "playbook_dir", NULL);
	char *pdir_abs = pdir && *pdir ? ans_abs_path(pdir) : NULL;
	const struct kp_json *pbs = kp_json_get(c, "playbook_files");
	int rc = 0;
	for (size_t i = 0; i < kp_json_len(pbs) && rc == 0; i++) {
		char *abs = ans_abs_path(kp_json_as_string(kp_json_at(pbs, i)));
		size_t n = pdir_abs ? strlen(pdir_abs) : 0;
		if (pdir_abs && strncmp(abs, pdir_abs, n) == 0 && abs[n] == '/') {
			ans_strv_push_owned(remote_pbs, staged(r, abs + n + 1));
		} else {
			kp_say(r->ctx, "Uploading playbook file: %s", abs);
			char *dst = kp_printf("%s%s", r->staging, abs);
			char *dir = kp_printf("%s", dst);
			*strrchr(dir, '/') = '\0';
			rc = make_dir(r, dir);
			if (rc == 0)
				rc = upload_file(r, abs, dst);
			ans_strv_push_owned(remote_pbs, dst);
			free(dir);
		}
		free(abs);
	}
	free(pdir_abs);
	return rc;
}

static int stage_dirs(struct lrun *r, const char *key, const char *sub, const char *what)
{
	const struct kp_json *l = kp_json_get(r->cfg, key);
	if (!kp_json_len(l))
		return 0;
	kp_say(r->ctx, "Uploading %s...", what);
	for (size_t i = 0; i < kp_json_len(l); i++) {
		const char *src = kp_json_as_string(kp_json_at(l, i));
		char *owned;
		const char *b = base_of(src, &owned);
		char *dst = kp_printf("%s/%s/%s", r->staging, sub, b);
		int rc = upload_dir(r, dst, src);
		free(dst);
		free(owned);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int stage_inventory(struct lrun *r, char **remote_inv)
{
	const struct kp_json *c = r->cfg;
	const char *inv = kp_json_get_string(c, "inventory_file", NULL);
	if (inv && *inv) {
		char *owned;
		*remote_inv = staged(r, base_of(inv, &owned));
		free(owned);
		kp_say(r->ctx, "Uploading inventory file...");
		return upload_file(r, inv, *remote_inv);
	}
	struct ans_buf b = ANS_BUF_INIT;
	const struct kp_json *groups = kp_json_get(c, "inventory_groups");
	for (size_t i = 0; i < kp_json_len(groups); i++)
		ans_buf_printf(&b, "[%s]\n127.0.0.1\n", kp_json_as_string(kp_json_at(groups, i)));
	if (!kp_json_len(groups))
		ans_buf_puts(&b, "127.0.0.1\n");
	*remote_inv = staged(r, "packer-provisioner-ansible-local-inventory");
	kp_say(r->ctx, "Uploading inventory file...");
	int rc = kp_upload_data(r->ctx, b.s, b.n, *remote_inv, 0644);
	ans_buf_free(&b);
	return rc;
}

static char *galaxy_roles_path(struct lrun *r)
{
	const char *p = kp_json_get_string(r->cfg, "galaxy_roles_path", NULL);
	return p && *p ? kp_printf("%s", p) : staged(r, "galaxy_roles");
}

static char *galaxy_collections_path(struct lrun *r)
{
	const char *p = kp_json_get_string(r->cfg, "galaxy_collections_path", NULL);
	return p && *p ? kp_printf("%s", p) : staged(r, "galaxy_collections");
}

static int run_galaxy(struct lrun *r, bool roles, bool colls)
{
	const struct kp_json *c = r->cfg;
	char *owned;
	char *file = staged(r, base_of(kp_json_get_string(c, "galaxy_file", ""), &owned));
	free(owned);
	int rc = 0;
	for (int pass = 0; pass < 2 && rc == 0; pass++) {
		if ((pass == 0 && !roles) || (pass == 1 && !colls))
			continue;
		char *dest = pass == 0 ? galaxy_roles_path(r) : galaxy_collections_path(r);
		char *sq = kp_shell_quote(r->staging), *fq = kp_shell_quote(file), *dq = kp_shell_quote(dest);
		char *cmd = kp_printf("cd %s && %s %sinstall -r %s -p %s%s", sq, kp_json_get_string(c, "galaxy_command", "ansible-galaxy"),
				      pass ? "collection " : "", fq, dq, kp_json_get_bool(c, "galaxy_force_install", false) ? " -f" : "");
		kp_say(r->ctx, "Executing Ansible Galaxy: %s", cmd);
		rc = remote(r, "Error executing Ansible Galaxy", cmd, NULL);
		free(cmd);
		free(sq);
		free(fq);
		free(dq);
		free(dest);
	}
	free(file);
	return rc;
}

static char *extra_vars(struct kp_ctx *ctx)
{
	struct kp_json *v = ans_packer_vars(ctx);
	char *text = kp_json_dump(v);
	kp_json_free(v);
	char *q = kp_shell_quote(text);
	free(text);
	return q;
}

static int run_playbooks(struct lrun *r, const struct ans_strv *pbs, const char *inventory, bool g_roles, bool g_colls)
{
	const struct kp_json *c = r->cfg;
	struct ans_buf env = ANS_BUF_INIT, extra = ANS_BUF_INIT;
	bool have_colls = kp_json_len(kp_json_get(c, "collection_paths")) > 0;
	if (g_colls || have_colls) {
		ans_buf_puts(&env, "ANSIBLE_COLLECTIONS_PATH=\"$ANSIBLE_COLLECTIONS_PATH\"");
		if (g_colls) {
			char *p = galaxy_collections_path(r), *q = kp_shell_quote(p);
			ans_buf_printf(&env, ":%s", q);
			free(q);
			free(p);
		}
		if (have_colls) {
			char *p = staged(r, "collections"), *q = kp_shell_quote(p);
			ans_buf_printf(&env, ":%s", q);
			free(q);
			free(p);
		}
		ans_buf_puts(&env, " ");
	}
	if (g_roles) {
		char *p = galaxy_roles_path(r), *q = kp_shell_quote(p);
		ans_buf_printf(&env, "ANSIBLE_ROLES_PATH=\"$ANSIBLE_ROLES_PATH\":%s ", q);
		free(q);
		free(p);
	}
	const struct kp_json *ea = kp_json_get(c, "extra_arguments");
	for (size_t i = 0; i < kp_json_len(ea); i++)
		ans_buf_printf(&extra, " %s", kp_json_as_string(kp_json_at(ea, i)));
	char *vars = extra_vars(r->ctx);
	char *sq = kp_shell_quote(r->staging), *iq = kp_shell_quote(inventory);
	const char *command = kp_json_get_string(c, "command", "ansible-playbook");
	int rc = 0;
	for (size_t i = 0; i < pbs->n && rc == 0; i++) {
		char *pq = kp_shell_quote(pbs->v[i]);
		char *cmd = kp_printf("cd %s && %s%s %s --extra-vars %s%s -c local -i %s", sq, ans_buf_cstr(&env), command, pq, vars,
				      ans_buf_cstr(&extra), iq);
		kp_say(r->ctx, "Executing Ansible: %s", cmd);
		int status;
		rc = remote(r, "Error executing Ansible", cmd, &status);
		if (rc == 0 && status != 0) {
			char *t = ans_tail_text(&r->tail);
			if (status == 127)
				kp_hint(r->ctx, "install Ansible on the machine (Debian: apt-get install ansible-core) before this "
						"provisioner, or set command");
			if (status == 127)
				rc = kp_fail(r->ctx, "Error executing Ansible: %s could not be found on the machine%s%s", command,
					     *t ? ":\n" : "", t);
			else
				rc = kp_fail(r->ctx, "Error executing Ansible: non-zero exit status %d%s%s", status, *t ? ":\n" : "", t);
			free(t);
		}
		free(cmd);
		free(pq);
	}
	free(sq);
	free(iq);
	free(vars);
	ans_buf_free(&env);
	ans_buf_free(&extra);
	return rc;
}

static char *new_staging_dir(void)
{
	unsigned char rnd[8];
	FILE *f = fopen("/dev/urandom", "re");
	if (!f || fread(rnd, 1, sizeof rnd, f) != sizeof rnd) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		memcpy(rnd, &ts.tv_nsec, sizeof rnd < sizeof ts.tv_nsec ? sizeof rnd : sizeof ts.tv_nsec);
	}
	if (f)
		fclose(f);
	return kp_printf(STAGING_PARENT "/%02x%02x%02x%02x-%02x%02x-%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5],
			 rnd[6], rnd[7]);
}

static int local_provision(struct kp_ctx *ctx, void *instance)
{
	(void)instance;
	struct lrun r = {.ctx = ctx, .cfg = kp_config(ctx), .tail = {ANS_STRV_INIT, ANS_STRV_INIT}};
	const struct kp_json *c = r.cfg;
	const char *sd = kp_json_get_string(c, "staging_directory", NULL);
	r.staging = sd && *sd ? kp_printf("%s", sd) : new_staging_dir();
	struct ans_strv pbs = ANS_STRV_INIT;
	char *inventory = NULL;
	bool g_roles = false, g_colls = false;
	int rc = 0;

	kp_say(ctx, "Provisioning with Ansible...");
	if (!kp_has_communicator(ctx)) {
		kp_hint(ctx, "ansible-local runs Ansible on the machine through the build's communicator; give the source one");
		rc = kp_fail(ctx, "the build has no communicator (communicator = \"none\")");
		goto out;
	}
	const char *pdir = kp_json_get_string(c, "playbook_dir", NULL);
	if (pdir && *pdir) {
		kp_say(ctx, "Uploading Playbook directory to Ansible staging directory...");
		rc = upload_dir(&r, r.staging, pdir);
	} else {
		kp_say(ctx, "Creating Ansible staging directory...");
		rc = make_dir(&r, r.staging);
	}
	if (rc == 0)
		rc = stage_playbooks(&r, &pbs);
	if (rc == 0)
		rc = stage_inventory(&r, &inventory);
	const char *gf = kp_json_get_string(c, "galaxy_file", NULL);
	if (rc == 0 && gf && *gf) {
		char *text = ans_read_file(gf);
		if (!text) {
			rc = kp_fail(ctx, "cannot read galaxy_file %s: %s", gf, strerror(errno));
		} else {
			ans_galaxy_kinds(text, &g_roles, &g_colls);
			free(text);
			rc = upload_named(&r, "galaxy file", gf);
		}
	}
	const char *gv = kp_json_get_string(c, "group_vars", NULL), *hv = kp_json_get_string(c, "host_vars", NULL);
	if (rc == 0 && gv && *gv) {
		kp_say(ctx, "Uploading group_vars directory...");
		char *dst = staged(&r, "group_vars");
		rc = upload_dir(&r, dst, gv);
		free(dst);
	}
	if (rc == 0 && hv && *hv) {
		kp_say(ctx, "Uploading host_vars directory...");
		char *dst = staged(&r, "host_vars");
		rc = upload_dir(&r, dst, hv);
		free(dst);
	}
	if (rc == 0)
		rc = stage_dirs(&r, "role_paths", "roles", "role directories");
	if (rc == 0)
		rc = stage_dirs(&r, "collection_paths", "collections", "collection directories");
	if (rc == 0)
		rc = stage_dirs(&r, "playbook_paths", "playbooks", "additional Playbooks");
	if (rc == 0 && gf && *gf)
		rc = run_galaxy(&r, g_roles, g_colls);
	if (rc == 0)
		rc = run_playbooks(&r, &pbs, inventory, g_roles, g_colls);
	if (kp_json_get_bool(c, "clean_staging_directory", false) && !kp_cancelled(ctx)) {
		/* also after a failure (keeping its error): nothing stays that the user asked to remove */
		kp_say(ctx, "Removing staging directory...");
		char *q = kp_shell_quote(r.staging);
		char *cmd = kp_printf("rm -rf %s", q);
		int status, crc = remote(&r, "Error removing staging directory", cmd, rc < 0 ? &status : NULL);
		free(cmd);
		free(q);
		if (rc == 0)
			rc = crc;
	}
out:
	ans_strv_free(&pbs);
	ans_tail_free(&r.tail);
	free(inventory);
	free(r.staging);
	return rc;
}

const struct kp_provisioner ans_local_provisioner = {
	.name = "local",
	.description = "Uploads Ansible playbooks to the machine and runs them there (ansible-playbook -c local).",
	.schema = local_schema,
	.prepare = local_prepare,
	.provision = local_provision,
};
