/* domain_xml.c — rendering a struct qemu_domain as libvirt domain XML (see domain_xml.h). The output
 * is deterministic (golden files compare it byte for byte) and indented two spaces, as virsh dumpxml. */
#include "qemu/domain_xml.h"
#include "util/buf.h"
#include "util/mem.h"

#include <string.h>

bool qemu_machine_is_q35(const char *machine)
{
	return machine && strstr(machine, "q35") != NULL;
}

const char *qemu_default_cdrom_bus(const char *machine)
{
	return qemu_machine_is_q35(machine) ? "sata" : "ide";
}

/* s with XML's five special characters escaped; NULL as "". */
static void esc(struct buf *b, const char *s)
{
	buf_put_xml(b, s ? s : "");
}

/* printf-like with %s arguments XML-escaped: only "%s", "%u", "%llu" and "%%" are understood. */
static void xf(struct buf *b, int indent, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_repeat(b, ' ', (size_t)indent * 2);
	for (const char *p = fmt; *p; p++) {
		if (*p != '%') {
			buf_putc(b, *p);
			continue;
		}
		p++;
		if (*p == 's') {
			esc(b, va_arg(ap, const char *));
		} else if (*p == 'u') {
			buf_printf(b, "%u", va_arg(ap, unsigned));
		} else if (strncmp(p, "llu", 3) == 0) {
			buf_printf(b, "%llu", va_arg(ap, unsigned long long));
			p += 2;
		} else {
			buf_putc(b, *p);
		}
	}
	va_end(ap);
	buf_putc(b, '\n');
}

/* A line of markup built by the caller (its values already safe). */
static void xraw(struct buf *b, int indent, const char *markup)
{
	buf_repeat(b, ' ', (size_t)indent * 2);
	buf_puts(b, markup);
	buf_putc(b, '\n');
}

static const char *disk_prefix(const char *bus)
{
	if (strcmp(bus, "virtio") == 0)
		return "vd";
	if (strcmp(bus, "ide") == 0)
		return "hd";
	return "sd";   /* scsi, sata */
}

static void target_name(char *out, const char *prefix, unsigned index)
{
	/* vda..vdz, vdaa.. (libvirt's scheme) */
	char suffix[8];
	int n = 0;
	unsigned i = index;
	do {
		suffix[n++] = (char)('a' + i % 26);
		i = i / 26;
	} while (i-- > 0 && n < 7);
	int o = 0;
	for (const char *p = prefix; *p; p++)
		out[o++] = *p;
	while (n > 0)
		out[o++] = suffix[--n];
	out[o] = '\0';
}

static void render_disks(struct buf *b, const struct qemu_domain *d)
{
	unsigned counts[3] = {0, 0, 0};   /* vd, hd, sd */
	bool scsi = false;
	for (size_t i = 0; i < d->ndisks; i++) {
		const struct qemu_domain_disk *k = &d->disks[i];
		const char *bus = k->bus ? k->bus : k->cdrom ? qemu_default_cdrom_bus(d->machine) : "virtio";
		if (strcmp(bus, "virtio-scsi") == 0)
			bus = "scsi";
		scsi |= strcmp(bus, "scsi") == 0;
		const char *prefix = disk_prefix(bus);
		unsigned *count = &counts[prefix[0] == 'v' ? 0 : prefix[0] == 'h' ? 1 : 2];
		char dev[16];
		target_name(dev, prefix, (*count)++);
		bool vol = k->volume != NULL;
		xf(b, 2, "<disk type='%s' device='%s'>", vol ? "volume" : "file", k->cdrom ? "cdrom" : "disk");
		struct buf drv = BUF_INIT;
		buf_printf(&drv, "<driver name='qemu' type='%s'", k->format ? k->format : "raw");
		if (k->cache)
			buf_printf(&drv, " cache='%s'", k->cache);
		if (k->discard)
			buf_printf(&drv, " discard='%s'", k->discard);
		if (k->detect_zeroes && strcmp(k->detect_zeroes, "off") != 0)
			buf_printf(&drv, " detect_zeroes='%s'", k->detect_zeroes);
		buf_puts(&drv, "/>");
		xraw(b, 3, buf_cstr(&drv));
		buf_free(&drv);
		if (vol)
			xf(b, 3, "<source pool='%s' volume='%s'/>", k->pool ? k->pool : "default", k->volume);
		else
			xf(b, 3, "<source file='%s'/>", k->path);
		xf(b, 3, "<target dev='%s' bus='%s'/>", dev, bus);
		if (k->cdrom)
			xf(b, 3, "<readonly/>");
		if (k->boot_order)
			xf(b, 3, "<boot order='%u'/>", k->boot_order);
		xf(b, 2, "</disk>");
	}
	if (scsi)
		xf(b, 2, "<controller type='scsi' index='0' model='virtio-scsi'/>");
}

static void render_os(struct buf *b, const struct qemu_domain *d)
{
	if (d->firmware == QEMU_FW_EFI_AUTO)
		xf(b, 1, "<os firmware='efi'>");
	else
		xf(b, 1, "<os>");
	xf(b, 2, "<type arch='%s' machine='%s'>hvm</type>", d->arch ? d->arch : "x86_64", d->machine ? d->machine : "pc");
	if (d->smbios_serial)
		xf(b, 2, "<smbios mode='sysinfo'/>");
	switch (d->firmware) {
	case QEMU_FW_BIOS:
		break;
	case QEMU_FW_ROM:
		xf(b, 2, "<loader readonly='yes' type='rom'>%s</loader>", d->loader);
		break;
	case QEMU_FW_EFI_AUTO:
		xf(b, 2, "<firmware>");
		xf(b, 3, "<feature enabled='%s' name='enrolled-keys'/>", d->secure_boot ? "yes" : "no");
		xf(b, 3, "<feature enabled='%s' name='secure-boot'/>", d->secure_boot ? "yes" : "no");
		xf(b, 2, "</firmware>");
		if (d->nvram)
			xf(b, 2, "<nvram>%s</nvram>", d->nvram);
		break;
	case QEMU_FW_EFI_FILES:
		xf(b, 2, "<loader readonly='yes' secure='%s' type='pflash'>%s</loader>", d->secure_boot ? "yes" : "no",
		   d->loader);
		if (d->nvram_template)
			xf(b, 2, "<nvram template='%s'>%s</nvram>", d->nvram_template, d->nvram);
		else if (d->nvram)
			xf(b, 2, "<nvram>%s</nvram>", d->nvram);
		break;
	}
	xf(b, 1, "</os>");
}

static void render_cpu(struct buf *b, const struct qemu_domain *d)
{
	enum qemu_cpu_mode mode = d->cpu_mode;
	if (mode == QEMU_CPU_DEFAULT)
		mode = strcmp(d->type, "kvm") == 0 ? QEMU_CPU_HOST_PASSTHROUGH : QEMU_CPU_DEFAULT;
	bool body = d->sockets || d->ncpu_features || mode == QEMU_CPU_CUSTOM;
	const char *open = NULL;
	switch (mode) {
	case QEMU_CPU_DEFAULT:
		if (!body)
			return;
		open = "<cpu";
		break;
	case QEMU_CPU_HOST_PASSTHROUGH:
		open = "<cpu mode='host-passthrough'";
		break;
	case QEMU_CPU_MAXIMUM:
		open = "<cpu mode='maximum'";
		break;
	case QEMU_CPU_CUSTOM:
		/* check='none': like QEMU's -cpu, run with what the accelerator offers rather than refuse */
		open = "<cpu mode='custom' match='exact' check='none'";
		break;
	}
	buf_repeat(b, ' ', 2);
	buf_puts(b, open);
	buf_puts(b, body ? ">\n" : "/>\n");
	if (!body)
		return;
	if (mode == QEMU_CPU_CUSTOM)
		xf(b, 2, "<model fallback='forbid'>%s</model>", d->cpu_model);
	if (d->sockets)
		xf(b, 2, "<topology sockets='%u' dies='1' cores='%u' threads='%u'/>", d->sockets, d->cores, d->threads);
	for (size_t i = 0; i < d->ncpu_features; i++)
		xf(b, 2, "<feature policy='%s' name='%s'/>", d->cpu_features[i].enable ? "require" : "disable",
		   d->cpu_features[i].name);
	xf(b, 1, "</cpu>");
}

static void render_net(struct buf *b, const struct qemu_domain *d)
{
	if (d->net == QEMU_NET_BRIDGE || d->net == QEMU_NET_NETWORK) {
		bool br = d->net == QEMU_NET_BRIDGE;
		xf(b, 2, "<interface type='%s'>", br ? "bridge" : "network");
		xf(b, 3, br ? "<source bridge='%s'/>" : "<source network='%s'/>", d->net_source);
		xf(b, 3, "<model type='%s'/>", d->net_model ? d->net_model : "virtio");
		xf(b, 2, "</interface>");
	}
}

static void render_qemu_args(struct buf *b, const struct qemu_domain *d)
{
	bool user = d->net == QEMU_NET_USER;
	if (!user && d->qemu_args.n == 0)
		return;
	xf(b, 1, "<qemu:commandline>");
	if (user) {
		/* libvirt 9.0 cannot express user networking with port forwards (no passt), so QEMU gets
		 * its -netdev directly; the device sits on a fixed slot that libvirt leaves free. */
		struct buf nd = BUF_INIT;
		buf_puts(&nd, "user,id=kilnnet0");
		for (size_t i = 0; i < d->nforwards; i++)
			buf_printf(&nd, ",hostfwd=tcp:%s:%u-:%u", d->forwards[i].host_addr ? d->forwards[i].host_addr : "",
				   d->forwards[i].host_port, d->forwards[i].guest_port);
		xf(b, 2, "<qemu:arg value='-netdev'/>");
		xf(b, 2, "<qemu:arg value='%s'/>", buf_cstr(&nd));
		buf_free(&nd);
		const char *model = d->net_model ? d->net_model : "virtio-net-pci";
		xf(b, 2, "<qemu:arg value='-device'/>");
		if (strcmp(model, "usb-net") == 0)
			xf(b, 2, "<qemu:arg value='%s,netdev=kilnnet0'/>", model);
		else
			xf(b, 2, "<qemu:arg value='%s,netdev=kilnnet0,bus=%s,addr=%s'/>", model,
			   qemu_machine_is_q35(d->machine) ? "pcie.0" : "pci.0",
			   qemu_machine_is_q35(d->machine) ? "0x1e" : "0x1f");
	}
	for (size_t i = 0; i < d->qemu_args.n; i++)
		xf(b, 2, "<qemu:arg value='%s'/>", d->qemu_args.v[i]);
	xf(b, 1, "</qemu:commandline>");
}

char *qemu_domain_xml(const struct qemu_domain *d)
{
	struct buf b = BUF_INIT;
	bool qemu_ns = d->net == QEMU_NET_USER || d->qemu_args.n > 0;
	if (qemu_ns)
		xf(&b, 0, "<domain type='%s' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>", d->type);
	else
		xf(&b, 0, "<domain type='%s'>", d->type);
	xf(&b, 1, "<name>%s</name>", d->name);
	if (d->uuid)
		xf(&b, 1, "<uuid>%s</uuid>", d->uuid);
	if (d->nmetadata) {
		xf(&b, 1, "<metadata>");
		struct buf m = BUF_INIT;
		buf_printf(&m, "<%s:build xmlns:%s='%s'", QEMU_KILN_XMLNS_PREFIX, QEMU_KILN_XMLNS_PREFIX, QEMU_KILN_XMLNS);
		for (size_t i = 0; i < d->nmetadata; i++) {
			buf_printf(&m, " %s='", d->metadata[i].key);
			esc(&m, d->metadata[i].value);
			buf_putc(&m, '\'');
		}
		buf_puts(&m, "/>");
		xraw(&b, 2, buf_cstr(&m));
		buf_free(&m);
		xf(&b, 1, "</metadata>");
	}
	xf(&b, 1, "<memory unit='MiB'>%llu</memory>", (unsigned long long)d->memory_mib);
	if (d->smbios_serial) {
		xf(&b, 1, "<sysinfo type='smbios'>");
		xf(&b, 2, "<system>");
		xf(&b, 3, "<entry name='serial'>%s</entry>", d->smbios_serial);
		xf(&b, 2, "</system>");
		xf(&b, 1, "</sysinfo>");
	}
	unsigned maxv = d->max_vcpus ? d->max_vcpus : d->vcpus ? d->vcpus : 1;
	unsigned cur = d->vcpus ? d->vcpus : maxv;
	if (cur < maxv)
		xf(&b, 1, "<vcpu current='%u'>%u</vcpu>", cur, maxv);
	else
		xf(&b, 1, "<vcpu>%u</vcpu>", maxv);
	render_os(&b, d);
	bool smm = d->secure_boot;
	xf(&b, 1, "<features>");
	xf(&b, 2, "<acpi/>");
	xf(&b, 2, "<apic/>");
	if (smm)
		xf(&b, 2, "<smm state='on'/>");
	xf(&b, 1, "</features>");
	render_cpu(&b, d);
	xf(&b, 1, "<on_poweroff>destroy</on_poweroff>");
	xf(&b, 1, "<on_reboot>restart</on_reboot>");
	xf(&b, 1, "<on_crash>destroy</on_crash>");
	xf(&b, 1, "<devices>");
	if (d->emulator)
		xf(&b, 2, "<emulator>%s</emulator>", d->emulator);
	render_disks(&b, d);
	xf(&b, 2, "<controller type='usb' model='%s'/>", strcmp(d->net_model ? d->net_model : "", "usb-net") == 0 ? "qemu-xhci" : "none");
	render_net(&b, d);
	if (d->serial != QEMU_SERIAL_NONE) {
		/* the serial port, and the console on it: the same source for both */
		static const char *const dev[] = {"serial", "console"};
		static const char *const target[] = {"<target port='0'/>", "<target type='serial' port='0'/>"};
		const char *type = d->serial == QEMU_SERIAL_FILE ? "file" : "pty";
		for (size_t i = 0; i < 2; i++) {
			xf(&b, 2, "<%s type='%s'>", dev[i], type);
			if (d->serial == QEMU_SERIAL_FILE)
				xf(&b, 3, "<source path='%s' append='off'/>", d->serial_path);
			xraw(&b, 3, target[i]);
			xf(&b, 2, "</%s>", dev[i]);
		}
	}
	if (d->vnc) {
		const char *listen = d->vnc_listen ? d->vnc_listen : "127.0.0.1";
		if (d->vnc_port && d->vnc_password)
			xf(&b, 2, "<graphics type='vnc' port='%u' autoport='no' listen='%s' passwd='%s'/>", d->vnc_port, listen,
			   d->vnc_password);
		else if (d->vnc_port)
			xf(&b, 2, "<graphics type='vnc' port='%u' autoport='no' listen='%s'/>", d->vnc_port, listen);
		else if (d->vnc_password)
			xf(&b, 2, "<graphics type='vnc' autoport='yes' listen='%s' passwd='%s'/>", listen, d->vnc_password);
		else
			xf(&b, 2, "<graphics type='vnc' autoport='yes' listen='%s'/>", listen);
	}
	if (d->video) {
		xf(&b, 2, "<video>");
		xf(&b, 3, "<model type='%s'/>", d->video);
		xf(&b, 2, "</video>");
	}
	if (d->tpm) {
		xf(&b, 2, "<tpm model='%s'>", d->tpm_model ? d->tpm_model : "tpm-tis");
		xf(&b, 3, "<backend type='emulator' version='%s'/>", d->tpm_version ? d->tpm_version : "2.0");
		xf(&b, 2, "</tpm>");
	}
	xf(&b, 2, "<rng model='virtio'>");
	xf(&b, 3, "<backend model='random'>/dev/urandom</backend>");
	xf(&b, 2, "</rng>");
	xf(&b, 2, "<memballoon model='none'/>");
	xf(&b, 1, "</devices>");
	if (d->dac_label) {
		xf(&b, 1, "<seclabel type='static' model='dac' relabel='no'>");
		struct buf l = BUF_INIT;
		buf_printf(&l, "<label>+%u:+%u</label>", d->dac_uid, d->dac_gid);
		xraw(&b, 2, buf_cstr(&l));
		buf_free(&l);
		xf(&b, 1, "</seclabel>");
	}
	render_qemu_args(&b, d);
	xf(&b, 0, "</domain>");
	return buf_detach(&b);
}
