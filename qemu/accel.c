/* accel.c — choosing KVM or TCG, and recognising a broken KVM (see accel.h). */
#include "qemu/accel.h"
#include "qemu/libvirt.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *kvm_device(void)
{
	const char *d = getenv("KILN_KVM_DEVICE");   /* tests: pretend KVM is absent or present */
	return d && *d ? d : "/dev/kvm";
}

int qemu_accel_choose(const char *setting, struct qemu_virt *v, struct qemu_accel *out, struct kiln_error *err)
{
	memset(out, 0, sizeof *out);
	if (!setting || !*setting)
		setting = "auto";
	if (strcmp(setting, "tcg") == 0 || strcmp(setting, "none") == 0) {
		out->why = xasprintf("accelerator = \"%s\"", setting);
		return 0;
	}
	bool want_kvm = strcmp(setting, "kvm") == 0;
	if (!want_kvm && strcmp(setting, "auto") != 0)
		return err_set_kind(err, ERR_INVALID, "unknown accelerator \"%s\"", setting);
	bool usable;
	char *why;
	if (v && qemu_virt_is_remote(v)) {
		usable = qemu_virt_has_domain_type(v, "kvm");
		why = xasprintf(usable ? "%s offers KVM" : "%s does not offer KVM", qemu_virt_host(v));
	} else {
		int fd = open(kvm_device(), O_RDWR | O_CLOEXEC);
		usable = fd >= 0;
		why = usable ? xasprintf("%s opens", kvm_device()) : xasprintf("%s: %s", kvm_device(), strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	if (want_kvm && !usable) {
		err_set_kind(err, ERR_INVALID, "accelerator = \"kvm\", but KVM is not usable here (%s)", why);
		err_hint(err, "load the kvm module and make /dev/kvm accessible, or set accelerator = \"tcg\" "
			      "(software emulation, slower), or leave accelerator unset to let kiln choose");
		free(why);
		return -1;
	}
	out->kvm = usable;
	out->automatic = !want_kvm;
	out->why = why;
	return 0;
}

void qemu_accel_free(struct qemu_accel *a)
{
	if (!a)
		return;
	free(a->why);
	memset(a, 0, sizeof *a);
}

const char *qemu_accel_name(const struct qemu_accel *a)
{
	return a->kvm ? "kvm" : "tcg";
}

bool qemu_accel_log_shows_kvm_error(const char *domain_name)
{
	const char *dirs[] = {getenv("KILN_LIBVIRT_LOG_DIR"), "/var/log/libvirt/qemu", NULL};
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		if (!dirs[i] || !*dirs[i])
			continue;
		char *name = xasprintf("%s.log", domain_name);
		char *path = path_join(dirs[i], name);
		free(name);
		struct buf b = BUF_INIT;
		struct kiln_error e = ERR_INIT;
		bool found = false;
		if (file_read_all(path, &b, &e) == 0)
			found = strstr(buf_cstr(&b), "KVM internal error") != NULL;
		err_clear(&e);
		buf_free(&b);
		free(path);
		if (found)
			return true;
	}
	return false;
}
