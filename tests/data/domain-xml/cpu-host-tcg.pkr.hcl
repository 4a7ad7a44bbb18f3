# cpu_model = "host" under TCG: QEMU refuses -cpu host without KVM, so the guest gets QEMU's "max" CPU
# (mode='maximum') with a warning; the topology stays in the same <cpu>. vga = "qxl" is a QXL card.
source "qemu" "host-tcg" {
  iso_url      = "base.qcow2"
  iso_checksum = "file:SHA256SUMS"
  disk_image   = true
  accelerator  = "tcg"
  cpu_model    = "host"
  sockets      = 1
  cores        = 2
  vga          = "qxl"
  ssh_username = "root"
}

build {
  sources = ["source.qemu.host-tcg"]
}
