/* accel.h — which accelerator a build's VM runs under. Unset or "auto": KVM when /dev/kvm opens (on a
 * remote hypervisor: when it offers kvm domains), else TCG with a warning. A guest that dies at boot with
 * "KVM internal error" (hosts with a broken paravirtual KVM, e.g. kvm-pvm) is recognised, so an automatic
 * choice can be retried once under TCG; an explicit "kvm" fails with advice instead. */
#ifndef KILN_QEMU_ACCEL_H
#define KILN_QEMU_ACCEL_H

#include <stdbool.h>

#include "util/error.h"

struct qemu_virt;

struct qemu_accel {
	bool kvm;            /* domain type kvm; else qemu (TCG) */
	bool automatic;      /* chosen by kiln, not the template: may fall back to TCG */
	char *why;           /* for the log and the warning: "/dev/kvm: Permission denied" */
};

/* setting: the accelerator key ("auto", "kvm", "tcg", "none"). */
int qemu_accel_choose(const char *setting, struct qemu_virt *v, struct qemu_accel *out, struct kiln_error *err);
void qemu_accel_free(struct qemu_accel *a);
const char *qemu_accel_name(const struct qemu_accel *a);   /* "kvm" or "tcg" */
/* Does this domain's QEMU log (local hypervisors) show a KVM internal error? */
bool qemu_accel_log_shows_kvm_error(const char *domain_name);

#endif
