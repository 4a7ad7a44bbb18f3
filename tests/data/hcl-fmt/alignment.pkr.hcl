locals {
a=1 # c1
  bbb = "x"   // c2
   cc={
  k=1
      kk = [1,2,
  3]
  }
  /* block comment */ r = 2
  tt = [
    "a",   # one
    "bbbb", # two
  ]
  uuuu = {a=1,b=2}
}



variable "x" {
  type = list( string )
  default = [ ]
}
build {
  sources = [ "source.a.b" ]
  provisioner "shell" { inline = [ "echo hi" ] }
}
