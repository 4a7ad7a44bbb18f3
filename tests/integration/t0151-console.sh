#!/bin/sh
# t0151-console — kiln console beyond the differential cases: a template's variables, locals and path
# values (with -var precedence and sensitive masking), the `variables` and `help` commands, and the
# functions kiln answers with its own error (services it does not reach, templatefile recursion).
. "$KILN_SRCDIR/tests/lib/test-lib.sh"

cat >t.pkr.hcl <<'EOT'
variable "name" {
  type    = string
  default = "world"
}
variable "secret" {
  type      = string
  default   = "hunter2"
  sensitive = true
}
locals {
  greeting = "hello ${var.name}"
  items    = [for s in ["a", "b"] : upper(s)]
}
source "null" "x" {
  communicator = "none"
}
build {
  sources = ["source.null.x"]
}
EOT

test_expect_success 'a template gives var, local and path' '
	printf "%s\n" "var.name" "local.greeting" "local.items" "path.root" "build" >in &&
	"$KILN" console t.pkr.hcl <in >out &&
	printf "%s\n" world "hello world" "[" "  \"A\"," "  \"B\"," "]" . "<unknown>" >want &&
	test_cmp want out
'

test_expect_success '-var overrides the default' '
	printf "%s\n" "local.greeting" >in &&
	"$KILN" console -var name=kiln t.pkr.hcl <in >out &&
	printf "hello kiln\n" >want &&
	test_cmp want out
'

test_expect_success 'an undeclared -var is an error' '
	printf "1\n" >in &&
	test_expect_code 1 "$KILN" console -var nope=1 t.pkr.hcl <in >out 2>err &&
	test_grep -i "undeclared\|not declared\|undefined" err
'

test_expect_success 'sensitive values print as <sensitive>, also through functions' '
	printf "%s\n" "var.secret" "upper(var.secret)" "[var.secret]" "variables" >in &&
	"$KILN" console t.pkr.hcl <in >out &&
	! grep -q hunter2 out &&
	! grep -q HUNTER2 out &&
	test "$(grep -c "<sensitive>" out)" -ge 4
'

test_expect_success 'help and exit' '
	printf "%s\n" help exit "1" >in &&
	"$KILN" console <in >out &&
	test_grep "^Packer console HCL2 Mode.\$" out &&
	! grep -q "^1\$" out
'

for fn in 'vault("/secret/data/x", "k")|HashiCorp Vault' 'consul_key("k")|HashiCorp Consul' 'aws_secretsmanager("s", "k")|AWS Secrets Manager'; do
	expr=${fn%%|*}
	service=${fn#*|}
	test_expect_success "$expr: a clear error, no network" "
		printf '%s\n' '$expr' >in &&
		test_expect_code 1 \"\$KILN\" console <in >out &&
		test_grep 'Error: Error in function call' out &&
		tr '\n' ' ' <out >flat &&
		test_grep 'kiln does not reach $service' flat
	"
done

test_expect_success 'templatefile cannot call itself' '
	printf "%s" "\${templatefile(\"self.tftpl\", {})}" >self.tftpl &&
	printf "%s\n" "templatefile(\"self.tftpl\", {})" >in &&
	test_expect_code 1 "$KILN" console <in >out &&
	tr "\n" " " <out >flat &&
	test_grep "cannot recursively call templatefile" flat
'

test_expect_success 'templatefile renders with its variables and functions' '
	printf "%s\n" "%{ for x in xs ~}" "\${upper(x)}" "%{ endfor ~}" >list.tftpl &&
	printf "%s\n" "templatefile(\"list.tftpl\", {xs = [\"a\", \"b\"]})" >in &&
	"$KILN" console <in >out &&
	printf "A\nB\n\n" >want &&
	test_cmp want out
'

# On a terminal (script(1) gives the console one) lines are read with libedit from the module; if the
# module cannot be loaded the console says so once and reads plain lines, still with a prompt.
test_expect_success 'on a terminal: a prompt, and the line editor from the module' '
	printf "%s\n" "upper(\"tty\")" exit | script -qec "$KILN console" /dev/null >out &&
	tr -d "\r" <out >clean &&
	test_grep "^> upper" clean &&
	test_grep "^TTY$" clean &&
	! test_grep "no line editing" clean
'

test_expect_success 'on a terminal without the module: said once, lines still evaluated' '
	printf "%s\n" "upper(\"tty\")" exit |
		KILN_COMPONENTS=/nonexistent/kiln-components.so script -qec "$KILN console" /dev/null >out &&
	tr -d "\r" <out >clean &&
	test_grep "no line editing: .*kiln-components.so" clean &&
	test "$(grep -c "no line editing" clean)" = 1 &&
	test_grep "TTY$" clean
'

test_done
