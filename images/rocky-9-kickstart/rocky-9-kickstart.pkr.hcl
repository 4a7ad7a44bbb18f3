# rocky-9-kickstart — Rocky Linux 9 installed from the DVD ISO with a kickstart file: the boot command
# selects "Install Rocky Linux 9" in the ISO's boot menu, edits its kernel line (Tab) to add
# `inst.text inst.ks=http://<seed>/ks.cfg`, and Anaconda installs from the DVD as http/ks.cfg says. The
# installed system reboots; the build connects as "rocky" with the kickstarted password. Needs internet
# access (the ISO).
#
#   cd images/rocky-9-kickstart && kiln build .        (or: packer init . && packer build .)

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
  description = "The password of the user rocky; http/ks.cfg carries its crypt(3) hash."
}

source "qemu" "rocky-9-kickstart" {
  iso_url        = "https://download.rockylinux.org/pub/rocky/9/isos/x86_64/Rocky-9-latest-x86_64-dvd.iso"
  iso_checksum   = "file:https://download.rockylinux.org/pub/rocky/9/isos/x86_64/CHECKSUM"
  disk_size      = "20G"
  format         = "qcow2"
  cpus           = 2
  memory         = 2048
  headless       = true
  http_directory = "${path.root}/http"
  boot_wait      = "5s"
  boot_command = [
    "<up><wait><tab><wait>",
    " inst.text inst.ks=http://{{ .HTTPIP }}:{{ .HTTPPort }}/ks.cfg<enter>",
  ]
  ssh_username     = "rocky"
  ssh_password     = var.ssh_password
  ssh_timeout      = "60m"
  shutdown_command = "echo '${var.ssh_password}' | sudo -S shutdown -P now"
  output_directory = "output-rocky-9-kickstart"
  vm_name          = "rocky-9.qcow2"
}

build {
  sources = ["source.qemu.rocky-9-kickstart"]

  provisioner "shell" {
    execute_command = "echo '${var.ssh_password}' | sudo -S env {{ .Vars }} sh '{{ .Path }}'"
    inline = [
      "dnf -y clean all",
      "truncate -s 0 /etc/machine-id",
    ]
  }
}
