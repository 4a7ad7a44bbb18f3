build {
  provisoner "shell" {
  }
}
