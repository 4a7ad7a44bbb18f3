# KVM: host-passthrough CPU; more memory and CPUs; a raw disk with Packer's disk options.
source "qemu" "kvm" {
  iso_url            = "base.img"
  iso_checksum       = "file:SHA256SUMS"
  disk_image         = true
  format             = "raw"
  accelerator        = "kvm"
  cpus               = 2
  memory             = 2048
  disk_cache         = "unsafe"
  disk_discard       = "unmap"
  disk_detect_zeroes = "unmap"
  vm_name            = "kvm.img"
  ssh_username       = "debian"
}

build {
  sources = ["source.qemu.kvm"]
}
