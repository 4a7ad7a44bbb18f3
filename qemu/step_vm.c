/* step_vm.c — the steps with a running VM: start the transient domain, boot_wait and boot_command, wait
 * for SSH (showing the serial console's last line; its tail on timeout), provision, shut down. While it
 * waits, kiln watches the VM: a guest that stops by itself fails the step at once, and a KVM internal
 * error is recognised so the build can be retried under TCG. */
#include "qemu/boot_command.h"
#include "qemu/build.h"
#include "qemu/checkpoint.h"
#include "qemu/domain_xml.h"
#include "qemu/hosts.h"
#include "qemu/libvirt.h"
#include "qemu/serial_log.h"
#include "qemu/vm_config.h"
#include "ui/ui.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/signals.h"
#include "util/timeutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#define WATCH_MS 100               /* how often a waiting step looks at the VM and the console */
#define STATUS_EVERY_MS 15000      /* progress lines while waiting for SSH */
#define PANIC_GRACE_MS 3000        /* after a kernel panic's first line, for the rest of its report */

/* ------------------------------------------------------------------------------------------------
 * Watching the VM */

/* A guest whose kernel panicked is still "running" to libvirt, and would keep kiln waiting for SSH (or for a
 * provisioner's command) until the timeout: the serial console says so at once. Once the panic line is seen,
 * wait up to PANIC_GRACE_MS for the kernel to finish its report, so the error shows it. */
static int check_panic(struct qemu_build *b, struct kiln_error *err)
{
	if (!b->serial)
		return 0;
	qemu_serial_poll(b->serial);
	bool complete = false;
	const char *panic = qemu_serial_panic(b->serial, &complete);
	if (!panic)
		return 0;
	long now = time_mono_ms();
	if (!b->panic_seen_ms)
		b->panic_seen_ms = now;
	if (!complete && now - b->panic_seen_ms < PANIC_GRACE_MS)
		return 0;
	char *tail = qemu_serial_tail(b->serial, QEMU_SERIAL_TAIL_LINES, "    ");
	err_set(err, "the guest's kernel panicked (%.200s); last lines of the serial console (%s):\n%s", panic,
		b->serial_path ? b->serial_path : "no serial log", tail);
	if (strstr(panic, "IO-APIC + timer"))
		/* the kernel's timer check misses its ticks when TCG is starved of CPU */
		err_hint(err, "the guest's timer check failed, as it can under TCG on a busy host: add no_timer_check to the "
			      "kernel command line, or build where KVM works");
	else
		err_hint(err, "the lines before the panic say why: a root file system the kernel cannot find or mount, "
			      "a driver missing from the initrd, a CPU model the kernel does not support...");
	free(tail);
	return -1;
}

int qemu_build_check_vm(void *arg, struct kiln_error *err)
{
	struct qemu_build *b = arg;
	if (!b->vm)
		return 0;
	enum qemu_vm_state st;
	int reason = 0;
	if (qemu_vm_state(b->vm, &st, &reason, err) < 0)
		return -1;
	if (st == QEMU_VM_RUNNING || st == QEMU_VM_SHUTTING_DOWN)
		return check_panic(b, err);
	if (qemu_vm_gone(b->vm)) {
		err_set_kind(err, ERR_IO, "the VM %s is gone: the connection to libvirt at %s was lost, and when it came back "
					  "the VM no longer existed", b->domain_name, b->cfg->libvirt_uri);
		err_hint(err, "a libvirtd that stops normally destroys the VMs kiln starts (they are tied to kiln's "
			      "connection, so that a kiln killed with SIGKILL leaves none behind); one that crashes or "
			      "is killed keeps them, and kiln carries on. Run the build again");
		return -1;
	}
	bool no_space = false;
	if (st == QEMU_VM_PAUSED && qemu_vm_paused_by_io_error(b->vm, &no_space)) {
		if (no_space) {
			err_set_kind(err, ERR_IO, "the VM paused: writing its disk %s failed: No space left on device",
				     b->disk_path ? b->disk_path : b->disk_volume);
			err->errnum = ENOSPC;
			if (!b->remote)
				img_err_nospace(err, b->disk_path, "set output_directory to a larger file system");
			else
				err_hint(err, "free space in storage pool %s on %s", b->cfg->libvirt_pool, qemu_virt_host(b->virt));
		} else {
			err_set_kind(err, ERR_IO, "the VM paused: writing its disk %s failed (an I/O error on the host)",
				     b->disk_path ? b->disk_path : b->disk_volume);
			err_hint(err, "libvirt's log of domain %s and the host's kernel log say why", b->domain_name);
		}
		return -1;
	}
	if (b->serial)
		qemu_serial_poll(b->serial);
	char *tail = b->serial ? qemu_serial_tail(b->serial, QEMU_SERIAL_TAIL_LINES, "    ") : xstrdup("");
	const char *where = b->serial_path ? b->serial_path : "no serial log";
	if (b->accel.kvm && (st == QEMU_VM_PAUSED || st == QEMU_VM_CRASHED || st == QEMU_VM_OFF) &&
	    (b->remote ? st == QEMU_VM_PAUSED : qemu_accel_log_shows_kvm_error(b->domain_name))) {
		b->kvm_died = true;
		err_set(err, "the VM stopped with a KVM internal error (state: %s); last lines of the serial console (%s):\n%s",
			qemu_vm_state_name(st), where, tail[0] ? tail : "    (nothing)");
		if (!b->accel.automatic)
			err_hint(err, "this host's KVM cannot run the guest (seen with paravirtualised KVM such as kvm-pvm): "
				      "set accelerator = \"tcg\", or leave accelerator unset so kiln falls back to TCG");
	} else {
		err_set(err, "the VM stopped unexpectedly (state: %s); last lines of the serial console (%s):\n%s",
			qemu_vm_state_name(st), where, tail[0] ? tail : "    (nothing)");
		err_hint(err, "the serial log and libvirt's log of domain %s say why", b->domain_name);
	}
	free(tail);
	return -1;
}

int qemu_build_sleep(struct qemu_build *b, int64_t ms, struct kiln_error *err)
{
	long end = time_mono_ms() + (long)ms;
	for (;;) {
		if (qemu_build_check_vm(b, err) < 0)
			return -1;
		long left = end - time_mono_ms();
		if (left <= 0)
			return 0;
		if (sleep_cancellable_ms(left < WATCH_MS * 5 ? left : WATCH_MS * 5) < 0)
			return err_set_kind(err, ERR_CANCELLED, "cancelled");
	}
}

/* ------------------------------------------------------------------------------------------------
 * Start */

static void force_destroy(void *arg)
{
	/* second Ctrl-C: the domain must not outlive us (libvirt may also autodestroy it) */
	struct qemu_build *b = arg;
	struct kiln_error e = ERR_INIT;
	if (b->vm)
		qemu_vm_destroy(b->vm, &e);
	err_clear(&e);
}

static bool is_port_clash(const struct kiln_error *e)
{
	const char *m = err_cause(e);
	return strstr(m, "host forwarding") || strstr(m, "Address already in use") || strstr(m, "Failed to bind socket");
}

/* A VNC password: 8 characters (all VNC's authentication uses) from an unambiguous alphabet. */
static char *vnc_password(void)
{
	static const char set[] = "abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY34679";
	unsigned char r[8];
	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
		return NULL;
	char *pw = xmalloc(sizeof r + 1);
	for (size_t i = 0; i < sizeof r; i++)
		pw[i] = set[r[i] % (sizeof set - 1)];
	pw[sizeof r] = '\0';
	return pw;
}

static int random_port(int min, int max)
{
	unsigned r = 0;
	if (getrandom(&r, sizeof r, 0) != sizeof r)
		r = (unsigned)getpid();
	return min + (int)(r % (unsigned)(max - min + 1));
}

/* Where the forwarded SSH port listens: loopback here; on a remote host, the address kiln reaches it
 * by when the URI names an IPv4 address (a daemon on 127.0.0.1 must not open it to the network),
 * else every address. */
static const char *forward_address(const struct qemu_build *b)
{
	if (!b->remote)
		return "127.0.0.1";
	const char *h = qemu_virt_host(b->virt);
	struct in_addr a4;
	return inet_pton(AF_INET, h, &a4) == 1 ? h : "";   /* QEMU's hostfwd takes IPv4 addresses only */
}

int qemu_step_start_vm(void *state, struct kiln_error *err)
{
	struct qemu_build *b = state;
	if (qemu_ckpt_final(b))
		return 0;   /* the checkpoint's disk is final: no machine runs */
	const struct qemu_config *c = b->cfg;
	bool user_net = !c->net_bridge && !c->network;
	bool forward = user_net && !c->skip_nat_mapping && strcmp(c->ssh.communicator, "none") != 0;
	struct qemu_port vnc = {0, -1};
	char host[256] = "";
	gethostname(host, sizeof host - 1);
	char pid[32];
	snprintf(pid, sizeof pid, "%ld", (long)getpid());
	char *started = time_now_rfc3339();
	char *vnc_pw = !c->disable_vnc && qemu_vnc_wants_password(c) ? vnc_password() : NULL;
	if (!c->disable_vnc && qemu_vnc_wants_password(c) && !vnc_pw) {
		free(started);
		return err_set(err, "cannot make a VNC password: no random numbers");
	}
	struct qemu_kv meta[] = {
		{"build", b->ctx->build_name ? b->ctx->build_name : "qemu"}, {"pid", pid}, {"host", host},
		{"started", started}, {"output", b->output_dir},
	};
	if (c->serial_log) {
		char *name = xasprintf("%s-serial.log", b->vm_name);
		b->serial_path = path_join(b->output_dir, name);
		free(name);
	}
	int rc = -1;
	char *xml = NULL;
	/* a checkpoint's memory continues its guest; when that cannot be, its disk boots */
	bool restore_memory = qemu_ckpt_restoring(b) && qemu_ckpt_uuid(b) != NULL;
	for (int tries = 0; tries < 5; tries++) {
		free(xml);
		xml = NULL;
		if (forward) {
			qemu_port_release(&b->ssh_port);
			if (b->remote) {
				b->ssh_port.port = random_port(c->host_port_min, c->host_port_max);
			} else if (qemu_port_reserve("127.0.0.1", c->host_port_min, c->host_port_max, &b->ssh_port, err) < 0) {
				goto out;
			}
			char port[16];
			snprintf(port, sizeof port, "%d", b->ssh_port.port);
			qemu_build_set_var(b, "SSHHostPort", port);
			log_debug("qemu: forwarding host port %d to the guest's port %d", b->ssh_port.port, c->ssh.port);
		} else {
			qemu_build_set_var(b, "SSHHostPort", "0");
		}
		if (!c->disable_vnc && !b->remote) {
			qemu_port_release(&vnc);
			if (qemu_port_reserve(c->vnc_bind_address, c->vnc_port_min, c->vnc_port_max, &vnc, err) < 0)
				goto out;
		}
		const char *extra[16];
		size_t nextra = 0;
		const struct strv *ex = b->remote ? &b->extra_volumes : &b->extra_disks;
		for (size_t i = 0; i < ex->n && nextra < 16; i++)
			extra[nextra++] = ex->v[i];
		struct qemu_vm_plan plan = {
			.name = b->domain_name, .uuid = restore_memory ? qemu_ckpt_uuid(b) : NULL,
			.kvm = b->accel.kvm, .pool = b->pool,
			.disk = b->remote ? NULL : b->disk_path, .disk_volume = b->remote ? b->disk_volume : NULL,
			.disk_format = b->disk_format, .extra_disks = extra, .nextra_disks = nextra,
			.extra_disk_formats = b->ck ? (const char *const *)strv_argv(&b->extra_disk_formats) : NULL,
			.iso = c->disk_image ? NULL : b->remote ? b->iso_volume : b->source.path,
			.cd_iso = b->remote ? b->cd_volume : b->cd_iso, .seed_iso = b->remote ? b->seed_volume : b->seed_iso,
			.http_iso = b->remote ? b->http_volume : b->http_iso,
			.volumes = b->remote, .serial_path = b->remote ? NULL : b->serial_path,
			.ssh_host_port = forward ? (unsigned)b->ssh_port.port : 0, .forward_addr = forward_address(b),
			.vnc_port = (unsigned)vnc.port, .vnc_password = vnc_pw, .nvram = b->nvram_path,
			.smbios_serial = b->seed_serial,
			.dac = !b->remote, .uid = (unsigned)geteuid(), .gid = (unsigned)getegid(),
			.metadata = meta, .nmetadata = sizeof meta / sizeof meta[0], .ctx = b->ctx,
			.template_vars = strv_argv(&b->template_vars),
		};
		struct qemu_domain dom;
		struct strv warnings = STRV_INIT;
		if (qemu_domain_build(c, &plan, &dom, &warnings, err) < 0) {
			strv_free(&warnings);
			goto out;
		}
		for (size_t i = 0; i < warnings.n && tries == 0; i++)
			ui_warn(b->ui, "%s", warnings.v[i]);
		strv_free(&warnings);
		xml = qemu_domain_xml(&dom);
		qemu_domain_release(&dom);

		if (b->serial_path && !b->remote)
			unlink(b->serial_path);   /* a log from a KVM attempt must not be read again */
		qemu_port_hand_over(&b->ssh_port);
		qemu_port_hand_over(&vnc);
		bool autodestroy = b->ctx->on_error == KILN_ON_ERROR_CLEANUP && !b->ctx->debug;
		struct kiln_error e = ERR_INIT;
		b->vm_started_ms = time_mono_ms();   /* QEMU starting up is part of the boot */
		if (restore_memory) {
			if (qemu_ckpt_restore_vm(b, xml, &e) == 0)
				break;
			if (is_port_clash(&e) && tries < 4) {
				log_debug("qemu: port clash (%s), trying another port", err_cause(&e));
				err_clear(&e);
				continue;
			}
			if (err_is(&e, ERR_CANCELLED) || sig_cancelled()) {
				err_move(err, &e);
				goto out;
			}
			ui_warn(b->ui, "Cannot restore the checkpoint's memory (%s): booting its disk instead", err_cause(&e));
			err_clear(&e);
			restore_memory = false;
			tries--;
			continue;
		}
		if (qemu_vm_create(b->virt, xml, autodestroy, b->remote, &b->vm, &e) == 0)
			break;
		if (is_port_clash(&e) && tries < 4) {
			log_debug("qemu: port clash (%s), trying another port", err_cause(&e));
			err_clear(&e);
			continue;
		}
		err_move(err, &e);
		goto out;
	}
	b->force_exit_handle = sig_on_force_exit(force_destroy, b);
	if (b->remote && b->serial_path) {
		struct kiln_error e = ERR_INIT;
		if (qemu_vm_console_to_file(b->vm, b->serial_path, &e) < 0) {
			ui_warn(b->ui, "No serial log: %s", err_cause(&e));
			err_clear(&e);
		}
		if (qemu_vm_resume(b->vm, err) < 0)
			goto out;
	}
	if (b->serial_path)
		b->serial = qemu_serial_open(b->serial_path);
	if (restore_memory)
		ui_say(b->ui, "Restored VM %s (%s) from the checkpoint's memory in %.1fs", b->domain_name,
		       b->accel.kvm ? "KVM" : "TCG", (double)(time_mono_ms() - b->vm_started_ms) / 1e3);
	else
		ui_say(b->ui, "Starting VM %s (%s)%s...", b->domain_name, b->accel.kvm ? "KVM" : "TCG",
		       qemu_ckpt_restoring(b) ? ", booting the checkpoint's disk"
		       : c->disk_image	      ? ", booting from disk"
					      : ", booting from CD-ROM");
	if (!c->disable_vnc) {
		int port = b->remote ? qemu_vm_vnc_port(b->vm) : vnc.port;
		const char *where = b->remote ? qemu_virt_host(b->virt) : c->vnc_bind_address;
		if (port && vnc_pw)
			ui_message(b->ui, "The VM runs without a window. To see its screen, connect via VNC with the "
					  "password \"%s\" to vnc://%s:%d", vnc_pw, where, port);
		else if (port)
			ui_message(b->ui, "The VM runs without a window. To see its screen, connect via VNC without a "
					  "password to vnc://%s:%d", where, port);
	}
	if (b->serial_path)
		ui_message(b->ui, "Serial console: %s", b->serial_path);
	rc = 0;
out:
	qemu_port_release(&vnc);
	free(xml);
	free(started);
	free(vnc_pw);
	return rc;
}

void qemu_cleanup_vm(void *state)
{
	struct qemu_build *b = state;
	if (b->vm) {
		enum qemu_vm_state st = QEMU_VM_OFF;
		struct kiln_error e = ERR_INIT;
		qemu_vm_state(b->vm, &st, NULL, &e);
		if (err_is(&e, ERR_HOST_LOST)) {
			/* libvirtd may be gone while QEMU runs on: the domain goes when the host is back */
			ui_say(b->ui, "Host %s is gone: VM %s is removed once it is back",
			       b->ctx->host ? b->ctx->host->name : qemu_virt_host(b->virt), b->domain_name);
			qemu_leftover_add(b->uri, NULL, b->domain_name);
			st = QEMU_VM_OFF;
		}
		err_clear(&e);
		if (st != QEMU_VM_OFF) {
			ui_say(b->ui, "Stopping VM %s...", b->domain_name);
			if (qemu_vm_destroy(b->vm, &e) < 0) {
				if (err_is(&e, ERR_HOST_LOST))
					qemu_leftover_add(b->uri, NULL, b->domain_name);
				else
					ui_error(b->ui, "Cannot stop %s: %s", b->domain_name, err_cause(&e));
			}
			err_clear(&e);
		}
		qemu_vm_free(b->vm);
		b->vm = NULL;
	}
	if (b->force_exit_handle >= 0) {
		sig_forget(b->force_exit_handle);
		b->force_exit_handle = -1;
	}
	qemu_port_release(&b->ssh_port);
	qemu_serial_close(b->serial);
	b->serial = NULL;
}

/* ------------------------------------------------------------------------------------------------
 * boot_wait, boot_command */

static int drv_send(void *arg, const unsigned *keys, size_t n, unsigned hold_ms, struct kiln_error *err)
{
	struct qemu_build *b = arg;
	return qemu_vm_send_keys(b->vm, keys, n, hold_ms, err);
}

static int drv_wait_for(void *arg, const char *pattern, int64_t timeout_ms, struct kiln_error *err)
{
	struct qemu_build *b = arg;
	if (!b->serial)
		return err_set_kind(err, ERR_INVALID, "<waitFor> needs the serial console: set serial_log = true");
	ui_message(b->ui, "Waiting for \"%s\" on the serial console...", pattern);
	return qemu_serial_wait_for(b->serial, pattern, timeout_ms, WATCH_MS, qemu_build_check_vm, b, err);
}

static int drv_sleep(void *arg, int64_t ms)
{
	struct qemu_build *b = arg;
	if (ms < 1000)
		return sleep_cancellable_ms((long)ms);
	struct kiln_error e = ERR_INIT;
	int rc = qemu_build_sleep(b, ms, &e);
	err_clear(&e);
	return rc;
}

/* Expand and parse keys (a boot_command entry or a boot step) onto script; what names it in errors. */
static int parse_keys(struct qemu_build *b, const char *keys, struct qemu_boot_script *script, const char *what,
		      size_t i, struct kiln_error *err)
{
	char *text = NULL;
	if (kiln_ctx_expand(b->ctx, keys, strv_argv(&b->template_vars), &text, err) < 0)
		return err_wrap(err, "%s[%zu]", what, i);
	int rc = qemu_boot_parse(text, script, err);
	free(text);
	if (rc < 0)
		return err_wrap(err, "%s[%zu]", what, i);
	if (log_enabled()) {
		char *d = qemu_boot_script_describe(script);
		char *m = ui_mask(d);
		log_debug("qemu: %s[%zu]: %s", what, i, m);
		free(m);
		free(d);
	}
	return 0;
}

/* Before each of boot_steps: show what it does; with -debug, wait for the user between steps (Packer
 * pauses after each one so the installer can be followed). */
static int boot_step_begin(void *arg, size_t i, size_t n, const char *description, struct kiln_error *err)
{
	struct qemu_build *b = arg;
	if (i > 0 && b->ctx->debug && b->ctx->ops && b->ctx->ops->pause) {
		char *what = xasprintf("boot step %zu/%zu%s%s", i + 1, n, description ? ": " : "", description ? description : "");
		int rc = b->ctx->ops->pause(b->ctx, what);
		free(what);
		if (rc < 0)
			return err_set_kind(err, ERR_CANCELLED, "cancelled");
	}
	if (description)
		ui_message(b->ui, "Boot step %zu/%zu: %s", i + 1, n, description);
	else
		ui_message(b->ui, "Boot step %zu/%zu", i + 1, n);
	return 0;
}

int qemu_step_boot(void *state, struct kiln_error *err)
{
	struct qemu_build *b = state;
	const struct qemu_config *c = b->cfg;
	if (c->boot_command.n == 0 && c->nboot_steps == 0)
		return 0;   /* boot_wait only times the boot command */
	if (qemu_ckpt_restoring(b))
		return 0;   /* the guest was installed before its checkpoint */
	/* Every step is expanded and parsed before a key is typed: a mistake in the last one must not leave
	 * an installer half way through its dialogs. */
	size_t nscripts = c->nboot_steps ? c->nboot_steps : 1;
	struct qemu_boot_script *scripts = xcalloc(nscripts, sizeof *scripts);
	const char **descriptions = NULL;
	int rc = -1;
	if (c->nboot_steps) {
		for (size_t i = 0; i < c->nboot_steps; i++)
			if (parse_keys(b, c->boot_steps[i].keys, &scripts[i], "boot_steps", i, err) < 0)
				goto out;
	} else {
		for (size_t i = 0; i < c->boot_command.n; i++)
			if (parse_keys(b, c->boot_command.v[i], &scripts[0], "boot_command", i, err) < 0)
				goto out;
	}
	if (c->boot_wait_ms > 0) {
		char *d = duration_format_ns(c->boot_wait_ms * 1000000LL);
		ui_say(b->ui, "Waiting %s for boot...", d);
		free(d);
		if (qemu_build_sleep(b, c->boot_wait_ms, err) < 0)
			goto out;
	}
	struct qemu_boot_driver drv = {drv_send, drv_wait_for, drv_sleep, b};
	if (!c->nboot_steps) {
		ui_say(b->ui, "Typing the boot command...");
		rc = qemu_boot_type(&scripts[0], &drv, c->boot_key_interval_ms, err);
		goto out;
	}
	ui_say(b->ui, "Typing the boot steps...");
	descriptions = xcalloc(c->nboot_steps, sizeof *descriptions);
	for (size_t i = 0; i < c->nboot_steps; i++)
		descriptions[i] = c->boot_steps[i].description;
	if (qemu_boot_type_steps(scripts, descriptions, c->nboot_steps, &drv, c->boot_key_interval_ms, boot_step_begin, err) < 0)
		goto out;
	rc = 0;
out:
	for (size_t i = 0; i < nscripts; i++)
		qemu_boot_script_free(&scripts[i]);
	free(scripts);
	free(descriptions);
	return rc;
}

/* ------------------------------------------------------------------------------------------------
 * Waiting for SSH */

/* Does host:port answer with an SSH banner within timeout_ms? (QEMU's port forward accepts connections
 * before the guest listens, so a connect alone proves nothing.) */
static bool ssh_banner(const char *host, int port, long timeout_ms)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
	char p[16];
	snprintf(p, sizeof p, "%d", port);
	if (getaddrinfo(host, p, &hints, &ai) != 0)
		return false;
	bool ok = false;
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd >= 0) {
		long end = time_mono_ms() + timeout_ms;
		int r = connect(fd, ai->ai_addr, ai->ai_addrlen);
		if (r == 0 || errno == EINPROGRESS) {
			struct pollfd pfd = {fd, POLLOUT, 0};
			if (poll(&pfd, 1, (int)timeout_ms) == 1 && !(pfd.revents & (POLLERR | POLLHUP))) {
				char buf[8];
				size_t got = 0;
				while (got < 4) {
					long left = end - time_mono_ms();
					pfd = (struct pollfd){fd, POLLIN, 0};
					if (left <= 0 || poll(&pfd, 1, (int)left) != 1)
						break;
					ssize_t n = read(fd, buf + got, 4 - got);
					if (n <= 0)
						break;
					got += (size_t)n;
				}
				ok = got == 4 && memcmp(buf, "SSH-", 4) == 0;
			}
		}
		close(fd);
	}
	freeaddrinfo(ai);
	return ok;
}

static void say_waiting(struct qemu_build *b, long elapsed_ms)
{
	if (b->serial)
		qemu_serial_poll(b->serial);
	char *el = duration_human_ms(elapsed_ms);
	const char *line = b->serial ? qemu_serial_last_line(b->serial) : "";
	if (*line)
		ui_message(b->ui, "Still waiting for SSH (%s); console: %.100s", el, line);
	else
		ui_message(b->ui, "Still waiting for SSH (%s)", el);
	free(el);
}

static int ssh_timeout_error(struct qemu_build *b, struct kiln_error *err)
{
	if (b->serial)
		qemu_serial_poll(b->serial);
	char *tail = b->serial ? qemu_serial_tail(b->serial, QEMU_SERIAL_TAIL_LINES, "    ") : NULL;
	char *d = duration_format_ns(b->cfg->ssh.timeout_ms * 1000000LL);
	bool silent = b->serial && !(tail && tail[0]);
	err_set_kind(err, ERR_TIMEOUT, "timeout waiting for SSH after %s (%s:%d); last lines of the serial console (%s):\n%s", d,
		     b->ssh_host, b->ssh_connect_port, b->serial_path ? b->serial_path : "serial_log is off",
		     tail && tail[0] ? tail : "    (nothing)");
	if (silent)
		/* not even a boot loader said anything: the guest most likely never started an OS */
		err_hint(err, "the serial console stayed silent for the whole wait: the VM may not boot at all (no boot "
			      "loader on the disk, the wrong firmware: efi_boot, a corrupt or truncated image); the VNC "
			      "screen shows how far it gets. (A guest without a serial console, console=ttyS0, is silent too.)");
	else
		err_hint(err, "check that the guest starts sshd and that ssh_username/ssh_port are right; raise ssh_timeout if it is just slow");
	free(d);
	free(tail);
	return -1;
}

static void ssh_status(void *arg, const char *line)
{
	struct qemu_build *b = arg;
	if (b->serial)
		qemu_serial_poll(b->serial);
	const char *serial = b->serial ? qemu_serial_last_line(b->serial) : "";
	if (*serial)
		ui_message(b->ui, "%s; console: %.100s", line, serial);
	else
		ui_message(b->ui, "%s", line);
}

int qemu_step_wait_ssh(void *state, struct kiln_error *err)
{
	struct qemu_build *b = state;
	const struct qemu_config *c = b->cfg;
	if (strcmp(c->ssh.communicator, "ssh") != 0 || qemu_ckpt_final(b))
		return 0;
	long start = time_mono_ms();
	long deadline = start + (long)c->ssh.timeout_ms;
	bool user_net = !c->net_bridge && !c->network;
	if (c->ssh.host) {
		b->ssh_host = xstrdup(c->ssh.host);
		b->ssh_connect_port = c->ssh.port;
	} else if (user_net && !c->skip_nat_mapping) {
		b->ssh_host = xstrdup(b->remote ? qemu_virt_host(b->virt) : "127.0.0.1");
		b->ssh_connect_port = b->ssh_port.port;
	} else {
		ui_say(b->ui, "Waiting for the VM's IP address...");
		while (!b->ssh_host) {
			char *addr = NULL;
			if (qemu_vm_guest_address(b->vm, &addr, err) < 0)
				return -1;
			if (addr) {
				b->ssh_host = addr;
				break;
			}
			if (time_mono_ms() >= deadline)
				return ssh_timeout_error(b, err);
			if (qemu_build_sleep(b, 1000, err) < 0)
				return -1;
		}
		b->ssh_connect_port = c->ssh.port;
		ui_message(b->ui, "VM address: %s", b->ssh_host);
	}
	ui_say(b->ui, "Waiting for the VM to boot and start SSH (%s:%d)...", b->ssh_host, b->ssh_connect_port);
	long next_status = start + STATUS_EVERY_MS;
	for (;;) {
		if (qemu_build_check_vm(b, err) < 0)
			return -1;
		if (sig_cancelled())
			return err_set_kind(err, ERR_CANCELLED, "cancelled while waiting for SSH");
		if (ssh_banner(b->ssh_host, b->ssh_connect_port, 1500))
			break;
		long now = time_mono_ms();
		if (now >= deadline)
			return ssh_timeout_error(b, err);
		if (now >= next_status) {
			say_waiting(b, now - start);
			next_status = now + STATUS_EVERY_MS;
		}
		if (sleep_cancellable_ms(200) < 0)
			return err_set_kind(err, ERR_CANCELLED, "cancelled while waiting for SSH");
	}
	log_debug("qemu: SSH answers on %s:%d after %.3fs", b->ssh_host, b->ssh_connect_port,
		  (double)(time_mono_ms() - b->vm_started_ms) / 1e3);
	struct ssh_config sc = b->cfg->ssh;   /* shallow: only the timeout changes */
	long left = deadline - time_mono_ms();
	sc.timeout_ms = left > 10000 ? left : 10000;
	ssh_export_build_data(b->ctx, &b->cfg->ssh, b->keypair, b->ssh_host, b->ssh_connect_port);
	struct ssh_connect_opts o = {.host = b->ssh_host, .port = b->ssh_connect_port, .ui = b->ui, .status = ssh_status,
				     .status_arg = b, .keypair = b->keypair, .machine_check = qemu_build_check_vm,
				     .machine_arg = b};
	if (ssh_comm_connect(&sc, &o, &b->comm, err) < 0) {
		if (err_is(err, ERR_TIMEOUT)) {
			err_clear(err);
			return ssh_timeout_error(b, err);
		}
		return -1;
	}
	ui_say(b->ui, "Connected to SSH!");
	b->timing_boot_to_ssh_ms = time_mono_ms() - b->vm_started_ms;
	qemu_ckpt_connected(b);
	return 0;
}

void qemu_cleanup_comm(void *state)
{
	struct qemu_build *b = state;
	if (b->comm)
		ssh_comm_close(b->comm);
	b->comm = NULL;
}

/* ------------------------------------------------------------------------------------------------
 * Provision, shut down */

/* A provisioner lost its connection: if the VM stopped (powered off, crashed, paused with a full disk),
 * that is the error, said as such, rather than "script disconnected unexpectedly". A guest that is
 * powering itself off drops SSH a moment before it is off: wait for its state to settle. */
static void explain_lost_machine(struct qemu_build *b, struct kiln_error *err)
{
	static const char *const already[] = {"the VM ", "lost the connection to libvirt", "the connection to libvirt",
					       "no space left on "};
	if (!b->vm || err_is(err, ERR_CANCELLED) || sig_cancelled())
		return;
	for (size_t i = 0; i < sizeof already / sizeof already[0]; i++)
		if (strncmp(err_cause(err), already[i], strlen(already[i])) == 0)
			return;   /* the machine check during the command said it already */
	struct kiln_error vm = ERR_INIT;
	long end = time_mono_ms() + 5000;
	for (;;) {
		enum qemu_vm_state st = QEMU_VM_RUNNING;
		if (qemu_vm_state(b->vm, &st, NULL, &vm) < 0)
			break;   /* libvirt itself is gone: that is the news */
		if (st != QEMU_VM_RUNNING && st != QEMU_VM_SHUTTING_DOWN && qemu_build_check_vm(b, &vm) < 0)
			break;
		err_clear(&vm);
		if (time_mono_ms() >= end || sleep_cancellable_ms(200) < 0)
			return;
	}
	/* keep what ran (the provisioner's label), replace why it failed */
	const char *label = err->frames.n > 1 ? err->frames.v[err->frames.n - 1] : NULL;
	if (label)
		err_wrap(&vm, "%s", label);
	err_move(err, &vm);
}

int qemu_step_provision(void *state, struct kiln_error *err)
{
	struct qemu_build *b = state;
	long t0 = time_mono_ms();
	int rc = 0;
	if (b->ctx->ops && b->ctx->ops->provision)
		rc = b->ctx->ops->provision(b->ctx, b->comm, err);
	b->timing_provision_ms = time_mono_ms() - t0;
	if (rc < 0)
		explain_lost_machine(b, err);
	return rc;
}

static void print_line(void *arg, bool is_stderr, const char *line)
{
	struct qemu_build *b = arg;
	(void)is_stderr;
	ui_message(b->ui, "%s", line);
}

int qemu_step_shutdown(void *state, struct kiln_error *err)
{
	struct qemu_build *b = state;
	const struct qemu_config *c = b->cfg;
	if (qemu_ckpt_final(b))
		return 0;
	/* the seed served the boot and the provisioners (PACKER_HTTP_ADDR): nothing needs it from here on */
	if (b->http) {
		qemu_cleanup_http(b);
		log_debug("qemu: HTTP seed server stopped before the shutdown");
	}
	/* ssh_clear_authorized_keys: Packer's cleanup of the temporary key, before the guest goes down */
	if (b->cfg->ssh.clear_authorized_keys && b->keypair && b->comm) {
		struct kiln_error e = ERR_INIT;
		ui_say(b->ui, "Trying to remove the temporary key from authorized_keys...");
		if (ssh_comm_clear_authorized_key(b->comm, b->keypair, &e) < 0)
			ui_warn(b->ui, "Cannot remove the temporary key: %s", err_cause(&e));
		err_clear(&e);
	}
	long t0 = time_mono_ms();
	if (c->shutdown_command && b->comm) {
		ui_say(b->ui, "Gracefully halting virtual machine...");
		int status = 0;
		struct kiln_error e = ERR_INIT;
		if (b->comm->ops->exec(b->comm, c->shutdown_command, print_line, b, &status, &e) < 0) {
			/* the connection going away is what a shutdown does */
			log_debug("qemu: shutdown command: %s", err_cause(&e));
			err_clear(&e);
		} else if (status != 0 && status != KILN_EXIT_DISCONNECTED) {
			ui_warn(b->ui, "The shutdown command exited with status %d", status);
		}
		log_debug("qemu: shutdown command returned after %.3fs (status %d)", (double)(time_mono_ms() - t0) / 1e3, status);
	} else {
		ui_say(b->ui, "Halting the virtual machine (ACPI power button)...");
		if (qemu_vm_shutdown(b->vm, err) < 0)
			return -1;
	}
	qemu_cleanup_comm(b);
	log_debug("qemu: connection closed after %.3fs; waiting for the VM to power off", (double)(time_mono_ms() - t0) / 1e3);
	long deadline = t0 + (long)c->shutdown_timeout_ms;
	long next_acpi = t0 + 10000;
	bool forced = false;
	for (;;) {
		enum qemu_vm_state st;
		if (qemu_vm_state(b->vm, &st, NULL, err) < 0)
			return -1;
		if (st == QEMU_VM_OFF && qemu_vm_gone(b->vm))
			/* destroyed with the daemon, not powered off: its disk was not shut down cleanly */
			return qemu_build_check_vm(b, err);
		if (st == QEMU_VM_OFF)
			break;
		long now = time_mono_ms();
		if (now >= deadline) {
			char *d = duration_format_ns(c->shutdown_timeout_ms * 1000000LL);
			ui_warn(b->ui, "The VM did not power off within %s (shutdown_timeout); forcing it off. The disk may not have been shut down cleanly.", d);
			free(d);
			if (qemu_vm_destroy(b->vm, err) < 0)
				return -1;
			forced = true;
			break;
		}
		if (!c->shutdown_command && now >= next_acpi) {
			/* a guest still booting may have missed the first press */
			struct kiln_error e = ERR_INIT;
			qemu_vm_shutdown(b->vm, &e);
			err_clear(&e);
			next_acpi = now + 10000;
		}
		if (sleep_cancellable_ms(50) < 0)
			return err_set_kind(err, ERR_CANCELLED, "cancelled while waiting for the VM to power off");
	}
	b->timing_shutdown_ms = time_mono_ms() - t0;
	log_debug("qemu: VM off after %.3fs", (double)b->timing_shutdown_ms / 1e3);
	/* a clean power-off's final disk is a checkpoint of its own; either way the finishing steps open the
	 * disks by path, so the engine has committed every checkpoint they stand on when this returns */
	qemu_ckpt_machine_off(b, !forced);
	return 0;
}
