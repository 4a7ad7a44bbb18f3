# vnc_use_password: a password on the loopback display too.
source "qemu" "pw" {
  iso_url          = "tiny.qcow2"
  iso_checksum     = "file:SHA256SUMS"
  disk_image       = true
  use_backing_file = true
  accelerator      = "tcg"
  ssh_username     = "root"
  vnc_use_password = true
}

build {
  sources = ["source.qemu.pw"]
}
