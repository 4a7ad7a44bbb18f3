# debian-12-netinst — Debian 12 installed from the netinst ISO with a preseed file: the boot command
# leaves the installer's menu for its `boot:` prompt and starts the "auto" entry with
# `url=http://<seed>/preseed.cfg`, so debian-installer answers every question from http/preseed.cfg.
# The installed system reboots; the build connects as "debian" with the preseeded password. Needs
# internet access (the ISO; the installer's apt mirror).
#
#   cd images/debian-12-netinst && kiln build .        (or: packer init . && packer build .)
#
# Debian 12 is an old stable release: its ISOs live under cdimage/archive/. Set debian_version to the
# last point release listed there.

packer {
  required_plugins {
    qemu = {
      source  = "github.com/hashicorp/qemu"
      version = ">= 1.1.0"
    }
  }
}

variable "debian_version" {
  type    = string
  default = "12.15.0"
}

variable "ssh_password" {
  type        = string
  default     = "packer"
  sensitive   = true
  description = "The password of the user debian; http/preseed.cfg carries its crypt(3) hash."
}

locals {
  iso_dir = "https://cdimage.debian.org/cdimage/archive/${var.debian_version}/amd64/iso-cd"
}

source "qemu" "debian-12-netinst" {
  iso_url        = "${local.iso_dir}/debian-${var.debian_version}-amd64-netinst.iso"
  iso_checksum   = "file:${local.iso_dir}/SHA256SUMS"
  disk_size      = "10G"
  format         = "qcow2"
  cpus           = 2
  memory         = 1024
  headless       = true
  http_directory = "${path.root}/http"
  boot_wait      = "5s"
  boot_command = [
    "<esc><wait>",
    "auto url=http://{{ .HTTPIP }}:{{ .HTTPPort }}/preseed.cfg",
    " hostname=debian domain= interface=auto<enter>",
  ]
  ssh_username     = "debian"
  ssh_password     = var.ssh_password
  ssh_timeout      = "60m"
  shutdown_command = "echo '${var.ssh_password}' | sudo -S shutdown -P now"
  output_directory = "output-debian-12-netinst"
  vm_name          = "debian-12.qcow2"
}

build {
  sources = ["source.qemu.debian-12-netinst"]

  provisioner "shell" {
    execute_command = "echo '${var.ssh_password}' | sudo -S env {{ .Vars }} sh '{{ .Path }}'"
    inline = [
      "apt-get clean",
      "truncate -s 0 /etc/machine-id",
    ]
  }
}
