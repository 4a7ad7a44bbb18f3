# ubuntu-24.04-cloud — an Ubuntu 24.04 LTS golden image from Canonical's official cloud image,
# customised through cloud-init: the seed in seed/ (a "cidata" CD) gives the default user "ubuntu" a
# password for the build; the last provisioner takes it away again and resets cloud-init. Needs internet
# access (the image and apt).
#
#   cd images/ubuntu-24.04-cloud && kiln build .       (or: packer init . && packer build .)

packer {
  required_plugins {
    qemu = {
      source  = "github.com/hashicorp/qemu"
      version = ">= 1.1.0"
    }
  }
}

variable "ssh_password" {
  type        = string
  default     = "packer"
  sensitive   = true
  description = "The build-time password of the user ubuntu; must match seed/user-data."
}

source "qemu" "ubuntu-24-04-cloud" {
  iso_url          = "https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img"
  iso_checksum     = "file:https://cloud-images.ubuntu.com/noble/current/SHA256SUMS"
  disk_image       = true
  disk_size        = "10G"
  format           = "qcow2"
  cpus             = 2
  memory           = 2048
  headless         = true
  cd_files         = ["${path.root}/seed/user-data", "${path.root}/seed/meta-data"]
  cd_label         = "cidata"
  ssh_username     = "ubuntu"
  ssh_password     = var.ssh_password
  ssh_timeout      = "15m"
  shutdown_command = "sudo shutdown -P now"
  output_directory = "output-ubuntu-24.04-cloud"
  vm_name          = "ubuntu-24.04-cloud.qcow2"
}

build {
  sources = ["source.qemu.ubuntu-24-04-cloud"]

  provisioner "shell" {
    inline = [
      "cloud-init status --wait >/dev/null || true",
      "sudo DEBIAN_FRONTEND=noninteractive apt-get update",
      "sudo DEBIAN_FRONTEND=noninteractive apt-get -y full-upgrade",
      "sudo DEBIAN_FRONTEND=noninteractive apt-get -y install qemu-guest-agent",
    ]
  }

  # undo the build's password and let cloud-init run again on the next boot
  provisioner "shell" {
    inline = [
      "sudo rm -f /etc/ssh/sshd_config.d/50-cloud-init.conf",
      "sudo passwd --lock ubuntu",
      "sudo apt-get clean",
      "sudo cloud-init clean --logs --machine-id",
    ]
  }
}
