#!/bin/sh
# t0601-cli-packer-parity — what Packer users type and read, against Packer 1.6.6 (null builder,
# nothing boots): -machine-readable artifact lines (a post-processor that hands its input on lists it
# again: artifact-count 2 with a manifest), the "NAME: output will be in this color." lines on a
# terminal, -only and -except together, and -machine-readable on validate, inspect and version.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"

export CHECKPOINT_DISABLE=1

echo hello >a.txt
cat >t.pkr.hcl <<'EOF'
source "null" "a" {
  communicator = "none"
}
build {
  name    = "one"
  sources = ["source.null.a"]
}
build {
  name    = "two"
  sources = ["source.null.a"]
  post-processor "manifest" {
    output = "m2.json"
  }
}
build {
  name    = "three"
  sources = ["source.null.a"]
  post-processor "shell-local" {
    inline = ["true"]
  }
  post-processor "manifest" {
    output = "m3.json"
  }
}
build {
  name    = "four"
  sources = ["source.null.a"]
  post-processors {
    post-processor "artifice" {
      files = ["a.txt"]
    }
    post-processor "manifest" {
      output = "m4.json"
    }
    post-processor "checksum" {
      checksum_types = ["md5"]
      output         = "four.{{.ChecksumType}}"
    }
  }
}
build {
  name    = "five"
  sources = ["source.null.a"]
  post-processors {
    post-processor "artifice" {
      files               = ["a.txt"]
      keep_input_artifact = true
    }
    post-processor "shell-local" {
      inline              = ["true"]
      keep_input_artifact = false
    }
  }
}
EOF

# the artifact lines of a -machine-readable build, without their time stamps
artifact_lines() {
	sed -E 's/^[0-9]+,//' "$1" | grep -E "^[a-z]+\.null\.a,artifact" | sort
}

test_expect_success packer '-machine-readable artifact lines are Packer 1.6.6 lines (artifact-count 2 with a manifest)' '
	rm -f m*.json four.md5 &&
	packer build -machine-readable -parallel-builds=1 t.pkr.hcl >packer.out 2>&1 &&
	rm -f m*.json four.md5 &&
	"$KILN" build -machine-readable -parallel-builds=1 t.pkr.hcl >kiln.out 2>&1 &&
	artifact_lines packer.out >packer.art &&
	artifact_lines kiln.out >kiln.art &&
	test_cmp packer.art kiln.art &&
	test_grep -x "two.null.a,artifact-count,2" kiln.art &&
	test_grep -x "five.null.a,artifact-count,3" kiln.art
'

test_expect_success packer 'on a terminal each build first shows its colour, as Packer 1.6.6 does' '
	rm -f m*.json four.md5 &&
	script -qec "packer build -only=one.*,two.* t.pkr.hcl" /dev/null >packer.tty &&
	rm -f m*.json &&
	script -qec "\"$KILN\" build -only=one.*,two.* t.pkr.hcl" /dev/null >kiln.tty &&
	head -n 3 packer.tty >packer.head &&
	head -n 3 kiln.tty >kiln.head &&
	test_cmp packer.head kiln.head &&
	test_grep "one.null.a: output will be in this color." kiln.head
'

test_expect_success 'no colour, no colour line: piped, -color=false, NO_COLOR, -machine-readable' '
	rm -f m*.json &&
	"$KILN" build -only=one.* t.pkr.hcl >out 2>&1 &&
	! grep -q "output will be in this color" out &&
	script -qec "\"$KILN\" build -color=false -only=one.* t.pkr.hcl" /dev/null >out &&
	! grep -q "output will be in this color" out &&
	NO_COLOR=1 script -qec "\"$KILN\" build -only=one.* t.pkr.hcl" /dev/null >out &&
	! grep -q "output will be in this color" out &&
	script -qec "\"$KILN\" build -machine-readable -only=one.* t.pkr.hcl" /dev/null >out &&
	! grep -q "output will be in this color" out
'

test_expect_success packer '-only and -except together, as in Packer 1.6.6: builds by -only, post-processors by -except' '
	rm -f m*.json &&
	packer build -machine-readable -only=two.* -except=manifest t.pkr.hcl >packer.out 2>&1 &&
	"$KILN" build -machine-readable -only=two.* -except=manifest t.pkr.hcl >kiln.out 2>&1 &&
	artifact_lines packer.out >packer.art &&
	artifact_lines kiln.out >kiln.art &&
	test_cmp packer.art kiln.art &&
	test_grep -x "two.null.a,artifact-count,1" kiln.art &&
	! test -e m2.json
'

test_expect_success packer 'inspect -machine-readable says what Packer 1.6.6 says' '
	packer inspect -machine-readable t.pkr.hcl | sed -E "s/^[0-9]+,//" >packer.insp &&
	"$KILN" inspect -machine-readable t.pkr.hcl | sed -E "s/^[0-9]+,//" >kiln.insp &&
	test_cmp packer.insp kiln.insp &&
	test "$(wc -l <kiln.insp)" = 3 &&
	"$KILN" inspect t.pkr.hcl >kiln.txt && packer inspect t.pkr.hcl >packer.txt &&
	test_cmp packer.txt kiln.txt
'

test_expect_success packer 'version -machine-readable: Packer 1.6.6 lines, kiln version' '
	packer version -machine-readable | sed -E "s/^[0-9]+,//" | cut -d, -f1-3 >packer.ver &&
	"$KILN" version -machine-readable >kiln.raw &&
	sed -E "s/^[0-9]+,//" kiln.raw | cut -d, -f1-3 >kiln.ver &&
	sed -e "s/,version,.*/,version,V/" packer.ver >packer.shape &&
	sed -e "s/,version,.*/,version,V/" kiln.ver >kiln.shape &&
	test_cmp packer.shape kiln.shape &&
	test_grep -E "^[0-9]+,,version,[0-9]+\.[0-9]+\.[0-9]+$" kiln.raw &&
	test_grep -E "^[0-9]+,,ui,say,kiln v[0-9.]+$" kiln.raw
'

test_expect_success 'validate -machine-readable: ui,say when valid, all diagnostics in one ui,error line' '
	"$KILN" validate -machine-readable t.pkr.hcl >out &&
	test_grep -E "^[0-9]+,,ui,say,The configuration is valid.$" out &&
	test "$(wc -l <out)" = 1 &&
	"$KILN" validate -syntax-only -machine-readable t.pkr.hcl >out &&
	test_grep -E "^[0-9]+,,ui,say,Syntax-only check passed. Everything looks okay.$" out &&
	sed "s/output = \"m2.json\"/outptu = \"m2.json\"/; s/inline = \\[\"true\"\\]/inlin = [\"true\"]/" t.pkr.hcl >bad.pkr.hcl &&
	test_expect_code 1 "$KILN" validate -machine-readable bad.pkr.hcl >out 2>err &&
	test "$(wc -l <out)" = 1 &&
	! test -s err &&
	test_grep -E "^[0-9]+,,ui,error,Error: Unsupported argument\\\\n\\\\n  on bad.pkr.hcl line 12%!\(PACKER_COMMA\) in build:" out &&
	test_grep "outptu" out && test_grep "inlin" out
'

test_expect_success 'validate -evaluate-datasources is accepted' '
	"$KILN" validate -evaluate-datasources t.pkr.hcl >out &&
	test_grep "The configuration is valid." out
'

test_done
