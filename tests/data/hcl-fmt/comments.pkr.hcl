a = "x"   
  # standalone comment
bb = 2
/* multi
  line */
ccc = 3
q = {
  a = 1 # x
  bbb = 2 # y
}
a2 = 1 /* c */
bb2 = 2
c2 = 3 /* x */ # y
