source "null" "x" {
  ssh_port = "twenty-two"
}
