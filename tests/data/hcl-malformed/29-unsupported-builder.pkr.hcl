source "amazon-ebs" "x" {
}

build {
  sources = ["source.amazon-ebs.x"]
}
