# A bridge instead of user-mode networking: no port forward; e1000 NIC; no VNC; SCSI disk.
source "qemu" "bridged" {
  iso_url        = "base.qcow2"
  iso_checksum   = "file:SHA256SUMS"
  disk_image     = true
  accelerator    = "tcg"
  net_bridge     = "br0"
  net_device     = "e1000"
  disk_interface = "virtio-scsi"
  disable_vnc    = true
  ssh_username   = "debian"
}

build {
  sources = ["source.qemu.bridged"]
}
