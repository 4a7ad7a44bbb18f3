locals {
  a = "foo
  b = "bar"
}
