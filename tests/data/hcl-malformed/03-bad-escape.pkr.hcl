locals {
  a = "C:\\ok \\q \q"
}
