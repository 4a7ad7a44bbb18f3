source "file" "x" {
  contnt = "hello"
  target = "out.txt"
}
