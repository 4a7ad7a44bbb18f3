source "null" "x" {
}

build {
  sources = ["source.null.x"]

  provisioner "shell" {
    only   = ["null.x"]
    except = ["null.x"]
    inline = ["true"]
  }
}
