# A CPU topology (cpus below its product: current < maximum), a -bios style firmware file, IDE disk,
# no serial log, VNC on a fixed address.
source "qemu" "topo" {
  iso_url          = "base.qcow2"
  iso_checksum     = "file:SHA256SUMS"
  disk_image       = true
  accelerator      = "tcg"
  cpus             = 2
  sockets          = 1
  cores            = 2
  threads          = 2
  firmware         = "/usr/share/seabios/bios-256k.bin"
  disk_interface   = "ide"
  serial_log       = false
  vnc_bind_address = "0.0.0.0"
  ssh_username     = "debian"
}

build {
  sources = ["source.qemu.topo"]
}
