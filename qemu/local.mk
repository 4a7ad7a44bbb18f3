# qemu: the libvirt/QEMU builder
