sorce "null" "x" {
}
