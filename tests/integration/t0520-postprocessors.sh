#!/bin/sh
# t0520-postprocessors — the post-processors through `kiln build` (null builder, no VM): a chain
# artifice -> checksum -> compress -> manifest and a lone shell-local; the files verify with standard
# tools; a second run refuses to overwrite without -force, and with -force starts the manifest over.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"

head -c 200000 /dev/urandom >app.data && echo "release notes" >notes.data || exit 1
# The files artifice picks up, fresh for each build: when a chain fails the engine drops the
# intermediate artifacts, and artifice's files with them.
sources() { cp app.data app.bin && cp notes.data notes.txt; }
cat >pp.pkr.hcl <<'EOF'
source "null" "app" {
  communicator = "none"
}
build {
  sources = ["source.null.app"]
  post-processors {
    post-processor "artifice" {
      files = ["app.bin", "notes.txt"]
    }
    post-processor "checksum" {
      checksum_types = ["sha256", "md5"]
      output         = "out/{{.BuildName}}.{{.ChecksumType}}"
    }
    post-processor "compress" {
      output              = "out/{{.BuildName}}.tar.xz"
      keep_input_artifact = true
    }
    post-processor "manifest" {
      output      = "out/manifest.json"
      strip_path  = true
      custom_data = { channel = "stable" }
    }
  }
  post-processor "shell-local" {
    inline = ["echo \"ran for $PACKER_BUILD_NAME\" >out/shell-local.txt"]
  }
}
EOF

test_expect_success 'kiln build runs the chain and the lone shell-local' '
	sources &&
	"$KILN" build pp.pkr.hcl >build.txt 2>&1 || { cat build.txt; false; } &&
	test_grep "Running post-processor:  (type checksum)" build.txt &&
	test_grep "Archive out/app.tar.xz completed" build.txt &&
	test_grep "ran for" out/shell-local.txt
'

test_expect_success 'checksum files verify with sha256sum and md5sum' '
	sources &&
	test $(wc -l <out/app.sha256) -eq 2 &&
	tr "\t" " " <out/app.sha256 | sed "s/ / */" >sums && sha256sum -c sums &&
	tr "\t" " " <out/app.md5 | sed "s/ / */" >sums && md5sum -c sums
'

# compress gets the checksum artifact: the files and their checksum files (Packer's chaining).
test_expect_success 'the tar.xz holds the files and their checksums, unchanged' '
	tar tJf out/app.tar.xz | sort >members &&
	printf "app.bin\napp.md5\napp.sha256\nnotes.txt\n" >want && test_cmp want members &&
	mkdir x && tar xJf out/app.tar.xz -C x && cmp x/app.bin app.data && cmp x/notes.txt notes.data &&
	cmp x/app.sha256 out/app.sha256
'

test_expect_success 'the manifest is Packer-shaped and records the archive with its sha256' '
	python3 -c "
import json, hashlib
m = json.load(open(\"out/manifest.json\"))
assert m[\"last_run_uuid\"] == m[\"builds\"][0][\"packer_run_uuid\"], m
b = m[\"builds\"][0]
assert b[\"name\"] == \"app\" and b[\"builder_type\"] == \"null\", b
assert b[\"custom_data\"] == {\"channel\": \"stable\"}, b
f = b[\"files\"]
assert [x[\"name\"] for x in f] == [\"app.tar.xz\"], f
assert f[0][\"sha256\"] == hashlib.sha256(open(\"out/app.tar.xz\", \"rb\").read()).hexdigest(), f
"
'

test_expect_success 'a second run does not overwrite the outputs without -force' '
	cp out/app.sha256 before && sources &&
	test_expect_code 1 "$KILN" build pp.pkr.hcl >again.txt 2>&1 &&
	test_grep "out/app.sha256 already exists" again.txt &&
	test_grep -- "-force" again.txt &&
	test_cmp before out/app.sha256
'

test_expect_success 'with -force the outputs are replaced and the manifest starts over' '
	sources &&
	"$KILN" build -force pp.pkr.hcl >forced.txt 2>&1 || { cat forced.txt; false; } &&
	test $(wc -l <out/app.sha256) -eq 2 &&
	python3 -c "
import json
m = json.load(open(\"out/manifest.json\"))
assert len(m[\"builds\"]) == 1, m
"
'

# Post-processor blocks are checked before the build starts (build.* unknown), as validate checks them,
# and evaluated again when their turn comes (they may use build.* values).
test_expect_success 'an unknown checksum type is an error naming the attribute' '
	sed "s/\"sha256\", \"md5\"/\"sha256\", \"crc32\"/" pp.pkr.hcl >bad.pkr.hcl && sources &&
	test_expect_code 1 "$KILN" build -force bad.pkr.hcl >bad.txt 2>&1 &&
	test_grep_text "checksum_types[1] = \"crc32\" is not one of: md5, sha1, sha224, sha256, sha384, sha512" bad.txt &&
	test_grep "on bad.pkr.hcl line 11" bad.txt &&
	test_grep "sha512" bad.txt
'

test_done
