# An installer ISO on q35: an empty main disk boots first (the ISO when the disk is empty), SATA disks,
# two additional disks, a cd_content CD, the installer's boot command.
source "qemu" "installer" {
  iso_url              = "debian.iso"
  iso_checksum         = "file:SHA256SUMS"
  accelerator          = "tcg"
  machine_type         = "q35"
  disk_interface       = "sata"
  disk_size            = "8G"
  disk_additional_size = ["1G", "512M"]
  cd_content           = { "preseed.cfg" = "d-i debian-installer/locale string C" }
  cd_label             = "install"
  boot_command         = ["<waitFor \"boot:\">", "auto<enter>"]
  ssh_username         = "root"
  ssh_password         = "secret"
}

build {
  sources = ["source.qemu.installer"]
}
