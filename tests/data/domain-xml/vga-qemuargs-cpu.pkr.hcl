# qemuargs with -cpu and -vga: a bare model ("host", "max", a name) becomes the domain's <cpu>, so
# ["-cpu", "host"] works under TCG too (as "max", warned); vga = "cirrus" is overridden by qemuargs' -vga
# std (the Bochs VGA card) like Packer's qemuargs override its defaults. A -cpu with properties
# (Hyper-V enlightenments) goes to QEMU as it is.
source "qemu" "args" {
  iso_url      = "base.qcow2"
  iso_checksum = "file:SHA256SUMS"
  disk_image   = true
  accelerator  = "tcg"
  vga          = "cirrus"
  qemuargs = [
    ["-cpu", "host"],
    ["-vga", "std"],
  ]
  ssh_username = "root"
}

build {
  sources = ["source.qemu.args"]
}
