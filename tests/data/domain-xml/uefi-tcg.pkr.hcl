# UEFI through libvirt's firmware auto-selection on q35; the variable store in the output directory.
source "qemu" "uefi" {
  iso_url      = "base.qcow2"
  iso_checksum = "file:SHA256SUMS"
  disk_image   = true
  accelerator  = "tcg"
  machine_type = "q35"
  efi_boot     = true
  ssh_username = "debian"
}

build {
  sources = ["source.qemu.uefi"]
}
