# local-debian — kiln's default job: a Debian 12 golden image built from a base image made offline from
# Debian packages, so it works on a machine without internet access (README command 1, scripts/golden).
#
#   scripts/mk-base-image                       # images/base/debian-12-base-amd64.qcow2 + SHA256SUMS
#   kiln build images/local-debian.pkr.hcl      # output-local-debian/debian-12-golden.qcow2
#
# The base stands in for Debian's official genericcloud image (cloud-init creates the user "debian" from
# a NoCloud seed); to build on the official image instead, see images/debian-12-cloud/. kiln makes the
# seed itself (cloud_init = true): the user "debian" with the build's temporary SSH key. Provisioning
# needs no network: it configures the image with the files in images/local-debian/.

variable "base_image" {
  type        = string
  default     = ""
  description = "Base qcow2 image (default: base/debian-12-base-amd64.qcow2 next to this template, as scripts/mk-base-image writes it)."
}

variable "base_checksum" {
  type        = string
  default     = ""
  description = "iso_checksum of the base image (default: file: the SHA256SUMS next to it)."
}

variable "output_directory" {
  type    = string
  default = "output-local-debian"
}

variable "disk_size" {
  type    = string
  default = "8G"
}

locals {
  base_image    = var.base_image != "" ? var.base_image : "${path.root}/base/debian-12-base-amd64.qcow2"
  base_checksum = var.base_checksum != "" ? var.base_checksum : "file:${dirname(local.base_image)}/SHA256SUMS"
}

source "qemu" "local-debian" {
  iso_url          = local.base_image
  iso_checksum     = local.base_checksum
  disk_image       = true
  disk_size        = var.disk_size
  format           = "qcow2"
  cpus             = 2
  memory           = 1024
  headless         = true
  cloud_init       = true
  ssh_username     = "debian"
  ssh_timeout      = "20m"
  shutdown_command = "sudo shutdown -P now"
  output_directory = var.output_directory
  vm_name          = "debian-12-golden.qcow2"
}

build {
  sources = ["source.qemu.local-debian"]

  provisioner "shell" {
    inline = ["cloud-init status --wait >/dev/null || true", "mkdir -p /tmp/golden"]
  }

  provisioner "file" {
    source      = "${path.root}/local-debian/"
    destination = "/tmp/golden"
  }

  provisioner "shell" {
    execute_command = "chmod +x {{ .Path }}; sudo env {{ .Vars }} {{ .Path }}"
    script          = "${path.root}/local-debian/configure.sh"
  }
}
