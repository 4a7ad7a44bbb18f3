variable "iso_url" {
  type = string
}
