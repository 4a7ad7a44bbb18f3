/* remote.c — provisioner "ansible": ansible-playbook runs on this machine and connects straight to the
 * guest's SSH server, with the address, user and key the build already has (no proxy adapter in
 * front of kiln's communicator, unlike Packer). The machine must show the host key the communicator
 * pinned (build value SSHHostKey), written to a known_hosts file of the run's own; ~/.ssh is never
 * read or written. */
#define _GNU_SOURCE
#include "ansible.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char remote_schema[] =
	"{\"attributes\": ["
	"{\"name\": \"playbook_file\", \"type\": \"string\", \"description\": \"The playbook to run (a local file).\"},"
	"{\"name\": \"playbook_files\", \"type\": \"list(string)\", \"description\": \"Playbooks to run, in order, in one "
	"ansible-playbook run (instead of playbook_file).\"},"
	"{\"name\": \"command\", \"type\": \"string\", \"default\": \"ansible-playbook\", \"description\": \"The program "
	"to run (found on PATH; no shell).\"},"
	"{\"name\": \"extra_arguments\", \"type\": \"list(string)\", \"description\": \"More arguments for "
	"ansible-playbook, after kiln's own.\"},"
	"{\"name\": \"ansible_env_vars\", \"type\": \"list(string)\", \"description\": \"KEY=VALUE environment "
	"variables for ansible-playbook and ansible-galaxy (they override kiln's).\"},"
	"{\"name\": \"ansible_ssh_extra_args\", \"type\": \"list(string)\", \"description\": \"Arguments for ssh "
	"(--ssh-extra-args); default -o IdentitiesOnly=yes.\"},"
	"{\"name\": \"groups\", \"type\": \"list(string)\", \"description\": \"Inventory groups the machine is in.\"},"
	"{\"name\": \"empty_groups\", \"type\": \"list(string)\", \"description\": \"Inventory groups with no host.\"},"
	"{\"name\": \"host_alias\", \"type\": \"string\", \"default\": \"default\", \"description\": \"The machine's "
	"name in the inventory.\"},"
	"{\"name\": \"user\", \"type\": \"string\", \"description\": \"ansible_user. With use_proxy = false it is the "
	"user Ansible logs in as (default: the build's SSH user); with the default use_proxy, Ansible logs in as the "
	"build's SSH user, as through Packer's proxy.\"},"
	"{\"name\": \"inventory_file\", \"type\": \"string\", \"description\": \"An inventory to use instead of the "
	"generated one.\"},"
	"{\"name\": \"inventory_directory\", \"type\": \"string\", \"description\": \"Where to write the generated "
	"inventory (default: a private temporary directory).\"},"
	"{\"name\": \"inventory_file_template\", \"type\": \"string\", \"description\": \"The generated inventory's host "
	"line, with {{ .HostAlias }}, {{ .Host }}, {{ .Port }}, {{ .User }} and the build's other values.\"},"
	"{\"name\": \"keep_inventory_file\", \"type\": \"bool\", \"default\": false, \"description\": \"Keep the "
	"generated inventory after the run (its path is printed).\"},"
	"{\"name\": \"galaxy_file\", \"type\": \"string\", \"description\": \"A requirements file for ansible-galaxy "
	"(roles and collections), installed before the playbook runs.\"},"
	"{\"name\": \"galaxy_command\", \"type\": \"string\", \"default\": \"ansible-galaxy\", \"description\": \"The "
	"ansible-galaxy program.\"},"
	"{\"name\": \"galaxy_force_install\", \"type\": \"bool\", \"default\": false, \"description\": \"Install again "
	"what is already installed (-f).\"},"
	"{\"name\": \"galaxy_force_with_deps\", \"type\": \"bool\", \"default\": false, \"description\": \"Install "
	"again, with dependencies (--force-with-deps).\"},"
	"{\"name\": \"roles_path\", \"type\": \"string\", \"description\": \"Where galaxy installs roles; the playbook "
	"finds roles there too (ANSIBLE_ROLES_PATH).\"},"
	"{\"name\": \"collections_path\", \"type\": \"string\", \"description\": \"Where galaxy installs collections; "
	"the playbook finds them there too (ANSIBLE_COLLECTIONS_PATH).\"},"
	"{\"name\": \"skip_version_check\", \"type\": \"bool\", \"default\": false, \"description\": \"Do not run "
	"ansible-playbook --version before the playbook, nor look for it on PATH while preparing.\"},"
	"{\"name\": \"use_sftp\", \"type\": \"bool\", \"default\": false, \"description\": \"Transfer files with sftp "
	"only; by default Ansible tries sftp, then scp (legacy protocol), then a pipe.\"},"
	"{\"name\": \"use_proxy\", \"type\": \"bool\", \"default\": true, \"description\": \"Accepted either way: kiln "
	"has no proxy adapter and always connects Ansible to the machine directly.\"},"
	"{\"name\": \"local_port\", \"type\": \"number\", \"ignored\": true, \"description\": \"The proxy's port in "
	"Packer; kiln has no proxy.\"},"
	"{\"name\": \"ssh_host_key_file\", \"type\": \"string\", \"ignored\": true, \"description\": \"The proxy's host "
	"key in Packer; kiln has no proxy (the machine's own host key is pinned).\"},"
	"{\"name\": \"ssh_authorized_key_file\", \"type\": \"string\", \"ignored\": true, \"description\": \"The key "
	"Ansible uses with Packer's proxy; kiln uses the build's own key.\"},"
	"{\"name\": \"ansible_proxy_key_type\", \"type\": \"string\", \"ignored\": true, \"description\": \"The proxy's "
	"key type in Packer; kiln has no proxy.\"},"
	"{\"name\": \"sftp_command\", \"type\": \"string\", \"ignored\": true, \"description\": \"The proxy's sftp "
	"server in Packer; kiln has no proxy.\"},"
	"{\"name\": \"ansible_winrm_use_http\", \"type\": \"bool\", \"ignored\": true, \"description\": \"WinRM only; "
	"kiln connects over SSH.\"}"
	"], \"conflicts\": [[\"playbook_file\", \"playbook_files\"]]}";

/* ------------------------------------------------------------------------------------------------
 * prepare */

/* Packer runs `ansible-playbook --version` while preparing. A Python start costs seconds on a busy
 * machine and kiln prepares twice per build (its checks before anything starts, then the run), so
 * prepare only looks for the program and the version is asked once, when the provisioner runs. */
static int check_command(struct kp_ctx *ctx, const char *command)
{
	if (ans_on_path(command))
		return 0;
	kp_hint(ctx, "install Ansible (Debian: apt-get install ansible-core), set command to where ansible-playbook "
		     "is, or set skip_version_check = true");
	return kp_config_error(ctx, "command", "%s was not found on PATH", command);
}

static int check_version(struct kp_ctx *ctx, const char *command)
{
	struct ans_strv argv = ANS_STRV_INIT;
	ans_strv_push(&argv, command);
	ans_strv_push(&argv, "--version");
	char *out = NULL, *why = NULL;
	int status, rc = 0;
	if (ans_capture(&argv, &out, &status, &why) < 0 || status != 0) {
		char *nl = out ? strchr(out, '\n') : NULL;
		if (nl)
			*nl = '\0';
		kp_hint(ctx, "check the Ansible installation, or set skip_version_check = true");
		rc = kp_fail(ctx, "Error running \"%s --version\": %s", command, why ? why : out && *out ? out : "no output");
	} else {
		char *nl = strchr(out, '\n');
		if (nl)
			*nl = '\0';
		kp_log(ctx, "ansible: %s", out);
	}
	free(out);
	free(why);
	ans_strv_free(&argv);
	return rc;
}

static int remote_prepare(struct kp_ctx *ctx, void **instance)
{
	const struct kp_json *c = kp_config(ctx);
	*instance = NULL;
	const char *pb = kp_json_get_string(c, "playbook_file", NULL);
	const struct kp_json *pbs = kp_json_get(c, "playbook_files");
	if ((!pb || !*pb) && !kp_json_len(pbs) && !ans_unknown(ctx, "playbook_file") && !ans_unknown(ctx, "playbook_files"))
		return kp_config_error(ctx, "playbook_file", "playbook_file must be specified.");
	if (ans_check_file(ctx, "playbook_file", pb) < 0)
		return -1;
	for (size_t i = 0; i < kp_json_len(pbs); i++)
		if (ans_check_file(ctx, "playbook_files", kp_json_as_string(kp_json_at(pbs, i))) < 0)
			return -1;
	if (ans_check_file(ctx, "galaxy_file", kp_json_get_string(c, "galaxy_file", NULL)) < 0 ||
	    ans_check_file(ctx, "inventory_file", kp_json_get_string(c, "inventory_file", NULL)) < 0 ||
	    ans_check_dir(ctx, "inventory_directory", kp_json_get_string(c, "inventory_directory", NULL)) < 0)
		return -1;
	const char *tmpl = kp_json_get_string(c, "inventory_file_template", NULL);
	if (tmpl && kp_json_get_string(c, "inventory_file", NULL))
		kp_warning(ctx, "inventory_file_template has no effect with inventory_file: the inventory is %s",
			   kp_json_get_string(c, "inventory_file", NULL));
	for (size_t i = 0; i < kp_json_len(kp_json_get(c, "ansible_env_vars")); i++) {
		const char *e = kp_json_as_string(kp_json_at(kp_json_get(c, "ansible_env_vars"), i));
		if (e && (!strchr(e, '=') || *e == '='))
			return kp_config_error(ctx, "ansible_env_vars", "\"%s\" is not KEY=VALUE", e);
	}
	if (!kp_json_get_bool(c, "skip_version_check", false) && !ans_unknown(ctx, "command"))
		return check_command(ctx, kp_json_get_string(c, "command", "ansible-playbook"));
	return 0;
}

/* ------------------------------------------------------------------------------------------------
 * provision */

struct run {
	struct kp_ctx *ctx;
	const struct kp_json *cfg;
	char *dir;                 /* the run's private directory */
	char *key_file;            /* the private key Ansible uses, or NULL (password) */
	char *password;            /* the build's password when there is no key */
	char *user;                /* whom Ansible logs in as */
	char *inventory;           /* the inventory passed with -i */
	char *galaxy_file;         /* the requirements left for galaxy after directory roles */
	bool remove_inventory;     /* generated outside dir and not kept */
	struct ans_strv env;       /* environment additions */
	struct ans_strv secrets;   /* masked in printed command lines */
};

static const char *value(struct kp_ctx *ctx, const char *key)
{
	const char *v = kp_build_value(ctx, key);
	return v ? v : "";
}

static const char *inventory_value(void *arg, const char *name)
{
	struct run *r = arg;
	if (strcmp(name, "HostAlias") == 0)
		return kp_json_get_string(r->cfg, "host_alias", "default");
	if (strcmp(name, "User") == 0)
		return r->user;
	return kp_build_value(r->ctx, name);
}

static int write_inventory(struct run *r)
{
	struct kp_ctx *ctx = r->ctx;
	const char *given = kp_json_get_string(r->cfg, "inventory_file", NULL);
	if (given && *given) {
		r->inventory = ans_abs_path(given);
		return 0;
	}
	const char *tmpl = kp_json_get_string(r->cfg, "inventory_file_template", NULL);
	char *host_line;
	if (tmpl && *tmpl) {
		char *why = NULL;
		host_line = ans_render_template(tmpl, inventory_value, r, &why);
		if (!host_line) {
			kp_hint(ctx, "inventory_file_template takes {{ .Name }} values only, as Packer's does");
			int rc = kp_fail(ctx, "Error generating inventory file from template: %s", why);
			free(why);
			return rc;
		}
	} else {
		host_line = kp_printf("%s ansible_host=%s ansible_user=%s ansible_port=%s\n",
				      kp_json_get_string(r->cfg, "host_alias", "default"), value(ctx, "Host"), r->user,
				      value(ctx, "Port"));
	}
	char *text = ans_inventory(host_line, kp_json_get(r->cfg, "groups"), kp_json_get(r->cfg, "empty_groups"));
	free(host_line);
	const char *idir = kp_json_get_string(r->cfg, "inventory_directory", NULL);
	bool keep = kp_json_get_bool(r->cfg, "keep_inventory_file", false);
	int rc = 0;
	if ((idir && *idir) || keep) {
		/* where the user will look for it: Packer's name, in inventory_directory or $TMPDIR */
		const char *t = getenv("TMPDIR");
		char *path = kp_printf("%s/packer-provisioner-ansibleXXXXXX", idir && *idir ? idir : t && *t ? t : "/tmp");
		int fd = mkstemp(path);
		if (fd < 0) {
			rc = kp_fail(ctx, "Error preparing inventory file: cannot create %s: %s", path, strerror(errno));
			free(path);
			goto out;
		}
		close(fd);
		r->inventory = ans_abs_path(path);
		free(path);
		r->remove_inventory = !keep;
	} else {
		r->inventory = kp_printf("%s/inventory", r->dir);
	}
	if (ans_write_file(r->inventory, text, 0600) < 0)
		rc = kp_fail(ctx, "Error preparing inventory file: cannot write %s: %s", r->inventory, strerror(errno));
	else if (keep)
		kp_say(ctx, "Keeping the inventory file: %s", r->inventory);
out:
	free(text);
	return rc;
}

/* The name the machine's host key is filed under in the run's known_hosts (HostKeyAlias): the same
 * whatever address and port Ansible reaches the machine at. */
#define MACHINE_ALIAS "kiln-build-machine"

/* ssh options that make Ansible's connections behave like kiln's communicator: the machine must show
 * the host key the communicator pinned at its first connection (build value SSHHostKey, written to a
 * known_hosts of the run's own; without one, the first key Ansible sees is pinned for the run), and the
 * jump host is reached the same way. Written for ansible's ssh_common_args, which Ansible splits like a
 * shell (shlex). */
static int ssh_common_args(struct run *r, struct ans_buf *b)
{
	struct kp_ctx *ctx = r->ctx;
	char *kh = kp_printf("%s/known_hosts", r->dir);
	char *khq = kp_shell_quote(kh);
	int rc = 0;
	const char *hk = value(ctx, "SSHHostKey");
	if (*hk) {
		char *line = kp_printf("%s %s\n", MACHINE_ALIAS, hk);
		if (ans_write_file(kh, line, 0600) < 0)
			rc = kp_fail(ctx, "cannot write Ansible's known_hosts: %s", strerror(errno));
		free(line);
		if (rc < 0)
			goto out;
		ans_buf_printf(b, "-o UserKnownHostsFile=%s -o GlobalKnownHostsFile=/dev/null -o HostKeyAlias=%s "
				  "-o StrictHostKeyChecking=yes",
			       khq, MACHINE_ALIAS);
		char *type = kp_printf("%.*s", (int)strcspn(hk, " "), hk);
		kp_say(ctx, "Ansible must find the machine's %s host key that the communicator pinned", type);
		free(type);
	} else {
		ans_buf_printf(b, "-o UserKnownHostsFile=%s -o GlobalKnownHostsFile=/dev/null "
				  "-o StrictHostKeyChecking=accept-new",
			       khq);
	}
	const char *bhost = value(ctx, "SSHBastionHost");
	if (*bhost) {
		const char *bkey = value(ctx, "SSHBastionPrivateKeyFile");
		if (!*bkey) {
			kp_hint(ctx, "give the jump host a key (ssh_bastion_private_key_file), or connect without one");
			rc = kp_fail(ctx, "Ansible cannot reach the machine through the jump host %s: it takes a password, "
				     "and ssh's ProxyCommand can only log in with a key",
				     bhost);
			goto out;
		}
		/* ssh runs ProxyCommand with the shell: every path in it is quoted for that shell, and the whole
		 * option once more for Ansible's shlex */
		char *bkq = kp_shell_quote(bkey);
		char *bdest = kp_printf("%s%s%s", value(ctx, "SSHBastionUser"), *value(ctx, "SSHBastionUser") ? "@" : "", bhost);
		char *bdq = kp_shell_quote(bdest);
		char *inner = kp_printf("ProxyCommand=ssh -o UserKnownHostsFile=%s -o GlobalKnownHostsFile=/dev/null "
					"-o StrictHostKeyChecking=accept-new -o IdentitiesOnly=yes -o BatchMode=yes -i %s "
					"-p %s -W %%h:%%p %s",
					khq, bkq, *value(ctx, "SSHBastionPort") ? value(ctx, "SSHBastionPort") : "22", bdq);
		char *iq = kp_shell_quote(inner);
		ans_buf_printf(b, " -o %s", iq);
		free(iq);
		free(inner);
		free(bdq);
		free(bdest);
		free(bkq);
	}
out:
	free(khq);
	free(kh);
	return rc;
}

static void push_env(struct run *r, const char *key, const char *val)
{
	ans_strv_pushf(&r->env, "%s=%s", key, val);
}

/* KEY=VALUE prepended to what the environment already has for KEY (a search path). */
static void push_path_env(struct run *r, const char *key, const char *dir)
{
	const char *old = getenv(key);
	char *abs = ans_abs_path(dir);
	if (old && *old)
		ans_strv_pushf(&r->env, "%s=%s:%s", key, abs, old);
	else
		ans_strv_pushf(&r->env, "%s=%s", key, abs);
	free(abs);
}

/* The value KEY has in the environment ansible-playbook gets (the last of the run's additions, else
 * kiln's own), or NULL. */
static const char *env_value(const struct run *r, const char *key)
{
	size_t n = strlen(key);
	for (size_t i = r->env.n; i-- > 0;)
		if (strncmp(r->env.v[i], key, n) == 0 && r->env.v[i][n] == '=')
			return r->env.v[i] + n + 1;
	return getenv(key);
}

/* The ansible.cfg ansible-playbook will read, found as Ansible finds it: $ANSIBLE_CONFIG (a file, or a
 * directory holding ansible.cfg), ./ansible.cfg unless the directory is world-writable,
 * ~/.ansible.cfg, /etc/ansible/ansible.cfg; the first that is readable. NULL without one. */
static char *ansible_cfg(const struct run *r)
{
	struct ans_strv cand = ANS_STRV_INIT;
	const char *home = getenv("HOME");
	const char *env = env_value(r, "ANSIBLE_CONFIG");
	if (env) {
		char *p = *env == '~' && home ? kp_printf("%s%s", home, env + 1) : kp_printf("%s", env);
		struct stat st;
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
			ans_strv_pushf(&cand, "%s/ansible.cfg", p);
		else
			ans_strv_push(&cand, p);
		free(p);
	}
	struct stat cwd;
	if (stat(".", &cwd) == 0 && !(cwd.st_mode & S_IWOTH))
		ans_strv_push(&cand, "ansible.cfg");
	if (home)
		ans_strv_pushf(&cand, "%s/.ansible.cfg", home);
	ans_strv_push(&cand, "/etc/ansible/ansible.cfg");
	char *found = NULL;
	for (size_t i = 0; i < cand.n && !found; i++)
		if (access(cand.v[i], R_OK) == 0)
			found = kp_printf("%s", cand.v[i]);
	ans_strv_free(&cand);
	return found;
}

/* Sets Ansible setting `key` through its environment variable `env` unless the user chose it: `env` in
 * kiln's environment or ansible_env_vars, or `key` in `text`, the ansible.cfg (`cfg`) Ansible reads. */
static void default_setting(struct run *r, const char *cfg, const char *text, const char *env, const char *key,
			    const char *val)
{
	if (env_value(r, env))
		return;
	if (text && ans_config_sets(text, key))
		kp_log(r->ctx, "ansible: %s sets %s; kiln leaves it", cfg, key);
	else
		push_env(r, env, val);
}

/* Ansible's default ssh_args are "-C -o ControlMaster=auto -o ControlPersist=60s": -C compresses
 * every module (about 140 KB each, already deflated then base64-encoded) on both ends of the link,
 * CPU that the build machine, usually on the same host or network, pays for nothing. kiln's default
 * keeps the connection master and drops -C, unless the user chose ssh_args (the inventory variable
 * ansible_ssh_args overrides it anyway).
 * Ansible's controller keeps its temporary files in ~/.ansible/tmp/ansible-local-*, which a killed
 * run leaves behind: kiln points local_tmp into the run's directory, removed whatever happens. */
static void default_settings(struct run *r)
{
	char *cfg = ansible_cfg(r);
	char *text = cfg ? ans_read_file(cfg) : NULL;
	default_setting(r, cfg, text, "ANSIBLE_SSH_ARGS", "ssh_args", "-o ControlMaster=auto -o ControlPersist=60s");
	char *tmp = kp_printf("%s/tmp", r->dir);
	default_setting(r, cfg, text, "ANSIBLE_LOCAL_TEMP", "local_tmp", tmp);
	free(tmp);
	free(text);
	free(cfg);
}

static int set_up_connection(struct run *r)
{
	struct kp_ctx *ctx = r->ctx;
	const struct kp_json *c = r->cfg;
	const char *conn = value(ctx, "ConnType");
	if (!kp_has_communicator(ctx) || strcmp(conn, "none") == 0) {
		kp_hint(ctx, "Ansible needs to log in to the machine: give the source an SSH communicator, or use "
			     "ansible-local");
		return kp_fail(ctx, "the build has no communicator (communicator = \"none\"): Ansible has no machine to "
				    "connect to");
	}
	if (*conn && strcmp(conn, "ssh") != 0)
		return kp_fail(ctx, "the build connects with %s: kiln's ansible provisioner connects over SSH only", conn);
	if (!*value(ctx, "Host") || !*value(ctx, "Port"))
		return kp_fail(ctx, "the build has no SSH address for Ansible to connect to");

	const char *build_user = value(ctx, "User");
	const char *user = kp_json_get_string(c, "user", NULL);
	bool use_proxy = kp_json_get_bool(c, "use_proxy", true);
	if (use_proxy || !user || !*user) {
		if (use_proxy && user && *user && strcmp(user, build_user) != 0)
			kp_warn(ctx, "user = \"%s\" is not the build's SSH user: Ansible logs in as \"%s\", as it did "
				     "through Packer's proxy (set use_proxy = false to log in as \"%s\")",
				user, build_user, user);
		user = build_user;
	}
	r->user = kp_printf("%s", user);

	const char *key = value(ctx, "SSHPrivateKeyFile");
	const char *key_text = value(ctx, "SSHPrivateKey");
	if (*key) {
		r->key_file = kp_printf("%s", key);
	} else if (*key_text) {
		r->key_file = kp_printf("%s/key", r->dir);
		if (ans_write_file(r->key_file, key_text, 0600) < 0)
			return kp_fail(ctx, "cannot write the build's key for Ansible: %s", strerror(errno));
	} else if (*value(ctx, "Password")) {
		if (!ans_on_path("sshpass")) {
			kp_hint(ctx, "install sshpass (Debian: apt-get install sshpass), or let the build log in with a key "
				     "(ssh_private_key_file, or a temporary key pair)");
			return kp_fail(ctx, "the build logs in with a password, and Ansible's ssh connection needs sshpass "
					    "for that");
		}
		r->password = kp_printf("%s", value(ctx, "Password"));
		kp_secret(ctx, r->password);
		ans_strv_push(&r->secrets, r->password);
	} else {
		return kp_fail(ctx, "the build has neither a key nor a password Ansible could log in with");
	}

	struct ans_buf common = ANS_BUF_INIT;
	int rc = ssh_common_args(r, &common);
	if (rc == 0) {
		char *cp = kp_printf("%s/cp", r->dir);
		push_env(r, "ANSIBLE_SSH_CONTROL_PATH_DIR", cp);
		free(cp);
		push_env(r, "ANSIBLE_SSH_COMMON_ARGS", ans_buf_cstr(&common));
		if (kp_json_get_bool(c, "use_sftp", false)) {
			push_env(r, "ANSIBLE_SSH_TRANSFER_METHOD", "sftp");
		} else {
			/* OpenSSH 9's scp speaks SFTP, which a server without sftp-server refuses: the legacy
			 * protocol works with both */
			push_env(r, "ANSIBLE_SSH_TRANSFER_METHOD", "smart");
			push_env(r, "ANSIBLE_SCP_EXTRA_ARGS", "-O");
		}
		/* one ssh round trip per task instead of four or five (mkdir, put, chmod, run, rm): Ansible
		 * leaves it off only for sudoers with requiretty, which no current distribution sets */
		push_env(r, "ANSIBLE_PIPELINING", "True");
		push_env(r, "PYTHONUNBUFFERED", "1");
		const char *roles = kp_json_get_string(c, "roles_path", NULL);
		if (roles && *roles)
			push_path_env(r, "ANSIBLE_ROLES_PATH", roles);
		const char *colls = kp_json_get_string(c, "collections_path", NULL);
		if (colls && *colls)
			push_path_env(r, "ANSIBLE_COLLECTIONS_PATH", colls);
		ans_strv_from_json(&r->env, kp_json_get(c, "ansible_env_vars"));
		default_settings(r);
	}
	ans_buf_free(&common);
	return rc;
}

static int run_tool(struct run *r, const char *what, struct ans_strv *argv)
{
	struct kp_ctx *ctx = r->ctx;
	char *shown = ans_strv_display(argv);
	char *masked = ans_mask(shown, &r->secrets);
	kp_say(ctx, "Executing %s: %s", what, masked);
	free(masked);
	free(shown);
	struct ans_tail tail = {ANS_STRV_INIT, ANS_STRV_INIT};
	int status, rc = ans_run(ctx, argv, &r->env, &tail, &status);
	if (rc == 0 && status != 0) {
		char *quote = ans_tail_text(&tail);
		char *q = ans_mask(quote, &r->secrets);
		if (status == 127 && !ans_on_path(argv->v[0]))
			kp_hint(ctx, "install Ansible (Debian: apt-get install ansible-core), or set the command's path");
		rc = kp_fail(ctx, "Error executing %s: %s exited with status %d%s%s", what, argv->v[0], status, *q ? ":\n" : "",
			     q);
		free(q);
		free(quote);
	}
	ans_tail_free(&tail);
	return rc;
}

/* ansible-galaxy installs roles from Galaxy, SCM URLs and tarballs, not from a directory. Air-gapped
 * users keep roles in directories: those entries of the requirements file are copied into the roles
 * path here (as galaxy would install them, -f included), and galaxy gets the rest. The file is read
 * with Ansible's own YAML, by the interpreter ansible-galaxy runs on. */
static const char local_roles_py[] =
	"import os, shutil, sys, yaml\n"
	"req, out, dest, force = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == '1'\n"
	"if not dest:\n"
	"    from ansible import constants as C\n"
	"    dest = C.DEFAULT_ROLES_PATH[0]\n"
	"with open(req) as f:\n"
	"    data = yaml.safe_load(f) or []\n"
	"roles = data.get('roles') or [] if isinstance(data, dict) else data\n"
	"base = os.path.dirname(os.path.abspath(req))\n"
	"rest = []\n"
	"for r in roles:\n"
	"    s = r.get('src') if isinstance(r, dict) else r\n"
	"    p = s[7:] if isinstance(s, str) and s.startswith('file://') else s\n"
	"    if not (isinstance(p, str) and p.startswith(('/', './', '../', '~'))):\n"
	"        rest.append(r)\n"
	"        continue\n"
	"    p = os.path.join(base, os.path.expanduser(p))\n"
	"    if not os.path.isdir(p):\n"
	"        rest.append(r)\n"
	"        continue\n"
	"    name = (r.get('name') if isinstance(r, dict) else None) or os.path.basename(p.rstrip('/'))\n"
	"    target = os.path.join(dest, name)\n"
	"    if os.path.exists(target) and not force:\n"
	"        print('- %s is already installed, skipping.' % name)\n"
	"        continue\n"
	"    shutil.rmtree(target, ignore_errors=True)\n"
	"    shutil.copytree(p, target, symlinks=True)\n"
	"    print('- %s was installed from the directory %s into %s' % (name, p, target))\n"
	"if isinstance(data, dict):\n"
	"    data['roles'] = rest\n"
	"else:\n"
	"    data = rest\n"
	"with open(out, 'w') as f:\n"
	"    yaml.safe_dump(data, f)\n";

/* The interpreter on the #! line of a program found on PATH, or "python3". */
static char *interpreter_of(const char *program)
{
	char *path = NULL;
	if (strchr(program, '/')) {
		path = kp_printf("%s", program);
	} else {
		const char *p = getenv("PATH");
		for (p = p ? p : "/usr/bin:/bin"; p && !path;) {
			const char *colon = strchr(p, ':');
			char *cand = kp_printf("%.*s/%s", (int)(colon ? (size_t)(colon - p) : strlen(p)), p, program);
			if (access(cand, X_OK) == 0)
				path = cand;
			else
				free(cand);
			p = colon ? colon + 1 : NULL;
		}
	}
	char line[256] = "";
	FILE *f = path ? fopen(path, "re") : NULL;
	free(path);
	if (f) {
		if (!fgets(line, sizeof line, f))
			line[0] = '\0';
		fclose(f);
	}
	if (strncmp(line, "#!", 2) != 0)
		return kp_printf("python3");
	char *s = line + 2;
	s += strspn(s, " \t");
	size_t n = strcspn(s, " \t\r\n");
	return kp_printf("%.*s", (int)n, s);
}

/* Copies directory roles; *file becomes the requirements galaxy still has to install. */
static int install_directory_roles(struct run *r, const char *galaxy, const char **file)
{
	const struct kp_json *c = r->cfg;
	char *out = kp_printf("%s/requirements.yml", r->dir);
	struct ans_strv argv = ANS_STRV_INIT;
	ans_strv_push_owned(&argv, interpreter_of(galaxy));
	ans_strv_push(&argv, "-c");
	ans_strv_push(&argv, local_roles_py);
	ans_strv_push(&argv, *file);
	ans_strv_push(&argv, out);
	ans_strv_push(&argv, kp_json_get_string(c, "roles_path", ""));
	ans_strv_push(&argv, kp_json_get_bool(c, "galaxy_force_install", false) || kp_json_get_bool(c, "galaxy_force_with_deps", false) ? "1" : "0");
	struct ans_tail tail = {ANS_STRV_INIT, ANS_STRV_INIT};
	int status, rc = ans_run(r->ctx, &argv, &r->env, &tail, &status);
	if (rc == 0 && status != 0) {
		char *t = ans_tail_text(&tail);
		rc = kp_fail(r->ctx, "Error executing Ansible Galaxy: cannot install the roles of %s from directories:\n%s", *file, t);
		free(t);
	}
	if (rc == 0)
		*file = r->galaxy_file = out;
	else
		free(out);
	ans_tail_free(&tail);
	ans_strv_free(&argv);
	return rc;
}

static int run_galaxy(struct run *r)
{
	struct kp_ctx *ctx = r->ctx;
	const struct kp_json *c = r->cfg;
	const char *file = kp_json_get_string(c, "galaxy_file", NULL);
	if (!file || !*file)
		return 0;
	char *text = ans_read_file(file);
	if (!text)
		return kp_fail(ctx, "cannot read galaxy_file %s: %s", file, strerror(errno));
	bool roles, colls;
	ans_galaxy_kinds(text, &roles, &colls);
	free(text);
	const char *galaxy = kp_json_get_string(c, "galaxy_command", "ansible-galaxy");
	int rc = 0;
	for (int pass = 0; pass < 2 && rc == 0; pass++) {
		if ((pass == 0 && !roles) || (pass == 1 && !colls))
			continue;
		const char *req = file;
		if (pass == 0) {
			rc = install_directory_roles(r, galaxy, &req);
			if (rc < 0)
				break;
			char *rest = ans_read_file(req);
			bool none = rest && (strcmp(rest, "[]\n") == 0 || strstr(rest, "roles: []\n"));
			free(rest);
			if (none)
				continue;
		}
		struct ans_strv argv = ANS_STRV_INIT;
		ans_strv_push(&argv, galaxy);
		if (pass == 1)
			ans_strv_push(&argv, "collection");
		ans_strv_push(&argv, "install");
		ans_strv_push(&argv, "-r");
		ans_strv_push(&argv, req);
		if (kp_json_get_bool(c, "galaxy_force_install", false))
			ans_strv_push(&argv, "-f");
		if (kp_json_get_bool(c, "galaxy_force_with_deps", false))
			ans_strv_push(&argv, "--force-with-deps");
		const char *dest = kp_json_get_string(c, pass == 0 ? "roles_path" : "collections_path", NULL);
		if (dest && *dest) {
			ans_strv_push(&argv, "-p");
			ans_strv_push(&argv, dest);
		}
		rc = run_tool(r, "Ansible Galaxy", &argv);
		ans_strv_free(&argv);
	}
	return rc;
}

static bool args_mention(const struct ans_strv *args, const char *what)
{
	for (size_t i = 0; i < args->n; i++)
		if (strstr(args->v[i], what))
			return true;
	return false;
}

/* Packer's variables, as one JSON extra-vars argument (no quoting to get wrong). */
static char *packer_vars(struct run *r, bool with_key)
{
	struct kp_json *v = ans_packer_vars(r->ctx);
	if (with_key)
		kp_json_set(v, "ansible_ssh_private_key_file", kp_json_string(r->key_file));
	char *text = kp_json_dump(v);
	kp_json_free(v);
	return text;
}

static int run_playbook(struct run *r)
{
	struct kp_ctx *ctx = r->ctx;
	const struct kp_json *c = r->cfg;
	struct ans_strv argv = ANS_STRV_INIT, extra = ANS_STRV_INIT;
	ans_strv_from_json(&extra, kp_json_get(c, "extra_arguments"));
	ans_secret_args(&extra, &r->secrets);
	bool has_password = args_mention(&extra, "ansible_password");

	ans_strv_push(&argv, kp_json_get_string(c, "command", "ansible-playbook"));
	ans_strv_push(&argv, "-e");
	ans_strv_push_owned(&argv, packer_vars(r, r->key_file && !has_password));
	/* Packer's default ssh arguments, or the user's, each one word for Ansible's shlex */
	const struct kp_json *sx = kp_json_get(c, "ansible_ssh_extra_args");
	struct ans_buf b = ANS_BUF_INIT;
	if (kp_json_len(sx)) {
		for (size_t i = 0; i < kp_json_len(sx); i++) {
			char *q = kp_shell_quote(kp_json_as_string(kp_json_at(sx, i)));
			ans_buf_printf(&b, "%s%s", i ? " " : "", q);
			free(q);
		}
	} else {
		ans_buf_puts(&b, "'-o IdentitiesOnly=yes'");
	}
	ans_strv_push(&argv, "--ssh-extra-args");
	ans_strv_push(&argv, ans_buf_cstr(&b));
	ans_buf_free(&b);
	for (size_t i = 0; i < extra.n; i++)
		ans_strv_push(&argv, extra.v[i]);
	if (r->password && !has_password) {
		/* in a 0600 file of the run, not on a command line other users can read */
		struct kp_json *pw = kp_json_object();
		kp_json_set(pw, "ansible_password", kp_json_string(r->password));
		char *text = kp_json_dump(pw);
		kp_json_free(pw);
		char *path = kp_printf("%s/password.json", r->dir);
		int w = ans_write_file(path, text, 0600);
		free(text);
		if (w < 0) {
			int rc = kp_fail(ctx, "cannot write %s: %s", path, strerror(errno));
			free(path);
			ans_strv_free(&argv);
			ans_strv_free(&extra);
			return rc;
		}
		ans_strv_push(&argv, "-e");
		ans_strv_pushf(&argv, "@%s", path);
		free(path);
	}
	ans_strv_push(&argv, "-i");
	ans_strv_push(&argv, r->inventory);
	const char *pb = kp_json_get_string(c, "playbook_file", NULL);
	if (pb && *pb)
		ans_strv_push_owned(&argv, ans_abs_path(pb));
	const struct kp_json *pbs = kp_json_get(c, "playbook_files");
	for (size_t i = 0; i < kp_json_len(pbs); i++)
		ans_strv_push_owned(&argv, ans_abs_path(kp_json_as_string(kp_json_at(pbs, i))));
	int rc = run_tool(r, "Ansible", &argv);
	ans_strv_free(&argv);
	ans_strv_free(&extra);
	return rc;
}

/* Ansible leaves its ssh connection masters running for a minute (ControlPersist) in their own
 * session: end each one, so that nothing of the run outlives it. */
static void close_masters(struct run *r)
{
	char *cp = kp_printf("%s/cp", r->dir);
	DIR *d = opendir(cp);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		struct ans_strv argv = ANS_STRV_INIT;
		ans_strv_push(&argv, "ssh");
		ans_strv_push(&argv, "-o");
		ans_strv_pushf(&argv, "ControlPath=%s/%s", cp, e->d_name);
		ans_strv_push(&argv, "-O");
		ans_strv_push(&argv, "exit");
		ans_strv_push(&argv, "kiln-ansible");
		char *out = NULL, *why = NULL;
		int status;
		ans_capture(&argv, &out, &status, &why);
		kp_log(r->ctx, "ansible: closed the ssh connection master %s (status %d)", e->d_name, status);
		free(out);
		free(why);
		ans_strv_free(&argv);
	}
	if (d)
		closedir(d);
	free(cp);
}

static int remote_provision(struct kp_ctx *ctx, void *instance)
{
	(void)instance;
	struct run r = {.ctx = ctx, .cfg = kp_config(ctx), .env = ANS_STRV_INIT, .secrets = ANS_STRV_INIT};
	kp_say(ctx, "Provisioning with Ansible...");
	r.dir = ans_tempdir("kiln-ansible");
	if (!r.dir)
		return kp_fail(ctx, "cannot create a temporary directory for Ansible: %s", strerror(errno));
	int rc = set_up_connection(&r);
	if (rc == 0) {
		kp_say(ctx, "Connecting Ansible to %s@%s:%s directly (no proxy)%s", r.user, value(ctx, "Host"), value(ctx, "Port"),
		       *value(ctx, "SSHBastionHost") ? ", through the jump host" : "");
		rc = write_inventory(&r);
	}
	if (rc == 0 && !kp_json_get_bool(r.cfg, "skip_version_check", false))
		rc = check_version(ctx, kp_json_get_string(r.cfg, "command", "ansible-playbook"));
	if (rc == 0)
		rc = run_galaxy(&r);
	if (rc == 0)
		rc = run_playbook(&r);
	close_masters(&r);
	if (r.remove_inventory)
		unlink(r.inventory);
	ans_remove_tree(r.dir);
	free(r.dir);
	free(r.key_file);
	free(r.password);
	free(r.user);
	free(r.inventory);
	free(r.galaxy_file);
	ans_strv_free(&r.env);
	ans_strv_free(&r.secrets);
	return rc;
}

const struct kp_provisioner ans_remote_provisioner = {
	.name = "",
	.description = "Runs Ansible playbooks from this machine, connected straight to the machine being built over SSH.",
	.schema = remote_schema,
	.prepare = remote_prepare,
	.provision = remote_provision,
};
