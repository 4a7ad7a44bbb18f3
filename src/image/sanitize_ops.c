/* sanitize_ops.c — what each sanitize operation does inside the mounted guest. Names and defaults
 * follow virt-sysprep; where kiln differs (ssh-userdir removes only the build's temporary key,
 * logfiles empties logs in place) docs/sanitize.md says why. Every operation counts what it changed. */
#include "image/sanitize_internal.h"
#include "image/sanitize_text.h"
#include "ui/ui.h"
#include "util/buf.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>

/* rm-rf runs `rm -rf /sysroot<path>` in the appliance, where an absolute symlink on the way (Debian's
 * /var/run -> /run) would lead out of the guest: the parent is resolved inside the guest first. Splits
 * path; NULL (and *base unset) for a path with no name to remove. */
static char *parent_of(const char *path, const char **base)
{
	const char *slash = strrchr(path, '/');
	if (!slash || !slash[1])
		return NULL;
	*base = slash + 1;
	return slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
}

/* Remove base from the resolved directory real: rm -rf takes a file, a symlink (not what it points to)
 * or a whole tree alike, in one round trip. */
static int remove_at(struct img_op_ctx *c, const char *real, const char *base, struct kiln_error *err)
{
	char *full = xasprintf("%s/%s", strcmp(real, "/") == 0 ? "" : real, base);
	int rc = 0;
	if (guestfs_rm_rf(c->s->g, full) < 0)
		rc = img_guest_fail(c->s, err, "removing %s", full);
	else
		c->res->removed++;
	free(full);
	return rc;
}

int img_op_remove(struct img_op_ctx *c, const char *path, struct kiln_error *err)
{
	const char *base = NULL;
	char *parent = parent_of(path, &base);
	if (!parent)
		return err_set(err, "refusing to remove \"%s\"", path);
	char *real = guestfs_realpath(c->s->g, parent);
	free(parent);
	if (!real)
		return 0;   /* the parent is gone: nothing to remove */
	int rc = remove_at(c, real, base, err);
	free(real);
	return rc;
}

/* Remove every path of the list; a run of paths in one directory (a directory's contents, a glob's
 * matches) resolves that directory once. */
static int remove_list(struct img_op_ctx *c, struct strv *paths, struct kiln_error *err)
{
	char *parent = NULL, *real = NULL;
	int rc = 0;
	for (size_t i = 0; i < paths->n && rc == 0; i++) {
		const char *base = NULL;
		char *p = parent_of(paths->v[i], &base);
		if (!p) {
			rc = err_set(err, "refusing to remove \"%s\"", paths->v[i]);
			break;
		}
		if (!parent || strcmp(p, parent) != 0) {
			free(parent);
			free(real);
			parent = p;
			real = guestfs_realpath(c->s->g, parent);
		} else {
			free(p);
		}
		if (real)
			rc = remove_at(c, real, base, err);
	}
	free(parent);
	free(real);
	strv_free(paths);
	return rc;
}

static int remove_globs(struct img_op_ctx *c, const char *const *patterns, struct kiln_error *err)
{
	struct strv paths = STRV_INIT;
	for (size_t i = 0; patterns[i]; i++)
		img_guest_glob(c->s, patterns[i], &paths);
	return remove_list(c, &paths, err);
}

/* Everything inside dir (dotfiles too), except the names in keep. */
static int remove_contents(struct img_op_ctx *c, const char *dir, const char *const *keep, struct kiln_error *err)
{
	struct strv all = STRV_INIT, paths = STRV_INIT;
	img_guest_ls(c->s, dir, &all);
	for (size_t i = 0; i < all.n; i++) {
		const char *base = strrchr(all.v[i], '/') + 1;
		bool kept = false;
		for (size_t k = 0; keep && keep[k]; k++)
			kept |= strcmp(base, keep[k]) == 0;
		if (!kept)
			strv_push(&paths, all.v[i]);
	}
	strv_free(&all);
	return remove_list(c, &paths, err);
}

static int remove_if_exists(struct img_op_ctx *c, const char *path, struct kiln_error *err)
{
	return img_guest_exists(c->s, path) ? img_op_remove(c, path, err) : 0;
}

typedef char *(*text_edit_fn)(const char *text, void *arg, unsigned *count, bool *rest_empty);

/* Read path, apply edit, write it back when something changed; with remove_when_empty, a file left with
 * no content lines is removed instead. Counts edits in edited. */
static int edit_file(struct img_op_ctx *c, const char *path, text_edit_fn edit, void *arg, bool remove_when_empty,
		     struct kiln_error *err)
{
	if (!img_guest_is_file(c->s, path))
		return 0;
	struct buf text = BUF_INIT;
	if (img_guest_read(c->s, path, &text, err) < 0)
		return -1;
	unsigned n = 0;
	bool empty = false;
	char *out = edit(buf_cstr(&text), arg, &n, &empty);
	int rc = 0;
	if (n > 0) {
		c->res->edited += n;
		if (remove_when_empty && empty)
			rc = img_op_remove(c, path, err);
		else
			rc = img_guest_write(c->s, path, out, err);
	}
	free(out);
	buf_free(&text);
	return rc;
}

static char *edit_user_entries(const char *text, void *arg, unsigned *n, bool *empty)
{
	(void)empty;
	return img_text_remove_user_entries(text, arg, n);
}

static char *edit_group(const char *text, void *arg, unsigned *n, bool *empty)
{
	(void)empty;
	return img_text_remove_user_from_groups(text, arg, false, n);
}

static char *edit_gshadow(const char *text, void *arg, unsigned *n, bool *empty)
{
	(void)empty;
	return img_text_remove_user_from_groups(text, arg, true, n);
}

static char *edit_sudoers(const char *text, void *arg, unsigned *n, bool *empty)
{
	return img_text_remove_sudoers_user(text, arg, n, empty);
}

static char *edit_authorized_keys(const char *text, void *arg, unsigned *n, bool *empty)
{
	return img_text_remove_authorized_key(text, arg, n, empty);
}

static char *edit_hwaddr(const char *text, void *arg, unsigned *n, bool *empty)
{
	(void)empty;
	(void)arg;
	return img_text_remove_prefixed(text, "HWADDR=", n);
}

static char *edit_net_hostname(const char *text, void *arg, unsigned *n, bool *empty)
{
	(void)empty;
	(void)arg;
	unsigned a = 0, b = 0;
	char *t = img_text_remove_prefixed(text, "HOSTNAME=", &a);
	char *r = img_text_remove_prefixed(t, "DHCP_HOSTNAME=", &b);
	free(t);
	*n = a + b;
	return r;
}

static char *edit_hosts(const char *text, void *arg, unsigned *n, bool *empty)
{
	(void)empty;
	return img_text_hosts_forget(text, arg, n);
}

static bool kept_account(const struct img_sanitize_opts *o, const char *user)
{
	return strcmp(user, "root") == 0 || strv_contains(&o->keep_user_accounts, user);
}

/* Remove an account: passwd/shadow/group/gshadow/subuid/subgid entries, sudoers grants, home directory
 * (only under /home), mail spool and crontab. */
static int remove_account(struct img_op_ctx *c, const char *user, struct kiln_error *err)
{
	struct buf passwd = BUF_INIT;
	char *home = NULL;
	long uid = -1;
	int rc = -1;
	if (img_guest_is_file(c->s, "/etc/passwd") && img_guest_read(c->s, "/etc/passwd", &passwd, err) < 0)
		goto out;
	bool known = img_text_passwd_lookup(buf_cstr(&passwd), user, &uid, &home);
	static const char *const entry_files[] = {"/etc/passwd", "/etc/shadow", "/etc/subuid", "/etc/subgid", NULL};
	for (size_t i = 0; entry_files[i]; i++)
		if (edit_file(c, entry_files[i], edit_user_entries, (void *)user, false, err) < 0)
			goto out;
	if (edit_file(c, "/etc/group", edit_group, (void *)user, false, err) < 0 ||
	    edit_file(c, "/etc/gshadow", edit_gshadow, (void *)user, false, err) < 0 ||
	    edit_file(c, "/etc/sudoers", edit_sudoers, (void *)user, false, err) < 0)
		goto out;
	struct strv drop_ins = STRV_INIT;
	img_guest_ls(c->s, "/etc/sudoers.d", &drop_ins);
	for (size_t i = 0; i < drop_ins.n; i++) {
		if (edit_file(c, drop_ins.v[i], edit_sudoers, (void *)user, true, err) < 0) {
			strv_free(&drop_ins);
			goto out;
		}
	}
	strv_free(&drop_ins);
	if (known && home && strncmp(home, "/home/", 6) == 0 && home[6] && !strstr(home, "..") &&
	    img_guest_is_dir(c->s, home) && img_op_remove(c, home, err) < 0)
		goto out;
	char *spools[] = {xasprintf("/var/mail/%s", user), xasprintf("/var/spool/mail/%s", user),
			  xasprintf("/var/spool/cron/crontabs/%s", user)};
	rc = 0;
	for (size_t i = 0; i < 3; i++) {
		if (rc == 0 && img_guest_is_file(c->s, spools[i]))
			rc = img_op_remove(c, spools[i], err);
		free(spools[i]);
	}
out:
	if (rc < 0)
		err_wrap(err, "removing the account %s", user);
	free(home);
	buf_free(&passwd);
	return rc;
}

/* cloud-init logs whether it created a `users:` account or found it in the image ("User x already
 * exists, skipping."): an account the image had before the build is not kiln's to remove. */
static bool existed_before_build(struct img_op_ctx *c, const char *user)
{
	struct buf log = BUF_INIT;
	struct kiln_error e = ERR_INIT;
	bool existed = false;
	if (img_guest_is_file(c->s, "/var/log/cloud-init.log") &&
	    img_guest_read(c->s, "/var/log/cloud-init.log", &log, &e) == 0) {
		char *needle = xasprintf("User %s already exists", user);
		existed = strstr(buf_cstr(&log), needle) != NULL;
		free(needle);
	}
	err_clear(&e);
	buf_free(&log);
	return existed;
}

static int op_build_user(struct img_op_ctx *c, struct kiln_error *err)
{
	const struct img_sanitize_facts *f = c->facts;
	if (!f->build_user || !*f->build_user || !f->build_user_created || strcmp(f->build_user, "root") == 0)
		return 0;
	if (strv_contains(&c->opts->keep_user_accounts, f->build_user)) {
		c->res->note = "kept: listed in keep_user_accounts";
		return 0;
	}
	if (existed_before_build(c, f->build_user)) {
		c->res->note = "kept: the account was in the image before the build";
		return 0;
	}
	return remove_account(c, f->build_user, err);
}

static int op_user_account(struct img_op_ctx *c, struct kiln_error *err)
{
	struct buf passwd = BUF_INIT, defs = BUF_INIT;
	struct strv users = STRV_INIT;
	int rc = -1;
	if (!img_guest_is_file(c->s, "/etc/passwd"))
		return 0;
	if (img_guest_read(c->s, "/etc/passwd", &passwd, err) < 0)
		goto out;
	if (img_guest_is_file(c->s, "/etc/login.defs") && img_guest_read(c->s, "/etc/login.defs", &defs, err) < 0)
		goto out;
	img_text_passwd_ordinary_users(buf_cstr(&passwd), img_text_login_defs_uid_min(buf_cstr(&defs)), &users);
	rc = 0;
	for (size_t i = 0; i < users.n && rc == 0; i++)
		if (!kept_account(c->opts, users.v[i]))
			rc = remove_account(c, users.v[i], err);
out:
	strv_free(&users);
	buf_free(&passwd);
	buf_free(&defs);
	return rc;
}

static int op_ssh_userdir(struct img_op_ctx *c, struct kiln_error *err)
{
	const char *key = c->facts->build_pubkey;
	if (!key || !*key)
		return 0;
	struct strv files = STRV_INIT;
	strv_push(&files, "/root/.ssh/authorized_keys");
	strv_push(&files, "/root/.ssh/authorized_keys2");
	img_guest_glob(c->s, "/home/*/.ssh/authorized_keys", &files);
	img_guest_glob(c->s, "/home/*/.ssh/authorized_keys2", &files);
	int rc = 0;
	for (size_t i = 0; i < files.n && rc == 0; i++)
		rc = edit_file(c, files.v[i], edit_authorized_keys, (void *)key, true, err);
	strv_free(&files);
	return rc;
}

static int op_ssh_hostkeys(struct img_op_ctx *c, struct kiln_error *err)
{
	static const char *const p[] = {"/etc/ssh/ssh_host_*", NULL};
	return remove_globs(c, p, err);
}

static int op_machine_id(struct img_op_ctx *c, struct kiln_error *err)
{
	/* Truncated, not removed: systemd treats an empty /etc/machine-id as "first boot" and generates a
	 * new id, while a missing one breaks read-only-root setups. */
	if (img_guest_size(c->s, "/etc/machine-id") > 0) {
		if (guestfs_truncate(c->s->g, "/etc/machine-id") < 0)
			return img_guest_fail(c->s, err, "truncating /etc/machine-id");
		c->res->emptied++;
	}
	/* Debian links it to /etc/machine-id: only a separate copy goes. */
	if (img_guest_is_file(c->s, "/var/lib/dbus/machine-id"))
		return img_op_remove(c, "/var/lib/dbus/machine-id", err);
	return 0;
}

/* The build's host name (kiln's cloud-init seed names the machine after vm_name; an installer's answers
 * name it too) would be every clone's: reset it to "localhost", the name systemd and Debian treat as
 * unset, so the first boot takes one from cloud-init or DHCP. */
static int op_hostname(struct img_op_ctx *c, struct kiln_error *err)
{
	char *old = NULL;
	int rc = -1;
	if (img_guest_is_file(c->s, "/etc/hostname")) {
		struct buf text = BUF_INIT;
		if (img_guest_read(c->s, "/etc/hostname", &text, err) < 0) {
			buf_free(&text);
			goto out;
		}
		old = img_text_hostname(buf_cstr(&text));
		buf_free(&text);
		if (old && !img_text_hostname_is_generic(old)) {
			if (img_guest_write(c->s, "/etc/hostname", "localhost\n", err) < 0)
				goto out;
			c->res->edited++;
		}
	}
	/* Red Hat before systemd: HOSTNAME= in /etc/sysconfig/network */
	if (img_guest_is_file(c->s, "/etc/sysconfig/network")) {
		struct buf text = BUF_INIT;
		if (img_guest_read(c->s, "/etc/sysconfig/network", &text, err) < 0) {
			buf_free(&text);
			goto out;
		}
		unsigned n = 0;
		char *was = NULL;
		char *out = img_text_sysconfig_reset_hostname(buf_cstr(&text), &n, &was);
		buf_free(&text);
		int wrc = n ? img_guest_write(c->s, "/etc/sysconfig/network", out, err) : 0;
		free(out);
		if (!old || img_text_hostname_is_generic(old)) {
			free(old);
			old = was;
		} else {
			free(was);
		}
		if (wrc < 0)
			goto out;
		c->res->edited += n;
	}
	/* Debian's "127.0.1.1 <name>" line (cloud-init's manage_etc_hosts writes one too) */
	if (old && !img_text_hostname_is_generic(old) && edit_file(c, "/etc/hosts", edit_hosts, old, false, err) < 0)
		goto out;
	rc = 0;
out:
	free(old);
	return rc;
}

static int op_net_hostname(struct img_op_ctx *c, struct kiln_error *err)
{
	struct strv files = STRV_INIT;
	img_guest_glob(c->s, "/etc/sysconfig/network-scripts/ifcfg-*", &files);
	img_guest_glob(c->s, "/etc/sysconfig/network/ifcfg-*", &files);
	int rc = 0;
	for (size_t i = 0; i < files.n && rc == 0; i++)
		rc = edit_file(c, files.v[i], edit_net_hostname, NULL, false, err);
	strv_free(&files);
	return rc;
}

static int op_cloud_init(struct img_op_ctx *c, struct kiln_error *err)
{
	/* What `cloud-init clean --logs` removes: all state but a seed baked into the image on purpose. */
	static const char *const keep[] = {"seed", NULL};
	if (remove_contents(c, "/var/lib/cloud", keep, err) < 0)
		return -1;
	if (remove_if_exists(c, "/var/log/cloud-init.log", err) < 0 ||
	    remove_if_exists(c, "/var/log/cloud-init-output.log", err) < 0)
		return -1;
	return 0;
}

struct log_walk {
	struct img_op_ctx *c;
	struct kiln_error *err;
};

static int log_visit(void *arg, const char *path, const struct guestfs_statns *st)
{
	struct log_walk *w = arg;
	if ((st->st_mode & 0170000) == 0040000)
		return strcmp(path, "/var/log/journal") == 0 ? 1 : 0;
	if ((st->st_mode & 0170000) != 0100000)   /* regular files only: no symlinks, sockets */
		return 0;
	const char *base = strrchr(path, '/') + 1;
	if (img_log_is_rotated(base))
		return img_op_remove(w->c, path, w->err);
	if (st->st_size > 0) {
		/* Emptied in place: the file keeps the owner and mode its daemon expects. */
		if (guestfs_truncate(w->c->s->g, path) < 0)
			return img_guest_fail(w->c->s, w->err, "emptying %s", path);
		w->c->res->emptied++;
	}
	return 0;
}

static int op_logfiles(struct img_op_ctx *c, struct kiln_error *err)
{
	if (!img_guest_is_dir(c->s, "/var/log"))
		return 0;
	/* The journal: per-machine-id directories, useless (and identifying) in a new instance; the
	 * directory itself stays so persistent journaling stays on. */
	if (remove_contents(c, "/var/log/journal", NULL, err) < 0)
		return -1;
	struct log_walk w = {c, err};
	return img_guest_walk(c->s, "/var/log", log_visit, &w, err);
}

static int op_bash_history(struct img_op_ctx *c, struct kiln_error *err)
{
	static const char *const p[] = {"/root/.bash_history", "/home/*/.bash_history", NULL};
	return remove_globs(c, p, err);
}

static int op_tmp_files(struct img_op_ctx *c, struct kiln_error *err)
{
	if (remove_contents(c, "/tmp", NULL, err) < 0 || remove_contents(c, "/var/tmp", NULL, err) < 0)
		return -1;
	return 0;
}

static int op_dhcp_client_state(struct img_op_ctx *c, struct kiln_error *err)
{
	static const char *const p[] = {"/var/lib/dhclient/*", "/var/lib/dhcp/*.leases", "/var/lib/dhcp/*.lease",
					"/var/lib/dhcpcd/*.lease", "/var/lib/dhcpcd/*.lease6",
					"/var/lib/NetworkManager/dhclient-*", "/var/lib/NetworkManager/internal-*",
					"/var/lib/NetworkManager/*.lease", "/var/lib/wicked/lease-*", NULL};
	return remove_globs(c, p, err);
}

static int op_net_hwaddr(struct img_op_ctx *c, struct kiln_error *err)
{
	struct strv files = STRV_INIT;
	img_guest_glob(c->s, "/etc/sysconfig/network-scripts/ifcfg-*", &files);
	img_guest_glob(c->s, "/etc/sysconfig/network/ifcfg-*", &files);
	int rc = 0;
	for (size_t i = 0; i < files.n && rc == 0; i++)
		rc = edit_file(c, files.v[i], edit_hwaddr, NULL, false, err);
	strv_free(&files);
	return rc;
}

static int op_udev_persistent_net(struct img_op_ctx *c, struct kiln_error *err)
{
	return remove_if_exists(c, "/etc/udev/rules.d/70-persistent-net.rules", err);
}

static int op_package_manager_cache(struct img_op_ctx *c, struct kiln_error *err)
{
	static const char *const p[] = {"/var/cache/apt/archives/*.deb", "/var/cache/apt/archives/partial/*",
					"/var/cache/apt/*.bin", "/var/cache/dnf/*", "/var/cache/yum/*",
					"/var/cache/zypp/packages/*", "/var/cache/pacman/pkg/*", NULL};
	return remove_globs(c, p, err);
}

static int op_random_seed(struct img_op_ctx *c, struct kiln_error *err)
{
	static const char *const p[] = {"/var/lib/random-seed", "/var/lib/systemd/random-seed",
					"/var/lib/urandom/random-seed", NULL};
	return remove_globs(c, p, err);
}

static int op_utmp(struct img_op_ctx *c, struct kiln_error *err)
{
	return remove_if_exists(c, "/var/run/utmp", err);
}

static int op_crash_data(struct img_op_ctx *c, struct kiln_error *err)
{
	if (remove_contents(c, "/var/crash", NULL, err) < 0 || remove_contents(c, "/var/log/dump", NULL, err) < 0)
		return -1;
	return 0;
}

static int op_mail_spool(struct img_op_ctx *c, struct kiln_error *err)
{
	/* On Debian /var/spool/mail links to /var/mail; img_guest_ls does not follow it. */
	if (remove_contents(c, "/var/mail", NULL, err) < 0 || remove_contents(c, "/var/spool/mail", NULL, err) < 0)
		return -1;
	return 0;
}

static int op_passwd_backups(struct img_op_ctx *c, struct kiln_error *err)
{
	static const char *const p[] = {"/etc/passwd-", "/etc/shadow-", "/etc/group-", "/etc/gshadow-",
					"/etc/subuid-", "/etc/subgid-", NULL};
	return remove_globs(c, p, err);
}

const struct img_op img_ops[] = {
	{{"build-user", "remove the build's temporary account and its sudoers entry, when kiln created it", true}, op_build_user},
	{{"user-account", "remove every ordinary account (uid >= UID_MIN) except root and keep_user_accounts", false}, op_user_account},
	{{"ssh-userdir", "remove the build's temporary public key from root's and users' authorized_keys", true}, op_ssh_userdir},
	{{"ssh-hostkeys", "remove the SSH host keys (regenerated at first boot)", true}, op_ssh_hostkeys},
	{{"machine-id", "empty /etc/machine-id (kept as an empty file) and remove a separate D-Bus machine-id", true}, op_machine_id},
	{{"hostname", "reset the host name the build left in /etc/hostname (and /etc/hosts, sysconfig) to localhost", true}, op_hostname},
	{{"cloud-init", "remove cloud-init's state (/var/lib/cloud except seed) and logs, so it runs again", true}, op_cloud_init},
	{{"logfiles", "empty the files under /var/log, remove rotated logs and the journal", true}, op_logfiles},
	{{"bash-history", "remove root's and users' .bash_history", true}, op_bash_history},
	{{"tmp-files", "remove the contents of /tmp and /var/tmp", true}, op_tmp_files},
	{{"dhcp-client-state", "remove DHCP client leases", true}, op_dhcp_client_state},
	{{"net-hostname", "remove HOSTNAME= and DHCP_HOSTNAME= lines from ifcfg files", true}, op_net_hostname},
	{{"net-hwaddr", "remove HWADDR= lines from ifcfg files", true}, op_net_hwaddr},
	{{"udev-persistent-net", "remove udev's persistent network rules", true}, op_udev_persistent_net},
	{{"package-manager-cache", "remove downloaded packages and package manager caches", true}, op_package_manager_cache},
	{{"random-seed", "remove the saved random seed", true}, op_random_seed},
	{{"utmp", "remove the utmp file", true}, op_utmp},
	{{"crash-data", "remove kernel crash dumps and crash reports", true}, op_crash_data},
	{{"mail-spool", "remove local mail", true}, op_mail_spool},
	{{"passwd-backups", "remove /etc/passwd- and the other account-file backups", true}, op_passwd_backups},
};
const size_t img_nops = sizeof img_ops / sizeof img_ops[0];
