# A multi-builder template shaped like chef/bento's: one build over sources of five builders (kiln
# has qemu and null), Linux provisioners for every source unless is_windows, Windows provisioners
# restricted the other way, and a vagrant post-processor. tests/integration/t0106-multi-builder.sh
variable "is_windows" {
  type    = bool
  default = false
}
variable "sources_enabled" {
  type = list(string)
  default = [
    "source.parallels-iso.vm",
    "source.qemu.vm",
    "source.virtualbox-iso.vm",
    "source.vmware-iso.vm",
    "source.null.vm",
  ]
}
variable "out" {
  type    = string
  default = "out"
}

locals {
  source_names = [for source in var.sources_enabled : trimprefix(source, "source.")]
}

source "parallels-iso" "vm" {
  guest_os_type          = "ubuntu"
  iso_url                = "http://127.0.0.1:9/ubuntu.iso"
  iso_checksum           = "none"
  parallels_tools_flavor = "lin"
  ssh_username           = "vagrant"
  shutdown_command       = "sudo poweroff"
}

source "qemu" "vm" {
  iso_url          = "http://127.0.0.1:9/ubuntu.qcow2"
  iso_checksum     = "none"
  disk_image       = true
  ssh_username     = "vagrant"
  shutdown_command = "sudo poweroff"
  output_directory = "${var.out}/qemu"
}

source "virtualbox-iso" "vm" {
  guest_os_type    = "Ubuntu_64"
  iso_url          = "http://127.0.0.1:9/ubuntu.iso"
  iso_checksum     = "none"
  ssh_username     = "vagrant"
  shutdown_command = "sudo poweroff"
}

source "vmware-iso" "vm" {
  guest_os_type    = "ubuntu-64"
  iso_url          = "http://127.0.0.1:9/ubuntu.iso"
  iso_checksum     = "none"
  ssh_username     = "vagrant"
  shutdown_command = "sudo poweroff"
}

source "null" "vm" {
  communicator = "none"
}

build {
  sources = [
    "source.parallels-iso.vm",
    "source.qemu.vm",
    "source.virtualbox-iso.vm",
    "source.vmware-iso.vm",
    "source.null.vm",
  ]

  provisioner "shell-local" {
    inline = ["mkdir -p ${var.out} && echo linux-1 >> ${var.out}/ran"]
    except = var.is_windows ? local.source_names : null
  }
  provisioner "shell-local" {
    inline = ["echo linux-2 >> ${var.out}/ran"]
    except = var.is_windows ? local.source_names : null
  }

  provisioner "powershell" {
    inline = ["Write-Host windows"]
    except = var.is_windows ? null : local.source_names
  }
  provisioner "windows-restart" {
    restart_timeout = "30m"
    except          = var.is_windows ? null : local.source_names
  }

  post-processor "vagrant" {
    compression_level = 9
    output            = "${var.out}/{{ .Provider }}.box"
  }
}
