/* cmd-inspect-image.c — `kiln inspect-image FILE`: what kiln knows of a disk image: its format and
 * sizes (qemu-img), the OS in it (libguestfs inspection, read-only) and whether it looks sanitized. */
#include "cli/cli.h"
#include "cli/diagout.h"
#include "image/image.h"
#include "registry.h"
#include "ui/ui.h"
#include "util/mem.h"

#include "util/lazy_jansson.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static void print_size(const char *label, uint64_t n)
{
	char *h = ui_format_bytes(n);
	printf("  %-16s %s (%llu bytes)\n", label, h, (unsigned long long)n);
	free(h);
}

static void print_text(const char *file, const struct img_info *info, bool looked, bool has_os,
		       const struct img_os *os, const struct img_sanity *y, bool list_packages)
{
	printf("Image: %s\n", file);
	printf("  %-16s %s", "Format:", info->format);
	if (*info->subformat)
		printf(" (%s)", info->subformat);
	/* qcow2 v3 always names a compression type (zlib by default) even with no compressed cluster:
	 * only a deliberate one says something. */
	if (*info->compression && strcmp(info->compression, "zlib") != 0)
		printf(" (%s compression)", info->compression);
	printf("\n");
	print_size("Virtual size:", info->virtual_size);
	print_size("Actual size:", info->actual_size);
	if (*info->backing_file)
		printf("  %-16s %s\n", "Backing file:", info->backing_file);
	if (!looked)
		return;
	if (!has_os) {
		printf("  %-16s none found (libguestfs inspection found no operating system)\n", "OS:");
		return;
	}
	printf("  %-16s %s", "OS:", *os->distro ? os->distro : os->type);
	if (*os->version)
		printf(" %s", os->version);
	if (*os->product_name && strcmp(os->product_name, os->version) != 0)
		printf(" (%s)", os->product_name);
	if (*os->arch)
		printf(", %s", os->arch);
	printf("\n");
	if (*os->hostname)
		printf("  %-16s %s\n", "Hostname:", os->hostname);
	printf("  %-16s %s\n", "Root:", os->root);
	if (os->kernels.n) {
		char *k = strv_join(&os->kernels, ", ");
		printf("  %-16s %s\n", "Kernels:", k);
		free(k);
	}
	if (os->packages_listed) {
		printf("  %-16s %zu (%s)\n", "Packages:", os->npackages, os->package_format);
		for (size_t i = 0; list_packages && i < os->npackages; i++)
			printf("    %s %s%s%s\n", os->packages[i].name, os->packages[i].version,
			       *os->packages[i].release ? "-" : "", os->packages[i].release);
	}
	if (strcmp(os->type, "linux") != 0)
		return;
	printf("Sanitized: %s\n", y->looks_sanitized ? "yes" : "no");
	if (y->ssh_host_keys)
		printf("  %-16s %u present (copies of the build machine's identity)\n", "SSH host keys:", y->ssh_host_keys);
	else
		printf("  %-16s none (generated at first boot)\n", "SSH host keys:");
	if (!y->machine_id_present)
		printf("  %-16s missing\n", "machine-id:");
	else if (y->machine_id_size)
		printf("  %-16s set (every instance would share it)\n", "machine-id:");
	else
		printf("  %-16s empty (generated at first boot)\n", "machine-id:");
	printf("  %-16s %s\n", "cloud-init:", y->cloud_instances ? "instance state present (will not run again)"
								 : "no instance state (runs at first boot)");
	if (y->nonempty_logs)
		printf("  %-16s %u non-empty under /var/log\n", "Logs:", y->nonempty_logs);
	else
		printf("  %-16s empty\n", "Logs:");
	printf("  %-16s %u\n", "Shell history:", y->bash_histories);
	printf("  %-16s %u\n", "Authorized keys:", y->authorized_keys);
}

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

static void print_json(const struct img_api *img, const char *file, const struct img_info *info, bool looked,
		       bool has_os, const struct img_os *os, const struct img_sanity *y)
{
	json_t *root = json_object();
	json_object_set_new(root, "file", json_string(file));
	json_object_set_new(root, "format", json_string(info->format));
	json_object_set_new(root, "subformat", str_or_null(info->subformat));
	json_object_set_new(root, "compression_type", str_or_null(info->compression));
	json_object_set_new(root, "virtual_size", json_integer((json_int_t)info->virtual_size));
	json_object_set_new(root, "actual_size", json_integer((json_int_t)info->actual_size));
	json_object_set_new(root, "backing_file", str_or_null(info->backing_file));
	if (looked && has_os) {
		char *os_text = img->os_json(os);
		json_object_set_new(root, "os", json_loads(os_text, 0, NULL));
		free(os_text);
	} else {
		json_object_set_new(root, "os", json_null());
	}
	if (looked && has_os && strcmp(os->type, "linux") == 0) {
		json_t *s = json_object();
		json_object_set_new(s, "looks_sanitized", json_boolean(y->looks_sanitized));
		json_object_set_new(s, "ssh_host_keys", json_integer(y->ssh_host_keys));
		json_object_set_new(s, "machine_id", json_string(!y->machine_id_present ? "missing"
								 : y->machine_id_size ? "set" : "empty"));
		json_object_set_new(s, "cloud_init_instances", json_boolean(y->cloud_instances));
		json_object_set_new(s, "nonempty_logs", json_integer(y->nonempty_logs));
		json_object_set_new(s, "bash_histories", json_integer(y->bash_histories));
		json_object_set_new(s, "authorized_keys", json_integer(y->authorized_keys));
		json_object_set_new(root, "sanitized", s);
	} else {
		json_object_set_new(root, "sanitized", json_null());
	}
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("%s\n", text);
	free(text);
	json_decref(root);
}

static int run_inspect_image(struct cli_args *a)
{
	struct kiln_error e = ERR_INIT;
	const char *file = a->argv[0];
	const char *format = cli_string(a, "format");
	bool json = cli_bool(a, "json");
	bool look = !cli_bool(a, "no-os");
	bool packages = cli_bool(a, "packages");
	enum img_accel accel;
	struct img_info info = {0};
	struct img_os os = {0};
	struct img_sanity y = {0};
	bool has_os = false;
	int rc = 1;

	if (format && !*format)
		format = NULL;
	const struct kiln_module *m = kiln_module_get(&e);
	if (!m)
		return cli_print_error(&e);
	const struct img_api *img = m->image;
	if (img->accel_parse(cli_string(a, "accel"), &accel, &e) < 0)
		return cli_print_error(&e);
	if (img->info_read(file, format, &info, &e) < 0)
		return cli_print_error(&e);
	if (look) {
		if (!json)
			fprintf(stderr, "kiln: inspecting %s with libguestfs (%s)...\n", file, img->accel_name(accel));
		if (img->inspect_os(file, info.format, accel, packages || json, &os, &has_os, &y, &e) < 0) {
			rc = cli_print_error(&e);
			goto out;
		}
	}
	if (json)
		print_json(img, file, &info, look, has_os, &os, &y);
	else
		print_text(file, &info, look, has_os, &os, &y, packages);
	rc = 0;
out:
	img->os_free(&os);
	img->info_free(&info);
	return rc;
}

const struct cli_command cmd_inspect_image = {
	.name = "inspect-image",
	.synopsis = "Shows a disk image's format, sizes, OS and whether it looks sanitized",
	.usage = "kiln inspect-image [options] FILE",
	.help = "Prints what kiln knows of a disk image: its format and virtual and allocated sizes (qemu-img),\n"
		"the operating system libguestfs finds in it (distribution, version, kernels, packages), and\n"
		"whether it looks sanitized: no SSH host keys, an empty /etc/machine-id, no cloud-init instance\n"
		"state, empty logs, no shell history. The image is opened read-only.\n\n"
		"Looking inside starts a libguestfs appliance (about 15 s under TCG). TCG is the default because\n"
		"libguestfs hangs for minutes where /dev/kvm exists but KVM is broken; use -accel=kvm where KVM\n"
		"works, or -no-os for the format and sizes only.",
	.flags = (const struct cli_flag[]){
		{"accel", CLI_STRING, "ACCEL", "tcg", "accelerator of the libguestfs appliance: tcg, kvm or auto"},
		{"format", CLI_STRING, "FORMAT", NULL, "the image format, when probing cannot tell (raw, vpc, ...)"},
		{"json", CLI_BOOL, NULL, NULL, "print JSON (with the package list)"},
		{"no-os", CLI_BOOL, NULL, NULL, "do not look inside: format and sizes only"},
		{"packages", CLI_BOOL, NULL, NULL, "list the installed packages"},
		{NULL},
	},
	.min_args = 1,
	.max_args = 1,
	.run = run_inspect_image,
	.winds_down = true,
};
