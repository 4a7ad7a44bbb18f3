/* outdir.c — the output directory of a qemu build (docs/reliability.md says what it promises):
 *  - the build writes only a directory whose lock it holds (util/dirlock.h);
 *  - a directory a kiln that died left half written (its lock is free) is taken over, without -force;
 *  - a directory a live build is writing is refused, even with -force;
 *  - anything else (no lock: the user's files, a finished output) needs -force, and -force replaces it
 *    only once the new output is complete: the build writes <dir>.kiln-new.XXXXXX beside it and the two
 *    are swapped after the export (qemu_outdir_commit), so a build that fails leaves the old one as it was;
 *  - what an interrupted -force left (a staging directory whose owner died, a replaced directory not yet
 *    removed) is cleaned up first, and a swap cut in half is undone;
 *  - a failed build's serial log is kept beside where the output would have been. */
#include "qemu/build.h"
#include "ui/ui.h"
#include "util/buf.h"
#include "util/dirlock.h"
#include "util/file.h"
#include "util/hash.h"
#include "util/mem.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#define STAGING_INFIX ".kiln-new."
#define REPLACED_INFIX ".kiln-old."

static char *sibling(const char *final, const char *infix)
{
	unsigned char r[4];
	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
		for (size_t i = 0; i < sizeof r; i++)
			r[i] = (unsigned char)(rand() & 0xff);
	char hex[2 * sizeof r + 1];
	hex_encode(r, sizeof r, hex);
	return xasprintf("%s%s%s", final, infix, hex);
}

static char *lock_what(const struct qemu_build *b)
{
	return xasprintf("build %s", b->ctx->build_name ? b->ctx->build_name : "qemu");
}

/* What an interrupted -force left beside final: a replaced output that was not removed yet (removed;
 * or put back when the swap stopped half way), and staging directories whose owner is gone. */
static void recover_siblings(struct qemu_build *b, const char *final)
{
	char *parent = path_dirname(final), *base = path_basename(final);
	size_t bl = strlen(base);
	struct strv replaced = STRV_INIT, staging = STRV_INIT;
	DIR *d = opendir(parent);
	for (struct dirent *e; d && (e = readdir(d));) {
		if (strncmp(e->d_name, base, bl) != 0)
			continue;
		if (strncmp(e->d_name + bl, REPLACED_INFIX, strlen(REPLACED_INFIX)) == 0)
			strv_push_owned(&replaced, path_join(parent, e->d_name));
		else if (strncmp(e->d_name + bl, STAGING_INFIX, strlen(STAGING_INFIX)) == 0)
			strv_push_owned(&staging, path_join(parent, e->d_name));
	}
	if (d)
		closedir(d);

	/* a staging directory whose owner lives is a -force build in progress: leave everything alone */
	bool live = false;
	struct kiln_error e = ERR_INIT;
	for (size_t i = 0; i < staging.n; i++) {
		enum dirlock_status st;
		if (dirlock_probe(staging.v[i], &st, NULL, NULL, &e) == 0 && st == DIRLOCK_HELD)
			live = true;
		err_clear(&e);
	}
	for (size_t i = 0; i < replaced.n && !live; i++) {
		if (!file_exists(final) && rename(replaced.v[i], final) == 0) {
			ui_say(b->ui, "Restored the previous output directory %s: a -force build was interrupted while "
				      "replacing it", final);
			continue;
		}
		ui_say(b->ui, "Removing %s: the previous output an interrupted -force build replaced", replaced.v[i]);
		if (rm_rf(replaced.v[i], &e) < 0)
			ui_warn(b->ui, "Cannot remove %s: %s", replaced.v[i], err_cause(&e));
		err_clear(&e);
	}
	for (size_t i = 0; i < staging.n; i++) {
		enum dirlock_status st;
		struct dirlock_owner o = {0};
		struct dirlock *taken = NULL;
		if (dirlock_probe(staging.v[i], &st, &o, &taken, &e) == 0 && st == DIRLOCK_STALE) {
			char *who = dirlock_owner_describe(&o);
			ui_say(b->ui, "Removing %s, half written by %s, which is gone", staging.v[i], who);
			free(who);
			if (rm_rf(staging.v[i], &e) < 0)
				ui_warn(b->ui, "Cannot remove %s: %s", staging.v[i], err_cause(&e));
		}
		err_clear(&e);
		dirlock_drop(taken);
		dirlock_owner_free(&o);
	}
	strv_free(&replaced);
	strv_free(&staging);
	free(parent);
	free(base);
}

/* The existing final directory: may the build go on, and how (in place after a takeover, or staged)? */
static int judge_existing(struct qemu_build *b, const char *final, const char *shown, bool *stage, struct kiln_error *err)
{
	enum dirlock_status st;
	struct dirlock_owner o = {0};
	struct dirlock *taken = NULL;
	int rc = -1;
	if (dirlock_probe(final, &st, &o, &taken, err) < 0)
		return err_wrap(err, "output directory %s", shown);
	char *who = dirlock_owner_describe(&o);
	switch (st) {
	case DIRLOCK_HELD:
		err_set_kind(err, ERR_INVALID, "output directory %s is being written by %s", shown, who);
		err_hint(err, "wait for that build to finish, or choose another output_directory (-force does not "
			      "take a directory from a running build)");
		break;
	case DIRLOCK_STALE:
		ui_say(b->ui, "Output directory %s was left half written by %s, which is gone: taking it over", shown, who);
		if (rm_rf(final, err) < 0) {
			err_wrap(err, "removing the half-written output directory");
			break;
		}
		rc = 0;
		break;
	case DIRLOCK_ELSEWHERE:
	case DIRLOCK_NONE:
		/* no build here is known to write it: -force stages the replacement, else refuse */
		if (b->ctx->force) {
			*stage = true;
			rc = 0;
		} else if (st == DIRLOCK_ELSEWHERE) {
			err_set_kind(err, ERR_INVALID, "output directory %s is locked by %s, which cannot be checked from here",
				     shown, who);
			err_hint(err, "if that build is gone, remove the directory or run with -force to replace it");
		} else {
			err_set_kind(err, ERR_INVALID, "output directory %s already exists", shown);
			err_hint(err, "remove it, choose another output_directory, or run with -force to replace it "
				      "(the old one stays until the new build succeeds)");
		}
		break;
	}
	dirlock_drop(taken);
	dirlock_owner_free(&o);
	free(who);
	return rc;
}

int qemu_step_output_dir(void *state, struct kiln_error *err)
{
	struct qemu_build *b = state;
	const char *src = b->ctx->source_name && *b->ctx->source_name ? b->ctx->source_name : "qemu";
	qemu_config_derive_defaults(b->cfg, src);   /* the names that depend on the source */
	char *shown = xstrdup(b->cfg->output_directory);
	b->vm_name = xstrdup(b->cfg->vm_name);
	b->final_output_dir = path_abs(shown);
	const char *final = b->final_output_dir;
	char *what = lock_what(b);
	bool stage = false;
	int rc = -1;

	char *parent = path_dirname(final);
	if (mkdir_p(parent, 0755, err) < 0) {
		err_wrap(err, "creating the output directory");
		goto out;
	}
	recover_siblings(b, final);
	if (file_exists(final) && judge_existing(b, final, shown, &stage, err) < 0)
		goto out;
	if (!stage) {
		if (dirlock_create_dir(final, 0755, what, &b->outdir_lock, err) < 0) {
			if (err->errnum == EEXIST) {
				err_clear(err);
				err_set_kind(err, ERR_INVALID, "output directory %s appeared while this build was creating it", shown);
				err_hint(err, "another build writes the same output_directory: give each its own");
			} else {
				err_wrap(err, "creating the output directory");
			}
			goto out;
		}
		b->output_dir = xstrdup(final);
	} else {
		for (int tries = 0; !b->outdir_lock && tries < 10; tries++) {
			free(b->output_dir);
			b->output_dir = sibling(final, STAGING_INFIX);
			if (dirlock_create_dir(b->output_dir, 0755, what, &b->outdir_lock, err) < 0 && err->errnum != EEXIST)
				goto out;
			if (!b->outdir_lock && tries < 9)
				err_clear(err);
		}
		if (!b->outdir_lock)
			goto out;
		ui_say(b->ui, "Output directory %s exists: building beside it, in %s; it is replaced when this build "
			      "succeeds (-force)", shown, b->output_dir);
	}
	b->output_dir_created = true;
	b->output_staged = stage;
	qemu_build_set_var(b, "OutputDir", b->output_dir);
	qemu_build_set_var(b, "Name", b->vm_name);
	rc = 0;
out:
	free(parent);
	free(what);
	free(shown);
	return rc;
}

/* Keep a failed build's serial log beside where the output would have been: <output>-serial.log. */
static void keep_serial_log(struct qemu_build *b)
{
	off_t size = 0;
	if (!b->serial_path || file_size(b->serial_path, &size, NULL) < 0 || size == 0)
		return;
	char *kept = xasprintf("%s-serial.log", b->final_output_dir);
	if (rename(b->serial_path, kept) == 0 ||
	    (errno == EXDEV && file_copy(b->serial_path, kept, 0644, NULL) == 0)) {
		ui_say(b->ui, "Kept the serial log of the failed build: %s", kept);
		b->kept_serial_path = kept;
		return;
	}
	free(kept);
}

void qemu_cleanup_output_dir(void *state)
{
	struct qemu_build *b = state;
	if (!b->output_dir_created || b->outcome == STEPS_SUCCEEDED)
		return;
	if (b->outcome == STEPS_FAILED)
		keep_serial_log(b);
	struct kiln_error e = ERR_INIT;
	ui_say(b->ui, b->output_staged ? "Deleting the unfinished output directory (the previous one stays)..."
				       : "Deleting output directory...");
	if (rm_rf(b->output_dir, &e) < 0)
		ui_error(b->ui, "Cannot remove %s: %s", b->output_dir, err_cause(&e));
	err_clear(&e);
	dirlock_drop(b->outdir_lock);
	b->outdir_lock = NULL;
}

void qemu_outdir_abandon(struct qemu_build *b)
{
	/* -on-error=abort: the directory is the user's to look at now, not a half-written output for the
	 * next build to take over */
	dirlock_release(b->outdir_lock);
	b->outdir_lock = NULL;
}

/* path, if it lies in from, moved to to. */
static void rebase(char **path, const char *from, const char *to)
{
	char *moved = *path ? path_rebase(*path, from, to) : NULL;
	if (moved) {
		free(*path);
		*path = moved;
	}
}

int qemu_outdir_commit(struct qemu_build *b, struct kiln_error *err)
{
	if (!b->output_staged) {
		dirlock_release(b->outdir_lock);
		b->outdir_lock = NULL;
		return 0;
	}
	const char *final = b->final_output_dir;
	char *staging = xstrdup(b->output_dir);
	char *old = NULL;
	int rc = -1;
	if (file_exists(final)) {
		old = sibling(final, REPLACED_INFIX);
		ui_say(b->ui, "Replacing the previous output directory %s (-force)...", final);
		if (rename(final, old) < 0) {
			err_set_errno(err, errno, "moving the previous output directory %s aside", final);
			goto out;
		}
	}
	if (rename(staging, final) < 0) {
		err_set_errno(err, errno, "renaming %s to %s", staging, final);
		if (old && rename(old, final) < 0)
			err_hint(err, "the previous output directory is now %s", old);
		goto out;
	}
	dirlock_moved(b->outdir_lock, final);
	rebase(&b->output_dir, staging, final);
	rebase(&b->disk_path, staging, final);
	rebase(&b->serial_path, staging, final);
	rebase(&b->nvram_path, staging, final);
	rebase(&b->cd_iso, staging, final);
	rebase(&b->seed_iso, staging, final);
	for (size_t i = 0; i < b->extra_disks.n; i++)
		rebase(&b->extra_disks.v[i], staging, final);
	if (b->artifact)
		kiln_artifact_rebase(b->artifact, staging, final);
	b->output_staged = false;
	qemu_build_set_var(b, "OutputDir", b->output_dir);
	if (old) {
		struct kiln_error e = ERR_INIT;
		if (rm_rf(old, &e) < 0)
			ui_warn(b->ui, "Cannot remove the previous output, now at %s: %s", old, err_cause(&e));
		err_clear(&e);
	}
	dirlock_release(b->outdir_lock);
	b->outdir_lock = NULL;
	rc = 0;
out:
	free(old);
	free(staging);
	return rc;
}
