/* libvirt.c — connections, transient domains, keys, power, strays and storage volumes through
 * libvirt's C API (see libvirt.h). */
#include "qemu/libvirt.h"
#include "component.h"
#include "qemu/domain_xml.h"
#include "ui/ui.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/signals.h"
#include "util/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

struct qemu_virt {
	virConnectPtr conn;
	char *uri;
	char *host;
	bool remote;
	/* reconnecting after the daemon went away (qemu_virt_set_reconnect) */
	int64_t reconnect_ms;
	struct ui *ui;
	unsigned generation;          /* +1 at each reconnect: domain handles of older ones are stale */
	bool lost;                    /* gone, and did not come back in time: no more waiting */
};

struct console_pump {
	virStreamPtr st;
	int fd;
	char *path;
	pthread_t thread;
	bool running;
};

struct qemu_vm {
	struct qemu_virt *virt;
	virDomainPtr dom;
	char *name;
	unsigned char uuid[VIR_UUID_BUFLEN];
	unsigned generation;          /* of the connection dom belongs to */
	bool gone;                    /* not there any more after a reconnect */
	struct console_pump *console;
};

static void quiet_errors(void *data, virErrorPtr e)
{
	(void)data;
	(void)e;
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static char *domain_kiln_meta(virDomainPtr d);
static char *meta_attr(const char *xml, const char *name);

static void virt_init(void)
{
	virInitialize();
	virSetErrorFunc(NULL, quiet_errors);
}

/* err := "<what>: <libvirt's message>". When the connection to v's daemon is gone, the error says so
 * (ERR_HOST_LOST), with the URI and what to check. v may be NULL. */
static int virt_fail(struct qemu_virt *v, struct kiln_error *err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int virt_fail(struct qemu_virt *v, struct kiln_error *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *what = xvasprintf(fmt, ap);
	va_end(ap);
	virErrorPtr e = virGetLastError();
	char *msg = xstrdup(e && e->message ? e->message : "unknown libvirt error");
	enum err_kind kind = e && (e->code == VIR_ERR_NO_DOMAIN || e->code == VIR_ERR_NO_STORAGE_VOL ||
				   e->code == VIR_ERR_NO_STORAGE_POOL) ? ERR_NOT_FOUND
			     : e && e->code == VIR_ERR_STORAGE_VOL_EXIST ? ERR_EXISTS : ERR_GENERIC;
	virResetLastError();
	if (v && v->conn && virConnectIsAlive(v->conn) == 0) {
		virResetLastError();
		err_set_kind(err, ERR_HOST_LOST, "%s: the connection to libvirt at %s was lost (%s)", what, v->uri, msg);
		err_hint(err, "is libvirtd on %s still running and reachable? What the build left there is removed once it is back "
			      "(or by `kiln hosts clean`)", v->host);
	} else {
		err_set_kind(err, kind, "%s: %s", what, msg);
	}
	free(msg);
	free(what);
	return -1;
}

static bool uri_is_remote(const char *uri)
{
	const char *colon = strstr(uri, "://");
	if (!colon)
		return false;
	const char *scheme_end = colon;
	if (memchr(uri, '+', (size_t)(scheme_end - uri)))
		return true;   /* qemu+ssh, qemu+tcp, qemu+tls, qemu+unix is local but has no host */
	const char *host = colon + 3;
	return *host && *host != '/';
}

int qemu_virt_open(const char *uri, struct qemu_virt **out, struct kiln_error *err)
{
	pthread_once(&init_once, virt_init);
	virConnectPtr c = virConnectOpenAuth(uri, virConnectAuthPtrDefault, 0);
	if (!c) {
		virt_fail(NULL, err, "cannot connect to libvirt at %s", uri);
		if (strncmp(uri, "qemu:///", 8) == 0)
			err_hint(err, "is libvirtd running? (scripts/install-deps starts virtlogd and libvirtd on hosts without systemd)");
		return -1;
	}
	struct qemu_virt *v = xcalloc(1, sizeof *v);
	v->conn = c;
	v->uri = xstrdup(uri);
	v->remote = uri_is_remote(uri) && strncmp(uri, "qemu+unix", 9) != 0;
	if (v->remote) {
		/* where we reach the hypervisor: the URI's host, without user@ and :port */
		const char *h = strstr(uri, "://") + 3;
		const char *at = strchr(h, '@');
		const char *slash = strchr(h, '/');
		if (at && (!slash || at < slash))
			h = at + 1;
		size_t n = strcspn(h, "/?");
		if (h[0] == '[') {
			const char *close = memchr(h, ']', n);
			v->host = close ? xstrndup(h + 1, (size_t)(close - h - 1)) : xstrndup(h, n);
		} else {
			v->host = xstrndup(h, strcspn(h, ":/?"));
		}
	} else {
		char *h = virConnectGetHostname(c);
		v->host = h ? xstrdup(h) : xstrdup("localhost");
		free(h);
		virResetLastError();
	}
	*out = v;
	return 0;
}

void qemu_virt_set_reconnect(struct qemu_virt *v, int64_t timeout_ms, struct ui *ui)
{
	v->reconnect_ms = timeout_ms;
	v->ui = ui;
}

/* Is the connection to the daemon gone? (Not: did the last call fail.) */
static bool conn_lost(struct qemu_virt *v)
{
	int alive = virConnectIsAlive(v->conn);
	return alive <= 0;
}

/* The connection is gone: open the URI again, for up to reconnect_ms. why: what the failed call said. */
static int virt_reconnect(struct qemu_virt *v, const char *why, struct kiln_error *err)
{
	char *limit = duration_format_ns(v->reconnect_ms * 1000000LL);
	int rc = -1;
	if (v->lost) {
		err_set_kind(err, ERR_HOST_LOST, "the connection to libvirt at %s is lost (%s)", v->uri, why);
		goto out;
	}
	if (v->reconnect_ms <= 0) {
		v->lost = true;
		err_set_kind(err, ERR_HOST_LOST, "the connection to libvirt at %s was lost (%s)", v->uri, why);
		err_hint(err, "is libvirtd on %s still running and reachable?", v->host);
		goto out;
	}
	ui_warn(v->ui, "Lost the connection to libvirt at %s (%s): waiting up to %s for it to come back...", v->uri,
		why, limit);
	int64_t start = time_mono_ms(), deadline = start + v->reconnect_ms;
	while (time_mono_ms() < deadline) {
		if (sleep_cancellable_ms(1000) < 0) {
			err_set_kind(err, ERR_CANCELLED, "cancelled while waiting for libvirt at %s", v->uri);
			goto out;
		}
		virConnectPtr c = virConnectOpenAuth(v->uri, virConnectAuthPtrDefault, 0);
		if (!c) {
			virResetLastError();
			continue;
		}
		virConnectClose(v->conn);
		virResetLastError();
		v->conn = c;
		v->generation++;
		char *took = duration_human_ms(time_mono_ms() - start);
		ui_say(v->ui, "Reconnected to libvirt at %s after %s", v->uri, took);
		free(took);
		rc = 0;
		goto out;
	}
	v->lost = true;
	err_set_kind(err, ERR_HOST_LOST, "lost the connection to libvirt at %s (%s), and it did not come back within %s "
				  "(libvirt_reconnect_timeout)", v->uri, why, limit);
	err_hint(err, "is libvirtd on %s running? (`virsh -c %s version` tells.) A VM libvirt kept running is removed by "
		      "the next kiln build that uses that daemon", v->host, v->uri);
out:
	free(limit);
	return rc;
}

static void console_stop(struct qemu_vm *vm);

/* After reconnecting: the domain again, by its UUID, on the new connection (gone when it is not there). */
static void vm_refresh(struct qemu_vm *vm)
{
	if (vm->generation == vm->virt->generation)
		return;
	vm->generation = vm->virt->generation;
	virDomainPtr d = virDomainLookupByUUID(vm->virt->conn, vm->uuid);
	if (!d) {
		virResetLastError();
		vm->gone = true;
		ui_warn(vm->virt->ui, "VM %s is gone: libvirt did not keep it while the connection was lost", vm->name);
		return;
	}
	virDomainFree(vm->dom);
	vm->dom = d;
	int st = 0;
	if (virDomainGetState(d, &st, NULL, 0) == 0 && (st == VIR_DOMAIN_RUNNING || st == VIR_DOMAIN_BLOCKED))
		ui_say(vm->virt->ui, "VM %s is still running: carrying on", vm->name);
	virResetLastError();
	if (vm->console) {
		/* the console stream died with the old connection: open it again, appending */
		char *path = xstrdup(vm->console->path);
		console_stop(vm);
		struct kiln_error e = ERR_INIT;
		if (qemu_vm_console_to_file(vm, path, &e) < 0)
			ui_warn(vm->virt->ui, "No serial log from now on: %s", err_cause(&e));
		err_clear(&e);
		free(path);
	}
}

/* A call on vm failed while `doing` it ("destroying": the error reads "destroying NAME: ..."). When it
 * failed because the connection is gone: reconnect and return 1 (call it again; vm->gone says whether the
 * domain is still there). Otherwise -1 with err set: libvirt's error of the call, or the connection that
 * did not come back (the connection is lost: that says it all). */
static int vm_recover(struct qemu_vm *vm, const char *doing, struct kiln_error *err)
{
	struct qemu_virt *v = vm->virt;
	if (!conn_lost(v))
		return virt_fail(v, err, "%s %s", doing, vm->name);
	virErrorPtr e = virGetLastError();
	char *why = xstrdup(e && e->message ? e->message : "the connection was closed");
	virResetLastError();
	int rc = virt_reconnect(v, why, err) < 0 ? -1 : 1;
	free(why);
	if (rc > 0)
		vm_refresh(vm);
	return rc;
}

bool qemu_vm_gone(const struct qemu_vm *vm)
{
	return vm->gone;
}

void qemu_virt_close(struct qemu_virt *v)
{
	if (!v)
		return;
	if (v->conn)
		virConnectClose(v->conn);
	free(v->uri);
	free(v->host);
	free(v);
}

bool qemu_virt_is_remote(const struct qemu_virt *v)
{
	return v->remote;
}

const char *qemu_virt_uri(const struct qemu_virt *v)
{
	return v->uri;
}

const char *qemu_virt_host(const struct qemu_virt *v)
{
	return v->host;
}

bool qemu_virt_has_domain_type(struct qemu_virt *v, const char *type)
{
	char *caps = virConnectGetCapabilities(v->conn);
	if (!caps) {
		virResetLastError();
		return false;
	}
	char *needle = xasprintf("<domain type='%s'", type);
	bool found = strstr(caps, needle) != NULL;
	free(needle);
	free(caps);
	return found;
}

bool qemu_virt_alive(struct qemu_virt *v)
{
	int r = virConnectIsAlive(v->conn);
	virResetLastError();
	return r != 0;
}

static char *version_text(unsigned long v)
{
	return xasprintf("%lu.%lu.%lu", v / 1000000, v / 1000 % 1000, v % 1000);
}

int qemu_virt_node_info(struct qemu_virt *v, struct kiln_host_info *info, struct kiln_error *err)
{
	memset(info, 0, sizeof *info);
	virNodeInfo ni;
	if (virNodeGetInfo(v->conn, &ni) < 0)
		return virt_fail(v, err, "asking %s what it has", v->uri);
	info->cpus = (int)ni.cpus;
	info->memory = (uint64_t)ni.memory * 1024;
	unsigned long long free_mem = virNodeGetFreeMemory(v->conn);
	if (free_mem == 0) {
		virErrorPtr e = virGetLastError();
		if (e && e->code != VIR_ERR_OK)
			return virt_fail(v, err, "asking %s for its free memory", v->uri);
	}
	info->free_memory = free_mem;

	/* builds of other kiln processes there (this process counts its own) */
	virDomainPtr *doms = NULL;
	int n = virConnectListAllDomains(v->conn, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
	if (n < 0)
		return virt_fail(v, err, "listing the domains of %s", v->uri);
	char host[256] = "";
	gethostname(host, sizeof host - 1);
	long me = (long)getpid();
	for (int i = 0; i < n; i++) {
		char *m = domain_kiln_meta(doms[i]);
		if (m) {
			char *h = meta_attr(m, "host");
			char *pid = meta_attr(m, "pid");
			if (!(h && pid && strcmp(h, host) == 0 && atol(pid) == me)) {
				info->other_builds++;
				info->other_memory += (uint64_t)virDomainGetMaxMemory(doms[i]) * 1024;
				virResetLastError();
			}
			free(h);
			free(pid);
			free(m);
		}
		virDomainFree(doms[i]);
	}
	free(doms);

	unsigned long hv = 0, lib = 0;
	const char *type = virConnectGetType(v->conn);
	virConnectGetVersion(v->conn, &hv);
	virConnectGetLibVersion(v->conn, &lib);
	virResetLastError();
	char *hvs = version_text(hv), *libs = version_text(lib);
	info->version = xasprintf("%s %s, libvirt %s", type ? type : "hypervisor", hvs, libs);
	info->local = !v->remote;
	free(hvs);
	free(libs);
	return 0;
}

int qemu_vm_create(struct qemu_virt *v, const char *xml, bool autodestroy, bool paused, struct qemu_vm **out,
		   struct kiln_error *err)
{
	unsigned flags = 0;
	if (autodestroy)
		flags |= VIR_DOMAIN_START_AUTODESTROY;
	if (paused)
		flags |= VIR_DOMAIN_START_PAUSED;
	if (log_enabled()) {
		/* the VNC password is for the one line that shows it, not for the log */
		char *shown = xstrdup(xml);
		for (char *p = strstr(shown, " passwd='"); p; p = strstr(p + 1, " passwd='")) {
			char *val = p + 9, *end = strchr(val, '\'');
			for (; end && val < end; val++)
				*val = '*';
		}
		log_debug("libvirt: creating domain on %s:\n%s", v->uri, shown);
		free(shown);
	}
	virDomainPtr d = virDomainCreateXML(v->conn, xml, flags);
	if (!d)
		return virt_fail(v, err, "starting the virtual machine");
	struct qemu_vm *vm = xcalloc(1, sizeof *vm);
	vm->virt = v;
	vm->dom = d;
	vm->generation = v->generation;
	virDomainGetUUID(d, vm->uuid);
	const char *name = virDomainGetName(d);
	vm->name = xstrdup(name ? name : "");
	*out = vm;
	return 0;
}

int qemu_vm_snapshot(struct qemu_vm *vm, const char *memory_file, char *const *disks, char *const *overlays,
		     size_t n, char *const *skip, size_t nskip, struct kiln_error *err)
{
	struct buf x = BUF_INIT;
	buf_puts(&x, "<domainsnapshot>\n");
	if (memory_file) {
		buf_puts(&x, "  <memory snapshot='external' file='");
		buf_put_xml(&x, memory_file);
		buf_puts(&x, "'/>\n");
	} else {
		buf_puts(&x, "  <memory snapshot='no'/>\n");
	}
	buf_puts(&x, "  <disks>\n");
	for (size_t i = 0; i < n; i++) {
		buf_puts(&x, "    <disk name='");
		buf_put_xml(&x, disks[i]);
		buf_puts(&x, "' snapshot='external' type='file'><driver type='qcow2'/><source file='");
		buf_put_xml(&x, overlays[i]);
		buf_puts(&x, "'/></disk>\n");
	}
	for (size_t i = 0; i < nskip; i++) {
		buf_puts(&x, "    <disk name='");
		buf_put_xml(&x, skip[i]);
		buf_puts(&x, "' snapshot='no'/>\n");
	}
	buf_puts(&x, "  </disks>\n</domainsnapshot>\n");
	unsigned flags = VIR_DOMAIN_SNAPSHOT_CREATE_REUSE_EXT | VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA |
			 VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC;
	if (!memory_file)
		flags |= VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY;
	log_debug("libvirt: snapshot of %s:\n%s", vm->name, buf_cstr(&x));
	virDomainSnapshotPtr snap = virDomainSnapshotCreateXML(vm->dom, buf_cstr(&x), flags);
	buf_free(&x);
	if (!snap)
		return virt_fail(vm->virt, err, "taking a snapshot of %s", vm->name);
	virDomainSnapshotFree(snap);
	return 0;
}

int qemu_vm_restore(struct qemu_virt *v, const char *image, const char *xml, const char *name, struct qemu_vm **out,
		    struct kiln_error *err)
{
	log_debug("libvirt: restoring %s from %s:\n%s", name, image, xml);
	if (virDomainRestoreFlags(v->conn, image, xml, VIR_DOMAIN_SAVE_RUNNING) < 0)
		return virt_fail(v, err, "restoring the virtual machine");
	virDomainPtr d = virDomainLookupByName(v->conn, name);
	if (!d)
		return virt_fail(v, err, "finding the restored domain %s", name);
	struct qemu_vm *vm = xcalloc(1, sizeof *vm);
	vm->virt = v;
	vm->dom = d;
	vm->name = xstrdup(name);
	*out = vm;
	return 0;
}

int qemu_vm_resume(struct qemu_vm *vm, struct kiln_error *err)
{
	if (virDomainResume(vm->dom) < 0)
		return virt_fail(vm->virt, err, "resuming %s", vm->name);
	return 0;
}

int qemu_vm_state(struct qemu_vm *vm, enum qemu_vm_state *state, int *reason, struct kiln_error *err)
{
	int st = 0, rs = 0;
	if (reason)
		*reason = 0;
	for (;;) {
		if (vm->gone) {
			*state = QEMU_VM_OFF;
			return 0;
		}
		if (virDomainGetState(vm->dom, &st, &rs, 0) == 0)
			break;
		virErrorPtr e = virGetLastError();
		if (e && e->code == VIR_ERR_NO_DOMAIN) {
			virResetLastError();
			*state = QEMU_VM_OFF;
			return 0;
		}
		if (vm_recover(vm, "reading the state of", err) < 0)
			return -1;
	}
	if (reason)
		*reason = rs;
	switch (st) {
	case VIR_DOMAIN_RUNNING:
	case VIR_DOMAIN_BLOCKED:
		*state = QEMU_VM_RUNNING;
		break;
	case VIR_DOMAIN_PAUSED:
		*state = QEMU_VM_PAUSED;
		break;
	case VIR_DOMAIN_SHUTDOWN:
		*state = QEMU_VM_SHUTTING_DOWN;
		break;
	case VIR_DOMAIN_SHUTOFF:
		*state = QEMU_VM_OFF;
		break;
	case VIR_DOMAIN_CRASHED:
		*state = QEMU_VM_CRASHED;
		break;
	default:
		*state = QEMU_VM_OTHER;
	}
	return 0;
}

bool qemu_vm_paused_by_io_error(struct qemu_vm *vm, bool *no_space)
{
	int st = 0, rs = 0;
	*no_space = false;
	if (virDomainGetState(vm->dom, &st, &rs, 0) < 0) {
		virResetLastError();
		return false;
	}
	if (st != VIR_DOMAIN_PAUSED || rs != VIR_DOMAIN_PAUSED_IOERROR)
		return false;
	virDomainDiskError errs[16];
	int n = virDomainGetDiskErrors(vm->dom, errs, 16, 0);
	for (int i = 0; i < n; i++) {
		if (errs[i].error == VIR_DOMAIN_DISK_ERROR_NO_SPACE)
			*no_space = true;
		free(errs[i].disk);
	}
	if (n < 0)
		virResetLastError();
	return true;
}

const char *qemu_vm_state_name(enum qemu_vm_state s)
{
	switch (s) {
	case QEMU_VM_RUNNING: return "running";
	case QEMU_VM_PAUSED: return "paused";
	case QEMU_VM_SHUTTING_DOWN: return "shutting down";
	case QEMU_VM_OFF: return "off";
	case QEMU_VM_CRASHED: return "crashed";
	default: return "in an unexpected state";
	}
}

int qemu_vm_send_keys(struct qemu_vm *vm, const unsigned *keys, size_t n, unsigned hold_ms, struct kiln_error *err)
{
	unsigned codes[VIR_DOMAIN_SEND_KEY_MAX_KEYS];
	if (n > VIR_DOMAIN_SEND_KEY_MAX_KEYS)
		return err_set_kind(err, ERR_INVALID, "too many keys pressed at once (%zu)", n);
	memcpy(codes, keys, n * sizeof *codes);
	for (;;) {
		if (vm->gone)
			return err_set(err, "sending keys to %s: the VM is gone", vm->name);
		if (virDomainSendKey(vm->dom, VIR_KEYCODE_SET_LINUX, hold_ms, codes, (int)n, 0) == 0)
			return 0;
		if (vm_recover(vm, "sending keys to", err) < 0)
			return -1;
	}
}

int qemu_vm_shutdown(struct qemu_vm *vm, struct kiln_error *err)
{
	while (!vm->gone && virDomainShutdownFlags(vm->dom, VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN) < 0) {
		virErrorPtr e = virGetLastError();
		if (e && (e->code == VIR_ERR_NO_DOMAIN || e->code == VIR_ERR_OPERATION_INVALID)) {
			virResetLastError();   /* already off */
			return 0;
		}
		if (vm_recover(vm, "sending the ACPI power button to", err) < 0)
			return -1;
	}
	return 0;
}

int qemu_vm_destroy(struct qemu_vm *vm, struct kiln_error *err)
{
	while (!vm->gone && virDomainDestroy(vm->dom) < 0) {
		virErrorPtr e = virGetLastError();
		if (e && (e->code == VIR_ERR_NO_DOMAIN || e->code == VIR_ERR_OPERATION_INVALID)) {
			virResetLastError();
			return 0;
		}
		if (vm_recover(vm, "destroying", err) < 0)
			return -1;
	}
	return 0;
}

int qemu_vm_vnc_port(struct qemu_vm *vm)
{
	char *xml = virDomainGetXMLDesc(vm->dom, 0);
	if (!xml) {
		virResetLastError();
		return 0;
	}
	int port = 0;
	const char *g = strstr(xml, "<graphics type='vnc'");
	const char *p = g ? strstr(g, "port='") : NULL;
	if (p)
		port = atoi(p + 6);
	free(xml);
	return port > 0 ? port : 0;
}

static void *console_thread(void *arg)
{
	struct console_pump *c = arg;
	char buf[4096];
	for (;;) {
		int n = virStreamRecv(c->st, buf, sizeof buf);
		if (n <= 0)
			break;
		ssize_t off = 0;
		while (off < n) {
			ssize_t w = write(c->fd, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break;
			off += w;
		}
	}
	virResetLastError();
	return NULL;
}

int qemu_vm_console_to_file(struct qemu_vm *vm, const char *path, struct kiln_error *err)
{
	struct console_pump *c = xcalloc(1, sizeof *c);
	/* after a reconnect the log goes on where it stopped */
	c->fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (vm->generation ? O_APPEND : O_TRUNC), 0644);
	if (c->fd < 0) {
		int e = errno;
		free(c);
		return err_set_errno(err, e, "creating %s", path);
	}
	c->st = virStreamNew(vm->virt->conn, 0);
	if (!c->st || virDomainOpenConsole(vm->dom, NULL, c->st, VIR_DOMAIN_CONSOLE_FORCE) < 0) {
		virt_fail(vm->virt, err, "opening the serial console of %s", vm->name);
		if (c->st)
			virStreamFree(c->st);
		close(c->fd);
		free(c);
		return -1;
	}
	if (pthread_create(&c->thread, NULL, console_thread, c) != 0) {
		virStreamAbort(c->st);
		virStreamFree(c->st);
		close(c->fd);
		free(c);
		return err_set(err, "cannot start the console thread");
	}
	c->running = true;
	c->path = xstrdup(path);
	vm->console = c;
	return 0;
}

static void console_stop(struct qemu_vm *vm)
{
	struct console_pump *c = vm->console;
	if (!c)
		return;
	virStreamAbort(c->st);
	if (c->running)
		pthread_join(c->thread, NULL);
	virStreamFree(c->st);
	close(c->fd);
	free(c->path);
	free(c);
	vm->console = NULL;
	virResetLastError();
}

void qemu_vm_free(struct qemu_vm *vm)
{
	if (!vm)
		return;
	console_stop(vm);
	virDomainFree(vm->dom);
	free(vm->name);
	free(vm);
}

int qemu_vm_guest_address(struct qemu_vm *vm, char **addr, struct kiln_error *err)
{
	*addr = NULL;
	static const unsigned sources[] = {VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE,
					   VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_ARP,
					   VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT};
	for (size_t s = 0; s < sizeof sources / sizeof sources[0] && !*addr; s++) {
		virDomainInterfacePtr *ifaces = NULL;
		int n = virDomainInterfaceAddresses(vm->dom, &ifaces, sources[s], 0);
		if (n < 0) {
			virResetLastError();
			continue;
		}
		for (int i = 0; i < n; i++) {
			for (unsigned j = 0; j < ifaces[i]->naddrs && !*addr; j++)
				if (ifaces[i]->addrs[j].type == VIR_IP_ADDR_TYPE_IPV4 && ifaces[i]->addrs[j].addr &&
				    strncmp(ifaces[i]->addrs[j].addr, "127.", 4) != 0)
					*addr = xstrdup(ifaces[i]->addrs[j].addr);
			virDomainInterfaceFree(ifaces[i]);
		}
		free(ifaces);
	}
	(void)err;
	return 0;
}

/* ------------------------------------------------------------------------------------------------
 * Strays */

/* The value of attribute `name` in a metadata element (either quote style). Caller frees. */
static char *meta_attr(const char *xml, const char *name)
{
	char *pat = xasprintf(" %s=", name);
	const char *p = strstr(xml, pat);
	size_t pl = strlen(pat);
	free(pat);
	if (!p || (p[pl] != '"' && p[pl] != '\''))
		return NULL;
	char q = p[pl];
	const char *start = p + pl + 1;
	const char *end = strchr(start, q);
	return end ? xstrndup(start, (size_t)(end - start)) : NULL;
}

static bool pid_is_kiln(long pid)
{
	if (pid <= 0)
		return false;
	if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
		return false;
	char *p = xasprintf("/proc/%ld/comm", pid);
	struct buf b = BUF_INIT;
	struct kiln_error e = ERR_INIT;
	bool kiln = true;   /* when we cannot tell, assume it is alive */
	if (file_read_all(p, &b, &e) == 0)
		kiln = strstr(buf_cstr(&b), "kiln") != NULL;
	err_clear(&e);
	buf_free(&b);
	free(p);
	return kiln;
}

static char owner_host[64];

static void owner_host_init(void)
{
	char h[256] = "";
	gethostname(h, sizeof h - 1);
	size_t k = 0;
	for (const char *p = h; *p && k < sizeof owner_host - 1; p++)
		owner_host[k++] = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
					  *p == '-' || *p == '.' ? *p : '-';
	if (!k)
		owner_host[k++] = 'x';
	owner_host[k] = 0;
}

const char *qemu_owner_host(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, owner_host_init);
	return owner_host;
}

bool qemu_owner_gone(const char *host, long pid)
{
	return strcmp(host, qemu_owner_host()) == 0 && !pid_is_kiln(pid);
}

static char *domain_kiln_meta(virDomainPtr d)
{
	char *m = virDomainGetMetadata(d, VIR_DOMAIN_METADATA_ELEMENT, QEMU_KILN_XMLNS, 0);
	if (!m)
		virResetLastError();
	return m;
}

int qemu_virt_list_strays(struct qemu_virt *v, struct strv *names, struct kiln_error *err)
{
	virDomainPtr *doms = NULL;
	int n = virConnectListAllDomains(v->conn, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
	if (n < 0)
		return virt_fail(v, err, "listing domains");
	char host[256] = "";
	gethostname(host, sizeof host - 1);
	for (int i = 0; i < n; i++) {
		char *m = domain_kiln_meta(doms[i]);
		if (m) {
			char *h = meta_attr(m, "host");
			char *pid = meta_attr(m, "pid");
			if (h && pid && strcmp(h, host) == 0 && !pid_is_kiln(atol(pid)))
				strv_push(names, virDomainGetName(doms[i]));
			free(h);
			free(pid);
			free(m);
		}
		virDomainFree(doms[i]);
	}
	free(doms);
	return 0;
}

int qemu_virt_remove_domain(struct qemu_virt *v, const char *name, struct kiln_error *err)
{
	virDomainPtr d = virDomainLookupByName(v->conn, name);
	if (!d)
		return virt_fail(v, err, "looking up %s", name);
	int rc = 0;
	char *m = domain_kiln_meta(d);
	if (!m) {
		rc = err_set_kind(err, ERR_INVALID, "%s was not created by kiln; leaving it alone", name);
	} else if (virDomainDestroy(d) < 0) {
		rc = virt_fail(v, err, "destroying %s", name);
	} else {
		/* transient domains vanish; a persistent one (defined by someone later) is left defined */
	}
	free(m);
	virDomainFree(d);
	return rc;
}

/* ------------------------------------------------------------------------------------------------
 * Storage volumes */

static virStoragePoolPtr pool_lookup(struct qemu_virt *v, const char *pool, struct kiln_error *err)
{
	virStoragePoolPtr p = virStoragePoolLookupByName(v->conn, pool);
	if (!p) {
		virt_fail(v, err, "storage pool \"%s\" on %s", pool, v->uri);
		err_hint(err, "set libvirt_pool to a pool that exists on the hypervisor");
	}
	return p;
}

static char *vol_xml(const char *name, const char *format, uint64_t capacity, const char *backing_path,
		     const char *backing_format)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "<volume><name>%s</name><capacity unit='bytes'>%llu</capacity>", name,
		   (unsigned long long)capacity);
	buf_printf(&b, "<target><format type='%s'/></target>", format);
	if (backing_path)
		buf_printf(&b, "<backingStore><path>%s</path><format type='%s'/></backingStore>", backing_path,
			   backing_format ? backing_format : "qcow2");
	buf_puts(&b, "</volume>");
	return buf_detach(&b);
}

struct upload {
	int fd;
	uint64_t sent;
	struct ui_progress *progress;
};

static int send_cb(virStreamPtr st, char *data, size_t n, void *arg)
{
	(void)st;
	struct upload *u = arg;
	if (sig_cancelled())
		return -1;
	ssize_t r;
	do {
		r = read(u->fd, data, n);
	} while (r < 0 && errno == EINTR);
	if (r > 0) {
		u->sent += (uint64_t)r;
		ui_progress_update(u->progress, u->sent);
	}
	return (int)r;
}

static int recv_cb(virStreamPtr st, const char *data, size_t n, void *arg)
{
	(void)st;
	int fd = *(int *)arg;
	size_t off = 0;
	while (off < n) {
		ssize_t w = write(fd, data + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		off += (size_t)w;
	}
	return (int)n;
}

int qemu_vol_create(struct qemu_virt *v, const char *pool, const char *name, const char *format, uint64_t capacity,
		    const char *backing_vol, const char *backing_format, struct kiln_error *err)
{
	virStoragePoolPtr p = pool_lookup(v, pool, err);
	if (!p)
		return -1;
	char *bpath = NULL;
	int rc = -1;
	if (backing_vol && qemu_vol_path(v, pool, backing_vol, &bpath, err) < 0)
		goto out;
	char *xml = vol_xml(name, format, capacity, bpath, backing_format);
	virStorageVolPtr vol = virStorageVolCreateXML(p, xml, 0);
	free(xml);
	if (!vol) {
		virt_fail(v, err, "creating volume %s in pool %s", name, pool);
		goto out;
	}
	virStorageVolFree(vol);
	rc = 0;
out:
	free(bpath);
	virStoragePoolFree(p);
	return rc;
}

int qemu_vol_upload(struct qemu_virt *v, const char *pool, const char *name, const char *local_path,
		    const char *format, uint64_t capacity, struct ui *ui, struct kiln_error *err)
{
	struct upload u = {.fd = open(local_path, O_RDONLY | O_CLOEXEC)};
	if (u.fd < 0)
		return err_set_errno(err, errno, "opening %s", local_path);
	int rc = -1;
	virStoragePoolPtr p = pool_lookup(v, pool, err);
	virStorageVolPtr vol = NULL;
	virStreamPtr st = NULL;
	struct stat sb;
	if (!p)
		goto out;
	char *xml = vol_xml(name, format, capacity, NULL, NULL);
	vol = virStorageVolCreateXML(p, xml, 0);
	free(xml);
	if (!vol) {
		virt_fail(v, err, "creating volume %s in pool %s", name, pool);
		goto out;
	}
	if (ui && fstat(u.fd, &sb) == 0 && sb.st_size >= 16 << 20)
		u.progress = ui_progress_start(ui, "Uploading", (uint64_t)sb.st_size);
	int64_t t0 = time_mono_ns();
	st = virStreamNew(v->conn, 0);
	if (virStorageVolUpload(vol, st, 0, 0, 0) < 0 || virStreamSendAll(st, send_cb, &u) < 0 ||
	    virStreamFinish(st) < 0) {
		if (sig_cancelled()) {
			virResetLastError();
			err_set_kind(err, ERR_CANCELLED, "cancelled while uploading %s", local_path);
		} else {
			virt_fail(v, err, "uploading %s to volume %s", local_path, name);
		}
		virStreamAbort(st);
		virStorageVolDelete(vol, 0);
		virResetLastError();
		goto out;
	}
	log_debug("libvirt: uploaded %llu bytes of %s to volume %s in pool %s on %s in %.3f s",
		  (unsigned long long)u.sent, local_path, name, pool, v->uri, (double)(time_mono_ns() - t0) / 1e9);
	rc = 0;
out:
	ui_progress_finish(u.progress);
	if (st)
		virStreamFree(st);
	if (vol)
		virStorageVolFree(vol);
	if (p)
		virStoragePoolFree(p);
	close(u.fd);
	return rc;
}

static virStorageVolPtr vol_lookup(struct qemu_virt *v, const char *pool, const char *name, struct kiln_error *err)
{
	virStoragePoolPtr p = pool_lookup(v, pool, err);
	if (!p)
		return NULL;
	virStorageVolPtr vol = virStorageVolLookupByName(p, name);
	if (!vol)
		virt_fail(v, err, "volume %s in pool %s", name, pool);
	virStoragePoolFree(p);
	return vol;
}

int qemu_vol_download(struct qemu_virt *v, const char *pool, const char *name, const char *local_path,
		      struct kiln_error *err)
{
	virStorageVolPtr vol = vol_lookup(v, pool, name, err);
	if (!vol)
		return -1;
	int fd = open(local_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		virStorageVolFree(vol);
		return err_set_errno(err, errno, "creating %s", local_path);
	}
	int rc = 0;
	virStreamPtr st = virStreamNew(v->conn, 0);
	if (virStorageVolDownload(vol, st, 0, 0, 0) < 0 || virStreamRecvAll(st, recv_cb, &fd) < 0 ||
	    virStreamFinish(st) < 0) {
		rc = virt_fail(v, err, "downloading volume %s", name);
		virStreamAbort(st);
		virResetLastError();
	}
	virStreamFree(st);
	if (close(fd) < 0 && rc == 0)
		rc = err_set_errno(err, errno, "writing %s", local_path);
	virStorageVolFree(vol);
	return rc;
}

int qemu_vol_delete(struct qemu_virt *v, const char *pool, const char *name, struct kiln_error *err)
{
	virStorageVolPtr vol = vol_lookup(v, pool, name, err);
	if (!vol) {
		if (err_is(err, ERR_NOT_FOUND)) {
			err_clear(err);
			return 0;
		}
		return -1;
	}
	int rc = 0;
	if (virStorageVolDelete(vol, 0) < 0)
		rc = virt_fail(v, err, "deleting volume %s", name);
	virStorageVolFree(vol);
	return rc;
}

int qemu_vol_path(struct qemu_virt *v, const char *pool, const char *name, char **path, struct kiln_error *err)
{
	virStorageVolPtr vol = vol_lookup(v, pool, name, err);
	if (!vol)
		return -1;
	char *p = virStorageVolGetPath(vol);
	virStorageVolFree(vol);
	if (!p)
		return virt_fail(v, err, "path of volume %s", name);
	*path = xstrdup(p);
	free(p);
	return 0;
}

void qemu_vols_free(struct qemu_vol *vols, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(vols[i].name);
		free(vols[i].backing);
	}
	free(vols);
}

/* The text of <backingStore><path> in a volume's XML, or NULL. */
static char *xml_backing_path(const char *xml)
{
	const char *bs = strstr(xml, "<backingStore>");
	const char *p = bs ? strstr(bs, "<path>") : NULL;
	const char *e = p ? strstr(p, "</path>") : NULL;
	return e ? xstrndup(p + 6, (size_t)(e - p - 6)) : NULL;
}

int qemu_vol_list(struct qemu_virt *v, const char *pool, unsigned details, struct qemu_vol **out, size_t *nout,
		  struct kiln_error *err)
{
	*out = NULL;
	*nout = 0;
	virStoragePoolPtr p = pool_lookup(v, pool, err);
	if (!p)
		return -1;
	virStorageVolPtr *vols = NULL;
	int n = virStoragePoolListAllVolumes(p, &vols, 0);
	virStoragePoolFree(p);
	if (n < 0)
		return virt_fail(v, err, "listing the volumes of pool %s", pool);
	struct qemu_vol *r = xcalloc((size_t)n + 1, sizeof *r);
	int rc = 0;
	for (int i = 0; i < n; i++) {
		const char *name = virStorageVolGetName(vols[i]);
		r[i].name = xstrdup(name ? name : "");
		if (rc == 0 && (details & QEMU_VOL_SIZES)) {
			virStorageVolInfo info;
			if (virStorageVolGetInfo(vols[i], &info) == 0) {
				r[i].capacity = info.capacity;
				r[i].allocation = info.allocation;
			} else {
				rc = virt_fail(v, err, "reading volume %s", r[i].name);
			}
		}
		if (rc == 0 && (details & QEMU_VOL_BACKING)) {
			char *xml = virStorageVolGetXMLDesc(vols[i], 0);
			if (xml) {
				r[i].backing = xml_backing_path(xml);
				free(xml);
			} else {
				rc = virt_fail(v, err, "reading volume %s", r[i].name);
			}
		}
		virStorageVolFree(vols[i]);
	}
	free(vols);
	if (rc < 0) {
		/* a volume removed while we looked is not an error of the listing */
		if (err_is(err, ERR_NOT_FOUND))
			err_clear(err);
		else {
			qemu_vols_free(r, (size_t)n);
			return -1;
		}
	}
	*out = r;
	*nout = (size_t)n;
	return 0;
}

int qemu_virt_pools(struct qemu_virt *v, struct strv *names, struct kiln_error *err)
{
	virStoragePoolPtr *pools = NULL;
	int n = virConnectListAllStoragePools(v->conn, &pools, VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE);
	if (n < 0)
		return virt_fail(v, err, "listing the storage pools of %s", v->uri);
	for (int i = 0; i < n; i++) {
		const char *name = virStoragePoolGetName(pools[i]);
		if (name)
			strv_push(names, name);
		virStoragePoolFree(pools[i]);
	}
	free(pools);
	return 0;
}
