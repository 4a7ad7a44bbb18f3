source "null" "x" {
}

build {
  sources = ["source.null.x"]

  provisioner "shell" {
    inline = "echo not a list"
  }
}
