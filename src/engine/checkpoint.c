/* checkpoint.c — the engine's side of checkpoints (see checkpoint.h and docs/checkpoints.md): it decides
 * which steps can be cached and under which key, which checkpoint a build starts from, when the
 * builder saves one, and what is kept when the build ends. The builder saves and restores. */
#include "engine/checkpoint.h"
#include "engine/build.h"
#include "engine/checkpoint_key.h"
#include "engine/checkpoint_store.h"
#include "ui/ui.h"
#include "util/buf.h"
#include "util/hash.h"
#include "util/mem.h"
#include "util/signals.h"
#include "util/timeutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ckpt_step {
	char *key;
	char *label;        /* "boot", or "provisioner 2 \"shell\" (t.pkr.hcl:12)" */
	bool sensitive;     /* its configuration holds a sensitive value */
};

struct ckpt_commit;

struct ckpt_build {
	struct ckstore *store;
	uint64_t max_bytes;
	struct ckpt_step *steps;   /* [0] boot, [i] provisioner i: the cacheable prefix */
	size_t nsteps;
	char *base_link;
	char *work_dir;
	int work_fd;
	int (*save)(void *arg, const char *dir, const char *final_dir, bool with_memory, bool *memory_saved,
		    struct kiln_error *err);
	void *save_arg;

	struct ckstore_chain restored;    /* v[0]: the checkpoint the build started from */
	struct kiln_checkpoint restore_info;
	struct ckstore_entry *mine;       /* the checkpoints this build saved (their locks held) */
	size_t nmine, capmine;
	const char *tip_id;               /* the newest checkpoint of this build's chain */
	int64_t tip_cost_ms;
	bool disabled;
	bool said_no_memory;
	char *off_key;                    /* the final disk's key (ckkey_off), when the builder can save it */
	bool deferred;                    /* the last provisioner ended: save off_key once the machine is off */
	struct ckpt_commit *committing;   /* the newest checkpoint, being hashed and committed */
	int64_t deferred_cost_ms;
	long deferred_at;                 /* when it ended (monotonic ms) */
};

/* Engine-set build values are the same in every run; the others name the running machine (its
 * address, port, keys, HTTP server) and differ by design. Keys hash them by name. */
static const char *const stable_keys[] = {"PackerBuildName", "PackerBuilderType", "BuildName", "BuilderType", "Name", NULL};
static const char *const runtime_keys[] = {"Host", "Port", "User", "Password", "ConnType", "SSHPublicKey", "SSHPrivateKey",
					   "PackerHTTPIP", "PackerHTTPPort", "PackerHTTPAddr", "PackerRunUUID", "ID", NULL};

static bool in_list(const char *const *list, const char *k, size_t kl)
{
	for (; *list; list++)
		if (strlen(*list) == kl && strncmp(*list, k, kl) == 0)
			return true;
	return false;
}

static void placeholder_data(const struct strv *build_data, struct strv *out)
{
	for (size_t i = 0; i < build_data->n; i++) {
		const char *e = build_data->v[i];
		size_t kl = strcspn(e, "=");
		if (in_list(stable_keys, e, kl))
			strv_push(out, e);
		else
			strv_pushf(out, "%.*s=<build.%.*s>", (int)kl, e, (int)kl, e);
	}
	for (const char *const *k = runtime_keys; *k; k++) {
		bool have = false;
		for (size_t i = 0; i < out->n && !have; i++)
			have = strncmp(out->v[i], *k, strlen(*k)) == 0 && out->v[i][strlen(*k)] == '=';
		if (!have)
			strv_pushf(out, "%s=<build.%s>", *k, *k);
	}
}

static char *step_label(const struct plan_build *b, size_t i)
{
	const struct plan_step *s = &b->provisioners[i - 1];
	struct buf l = BUF_INIT;
	buf_printf(&l, "provisioner %zu \"%s\"", i, s->type);
	if (s->name && *s->name)
		buf_printf(&l, " (%s)", s->name);
	if (s->location && *s->location)
		buf_printf(&l, " at %s", s->location);
	return buf_detach(&l);
}

/* The key of provisioner i (1-based) after prev, or *why_not (malloc'd) when it cannot have one. */
static char *provisioner_key(struct build_run *r, size_t i, const char *prev, const char *salt, bool *sensitive,
			     char **why_not)
{
	const struct plan_step *s = &r->build->provisioners[i - 1];
	const struct engine_tmpl_ops *ops = r->opts->tmpl_ops;
	struct strv data = STRV_INIT, inputs = STRV_INIT, warnings = STRV_INIT;
	struct kiln_config *cfg = NULL;
	void *inst = NULL;
	struct buf fp = BUF_INIT;
	struct kiln_error e = ERR_INIT;
	char *key = NULL, *digest = NULL;
	const char *why = NULL;
	*why_not = NULL;
	if (!s->provisioner->checkpoint_inputs || !ops->fingerprint) {
		*why_not = xstrdup("kiln cannot tell which files it reads");
		goto out;
	}
	placeholder_data(&r->ctx.build_data, &data);
	if (ops->eval_step(r->opts->tmpl, r->build, s, &data, &cfg, &e) < 0) {
		*why_not = xasprintf("its configuration cannot be evaluated before the build: %s", err_cause(&e));
		goto out;
	}
	if (ops->fingerprint(cfg, 0, salt, &fp, sensitive, why_not) < 0)
		goto out;
	if (s->provisioner->prepare(cfg, &inst, &warnings, &e) < 0) {
		*why_not = xasprintf("its configuration cannot be checked before the build: %s", err_cause(&e));
		goto out;
	}
	if (s->provisioner->checkpoint_inputs(inst, &inputs, &why) < 0 || why) {
		*why_not = xstrdup(why ? why : "it cannot say which files it reads");
		goto out;
	}
	if (ckkey_inputs_digest(inputs.v, inputs.n, &digest, &e) < 0) {
		*why_not = xasprintf("its files cannot be read: %s", err_cause(&e));
		goto out;
	}
	key = ckkey_step(prev, s->type, buf_cstr(&fp), digest);
out:
	if (inst && s->provisioner->destroy)
		s->provisioner->destroy(inst);
	if (cfg)
		ops->config_free(cfg);
	free(digest);
	buf_free(&fp);
	err_clear(&e);
	strv_free(&data);
	strv_free(&inputs);
	strv_free(&warnings);
	return key;
}

static void off(struct build_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void off(struct build_run *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *why = xvasprintf(fmt, ap);
	va_end(ap);
	ui_say(r->ui, "Checkpoints are off for this build: %s", why);
	ui_machine(r->ui, "checkpoint", "off", why, NULL);
	free(why);
	r->ctx.checkpoints = false;
}

static void free_ck(struct ckpt_build *ck)
{
	if (!ck)
		return;
	for (size_t i = 0; i < ck->nsteps; i++) {
		free(ck->steps[i].key);
		free(ck->steps[i].label);
	}
	free(ck->steps);
	free(ck->off_key);
	ckstore_chain_release(&ck->restored);
	ckstore_entries_free(ck->mine, ck->nmine);
	ckstore_work_release(ck->work_dir, ck->work_fd);
	free(ck->work_dir);
	free(ck->base_link);
	ckstore_close(ck->store);
	free(ck);
}

/* Why the build does not go further than `after`: the checkpoint it found has a successor under
 * another key, so the next step changed. */
static void explain_change(struct build_run *r, const char *found_id, size_t after)
{
	struct ckpt_build *ck = r->ck;
	struct ckstore_entry *v = NULL;
	size_t n = 0;
	struct kiln_error e = ERR_INIT;
	if (ckstore_list(ck->store, &v, &n, NULL, &e) == 0) {
		for (size_t i = 0; i < n; i++) {
			if (v[i].after != after + 1 || !v[i].parent || strcmp(v[i].parent, found_id) != 0)
				continue;
			ui_say(r->ui, "Changed since its checkpoint (its configuration or the files it reads), so it runs again: %s",
			       after + 1 < ck->nsteps ? ck->steps[after + 1].label : "the next step");
			break;
		}
	}
	err_clear(&e);
	ckstore_entries_free(v, n);
}

int ckpt_begin(struct kiln_ctx *ctx, const struct kiln_checkpoint_start *start, const struct kiln_checkpoint **restore,
	       const char **base_link, const char **work_dir, struct kiln_error *err)
{
	struct build_run *r = ctx->engine;
	*restore = NULL;
	*base_link = NULL;
	*work_dir = NULL;
	if (!ctx->checkpoints || r->ck)
		return 0;
	if (start->why_not) {
		off(r, "%s", start->why_not);
		return 0;
	}
	struct ckpt_build *ck = xcalloc(1, sizeof *ck);
	ck->work_fd = -1;
	ck->save = start->save;
	ck->save_arg = start->save_arg;
	char *root_dir = r->opts->checkpoint_dir ? xstrdup(r->opts->checkpoint_dir) : ckstore_default_root();
	struct kiln_error e = ERR_INIT;
	struct buf fp = BUF_INIT;
	char *why = NULL, *inputs = NULL, *root = NULL;
	bool sensitive = false;
	int rc = 0;
	ck->max_bytes = r->opts->checkpoint_max_bytes ? r->opts->checkpoint_max_bytes : CKSTORE_DEFAULT_MAX_BYTES;
	if (ckstore_open(root_dir, &ck->store, &e) < 0) {
		off(r, "%s", err_cause(&e));
		goto fail;
	}
	if (!r->opts->tmpl_ops->fingerprint) {
		off(r, "the template layer cannot fingerprint configurations");
		goto fail;
	}
	if (r->opts->tmpl_ops->fingerprint(r->build->builder_config, KILN_ATTR_HOST_SIDE, ckstore_salt(ck->store), &fp,
					   &sensitive, &why) < 0) {
		off(r, "source \"%s\" \"%s\": %s", r->build->builder_type, r->build->source_name, why);
		goto fail;
	}
	size_t ninputs = 0;
	while (start->inputs && start->inputs[ninputs])
		ninputs++;
	if (ckkey_inputs_digest((char *const *)start->inputs, ninputs, &inputs, &e) < 0) {
		off(r, "the files the boot reads cannot be hashed: %s", err_cause(&e));
		goto fail;
	}
	root = ckkey_root(r->build->builder_type, buf_cstr(&fp), start->identity, start->base_digest, inputs);
	const struct plan_build *b = r->build;
	ck->steps = xcalloc(b->nprovisioners + 1, sizeof *ck->steps);
	ck->steps[0] = (struct ckpt_step){ckkey_boot(root), xstrdup("boot"), sensitive};
	ck->nsteps = 1;
	for (size_t i = 1; i <= b->nprovisioners; i++) {
		char *step_why = NULL;
		bool s_sens = false;
		char *key = provisioner_key(r, i, ck->steps[i - 1].key, ckstore_salt(ck->store), &s_sens, &step_why);
		char *label = step_label(b, i);
		if (!key) {
			ui_say(r->ui, "Checkpoints stop before %s: %s", label, step_why);
			char idx[32];
			snprintf(idx, sizeof idx, "%zu", i);
			ui_machine(r->ui, "checkpoint", "uncacheable", idx, step_why, NULL);
			free(step_why);
			free(label);
			break;
		}
		ck->steps[ck->nsteps++] = (struct ckpt_step){key, label, s_sens};
	}
	/* with every provisioner cacheable, the last one's checkpoint is the final disk (see offline_identity) */
	if (start->offline_identity && b->nprovisioners && ck->nsteps == b->nprovisioners + 1) {
		/* a shutdown command may hold a password ("echo pw | sudo -S shutdown"): keyed, never plain */
		const char *salt = ckstore_salt(ck->store);
		char *mac = hmac_sha256_hex(salt, strlen(salt), start->offline_identity, strlen(start->offline_identity));
		ck->off_key = ckkey_off(ck->steps[b->nprovisioners].key, mac);
		free(mac);
	}
	r->ck = ck;

	/* the longest prefix with a usable checkpoint: the final disk first */
	struct strv warnings = STRV_INIT;
	bool found = false;
	size_t j = ck->nsteps + (ck->off_key ? 1 : 0);
	long t_find = time_mono_ms();
	while (j-- > 0 && !found && !sig_cancelled()) {
		const char *key = j == ck->nsteps ? ck->off_key : ck->steps[j].key;
		if (ckstore_find(ck->store, key, &ck->restored, &found, &warnings, &e) < 0) {
			ui_warn(r->ui, "Cannot read the checkpoint store: %s", err_cause(&e));
			err_clear(&e);
			break;
		}
		for (size_t w = 0; w < warnings.n; w++)
			ui_warn(r->ui, "%s", warnings.v[w]);
		strv_free(&warnings);
		if (found)
			break;
	}
	if (sig_cancelled()) {
		rc = err_set_kind(err, ERR_CANCELLED, "cancelled");
		goto out;
	}
	if (found) {
		struct ckstore_entry *hit = &ck->restored.v[0];
		log_debug("checkpoints: found checkpoint %s (checked) in %.3fs", hit->id, (double)(time_mono_ms() - t_find) / 1e3);
		bool whole = ck->off_key && strcmp(hit->key, ck->off_key) == 0;
		ck->restore_info = (struct kiln_checkpoint){hit->dir, hit->after, hit->memory, whole};
		*restore = &ck->restore_info;
		ck->tip_id = hit->id;
		ck->tip_cost_ms = hit->cost_ms;
		if (whole)
			ui_say(r->ui, "Starting from the final disk of an identical build: the checkpoint after %s and the "
				      "shutdown (%.12s); no machine needs to run",
			       ck->steps[hit->after].label, hit->id);
		else if (hit->after == 0)
			ui_say(r->ui, "Starting from the checkpoint taken after boot (%.12s%s)", hit->id,
			       hit->memory ? ", with memory" : ", disk only");
		else
			ui_say(r->ui, "Starting from the checkpoint after %s (%.12s%s)", ck->steps[hit->after].label, hit->id,
			       hit->memory ? ", with memory" : ", disk only");
		if (hit->after + 1 < ck->nsteps)
			explain_change(r, hit->id, hit->after);
	} else {
		ui_say(r->ui, "No checkpoint matches this build yet: it runs from the start and saves checkpoints (%s)",
		       r->opts->checkpoints == ENGINE_CHECKPOINTS_RESUME ? "-resume" : "-cache");
	}
	if (start->base_path && start->base_digest &&
	    ckstore_base_link(ck->store, start->base_digest, start->base_path, &ck->base_link, &e) < 0) {
		off(r, "%s", err_cause(&e));
		goto fail_late;
	}
	if (ckstore_work_dir(ck->store, &ck->work_dir, &ck->work_fd, &e) < 0) {
		off(r, "%s", err_cause(&e));
		goto fail_late;
	}
	*base_link = ck->base_link;
	*work_dir = ck->work_dir;
	goto out;
fail_late:
	*restore = NULL;
	r->ck = NULL;
fail:
	free_ck(ck);
out:
	err_clear(&e);
	buf_free(&fp);
	free(why);
	free(inputs);
	free(root);
	free(root_dir);
	return rc;
}

/* A checkpoint the builder saved, hashed and committed by a thread of its own while the build goes
 * on (the next provisioner runs meanwhile); settle() waits for it before anything else touches the
 * store. */
struct ckpt_commit {
	struct build_run *r;
	pthread_t thread;
	struct ckstore_pending p;
	struct ckstore_entry meta;       /* what entry.json says (owned copy) */
	struct ckstore_entry committed;
	struct kiln_error err;
	int rc;
	size_t i;
	bool off, memory;
	bool joinable;                   /* thread is running (else the commit ran in take) */
	long t0, t_saved, t_done;
};

static void *commit_thread(void *arg)
{
	struct ckpt_commit *c = arg;
	struct build_run *r = c->r;
	struct ckpt_build *ck = r->ck;
	c->rc = ckstore_commit(ck->store, &c->p, &c->meta, &c->committed, &c->err);
	c->t_done = time_mono_ms();
	if (c->rc < 0)
		return NULL;
	char *size = ui_format_bytes(c->committed.bytes);
	char *took = duration_format_ns((int64_t)(c->t_done - c->t0) * 1000000LL);
	ui_say(r->ui, "Checkpoint after %s%s saved (%.12s, %s, %s, %s)", ck->steps[c->i].label,
	       c->off ? " and the shutdown" : "", c->committed.id,
	       c->memory ? "with memory" : c->off ? "the final disk" : "disk only", size, took);
	char idx[32];
	snprintf(idx, sizeof idx, "%zu", c->i);
	ui_machine(r->ui, "checkpoint", "saved", idx, c->committed.id, c->memory ? "memory" : "disk", NULL);
	free(size);
	free(took);
	return NULL;
}

/* Wait for the checkpoint being committed, if any: record it as this build's newest, or give up
 * checkpoints when it failed; then trim the store. */
static void settle(struct build_run *r)
{
	struct ckpt_build *ck = r->ck;
	struct ckpt_commit *c = ck ? ck->committing : NULL;
	if (!c)
		return;
	long t_wait = time_mono_ms();
	if (c->joinable)
		pthread_join(c->thread, NULL);
	ck->committing = NULL;
	if (c->rc == 0) {
		ck->mine = xgrow(ck->mine, &ck->capmine, ck->nmine + 1, sizeof *ck->mine);
		ck->mine[ck->nmine] = c->committed;
		ck->tip_id = ck->mine[ck->nmine].id;
		ck->nmine++;
		log_debug("checkpoints: saved by the builder in %.3fs, committed in %.3fs (the build waited %.3fs for it)",
			  (double)(c->t_saved - c->t0) / 1e3, (double)(c->t_done - c->t_saved) / 1e3,
			  (double)(time_mono_ms() - t_wait) / 1e3);
		struct strv removed = STRV_INIT;
		struct kiln_error e = ERR_INIT;
		if (ckstore_evict(ck->store, ck->max_bytes, &removed, &e) == 0 && removed.n) {
			char *limit = ui_format_bytes(ck->max_bytes);
			ui_message(r->ui, "The checkpoint store is over its limit of %s: removed %zu least recently used checkpoint%s",
				   limit, removed.n, removed.n == 1 ? "" : "s");
			free(limit);
		}
		strv_free(&removed);
		err_clear(&e);
	} else {
		if (!sig_cancelled() && !err_is(&c->err, ERR_CANCELLED))
			ui_warn(r->ui, "Cannot save the checkpoint after %s: %s. The build goes on without more checkpoints.",
				ck->steps[c->i].label, err_cause(&c->err));
		ck->disabled = true;
		ckstore_entry_free(&c->committed);
	}
	ckstore_entry_free(&c->meta);
	err_clear(&c->err);
	free(c);
}

/* Save checkpoint i (0: after boot) whose state cost cost_ms to reach from scratch; off: the final disk
 * after the machine powered off (off_key, disk only). The builder saves now; the store's hashing and
 * commit run in the background (settle). */
static void take(struct build_run *r, size_t i, int64_t cost_ms, bool off)
{
	struct ckpt_build *ck = r->ck;
	settle(r);
	if (!ck || ck->disabled || i >= ck->nsteps || !ck->save || sig_cancelled())
		return;
	const char *key = off ? ck->off_key : ck->steps[i].key;
	bool with_memory = !off, memory = with_memory;
	size_t secret_step = 0;
	for (size_t k = 0; k <= i && memory; k++)
		if (ck->steps[k].sensitive) {
			memory = false;
			secret_step = k;
		}
	if (with_memory && !memory && !ck->said_no_memory) {
		ui_say(r->ui, "Checkpoints from here on keep the disk only, not the memory: %s handled a sensitive value",
		       secret_step ? ck->steps[secret_step].label : "the boot");
		ck->said_no_memory = true;
	}
	struct ckpt_commit *c = xcalloc(1, sizeof *c);
	c->r = r;
	c->i = i;
	c->off = off;
	c->t0 = time_mono_ms();
	c->committed.lock_fd = -1;
	c->err = (struct kiln_error)ERR_INIT;
	if (ckstore_begin(ck->store, key, &c->p, &c->err) < 0)
		goto fail;
	if (ck->save(ck->save_arg, c->p.dir, c->p.final_dir, memory, &c->memory, &c->err) < 0) {
		ckstore_abort(ck->store, &c->p);
		goto fail;
	}
	c->t_saved = time_mono_ms();
	struct ckstore_entry meta;
	memset(&meta, 0, sizeof meta);
	meta.key = (char *)key;
	meta.parent = (char *)ck->tip_id;
	meta.build = (char *)r->build->name;
	char *off_label = off ? xasprintf("%s and the shutdown", ck->steps[i].label) : NULL;
	meta.step = off ? off_label : ck->steps[i].label;
	meta.after = i;
	meta.steps = r->build->nprovisioners;
	meta.memory = c->memory;
	meta.keep = r->opts->checkpoints == ENGINE_CHECKPOINTS_CACHE ? "cache" : "resume";
	meta.cost_ms = cost_ms;
	meta.lock_fd = -1;
	ckstore_entry_copy(&c->meta, &meta);
	free(off_label);
	ck->tip_cost_ms = cost_ms;
	ck->committing = c;
	c->joinable = pthread_create(&c->thread, NULL, commit_thread, c) == 0;
	if (!c->joinable)
		commit_thread(c);   /* no thread: commit here, settle() only collects it */
	return;
fail:
	if (!sig_cancelled() && !err_is(&c->err, ERR_CANCELLED))
		ui_warn(r->ui, "Cannot save the checkpoint after %s: %s. The build goes on without more checkpoints.",
			ck->steps[i].label, err_cause(&c->err));
	ck->disabled = true;
	err_clear(&c->err);
	free(c);
}

size_t ckpt_provision_start(struct build_run *r)
{
	struct ckpt_build *ck = r->ck;
	if (!ck)
		return 0;
	long now = time_mono_ms();
	if (!ck->restored.n) {
		take(r, 0, (int64_t)(now - r->start_ms), false);
		return 0;
	}
	const struct ckstore_entry *hit = &ck->restored.v[0];
	if (ck->off_key && hit->after == r->build->nprovisioners && !ck->restore_info.whole) {
		/* a running machine after every provisioner (its final disk was not kept, or had another
		 * shutdown): once it is off, its disk is this build's final one */
		ck->deferred = true;
		ck->deferred_cost_ms = hit->cost_ms;
		ck->deferred_at = now;
	}
	for (size_t i = 1; i <= hit->after && i < ck->nsteps; i++) {
		ui_say(r->ui, "Skipping %s: its result is in the checkpoint", ck->steps[i].label);
		char idx[32];
		snprintf(idx, sizeof idx, "%zu", i);
		ui_machine(r->ui, "checkpoint", "skipped", idx, ck->steps[i].label, NULL);
	}
	int64_t spent = (int64_t)(now - r->start_ms);
	int64_t saved = hit->cost_ms > spent ? hit->cost_ms - spent : 0;
	char *d_spent = duration_format_ns(spent * 1000000LL), *d_cost = duration_format_ns(hit->cost_ms * 1000000LL);
	char *d_saved = duration_format_ns(saved * 1000000LL);
	if (hit->after == 0)
		ui_say(r->ui, "Reused the boot: ready after %s instead of %s, %s saved", d_spent, d_cost, d_saved);
	else
		ui_say(r->ui, "Reused the boot and %zu provisioner%s: ready after %s instead of %s, %s saved", hit->after,
		       hit->after == 1 ? "" : "s", d_spent, d_cost, d_saved);
	char idx[32], ms[32];
	snprintf(idx, sizeof idx, "%zu", hit->after);
	snprintf(ms, sizeof ms, "%lld", (long long)saved);
	ui_machine(r->ui, "checkpoint", "reused", idx, hit->id, NULL);
	ui_machine(r->ui, "checkpoint", "time-saved", ms, NULL);
	free(d_spent);
	free(d_cost);
	free(d_saved);
	return hit->after < r->build->nprovisioners ? hit->after : r->build->nprovisioners;
}

void ckpt_after_provisioner(struct build_run *r, size_t index, int64_t step_ms)
{
	struct ckpt_build *ck = r->ck;
	if (!ck || index >= ck->nsteps)
		return;
	if (ck->off_key && index == r->build->nprovisioners) {
		/* nothing runs in the guest after the last provisioner: its memory would never be used, so its
		 * checkpoint is the disk the shutdown leaves (ckpt_machine_off), which costs a rename instead of
		 * writing the memory out */
		ck->deferred = true;
		ck->deferred_cost_ms = ck->tip_cost_ms + step_ms;
		ck->deferred_at = time_mono_ms();
		return;
	}
	take(r, index, ck->tip_cost_ms + step_ms, false);
}

void ckpt_machine_off(struct kiln_ctx *ctx, bool clean)
{
	struct build_run *r = ctx->engine;
	struct ckpt_build *ck = r ? r->ck : NULL;
	if (!ck)
		return;
	if (ck->deferred && clean) {
		/* what an unchanged rebuild skips includes the shutdown */
		take(r, r->build->nprovisioners, ck->deferred_cost_ms + (int64_t)(time_mono_ms() - ck->deferred_at),
		     true);
	}
	ck->deferred = false;
	/* Commit what is being committed before returning. With the machine off, the builder's next steps
	 * (sanitize, export) open the disk's layers by their paths, which name the checkpoints' layers at
	 * their places in entries/: those exist only once a commit has moved them there (a running machine
	 * holds its layers open instead, so there a commit may overlap the next provisioner). */
	settle(r);
}

/* The ids of every checkpoint this build stood on or made, with their keep value. */
static void chain_ids(struct ckpt_build *ck, struct strv *ids, struct strv *keeps)
{
	for (size_t i = 0; i < ck->restored.n; i++) {
		strv_push(ids, ck->restored.v[i].id);
		strv_push(keeps, ck->restored.v[i].keep);
	}
	for (size_t i = 0; i < ck->nmine; i++) {
		strv_push(ids, ck->mine[i].id);
		strv_push(keeps, ck->mine[i].keep);
	}
}

void ckpt_finish(struct build_run *r, bool succeeded)
{
	struct ckpt_build *ck = r->ck;
	if (!ck)
		return;
	settle(r);
	struct strv ids = STRV_INIT, keeps = STRV_INIT;
	chain_ids(ck, &ids, &keeps);
	/* let go of every lock first: removing needs them */
	ckstore_chain_release(&ck->restored);
	ckstore_entries_free(ck->mine, ck->nmine);
	ck->mine = NULL;
	ck->nmine = ck->capmine = 0;
	ck->tip_id = NULL;
	/* -on-error=abort/ask may have left the VM running on these disks for the user to look at: the
	 * next kiln removes both, the domain as a stray and the directory once its lock is free */
	bool left_running = !succeeded && !sig_cancelled() && (r->opts->on_error == KILN_ON_ERROR_ABORT ||
								r->opts->on_error == KILN_ON_ERROR_ASK);
	ckstore_work_release(left_running ? NULL : ck->work_dir, ck->work_fd);
	free(ck->work_dir);
	ck->work_dir = NULL;
	ck->work_fd = -1;
	struct kiln_error e = ERR_INIT;
	if (succeeded && r->opts->checkpoints == ENGINE_CHECKPOINTS_RESUME) {
		size_t dropped = 0;
		for (size_t i = 0; i < ids.n; i++) {
			if (strcmp(keeps.v[i], "resume") != 0)
				continue;
			bool busy = false;
			size_t gone = 0;
			if (ckstore_remove(ck->store, ids.v[i], &busy, &gone, &e) == 0)
				dropped += gone;
			err_clear(&e);
		}
		if (dropped)
			ui_say(r->ui, "Removed the %zu checkpoint%s kept for -resume: the build succeeded", dropped,
			       dropped == 1 ? "" : "s");
	} else if (succeeded) {
		for (size_t i = 0; i < ids.n; i++)
			if (strcmp(keeps.v[i], "resume") == 0) {
				ckstore_set_keep(ck->store, ids.v[i], "cache", &e);
				err_clear(&e);
			}
	} else if (ids.n && !sig_cancelled()) {
		ui_say(r->ui, "Checkpoints are kept: `kiln build -resume` (or -cache) starts again from the last one");
	} else if (ids.n) {
		ui_say(r->ui, "Checkpoints are kept for -resume");
	}
	char cnt[32];
	snprintf(cnt, sizeof cnt, "%zu", ids.n);
	ui_machine(r->ui, "checkpoint", "chain", cnt, NULL);
	if (ckstore_evict(ck->store, ck->max_bytes, NULL, &e) < 0)
		log_debug("checkpoints: evicting: %s", err_cause(&e));
	err_clear(&e);
	strv_free(&ids);
	strv_free(&keeps);
	free_ck(ck);
	r->ck = NULL;
}
