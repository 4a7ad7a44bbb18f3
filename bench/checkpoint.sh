#!/bin/sh
# bench/checkpoint.sh — checkpointed builds (docs/checkpoints.md) on the Debian golden template
# (images/local-debian.pkr.hcl: three provisioners, the last one short) over the Debian test fixture,
# under TCG, in one run and one scratch store:
#   1. a plain build (no checkpoints): the reference;
#   2. a -cache build with an empty store: what taking a checkpoint after boot and after each
#      provisioner costs (goal: at most 1.1x the plain build);
#   3. the last provisioner edited, a -cache build again: it starts from the checkpoint after the
#      second provisioner, restoring the guest's memory (goal: at most 0.3x the plain build);
#   4. from that build's log: restoring the memory to a usable SSH session — checking the checkpoint's
#      files, libvirt's restore, the SSH login (goal: under 5 s).
# Every build sanitizes and exports as the template says. The peer of the first two rows is kiln's own
# plain build (Packer has no checkpoints: its rebuild is a full build).
#
#   bench/checkpoint.sh
#   BENCH_ROUNDS=2 bench/checkpoint.sh      the median of N rounds of the three builds
#   BENCH_KEEP=1 bench/checkpoint.sh        keep the scratch directory (templates, logs, store)
#
# The last lines, "RESULT bench=checkpoint ...", are for bench/run-all (bench/README.md).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${KILN_BUILDDIR:-$top/build}
kiln=${KILN:-$build/kiln}
rounds=${BENCH_ROUNDS:-1}
[ -x "$kiln" ] || { echo "bench/checkpoint.sh: $kiln is missing (build kiln first)" >&2; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "bench/checkpoint.sh: python3 is missing" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/var/tmp}/kiln-bench-checkpoint.XXXXXX")
cleanup() {
	for p in $(pgrep -f "qemu-system-x86_64.*$tmp" 2>/dev/null); do kill "$p" 2>/dev/null; done
	if [ -e "$tmp/.keep" ] || [ -n "${BENCH_KEEP:-}" ]; then
		echo "bench/checkpoint.sh: the templates, logs and store are kept in $tmp" >&2
	else
		XDG_CACHE_HOME=$tmp/xdg "$kiln" cache clear >/dev/null 2>&1 || :
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "bench/checkpoint.sh: the Debian fixture (built on first use)" >&2
debian=$("$top/tests/fixtures/mk-debian-image")
XDG_CACHE_HOME=$tmp/xdg
KILN_CACHE_DIR=$tmp/downloads
export XDG_CACHE_HOME KILN_CACHE_DIR
unset KILN_CACHE

# the golden template as it is, and a copy whose last provisioner differs by one environment variable
cp -r "$top/images/local-debian" "$tmp/local-debian"
cp "$top/images/local-debian.pkr.hcl" "$tmp/golden.pkr.hcl"
sed 's/sudo env {{ .Vars }} {{ .Path }}/sudo env BENCH_EDIT=1 {{ .Vars }} {{ .Path }}/' "$tmp/golden.pkr.hcl" >"$tmp/edited.pkr.hcl"
cmp -s "$tmp/golden.pkr.hcl" "$tmp/edited.pkr.hcl" &&
	{ echo "bench/checkpoint.sh: cannot edit the template's last provisioner" >&2; exit 1; }

# run NAME TEMPLATE FLAGS...: one build; prints "wall=<s>" (and keeps its logs), or FAILED
run() {
	name=$1 tpl=$2
	shift 2
	d=$tmp/$name
	mkdir -p "$d"
	t0=$(date +%s.%N)
	rc=0
	(cd "$tmp" && KILN_LOG=1 KILN_LOG_PATH="$d/debug.log" "$kiln" build -color=false "$@" \
		-var "base_image=$debian" -var base_checksum=none -var "output_directory=$d/out" "$tpl" >"$d/log" 2>&1) || rc=$?
	t1=$(date +%s.%N)
	if [ $rc -ne 0 ]; then
		echo "FAILED (log: $d/log)"
		touch "$tmp/.keep"
		return 0
	fi
	rm -rf "$d/out"
	python3 -c 'import sys; print("wall=%.2f" % (float(sys.argv[2]) - float(sys.argv[1])))' "$t0" "$t1"
}

# restore_time DIR: seconds from looking the checkpoint up to SSH connected, from the debug log
restore_time() {
	python3 - "$1/debug.log" "$1/log" <<'EOF'
import re, sys
dbg, log = sys.argv[1], sys.argv[2]
if "from the checkpoint's memory" not in open(log, errors="replace").read():
    sys.exit("the rebuild did not restore the memory")
verify = boot = None
for l in open(dbg, errors="replace"):
    m = re.search(r"checkpoints: found checkpoint .* in ([0-9.]+)s", l)
    if m:
        verify = float(m.group(1))
    m = re.search(r"phase timings \(s\):.* boot_to_ssh=([0-9.]+)", l)
    if m:
        boot = float(m.group(1))
if verify is None or not boot:
    sys.exit("the debug log lacks the lookup or a time to SSH")
print("restore=%.2f lookup=%.2f boot_to_ssh=%.2f" % (verify + boot, verify, boot))
EOF
}

# breakdown DIR NAME ROUND: where one build's time went, from its debug log (kiln's step timings, the
# checkpoint saves, the finish-disk split and the sanitize phases): a line on stderr, and
# NAME_tail=<seconds from the shutdown to the artifact> on stdout for the results
breakdown() {
	python3 - "$1/debug.log" "$2" "$3" <<'EOF'
import re, sys
dbg, name, rnd = sys.argv[1], sys.argv[2], sys.argv[3]
steps, saves, background, fin, san, lookup = {}, [], [], None, None, 0.0
try:
    lines = open(dbg, errors="replace").readlines()
except OSError:
    sys.exit(0)
for l in lines:
    m = re.search(r"qemu: step timings \(s\): (.*)", l)
    if m:
        steps = {k: float(v) for k, v in re.findall(r"([a-zA-Z][a-zA-Z ]*?)=([0-9.]+)", m.group(1))}
    # what a save cost the build: the builder's part, then waiting for the commit (hashed in the
    # background since the commit runs beside the next provisioner; older kilns committed in line)
    m = re.search(r"checkpoints: saved by the builder in ([0-9.]+)s, committed in ([0-9.]+)s"
                  r"(?: \(the build waited ([0-9.]+)s for it\))?", l)
    if m:
        saves.append(float(m.group(1)) + float(m.group(3) if m.group(3) is not None else m.group(2)))
        background.append(float(m.group(2)))
    m = re.search(r"qemu: finish disk: sanitize ([0-9.]+)s, export ([0-9.]+)s", l)
    if m:
        fin = (float(m.group(1)), float(m.group(2)))
    m = re.search(r"image: sanitize timings \(s\): (.*)", l)
    if m:
        san = m.group(1).strip()
    m = re.search(r"checkpoints: found checkpoint .* in ([0-9.]+)s", l)
    if m:
        lookup = float(m.group(1))
if not steps:
    sys.exit(0)
g = lambda k: steps.get(k, 0.0)
guest = ("start VM", "boot", "wait for SSH", "provision", "shut down", "finish disk", "artifact")
setup = sum(v for k, v in steps.items() if k not in guest)
tail = g("shut down") + g("finish disk") + g("artifact")
parts = ["setup %.1f (checkpoint lookup %.1f)" % (setup, lookup),
         "start or restore to SSH %.1f" % (g("start VM") + g("boot") + g("wait for SSH")),
         "provision %.1f" % g("provision"),
         # the checkpoint of the final disk is saved in the shutdown step, the others in the provision step
         "%d checkpoint saves %.1f (their commits %.1f, in the background)" % (len(saves), sum(saves), sum(background)),
         "shutdown %.1f" % g("shut down")]
if fin:
    parts.append("sanitize %.1f (%s), export %.1f" % (fin[0], san or "?", fin[1]))
else:
    parts.append("finish disk %.1f" % g("finish disk"))
print("bench/checkpoint.sh: round %s %s: %s; tail from the shutdown on %.1f" % (rnd, name, ", ".join(parts), tail),
      file=sys.stderr)
print("%s_tail=%.2f" % (name, tail))
EOF
}

echo "bench/checkpoint.sh: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $rounds round(s), TCG" >&2
: >"$tmp/results"
i=1
while [ $i -le "$rounds" ]; do
	XDG_CACHE_HOME=$tmp/xdg "$kiln" cache clear >/dev/null
	printf 'bench/checkpoint.sh: round %d plain build: ' "$i" >&2
	plain=$(run plain-$i golden.pkr.hcl)
	echo "$plain" >&2
	printf 'bench/checkpoint.sh: round %d -cache full build: ' "$i" >&2
	full=$(run cache-$i golden.pkr.hcl -cache)
	echo "$full" >&2
	printf 'bench/checkpoint.sh: round %d -cache after editing the last provisioner: ' "$i" >&2
	re=$(run rebuild-$i edited.pkr.hcl -cache)
	echo "$re" >&2
	case $re in
	FAILED*) rt="FAILED (the rebuild failed)" ;;
	*) rt=$(restore_time "$tmp/rebuild-$i" 2>&1) || rt="FAILED ($rt)" ;;
	esac
	echo "bench/checkpoint.sh: round $i restore to SSH: $rt" >&2
	bd=
	for b in plain cache rebuild; do
		bd="$bd $(breakdown "$tmp/$b-$i" "$b" "$i")"
	done
	echo "round=$i plain_$plain cache_$full rebuild_$re $rt$bd" | sed 's/ FAILED[^ ]*//g' >>"$tmp/results"
	i=$((i + 1))
done

python3 - "$tmp/results" "$rounds" "$tmp" <<'EOF'
import re, statistics, sys
path, rounds, tmp = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = [dict(re.findall(r"(\w+)=([0-9.]+)", l)) for l in open(path)]
def med(key):
    v = [float(r[key]) for r in rows if key in r]
    return (statistics.median(v), len(v)) if v else (None, 0)
plain, n_plain = med("plain_wall")
full, n_full = med("cache_wall")
re_, n_re = med("rebuild_wall")
restore, n_rs = med("restore")
lookup, _ = med("lookup")
boot, _ = med("boot_to_ssh")
re_tail, _ = med("rebuild_tail")
def line(measure, unit, kiln, peer, peer_value, ratio, goal, met, n, extra=""):
    s = 'RESULT bench=checkpoint measure="%s" unit=%s' % (measure, unit)
    if kiln is None:
        return s + ' kiln=- peer=%s peer_value=- status=failed reason="no round succeeded (logs kept in %s)"' % (peer, tmp)
    s += " kiln=%.2f peer=%s peer_value=%s ratio=%s goal=\"%s\" met=%s rounds=%d" % (kiln, peer, peer_value, ratio, goal, met, n)
    if n < rounds:
        s += ' note="%d of %d rounds failed"' % (rounds - n, rounds)
    return s + extra
def vs_plain(measure, value, n, limit, extra=""):
    if value is None or plain is None:
        return line(measure, "s", None, "plain", None, None, None, None, 0)
    r = value / plain
    return line(measure, "s", value, "plain", "%.2f" % plain, "%.2f" % r, "<=%.1fx" % limit,
                "yes" if r <= limit else "no", n, extra)
print(vs_plain("-cache full build vs a plain build", full, n_full, 1.1))
# tail: the rebuild's shutdown, sanitize and export, which every build runs on its final disk; floor:
# that tail alone over the plain build, the ratio a rebuild would have if all before it took no time
extra = ""
if re_tail is not None and plain:
    extra = " tail=%.2f floor=%.2f" % (re_tail, re_tail / plain)
print(vs_plain("-cache rebuild after editing the last provisioner vs a full build", re_, n_re, 0.3, extra))
if restore is None:
    print(line("memory checkpoint restored to a usable SSH session", "s", None, "-", None, None, None, None, 0))
else:
    print(line("memory checkpoint restored to a usable SSH session", "s", restore, "-", "-", "-", "<5 s",
               "yes" if restore < 5 else "no", n_rs, " lookup=%.2f boot_to_ssh=%.2f" % (lookup, boot)))
EOF
