/* build.c — one build: prepare and run the builder with the provisioners hooked in (pause_before,
 * max_retries, timeout, error-cleanup-provisioner), then the post-processor chains with Packer's
 * keep_input_artifact rules. */
#include "engine/build.h"
#include "engine/checkpoint.h"
#include "ui/ui.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/signals.h"
#include "util/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *step_label(const struct plan_step *s, struct buf *b)
{
	buf_reset(b);
	buf_printf(b, "%s \"%s\"", s->provisioner ? "provisioner" : "post-processor", s->type);
	if (s->name && *s->name)
		buf_printf(b, " (%s)", s->name);
	if (s->location && *s->location)
		buf_printf(b, " at %s", s->location);
	return buf_cstr(b);
}

static int eval_and_prepare(struct build_run *r, const struct plan_step *s, struct kiln_config **cfg,
			    void **inst, struct kiln_error *err)
{
	if (r->opts->tmpl_ops->eval_step(r->opts->tmpl, r->build, s, &r->ctx.build_data, cfg, err) < 0)
		return -1;
	struct strv warnings = STRV_INIT;
	int rc = s->provisioner ? s->provisioner->prepare(*cfg, inst, &warnings, err)
				: s->postprocessor->prepare(*cfg, inst, &warnings, err);
	for (size_t i = 0; i < warnings.n; i++)
		ui_warn(r->ui, "%s", warnings.v[i]);
	strv_free(&warnings);
	return rc;
}

static void release(struct build_run *r, const struct plan_step *s, struct kiln_config *cfg, void *inst)
{
	if (inst) {
		if (s->provisioner && s->provisioner->destroy)
			s->provisioner->destroy(inst);
		else if (s->postprocessor && s->postprocessor->destroy)
			s->postprocessor->destroy(inst);
	}
	if (cfg)
		r->opts->tmpl_ops->config_free(cfg);
}

/* One attempt of one provisioner, under its timeout. */
static int provision_once(struct build_run *r, const struct plan_step *s, struct kiln_comm *comm,
			  struct kiln_error *err)
{
	struct kiln_config *cfg = NULL;
	void *inst = NULL;
	int rc = eval_and_prepare(r, s, &cfg, &inst, err);
	if (rc == 0) {
		if (s->timeout_ms > 0)
			sig_set_thread_deadline(time_mono_ms() + (long)s->timeout_ms);
		rc = s->provisioner->provision(inst, &r->ctx, comm, err);
		bool timed_out = s->timeout_ms > 0 && sig_thread_deadline_passed();
		sig_set_thread_deadline(0);
		if (timed_out) {
			char *d = duration_format_ns(s->timeout_ms * 1000000LL);
			if (err_is(err, ERR_TIMEOUT)) {
				/* the component says how it ended (a plugin: whether it stopped, its last output) */
				err_wrap(err, "timed out after %s", d);
			} else {
				struct kiln_error t = ERR_INIT;
				err_set_kind(&t, ERR_TIMEOUT, "timed out after %s", d);
				err_move(err, &t);
			}
			if (!err->hint)
				err_hint(err, "raise the provisioner's `timeout`, or find out why it hangs (KILN_LOG=1 shows every command)");
			free(d);
			rc = -1;
		}
	}
	release(r, s, cfg, inst);
	return rc;
}

static int run_provisioner(struct build_run *r, const struct plan_step *s, struct kiln_comm *comm,
			   struct kiln_error *err)
{
	struct buf label = BUF_INIT;
	int rc = 0;
	if (s->pause_before_ms > 0) {
		char *d = duration_format_ns(s->pause_before_ms * 1000000LL);
		ui_say(r->ui, "Pausing %s before the next provisioner...", d);
		free(d);
		if (sleep_cancellable_ms((long)s->pause_before_ms) < 0) {
			rc = err_set_kind(err, ERR_CANCELLED, "cancelled");
			goto out;
		}
	}
	for (int attempt = 0;; attempt++) {
		rc = provision_once(r, s, comm, err);
		if (rc == 0 || sig_cancelled() || attempt >= s->max_retries)
			break;
		char *msg = err_text(err);
		ui_error(r->ui, "%s failed: %s", step_label(s, &label), msg);
		ui_say(r->ui, "Retrying %s (attempt %d of %d)...", step_label(s, &label), attempt + 2, s->max_retries + 1);
		free(msg);
		err_clear(err);
		/* Packer waits a little longer after each failure. */
		if (sleep_cancellable_ms(1000L << (attempt < 5 ? attempt : 5)) < 0) {
			rc = err_set_kind(err, ERR_CANCELLED, "cancelled");
			break;
		}
	}
	if (rc < 0)
		err_wrap(err, "%s", step_label(s, &label));
out:
	buf_free(&label);
	return rc;
}

/* ctx->ops->provision: the builder calls this once its communicator is connected. */
static int hook_provision(struct kiln_ctx *ctx, struct kiln_comm *comm, struct kiln_error *err)
{
	struct build_run *r = ctx->engine;
	const struct plan_build *b = r->build;
	/* a restored checkpoint covers the first provisioners; otherwise the after-boot one is taken */
	for (size_t i = ckpt_provision_start(r); i < b->nprovisioners; i++) {
		if (sig_cancelled())
			return err_set_kind(err, ERR_CANCELLED, "cancelled");
		long t0 = time_mono_ms();
		if (run_provisioner(r, &b->provisioners[i], comm, err) == 0) {
			ckpt_after_provisioner(r, i + 1, (int64_t)(time_mono_ms() - t0));
			continue;
		}
		if (!err_is(err, ERR_CANCELLED)) {
			ui_say(r->ui, "Provisioning step had errors: Running the cleanup provisioner, if present...");
			struct kiln_error cleanup_err = ERR_INIT;
			if (b->error_cleanup && run_provisioner(r, b->error_cleanup, comm, &cleanup_err) < 0) {
				char *m = err_text(&cleanup_err);
				ui_error(r->ui, "The error-cleanup-provisioner failed too: %s", m);
				free(m);
			}
			err_clear(&cleanup_err);
		}
		return -1;
	}
	return 0;
}

static int hook_pause(struct kiln_ctx *ctx, const char *step_name)
{
	struct build_run *r = ctx->engine;
	if (!r->opts->debug)
		return 0;
	char *q = xasprintf("Pausing before step '%s'. Press enter to continue.", step_name);
	char *line = ui_ask(r->ui, q);
	free(q);
	if (!line) {
		if (sig_cancelled())
			return -1;
		/* No terminal to wait on: say so once and go on. */
		if (!r->warned_no_tty) {
			ui_warn(r->ui, "-debug needs a terminal on stdin to pause; continuing without pausing");
			r->warned_no_tty = true;
		}
		return 0;
	}
	free(line);
	return sig_cancelled() ? -1 : 0;
}

static const struct kiln_ctx_ops engine_ctx_ops = {
	.provision = hook_provision,
	.pause = hook_pause,
	.checkpoint_begin = ckpt_begin,
	.checkpoint_machine_off = ckpt_machine_off,
};

static void push_artifact(struct build_run *r, struct kiln_artifact *a)
{
	r->artifacts = xgrow(r->artifacts, &r->capartifacts, r->nartifacts + 1, sizeof *r->artifacts);
	r->artifacts[r->nartifacts++] = a;
}

static bool listed(struct build_run *r, const struct kiln_artifact *a)
{
	for (size_t i = 0; i < r->nartifacts; i++)
		if (r->artifacts[i] == a)
			return true;
	return false;
}

/* Destroy an artifact that nobody keeps: its files, then the struct (unless it is listed). */
static void drop_artifact(struct build_run *r, struct kiln_artifact *a, const char *why)
{
	if (!a || listed(r, a))
		return;
	struct kiln_error e = ERR_INIT;
	log_debug("deleting %s artifact of %s (%s)", a->builder_id, r->build->name, why);
	if (kiln_artifact_destroy_files(a, &e) < 0) {
		char *m = err_text(&e);
		ui_warn(r->ui, "could not delete an intermediate artifact: %s", m);
		free(m);
		err_clear(&e);
	}
	kiln_artifact_free(a);
}

static int run_chains(struct build_run *r, struct kiln_artifact *builder_artifact, struct kiln_error *err)
{
	const struct plan_build *b = r->build;
	bool keep_original = b->nchains == 0;
	struct kiln_artifact **later = NULL; /* artifacts produced by chains, listed after the builder's */
	size_t nlater = 0, caplater = 0;
	int rc = 0;
	struct buf label = BUF_INIT;

	for (size_t c = 0; c < b->nchains && rc == 0; c++) {
		struct kiln_artifact *prior = builder_artifact;
		const struct plan_chain *chain = &b->chains[c];
		for (size_t i = 0; i < chain->nsteps; i++) {
			const struct plan_step *s = &chain->steps[i];
			if (sig_cancelled()) {
				rc = err_set_kind(err, ERR_CANCELLED, "cancelled");
				break;
			}
			ui_say(r->ui, "Running post-processor: %s (type %s)", s->name ? s->name : "", s->type);
			struct kiln_config *cfg = NULL;
			void *inst = NULL;
			struct kiln_artifact *out = NULL;
			bool keep = false;
			rc = eval_and_prepare(r, s, &cfg, &inst, err);
			if (rc == 0)
				rc = s->postprocessor->run(inst, &r->ctx, prior, &out, &keep, err);
			release(r, s, cfg, inst);
			if (rc < 0) {
				err_wrap(err, "%s", step_label(s, &label));
				if (prior != builder_artifact && prior != out)
					drop_artifact(r, prior, "chain failed");
				break;
			}
			/* a post-processor that hands its input on (manifest, shell-local) keeps it whatever
			 * keep_input_artifact says, as Packer forces it */
			if (out == prior)
				keep = true;
			else if (s->keep_input_artifact_set)
				keep = s->keep_input_artifact;
			/* The summary lists what Packer lists: a kept input and the chain's last artifact, even
			 * when a post-processor handed its input on (manifest, shell-local), so that the same
			 * artifact may be listed twice (-machine-readable's artifact-count is Packer's). */
			if (i == 0) {
				if (keep)
					keep_original = true;
			} else if (keep) {
				later = xgrow(later, &caplater, nlater + 1, sizeof *later);
				later[nlater++] = prior;
			} else if (prior != out && prior != builder_artifact) {
				/* (the builder's artifact is kept or dropped once every chain has run) */
				drop_artifact(r, prior, "keep_input_artifact = false");
			}
			prior = out;
		}
		if (rc == 0 && prior) {
			later = xgrow(later, &caplater, nlater + 1, sizeof *later);
			later[nlater++] = prior;
			if (prior == builder_artifact)
				keep_original = true; /* a post-processor that returns its input keeps it */
		}
	}
	if (keep_original || rc < 0) {
		push_artifact(r, builder_artifact);
	} else {
		drop_artifact(r, builder_artifact, "no post-processor keeps it");
	}
	for (size_t i = 0; i < nlater; i++)
		push_artifact(r, later[i]);
	free(later);
	buf_free(&label);
	return rc;
}

void build_run_init(struct build_run *r, const struct plan_build *b, const struct engine_opts *opts,
		    const char *template_dir)
{
	memset(r, 0, sizeof *r);
	r->build = b;
	r->opts = opts;
	r->ui = ui_for_target(b->name);
	r->ctx.ui = r->ui;
	r->ctx.build_name = b->name;
	r->ctx.builder_type = b->builder_type;
	r->ctx.source_name = b->source_name;
	r->ctx.template_dir = template_dir;
	r->ctx.debug = opts->debug;
	r->ctx.force = opts->force;
	r->ctx.on_error = opts->on_error;
	r->ctx.ops = &engine_ctx_ops;
	r->ctx.engine = r;
	r->ctx.checkpoints = opts->checkpoints != ENGINE_CHECKPOINTS_OFF;
	r->host = -1;
	r->only_host = -1;
	/* Packer's injected values, available to provisioners from the start. */
	kiln_ctx_set(&r->ctx, "PackerBuildName", b->name);
	kiln_ctx_set(&r->ctx, "PackerBuilderType", b->builder_type);
	kiln_ctx_set(&r->ctx, "BuildName", b->name);
	kiln_ctx_set(&r->ctx, "BuilderType", b->builder_type);
	kiln_ctx_set(&r->ctx, "Name", b->name);
}

int build_prepare(struct build_run *r, struct kiln_error *err)
{
	struct strv warnings = STRV_INIT;
	int rc = r->build->builder->prepare(r->build->builder_config, &r->builder_instance, &warnings, err);
	for (size_t i = 0; i < warnings.n; i++)
		ui_warn(r->ui, "%s", warnings.v[i]);
	strv_free(&warnings);
	if (rc < 0)
		err_wrap(err, "source \"%s\" \"%s\"", r->build->builder_type, r->build->source_name);
	return rc;
}

int build_execute(struct build_run *r)
{
	struct kiln_error *err = &r->err;
	long start = time_mono_ms();
	r->start_ms = start;
	struct kiln_artifact *artifact = NULL;
	int rc = r->build->builder->run(r->builder_instance, &r->ctx, &artifact, err);
	if (rc == 0 && !artifact)
		rc = err_set(err, "the %s builder finished without an artifact", r->build->builder_type);
	if (rc == 0)
		rc = run_chains(r, artifact, err);
	else if (artifact)
		kiln_artifact_free(artifact);
	ckpt_finish(r, rc == 0);
	r->elapsed_ns = (int64_t)(time_mono_ms() - start) * 1000000LL;
	r->failed = rc < 0;
	return rc;
}

void build_run_free(struct build_run *r)
{
	if (r->builder_instance && r->build->builder->destroy)
		r->build->builder->destroy(r->builder_instance);
	for (size_t i = 0; i < r->nartifacts; i++) {
		bool seen = false; /* listed twice (see run_chains), freed once */
		for (size_t j = 0; j < i && !seen; j++)
			seen = r->artifacts[j] == r->artifacts[i];
		if (!seen)
			kiln_artifact_free(r->artifacts[i]);
	}
	free(r->artifacts);
	strv_free(&r->ctx.build_data);
	err_clear(&r->err);
	free(r->lost_host);
	ui_free(r->ui);
}

void build_run_reset(struct build_run *r)
{
	for (size_t i = 0; i < r->nartifacts; i++)
		kiln_artifact_free(r->artifacts[i]);
	r->nartifacts = 0;
	err_clear(&r->err);
	r->failed = false;
}
