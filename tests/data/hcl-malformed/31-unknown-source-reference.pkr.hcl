source "null" "x" {
}

build {
  sources = ["source.null.y"]
}
