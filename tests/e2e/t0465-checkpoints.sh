#!/bin/sh
# t0465-checkpoints — checkpointed builds on the tiny image (docs/checkpoints.md):
#   -resume: a build whose third provisioner fails keeps its checkpoints; run again after the fix, it
#   restores the guest after the second (memory and disk), runs only the third, sanitizes, and the
#   image has all three results; the checkpoints kept for -resume are gone once it succeeds;
#   -cache: a second build reuses the longest unchanged prefix — editing the last provisioner re-runs
#   only it, changing an uploaded file's content re-runs from its step, changing the first re-runs
#   all (from the checkpoint taken after boot), an unchanged one starts from the final disk (the
#   checkpoint taken after the shutdown) and runs no machine; two parallel builds start from one checkpoint, each on
#   its own overlay and domain; a corrupted checkpoint is skipped with a warning; a size limit evicts
#   the least recently used checkpoints first; `kiln cache clear` empties the store and the inspection cache. Also: the phase
#   timings find the "finish disk" step by its name (the checkpoints step moved every later index).
. "$KILN_SRCDIR/tests/lib/test-lib.sh"
. "$KILN_SRCDIR/tests/lib/qemu.sh"
. "$KILN_SRCDIR/tests/lib/audit.sh"
qemu_setup

TINY=$(fixture_tiny_image)
KEY=$(fixture_tiny_key)
XDG_CACHE_HOME=$TEST_DIR/xdg
export XDG_CACHE_HOME
STORE=$XDG_CACHE_HOME/kiln/checkpoints

# tiny NAME OUTDIR [SETTING]: a source block for the tiny image
tiny() {
	cat <<-EOF
	source "qemu" "$1" {
	  iso_url              = "$TINY"
	  iso_checksum         = "none"
	  disk_image           = true
	  accelerator          = "tcg"
	  memory               = 256
	  ssh_username         = "root"
	  ssh_private_key_file = "$KEY"
	  ssh_timeout          = "4m"
	  shutdown_command     = "poweroff"
	  output_directory     = "$2"
	  vm_name              = "tiny.qcow2"
	  ${3:-sanitize = false}
	}
	EOF
}

# build SOURCE P1 P2 P3: three provisioners; P2 uploads data.txt
three() {
	cat <<-EOF
	build {
	  sources = ["source.qemu.$1"]
	  provisioner "shell" {
	    inline = [$2]
	  }
	  provisioner "file" {
	    source      = "data.txt"
	    destination = "/root/data.txt"
	  }
	  provisioner "shell" {
	    inline = [$4]
	  }
	}
	EOF
}

# The checkpoints in the store, one "id build after keep" line each.
entries() {
	"$KILN" cache list -machine-readable | awk -F, '$3 == "checkpoint" { print $4, $5, $6, $12 }'
}

# The disk space the checkpoints use, in bytes (what the size limit counts).
store_bytes() {
	"$KILN" cache list -machine-readable | awk -F, '$3 == "checkpoint" { s += $9 } END { printf "%d\n", s }'
}

# Nothing left behind (tests/lib/audit.sh), and no working disks or half-written checkpoint either.
store_clean() {
	audit_test &&
	test -z "$(ls -A "$STORE/work" 2>/dev/null)" &&
	test -z "$(ls -A "$STORE/tmp" 2>/dev/null)"
}

test_expect_success '-resume: the third provisioner fails, the checkpoints before it stay' '
	echo "from the host" >data.txt &&
	{ tiny res out-res && three res "\"echo one > /root/one\", \"echo RAN-ONE\"" x "\"echo three > /root/three\", \"exit 7\""; } >res.pkr.hcl &&
	test_expect_code 1 "$KILN" build -resume res.pkr.hcl >res1.txt 2>&1 &&
	test_grep "RAN-ONE" res1.txt &&
	test_grep "Checkpoint after boot saved" res1.txt &&
	test_grep "Checkpoint after provisioner 2 \"file\" .* saved (.*with memory" res1.txt &&
	! test_grep "Checkpoint after provisioner 3" res1.txt &&
	test_grep "Checkpoints are kept" res1.txt &&
	entries >list1.txt &&
	test "$(grep -c " resume$" list1.txt)" = 3 &&
	! test -e out-res &&
	store_clean
'

test_expect_success '-resume after the fix: only the third runs, from the restored guest' '
	{ tiny res out-res "use_backing_file = true" && three res "\"echo one > /root/one\", \"echo RAN-ONE\"" x "\"echo three > /root/three\", \"cat /root/one /root/data.txt\""; } >res.pkr.hcl &&
	KILN_LOG=1 KILN_LOG_PATH=res2.log "$KILN" build -resume -machine-readable res.pkr.hcl >res2.txt 2>&1 ||
		{ cat res2.txt; false; } &&
	test_grep "Starting from the checkpoint after provisioner 2 \"file\"" res2.txt &&
	test_grep "Restored VM .* from the checkpoint.s memory" res2.txt &&
	test_grep "Skipping provisioner 1 \"shell\"" res2.txt &&
	test_grep "Skipping provisioner 2 \"file\"" res2.txt &&
	test_grep "checkpoint,reused,2," res2.txt &&
	test_grep "checkpoint,time-saved," res2.txt &&
	! test_grep "RAN-ONE" res2.txt &&
	test_grep "from the host" res2.txt &&
	test_grep "Sanitizing the disk" res2.txt &&
	test_grep "Removed the 4 checkpoints kept for -resume" res2.txt &&
	test -z "$(entries)" &&
	qemu-img check out-res/tiny.qcow2 &&
	qemu-img info out-res/tiny.qcow2 | test_grep "backing file: $TINY" &&
	store_clean
'

test_expect_success 'the phase timings take compaction from the step named "finish disk"' '
	fin=$(sed -n "s/.*qemu: step timings (s): .*finish disk=\([0-9.]*\).*/\1/p" res2.log) &&
	test -n "$fin" && test "$fin" != 0.000 &&
	shut=$(sed -n "s/.*qemu: step timings (s): .*shut down=\([0-9.]*\).*/\1/p" res2.log) &&
	test "$shut" != "$fin" &&
	test_grep "qemu: phase timings (s): .* compaction=$fin outside_guest=" res2.log
'

test_expect_success 'the resumed image has all three results' '
	fixture_overlay "$TEST_DIR/out-res/tiny.qcow2" check.qcow2 &&
	fixture_vm_start check check.qcow2 &&
	fixture_vm_wait_ssh check root &&
	fixture_vm_ssh check root "cat /root/one /root/data.txt /root/three" >results.txt &&
	fixture_vm_stop check &&
	printf "one\nfrom the host\nthree\n" >expect.txt &&
	test_cmp expect.txt results.txt
'

test_expect_success 'Ctrl-C while a checkpoint is written leaves the ones before it intact' '
	{ tiny int out-int && three int "\"echo one > /root/one\"" x "\"echo three\""; } >int.pkr.hcl &&
	{ KILN_LOG=1 KILN_LOG_PATH=int.log "$KILN" build -resume int.pkr.hcl >int1.txt 2>&1 & } &&
	pid=$! &&
	# the second snapshot is the checkpoint after the first provisioner: interrupt it
	n=0 && while [ "$(cat int.log 2>/dev/null | grep -c "libvirt: snapshot of")" -lt 2 ] && [ $n -lt 3000 ]; do
		sleep 0.1; n=$((n + 1))
	done &&
	kill -INT $pid &&
	rc=0 && { wait $pid || rc=$?; } &&
	test "$rc" = 130 &&
	test_grep "Checkpoint after boot saved" int1.txt &&
	test -z "$(ls -A "$STORE/tmp")" &&
	"$KILN" cache list >int-list.txt &&
	! grep -q "unreadable" int-list.txt &&
	kept=$(entries | grep -c "qemu.int .* resume$") &&
	test "$kept" -ge 1 &&
	{ "$KILN" build -resume int.pkr.hcl >int2.txt 2>&1 || { cat int2.txt; false; }; } &&
	if [ "$kept" = 1 ]; then
		test_grep "Starting from the checkpoint taken after boot" int2.txt
	else
		test_grep "Starting from the checkpoint after provisioner 1" int2.txt
	fi &&
	store_clean
'

test_expect_success '-cache: a full build saves a checkpoint after boot and after each provisioner' '
	echo "version 1" >data.txt &&
	{ tiny c out-c && three c "\"echo one > /root/one\", \"echo RAN-ONE\"" x "\"echo three > /root/three\", \"echo RAN-THREE\""; } >c.pkr.hcl &&
	"$KILN" build -cache c.pkr.hcl >c1.txt 2>&1 || { cat c1.txt; false; } &&
	test_grep "No checkpoint matches this build yet" c1.txt &&
	test "$(grep -c "Checkpoint after .* saved" c1.txt)" = 4 &&
	test "$(entries | grep -c " cache$")" = 4 &&
	store_clean
'

test_expect_success '-cache: editing the last provisioner re-runs only it' '
	sed -i "s/RAN-THREE/RAN-THREE-B/" c.pkr.hcl &&
	"$KILN" build -cache -force c.pkr.hcl >c2.txt 2>&1 || { cat c2.txt; false; } &&
	test_grep "Starting from the checkpoint after provisioner 2" c2.txt &&
	test_grep "Changed since its checkpoint .*: provisioner 3" c2.txt &&
	test_grep "Reused the boot and 2 provisioners" c2.txt &&
	! test_grep "RAN-ONE" c2.txt &&
	test_grep "RAN-THREE-B" c2.txt &&
	test_grep "Checkpoint after provisioner 3 .* and the shutdown saved (.*the final disk" c2.txt &&
	store_clean
'

test_expect_success '-cache: an unchanged rebuild starts from the final disk and runs no machine' '
	"$KILN" build -cache -force -machine-readable c.pkr.hcl >c2b.txt 2>&1 || { cat c2b.txt; false; } &&
	test_grep "Starting from the final disk of an identical build" c2b.txt &&
	test_grep "checkpoint,reused,3," c2b.txt &&
	test_grep "checkpoint,skipped,3," c2b.txt &&
	! test_grep "Starting VM\|Restored VM\|RAN-THREE\|halting" c2b.txt &&
	! test_grep "checkpoint,saved," c2b.txt &&
	qemu-img check out-c/tiny.qcow2 &&
	store_clean
'

test_expect_success '-cache: a changed upload re-runs from its step' '
	echo "version 2" >data.txt &&
	"$KILN" build -cache -force c.pkr.hcl >c3.txt 2>&1 || { cat c3.txt; false; } &&
	test_grep "Starting from the checkpoint after provisioner 1" c3.txt &&
	test_grep "Uploading data.txt" c3.txt &&
	! test_grep "RAN-ONE" c3.txt &&
	test_grep "RAN-THREE-B" c3.txt &&
	store_clean
'

test_expect_success '-cache: two parallel builds start from one checkpoint, each on its own overlay' '
	mkdir -p pa pb &&
	for p in a b; do
		{ tiny c "$TEST_DIR/p$p/out" && three c "\"echo one > /root/one\", \"echo RAN-ONE\"" x "\"echo parallel-$p\""; } >p$p/c.pkr.hcl &&
		cp data.txt p$p/ || return 1
	done &&
	{
		(cd pa && "$KILN" build -cache c.pkr.hcl >../pa.txt 2>&1; echo $? >../pa.rc) &
		(cd pb && "$KILN" build -cache c.pkr.hcl >../pb.txt 2>&1; echo $? >../pb.rc) &
		wait
	} &&
	test "$(cat pa.rc)" = 0 || { cat pa.txt; false; } &&
	test "$(cat pb.rc)" = 0 || { cat pb.txt; false; } &&
	for p in a b; do
		test_grep "Starting from the checkpoint after provisioner 2" p$p.txt &&
		test_grep "Restored VM .* from the checkpoint.s memory" p$p.txt &&
		test_grep "parallel-$p" p$p.txt &&
		qemu-img check p$p/out/tiny.qcow2 || return 1
	done &&
	dom_a=$(sed -n "s/.*Restored VM \([^ ]*\) .*/\1/p" pa.txt) &&
	dom_b=$(sed -n "s/.*Restored VM \([^ ]*\) .*/\1/p" pb.txt) &&
	test -n "$dom_a" && test "$dom_a" != "$dom_b" &&
	store_clean
'

test_expect_success 'a corrupted checkpoint is skipped with a warning' '
	for id in $(entries | awk "\$3 == 2 { print \$1 }"); do
		printf X | dd of="$STORE/entries/$id/memory" bs=1 seek=100000 conv=notrunc 2>/dev/null || return 1
	done &&
	for id in $(entries | awk "\$3 == 3 { print \$1 }"); do
		printf X | dd of="$STORE/entries/$id/layer-disk0.qcow2" bs=1 seek=1000 conv=notrunc 2>/dev/null || return 1
	done &&
	"$KILN" build -cache -force c.pkr.hcl >c4.txt 2>&1 || { cat c4.txt; false; } &&
	test_grep "Warning: checkpoint .* is unusable: layer-disk0.qcow2 does not match its checksum" c4.txt &&
	test_grep "Warning: checkpoint .* is unusable: memory does not match its checksum" c4.txt &&
	test_grep "Starting from the checkpoint after provisioner 1" c4.txt &&
	! test_grep "RAN-ONE" c4.txt &&
	test_grep "RAN-THREE-B" c4.txt &&
	store_clean
'

# "id recency" of the checkpoints: the last use of it or of anything built on it (what eviction orders by)
uses() {
	"$KILN" cache list -machine-readable | python3 -c '
import sys
rows = [l.rstrip("\n").split(",") for l in sys.stdin]
e = {r[3]: (int(r[10]), r[12]) for r in rows if len(r) > 12 and r[2] == "checkpoint"}
eff = dict((i, u) for i, (u, p) in e.items())
for i, (u, p) in e.items():
    while p in e:
        eff[p] = max(eff[p], u)
        p = e[p][1]
for i in sorted(eff, key=eff.get):
    print(i, eff[i])
'
}

test_expect_success 'the size limit evicts the least recently used checkpoints first' '
	uses >before.txt &&
	boot=$(entries | awk "\$3 == 0 { print \$1 }") &&
	test -n "$boot" &&
	test "$(wc -l <before.txt)" -ge 6 &&
	sed -i "s/RAN-ONE/RAN-ONE-B/" c.pkr.hcl &&
	sed -i "s/^  sanitize = false/  sanitize = false\n  skip_compaction = true/" c.pkr.hcl &&
	KILN_CACHE_MAX_SIZE=520M "$KILN" build -cache -force c.pkr.hcl >c5.txt 2>&1 || { cat c5.txt; false; } &&
	qemu-img info out-c/tiny.qcow2 >info.txt &&
	! grep -q "backing file" info.txt &&
	qemu-img check out-c/tiny.qcow2 &&
	test_grep "Starting from the checkpoint taken after boot" c5.txt &&
	test_grep "RAN-ONE-B" c5.txt &&
	test_grep "over its limit of 520.0 MiB: removed" c5.txt &&
	entries >after.txt &&
	test "$(store_bytes)" -le $((520 * 1024 * 1024)) &&
	grep -q "^$boot " after.txt &&
	test "$(awk "\$3 > 0" after.txt | wc -l)" -ge 3 &&
	# of the checkpoints made before, every one kept was used (it or what builds on it) no earlier than
	# every one removed
	newest_removed=0 && oldest_kept=99999999999 &&
	while read -r id used; do
		[ "$id" != "$boot" ] || continue
		if grep -q "^$id " after.txt; then
			[ "$used" -ge "$oldest_kept" ] || oldest_kept=$used
		else
			[ "$used" -le "$newest_removed" ] || newest_removed=$used
		fi
	done <before.txt &&
	test "$newest_removed" -gt 0 &&
	test "$newest_removed" -le "$oldest_kept" &&
	store_clean
'

test_expect_success 'kiln cache clear empties the store and the inspection cache' '
	mkdir -p "$XDG_CACHE_HOME/kiln/inspect" &&
	echo "{}" >"$XDG_CACHE_HOME/kiln/inspect/entry.json" &&
	"$KILN" cache clear >clear.txt &&
	test_grep "Cleared the checkpoint store" clear.txt &&
	test_grep "Cleared the inspection cache $XDG_CACHE_HOME/kiln/inspect" clear.txt &&
	! test -e "$XDG_CACHE_HOME/kiln/inspect" &&
	test -z "$(entries)" &&
	"$KILN" cache list >list.txt &&
	test_grep "^0 checkpoints" list.txt
'

test_done
