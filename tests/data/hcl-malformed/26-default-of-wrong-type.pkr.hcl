variable "cpus" {
  type    = number
  default = "four"
}
