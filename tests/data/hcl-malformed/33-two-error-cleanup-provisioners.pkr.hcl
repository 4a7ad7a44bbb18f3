source "null" "x" {
}

build {
  sources = ["source.null.x"]

  error-cleanup-provisioner "shell-local" {
    inline = ["echo 1"]
  }

  error-cleanup-provisioner "shell-local" {
    inline = ["echo 2"]
  }
}
