/* builder.c — the "qemu" builder (Packer's builder id "transcend.qemu"): a source "qemu" block runs as a
 * list of steps on a libvirt domain, like Packer's builder/qemu. When kiln chose KVM itself and the guest
 * dies with a KVM internal error, the whole list runs once more under TCG. */
#include "qemu/build.h"
#include "qemu/checkpoint.h"
#include "http-seed/seed_server.h"
#include "qemu/hosts.h"
#include "qemu/libvirt.h"
#include "ui/ui.h"
#include "util/dirlock.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/signals.h"
#include "util/timeutil.h"

#include <stdlib.h>
#include <string.h>

static const struct step qemu_steps[] = {
	{"prepare output directory", qemu_step_output_dir, qemu_cleanup_output_dir},
	{"connect to libvirt", qemu_step_connect, qemu_cleanup_connect},
	{"download", qemu_step_fetch, NULL},
	{"checkpoints", qemu_step_checkpoints, qemu_cleanup_checkpoints},
	{"create SSH key", qemu_step_ssh_key, qemu_cleanup_ssh_key},
	{"start HTTP server", qemu_step_http, qemu_cleanup_http},
	{"create disk", qemu_step_disk, qemu_cleanup_disk},
	{"create CD", qemu_step_cd, qemu_cleanup_cd},
	{"start VM", qemu_step_start_vm, qemu_cleanup_vm},
	{"boot", qemu_step_boot, NULL},
	{"wait for SSH", qemu_step_wait_ssh, qemu_cleanup_comm},
	{"provision", qemu_step_provision, NULL},
	{"shut down", qemu_step_shutdown, NULL},
	{"finish disk", qemu_step_finish_disk, NULL},
	{"artifact", qemu_step_artifact, NULL},
};
#define NSTEPS (sizeof qemu_steps / sizeof qemu_steps[0])

static int qemu_prepare(const struct kiln_config *cfg, void **instance, struct strv *warnings, struct kiln_error *err)
{
	struct qemu_instance *inst = xcalloc(1, sizeof *inst);
	if (qemu_config_decode(cfg, NULL, &inst->cfg, warnings, err) < 0) {
		free(inst);
		return -1;
	}
	inst->output_dir_set = kiln_config_has(cfg, "output_directory");
	inst->libvirt_uri_set = kiln_config_has(cfg, "libvirt_uri");
	if (img_sanitize_opts_from_config(cfg, &inst->sanitize, err) < 0 ||
	    img_export_opts_from_config(cfg, inst->cfg.format, inst->cfg.disk_compression, &inst->export, err) < 0) {
		img_sanitize_opts_free(&inst->sanitize);
		qemu_config_free(&inst->cfg);
		free(inst);
		return -1;
	}
	*instance = inst;
	return 0;
}

static void qemu_destroy(void *instance)
{
	struct qemu_instance *inst = instance;
	if (!inst)
		return;
	img_sanitize_opts_free(&inst->sanitize);
	img_export_opts_free(&inst->export);
	qemu_config_free(&inst->cfg);
	free(inst);
}

char *qemu_build_extra_disk_path(const struct qemu_build *b, size_t i)
{
	char *name = xasprintf("%s-%zu", b->vm_name, i + 1);
	char *path = path_join(b->output_dir, name);
	free(name);
	return path;
}

void qemu_build_set_var(struct qemu_build *b, const char *key, const char *value)
{
	size_t kl = strlen(key);
	for (size_t i = 0; i < b->template_vars.n; i++)
		if (strncmp(b->template_vars.v[i], key, kl) == 0 && b->template_vars.v[i][kl] == '=') {
			free(b->template_vars.v[i]);
			b->template_vars.v[i] = xasprintf("%s=%s", key, value ? value : "");
			return;
		}
	strv_pushf(&b->template_vars, "%s=%s", key, value ? value : "");
}

/* -on-error: a failure that will be retried (under TCG, or on another host of the pool) is always
 * cleaned up first; so is one whose host went away (there is nothing left to inspect). */
static int retry_policy(void *state, const struct kiln_error *err)
{
	struct qemu_build *b = state;
	if (err_is(err, ERR_HOST_LOST))
		return KILN_ON_ERROR_CLEANUP;
	return b->kvm_died && b->accel.automatic && b->attempt == 1 ? KILN_ON_ERROR_CLEANUP : -1;
}

static void free_build(struct qemu_build *b)
{
	/* After -on-error=abort the VM is left running on purpose; only our handles go. */
	if (b->force_exit_handle >= 0)
		sig_forget(b->force_exit_handle);
	qemu_vm_free(b->vm);
	qemu_virt_close(b->virt);
	seed_server_stop(b->http);
	free(b->output_dir);
	free(b->final_output_dir);
	free(b->kept_serial_path);
	dirlock_drop(b->outdir_lock);
	free(b->vm_name);
	if (b->tmpdir) {
		tmpdir_release(b->tmpdir);
		free(b->tmpdir);
	}
	qemu_accel_free(&b->accel);
	qemu_fetch_result_free(&b->source);
	free(b->source_format);
	free(b->disk_path);
	free(b->disk_format);
	strv_free(&b->extra_disks);
	strv_free(&b->extra_disk_formats);
	qemu_cleanup_checkpoints(b);
	free(b->base_volume);
	free(b->disk_volume);
	free(b->iso_volume);
	free(b->cd_volume);
	free(b->seed_volume);
	free(b->http_iso);
	free(b->http_volume);
	free(b->source_sha256);
	strv_free(&b->extra_volumes);
	free(b->nvram_path);
	free(b->cd_iso);
	free(b->seed_iso);
	free(b->seed_serial);
	free(b->http_ip);
	free(b->public_key);
	free(b->ssh_host);
	free(b->domain_name);
	free(b->serial_path);
	strv_free(&b->template_vars);
	kiln_artifact_free(b->artifact);
	memset(b, 0, sizeof *b);
}

static void log_timings(struct qemu_build *b, const int64_t *times, int64_t total_ns)
{
	struct buf line = BUF_INIT;
	int64_t guest_ns = 0, compaction_ns = 0;
	for (size_t i = 0; i < NSTEPS; i++) {
		buf_printf(&line, "%s%s=%.3f", i ? " " : "", qemu_steps[i].name, (double)times[i] / 1e9);
		if (strcmp(qemu_steps[i].name, "finish disk") == 0)
			compaction_ns = times[i];
	}
	log_debug("qemu: step timings (s): %s", buf_cstr(&line));
	guest_ns = (b->timing_boot_to_ssh_ms + b->timing_provision_ms + b->timing_shutdown_ms) * 1000000LL;
	log_debug("qemu: phase timings (s): total=%.3f boot_to_ssh=%.3f provision=%.3f shutdown=%.3f "
		  "compaction=%.3f outside_guest=%.3f",
		  (double)total_ns / 1e9, (double)b->timing_boot_to_ssh_ms / 1e3, (double)b->timing_provision_ms / 1e3,
		  (double)b->timing_shutdown_ms / 1e3, (double)compaction_ns / 1e9, (double)(total_ns - guest_ns) / 1e9);
	buf_free(&line);
}

static int qemu_run(void *instance, struct kiln_ctx *ctx, struct kiln_artifact **artifact, struct kiln_error *err)
{
	struct qemu_instance *inst = instance;
	int rc = -1;
	for (int attempt = 1; attempt <= 2; attempt++) {
		struct qemu_build b = {0};
		b.inst = inst;
		b.cfg = &inst->cfg;
		b.ctx = ctx;
		b.ui = ctx->ui ? ctx->ui : ui_global();
		b.attempt = attempt;
		b.force_exit_handle = -1;
		b.uri = ctx->host ? ctx->host->uri : inst->cfg.libvirt_uri;
		b.pool = ctx->host && ctx->host->storage_pool ? ctx->host->storage_pool : inst->cfg.libvirt_pool;
		b.ssh_port.fd = -1;
		int64_t times[NSTEPS];
		int64_t t0 = time_mono_ns();
		struct steps_opts o = {.ctx = ctx, .outcome = &b.outcome, .policy = retry_policy, .times_ns = times};
		struct kiln_error e = ERR_INIT;
		rc = steps_run(qemu_steps, NSTEPS, &b, &o, &e);
		log_timings(&b, times, time_mono_ns() - t0);
		bool retry = rc < 0 && attempt == 1 && b.kvm_died && b.accel.automatic && !sig_cancelled();
		if (rc == 0) {
			*artifact = b.artifact;
			b.artifact = NULL;
		} else if (retry) {
			ui_warn(b.ui, "The VM died with a KVM internal error: this host's KVM cannot run the guest. "
				      "Retrying once under TCG (software emulation, slower). Set accelerator = \"tcg\" "
				      "to skip the KVM attempt.");
			err_clear(&e);
		} else {
			if (b.outcome == STEPS_ABORTED)
				qemu_outdir_abandon(&b);
			if (b.kept_serial_path && b.serial_path)
				err_replace(&e, b.serial_path, b.kept_serial_path);
			if (b.outcome == STEPS_ABORTED)
				ui_error(b.ui, "Build aborted (-on-error=abort): everything is left as it was: output "
					       "directory %s, domain %s on %s", b.output_dir ? b.output_dir : "(none)",
					 b.domain_name ? b.domain_name : "(not started)", b.uri ? b.uri : b.cfg->libvirt_uri);
			err_move(err, &e);
		}
		free_build(&b);
		if (!retry)
			break;
	}
	return rc;
}

/* What the engine's scheduler needs to place the build on a host of the pool. */
static int qemu_placement(void *instance, struct kiln_placement *p)
{
	struct qemu_instance *inst = instance;
	int cpus = inst->cfg.cpus;
	if (cpus <= 0 && inst->cfg.sockets > 0)
		cpus = inst->cfg.sockets * (inst->cfg.cores > 0 ? inst->cfg.cores : 1) * (inst->cfg.threads > 0 ? inst->cfg.threads : 1);
	p->cpus = cpus > 0 ? cpus : 1;
	p->memory = (uint64_t)(inst->cfg.memory > 0 ? inst->cfg.memory : 512) << 20;
	p->pinned_uri = inst->libvirt_uri_set ? inst->cfg.libvirt_uri : NULL;
	return 0;
}

const struct kiln_builder qemu_builder = {
	.type = "qemu",
	.builder_id = "transcend.qemu",
	.doc = "Builds a VM image with QEMU through libvirt, from a cloud image or an installer ISO",
	.schema = &qemu_schema,
	.prepare = qemu_prepare,
	.run = qemu_run,
	.destroy = qemu_destroy,
	.placement = qemu_placement,
	.host_ops = &qemu_host_ops,
};
