/* ports.h — host ports for the guest's forwarded SSH port and VNC display: a free port from a range on
 * 127.0.0.1, chosen from a random start, held (bound) until the VM is about to take it, and never handed
 * to two builds of this process at once. */
#ifndef KILN_QEMU_PORTS_H
#define KILN_QEMU_PORTS_H

#include "util/error.h"

struct qemu_port {
	int port;
	int fd;          /* the bound socket holding the port, -1 once handed over */
};

int qemu_port_reserve(const char *addr, int min, int max, struct qemu_port *out, struct kiln_error *err);
/* Close the holding socket so the VM can bind the port (the port stays reserved in this process). */
void qemu_port_hand_over(struct qemu_port *p);
/* Forget the port entirely (after the VM is gone). */
void qemu_port_release(struct qemu_port *p);

#endif
