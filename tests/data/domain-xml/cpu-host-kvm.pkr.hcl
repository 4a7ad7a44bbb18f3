# The packer-plugin-qemu EFI example's machine: cpu_model = "host" under KVM passes the host CPU through;
# ["-vga", "virtio"] in qemuargs becomes the domain's video model instead of a second card.
source "qemu" "host-kvm" {
  iso_url           = "debian.iso"
  iso_checksum      = "sha256:e307d0e583b4a8f7e5b436f8413d4707dd4242b70aea61eb08591dc0378522f3"
  accelerator       = "kvm"
  machine_type      = "q35"
  cpus              = 4
  memory            = "1024"
  cpu_model         = "host"
  qemuargs          = [["-vga", "virtio"]]
  boot_steps = [
    ["<enter>FS0:<enter>EFI\\boot\\bootx64.efi<enter>", "boot from EFI shell"],
    ["<wait><down><down><enter>", "manual install"],
  ]
  ssh_username      = "root"
  ssh_password      = "root"
}

build {
  sources = ["source.qemu.host-kvm"]
}
