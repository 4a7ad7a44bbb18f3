#!/bin/sh
# bench/hcl.sh — kiln against Packer 1.6.6 on `validate -syntax-only` and `fmt -check`, over every
# template in ../shared/corpus/packer-templates/, both measured in the same run on the same files.
# Prints, per file and command, kiln's and Packer's mean wall time per run and the ratio, then the
# median ratio and kiln's slowest file. Goal: kiln at least 20x faster per file and under 5 ms.
# The last lines, "RESULT bench=hcl ...", are the same figures for bench/run-all (bench/README.md).
#
#   bench/hcl.sh                       (uses ./build/kiln; KILN=... to choose another binary)
#   BENCH_KILN_RUNS=20 BENCH_PACKER_RUNS=3 BENCH_FILES=10 bench/hcl.sh
#
# Each figure is the mean over BENCH_KILN_RUNS (default 20) / BENCH_PACKER_RUNS (default 3) runs;
# BENCH_FILES limits how many corpus files are used (default: all). The machine's cores are shared,
# so absolute times vary between runs; the ratio, measured side by side, much less.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
kiln=${KILN:-$top/build/kiln}
corpus=${BENCH_CORPUS:-$top/../shared/corpus/packer-templates}
kruns=${BENCH_KILN_RUNS:-20}
pruns=${BENCH_PACKER_RUNS:-3}
limit=${BENCH_FILES:-0}

[ -x "$kiln" ] || { echo "bench/hcl.sh: $kiln is not built (make in ./build)" >&2; exit 1; }
command -v packer >/dev/null || { echo "bench/hcl.sh: packer (1.6.6) is missing (scripts/install-deps)" >&2; exit 1; }
[ -d "$corpus" ] || { echo "bench/hcl.sh: no corpus at $corpus" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CHECKPOINT_DISABLE=1

now_ns() { date +%s%N; }

# mean_ms RUNS CMD... — mean wall time of RUNS runs of CMD (output discarded), in milliseconds
mean_ms() {
	runs=$1
	shift
	start=$(now_ns)
	i=0
	while [ "$i" -lt "$runs" ]; do
		"$@" >/dev/null 2>&1 || :
		i=$((i + 1))
	done
	end=$(now_ns)
	echo "$start $end $runs" | awk '{ printf "%.3f", ($2 - $1) / 1e6 / $3 }'
}

results="$work/results"
: >"$results"
: >"$work/result-lines"
printf '%-64s %-8s %10s %10s %8s\n' file command kiln_ms packer_ms ratio
n=0
for f in "$corpus"/*.pkr.hcl; do
	n=$((n + 1))
	[ "$limit" -gt 0 ] && [ "$n" -gt "$limit" ] && break
	name=$(basename "$f")
	cp "$f" "$work/t.pkr.hcl"
	for cmd in validate fmt; do
		if [ "$cmd" = validate ]; then
			k=$(mean_ms "$kruns" "$kiln" validate -syntax-only "$work/t.pkr.hcl")
			p=$(mean_ms "$pruns" packer validate -syntax-only "$work/t.pkr.hcl")
		else
			k=$(mean_ms "$kruns" "$kiln" fmt -check "$work/t.pkr.hcl")
			p=$(mean_ms "$pruns" packer fmt -check "$work/t.pkr.hcl")
		fi
		ratio=$(echo "$p $k" | awk '{ printf "%.1f", ($2 > 0) ? $1 / $2 : 0 }')
		printf '%-64.64s %-8s %10s %10s %7sx\n' "$name" "$cmd" "$k" "$p" "$ratio"
		echo "$cmd $k $p $ratio" >>"$results"
	done
done

echo
for cmd in validate fmt; do
	grep "^$cmd " "$results" | awk -v cmd="$cmd" -v out="$work/result-lines" '
		{ k[NR] = $2; p[NR] = $3; r[NR] = $4; if ($2 > kmax) kmax = $2; if ($3 > pmax) pmax = $3
		  if ($4 >= 20) fast++; if ($2 < 5) quick++ }
		END {
			n = NR
			# medians by a simple sort
			for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) {
				if (r[j] < r[i]) { t = r[i]; r[i] = r[j]; r[j] = t }
				if (k[j] < k[i]) { t = k[i]; k[i] = k[j]; k[j] = t }
				if (p[j] < p[i]) { t = p[i]; p[i] = p[j]; p[j] = t }
			}
			m = int((n + 1) / 2)
			printf "%-8s files=%d  median ratio=%.1fx  median kiln=%.2f ms  slowest kiln=%.2f ms  >=20x: %d/%d  <5 ms: %d/%d\n",
				cmd, n, r[m], k[m], kmax, fast + 0, n, quick + 0, n
			what = (cmd == "validate") ? "validate -syntax-only" : "fmt -check"
			# machine-readable results (bench/README.md): the speed-up, then the slowest file
			printf "RESULT bench=hcl measure=\"%s: time per file (median of %d files)\" unit=ms kiln=%.2f peer=packer peer_value=%.2f ratio=%.1f goal=\">=20x on every file\" met=%s files=%d files_met=%d\n",
				what, n, k[m], p[m], r[m], (fast == n) ? "yes" : "no", n, fast + 0 >>out
			printf "RESULT bench=hcl measure=\"%s: slowest file\" unit=ms kiln=%.2f peer=packer peer_value=%.2f ratio=- goal=\"kiln <5 ms on every file\" met=%s files=%d files_met=%d\n",
				what, kmax, pmax, (quick == n) ? "yes" : "no", n, quick + 0 >>out
		}'
done
# the RESULT lines last, after the human summary
cat "$work/result-lines"
