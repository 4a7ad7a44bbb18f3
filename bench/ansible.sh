#!/bin/sh
# bench/ansible.sh — provisioning with Ansible: the same playbook of 50 small tasks (commands, files,
# copies: every kind of Ansible round trip) run by kiln's `ansible` provisioner (kiln-plugin-ansible,
# ansible-playbook connected straight to the machine) and by Packer 1.6.6's built-in `ansible`
# provisioner with its default proxy adapter, both with the null builder against the same private
# sshd (tests/lib/sshd.sh, same user, same key), in the same run, taking turns. Each figure is the
# median wall time of BENCH_ROUNDS runs of the whole `build` (connect, provision, disconnect).
#
#   bench/ansible.sh                   (needs root for the test user, ./build built, ansible-core, packer)
#   BENCH_ROUNDS=1 BENCH_TASKS=10 bench/ansible.sh
#
# Packer 1.6.6's proxy needs four settings to work at all with Debian 12's OpenSSH 9 client, which the
# bench gives it (and which kiln needs none of): the proxy's host key is RSA with SHA-1 signatures
# (HostKeyAlgorithms=+ssh-rsa); OpenSSH 9's scp speaks SFTP, which the proxy's scp does not
# (ANSIBLE_SCP_EXTRA_ARGS=-O: the legacy protocol); sftp_command (OpenSSH's sftp-server is not at
# Packer's default /usr/lib/sftp-server); and `user`, which Packer otherwise sets to the local user
# (root), whose home Ansible then looks for on the machine.
# Prints both times and kiln's ratio; goal: kiln <= 0.5x Packer's time. The last line, "RESULT
# bench=ansible ...", is the same figures for bench/run-all (bench/README.md).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
export KILN_SRCDIR="$top"
build=${KILN_BUILDDIR:-$top/build}
kiln=${KILN:-$build/kiln}
rounds=${BENCH_ROUNDS:-3}
tasks=${BENCH_TASKS:-50}
CHECKPOINT_DISABLE=1
export CHECKPOINT_DISABLE

[ -x "$kiln" ] || { echo "bench/ansible.sh: $kiln is not built (make in ./build)" >&2; exit 1; }
for p in ansible-playbook packer /usr/sbin/sshd python3; do
	command -v "$p" >/dev/null 2>&1 || { echo "bench/ansible.sh: $p is missing (scripts/install-deps)" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "bench/ansible.sh: needs root (sshd serves a user made for the run)" >&2; exit 1; }

TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kiln-bench-ansible.XXXXXX")
SSHD_ATEXIT=$TEST_DIR/.atexit
PLUGINS_ATEXIT=$SSHD_ATEXIT
: >"$SSHD_ATEXIT"
export TEST_DIR SSHD_ATEXIT PLUGINS_ATEXIT
trap 'set +e; (. "$SSHD_ATEXIT") >/dev/null 2>&1; rm -rf "$TEST_DIR"' EXIT
trap 'exit 130' INT TERM
test_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
. "$top/tests/lib/sshd.sh"
. "$top/tests/lib/plugins.sh"
sshd_setup >/dev/null
sshd_start
KILN_BUILDDIR=$build plugins_use_installed_kiln "$TEST_DIR/inst" >/dev/null

cd "$TEST_DIR"
# the playbook: a third commands, a third files, a third copies, each task small
{
	echo "- hosts: all"
	echo "  gather_facts: false"
	echo "  tasks:"
	i=1
	while [ $i -le "$tasks" ]; do
		case $((i % 3)) in
		0) printf '    - ansible.builtin.command: echo task %d\n' $i ;;
		1) printf '    - ansible.builtin.file: {path: "{{ dir }}/f%d", state: touch}\n' $i ;;
		2) printf '    - ansible.builtin.copy: {content: "task %d\\n", dest: "{{ dir }}/c%d"}\n' $i $i ;;
		esac
		i=$((i + 1))
	done
} >bench.yml
for tool in kiln packer; do
	mkdir -p "$SSHD_HOME/$tool" && chown "$SSHD_USER" "$SSHD_HOME/$tool"
	extra=
	[ $tool = kiln ] || extra='
    ansible_ssh_extra_args = ["-o IdentitiesOnly=yes -o HostKeyAlgorithms=+ssh-rsa -o PubkeyAcceptedAlgorithms=+ssh-rsa"]
    sftp_command           = "/usr/lib/openssh/sftp-server -e"
    user                   = "'"$SSHD_USER"'"
    ansible_env_vars       = ["ANSIBLE_SCP_EXTRA_ARGS=-O"]'
	cat >$tool.pkr.hcl <<-HCL
	source "null" "bench" {
	  ssh_host             = "127.0.0.1"
	  ssh_port             = $SSHD_PORT
	  ssh_username         = "$SSHD_USER"
	  ssh_private_key_file = "$SSHD_KEY"
	}
	build {
	  sources = ["source.null.bench"]
	  provisioner "ansible" {
	    playbook_file   = "bench.yml"
	    extra_arguments = ["--extra-vars", "dir=$SSHD_HOME/$tool"]$extra
	  }
	}
	HCL
done

now_ns() { date +%s%N; }
time_ms() {
	t0=$(now_ns)
	"$@" >run.log 2>&1 || { echo "bench/ansible.sh: failed: $*" >&2; tail -n 30 run.log >&2; exit 1; }
	grep -q "ok=$tasks " run.log || { echo "bench/ansible.sh: $1 did not run $tasks tasks" >&2; tail -n 30 run.log >&2; exit 1; }
	echo $((($(now_ns) - t0) / 1000000))
}
median() {
	sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : int((v[NR/2] + v[NR/2+1]) / 2)}'
}

: >kiln.ms
: >packer.ms
i=0
while [ $i -lt "$rounds" ]; do
	time_ms "$kiln" build -color=false kiln.pkr.hcl >>kiln.ms
	time_ms packer build -color=false packer.pkr.hcl >>packer.ms
	i=$((i + 1))
done
k=$(median <kiln.ms)
p=$(median <packer.ms)
ratio=$(awk -v a="$k" -v b="$p" 'BEGIN {printf "%.2f", a / b}')
met=$(awk -v r="$ratio" 'BEGIN {print (r <= 0.5) ? "yes" : "no"}')
echo "bench/ansible.sh: a playbook of $tasks small tasks against a loopback sshd, median of $rounds runs (whole build)"
printf '  %-40s %8s ms\n' "kiln (ansible-playbook, direct)" "$k" "Packer $(packer version | head -n 1) (proxy adapter)" "$p"
printf '  kiln/Packer time ratio: %sx (goal <= 0.5x)\n' "$ratio"
echo "RESULT bench=ansible measure=\"$tasks-task playbook: provisioning time\" unit=s kiln=$(awk -v m="$k" 'BEGIN {printf "%.1f", m / 1000}')" \
	"peer=packer peer_value=$(awk -v m="$p" 'BEGIN {printf "%.1f", m / 1000}') ratio=$ratio goal=\"<=0.5x\" met=$met" \
	"kiln_ms=$k peer_ms=$p rounds=$rounds"
