# The tiny-image shape: a cloud image as a qcow2 overlay, TCG, user-mode networking with the SSH
# port forward, serial log, VNC.
source "qemu" "tiny" {
  iso_url          = "tiny.qcow2"
  iso_checksum     = "file:SHA256SUMS"
  disk_image       = true
  use_backing_file = true
  accelerator      = "tcg"
  ssh_username     = "root"
}

build {
  sources = ["source.qemu.tiny"]
}
