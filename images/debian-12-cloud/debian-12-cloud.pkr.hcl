# debian-12-cloud — a Debian 12 golden image from Debian's official "genericcloud" qcow2, customised
# through cloud-init: the seed in seed/ (a "cidata" CD) gives the default user "debian" a password for
# the build; the last provisioner takes it away again and resets cloud-init, so the image behaves like
# the official one on its next boot. Needs internet access (the image and apt).
#
#   cd images/debian-12-cloud && kiln build .          (or: packer init . && packer build .)

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
  description = "The build-time password of the user debian; must match seed/user-data."
}

source "qemu" "debian-12-cloud" {
  iso_url          = "https://cloud.debian.org/images/cloud/bookworm/latest/debian-12-genericcloud-amd64.qcow2"
  iso_checksum     = "file:https://cloud.debian.org/images/cloud/bookworm/latest/SHA512SUMS"
  disk_image       = true
  disk_size        = "8G"
  format           = "qcow2"
  cpus             = 2
  memory           = 2048
  headless         = true
  cd_files         = ["${path.root}/seed/user-data", "${path.root}/seed/meta-data"]
  cd_label         = "cidata"
  ssh_username     = "debian"
  ssh_password     = var.ssh_password
  ssh_timeout      = "15m"
  shutdown_command = "sudo shutdown -P now"
  output_directory = "output-debian-12-cloud"
  vm_name          = "debian-12-cloud.qcow2"
}

build {
  sources = ["source.qemu.debian-12-cloud"]

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
      "printf 'PasswordAuthentication no\\nKbdInteractiveAuthentication no\\n' | sudo tee /etc/ssh/sshd_config.d/10-golden.conf",
      "sudo passwd --lock debian",
      "sudo apt-get clean",
      "sudo cloud-init clean --logs",
      "sudo truncate -s 0 /etc/machine-id",
    ]
  }
}
