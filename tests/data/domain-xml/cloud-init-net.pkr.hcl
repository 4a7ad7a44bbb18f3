# kiln's generated cloud-init seed in its network form: the SMBIOS serial points at the HTTP seed.
source "qemu" "seednet" {
  iso_url         = "base.qcow2"
  iso_checksum    = "file:SHA256SUMS"
  disk_image      = true
  accelerator     = "tcg"
  cloud_init      = true
  cloud_init_seed = "net"
  ssh_username    = "debian"
}

build {
  sources = ["source.qemu.seednet"]
}
