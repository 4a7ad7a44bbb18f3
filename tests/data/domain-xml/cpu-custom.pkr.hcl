# A named cpu_model with QEMU's feature switches (+f, -f, f=on|off, bare f): a custom <cpu> that, like
# QEMU's -cpu, runs with what the accelerator offers (check='none'). vga = "none": no video card at all.
source "qemu" "custom" {
  iso_url      = "base.qcow2"
  iso_checksum = "file:SHA256SUMS"
  disk_image   = true
  accelerator  = "kvm"
  cpu_model    = "Skylake-Client,+pcid,-hle,vmx=on,ssse3,x2apic=off"
  vga          = "none"
  ssh_username = "root"
}

build {
  sources = ["source.qemu.custom"]
}
