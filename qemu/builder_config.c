/* builder_config.c — the qemu builder's schema and the decoding of a source block into struct qemu_config,
 * with Packer's defaults and checks (builder/qemu/config.go) and kiln's additions. */
#include "qemu/builder_config.h"
#include "qemu/checksum.h"
#include "qemu/domain_xml.h"
#include "qemu/vm_config.h"
#include "comm/ssh.h"
#include "image/image.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/timeutil.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define A(n, t, d, doc_) {.name = n, .type = t, .default_doc = d, .doc = doc_}
#define SENS(n, t, d, doc_) {.name = n, .type = t, .flags = KILN_ATTR_SENSITIVE, .default_doc = d, .doc = doc_}
#define IGN(n, t, d, doc_) {.name = n, .type = t, .flags = KILN_ATTR_IGNORED, .default_doc = d, .doc = doc_}
#define DEPR(n, t, d, doc_) {.name = n, .type = t, .flags = KILN_ATTR_DEPRECATED, .default_doc = d, .doc = doc_}

static const struct kiln_attr qemu_img_args_attrs[] = {
	A("convert", "list(string)", NULL, "extra arguments for qemu-img convert"),
	A("create", "list(string)", NULL, "extra arguments for qemu-img create"),
	A("resize", "list(string)", NULL, "extra arguments for qemu-img resize"),
	{.name = NULL},
};
static const struct kiln_schema qemu_img_args_schema = {qemu_img_args_attrs, NULL};

static const struct kiln_attr qemu_attrs[] = {
	/* ISO / source image */
	A("iso_url", "string", NULL, "URL or path of the installer ISO or, with disk_image, the base disk image"),
	A("iso_urls", "list(string)", NULL, "URLs tried in order (mirrors)"),
	A("iso_checksum", "string", NULL, "\"none\", a digest (\"sha256:...\", bare hex) or \"file:\" + SUMS URL"),
	A("iso_target_path", "string", NULL, "where to store the download instead of the cache"),
	A("iso_target_extension", "string", "\"iso\"", "extension of the downloaded file"),
	IGN("iso_skip_cache", "bool", "false", "accepted for compatibility; kiln always verifies and caches"),
	A("disk_image", "bool", "false", "iso_url is a bootable disk image, not an installer ISO"),
	A("use_backing_file", "bool", "false", "qcow2 overlay on the base image instead of a copy"),
	/* disks */
	A("disk_size", "string", "\"40960M\"", "size of the main disk (k, M, G, T suffixes; bare numbers are MiB)"),
	A("skip_resize_disk", "bool", "false", "do not resize a disk_image to disk_size"),
	A("disk_additional_size", "list(string)", NULL, "sizes of additional empty disks"),
	A("disk_interface", "string", "\"virtio\"", "virtio, virtio-scsi, scsi, sata or ide"),
	A("disk_cache", "string", "\"writeback\"", "writethrough, writeback, none, unsafe or directsync"),
	A("disk_discard", "string", "\"ignore\"", "unmap or ignore"),
	A("disk_detect_zeroes", "string", "\"off\"", "unmap, on or off"),
	A("format", "string", "\"qcow2\"", "output disk format: qcow2 or raw"),
	A("disk_compression", "bool", "false", "compress the qcow2 output"),
	A("skip_compaction", "bool", "false", "do not compact the disk with qemu-img convert"),
	{.name = "qemu_img_args", .flags = KILN_ATTR_BLOCK, .doc = "extra qemu-img arguments per subcommand", .block = &qemu_img_args_schema},
	A("cdrom_interface", "string", "machine's default", "ide, sata, scsi, virtio-scsi (virtio means the default)"),
	/* machine */
	A("accelerator", "string", "\"auto\"", "kvm, tcg, none; unset: KVM when /dev/kvm opens, else TCG"),
	A("cpus", "number", "1", "number of vCPUs"),
	A("sockets", "number", NULL, "CPU sockets"),
	A("cores", "number", NULL, "cores per socket"),
	A("threads", "number", NULL, "threads per core"),
	A("memory", "number", "512", "memory in MiB"),
	A("cpu_model", "string", NULL, "QEMU -cpu model (\"host\", \"max\", \"Skylake-Client,+pcid\", ...); unset: host-passthrough on KVM, QEMU's default on TCG"),
	A("machine_type", "string", "\"pc\"", "QEMU machine type (pc, q35, ...)"),
	A("firmware", "string", NULL, "firmware file loaded like QEMU's -bios"),
	A("use_pflash", "bool", "false", "load `firmware` as pflash (use the efi_ keys instead)"),
	A("efi_boot", "bool", "false", "boot with UEFI (libvirt selects the firmware)"),
	A("efi_firmware_code", "string", NULL, "UEFI CODE file (implies efi_boot)"),
	A("efi_firmware_vars", "string", NULL, "UEFI VARS template (implies efi_boot)"),
	A("efi_secure_boot", "bool", "false", "kiln: UEFI with Secure Boot (needs machine_type q35)"),
	A("efi_drop_efivars", "bool", "false", "do not keep the EFI variable store in the artifact"),
	A("vtpm", "bool", "false", "give the guest an emulated TPM (swtpm)"),
	A("use_tpm1", "bool", "false", "TPM 1.2 instead of 2.0"),
	A("tpm_device_type", "string", "\"tpm-tis\"", "TPM device model"),
	A("qemu_binary", "string", "\"qemu-system-x86_64\"", "QEMU emulator (a name or a path)"),
	A("qemuargs", "list(list(string))", NULL, "extra QEMU arguments, one switch per list"),
	A("qmp_enable", "bool", "false", "accepted; libvirt owns QEMU's monitor"),
	A("qmp_socket_path", "string", NULL, "accepted; libvirt owns QEMU's monitor"),
	IGN("run_once", "bool", "false", "accepted for compatibility; ignored"),
	/* network and consoles */
	A("net_device", "string", "\"virtio-net\"", "network device model"),
	A("net_bridge", "string", NULL, "attach to this bridge instead of user-mode networking"),
	A("network", "string", NULL, "kiln: attach to this libvirt network instead of user-mode networking"),
	A("host_port_min", "number", "2222", "lowest host port forwarded to the guest's SSH port"),
	A("host_port_max", "number", "4444", "highest host port forwarded to the guest's SSH port"),
	DEPR("ssh_host_port_min", "number", NULL, "old name of host_port_min"),
	DEPR("ssh_host_port_max", "number", NULL, "old name of host_port_max"),
	A("skip_nat_mapping", "bool", "false", "connect to the guest's own address and port, no forward"),
	A("headless", "bool", "false", "accepted; kiln never opens a window (connect a VNC viewer)"),
	IGN("use_default_display", "bool", "false", "accepted; kiln never opens a window"),
	IGN("display", "string", NULL, "accepted; kiln never opens a window"),
	A("vga", "string", NULL, "video card: none, std, cirrus, vmware, qxl or virtio; unset: libvirt's default"),
	A("disable_vnc", "bool", "false", "no VNC display at all"),
	A("vnc_bind_address", "string", "\"127.0.0.1\"", "VNC listen address"),
	A("vnc_use_password", "bool", "false", "a random password for the VNC display (always when vnc_bind_address is not a loopback address)"),
	A("vnc_port_min", "number", "5900", "lowest VNC port"),
	A("vnc_port_max", "number", "6000", "highest VNC port"),
	A("serial_log", "bool", "true", "kiln: write the serial console to output_directory/<vm_name>-serial.log"),
	A("libvirt_uri", "string", "\"qemu:///system\"", "kiln: the libvirt connection (qemu+ssh://host/system for a remote hypervisor)"),
	A("libvirt_pool", "string", "\"default\"", "kiln: storage pool for volumes on a remote hypervisor"),
	A("libvirt_reconnect_timeout", "string", "\"60s\"", "kiln: when the connection to libvirt is lost mid-build, how long to wait for it to come back (0s: fail at once)"),
	/* boot */
	A("boot_wait", "string", "\"10s\"", "wait after starting the VM before typing boot_command"),
	A("boot_command", "list(string)", NULL, "keys to type (Packer's grammar, plus <waitFor \"regex\">)"),
	A("boot_steps", "list(list(string))", NULL, "[keys, description] pairs typed in order like boot_command, each description shown"),
	A("boot_key_interval", "string", "\"100ms\"", "delay between keys (PACKER_KEY_INTERVAL also sets it)"),
	IGN("boot_keygroup_interval", "string", NULL, "accepted; kiln sends each key group at once"),
	/* HTTP seed, CD, floppy */
	A("http_directory", "string", NULL, "directory served to the guest over HTTP"),
	A("http_content", "map(string)", NULL, "path => content served to the guest over HTTP"),
	A("http_port_min", "number", "8000", "lowest HTTP port"),
	A("http_port_max", "number", "9000", "highest HTTP port"),
	A("http_bind_address", "string", "\"127.0.0.1\"", "HTTP listen address (user-mode guests reach it as 10.0.2.2)"),
	IGN("http_interface", "string", NULL, "accepted; use http_bind_address"),
	A("cd_files", "list(string)", NULL, "files and directories put on an extra CD"),
	A("cd_content", "map(string)", NULL, "path => content put on an extra CD"),
	A("cd_label", "string", NULL, "volume label of the extra CD (\"cidata\" for cloud-init)"),
	A("cloud_init", "bool", "false", "kiln: generate a cloud-init NoCloud seed (user + temporary key)"),
	A("cloud_init_seed", "string", "\"cd\"", "kiln: how the generated seed reaches the guest: cd or net"),
	A("floppy_files", "list(string)", NULL, "not supported"),
	A("floppy_dirs", "list(string)", NULL, "not supported"),
	A("floppy_content", "map(string)", NULL, "not supported"),
	A("floppy_label", "string", NULL, "not supported"),
	/* communicator */
	SSH_CONFIG_ATTRS,
	/* after shutdown */
	IMG_SANITIZE_ATTR,
	IMG_EXPORT_ATTR,
	/* shutdown and output */
	A("shutdown_command", "string", NULL, "command that powers the guest off (else ACPI power button)"),
	A("shutdown_timeout", "string", "\"5m\"", "how long to wait for the guest to power off"),
	A("output_directory", "string", "\"output-<source name>\"", "where the artifact goes; must not exist (see -force)"),
	A("vm_name", "string", "\"packer-<source name>\"", "file name of the disk image"),
	{.name = NULL},
};

static const char *const conflict_iso[] = {"iso_url", "iso_urls", NULL};
static const char *const conflict_net[] = {"net_bridge", "network", NULL};
static const char *const *const qemu_conflicts[] = {conflict_iso, conflict_net, NULL};

const struct kiln_schema qemu_schema = {qemu_attrs, qemu_conflicts};

/* ------------------------------------------------------------------------------------------------ */

/* ------------------------------------------------------------------------------------------------ */

static char *str_or(const struct kiln_config *c, const char *name, const char *def)
{
	const char *v = kiln_config_string_or(c, name, def);
	return v ? xstrdup(v) : NULL;
}

static bool one_of(const char *v, const char *const *allowed)
{
	for (; *allowed; allowed++)
		if (strcmp(v, *allowed) == 0)
			return true;
	return false;
}

/* Collect errors: every problem in one run, each located at its key. */
struct checker {
	const struct kiln_config *cfg;
	struct kiln_error *err;
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

static void check_enum(struct checker *k, const char *key, const char *v, const char *const *allowed)
{
	if (!v || one_of(v, allowed))
		return;
	char *list = NULL;
	struct buf b = BUF_INIT;
	for (const char *const *a = allowed; *a; a++)
		buf_printf(&b, "%s%s", a == allowed ? "" : ", ", *a);
	list = buf_detach(&b);
	problem(k, key, "%s = \"%s\" is not one of: %s", key, v, list);
	free(list);
}

static int64_t duration_key(struct checker *k, const char *key, const char *def, bool *set)
{
	int64_t ms = 0;
	struct kiln_error e = ERR_INIT;
	if (set)
		*set = kiln_config_has(k->cfg, key);
	if (kiln_config_duration_or(k->cfg, key, def, &ms, &e) < 0) {
		problem(k, key, "%s: %s", key, err_cause(&e));
		err_clear(&e);
	}
	return ms;
}

static int int_key(struct checker *k, const char *key, int64_t def, int64_t min, int64_t max)
{
	int64_t v = kiln_config_int_or(k->cfg, key, def);
	if (v < min || v > max) {
		problem(k, key, "%s = %" PRId64 " is out of range (%" PRId64 "..%" PRId64 ")", key, v, min, max);
		return (int)def;
	}
	return (int)v;
}

static void map_pairs(const struct kiln_config *c, const char *name, struct qemu_kvpair **out, size_t *n)
{
	*n = kiln_config_map_len(c, name);
	*out = *n ? xcalloc(*n, sizeof **out) : NULL;
	for (size_t i = 0; i < *n; i++) {
		(*out)[i].key = xstrdup(kiln_config_map_key(c, name, i));
		(*out)[i].value = xstrdup(kiln_config_map_string(c, name, i));
	}
}

/* Name a build for defaults: "qemu.debian" -> "debian" (Packer's PackerBuildName is the source name). */
static const char *short_name(const char *build_name)
{
	const char *dot = build_name ? strchr(build_name, '.') : NULL;
	return dot ? dot + 1 : build_name ? build_name : "qemu";
}

int qemu_config_decode(const struct kiln_config *cfg, const char *build_name, struct qemu_config *c,
		       struct strv *warnings, struct kiln_error *err)
{
	memset(c, 0, sizeof *c);
	c->raw = cfg;
	struct checker k = {cfg, err, STRV_INIT, NULL};
	static const char *const ifaces[] = {"virtio", "virtio-scsi", "scsi", "sata", "ide", NULL};
	static const char *const caches[] = {"writethrough", "writeback", "none", "unsafe", "directsync", NULL};
	static const char *const discards[] = {"unmap", "ignore", NULL};
	static const char *const zeroes[] = {"unmap", "on", "off", NULL};
	static const char *const formats[] = {"qcow2", "raw", NULL};
	static const char *const accels[] = {"auto", "kvm", "tcg", "none", "xen", "hax", "hvf", "whpx", NULL};
	static const char *const comms[] = {"ssh", "none", "winrm", NULL};
	static const char *const cdifaces[] = {"ide", "sata", "scsi", "virtio-scsi", "virtio", NULL};
	static const char *const seeds[] = {"cd", "net", NULL};
	static const char *const vgas[] = {"none", "std", "cirrus", "vmware", "qxl", "virtio", NULL};

	/* source */
	if (kiln_config_has(cfg, "iso_urls"))
		kiln_config_list_strv(cfg, "iso_urls", &c->iso_urls);
	else if (kiln_config_string_or(cfg, "iso_url", NULL))
		strv_push(&c->iso_urls, kiln_config_string_or(cfg, "iso_url", NULL));
	if (c->iso_urls.n == 0 && kiln_config_is_known(cfg, "iso_url") && kiln_config_is_known(cfg, "iso_urls"))
		problem(&k, NULL, "one of iso_url or iso_urls must be set");
	c->iso_checksum = str_or(cfg, "iso_checksum", NULL);
	if (!c->iso_checksum) {
		if (kiln_config_is_known(cfg, "iso_checksum"))
			problem(&k, NULL, "iso_checksum is required (a digest such as \"sha256:...\", \"file:<SUMS URL>\", or \"none\")");
	} else {
		struct qemu_checksum cs;
		struct kiln_error e = ERR_INIT;
		if (qemu_checksum_parse(c->iso_checksum, &cs, &e) < 0)
			problem(&k, "iso_checksum", "%s", err_cause(&e));
		else if (qemu_checksum_is_none(&cs) && warnings)
			strv_push(warnings, "A checksum of 'none' was specified. Since ISO files are so big, a checksum is highly recommended.");
		qemu_checksum_free(&cs);
		err_clear(&e);
	}
	c->iso_target_path = str_or(cfg, "iso_target_path", NULL);
	c->iso_target_extension = str_or(cfg, "iso_target_extension", "iso");
	c->disk_image = kiln_config_bool_or(cfg, "disk_image", false);
	c->use_backing_file = kiln_config_bool_or(cfg, "use_backing_file", false);

	/* disks */
	c->disk_size_set = kiln_config_has(cfg, "disk_size");
	const char *ds = kiln_config_string_or(cfg, "disk_size", NULL);
	if (!ds || strcmp(ds, "0") == 0 || !*ds)
		ds = "40960M";
	{
		struct kiln_error e = ERR_INIT;
		if (qemu_parse_size(ds, 'M', &c->disk_size_bytes, &e) < 0) {
			problem(&k, "disk_size", "disk_size: %s", err_cause(&e));
			err_clear(&e);
		}
		bool digits_only = strspn(ds, "0123456789") == strlen(ds);
		c->disk_size = digits_only ? xasprintf("%sM", ds) : xstrdup(ds);
	}
	c->skip_resize_disk = kiln_config_bool_or(cfg, "skip_resize_disk", false);
	kiln_config_list_strv(cfg, "disk_additional_size", &c->disk_additional_size);
	for (size_t i = 0; i < c->disk_additional_size.n; i++) {
		uint64_t b;
		struct kiln_error e = ERR_INIT;
		if (qemu_parse_size(c->disk_additional_size.v[i], 'B', &b, &e) < 0)
			problem(&k, "disk_additional_size", "disk_additional_size[%zu]: %s", i, err_cause(&e));
		err_clear(&e);
	}
	c->disk_interface = str_or(cfg, "disk_interface", "virtio");
	check_enum(&k, "disk_interface", c->disk_interface, ifaces);
	c->disk_cache = str_or(cfg, "disk_cache", "writeback");
	check_enum(&k, "disk_cache", c->disk_cache, caches);
	c->disk_discard = str_or(cfg, "disk_discard", "ignore");
	check_enum(&k, "disk_discard", c->disk_discard, discards);
	c->disk_detect_zeroes = str_or(cfg, "disk_detect_zeroes", "off");
	check_enum(&k, "disk_detect_zeroes", c->disk_detect_zeroes, zeroes);
	c->format = str_or(cfg, "format", "qcow2");
	check_enum(&k, "format", c->format, formats);
	c->disk_compression = kiln_config_bool_or(cfg, "disk_compression", false);
	c->skip_compaction = kiln_config_bool_or(cfg, "skip_compaction", false);
	if (c->format && strcmp(c->format, "qcow2") != 0) {
		c->skip_compaction = true;
		c->disk_compression = false;
	}
	if (c->use_backing_file) {
		c->skip_compaction = true;
		if (!c->disk_image || strcmp(c->format ? c->format : "", "qcow2") != 0)
			problem(&k, "use_backing_file", "use_backing_file can only be enabled for QCOW2 images and when disk_image is true");
	}
	if (c->skip_resize_disk && !c->disk_image)
		problem(&k, "skip_resize_disk", "skip_resize_disk can only be used when disk_image is true");
	const struct kiln_config *ia = kiln_config_block_count(cfg, "qemu_img_args") ? kiln_config_block(cfg, "qemu_img_args", 0) : NULL;
	if (ia) {
		kiln_config_list_strv(ia, "create", &c->qemu_img_create);
		kiln_config_list_strv(ia, "convert", &c->qemu_img_convert);
		kiln_config_list_strv(ia, "resize", &c->qemu_img_resize);
	}
	c->cdrom_interface = str_or(cfg, "cdrom_interface", NULL);
	check_enum(&k, "cdrom_interface", c->cdrom_interface, cdifaces);

	/* machine */
	c->accelerator = str_or(cfg, "accelerator", "auto");
	if (c->accelerator && !*c->accelerator) {
		free(c->accelerator);
		c->accelerator = xstrdup("auto");
	}
	check_enum(&k, "accelerator", c->accelerator, accels);
	if (c->accelerator && one_of(c->accelerator, (const char *const[]){"xen", "hax", "hvf", "whpx", NULL}))
		problem(&k, "accelerator", "accelerator \"%s\" is not available through libvirt's QEMU driver: use kvm or tcg", c->accelerator);
	c->cpus = int_key(&k, "cpus", 0, 0, 4096);
	c->sockets = int_key(&k, "sockets", 0, 0, 4096);
	c->cores = int_key(&k, "cores", 0, 0, 4096);
	c->threads = int_key(&k, "threads", 0, 0, 4096);
	c->memory = int_key(&k, "memory", 512, 0, 16 * 1024 * 1024);
	if (c->memory < 10)
		c->memory = 512;   /* Packer: "MemorySize %d is too small, using default: 512" */
	c->machine_type = str_or(cfg, "machine_type", "pc");
	c->cpu_model = str_or(cfg, "cpu_model", NULL);
	if (c->cpu_model && !*c->cpu_model) {
		free(c->cpu_model);   /* Packer: an empty cpu_model passes no -cpu */
		c->cpu_model = NULL;
	}
	if (c->cpu_model) {
		char *store = NULL;
		const char *model = NULL;
		struct qemu_cpu_feature *features = NULL;
		size_t n = 0;
		struct kiln_error e = ERR_INIT;
		/* "host" under TCG is decided (and warned about) when the domain is built: only then is the
		 * accelerator known */
		if (qemu_cpu_model_parse(c->cpu_model, &store, &model, &features, &n, &e) < 0)
			problem(&k, "cpu_model", "%s", err_cause(&e));
		err_clear(&e);
		free(store);
		free(features);
	}
	c->firmware = str_or(cfg, "firmware", NULL);
	c->use_pflash = kiln_config_bool_or(cfg, "use_pflash", false);
	c->efi_drop_efivars = kiln_config_bool_or(cfg, "efi_drop_efivars", false);
	c->efi_firmware_code = str_or(cfg, "efi_firmware_code", NULL);
	c->efi_firmware_vars = str_or(cfg, "efi_firmware_vars", NULL);
	c->efi_boot = kiln_config_bool_or(cfg, "efi_boot", false) || c->efi_firmware_code || c->efi_firmware_vars;
	c->efi_secure_boot = kiln_config_bool_or(cfg, "efi_secure_boot", false);
	if (c->efi_secure_boot) {
		c->efi_boot = true;
		if (!qemu_machine_is_q35(c->machine_type))
			problem(&k, "efi_secure_boot", "Secure Boot needs a q35 machine: set machine_type = \"q35\"");
	}
	if (c->efi_boot && c->firmware)
		problem(&k, "firmware", "firmware and efi_boot/efi_firmware_code cannot be used together: use the efi_ keys for UEFI");
	if (c->efi_firmware_code && !c->efi_firmware_vars)
		problem(&k, "efi_firmware_vars", "efi_firmware_code needs efi_firmware_vars too (the VARS template that matches it)");
	c->vtpm = kiln_config_bool_or(cfg, "vtpm", false);
	c->use_tpm1 = kiln_config_bool_or(cfg, "use_tpm1", false);
	c->tpm_device_type = str_or(cfg, "tpm_device_type", "tpm-tis");
	c->qemu_binary = str_or(cfg, "qemu_binary", "qemu-system-x86_64");
	c->nqemuargs = kiln_config_list_len(cfg, "qemuargs");
	c->qemuargs = c->nqemuargs ? xcalloc(c->nqemuargs, sizeof *c->qemuargs) : NULL;
	for (size_t i = 0; i < c->nqemuargs; i++)
		kiln_config_list_strv_at(cfg, "qemuargs", i, &c->qemuargs[i]);
	if (c->disk_interface && strcmp(c->disk_interface, "ide") == 0 && qemu_machine_is_q35(c->machine_type))
		problem(&k, "disk_interface", "a q35 machine has no IDE bus: use sata, virtio or virtio-scsi");

	/* network and consoles */
	c->net_device = str_or(cfg, "net_device", "virtio-net");
	c->net_bridge = str_or(cfg, "net_bridge", NULL);
	c->network = str_or(cfg, "network", NULL);
	int hmin = (int)kiln_config_int_or(cfg, "ssh_host_port_min", 2222);
	int hmax = (int)kiln_config_int_or(cfg, "ssh_host_port_max", 4444);
	c->host_port_min = int_key(&k, "host_port_min", hmin, 1, 65535);
	c->host_port_max = int_key(&k, "host_port_max", hmax, 1, 65535);
	if (c->host_port_min > c->host_port_max)
		problem(&k, "host_port_min", "host_port_min must not be above host_port_max");
	c->skip_nat_mapping = kiln_config_bool_or(cfg, "skip_nat_mapping", false);
	c->headless = kiln_config_bool_or(cfg, "headless", false);
	c->disable_vnc = kiln_config_bool_or(cfg, "disable_vnc", false);
	c->vga = str_or(cfg, "vga", NULL);
	if (c->vga && !*c->vga) {
		free(c->vga);   /* Packer: an empty vga passes no -vga */
		c->vga = NULL;
	}
	check_enum(&k, "vga", c->vga, vgas);
	c->vnc_bind_address = str_or(cfg, "vnc_bind_address", "127.0.0.1");
	c->vnc_port_min = int_key(&k, "vnc_port_min", 5900, 0, 65535);
	c->vnc_port_max = int_key(&k, "vnc_port_max", 6000, 0, 65535);
	if (c->vnc_port_min < 5900)
		problem(&k, "vnc_port_min", "vnc_port_min cannot be below 5900");
	if (c->vnc_port_min > c->vnc_port_max)
		problem(&k, "vnc_port_min", "vnc_port_min must be less than vnc_port_max");
	c->vnc_use_password = kiln_config_bool_or(cfg, "vnc_use_password", false);
	if ((kiln_config_bool_or(cfg, "qmp_enable", false) || kiln_config_has(cfg, "qmp_socket_path")) && warnings)
		strv_push(warnings, "qmp_enable/qmp_socket_path are ignored: libvirt owns QEMU's monitor");
	c->serial_log = kiln_config_bool_or(cfg, "serial_log", true);
	c->libvirt_uri = str_or(cfg, "libvirt_uri", NULL);
	if (!c->libvirt_uri) {
		const char *env = getenv("KILN_LIBVIRT_URI");
		c->libvirt_uri = xstrdup(env && *env ? env : "qemu:///system");
	}
	c->libvirt_pool = str_or(cfg, "libvirt_pool", "default");

	/* boot */
	c->boot_wait_ms = duration_key(&k, "boot_wait", "10s", NULL);
	kiln_config_list_strv(cfg, "boot_command", &c->boot_command);
	{
		size_t n = kiln_config_list_len(cfg, "boot_steps");
		struct strv *steps = xcalloc(n + 1, sizeof *steps);
		for (size_t i = 0; i < n; i++)
			kiln_config_list_strv_at(cfg, "boot_steps", i, &steps[i]);
		c->boot_steps = n ? xcalloc(n, sizeof *c->boot_steps) : NULL;
		for (size_t i = 0; i < n; i++) {
			/* Packer: [keys] or [keys, description]; an empty step is skipped */
			if (steps[i].n == 0)
				continue;
			if (steps[i].n > 2 && warnings)
				strv_pushf(warnings, "boot_steps[%zu] has %zu elements; only the first two (keys, description) are used",
					   i, steps[i].n);
			struct qemu_boot_step *st = &c->boot_steps[c->nboot_steps++];
			st->keys = xstrdup(steps[i].v[0]);
			st->description = steps[i].n > 1 && *steps[i].v[1] ? xstrdup(steps[i].v[1]) : NULL;
		}
		for (size_t i = 0; i < n; i++)
			strv_free(&steps[i]);
		free(steps);
	}
	if (c->boot_command.n && c->nboot_steps)
		problem(&k, "boot_steps", "boot_command and boot_steps cannot be used together");
	const char *ki = getenv("PACKER_KEY_INTERVAL");
	c->boot_key_interval_ms = duration_key(&k, "boot_key_interval", ki && *ki ? ki : "100ms", NULL);

	/* HTTP, CD, floppy */
	c->http_directory = str_or(cfg, "http_directory", NULL);
	map_pairs(cfg, "http_content", &c->http_content, &c->nhttp_content);
	c->http_port_min = int_key(&k, "http_port_min", 8000, 0, 65535);
	c->http_port_max = int_key(&k, "http_port_max", 9000, 0, 65535);
	if (c->http_port_min > c->http_port_max)
		problem(&k, "http_port_min", "http_port_min must not be above http_port_max");
	if (c->http_directory && c->nhttp_content)
		problem(&k, "http_content", "http_directory and http_content cannot be used together");
	c->http_bind_address = str_or(cfg, "http_bind_address", "127.0.0.1");
	kiln_config_list_strv(cfg, "cd_files", &c->cd_files);
	map_pairs(cfg, "cd_content", &c->cd_content, &c->ncd_content);
	c->cd_label = str_or(cfg, "cd_label", NULL);
	c->cloud_init = kiln_config_bool_or(cfg, "cloud_init", false);
	c->cloud_init_seed = str_or(cfg, "cloud_init_seed", "cd");
	check_enum(&k, "cloud_init_seed", c->cloud_init_seed, seeds);
	static const char *const floppies[] = {"floppy_files", "floppy_dirs", "floppy_content", "floppy_label", NULL};
	for (const char *const *f = floppies; *f; f++)
		if (kiln_config_has(cfg, *f))
			problem(&k, *f, "%s: floppy disks are not supported by kiln; use cd_files or cd_content", *f);

	/* communicator */
	c->communicator = str_or(cfg, "communicator", "ssh");
	check_enum(&k, "communicator", c->communicator, comms);
	if (c->communicator && strcmp(c->communicator, "winrm") == 0)
		problem(&k, "communicator", "communicator \"winrm\" is not supported by kiln: use ssh");
	c->ssh_host = str_or(cfg, "ssh_host", NULL);
	c->ssh_port = int_key(&k, "ssh_port", 22, 1, 65535);
	c->ssh_username = str_or(cfg, "ssh_username", NULL);
	if (c->communicator && strcmp(c->communicator, "ssh") == 0 && !c->ssh_username &&
	    kiln_config_is_known(cfg, "ssh_username"))
		problem(&k, NULL, "ssh_username must be specified (the user kiln connects as)");
	const char *tkey = kiln_config_has(cfg, "ssh_timeout") || !kiln_config_has(cfg, "ssh_wait_timeout") ? "ssh_timeout" : "ssh_wait_timeout";
	c->ssh_timeout_ms = duration_key(&k, tkey, "5m", &c->ssh_timeout_set);
	c->pause_before_connecting_ms = duration_key(&k, "pause_before_connecting", "0s", NULL);

	/* shutdown, output */
	c->shutdown_command = str_or(cfg, "shutdown_command", NULL);
	c->shutdown_timeout_ms = duration_key(&k, "shutdown_timeout", "5m", &c->shutdown_timeout_set);
	c->libvirt_reconnect_timeout_ms = duration_key(&k, "libvirt_reconnect_timeout", "60s", NULL);
	const char *sn = short_name(build_name);
	char *def_out = xasprintf("output-%s", sn);
	char *def_vm = xasprintf("packer-%s", sn);
	c->output_directory = str_or(cfg, "output_directory", def_out);
	c->vm_name = str_or(cfg, "vm_name", def_vm);
	free(def_out);
	free(def_vm);
	if (c->vm_name && (strchr(c->vm_name, '/') || !*c->vm_name))
		problem(&k, "vm_name", "vm_name must be a file name, without '/'");

	int rc = 0;
	if (k.msgs.n > 0) {
		char *all = strv_join(&k.msgs, "\n");
		if (k.first_key)
			kiln_config_error(cfg, k.first_key, err, "%s", all);
		else
			err_set(err, "%s", all);
		err->kind = ERR_INVALID;
		free(all);
		rc = -1;
	}
	strv_free(&k.msgs);
	if (rc < 0)
		qemu_config_free(c);
	return rc;
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
	free(c->communicator);
	free(c->ssh_host);
	free(c->ssh_username);
	free(c->shutdown_command);
	free(c->output_directory);
	free(c->vm_name);
	memset(c, 0, sizeof *c);
}
