source "file" "x" {
  content = "hello"
  source  = "in.txt"
  target  = "out.txt"
}
