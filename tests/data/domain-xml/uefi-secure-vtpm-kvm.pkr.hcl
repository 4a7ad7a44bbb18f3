# Secure Boot (enrolled keys, SMM) and an emulated TPM 2.0 under KVM.
source "qemu" "secure" {
  iso_url         = "base.qcow2"
  iso_checksum    = "file:SHA256SUMS"
  disk_image      = true
  accelerator     = "kvm"
  machine_type    = "q35"
  efi_secure_boot = true
  vtpm            = true
  ssh_username    = "debian"
}

build {
  sources = ["source.qemu.secure"]
}
