source "null" {
}
