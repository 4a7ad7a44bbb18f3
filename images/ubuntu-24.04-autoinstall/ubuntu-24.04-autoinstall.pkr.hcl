# ubuntu-24.04-autoinstall — Ubuntu 24.04 LTS installed from the live-server ISO with autoinstall: the
# boot command opens GRUB's command line, boots the installer's kernel with
# `autoinstall ds=nocloud;s=http://<seed>/`, and subiquity reads http/user-data (the autoinstall config)
# and http/meta-data from the HTTP seed. The installed system reboots; the build connects as "ubuntu"
# with the password from the autoinstall config. Needs internet access (the ISO; the installer's apt).
#
#   cd images/ubuntu-24.04-autoinstall && kiln build .   (or: packer init . && packer build .)
#
# The ISO name changes with each point release: set iso_name to the file listed in SHA256SUMS at
# https://releases.ubuntu.com/noble/ (older point releases move to https://old-releases.ubuntu.com/).

packer {
  required_plugins {
    qemu = {
      source  = "github.com/hashicorp/qemu"
      version = ">= 1.1.0"
    }
  }
}

variable "iso_name" {
  type    = string
  default = "ubuntu-24.04.4-live-server-amd64.iso"
}

variable "ssh_password" {
  type        = string
  default     = "packer"
  sensitive   = true
  description = "The password of the user ubuntu; http/user-data carries its crypt(3) hash."
}

source "qemu" "ubuntu-24-04-autoinstall" {
  iso_url        = "https://releases.ubuntu.com/noble/${var.iso_name}"
  iso_checksum   = "file:https://releases.ubuntu.com/noble/SHA256SUMS"
  disk_size      = "20G"
  format         = "qcow2"
  cpus           = 2
  memory         = 4096
  headless       = true
  http_directory = "${path.root}/http"
  boot_wait      = "5s"
  boot_command = [
    "<wait>c<wait>",
    "linux /casper/vmlinuz autoinstall 'ds=nocloud;s=http://{{ .HTTPIP }}:{{ .HTTPPort }}/' ---<enter><wait>",
    "initrd /casper/initrd<enter><wait>",
    "boot<enter>",
  ]
  ssh_username           = "ubuntu"
  ssh_password           = var.ssh_password
  ssh_timeout            = "60m"
  ssh_handshake_attempts = 500
  shutdown_command       = "echo '${var.ssh_password}' | sudo -S shutdown -P now"
  output_directory       = "output-ubuntu-24.04-autoinstall"
  vm_name                = "ubuntu-24.04.qcow2"
}

build {
  sources = ["source.qemu.ubuntu-24-04-autoinstall"]

  provisioner "shell" {
    execute_command = "echo '${var.ssh_password}' | sudo -S env {{ .Vars }} sh '{{ .Path }}'"
    inline = [
      "DEBIAN_FRONTEND=noninteractive apt-get -y install qemu-guest-agent",
      "apt-get clean",
      "cloud-init clean --logs --machine-id",
    ]
  }
}
