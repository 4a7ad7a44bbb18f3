#!/bin/sh
# bench/farm.sh — build farms (docs/hosts.md): eight tiny-image builds over a pool of three libvirt
# daemons on this machine (the system one, local to kiln, and two unprivileged session daemons on
# 127.0.0.1 started with tests/lib/libvirtd.sh, remote to kiln), first with a cold image cache on the
# hosts, then a warm one; against the same eight builds run one URI at a time, the way a CI matrix runs
# Packer (and kiln without a pool): one build after the other, each template naming its host
# (libvirt_uri, in turn local, h2, h3), each uploading its base image to a remote host (the host's
# image cache is emptied before each, as a fresh CI job would find it).
#
# Printed: wall time of each of the three, bytes uploaded (libvirt streams, from kiln's log: every
# "libvirt: uploaded N bytes" line), and the scheduling overhead per build of the pool runs (kiln's
# `pool: scheduling overhead` log line: the first probe of the hosts shared among the builds, plus each
# placement decision). One machine's two cores bound the speed-up: every guest runs under TCG on the
# same CPUs, so the wall-time ratio is shown for information; the goal is on the overhead (< 0.2 s).
#
#   bench/farm.sh                     the three runs (~15 min on 2 busy cores)
#   BENCH_BUILDS=4 bench/farm.sh      fewer builds (a quick try)
#
# The last lines, "RESULT bench=farm ...", are for bench/run-all (bench/README.md).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=${KILN_BUILDDIR:-$top/build}
KILN=${KILN:-$build/kiln}
KILN_SRCDIR=$top
KILN_BUILDDIR=$build
builds=${BENCH_BUILDS:-8}
export KILN KILN_SRCDIR KILN_BUILDDIR

[ -x "$KILN" ] || { echo "bench/farm.sh: $KILN is missing (build kiln first)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench/farm.sh: run as root (it starts libvirt daemons as another user)" >&2; exit 1; }
virsh -c qemu:///system version >/dev/null 2>&1 || { echo "bench/farm.sh: qemu:///system does not answer" >&2; exit 1; }

# the test libraries: a scratch directory removed at exit, the fixtures, private libvirt daemons
TMPDIR=${TMPDIR:-/var/tmp}
export TMPDIR
. "$top/tests/lib/test-lib.sh" >/dev/null
. "$top/tests/lib/fixtures.sh"
. "$top/tests/lib/libvirtd.sh"
trap '_test_cleanup_all; exit 130' INT TERM
KILN_CACHE_DIR=$TEST_DIR/cache
XDG_CONFIG_HOME=$TEST_DIR/config
export KILN_CACHE_DIR XDG_CONFIG_HOME
unset KILN_HOSTS KILN_CONFIG

fail() {
	echo "bench/farm.sh: $*" >&2
	echo "RESULT bench=farm measure=\"$builds tiny builds over 3 hosts\" status=failed reason=\"$*\""
	exit 1
}

TINY=$(fixture_tiny_image) || fail "cannot build the tiny image"
KEY=$(fixture_tiny_key) || fail "cannot make the test key"

for h in h2 h3; do
	libvirtd_start_user "$h" || fail "cannot start the session daemon $h"
	uri=$(libvirtd_tcp_uri "$h")
	virsh -q -c "$uri" pool-define-as kiln dir --target "$(libvirtd_dir "$h")/pool" >/dev/null &&
		virsh -q -c "$uri" pool-start kiln >/dev/null || fail "cannot make the storage pool of $h"
done
H2=$(libvirtd_tcp_uri h2)
H3=$(libvirtd_tcp_uri h3)
mkdir -p config/kiln
cat >config/kiln/config.hcl <<EOF
host "local" {
  uri = "qemu:///system"
}
host "h2" {
  uri          = "$H2"
  storage_pool = "kiln"
}
host "h3" {
  uri          = "$H3"
  storage_pool = "kiln"
}
EOF

# template: one source, $builds builds of it; URI empty = no libvirt_uri (the pool places it)
source_block() {
	cat <<EOF
source "qemu" "tiny" {
  iso_url              = "$TINY"
  iso_checksum         = "none"
  disk_image           = true
  accelerator          = "tcg"
  sanitize             = false
  memory               = 256
  disk_size            = "256M"
  libvirt_pool         = "kiln"
  ssh_username         = "root"
  ssh_private_key_file = "$KEY"
  shutdown_command     = "poweroff"
$([ -n "${1:-}" ] && printf '  libvirt_uri          = "%s"\n' "$1")
}
EOF
}

{
	source_block
	echo 'build {'
	i=1
	while [ $i -le "$builds" ]; do
		printf '  source "source.qemu.tiny" {\n    name = "b%d"\n    output_directory = "${var.out}/b%d"\n  }\n' $i $i
		i=$((i + 1))
	done
	echo '  provisioner "shell" { inline = ["echo built > /root/where"] }'
	echo '}'
	echo 'variable "out" { default = "out" }'
} >pool.pkr.hcl

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
bytes_in() { sed -n 's/.*libvirt: uploaded \([0-9]*\) bytes.*/\1/p' "$1" | awk '{s += $1} END {print s + 0}'; }

clean_cache() {
	"$KILN" hosts -clean -cache -hosts="$1" >/dev/null 2>&1 || fail "kiln hosts -clean -cache failed on $1"
}

pool_run() { # NAME: build every build over the pool; sets wall, bytes, overhead
	log=$TEST_DIR/$1.log
	t0=$(now)
	KILN_LOG=1 KILN_LOG_PATH=$log "$KILN" build -var out="$TEST_DIR/$1" pool.pkr.hcl >"$1.out" 2>&1 ||
		{ tail -n 30 "$1.out" >&2; fail "the $1 pool run failed"; }
	wall=$(since "$t0")
	bytes=$(bytes_in "$log")
	overhead=$(sed -n 's/.*pool: scheduling overhead \([0-9.]*\) s per build.*/\1/p' "$log" | tail -n 1)
	[ -n "$overhead" ] || fail "no scheduling overhead line in the $1 run's log"
	echo "bench/farm.sh: $1: $builds builds in $wall s, $bytes bytes uploaded, overhead $overhead s per build;" \
		"hosts: $(sed -n 's/^Build .* on \([^ .]*\).*/\1/p' "$1.out" | sort | uniq -c | tr -s ' ' | paste -sd, -)"
}

echo "bench/farm.sh: $builds tiny builds; scratch directory $TEST_DIR"
clean_cache h2,h3
pool_run cold
cold_wall=$wall cold_bytes=$bytes cold_over=$overhead
pool_run warm
warm_wall=$wall warm_bytes=$bytes warm_over=$overhead

# one URI at a time
uris="qemu:///system $H2 $H3"
seq_log=$TEST_DIR/seq.log
: >"$seq_log"
t0=$(now)
i=1
while [ $i -le "$builds" ]; do
	uri=$(echo "$uris" | cut -d' ' -f$(( (i - 1) % 3 + 1 )))
	case $uri in qemu+tcp*) clean_cache "$uri" ;; esac
	{
		source_block "$uri"
		printf 'build {\n  source "source.qemu.tiny" {\n    name = "b%d"\n    output_directory = "%s/seq/b%d"\n  }\n' $i "$TEST_DIR" $i
		echo '  provisioner "shell" { inline = ["echo built > /root/where"] }'
		echo '}'
	} >seq.pkr.hcl
	KILN_LOG=1 KILN_LOG_PATH=$TEST_DIR/seq-$i.log "$KILN" build seq.pkr.hcl >seq-$i.out 2>&1 ||
		{ tail -n 30 seq-$i.out >&2; fail "sequential build $i on $uri failed"; }
	cat "$TEST_DIR/seq-$i.log" >>"$seq_log"
	i=$((i + 1))
done
seq_wall=$(since "$t0")
seq_bytes=$(bytes_in "$seq_log")
echo "bench/farm.sh: one URI at a time: $builds builds in $seq_wall s, $seq_bytes bytes uploaded"
clean_cache h2,h3

ratio() { echo "$1 $2" | awk '{ if ($2 > 0) printf "%.2f", $1 / $2; else print "-" }'; }
over=$(echo "$cold_over $warm_over" | awk '{print ($1 > $2) ? $1 : $2}')
met=$(echo "$over" | awk '{print ($1 < 0.2) ? "yes" : "no"}')
printf 'RESULT bench=farm measure="%s tiny builds over 3 hosts, cold cache: wall time" unit=s kiln=%.1f peer=sequential peer_value=%.1f ratio=%s goal=- met=-\n' \
	"$builds" "$cold_wall" "$seq_wall" "$(ratio "$cold_wall" "$seq_wall")"
printf 'RESULT bench=farm measure="%s tiny builds over 3 hosts, warm cache: wall time" unit=s kiln=%.1f peer=sequential peer_value=%.1f ratio=%s goal=- met=-\n' \
	"$builds" "$warm_wall" "$seq_wall" "$(ratio "$warm_wall" "$seq_wall")"
printf 'RESULT bench=farm measure="bytes uploaded, cold cache" unit=bytes kiln=%s peer=sequential peer_value=%s ratio=%s goal=- met=-\n' \
	"$cold_bytes" "$seq_bytes" "$(ratio "$cold_bytes" "$seq_bytes")"
printf 'RESULT bench=farm measure="bytes uploaded, warm cache" unit=bytes kiln=%s peer=sequential peer_value=%s ratio=%s goal=- met=-\n' \
	"$warm_bytes" "$seq_bytes" "$(ratio "$warm_bytes" "$seq_bytes")"
printf 'RESULT bench=farm measure="scheduling overhead per build" unit=s kiln=%s peer=- peer_value=- ratio=- goal="<0.2 s" met=%s note="cold %s s, warm %s s"\n' \
	"$over" "$met" "$cold_over" "$warm_over"
