a = foo(
  1,
  2
)
b = foo(1,
  2)
c = [
  for x in y :
  x
]
d = {
  (k) = 1
  "s" = 2
}
e = [for x in [1]: x]
f = {for k,v in x: k=>v...}
