source "null" "x" {
}

build {
  sources = ["null"]
}
