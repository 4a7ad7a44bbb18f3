source "file" "x" {
  content = "hello"
}
