source "null" "x" {
  dynamic "ssh_ciphers" {
    for_each = []
  }
}
