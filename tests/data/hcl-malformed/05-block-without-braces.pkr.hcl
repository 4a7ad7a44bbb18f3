locals {
  foo "bar"
}
