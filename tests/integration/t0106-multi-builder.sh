#!/bin/sh
# t0106-multi-builder — a template shaped like chef/bento's (tests/data/multi-builder: VirtualBox,
# VMware, Parallels, qemu and null sources, Windows provisioners, a vagrant post-processor) builds
# what kiln has with -only/-except: what the selected builds do not use is a warning, not an error.
# Without -only every type kiln lacks is an error naming the filter to use. Packer 1.6.6 (which has
# all of those builders) accepts and builds the same selections.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"

export CHECKPOINT_DISABLE=1
cp -r "$KILN_SRCDIR/tests/data/multi-builder" mb

test_expect_success 'without -only: each type kiln lacks is an error that names the filter to use' '
	test_expect_code 1 "$KILN" validate mb >out 2>err &&
	test "$(grep -c "^Error: Unsupported builder type" err)" = 3 &&
	test "$(grep -c "^Error: Unsupported provisioner type" err)" = 2 &&
	test "$(grep -c "^Error: Unsupported post-processor type" err)" = 1 &&
	test_grep_text "kiln has no builder of type \"virtualbox-iso\". The builders kiln provides are: file, null, qemu. Build only what kiln can with -only=qemu.vm,null.vm." err &&
	test_grep_text "Leave it out with -except=vagrant" err
'

test_expect_success packer '-only=qemu.vm -except=vagrant: Packer 1.6.6 and kiln accept it, kiln warns about the rest' '
	packer validate -only=qemu.vm -except=vagrant mb >packer.out 2>&1 &&
	"$KILN" validate -only=qemu.vm -except=vagrant mb >out 2>err &&
	test_grep "The configuration is valid." out &&
	! grep -q "^Error" err &&
	test "$(grep -c "^Warning: Unsupported builder type" err)" = 3 &&
	test "$(grep -c "^Warning: Unsupported provisioner type" err)" = 2 &&
	test "$(grep -c "^Warning: Unsupported post-processor type" err)" = 1 &&
	test_grep_text "source.vmware-iso.vm is left out: -only/-except select no build of it." err &&
	test_grep_text "It is left out: it runs for no build that -only/-except select." err
'

test_expect_success '-only=qemu.vm alone: the vagrant post-processor still applies, an error naming -except' '
	test_expect_code 1 "$KILN" validate -only=qemu.vm mb >out 2>err &&
	test "$(grep -c "^Error" err)" = 1 &&
	test_grep "^Error: Unsupported post-processor type" err &&
	test_grep_text "Leave it out with -except=vagrant" err
'

test_expect_success packer 'the null source builds unchanged with -only=null.vm -except=vagrant, as in Packer 1.6.6' '
	"$KILN" build -only=null.vm -except=vagrant -var out=kiln mb >out 2>err &&
	printf "linux-1\nlinux-2\n" >want &&
	test_cmp want kiln/ran &&
	test_grep "^Warning: Unsupported provisioner type" err &&
	packer build -only=null.vm -except=vagrant -var out=packer mb >packer.out 2>&1 &&
	test_cmp want packer/ran
'

test_expect_success 'with is_windows the Windows provisioners run for the selected build: an error before it starts' '
	test_expect_code 1 "$KILN" build -only=null.vm -except=vagrant -var is_windows=true -var out=win mb >out 2>err &&
	test "$(grep -c "^Error: Unsupported provisioner type" err)" = 2 &&
	! test -e win
'

test_done
