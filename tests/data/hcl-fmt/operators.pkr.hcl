a = !b
c = x.0.y
d = x[*]
e = 1e5+2.5E-3
f = {
  "quoted key" = 1
  plain        = 2
}
g = a&&b||c
h = a<=b
i = a >= b != c
k = foo()
l = foo(
)
m = { for k in x : k => k if k != "" }
n = a   ?   b   :   c
o = "a" == "b"
p = ["a",
  "b",
]
q = [
  [1, 2],
  [3,
  4],
]
r = {
  a = {
    b = 1
    }
  }
s = x.y[0].z
block "a" "b" {
  inner { x = 1 }
  another {}
}
   # comment at odd indent
