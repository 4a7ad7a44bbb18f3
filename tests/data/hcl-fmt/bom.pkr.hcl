variable "x" {
  default = 1
    description="with a byte order mark"
}
locals {
  a = 1
  bb = 2
}
