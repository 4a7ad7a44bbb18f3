source "null" "x" {
}

build {
  sources = ["source.null.x"]

  provisioner "ansibel" {
  }
}
