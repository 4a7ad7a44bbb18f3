variable "x" {
  type    = string
  default = "default"
}
variable "secret" {
  type      = string
  default   = "hunter2"
  sensitive = true
}
variable "nodef" {
  type = string
}
locals {
  a = "la"
  b = ["x", var.x]
}
source "null" "a" {
  communicator = "none"
}
source "file" "f" {
  content = "x"
  target  = "out.txt"
}
build {
  name = "first"
  description = "the first build"
  sources = ["source.null.a", "source.file.f"]
  provisioner "shell-local" {
    inline = ["echo hi"]
  }
  provisioner "shell-local" {
    name   = "named"
    only   = ["null.a"]
    inline = ["echo hi"]
  }
  post-processor "manifest" {}
  post-processors {
    post-processor "checksum" {}
    post-processor "compress" {
      output = "x.tar.gz"
    }
  }
}
build {
  sources = ["source.null.a"]
}
