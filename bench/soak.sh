#!/bin/sh
# bench/soak.sh — many builds in a row: one `kiln build -parallel-builds=2` of 50 tiny-image builds
# (busybox + dropbear under TCG: boot, a shell provisioner, shutdown, sanitize; each its own output
# directory), then what a long run shows and a short one does not: builds that failed (goal: none),
# anything left behind afterwards (goal: nothing — tests/lib/audit.sh's check: domains, volumes,
# processes, listening ports, temporary files, half-written outputs, plus kiln's own temporary roots and
# the output directories' locks), and the spread of the build times (each build's own "finished after").
# No peer: the goals are absolute (bench/README.md).
#
#   bench/soak.sh
#   BENCH_SOAK_BUILDS=10 BENCH_SOAK_PARALLEL=2 bench/soak.sh     a shorter soak
#   BENCH_KEEP=1 bench/soak.sh                                   keep the scratch directory
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${KILN_BUILDDIR:-$top/build}
KILN=${KILN:-$build/kiln}
builds=${BENCH_SOAK_BUILDS:-50}
parallel=${BENCH_SOAK_PARALLEL:-2}
[ -x "$KILN" ] || { echo "bench/soak.sh: $KILN is missing (build kiln first)" >&2; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "bench/soak.sh: python3 is missing" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench/soak.sh: needs root (libvirt's qemu:///system)" >&2; exit 1; }

# the audit helper scopes everything to TEST_DIR: the soak's scratch directory is one
KILN_SRCDIR=$top
TEST_DIR=$(mktemp -d "${TMPDIR:-/var/tmp}/kiln-bench-soak.XXXXXX")
export KILN_SRCDIR TEST_DIR
kiln_pid=
cleanup() {
	if [ -n "$kiln_pid" ]; then
		kill "$kiln_pid" 2>/dev/null
		wait "$kiln_pid" 2>/dev/null
	fi
	if [ -z "${BENCH_KEEP:-}" ]; then rm -rf "$TEST_DIR"; else echo "bench/soak.sh: kept $TEST_DIR" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
. "$top/tests/lib/audit.sh"

tiny=$("$top/tests/fixtures/mk-tiny-image")
key=$("$top/tests/fixtures/mk-test-key")
mkdir -p "$TEST_DIR/tmp" "$TEST_DIR/cache"
TMPDIR=$TEST_DIR/tmp
KILN_CACHE_DIR=$TEST_DIR/cache
export TMPDIR KILN_CACHE_DIR

tpl=$TEST_DIR/soak.pkr.hcl
i=1
sources=
while [ "$i" -le "$builds" ]; do
	cat >>"$tpl" <<-EOF
	source "qemu" "s$i" {
	  iso_url              = "$tiny"
	  iso_checksum         = "none"
	  disk_image           = true
	  use_backing_file     = true
	  accelerator          = "tcg"
	  memory               = 256
	  ssh_username         = "root"
	  ssh_private_key_file = "$key"
	  shutdown_command     = "poweroff"
	  output_directory     = "$TEST_DIR/out/s$i"
	}
	EOF
	sources="$sources${sources:+, }\"source.qemu.s$i\""
	i=$((i + 1))
done
cat >>"$tpl" <<-EOF
build {
  sources = [$sources]
  provisioner "shell" { inline = ["echo soak > /root/soak", "sync"] }
}
EOF

echo "bench/soak.sh: $builds tiny builds, -parallel-builds=$parallel (scratch: $TEST_DIR)" >&2
t0=$(date +%s)
rc=0
"$KILN" build -parallel-builds="$parallel" "$tpl" >"$TEST_DIR/build.out" 2>&1 </dev/null &
kiln_pid=$!
wait "$kiln_pid" || rc=$?
kiln_pid=
wall=$(($(date +%s) - t0))
echo "bench/soak.sh: kiln exited $rc after $wall s" >&2

# what is left: the audit, and the soak's own outputs checked whole
audit_test 2>"$TEST_DIR/audit.out" || :
for d in "$TEST_DIR"/out/*; do
	[ -d "$d" ] || continue
	n=${d##*/}
	grep -q "^Build 'qemu.$n' finished" "$TEST_DIR/build.out" || continue
	qemu-img check -q "$d/packer-$n" 2>/dev/null || echo "  output of the finished build $n does not check" >>"$TEST_DIR/audit.out"
done

python3 - "$TEST_DIR/build.out" "$TEST_DIR/audit.out" "$builds" "$parallel" "$wall" "$rc" <<'PY'
import re, statistics, sys

out, audit, builds, parallel, wall, rc = sys.argv[1:]
builds, parallel = int(builds), int(parallel)
text = open(out, errors="replace").read()
UNITS = {"hour": 3600, "hours": 3600, "minute": 60, "minutes": 60, "second": 1, "seconds": 1,
         "millisecond": 1e-3, "milliseconds": 1e-3, "microsecond": 1e-6, "microseconds": 1e-6}

def seconds(words):
    return sum(float(n) * UNITS[u] for n, u in re.findall(r"(\d+(?:\.\d+)?) (\w+)", words) if u in UNITS)

times = [seconds(m.group(2)) for m in re.finditer(r"^Build '([^']+)' finished after (.*?)\.$", text, re.M)]
errored = re.findall(r"^Build '([^']+)' errored after", text, re.M)
failed = builds - len(times)
left = [l.strip() for l in open(audit, errors="replace") if l.strip() and not l.startswith("audit:")]
what = "%d tiny builds, -parallel-builds=%d" % (builds, parallel)

def result(measure, unit, kiln, goal="-", met="-", **extra):
    tail = "".join(' %s="%s"' % (k, v) for k, v in extra.items())
    print('RESULT bench=soak measure="%s" unit=%s kiln=%s peer=- peer_value=- ratio=- goal="%s" met=%s%s'
          % (measure, unit, kiln, goal, met, tail))

for name in errored[:5]:
    m = re.search(r"^--> %s: (.*)$" % re.escape(name), text, re.M)
    print("bench/soak.sh: %s failed: %s" % (name, m.group(1) if m else "?"))
for l in left[:10]:
    print("bench/soak.sh: left behind: %s" % l)
result("%s: builds that failed" % what, "builds", failed, "none", "yes" if failed == 0 else "no",
       **({"note": "kiln exited %s" % rc} if rc != "0" else {}))
result("%s: left behind afterwards" % what, "items", len(left), "nothing", "yes" if not left else "no")
if times:
    times.sort()
    med = statistics.median(times)
    p10 = times[max(0, int(round(0.1 * (len(times) - 1))))]
    p90 = times[int(round(0.9 * (len(times) - 1)))]
    result("%s: build time (min / median / p90 / max)" % what, "s",
           "%.1f/%.1f/%.1f/%.1f" % (times[0], med, p90, times[-1]), rounds=len(times))
    result("%s: build time spread (p90 / p10)" % what, "x", "%.2f" % (p90 / p10 if p10 else 0),
           note="wall time of the whole run %s s" % wall)
else:
    print('RESULT bench=soak measure="%s: build time" status=failed reason="no build finished"' % what)
PY
