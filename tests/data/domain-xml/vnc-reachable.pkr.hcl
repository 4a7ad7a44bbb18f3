# A VNC display other machines can reach gets a password (kiln makes a random one; the golden driver
# uses "golden01"); the forwarded SSH port stays on loopback.
source "qemu" "shown" {
  iso_url          = "tiny.qcow2"
  iso_checksum     = "file:SHA256SUMS"
  disk_image       = true
  use_backing_file = true
  accelerator      = "tcg"
  ssh_username     = "root"
  vnc_bind_address = "0.0.0.0"
}

build {
  sources = ["source.qemu.shown"]
}
