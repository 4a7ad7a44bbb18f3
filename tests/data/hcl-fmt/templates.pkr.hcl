x = "${{a=1}}"
y = "%{for a in b}${a}%{endfor}"
z = "${a}${b}"
w = a ? -1 : -b
v = [-1, - 2]
u = 1 - -x
t = "${ x }-${y}"
s = "%{ if x }a%{ else }b%{ endif }"
r = "${a}%{if x}y%{endif}"
q = <<EOF
${a}%{if b}${c}%{endif}
EOF
