#!/bin/sh
# bench/plugin.sh — what running a component as a plugin costs.
#
# 1. Uploading one 100 MiB file to a loopback sshd (tests/lib/sshd.sh) with `kiln build` and the null
#    builder, whole command: through a plugin provisioner (tests/helpers/kiln-plugin-fixture, on the C
#    SDK: it passes kiln the file's descriptor, kiln sends it with its own SFTP client) against kiln's
#    built-in `file` provisioner, in the same run, taking turns. Goal: the plugin's throughput >= 0.9x
#    the built-in's.
# 2. Starting a plugin and shaking hands with it (tests/helpers/plugin-handshake: fork, exec, socket
#    pair, handshake, as kiln does it), with the C SDK's fixture and the Python example plugin. Goal:
#    under 20 ms (the C plugin; the Python one is shown for information: its interpreter's start-up).
#
#   bench/plugin.sh                      (needs root for the test user, and ./build built with `make check`'s
#                                         helpers: make -C build tests/helpers/kiln-plugin-fixture tests/helpers/plugin-handshake)
#   BENCH_ROUNDS=7 BENCH_MIB=200 BENCH_HANDSHAKES=100 bench/plugin.sh
#
# The last lines, "RESULT bench=plugin ...", are the same figures for bench/run-all (bench/README.md).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${KILN_BUILDDIR:-$top/build}
export KILN_SRCDIR="$top" KILN_BUILDDIR="$build"
kiln=${KILN:-$build/kiln}
rounds=${BENCH_ROUNDS:-5}
mib=${BENCH_MIB:-100}
handshakes=${BENCH_HANDSHAKES:-50}
fixture=$build/tests/helpers/kiln-plugin-fixture
handshake=$build/tests/helpers/plugin-handshake

[ -x "$kiln" ] || { echo "bench/plugin.sh: $kiln is not built (make in ./build)" >&2; exit 1; }
if [ ! -x "$fixture" ] || [ ! -x "$handshake" ]; then
	make -C "$build" tests/helpers/kiln-plugin-fixture tests/helpers/plugin-handshake >/dev/null ||
		{ echo "bench/plugin.sh: cannot build the plugin helpers in $build" >&2; exit 1; }
fi
for p in /usr/sbin/sshd python3 /usr/bin/python3; do
	command -v "$p" >/dev/null 2>&1 || { echo "bench/plugin.sh: $p is missing (scripts/install-deps)" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "bench/plugin.sh: needs root (sshd serves a user made for the run)" >&2; exit 1; }

TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kiln-bench-plugin.XXXXXX")
SSHD_ATEXIT=$TEST_DIR/.atexit
: >"$SSHD_ATEXIT"
export TEST_DIR SSHD_ATEXIT
trap 'set +e; (. "$SSHD_ATEXIT") >/dev/null 2>&1; rm -rf "$TEST_DIR"' EXIT
trap 'exit 130' INT TERM
test_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
. "$top/tests/lib/sshd.sh"
sshd_setup >/dev/null
sshd_start

cd "$TEST_DIR"
KILN_PLUGIN_PATH=$TEST_DIR/plugins
export KILN_PLUGIN_PATH
"$kiln" plugins install -path "$fixture" github.com/kiln-tests/fixture >/dev/null
head -c $((mib * 1048576)) /dev/urandom >payload
bytes=$(stat -c %s payload)
source_block() {
	cat <<-HCL
	source "null" "bench" {
	  ssh_host             = "127.0.0.1"
	  ssh_port             = $SSHD_PORT
	  ssh_username         = "$SSHD_USER"
	  ssh_private_key_file = "$SSHD_KEY"
	}
	HCL
}
mkdir builtin plugin
{ source_block; cat <<-HCL; } >builtin/upload.pkr.hcl
build {
  sources = ["source.null.bench"]
  provisioner "file" {
    source      = "payload"
    destination = "$SSHD_HOME/by-file"
  }
}
HCL
{ source_block; cat <<-HCL; } >plugin/upload.pkr.hcl
packer {
  required_plugins {
    fixture = { source = "github.com/kiln-tests/fixture" }
  }
}
build {
  sources = ["source.null.bench"]
  provisioner "fixture" {
    file        = "payload"
    destination = "$SSHD_HOME/by-plugin"
  }
}
HCL
KILN_PLUGIN_MIRROR=/nonexistent "$kiln" init plugin >/dev/null

now_ns() { date +%s%N; }
time_ms() {
	t0=$(now_ns)
	"$@" >run.log 2>&1 || { echo "bench/plugin.sh: failed: $*" >&2; cat run.log >&2; exit 1; }
	echo $((($(now_ns) - t0) / 1000000))
}
median() {
	sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : int((v[NR/2] + v[NR/2+1]) / 2)}'
}

: >builtin.ms
: >plugin.ms
i=0
while [ $i -lt "$rounds" ]; do
	# taking turns, each going first every other round (the second upload of a round finds the
	# first one's 100 MiB still being written back)
	if [ $((i % 2)) -eq 0 ]; then
		time_ms "$kiln" build -color=false builtin/upload.pkr.hcl >>builtin.ms
		time_ms "$kiln" build -color=false plugin/upload.pkr.hcl >>plugin.ms
	else
		time_ms "$kiln" build -color=false plugin/upload.pkr.hcl >>plugin.ms
		time_ms "$kiln" build -color=false builtin/upload.pkr.hcl >>builtin.ms
	fi
	i=$((i + 1))
done
for f in by-file by-plugin; do
	cmp -s payload "$SSHD_HOME/$f" || { echo "bench/plugin.sh: $f differs from what was sent" >&2; exit 1; }
done
b=$(median <builtin.ms)
p=$(median <plugin.ms)

# start and handshake: the C fixture, and the Python example (packed as the tests pack it)
"$handshake" "$fixture" "$handshakes" >hs-c.txt
c_us=$(sed -n 's/^median_us=//p' hs-c.txt)
# what any child process costs on this machine at this moment: fork, exec and exit of /bin/true
"$handshake" -spawn /bin/true "$handshakes" >hs-true.txt
true_us=$(sed -n 's/^median_us=//p' hs-true.txt)
py_us=-
if mkdir pyex && cp "$top/src/plugin/python/kiln_plugin.py" "$top/docs/examples/plugins/python/pyhello/__main__.py" pyex/ &&
	/usr/bin/python3 -m zipapp pyex -p /usr/bin/python3 -o kiln-plugin-pyhello; then
	"$handshake" "$TEST_DIR/kiln-plugin-pyhello" "$(( (handshakes + 4) / 5 ))" >hs-py.txt
	py_us=$(sed -n 's/^median_us=//p' hs-py.txt)
fi

mbs() { awk -v b="$bytes" -v ms="$1" 'BEGIN {printf "%.1f", b / 1e6 / (ms / 1000)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b / a}'; }
ms_of() { [ "$1" = - ] && echo - || awk -v u="$1" 'BEGIN {printf "%.2f", u / 1000}'; }
r=$(ratio "$p" "$b")
echo "bench/plugin.sh: upload of $mib MiB to a loopback sshd, median of $rounds runs each (whole kiln build)"
printf '  %-34s %6s ms  %7s MB/s\n' "built-in file provisioner" "$b" "$(mbs "$b")"
printf '  %-34s %6s ms  %7s MB/s\n' "plugin provisioner (C SDK)" "$p" "$(mbs "$p")"
printf '  plugin/built-in throughput ratio: %sx (goal >= 0.9x)\n' "$r"
echo "bench/plugin.sh: start and handshake, median of $handshakes (C) and $(( (handshakes + 4) / 5 )) (Python) runs"
printf '  C SDK fixture:      %s ms (goal < 20 ms)\n' "$(ms_of "$c_us")"
printf '  /bin/true:          %s ms (fork, exec and exit alone, for comparison)\n' "$(ms_of "$true_us")"
printf '  Python example:     %s ms (for information)\n' "$(ms_of "$py_us")"
echo "RESULT bench=plugin measure=\"upload $mib MiB through a plugin: throughput\" unit=MB/s kiln=$(mbs "$p") peer=file" \
	"peer_value=$(mbs "$b") ratio=$r goal=\">=0.9x\" met=$(awk -v r="$r" 'BEGIN {print (r >= 0.9) ? "yes" : "no"}')" \
	"kiln_ms=$p peer_ms=$b rounds=$rounds"
echo "RESULT bench=plugin measure=\"start and handshake (C SDK)\" unit=ms kiln=$(ms_of "$c_us") peer=/bin/true" \
	"peer_value=$(ms_of "$true_us") ratio=$(ratio "$true_us" "$c_us") goal=\"<20 ms\" met=$(awk -v u="$c_us" 'BEGIN {print (u < 20000) ? "yes" : "no"}') runs=$handshakes"
echo "RESULT bench=plugin measure=\"start and handshake (Python SDK)\" unit=ms kiln=$(ms_of "$py_us") peer=- peer_value=-" \
	"ratio=- goal=- met=- runs=$(( (handshakes + 4) / 5 ))"
