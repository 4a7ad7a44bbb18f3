# Packer's explicit OVMF files: CODE as read-only pflash, VARS copied into the output directory.
source "qemu" "ovmf" {
  iso_url           = "base.qcow2"
  iso_checksum      = "file:SHA256SUMS"
  disk_image        = true
  accelerator       = "tcg"
  efi_firmware_code = "/usr/share/OVMF/OVMF_CODE_4M.fd"
  efi_firmware_vars = "/usr/share/OVMF/OVMF_VARS_4M.fd"
  ssh_username      = "debian"
}

build {
  sources = ["source.qemu.ovmf"]
}
