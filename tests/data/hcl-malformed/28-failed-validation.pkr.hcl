variable "name" {
  default = "ab"
  validation {
    condition     = length(var.name) > 3
    error_message = "The name must be longer than three characters."
  }
}
