variable "region" {
  default = "eu"
}

locals {
  where = var.regoin
}
