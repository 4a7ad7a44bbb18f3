/* vm_config.c — the domain a build boots, from its configuration and run-time decisions (see
 * vm_config.h), including Packer's qemuargs: switches libvirt expresses itself (-m, -smp, -machine) become
 * domain settings, console and monitor switches libvirt owns are dropped with a warning, the rest are
 * passed to QEMU as they are. */
#include "qemu/vm_config.h"
#include "qemu/builder_config.h"
#include "util/buf.h"
#include "util/mem.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

const char *qemu_net_qemu_device(const char *net_device)
{
	if (!net_device || !*net_device || strcmp(net_device, "virtio") == 0 || strcmp(net_device, "virtio-net") == 0)
		return "virtio-net-pci";
	if (strcmp(net_device, "ne2k_pci") == 0)
		return "ne2k_pci";
	return net_device;
}

const char *qemu_net_libvirt_model(const char *net_device)
{
	if (!net_device || !*net_device || strncmp(net_device, "virtio", 6) == 0)
		return "virtio";
	return net_device;
}

const char *qemu_vga_libvirt_model(const char *vga)
{
	static const char *const map[][2] = {
		{"none", "none"}, {"std", "vga"}, {"cirrus", "cirrus"}, {"vmware", "vmvga"}, {"qxl", "qxl"}, {"virtio", "virtio"},
	};
	for (size_t i = 0; vga && i < sizeof map / sizeof map[0]; i++)
		if (strcmp(vga, map[i][0]) == 0)
			return map[i][1];
	return NULL;
}

static bool cpu_name_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			return false;
	return true;
}

int qemu_cpu_model_parse(const char *spec, char **store, const char **model, struct qemu_cpu_feature **features,
			 size_t *nfeatures, struct kiln_error *err)
{
	*store = xstrdup(spec ? spec : "");
	*model = NULL;
	*features = NULL;
	*nfeatures = 0;
	size_t cap = 0;
	char *save = NULL;
	char *tok = strtok_r(*store, ",", &save);
	if (!tok || !cpu_name_ok(tok)) {
		err_set_kind(err, ERR_INVALID, "cpu_model = \"%s\" does not start with a CPU model name (see qemu-system-x86_64 -cpu help)",
			     spec ? spec : "");
		goto fail;
	}
	*model = tok;
	/* QEMU's feature switches: +f and -f, f=on|off, and a bare f (on). */
	while ((tok = strtok_r(NULL, ",", &save))) {
		bool enable = true;
		char *name = tok;
		char *eq = strchr(tok, '=');
		if (*tok == '+' || *tok == '-') {
			enable = *tok == '+';
			name = tok + 1;
		} else if (eq) {
			*eq = '\0';
			const char *v = eq + 1;
			if (strcmp(v, "on") == 0 || strcmp(v, "true") == 0 || strcmp(v, "yes") == 0) {
				enable = true;
			} else if (strcmp(v, "off") == 0 || strcmp(v, "false") == 0 || strcmp(v, "no") == 0) {
				enable = false;
			} else {
				err_set_kind(err, ERR_INVALID,
					     "cpu_model = \"%s\": \"%s=%s\" is a CPU property libvirt's <cpu> cannot express; "
					     "only +feature, -feature and feature=on|off are supported", spec, tok, v);
				goto fail;
			}
		}
		if (!cpu_name_ok(name)) {
			err_set_kind(err, ERR_INVALID, "cpu_model = \"%s\": \"%s\" is not a CPU feature name", spec, tok);
			goto fail;
		}
		if (strncmp(name, "hv_", 3) == 0 || strncmp(name, "hv-", 3) == 0) {
			err_set_kind(err, ERR_INVALID,
				     "cpu_model = \"%s\": Hyper-V enlightenments (%s) are not CPU features to libvirt; "
				     "pass them to QEMU with qemuargs = [[\"-cpu\", \"%s\"]] instead", spec, name, spec);
			goto fail;
		}
		*features = xgrow(*features, &cap, *nfeatures + 1, sizeof **features);
		(*features)[(*nfeatures)++] = (struct qemu_cpu_feature){name, enable};
	}
	return 0;
fail:
	free(*store);
	free(*features);
	*store = NULL;
	*features = NULL;
	*nfeatures = 0;
	*model = NULL;
	return -1;
}

static void push_disk(struct qemu_domain *d, size_t *cap, struct qemu_domain_disk disk)
{
	d->disks = xgrow(d->disks, cap, d->ndisks + 1, sizeof *d->disks);
	d->disks[d->ndisks++] = disk;
}

/* "1024", "1024M", "2G" as MiB. */
static bool parse_mem_mib(const char *s, uint64_t *mib)
{
	uint64_t bytes;
	struct kiln_error e = ERR_INIT;
	const char *v = s;
	if (strncmp(v, "size=", 5) == 0)
		v += 5;
	int rc = qemu_parse_size(v, 'M', &bytes, &e);
	err_clear(&e);
	if (rc < 0 || bytes < (1 << 20))
		return false;
	*mib = bytes >> 20;
	return true;
}

/* "-smp 4,sockets=1,cores=2,threads=2" */
static void apply_smp(struct qemu_domain *d, const char *v)
{
	char *copy = xstrdup(v);
	for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		if (!eq) {
			d->vcpus = (unsigned)atoi(tok);
			continue;
		}
		*eq = '\0';
		unsigned n = (unsigned)atoi(eq + 1);
		if (strcmp(tok, "cpus") == 0)
			d->vcpus = n;
		else if (strcmp(tok, "sockets") == 0)
			d->sockets = n;
		else if (strcmp(tok, "cores") == 0)
			d->cores = n;
		else if (strcmp(tok, "threads") == 0)
			d->threads = n;
		else if (strcmp(tok, "maxcpus") == 0)
			d->max_vcpus = n;
	}
	free(copy);
}

/* "-machine type=q35,accel=kvm" or "-machine q35" -> "q35"; the machine string lives in `store`. */
static char *machine_from(const char *v)
{
	char *copy = xstrdup(v);
	char *result = NULL;
	for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (strncmp(tok, "type=", 5) == 0) {
			result = xstrdup(tok + 5);
			break;
		}
		if (!strchr(tok, '=') && !result)
			result = xstrdup(tok);
	}
	free(copy);
	return result;
}

static void set_topology(struct qemu_domain *d, int cpus, int sockets, int cores, int threads)
{
	/* Packer's rule (QemuSMPConfig): the topology's product is the maximum; cpus, when set lower, the
	 * current count; unset parts of a topology are 1. libvirt needs the product to equal the maximum. */
	if (sockets || cores || threads) {
		d->sockets = (unsigned)(sockets ? sockets : 1);
		d->cores = (unsigned)(cores ? cores : 1);
		d->threads = (unsigned)(threads ? threads : 1);
		d->max_vcpus = d->sockets * d->cores * d->threads;
		d->vcpus = cpus > 0 && (unsigned)cpus < d->max_vcpus ? (unsigned)cpus : d->max_vcpus;
	} else {
		d->vcpus = (unsigned)(cpus > 0 ? cpus : 1);
		d->max_vcpus = d->vcpus;
	}
}

/* cpu_model (or a plain "-cpu MODEL" in qemuargs) as the domain's <cpu>. */
static int apply_cpu(struct qemu_domain *d, const char *key, const char *spec, bool kvm, struct strv *warnings,
		     struct kiln_error *err)
{
	const char *model = NULL;
	char *store = NULL;
	struct qemu_cpu_feature *features = NULL;
	size_t n = 0;
	if (qemu_cpu_model_parse(spec, &store, &model, &features, &n, err) < 0)
		return -1;
	free(d->cpu_store);
	free(d->cpu_features_store);
	d->cpu_store = store;
	d->cpu_features = d->cpu_features_store = features;
	d->ncpu_features = n;
	d->cpu_model = NULL;
	if (strcmp(model, "host") == 0 && kvm) {
		d->cpu_mode = QEMU_CPU_HOST_PASSTHROUGH;
	} else if (strcmp(model, "host") == 0) {
		/* TCG has no host CPU to pass through (QEMU refuses -cpu host without KVM); its "max" model is
		 * the nearest: every feature TCG emulates, enough for guests that need x86-64-v2. */
		d->cpu_mode = QEMU_CPU_MAXIMUM;
		if (warnings)
			strv_pushf(warnings, "%s \"host\" needs KVM; this build runs under TCG, so the guest gets QEMU's "
					     "\"max\" CPU (every feature TCG emulates) instead", key);
	} else if (strcmp(model, "max") == 0) {
		d->cpu_mode = QEMU_CPU_MAXIMUM;
	} else {
		d->cpu_mode = QEMU_CPU_CUSTOM;
		d->cpu_model = model;
	}
	return 0;
}

static int apply_qemuargs(const struct qemu_config *c, const struct qemu_vm_plan *p, struct qemu_domain *d,
			  char **machine_store, struct strv *warnings, struct kiln_error *err)
{
	bool user_netdev = false;
	for (size_t i = 0; i < c->nqemuargs; i++) {
		const struct strv *sw = &c->qemuargs[i];
		if (sw->n == 0)
			continue;
		struct strv parts = STRV_INIT;
		for (size_t j = 0; j < sw->n; j++) {
			char *x = NULL;
			if (kiln_ctx_expand(p->ctx, sw->v[j], p->template_vars, &x, err) < 0) {
				strv_free(&parts);
				return err_wrap(err, "qemuargs[%zu]", i);
			}
			strv_push_owned(&parts, x);
		}
		const char *name = parts.v[0];
		struct buf value = BUF_INIT;
		for (size_t j = 1; j < parts.n; j++)
			buf_puts(&value, parts.v[j]);
		const char *v = buf_cstr(&value);
		const char *bare = name[0] == '-' && name[1] == '-' ? name + 1 : name;
		if (strcmp(bare, "-m") == 0) {
			uint64_t mib;
			if (parse_mem_mib(v, &mib))
				d->memory_mib = mib;
			else if (warnings)
				strv_pushf(warnings, "qemuargs: cannot read the memory size \"%s\"; using memory = %d", v, c->memory);
		} else if (strcmp(bare, "-smp") == 0) {
			d->sockets = d->cores = d->threads = 0;
			apply_smp(d, v);
			if (d->sockets || d->cores || d->threads)
				set_topology(d, (int)d->vcpus, (int)d->sockets, (int)d->cores, (int)d->threads);
			else
				d->max_vcpus = d->vcpus;
		} else if (strcmp(bare, "-machine") == 0 || strcmp(bare, "-M") == 0) {
			char *m = machine_from(v);
			if (m) {
				free(*machine_store);
				*machine_store = m;
				d->machine = m;
			}
		} else if (strcmp(bare, "-cpu") == 0 && parts.n == 2 && !strchr(v, ',') &&
			   apply_cpu(d, "qemuargs -cpu", v, p->kvm, warnings, NULL) == 0) {
			/* a bare model; with features or properties (hv_*, ...) it goes to QEMU as it is */
		} else if (strcmp(bare, "-vga") == 0 && qemu_vga_libvirt_model(v)) {
			d->video = qemu_vga_libvirt_model(v);
		} else if (strcmp(bare, "-serial") == 0 || strcmp(bare, "-monitor") == 0 || strcmp(bare, "-display") == 0 ||
			   strcmp(bare, "-vnc") == 0 || strcmp(bare, "-nographic") == 0 || strcmp(bare, "-qmp") == 0 ||
			   strcmp(bare, "-name") == 0 || strcmp(bare, "-enable-kvm") == 0 || strcmp(bare, "-accel") == 0 ||
			   strcmp(bare, "-daemonize") == 0 || strcmp(bare, "-pidfile") == 0 || strcmp(bare, "-no-reboot") == 0) {
			if (warnings)
				strv_pushf(warnings, "qemuargs: %s is managed by libvirt and kiln; ignored", name);
		} else {
			if (strcmp(bare, "-netdev") == 0)
				user_netdev = true;
			strv_push(&d->qemu_args, name);
			if (value.len)
				strv_push(&d->qemu_args, v);
		}
		buf_free(&value);
		strv_free(&parts);
	}
	if (user_netdev && d->net == QEMU_NET_USER)
		d->net = QEMU_NET_NONE;
	return 0;
}

bool qemu_vnc_wants_password(const struct qemu_config *c)
{
	if (c->disable_vnc)
		return false;
	if (c->vnc_use_password)
		return true;
	const char *a = c->vnc_bind_address ? c->vnc_bind_address : "127.0.0.1";
	return !(strncmp(a, "127.", 4) == 0 || strcmp(a, "::1") == 0 || strcmp(a, "[::1]") == 0 ||
		 strcmp(a, "localhost") == 0);
}

int qemu_domain_build(const struct qemu_config *c, const struct qemu_vm_plan *p, struct qemu_domain *d,
		      struct strv *warnings, struct kiln_error *err)
{
	memset(d, 0, sizeof *d);
	d->name = p->name;
	d->uuid = p->uuid;
	d->type = p->kvm ? "kvm" : "qemu";
	d->arch = "x86_64";
	d->machine = c->machine_type;
	if (c->qemu_binary && strchr(c->qemu_binary, '/'))
		d->emulator = c->qemu_binary;
	d->memory_mib = (uint64_t)c->memory;
	set_topology(d, c->cpus, c->sockets, c->cores, c->threads);
	if (c->cpu_model && apply_cpu(d, "cpu_model", c->cpu_model, p->kvm, warnings, err) < 0) {
		qemu_domain_release(d);
		return -1;
	}

	/* firmware */
	if (c->efi_boot && c->efi_firmware_code) {
		d->firmware = QEMU_FW_EFI_FILES;
		d->loader = c->efi_firmware_code;
		d->nvram_template = c->efi_firmware_vars;
		d->nvram = p->nvram;
	} else if (c->efi_boot) {
		d->firmware = QEMU_FW_EFI_AUTO;
		d->nvram = p->nvram;
	} else if (c->firmware) {
		d->firmware = c->use_pflash ? QEMU_FW_EFI_FILES : QEMU_FW_ROM;
		d->loader = c->firmware;
	}
	d->secure_boot = c->efi_secure_boot;
	d->tpm = c->vtpm;
	d->tpm_model = c->tpm_device_type;
	d->tpm_version = c->use_tpm1 ? "1.2" : "2.0";

	/* disks: the main disk boots first; an installer ISO is tried when the disk is empty */
	size_t cap = 0;
	const char *bus = c->disk_interface;
	const char *cdbus = c->cdrom_interface && strcmp(c->cdrom_interface, "virtio") != 0 ? c->cdrom_interface : NULL;
	const char *dz = c->disk_detect_zeroes && strcmp(c->disk_detect_zeroes, "off") != 0 ? c->disk_detect_zeroes : NULL;
	push_disk(d, &cap, (struct qemu_domain_disk){
		.path = p->disk, .pool = p->pool, .volume = p->disk_volume, .format = p->disk_format,
		.bus = bus, .cache = c->disk_cache, .discard = c->disk_discard, .detect_zeroes = dz, .boot_order = 1});
	for (size_t i = 0; i < p->nextra_disks; i++)
		push_disk(d, &cap, (struct qemu_domain_disk){
			.path = p->volumes ? NULL : p->extra_disks[i], .pool = p->pool,
			.volume = p->volumes ? p->extra_disks[i] : NULL,
			.format = p->extra_disk_formats ? p->extra_disk_formats[i] : c->format, .bus = bus,
			.cache = c->disk_cache, .discard = c->disk_discard, .detect_zeroes = dz});
	const char *cds[] = {p->iso, p->cd_iso, p->seed_iso, p->http_iso};
	for (size_t i = 0; i < sizeof cds / sizeof cds[0]; i++) {
		if (!cds[i])
			continue;
		push_disk(d, &cap, (struct qemu_domain_disk){
			.path = p->volumes ? NULL : cds[i], .pool = p->pool, .volume = p->volumes ? cds[i] : NULL,
			.format = "raw", .cdrom = true, .bus = cdbus, .boot_order = i == 0 ? 2 : 0});
	}

	/* consoles */
	if (!c->serial_log) {
		d->serial = QEMU_SERIAL_NONE;
	} else if (p->serial_path) {
		d->serial = QEMU_SERIAL_FILE;
		d->serial_path = p->serial_path;
	} else {
		d->serial = QEMU_SERIAL_PTY;
	}
	d->vnc = !c->disable_vnc;
	d->video = qemu_vga_libvirt_model(c->vga);
	d->vnc_listen = c->vnc_bind_address;
	d->vnc_port = p->vnc_port;
	d->vnc_password = p->vnc_password;

	/* network */
	if (c->net_bridge) {
		d->net = QEMU_NET_BRIDGE;
		d->net_source = c->net_bridge;
		d->net_model = qemu_net_libvirt_model(c->net_device);
	} else if (c->network) {
		d->net = QEMU_NET_NETWORK;
		d->net_source = c->network;
		d->net_model = qemu_net_libvirt_model(c->net_device);
	} else {
		d->net = QEMU_NET_USER;
		d->net_model = qemu_net_qemu_device(c->net_device);
		if (p->ssh_host_port) {
			d->forwards = xcalloc(1, sizeof *d->forwards);
			d->forwards[0] = (struct qemu_port_forward){p->forward_addr ? p->forward_addr : "127.0.0.1",
								    p->ssh_host_port, (unsigned)c->ssh.port};
			d->nforwards = 1;
		}
	}

	d->smbios_serial = p->smbios_serial;
	d->dac_label = p->dac;
	d->dac_uid = p->uid;
	d->dac_gid = p->gid;
	d->metadata = (struct qemu_kv *)p->metadata;
	d->nmetadata = p->nmetadata;

	d->machine_store = NULL;
	if (apply_qemuargs(c, p, d, &d->machine_store, warnings, err) < 0) {
		qemu_domain_release(d);
		return -1;
	}
	if (d->secure_boot && !qemu_machine_is_q35(d->machine)) {
		qemu_domain_release(d);
		return err_set_kind(err, ERR_INVALID, "Secure Boot needs a q35 machine (machine_type = \"q35\")");
	}
	return 0;
}

void qemu_domain_release(struct qemu_domain *d)
{
	free(d->disks);
	free(d->forwards);
	free(d->machine_store);
	free(d->cpu_store);
	free(d->cpu_features_store);
	strv_free(&d->qemu_args);
	d->disks = NULL;
	d->forwards = NULL;
	d->machine_store = NULL;
	d->cpu_store = NULL;
	d->cpu_features_store = NULL;
	d->cpu_features = NULL;
	d->ncpu_features = 0;
	d->ndisks = d->nforwards = 0;
}
