# Packer's qemuargs: -m/-smp/-machine become domain settings, console switches are dropped (warned),
# the rest goes to QEMU with {{ .HTTPIP }}/{{ .HTTPPort }}/{{ .SSHHostPort }} expanded.
source "qemu" "args" {
  iso_url      = "base.qcow2"
  iso_checksum = "file:SHA256SUMS"
  disk_image   = true
  accelerator  = "tcg"
  http_content = { "/user-data" = "#cloud-config\n", "/meta-data" = "" }
  qemuargs = [
    ["-m", "1536M"],
    ["-smp", "4,sockets=1,cores=2,threads=2"],
    ["-machine", "type=q35,accel=tcg"],
    ["-serial", "mon:stdio"],
    ["-smbios", "type=1,serial=ds=nocloud-net;s=http://{{ .HTTPIP }}:{{ .HTTPPort }}/"],
    ["-global", "isa-fdc.fdtypeA=none"],
    ["--no-acpi", ""],
  ]
  ssh_username = "debian"
}

build {
  sources = ["source.qemu.args"]
}
