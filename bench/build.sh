#!/bin/sh
# bench/build.sh — a whole qemu build, kiln against Packer 1.6.6's qemu builder (Debian's `packer`), same
# machine, same run, same base images (the test fixtures: tests/fixtures/), same template apart from
# what each tool needs to keep its network on loopback. Two templates: "tiny" (busybox + dropbear,
# boots in seconds) and "debian" (the Debian 12 genericcloud stand-in, cloud-init from a cidata CD).
# Both tools: TCG, a full copy of the base (no backing file) grown to the same disk_size, no boot_wait
# ("-1s": Packer would otherwise sleep its default 10 s), an inline shell and a file provisioner,
# shutdown_command, then compaction with qemu-img convert.
#
# Printed per template and tool (median over BENCH_ROUNDS runs, the tools taking turns): wall time and
# phases — boot_to_ssh (VM started -> SSH connected), provision, shutdown (shutdown_command -> VM
# gone), compaction, and outside_guest = wall - boot_to_ssh - provision - shutdown: the time the tool
# itself costs. Then kiln/packer ratios. Goals (issue 7): kiln's outside_guest < 1 s, its wall time
# below Packer's on both templates. kiln's sanitize step is off (skip: both do the same work).
#
#   bench/build.sh                          both templates, both tools
#   BENCH_TEMPLATES=tiny BENCH_ROUNDS=5 bench/build.sh
#   BENCH_TOOLS=packer bench/build.sh       one tool only
#   BENCH_KEEP=1 bench/build.sh             keep the scratch directory (templates, logs)
#
# Packer's phases come from its UI lines, time-stamped as they arrive; kiln's from its own
# `qemu: phase timings` log line (KILN_LOG). The last lines, "RESULT bench=build ...", are the
# medians and ratios for bench/run-all (bench/README.md), each tool's phases on the wall-time line.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${KILN_BUILDDIR:-$top/build}
kiln=${KILN:-$build/kiln}
rounds=${BENCH_ROUNDS:-3}
templates=${BENCH_TEMPLATES:-tiny debian}
tools=${BENCH_TOOLS:-packer kiln}
fixtures=$top/tests/fixtures

for t in $tools; do
	case $t in
	packer) command -v packer >/dev/null 2>&1 || { echo "bench/build.sh: packer is missing (scripts/install-deps)" >&2; exit 1; } ;;
	kiln) [ -x "$kiln" ] || { echo "bench/build.sh: $kiln is missing (build kiln first)" >&2; exit 1; } ;;
	*) echo "bench/build.sh: unknown tool $t" >&2; exit 2 ;;
	esac
done
command -v python3 >/dev/null 2>&1 || { echo "bench/build.sh: python3 is missing" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/var/tmp}/kiln-bench-build.XXXXXX")
run_pid=
cleanup() {
	if [ -n "$run_pid" ]; then
		kill "$run_pid" 2>/dev/null
		wait "$run_pid" 2>/dev/null
	fi
	# a Packer interrupted mid-build leaves its qemu running: stop the ones that use our files
	for p in $(pgrep -f "qemu-system-x86_64.*$tmp" 2>/dev/null); do kill "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Packer: no update check (it would call out to HashiCorp), its cache in our scratch directory
CHECKPOINT_DISABLE=1
PACKER_CACHE_DIR=$tmp/packer_cache
export CHECKPOINT_DISABLE PACKER_CACHE_DIR

key=$("$fixtures/mk-test-key")
echo "bench/build.sh: fixtures (built on first use)" >&2
for tpl in $templates; do
	case $tpl in
	tiny) tiny=$("$fixtures/mk-tiny-image") ;;
	debian) debian=$("$fixtures/mk-debian-image") ;;
	*) echo "bench/build.sh: unknown template $tpl" >&2; exit 2 ;;
	esac
done
echo "provisioned by the benchmark" >"$tmp/payload.txt"

# template TPL TOOL OUTDIR: the template text. The only difference between the tools: Packer 1.6.6
# forwards SSH on all addresses unless its -netdev is replaced; kiln forwards on 127.0.0.1 by itself.
template() {
	tpl=$1 tool=$2 out=$3
	netdev=
	if [ "$tool" = packer ]; then
		netdev='qemuargs = [["-netdev", "user,id=user.0,hostfwd=tcp:127.0.0.1:{{ .SSHHostPort }}-:22"]]'
	fi
	case $tpl in
	tiny)
		src=$tiny user=root size=128M mem=256 cpus=1 cd= shut=poweroff ;;
	debian)
		src=$debian user=debian size=4G mem=1024 cpus=2 shut="sudo shutdown -P now"
		cd="cd_files = [\"$tmp/seed/user-data\", \"$tmp/seed/meta-data\"]
  cd_label = \"cidata\"" ;;
	esac
	sanitize=
	[ "$tool" = kiln ] && sanitize=$kiln_sanitize_off
	cat <<EOF
source "qemu" "$tpl" {
  iso_url              = "$src"
  iso_checksum         = "none"
  disk_image           = true
  use_backing_file     = false
  disk_size            = "$size"
  format               = "qcow2"
  accelerator          = "tcg"
  headless             = true
  boot_wait            = "-1s"
  memory               = $mem
  cpus                 = $cpus
  ssh_username         = "$user"
  ssh_private_key_file = "$key"
  ssh_timeout          = "15m"
  shutdown_command     = "$shut"
  output_directory     = "$out"
  vm_name              = "$tpl.qcow2"
  $cd
  $netdev
  $sanitize
}

build {
  sources = ["source.qemu.$tpl"]

  provisioner "shell" {
    inline = ["uname -a", "echo provisioned > /tmp/bench-marker"]
  }

  provisioner "file" {
    source      = "$tmp/payload.txt"
    destination = "/tmp/payload.txt"
  }
}
EOF
}

mkdir -p "$tmp/seed"
printf '#cloud-config\nssh_authorized_keys:\n  - %s\n' "$(cat "$key.pub")" >"$tmp/seed/user-data"
printf 'instance-id: bench\nlocal-hostname: bench\n' >"$tmp/seed/meta-data"

# kiln's sanitize step is turned off (Packer does no such work)
kiln_sanitize_off='sanitize = false'

# stamp: prefix each line read with the wall-clock time it arrived
stamp() {
	python3 -u -c '
import sys, time
for line in sys.stdin:
    sys.stdout.write("%.3f %s" % (time.time(), line))
    sys.stdout.flush()
'
}

# packer_phases LOG T0 T1: the phases from Packer's time-stamped UI lines
packer_phases() {
	python3 - "$@" <<'EOF'
import re, sys
log, t0, t1 = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
marks = {}
pats = {
    "start": r"Starting VM, booting (disk image|from CD-ROM)",
    "ssh": r"Connected to SSH!",
    "provision": r"Provisioning with shell script",
    "halt": r"Gracefully halting virtual machine",
    "convert": r"Converting hard drive",
    "done": r"Build '.*' finished",
}
for line in open(log, errors="replace"):
    ts, _, text = line.partition(" ")
    for k, p in pats.items():
        if k not in marks and re.search(p, text):
            marks[k] = float(ts)
missing = [k for k in pats if k not in marks]
if missing:
    sys.exit("packer log lacks: " + ", ".join(missing))
wall = t1 - t0
boot = marks["ssh"] - marks["start"]
prov = marks["halt"] - marks["provision"]
shut = marks["convert"] - marks["halt"]
comp = marks["done"] - marks["convert"]
print("wall=%.2f boot_to_ssh=%.2f provision=%.2f shutdown=%.2f compaction=%.2f outside_guest=%.2f"
      % (wall, boot, prov, shut, comp, wall - boot - prov - shut))
EOF
}

# kiln_phases LOG T0 T1: kiln's own phase line (qemu: phase timings (s): total=… boot_to_ssh=… …)
kiln_phases() {
	python3 - "$@" <<'EOF'
import re, sys
log, t0, t1 = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
line = None
for l in open(log, errors="replace"):
    if "phase timings" in l:
        line = l
if line is None:
    sys.exit("kiln log lacks the phase timings line")
v = dict(re.findall(r"(\w+)=([0-9.]+)", line))
wall = t1 - t0
boot, prov, shut = float(v["boot_to_ssh"]), float(v["provision"]), float(v["shutdown"])
print("wall=%.2f boot_to_ssh=%.2f provision=%.2f shutdown=%.2f compaction=%.2f outside_guest=%.2f"
      % (wall, boot, prov, shut, float(v.get("compaction", 0)), wall - boot - prov - shut))
EOF
}

# run_one TPL TOOL N: one build; prints its phase line (or FAILED)
run_one() {
	tpl=$1 tool=$2 n=$3
	d=$tmp/$tpl-$tool-$n
	mkdir -p "$d"
	template "$tpl" "$tool" "$d/out" >"$d/$tpl.pkr.hcl"
	# date, not python3: python3 takes ~0.1 s to start here, which t1 would add to every wall time
	t0=$(date +%s.%N)
	rc=0
	case $tool in
	packer)
		(cd "$d" && packer build -color=false "$tpl.pkr.hcl" 2>&1 | stamp >"$d/log") || rc=$?
		grep -q "Build '.*' finished" "$d/log" || rc=1 ;;
	kiln)
		(cd "$d" && KILN_LOG=1 KILN_LOG_PATH="$d/kiln-debug.log" "$kiln" build -color=false "$tpl.pkr.hcl" \
			>"$d/log" 2>&1) || rc=$? ;;
	esac
	t1=$(date +%s.%N)
	if [ $rc -ne 0 ]; then
		echo "FAILED (log: $d/log)"
		touch "$tmp/.keep"
		return 0
	fi
	case $tool in
	packer) packer_phases "$d/log" "$t0" "$t1" ;;
	kiln) kiln_phases "$d/kiln-debug.log" "$t0" "$t1" ;;
	esac || echo "FAILED (no phases in $d)"
	rm -rf "$d/out"
}

# median over the lines of FILE, field by field
median() {
	python3 - "$1" <<'EOF'
import re, sys, statistics
rows = [dict(re.findall(r"(\w+)=([0-9.]+)", l)) for l in open(sys.argv[1]) if "wall=" in l]
if not rows:
    print("FAILED"); sys.exit()
keys = ["wall", "boot_to_ssh", "provision", "shutdown", "compaction", "outside_guest"]
print(" ".join("%s=%.2f" % (k, statistics.median(float(r[k]) for r in rows)) for k in keys))
EOF
}

echo "bench/build.sh: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $rounds round(s), TCG" >&2
for tpl in $templates; do
	for tool in $tools; do : >"$tmp/$tpl-$tool.results"; done
	i=1
	while [ $i -le "$rounds" ]; do
		for tool in $tools; do
			printf 'bench/build.sh: %s %s round %d: ' "$tpl" "$tool" "$i" >&2
			r=$(run_one "$tpl" "$tool" "$i")
			echo "$r" >&2
			echo "$r" >>"$tmp/$tpl-$tool.results"
		done
		i=$((i + 1))
	done
done

echo
printf '%-8s %-7s %8s %12s %10s %9s %11s %14s\n' template tool wall boot_to_ssh provision shutdown compaction outside_guest
for tpl in $templates; do
	for tool in $tools; do
		m=$(median "$tmp/$tpl-$tool.results")
		echo "$m" >"$tmp/$tpl-$tool.median"
		python3 - "$tpl" "$tool" "$m" <<'EOF'
import re, sys
tpl, tool, m = sys.argv[1:]
v = dict(re.findall(r"(\w+)=([0-9.]+)", m))
if not v:
    print("%-8s %-7s %8s" % (tpl, tool, "FAILED")); sys.exit()
print("%-8s %-7s %7.2fs %11.2fs %9.2fs %8.2fs %10.2fs %13.2fs" % (tpl, tool, float(v["wall"]),
      float(v["boot_to_ssh"]), float(v["provision"]), float(v["shutdown"]), float(v["compaction"]),
      float(v["outside_guest"])))
EOF
	done
done
echo
: >"$tmp/result-lines"
for tpl in $templates; do
	# the kiln/packer line, then (kept for the end) the machine-readable lines (bench/README.md)
	python3 - "$tpl" "$tmp" "$rounds" $tools <<'EOF'
import re, sys
tpl, tmp, rounds, tools = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
med, ok = {}, {}
for t in tools:
    ok[t] = sum(1 for l in open("%s/%s-%s.results" % (tmp, tpl, t)) if "wall=" in l)
    v = dict(re.findall(r"(\w+)=([0-9.]+)", open("%s/%s-%s.median" % (tmp, tpl, t)).read()))
    if "wall" in v:
        med[t] = {k: float(x) for k, x in v.items()}
k, p = med.get("kiln"), med.get("packer")
if k and p:
    print("%s: kiln/packer wall %.2fx, outside the guest %.2fx (kiln %.2f s, Packer %.2f s)" % (tpl,
          k["wall"] / p["wall"], k["outside_guest"] / max(p["outside_guest"], 0.01),
          k["outside_guest"], p["outside_guest"]))
failed = [t for t in tools if t not in med]
partial = ["%s failed %d of %d rounds" % (t, rounds - ok[t], rounds) for t in tools if t in med and ok[t] < rounds]
phases = " ".join("%s_%s=%.2f" % (t, ph, med[t][ph]) for t in tools if t in med
                  for ph in ("boot_to_ssh", "provision", "shutdown", "compaction"))
val = lambda d, key: "%.2f" % d[key] if d else "-"
out = open(tmp + "/result-lines", "a")
for measure, key, goal, met in (("wall time", "wall", "<1x", lambda: k["wall"] < p["wall"]),
                                ("time outside the guest", "outside_guest", "kiln <1 s", lambda: k["outside_guest"] < 1)):
    line = 'RESULT bench=build measure="%s: %s" unit=s kiln=%s peer=packer peer_value=%s' % (
        tpl, measure, val(k, key), val(p, key))
    if failed:
        line += ' status=failed reason="%s failed in every round of %d (logs kept in %s)"' % (" and ".join(failed), rounds, tmp)
    else:
        both = k is not None and p is not None
        line += ' ratio=%s goal="%s" met=%s' % ("%.2f" % (k[key] / max(p[key], 0.01)) if both else "-", goal,
            ("yes" if met() else "no") if k is not None and (both or key == "outside_guest") else "-")
    if partial:
        line += ' note="%s"' % "; ".join(partial)
    if key == "wall":
        line += " rounds=%d %s" % (rounds, phases)
    print(line, file=out)
EOF
done
cat "$tmp/result-lines"
if [ -e "$tmp/.keep" ] || [ -n "${BENCH_KEEP:-}" ]; then
	echo "bench/build.sh: the templates and logs are kept in $tmp" >&2
	trap - EXIT
fi
