# kiln's generated seed as a cidata CD, on a libvirt network (no port forward: the address comes from
# DHCP leases).
source "qemu" "seedcd" {
  iso_url      = "base.qcow2"
  iso_checksum = "file:SHA256SUMS"
  disk_image   = true
  accelerator  = "tcg"
  cloud_init   = true
  network      = "default"
  ssh_username = "debian"
}

build {
  sources = ["source.qemu.seedcd"]
}
