variable "dns" {
  type    = list
  default = []
}
