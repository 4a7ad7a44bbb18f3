x {
  y = <<EOF
  ${a}
EOF
  z = 1
}
w = [
  <<EOF
hi
EOF
  ,
]
d = <<-EOT
      indented ${var.x}
        more
      EOT
s = <<EOT
no indent
EOT
a = <<-EOF
    x
    EOF
b = 1
c {
  d = <<EOF
y
  EOF
  eee = 2
}
