/* builder_config.c — the qemu builder's schema (Packer's builder/qemu keys and kiln's additions: types,
 * defaults, allowed values, ranges) and the decoding of a validated source block into struct qemu_config:
 * typed reads, the defaults that depend on other keys (qemu_config_derive_defaults), and Packer's checks
 * that involve several keys. */
#include "qemu/builder_config.h"
#include "qemu/checksum.h"
#include "qemu/domain_xml.h"
#include "qemu/vm_config.h"
#include "image/image.h"
#include "schema.h"
#include "util/buf.h"
#include "util/mem.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define IGNORED(n, t, d) {.name = n, .type = t, .flags = KILN_ATTR_IGNORED, .doc = d}
#define FLOPPY(n, t) {.name = n, .type = t, .flags = KILN_ATTR_UNSUPPORTED, .doc = "floppy disks are not supported by kiln; use cd_files or cd_content"}

static const struct kiln_attr qemu_img_args_attrs[] = {
	{.name = "convert", .type = "list(string)", .doc = "extra arguments for qemu-img convert"},
	{.name = "create", .type = "list(string)", .doc = "extra arguments for qemu-img create"},
	{.name = "resize", .type = "list(string)", .doc = "extra arguments for qemu-img resize"},
	{.name = NULL},
};
static const struct kiln_schema qemu_img_args_schema = {qemu_img_args_attrs, NULL};

static const struct kiln_attr qemu_attrs[] = {
	/* ISO / source image */
	{.name = "iso_url", .flags = KILN_ATTR_HOST_SIDE, .type = "string", .doc = "URL or path of the installer ISO or, with disk_image, the base disk image"},
	{.name = "iso_urls", .flags = KILN_ATTR_HOST_SIDE, .type = "list(string)", .doc = "URLs tried in order (mirrors)"},
	{.name = "iso_checksum", .flags = KILN_ATTR_HOST_SIDE, .type = "string", .doc = "\"none\", a digest (\"sha256:...\", bare hex) or \"file:\" + SUMS URL"},
	{.name = "iso_target_path", .flags = KILN_ATTR_HOST_SIDE, .type = "string", .doc = "where to store the download instead of the cache"},
	{.name = "iso_target_extension", .flags = KILN_ATTR_HOST_SIDE, .type = "string", .def = "\"iso\"", .doc = "extension of the downloaded file"},
	{.name = "iso_skip_cache", .type = "bool", .flags = KILN_ATTR_IGNORED | KILN_ATTR_HOST_SIDE, .doc = "accepted for compatibility; kiln always verifies and caches"},
	{.name = "disk_image", .type = "bool", .def = "false", .doc = "iso_url is a bootable disk image, not an installer ISO"},
	{.name = "use_backing_file", .flags = KILN_ATTR_HOST_SIDE, .type = "bool", .def = "false", .doc = "qcow2 overlay on the base image instead of a copy"},
	/* disks */
	{.name = "disk_size", .type = "string", .def = "\"40960M\"", .doc = "size of the main disk (k, M, G, T suffixes; bare numbers are MiB; \"0\": the default)"},
	{.name = "skip_resize_disk", .type = "bool", .def = "false", .doc = "do not resize a disk_image to disk_size"},
	{.name = "disk_additional_size", .type = "list(string)", .doc = "sizes of additional empty disks"},
	{.name = "disk_interface", .type = "string", .def = "\"virtio\"",
	 .allowed = KILN_VALUES("virtio", "virtio-scsi", "scsi", "sata", "ide"), .doc = "bus of the disks"},
	{.name = "disk_cache", .flags = KILN_ATTR_HOST_SIDE, .type = "string", .def = "\"writeback\"",
	 .allowed = KILN_VALUES("writethrough", "writeback", "none", "unsafe", "directsync"), .doc = "host cache mode of the disks"},
	{.name = "disk_discard", .type = "string", .def = "\"ignore\"", .allowed = KILN_VALUES("unmap", "ignore"),
	 .doc = "pass discards (TRIM) to the image"},
	{.name = "disk_detect_zeroes", .flags = KILN_ATTR_HOST_SIDE, .type = "string", .def = "\"off\"", .allowed = KILN_VALUES("unmap", "on", "off"),
	 .doc = "turn writes of zeroes into holes"},
	{.name = "format", .flags = KILN_ATTR_HOST_SIDE, .type = "string", .def = "\"qcow2\"", .allowed = KILN_VALUES("qcow2", "raw"), .doc = "output disk format"},
	{.name = "disk_compression", .flags = KILN_ATTR_HOST_SIDE, .type = "bool", .def = "false", .doc = "compress the qcow2 output"},
	{.name = "skip_compaction", .flags = KILN_ATTR_HOST_SIDE, .type = "bool", .def = "false", .doc = "do not compact the disk with qemu-img convert"},
	{.name = "qemu_img_args", .flags = KILN_ATTR_BLOCK, .doc = "extra qemu-img arguments per subcommand", .block = &qemu_img_args_schema},
	{.name = "cdrom_interface", .type = "string", .default_doc = "the machine's",
	 .allowed = KILN_VALUES("ide", "sata", "scsi", "virtio-scsi", "virtio"), .doc = "bus of the CD drives (virtio means the default)"},
	/* machine */
	{.name = "accelerator", .flags = KILN_ATTR_HOST_SIDE, .type = "string", .def = "\"auto\"",
	 .allowed = KILN_VALUES("auto", "kvm", "tcg", "none", "xen", "hax", "hvf", "whpx"),
	 .doc = "auto: KVM when /dev/kvm opens, else TCG (xen, hax, hvf and whpx are Packer's, not libvirt's)"},
	{.name = "cpus", .type = "number", .default_doc = "1, or the product of sockets, cores and threads", .range = KILN_RANGE(0, 4096), .doc = "number of vCPUs"},
	{.name = "sockets", .type = "number", .range = KILN_RANGE(0, 4096), .doc = "CPU sockets"},
	{.name = "cores", .type = "number", .range = KILN_RANGE(0, 4096), .doc = "cores per socket"},
	{.name = "threads", .type = "number", .range = KILN_RANGE(0, 4096), .doc = "threads per core"},
	{.name = "memory", .type = "number", .def = "512", .range = KILN_RANGE(0, 16777216), .doc = "memory in MiB (below 10: the default)"},
	{.name = "cpu_model", .type = "string", .default_doc = "host-passthrough on KVM, QEMU's default on TCG",
	 .doc = "QEMU -cpu model (\"host\", \"max\", \"Skylake-Client,+pcid\", ...)"},
	{.name = "machine_type", .type = "string", .def = "\"pc\"", .doc = "QEMU machine type (pc, q35, ...)"},
	{.name = "firmware", .type = "string", .doc = "firmware file loaded like QEMU's -bios"},
	{.name = "use_pflash", .type = "bool", .def = "false", .doc = "load `firmware` as pflash (use the efi_ keys instead)"},
	{.name = "efi_boot", .type = "bool", .def = "false", .doc = "boot with UEFI (libvirt selects the firmware)"},
	{.name = "efi_firmware_code", .type = "string", .doc = "UEFI CODE file (implies efi_boot)"},
	{.name = "efi_firmware_vars", .type = "string", .doc = "UEFI VARS template (implies efi_boot)"},
	{.name = "efi_secure_boot", .type = "bool", .def = "false", .doc = "kiln: UEFI with Secure Boot (needs machine_type q35)"},
	{.name = "efi_drop_efivars", .flags = KILN_ATTR_HOST_SIDE, .type = "bool", .def = "false", .doc = "do not keep the EFI variable store in the artifact"},
	{.name = "vtpm", .type = "bool", .def = "false", .doc = "give the guest an emulated TPM (swtpm)"},
	{.name = "use_tpm1", .type = "bool", .def = "false", .doc = "TPM 1.2 instead of 2.0"},
	{.name = "tpm_device_type", .type = "string", .def = "\"tpm-tis\"", .doc = "TPM device model"},
	{.name = "qemu_binary", .flags = KILN_ATTR_HOST_SIDE, .type = "string", .def = "\"qemu-system-x86_64\"", .doc = "QEMU emulator (a name or a path)"},
	{.name = "qemuargs", .type = "list(list(string))", .doc = "extra QEMU arguments, one switch per list"},
	{.name = "qmp_enable", .type = "bool", .flags = KILN_ATTR_IGNORED | KILN_ATTR_HOST_SIDE, .def = "false", .doc = "accepted with a warning; libvirt owns QEMU's monitor"},
	{.name = "qmp_socket_path", .type = "string", .flags = KILN_ATTR_IGNORED | KILN_ATTR_HOST_SIDE, .doc = "accepted with a warning; libvirt owns QEMU's monitor"},
	{.name = "run_once", .type = "bool", .flags = KILN_ATTR_IGNORED | KILN_ATTR_HOST_SIDE, .doc = "accepted for compatibility"},
	/* network and consoles */
	{.name = "net_device", .type = "string", .def = "\"virtio-net\"", .doc = "network device model"},
	{.name = "net_bridge", .type = "string", .doc = "attach to this bridge instead of user-mode networking"},
	{.name = "network", .type = "string", .doc = "kiln: attach to this libvirt network instead of user-mode networking"},
	{.name = "host_port_min", .flags = KILN_ATTR_HOST_SIDE, .type = "number", .def = "2222", .range = KILN_RANGE(1, 65535), .doc = "lowest host port forwarded to the guest's SSH port"},
	{.name = "host_port_max", .flags = KILN_ATTR_HOST_SIDE, .type = "number", .def = "4444", .range = KILN_RANGE(1, 65535), .doc = "highest host port forwarded to the guest's SSH port"},
	{.name = "ssh_host_port_min", .type = "number", .flags = KILN_ATTR_DEPRECATED | KILN_ATTR_HOST_SIDE, .range = KILN_RANGE(1, 65535), .doc = "old name of host_port_min"},
	{.name = "ssh_host_port_max", .type = "number", .flags = KILN_ATTR_DEPRECATED | KILN_ATTR_HOST_SIDE, .range = KILN_RANGE(1, 65535), .doc = "old name of host_port_max"},
	{.name = "skip_nat_mapping", .flags = KILN_ATTR_HOST_SIDE, .type = "bool", .def = "false", .doc = "connect to the guest's own address and port, no forward"},
	{.name = "headless", .type = "bool", .flags = KILN_ATTR_IGNORED | KILN_ATTR_HOST_SIDE, .doc = "accepted; kiln never opens a window (connect a VNC viewer)"},
	{.name = "use_default_display", .type = "bool", .flags = KILN_ATTR_IGNORED | KILN_ATTR_HOST_SIDE, .doc = "accepted; kiln never opens a window"},
	{.name = "display", .type = "string", .flags = KILN_ATTR_IGNORED | KILN_ATTR_HOST_SIDE, .doc = "accepted; kiln never opens a window"},
	{.name = "vga", .type = "string", .default_doc = "libvirt's", .allowed = KILN_VALUES("none", "std", "cirrus", "vmware", "qxl", "virtio"),
	 .doc = "video card"},
	{.name = "disable_vnc", .flags = KILN_ATTR_HOST_SIDE, .type = "bool", .def = "false", .doc = "no VNC display at all"},
	{.name = "vnc_bind_address", .flags = KILN_ATTR_HOST_SIDE, .type = "string", .def = "\"127.0.0.1\"", .doc = "VNC listen address"},
	{.name = "vnc_use_password", .flags = KILN_ATTR_HOST_SIDE, .type = "bool", .def = "false",
	 .doc = "a random password for the VNC display (always when vnc_bind_address is not a loopback address)"},
	{.name = "vnc_port_min", .flags = KILN_ATTR_HOST_SIDE, .type = "number", .def = "5900", .range = KILN_RANGE(5900, 65535), .doc = "lowest VNC port"},
	{.name = "vnc_port_max", .flags = KILN_ATTR_HOST_SIDE, .type = "number", .def = "6000", .range = KILN_RANGE(1, 65535), .doc = "highest VNC port"},
	{.name = "serial_log", .flags = KILN_ATTR_HOST_SIDE, .type = "bool", .def = "true", .doc = "kiln: write the serial console to output_directory/<vm_name>-serial.log"},
	{.name = "libvirt_uri", .flags = KILN_ATTR_HOST_SIDE, .type = "string", .def = "\"qemu:///system\"", .doc = "kiln: the libvirt connection (qemu+ssh://host/system for a remote hypervisor; unset: $KILN_LIBVIRT_URI first)"},
	{.name = "libvirt_pool", .flags = KILN_ATTR_HOST_SIDE, .type = "string", .def = "\"default\"", .doc = "kiln: storage pool for volumes on a remote hypervisor"},
	{.name = "libvirt_reconnect_timeout", .flags = KILN_ATTR_HOST_SIDE, .type = "duration", .def = "\"60s\"",
	 .doc = "kiln: when the connection to libvirt is lost mid-build, how long to wait for it to come back (0s: fail at once)"},
	/* boot */
	{.name = "boot_wait", .type = "duration", .def = "\"10s\"", .doc = "wait after starting the VM before typing boot_command"},
	{.name = "boot_command", .type = "list(string)", .doc = "keys to type (Packer's grammar, plus <waitFor \"regex\">)"},
	{.name = "boot_steps", .type = "list(list(string))", .doc = "[keys, description] pairs typed in order like boot_command, each description shown"},
	{.name = "boot_key_interval", .type = "duration", .def = "\"100ms\"", .doc = "delay between keys (unset: $PACKER_KEY_INTERVAL first)"},
	{.name = "boot_keygroup_interval", .type = "string", .flags = KILN_ATTR_IGNORED | KILN_ATTR_HOST_SIDE, .doc = "accepted; kiln sends each key group at once"},
	/* HTTP seed, CD, floppy */
	{.name = "http_directory", .type = "string", .doc = "directory served to the guest over HTTP"},
	{.name = "http_content", .type = "map(string)", .doc = "path => content served to the guest over HTTP"},
	{.name = "http_port_min", .flags = KILN_ATTR_HOST_SIDE, .type = "number", .def = "8000", .range = KILN_RANGE(1, 65535), .doc = "lowest HTTP port"},
	{.name = "http_port_max", .flags = KILN_ATTR_HOST_SIDE, .type = "number", .def = "9000", .range = KILN_RANGE(1, 65535), .doc = "highest HTTP port"},
	{.name = "http_bind_address", .flags = KILN_ATTR_HOST_SIDE, .type = "string", .def = "\"127.0.0.1\"", .doc = "HTTP listen address (user-mode guests reach it as 10.0.2.2)"},
	{.name = "http_interface", .type = "string", .flags = KILN_ATTR_IGNORED | KILN_ATTR_HOST_SIDE, .doc = "accepted; use http_bind_address"},
	{.name = "cd_files", .type = "list(string)", .doc = "files and directories put on an extra CD"},
	{.name = "cd_content", .type = "map(string)", .doc = "path => content put on an extra CD"},
	{.name = "cd_label", .type = "string", .default_doc = "packer", .doc = "volume label of the extra CD (\"cidata\" for cloud-init)"},
	{.name = "cloud_init", .type = "bool", .def = "false", .doc = "kiln: generate a cloud-init NoCloud seed (user + temporary key)"},
	{.name = "cloud_init_seed", .type = "string", .def = "\"cd\"", .allowed = KILN_VALUES("cd", "net"),
	 .doc = "kiln: how the generated seed reaches the guest"},
	FLOPPY("floppy_files", "list(string)"),
	FLOPPY("floppy_dirs", "list(string)"),
	FLOPPY("floppy_content", "map(string)"),
	FLOPPY("floppy_label", "string"),
	/* communicator */
	SSH_CONFIG_ATTRS,
	/* after shutdown */
	IMG_SANITIZE_ATTR,
	IMG_EXPORT_ATTR,
	/* shutdown and output */
	{.name = "shutdown_command", .flags = KILN_ATTR_HOST_SIDE, .type = "string", .doc = "command that powers the guest off (else ACPI power button)"},
	{.name = "shutdown_timeout", .flags = KILN_ATTR_HOST_SIDE, .type = "duration", .def = "\"5m\"", .doc = "how long to wait for the guest to power off"},
	{.name = "output_directory", .flags = KILN_ATTR_HOST_SIDE, .type = "string", .default_doc = "output-<source name>", .doc = "where the artifact goes; must not exist (see -force)"},
	{.name = "vm_name", .flags = KILN_ATTR_HOST_SIDE, .type = "string", .default_doc = "packer-<source name>", .doc = "file name of the disk image"},
	{.name = NULL},
};

static const char *const conflict_iso[] = {"iso_url", "iso_urls", NULL};
static const char *const conflict_net[] = {"net_bridge", "network", NULL};
static const char *const *const qemu_conflicts[] = {conflict_iso, conflict_net, NULL};

const struct kiln_schema qemu_schema = {qemu_attrs, qemu_conflicts};

/* ------------------------------------------------------------------------------------------------
 * Reading */

/* A string the user set and did not leave empty, or NULL. */
static char *opt_string(const struct kiln_config *c, const char *name)
{
	const char *v = kiln_config_string(c, name);
	return v && *v ? xstrdup(v) : NULL;
}

/* A key with a default: never NULL. */
static char *string(const struct kiln_config *c, const char *name)
{
	const char *v = kiln_config_string(c, name);
	return xstrdup(v ? v : "");
}

static void map_pairs(const struct kiln_config *c, const char *name, struct qemu_kvpair **out, size_t *n)
{
	*n = kiln_config_map_len(c, name);
	*out = *n ? xcalloc(*n, sizeof **out) : NULL;
	for (size_t i = 0; i < *n; i++) {
		const char *v = kiln_config_map_string(c, name, i);
		(*out)[i].key = xstrdup(kiln_config_map_key(c, name, i));
		(*out)[i].value = xstrdup(v ? v : "");
	}
}

/* Collect problems: every one in one run, each located at its key. */
struct checker {
	struct strv msgs;
	const char *first_key;   /* where the first problem is located */
};

static void problem(struct checker *k, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void problem(struct checker *k, const char *key, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *m = xvasprintf(fmt, ap);
	va_end(ap);
	if (!k->first_key && key)
		k->first_key = key;
	strv_push_owned(&k->msgs, m);
}

static void read_boot_steps(const struct kiln_config *cfg, struct qemu_config *c, struct strv *warnings)
{
	size_t n = kiln_config_list_len(cfg, "boot_steps");
	c->boot_steps = n ? xcalloc(n, sizeof *c->boot_steps) : NULL;
	for (size_t i = 0; i < n; i++) {
		struct strv step = STRV_INIT;
		kiln_config_list_strv_at(cfg, "boot_steps", i, &step);
		/* Packer: [keys] or [keys, description]; an empty step is skipped */
		if (step.n > 2 && warnings)
			strv_pushf(warnings, "boot_steps[%zu] has %zu elements; only the first two (keys, description) are used",
				   i, step.n);
		if (step.n > 0) {
			struct qemu_boot_step *st = &c->boot_steps[c->nboot_steps++];
			st->keys = xstrdup(step.v[0]);
			st->description = step.n > 1 && *step.v[1] ? xstrdup(step.v[1]) : NULL;
		}
		strv_free(&step);
	}
}

static void read_config(const struct kiln_config *cfg, struct qemu_config *c, struct strv *warnings)
{
	/* source */
	if (kiln_config_has(cfg, "iso_urls"))
		kiln_config_list_strv(cfg, "iso_urls", &c->iso_urls);
	else if (kiln_config_string(cfg, "iso_url"))
		strv_push(&c->iso_urls, kiln_config_string(cfg, "iso_url"));
	c->iso_checksum = opt_string(cfg, "iso_checksum");
	c->iso_target_path = opt_string(cfg, "iso_target_path");
	c->iso_target_extension = string(cfg, "iso_target_extension");
	c->disk_image = kiln_config_bool(cfg, "disk_image");
	c->use_backing_file = kiln_config_bool(cfg, "use_backing_file");

	/* disks */
	c->disk_size_set = kiln_config_has(cfg, "disk_size");
	c->disk_size = string(cfg, "disk_size");
	c->skip_resize_disk = kiln_config_bool(cfg, "skip_resize_disk");
	kiln_config_list_strv(cfg, "disk_additional_size", &c->disk_additional_size);
	c->disk_interface = string(cfg, "disk_interface");
	c->disk_cache = string(cfg, "disk_cache");
	c->disk_discard = string(cfg, "disk_discard");
	c->disk_detect_zeroes = string(cfg, "disk_detect_zeroes");
	c->format = string(cfg, "format");
	c->disk_compression = kiln_config_bool(cfg, "disk_compression");
	c->skip_compaction = kiln_config_bool(cfg, "skip_compaction");
	const struct kiln_config *ia = kiln_config_block(cfg, "qemu_img_args", 0);
	if (ia) {
		kiln_config_list_strv(ia, "create", &c->qemu_img_create);
		kiln_config_list_strv(ia, "convert", &c->qemu_img_convert);
		kiln_config_list_strv(ia, "resize", &c->qemu_img_resize);
	}
	c->cdrom_interface = opt_string(cfg, "cdrom_interface");

	/* machine */
	c->accelerator = string(cfg, "accelerator");
	c->cpus = (int)kiln_config_int(cfg, "cpus");
	c->sockets = (int)kiln_config_int(cfg, "sockets");
	c->cores = (int)kiln_config_int(cfg, "cores");
	c->threads = (int)kiln_config_int(cfg, "threads");
	c->memory = (int)kiln_config_int(cfg, "memory");
	c->machine_type = string(cfg, "machine_type");
	c->cpu_model = opt_string(cfg, "cpu_model");   /* Packer: an empty cpu_model passes no -cpu */
	c->firmware = opt_string(cfg, "firmware");
	c->use_pflash = kiln_config_bool(cfg, "use_pflash");
	c->efi_drop_efivars = kiln_config_bool(cfg, "efi_drop_efivars");
	c->efi_firmware_code = opt_string(cfg, "efi_firmware_code");
	c->efi_firmware_vars = opt_string(cfg, "efi_firmware_vars");
	c->efi_boot = kiln_config_bool(cfg, "efi_boot");
	c->efi_secure_boot = kiln_config_bool(cfg, "efi_secure_boot");
	c->vtpm = kiln_config_bool(cfg, "vtpm");
	c->use_tpm1 = kiln_config_bool(cfg, "use_tpm1");
	c->tpm_device_type = string(cfg, "tpm_device_type");
	c->qemu_binary = string(cfg, "qemu_binary");
	c->nqemuargs = kiln_config_list_len(cfg, "qemuargs");
	c->qemuargs = c->nqemuargs ? xcalloc(c->nqemuargs, sizeof *c->qemuargs) : NULL;
	for (size_t i = 0; i < c->nqemuargs; i++)
		kiln_config_list_strv_at(cfg, "qemuargs", i, &c->qemuargs[i]);

	/* network and consoles */
	c->net_device = string(cfg, "net_device");
	c->net_bridge = opt_string(cfg, "net_bridge");
	c->network = opt_string(cfg, "network");
	c->host_port_min = (int)kiln_config_int(cfg, "host_port_min");
	c->host_port_max = (int)kiln_config_int(cfg, "host_port_max");
	c->skip_nat_mapping = kiln_config_bool(cfg, "skip_nat_mapping");
	c->disable_vnc = kiln_config_bool(cfg, "disable_vnc");
	c->vga = opt_string(cfg, "vga");   /* Packer: an empty vga passes no -vga */
	c->vnc_bind_address = string(cfg, "vnc_bind_address");
	c->vnc_port_min = (int)kiln_config_int(cfg, "vnc_port_min");
	c->vnc_port_max = (int)kiln_config_int(cfg, "vnc_port_max");
	c->vnc_use_password = kiln_config_bool(cfg, "vnc_use_password");
	if ((kiln_config_bool(cfg, "qmp_enable") || kiln_config_has(cfg, "qmp_socket_path")) && warnings)
		strv_push(warnings, "qmp_enable/qmp_socket_path are ignored: libvirt owns QEMU's monitor");
	c->serial_log = kiln_config_bool(cfg, "serial_log");
	c->libvirt_uri = string(cfg, "libvirt_uri");
	c->libvirt_pool = string(cfg, "libvirt_pool");

	/* boot */
	c->boot_wait_ms = kiln_config_duration_ms(cfg, "boot_wait");
	kiln_config_list_strv(cfg, "boot_command", &c->boot_command);
	read_boot_steps(cfg, c, warnings);
	c->boot_key_interval_ms = kiln_config_duration_ms(cfg, "boot_key_interval");

	/* HTTP, CD */
	c->http_directory = opt_string(cfg, "http_directory");
	map_pairs(cfg, "http_content", &c->http_content, &c->nhttp_content);
	c->http_port_min = (int)kiln_config_int(cfg, "http_port_min");
	c->http_port_max = (int)kiln_config_int(cfg, "http_port_max");
	c->http_bind_address = string(cfg, "http_bind_address");
	kiln_config_list_strv(cfg, "cd_files", &c->cd_files);
	map_pairs(cfg, "cd_content", &c->cd_content, &c->ncd_content);
	c->cd_label = opt_string(cfg, "cd_label");
	c->cloud_init = kiln_config_bool(cfg, "cloud_init");
	c->cloud_init_seed = string(cfg, "cloud_init_seed");

	/* shutdown, output */
	c->ssh_timeout_set = kiln_config_has(cfg, "ssh_timeout") || kiln_config_has(cfg, "ssh_wait_timeout");
	c->shutdown_command = opt_string(cfg, "shutdown_command");
	c->shutdown_timeout_set = kiln_config_has(cfg, "shutdown_timeout");
	c->shutdown_timeout_ms = kiln_config_duration_ms(cfg, "shutdown_timeout");
	c->libvirt_reconnect_timeout_ms = kiln_config_duration_ms(cfg, "libvirt_reconnect_timeout");
	c->output_directory = kiln_config_has(cfg, "output_directory") ? string(cfg, "output_directory") : NULL;
	c->vm_name = kiln_config_has(cfg, "vm_name") ? string(cfg, "vm_name") : NULL;
}

/* ------------------------------------------------------------------------------------------------
 * Derived defaults */

/* Name a build for defaults: "qemu.debian" -> "debian" (Packer's PackerBuildName is the source name). */
static const char *short_name(const char *build_name)
{
	const char *dot = build_name ? strchr(build_name, '.') : NULL;
	return dot ? dot + 1 : build_name;
}

static void replace(char **field, char *value)
{
	free(*field);
	*field = value;
}

void qemu_config_derive_defaults(struct qemu_config *c, const char *source_name)
{
	const struct kiln_config *cfg = c->raw;
	/* Packer: disk_size "0" is the default; bare numbers are MiB */
	if (strcmp(c->disk_size, "0") == 0)
		replace(&c->disk_size, xstrdup(kiln_config_default_string(cfg, "disk_size")));
	if (*c->disk_size && strspn(c->disk_size, "0123456789") == strlen(c->disk_size))
		replace(&c->disk_size, xasprintf("%sM", c->disk_size));
	struct kiln_error e = ERR_INIT;
	if (qemu_parse_size(c->disk_size, 'M', &c->disk_size_bytes, &e) < 0)
		c->disk_size_bytes = 0;   /* check_config reports it */
	err_clear(&e);
	/* only qcow2 compacts and compresses; an overlay is never compacted */
	if (strcmp(c->format, "qcow2") != 0) {
		c->skip_compaction = true;
		c->disk_compression = false;
	}
	if (c->use_backing_file)
		c->skip_compaction = true;
	/* Packer: "MemorySize %d is too small, using default" */
	if (c->memory < 10)
		c->memory = (int)strtol(kiln_config_default_string(cfg, "memory"), NULL, 10);
	if (c->efi_firmware_code || c->efi_firmware_vars || c->efi_secure_boot)
		c->efi_boot = true;
	/* the old names of the host port range, when the new ones are unset */
	if (!kiln_config_has(cfg, "host_port_min") && kiln_config_has(cfg, "ssh_host_port_min"))
		c->host_port_min = (int)kiln_config_int(cfg, "ssh_host_port_min");
	if (!kiln_config_has(cfg, "host_port_max") && kiln_config_has(cfg, "ssh_host_port_max"))
		c->host_port_max = (int)kiln_config_int(cfg, "ssh_host_port_max");
	/* the environment, when the template does not say */
	const char *env = getenv("KILN_LIBVIRT_URI");
	if (!kiln_config_has(cfg, "libvirt_uri") && env && *env)
		replace(&c->libvirt_uri, xstrdup(env));
	env = getenv("PACKER_KEY_INTERVAL");
	if (!kiln_config_has(cfg, "boot_key_interval") && env && *env) {
		if (kiln_duration_parse(env, &c->boot_key_interval_ms) < 0)
			c->key_interval_env_bad = true;
	}
	/* the build's names, once it is known */
	if (source_name && !c->output_directory)
		c->output_directory = xasprintf("output-%s", source_name);
	if (source_name && !c->vm_name)
		c->vm_name = xasprintf("packer-%s", source_name);
}

/* ------------------------------------------------------------------------------------------------
 * Checks of several keys, and of values the schema cannot describe */

static void check_config(const struct kiln_config *cfg, const struct qemu_config *c, struct checker *k,
			 struct strv *warnings)
{
	if (c->iso_urls.n == 0 && kiln_config_is_known(cfg, "iso_url") && kiln_config_is_known(cfg, "iso_urls"))
		problem(k, NULL, "one of iso_url or iso_urls must be set");
	if (!c->iso_checksum) {
		if (kiln_config_is_known(cfg, "iso_checksum"))
			problem(k, NULL, "iso_checksum is required (a digest such as \"sha256:...\", \"file:<SUMS URL>\", or \"none\")");
	} else {
		struct qemu_checksum cs;
		struct kiln_error e = ERR_INIT;
		if (qemu_checksum_parse(c->iso_checksum, &cs, &e) < 0)
			problem(k, "iso_checksum", "%s", err_cause(&e));
		else if (qemu_checksum_is_none(&cs) && warnings)
			strv_push(warnings, "A checksum of 'none' was specified. Since ISO files are so big, a checksum is highly recommended.");
		qemu_checksum_free(&cs);
		err_clear(&e);
	}
	struct kiln_error e = ERR_INIT;
	uint64_t bytes;
	if (qemu_parse_size(c->disk_size, 'M', &bytes, &e) < 0)
		problem(k, "disk_size", "disk_size: %s", err_cause(&e));
	err_clear(&e);
	for (size_t i = 0; i < c->disk_additional_size.n; i++) {
		if (qemu_parse_size(c->disk_additional_size.v[i], 'B', &bytes, &e) < 0)
			problem(k, "disk_additional_size", "disk_additional_size[%zu]: %s", i, err_cause(&e));
		err_clear(&e);
	}
	if (c->use_backing_file && (!c->disk_image || strcmp(c->format, "qcow2") != 0))
		problem(k, "use_backing_file", "use_backing_file can only be enabled for QCOW2 images and when disk_image is true");
	if (c->skip_resize_disk && !c->disk_image)
		problem(k, "skip_resize_disk", "skip_resize_disk can only be used when disk_image is true");

	static const char *const packer_only[] = {"xen", "hax", "hvf", "whpx", NULL};
	for (size_t i = 0; packer_only[i]; i++)
		if (strcmp(c->accelerator, packer_only[i]) == 0)
			problem(k, "accelerator", "accelerator \"%s\" is not available through libvirt's QEMU driver: use kvm or tcg",
				c->accelerator);
	if (c->cpu_model) {
		char *store = NULL;
		const char *model = NULL;
		struct qemu_cpu_feature *features = NULL;
		size_t n = 0;
		/* "host" under TCG is decided (and warned about) when the domain is built: only then is the
		 * accelerator known */
		if (qemu_cpu_model_parse(c->cpu_model, &store, &model, &features, &n, &e) < 0)
			problem(k, "cpu_model", "%s", err_cause(&e));
		err_clear(&e);
		free(store);
		free(features);
	}
	if (c->efi_secure_boot && !qemu_machine_is_q35(c->machine_type))
		problem(k, "efi_secure_boot", "Secure Boot needs a q35 machine: set machine_type = \"q35\"");
	if (c->efi_boot && c->firmware)
		problem(k, "firmware", "firmware and efi_boot/efi_firmware_code cannot be used together: use the efi_ keys for UEFI");
	if (c->efi_firmware_code && !c->efi_firmware_vars)
		problem(k, "efi_firmware_vars", "efi_firmware_code needs efi_firmware_vars too (the VARS template that matches it)");
	if (strcmp(c->disk_interface, "ide") == 0 && qemu_machine_is_q35(c->machine_type))
		problem(k, "disk_interface", "a q35 machine has no IDE bus: use sata, virtio or virtio-scsi");

	if (c->host_port_min > c->host_port_max)
		problem(k, "host_port_min", "host_port_min must not be above host_port_max");
	if (c->vnc_port_min > c->vnc_port_max)
		problem(k, "vnc_port_min", "vnc_port_min must be less than vnc_port_max");
	if (c->key_interval_env_bad)
		problem(k, "boot_key_interval", "PACKER_KEY_INTERVAL (\"%s\") is not a duration: use a number with a unit, like "
						"\"100ms\"",
			getenv("PACKER_KEY_INTERVAL"));
	if (c->boot_command.n && c->nboot_steps)
		problem(k, "boot_steps", "boot_command and boot_steps cannot be used together");
	if (c->http_port_min > c->http_port_max)
		problem(k, "http_port_min", "http_port_min must not be above http_port_max");
	if (c->http_directory && c->nhttp_content)
		problem(k, "http_content", "http_directory and http_content cannot be used together");
	if (c->vm_name && (strchr(c->vm_name, '/') || !*c->vm_name))
		problem(k, "vm_name", "vm_name must be a file name, without '/'");
}

int qemu_config_decode(const struct kiln_config *cfg, const char *build_name, struct qemu_config *c,
		       struct strv *warnings, struct kiln_error *err)
{
	memset(c, 0, sizeof *c);
	c->raw = cfg;
	read_config(cfg, c, warnings);
	qemu_config_derive_defaults(c, short_name(build_name));
	struct checker k = {STRV_INIT, NULL};
	check_config(cfg, c, &k, warnings);
	/* the communicator's keys, with Packer's rules (src/comm/): reported with the others */
	struct kiln_error ssh_err = ERR_INIT;
	if (ssh_config_decode(cfg, &c->ssh, &ssh_err) < 0 && k.msgs.n == 0) {
		err_move(err, &ssh_err);
		qemu_config_free(c);
		return -1;
	}
	if (err_isset(&ssh_err))
		problem(&k, NULL, "%s", err_cause(&ssh_err));
	err_clear(&ssh_err);
	if (k.msgs.n == 0)
		return 0;
	char *all = strv_join(&k.msgs, "\n");
	if (k.first_key)
		kiln_config_error(cfg, k.first_key, err, "%s", all);
	else
		err_set(err, "%s", all);
	err->kind = ERR_INVALID;
	free(all);
	strv_free(&k.msgs);
	qemu_config_free(c);
	return -1;
}

static void free_pairs(struct qemu_kvpair *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].key);
		free(p[i].value);
	}
	free(p);
}

void qemu_config_free(struct qemu_config *c)
{
	if (!c)
		return;
	strv_free(&c->iso_urls);
	free(c->iso_checksum);
	free(c->iso_target_path);
	free(c->iso_target_extension);
	free(c->disk_size);
	strv_free(&c->disk_additional_size);
	free(c->disk_interface);
	free(c->disk_cache);
	free(c->disk_discard);
	free(c->disk_detect_zeroes);
	free(c->format);
	strv_free(&c->qemu_img_create);
	strv_free(&c->qemu_img_convert);
	strv_free(&c->qemu_img_resize);
	free(c->cdrom_interface);
	free(c->accelerator);
	free(c->machine_type);
	free(c->cpu_model);
	free(c->firmware);
	free(c->efi_firmware_code);
	free(c->efi_firmware_vars);
	free(c->tpm_device_type);
	free(c->qemu_binary);
	for (size_t i = 0; i < c->nqemuargs; i++)
		strv_free(&c->qemuargs[i]);
	free(c->qemuargs);
	free(c->net_device);
	free(c->net_bridge);
	free(c->network);
	free(c->vnc_bind_address);
	free(c->vga);
	free(c->libvirt_uri);
	free(c->libvirt_pool);
	strv_free(&c->boot_command);
	for (size_t i = 0; i < c->nboot_steps; i++) {
		free(c->boot_steps[i].keys);
		free(c->boot_steps[i].description);
	}
	free(c->boot_steps);
	free(c->http_directory);
	free_pairs(c->http_content, c->nhttp_content);
	free(c->http_bind_address);
	strv_free(&c->cd_files);
	free_pairs(c->cd_content, c->ncd_content);
	free(c->cd_label);
	free(c->cloud_init_seed);
	ssh_config_free(&c->ssh);
	free(c->shutdown_command);
	free(c->output_directory);
	free(c->vm_name);
	memset(c, 0, sizeof *c);
}
