source "null" "x" {
}

source "null" "x" {
}
