locals {
  a = "x"
  b = local.c
}
