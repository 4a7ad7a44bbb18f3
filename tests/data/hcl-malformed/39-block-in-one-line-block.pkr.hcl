source "null" "x" { inner {} }
