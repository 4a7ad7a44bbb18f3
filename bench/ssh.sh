#!/bin/sh
# bench/ssh.sh — uploading one 100 MiB file over SSH on loopback: kiln (`kiln build` with the null
# builder and a file provisioner, i.e. kiln's SFTP client on libssh) against OpenSSH's `scp` and `sftp`,
# all three against the same private sshd (tests/lib/sshd.sh), same key, same cipher negotiation, in
# the same run, taking turns. Each figure is the median wall time of BENCH_ROUNDS runs of the whole
# command (connect, log in, transfer, close), so every tool pays its own start-up.
#
#   bench/ssh.sh                     (needs root for the test user, and ./build/kiln)
#   BENCH_ROUNDS=7 BENCH_MIB=200 bench/ssh.sh
#
# Prints MB/s per tool and kiln's ratio to each; goal: kiln >= 0.8x of both. The last lines,
# "RESULT bench=ssh ...", are the same figures for bench/run-all (bench/README.md).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
export KILN_SRCDIR="$top"
kiln=${KILN:-$top/build/kiln}
rounds=${BENCH_ROUNDS:-5}
mib=${BENCH_MIB:-100}

[ -x "$kiln" ] || { echo "bench/ssh.sh: $kiln is not built (make in ./build)" >&2; exit 1; }
for p in scp sftp /usr/sbin/sshd python3; do
	command -v "$p" >/dev/null 2>&1 || { echo "bench/ssh.sh: $p is missing (scripts/install-deps)" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "bench/ssh.sh: needs root (sshd serves a user made for the run)" >&2; exit 1; }

TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kiln-bench-ssh.XXXXXX")
SSHD_ATEXIT=$TEST_DIR/.atexit
: >"$SSHD_ATEXIT"
export TEST_DIR SSHD_ATEXIT
trap 'set +e; (. "$SSHD_ATEXIT") >/dev/null 2>&1; rm -rf "$TEST_DIR"' EXIT
trap 'exit 130' INT TERM
test_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
. "$top/tests/lib/sshd.sh"
# The whole bench runs as one user, so the stale-user cleanup must see this shell alive: it is.
sshd_setup >/dev/null
sshd_start

cd "$TEST_DIR"
head -c $((mib * 1048576)) /dev/urandom >payload
bytes=$(stat -c %s payload)
ssh_opts="-q -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -i $SSHD_KEY"
cat >upload.pkr.hcl <<HCL
source "null" "bench" {
  ssh_host             = "127.0.0.1"
  ssh_port             = $SSHD_PORT
  ssh_username         = "$SSHD_USER"
  ssh_private_key_file = "$SSHD_KEY"
}
build {
  sources = ["source.null.bench"]
  provisioner "file" {
    source      = "payload"
    destination = "$SSHD_HOME/by-kiln"
  }
}
HCL
printf 'put payload %s/by-sftp\n' "$SSHD_HOME" >sftp.batch

now_ns() { date +%s%N; }
# time_ms CMD...: wall time of CMD in ms; its output goes to run.log, a failure ends the bench
time_ms() {
	t0=$(now_ns)
	"$@" >run.log 2>&1 || { echo "bench/ssh.sh: failed: $*" >&2; cat run.log >&2; exit 1; }
	echo $((($(now_ns) - t0) / 1000000))
}
median() {
	sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : int((v[NR/2] + v[NR/2+1]) / 2)}'
}

: >kiln.ms
: >scp.ms
: >sftp.ms
i=0
while [ $i -lt "$rounds" ]; do
	time_ms "$kiln" build -color=false upload.pkr.hcl >>kiln.ms
	time_ms scp $ssh_opts -P "$SSHD_PORT" payload "$SSHD_USER@127.0.0.1:$SSHD_HOME/by-scp" >>scp.ms
	time_ms sftp $ssh_opts -P "$SSHD_PORT" -b sftp.batch "$SSHD_USER@127.0.0.1" >>sftp.ms
	i=$((i + 1))
done
for f in by-kiln by-scp by-sftp; do
	cmp -s payload "$SSHD_HOME/$f" || { echo "bench/ssh.sh: $f differs from what was sent" >&2; exit 1; }
done

k=$(median <kiln.ms)
s=$(median <scp.ms)
f=$(median <sftp.ms)
mbs() { awk -v b="$bytes" -v ms="$1" 'BEGIN {printf "%.1f", b / 1e6 / (ms / 1000)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b / a}'; }
echo "bench/ssh.sh: upload of $mib MiB to a loopback sshd, median of $rounds runs per tool (whole command)"
printf '  %-24s %6s ms  %7s MB/s\n' "kiln (libssh SFTP)" "$k" "$(mbs "$k")"
printf '  %-24s %6s ms  %7s MB/s\n' "OpenSSH scp" "$s" "$(mbs "$s")"
printf '  %-24s %6s ms  %7s MB/s\n' "OpenSSH sftp" "$f" "$(mbs "$f")"
printf '  kiln/scp  throughput ratio: %sx (goal >= 0.8x)\n' "$(ratio "$k" "$s")"
printf '  kiln/sftp throughput ratio: %sx (goal >= 0.8x)\n' "$(ratio "$k" "$f")"
# machine-readable (bench/README.md): throughput in MB/s, kiln/peer ratios
met() { awk -v r="$1" 'BEGIN {print (r >= 0.8) ? "yes" : "no"}'; }
for peer in scp sftp; do
	if [ $peer = scp ]; then p=$s; else p=$f; fi
	echo "RESULT bench=ssh measure=\"upload $mib MiB: throughput\" unit=MB/s kiln=$(mbs "$k") peer=$peer" \
		"peer_value=$(mbs "$p") ratio=$(ratio "$k" "$p") goal=\">=0.8x\" met=$(met "$(ratio "$k" "$p")")" \
		"kiln_ms=$k peer_ms=$p rounds=$rounds"
done
