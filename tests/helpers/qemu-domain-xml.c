/* qemu-domain-xml — print the libvirt domain XML the qemu builder would start for a template, with
 * fixed run-time values, for the golden files under tests/data/domain-xml/ (see
 * make regen and tests/integration/t0410-qemu-domain-xml.sh).
 *
 *   usage: qemu-domain-xml TEMPLATE.pkr.hcl
 *
 * The template must have exactly one source "qemu". Fixed values: domain name kiln-golden, paths under
 * /golden, SSH host port 2222, VNC port 5901, HTTP seed 10.0.2.2:8100, uid/gid 0, metadata of pid 1 on
 * host "golden". "auto" as accelerator renders as TCG. Warnings go to stderr ("warning: ..." lines). */
#include "engine/plan.h"
#include "hcl/diag.h"
#include "qemu/builder_config.h"
#include "qemu/domain_xml.h"
#include "qemu/vm_config.h"
#include "template/template.h"
#include "ui/ui.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/strv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROOT "/golden"
#define OUT ROOT "/output"

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: qemu-domain-xml TEMPLATE.pkr.hcl\n");
		return 2;
	}
	struct hcl_diags diags = HCL_DIAGS_INIT;
	struct tmpl_options topts = {.mode = TMPL_FULL};
	struct tmpl *t = tmpl_load(argv[1], &topts, &diags);
	if (hcl_diags_has_errors(&diags)) {
		struct buf b = BUF_INIT;
		hcl_diags_render_short(&diags, &b);
		fprintf(stderr, "%s", buf_cstr(&b));
		buf_free(&b);
		hcl_diags_free(&diags);
		tmpl_free(t);
		return 1;
	}
	hcl_diags_free(&diags);
	struct plan plan = {0};
	struct plan_options popts = {0};
	struct kiln_error err = ERR_INIT;
	int rc = 1;
	if (tmpl_plan(t, &popts, &plan, &err) < 0 || plan.nbuilds != 1 || strcmp(plan.builds[0].builder_type, "qemu") != 0) {
		char *m = err_isset(&err) ? err_text(&err) : xstrdup("the template must have exactly one qemu source");
		fprintf(stderr, "qemu-domain-xml: %s\n", m);
		free(m);
		goto out;
	}
	const struct plan_build *pb = &plan.builds[0];
	struct qemu_config c;
	struct strv warnings = STRV_INIT;
	if (qemu_config_decode(pb->builder_config, pb->name, &c, &warnings, &err) < 0) {
		char *m = err_text(&err);
		fprintf(stderr, "qemu-domain-xml: %s\n", m);
		free(m);
		strv_free(&warnings);
		goto out;
	}
	char *disk = xasprintf(OUT "/%s", c.vm_name);
	char *nvram = xasprintf(OUT "/%s_VARS.fd", c.vm_name);
	char *cd = xasprintf(OUT "/%s-cd.iso", c.vm_name);
	char *seed = xasprintf(OUT "/%s-cidata.iso", c.vm_name);
	char *serial = xasprintf(OUT "/%s-serial.log", c.vm_name);
	struct strv extra = STRV_INIT;
	for (size_t i = 0; i < c.disk_additional_size.n; i++)
		strv_pushf(&extra, OUT "/%s-%zu", c.vm_name, i + 1);
	bool user_net = !c.net_bridge && !c.network;
	bool cloud_cd = c.cloud_init && strcmp(c.cloud_init_seed, "cd") == 0;
	bool cloud_net = c.cloud_init && strcmp(c.cloud_init_seed, "net") == 0;
	struct qemu_kv meta[] = {
		{"build", pb->name}, {"pid", "1"}, {"host", "golden"}, {"started", "2000-01-01T00:00:00Z"}, {"output", OUT},
	};
	struct strv vars = STRV_INIT;
	strv_push(&vars, "HTTPIP=10.0.2.2");
	strv_push(&vars, "HTTPPort=8100");
	strv_push(&vars, "HTTPDir=http");
	strv_push(&vars, "OutputDir=" OUT);
	strv_pushf(&vars, "Name=%s", c.vm_name);
	strv_push(&vars, "SSHHostPort=2222");
	strv_push(&vars, "SSHPublicKey=ssh-ed25519 AAAAgolden golden");
	struct qemu_vm_plan p = {
		.name = "kiln-golden", .kvm = strcmp(c.accelerator, "kvm") == 0,
		.disk = disk, .disk_format = c.disk_image && c.use_backing_file ? "qcow2" : c.format,
		.extra_disks = (const char *const *)extra.v, .nextra_disks = extra.n,
		.iso = c.disk_image ? NULL : ROOT "/cache/sha256/installer.iso",
		.cd_iso = c.cd_files.n || c.ncd_content ? cd : NULL, .seed_iso = cloud_cd ? seed : NULL,
		.serial_path = serial,
		.ssh_host_port = user_net && !c.skip_nat_mapping && strcmp(c.ssh.communicator, "none") != 0 ? 2222 : 0,
		.forward_addr = "127.0.0.1", .vnc_port = 5901, .nvram = c.efi_boot ? nvram : NULL,
		.vnc_password = qemu_vnc_wants_password(&c) ? "golden01" : NULL,
		.smbios_serial = cloud_net ? "ds=nocloud-net;s=http://10.0.2.2:8100/" : NULL,
		.dac = true, .uid = 0, .gid = 0, .metadata = meta, .nmetadata = sizeof meta / sizeof meta[0],
		.template_vars = strv_argv(&vars),
	};
	struct qemu_domain d;
	if (qemu_domain_build(&c, &p, &d, &warnings, &err) < 0) {
		char *m = err_text(&err);
		fprintf(stderr, "qemu-domain-xml: %s\n", m);
		free(m);
	} else {
		char *xml = qemu_domain_xml(&d);
		fputs(xml, stdout);
		free(xml);
		for (size_t i = 0; i < warnings.n; i++)
			fprintf(stderr, "warning: %s\n", warnings.v[i]);
		qemu_domain_release(&d);
		rc = 0;
	}
	strv_free(&warnings);
	strv_free(&vars);
	strv_free(&extra);
	free(disk);
	free(nvram);
	free(cd);
	free(seed);
	free(serial);
	qemu_config_free(&c);
out:
	err_clear(&err);
	plan_free(&plan);
	tmpl_free(t);
	return rc;
}
