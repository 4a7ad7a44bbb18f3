#!/bin/sh
# t0810-amazon-import — the amazon-import post-processor through `kiln build` (null builder + artifice,
# no VM) against loopback AWS: s3rver checks every S3 signature, the stand-in checks every EC2 and STS
# request against botocore's models and signatures. Both import paths with Packer's call order, the
# ami_name copy, tags, launch permissions, copies to more regions, conversion of a disk the build did
# not export, a task that fails, Ctrl-C during the upload and during the polling, a wrong secret, an
# expired session token. Each test ends with the audit: nothing left in the bucket, no AMI or snapshot
# of a failed build left registered.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"
. "$KILN_SRCDIR/tests/lib/audit.sh"
. "$KILN_SRCDIR/tests/lib/aws.sh"
aws_test_env
s3rver_start kiln-test || { echo "Bail out! s3rver did not start"; exit 1; }
standin_start || { echo "Bail out! the stand-in did not start"; exit 1; }
aws_endpoints_env
AWS_ACCESS_KEY_ID=S3RVER
AWS_SECRET_ACCESS_KEY=S3RVER
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY

# template NAME BODY-OF-AMAZON-IMPORT [ARTIFACT-FILES]: a null build whose artifice artifact is imported
template() {
	cat >"$1" <<EOF
source "null" "app" {
  communicator = "none"
}
build {
  sources = ["source.null.app"]
  post-processors {
    post-processor "artifice" {
      files = [${3:-"\"disk.ova\""}]
    }
    post-processor "amazon-import" {
      s3_bucket_name = "kiln-test"
      region         = "us-east-1"
$2
    }
  }
}
EOF
}

# amazon-import does not keep its input (as Packer): artifice's files go with it, so each build gets fresh
# ones (big ones sparse: what is in them does not matter, and they cost nothing to make)
disk_ova() { rm -f disk.ova && truncate -s ${1:-300000} disk.ova; }

# calls: the EC2/STS actions made, consecutive repeats collapsed ("DescribeImages*"), one a line
calls() {
	standin_calls | awk '{ a = $2 ($3 ~ /^ERROR/ ? " " $3 : ""); if (a == last) { n++ } else { if (last != "") print last (n > 1 ? "*" : ""); last = a; n = 1 } } END { if (last != "") print last (n > 1 ? "*" : "") }'
}

test_expect_success 'image path: upload, ImportImage, rename, tags, users, description; Packer'"'"'s order' '
	standin_reset state && disk_ova 20000000 &&
	template t.pkr.hcl "
      ami_name        = \"kiln-app-{{timestamp}}\"
      ami_description = \"built by kiln\"
      ami_users       = [\"123456789012\"]
      ami_groups      = [\"all\"]
      tags = {
        os   = \"debian\"
        Name = \"kiln\"
      }" &&
	"$KILN" build -machine-readable t.pkr.hcl >out 2>err || { cat out err; false; } &&
	calls >got &&
	cat >want <<-EOF &&
	ImportImage
	DescribeImportImageTasks*
	CopyImage
	DescribeImages*
	DeregisterImage
	DeleteSnapshot
	DescribeImages
	CreateTags
	ModifyImageAttribute*
	EOF
	test_cmp want got &&
	aws_audit kiln-test &&
	ami=$(sed -n "s/.*,artifact,1,id,us-east-1:\(ami-[0-9a-f]*\)$/\1/p" out) &&
	test -n "$ami" &&
	test "$(live_images us-east-1)" = "$ami" &&
	st regions us-east-1 images $ami Name | grep -q "^\"kiln-app-[0-9]*\"$" &&
	st regions us-east-1 images $ami Description | grep -qx "\"built by kiln\"" &&
	st regions us-east-1 tags $ami >tags &&
	echo "{\"Name\": \"kiln\", \"os\": \"debian\"}" >want && test_cmp want tags &&
	st regions us-east-1 images $ami launch_permissions >perms &&
	test_grep "{\"UserId\": \"123456789012\"}" perms &&
	test_grep "{\"Group\": \"all\"}" perms
'

test_expect_success 'image path: the request is Packer'"'"'s (format, bucket, key, Encrypted=false), the snapshot is tagged' '
	call_params ImportImage >params &&
	test_grep "^DiskContainer.1.Format=ova$" params &&
	test_grep "^DiskContainer.1.UserBucket.S3Bucket=kiln-test$" params &&
	test_grep "^DiskContainer.1.UserBucket.S3Key=packer-import-[0-9]*.ova$" params &&
	test_grep "^Encrypted=false$" params &&
	! grep -q RoleName params &&
	st regions us-east-1 tags | grep -c "\"snap-" >n && test "$(cat n)" -eq 1
'

test_expect_success 'image path: the summary and the artifact are Packer'"'"'s amazon artifact' '
	disk_ova &&
	"$KILN" build t.pkr.hcl >out 2>&1 &&
	test_grep "^--> null.app: AMIs were created:$" out &&
	test_grep "^us-east-1: ami-[0-9a-f]*$" out &&
	test_grep "Deleting import source s3://kiln-test/packer-import-" out &&
	aws_audit kiln-test
'

test_expect_success 'ami_regions: the AMI is copied, tagged and shared in every region' '
	standin_reset state && disk_ova &&
	template r.pkr.hcl "
      ami_regions  = [\"eu-west-1\", \"ap-southeast-2\"]
      ami_org_arns = [\"arn:aws:organizations::111122223333:organization/o-abc\"]
      tags         = { team = \"images\" }" &&
	"$KILN" build -machine-readable r.pkr.hcl >out 2>err || { cat out err; false; } &&
	# machine-readable output escapes the commas of the id (as Packer does)
	id=$(sed -n "s/.*,artifact,1,id,\(.*\)$/\1/p" out | sed "s/%!(PACKER_COMMA)/,/g") &&
	echo "$id" | grep -q "^ap-southeast-2:ami-[0-9a-f]*,eu-west-1:ami-[0-9a-f]*,us-east-1:ami-[0-9a-f]*$" &&
	for r in eu-west-1 ap-southeast-2; do
		ami=$(echo "$id" | tr , "\n" | sed -n "s/^$r://p") &&
		st regions $r tags $ami | grep -q images &&
		st regions $r images $ami launch_permissions | grep -q o-abc &&
		st regions $r images $ami copied_from region | grep -qx "\"us-east-1\"" ||
		exit 1
	done &&
	aws_audit kiln-test
'

test_expect_success 'snapshot path (arm64): the qcow2 is converted to VMDK, ImportSnapshot, RegisterImage' '
	standin_reset state &&
	qemu-img create -q -f qcow2 disk.qcow2 64M &&
	qemu-io -c "write -P 0x4b 0 1M" disk.qcow2 >/dev/null &&
	template s.pkr.hcl "
      architecture  = \"arm64\"
      tpm_support   = \"v2.0\"
      imds_support  = \"v2.0\"
      ami_name      = \"kiln-arm\"
      skip_clean    = true" "\"disk.qcow2\"" &&
	"$KILN" build s.pkr.hcl >out 2>err || { cat out err; false; } &&
	test_grep "The artifact has no vmdk file: converting disk.qcow2 (qcow2)" out &&
	calls >got &&
	printf "%s\n" ImportSnapshot "DescribeImportSnapshotTasks*" RegisterImage "DescribeImages*" >want &&
	test_cmp want got &&
	call_params RegisterImage >params &&
	for kv in Architecture=arm64 BootMode=uefi EnaSupport=true TpmSupport=v2.0 ImdsSupport=v2.0 \
		RootDeviceName=/dev/xvda Name=kiln-arm VirtualizationType=hvm BlockDeviceMapping.1.Ebs.VolumeType=gp3 \
		BlockDeviceMapping.1.DeviceName=/dev/xvda BlockDeviceMapping.1.Ebs.DeleteOnTermination=true; do
		grep -qx "$kv" params || { echo "missing $kv"; cat params; exit 1; }
	done &&
	call_params ImportSnapshot >params &&
	test_grep "^DiskContainer.Format=VMDK$" params &&
	key=$(s3_keys kiln-test) &&
	echo "$key" | grep -q "^packer-import-[0-9]*\.vmdk$" &&
	qemu-img info "$S3_DIR/kiln-test/$key._S3rver_object" >info &&
	test_grep "create type: streamOptimized" info &&
	! ls -A | grep kiln-amazon-import &&
	"$KILN_BUILDDIR/tests/helpers/aws-driver" delete kiln-test "$key" &&
	aws_audit kiln-test
'

test_expect_success 'a task that ends deleted fails at once, with AWS'"'"'s message; nothing is left' '
	standin_reset state && standin_config "{\"fail_task\": \"deleted\"}" &&
	test_when_finished "standin_config \"{\\\"fail_task\\\": null}\"" &&
	disk_ova && template t.pkr.hcl "" &&
	! "$KILN" build t.pkr.hcl >out 2>&1 &&
	test_grep "Import task import-ami-[0-9a-f]* failed with status message: ClientError: Unsupported kernel version" out &&
	test_grep "hint: .*import_method = \"snapshot\"" out &&
	test $(grep -c DescribeImportImageTasks out || true) -eq 0 &&
	test $(standin_calls | grep -c DescribeImportImageTasks) -le 3 &&
	! standin_calls | grep -q CancelImportTask &&
	aws_audit kiln-test &&
	test -z "$(live_images us-east-1)"
'

test_expect_success 'a missing VM Import role: AWS'"'"'s error, the IAM hint, the upload deleted' '
	standin_reset state && disk_ova &&
	template t.pkr.hcl "      role_name = \"nobody\"" &&
	! "$KILN" build t.pkr.hcl >out 2>&1 &&
	test_grep "Failed to start import from s3://kiln-test/.*InvalidParameter: The service role nobody provided does not exist" out &&
	test_grep "hint: VM Import runs as the IAM role nobody" out &&
	aws_audit kiln-test
'

test_expect_success 'a failure after the AMI exists removes the AMIs and snapshots of this build' '
	standin_reset state && disk_ova &&
	template t.pkr.hcl "
      ami_name  = \"dup\"
      ami_users = [\"123456789012\"]" &&
	"$KILN" build t.pkr.hcl >out 2>&1 &&
	disk_ova &&
	! "$KILN" build t.pkr.hcl >out 2>&1 &&
	test_grep "InvalidAMIName.Duplicate" out &&
	test_grep "Deregistering AMI ami-" out &&
	test $(live_images us-east-1 | wc -l) -eq 1 &&
	st regions us-east-1 snapshots | grep -o "\"snap-[0-9a-f]*\": " | wc -l >n && test "$(cat n)" -eq 1 &&
	aws_audit kiln-test
'

test_expect_success 'a wrong secret: S3 refuses it, the error says so, the secret is never shown' '
	standin_reset state && disk_ova &&
	template t.pkr.hcl "" &&
	! AWS_SECRET_ACCESS_KEY=wr0ng-s3cret-k1ln KILN_LOG=1 KILN_LOG_PATH=log "$KILN" build t.pkr.hcl >out 2>&1 &&
	test_grep "SignatureDoesNotMatch" out &&
	test_grep "hint: AWS did not accept the credentials from environment" out &&
	! grep -r "wr0ng-s3cret-k1ln" out log &&
	test -z "$(standin_calls)" &&
	aws_audit kiln-test
'

test_expect_success 'an expired session token: EC2 refuses it, the hint says so, the upload is deleted' '
	standin_reset state && disk_ova &&
	standin_config "{\"expire_tokens\": [\"old-token-1\"]}" &&
	template t.pkr.hcl "" &&
	! AWS_SESSION_TOKEN=old-token-1 "$KILN" build t.pkr.hcl >out 2>&1 &&
	test_grep "Failed to start import from .*RequestExpired" out &&
	test_grep "hint: the session token from environment .* has expired" out &&
	aws_audit kiln-test
'

test_expect_success 'Ctrl-C during the upload: the multipart upload is aborted (signed; s3rver refuses), nothing left' '
	standin_reset state && disk_ova 400000000 &&
	template t.pkr.hcl "" &&
	: >out && before=$(wc -l <"$S3_LOG") &&
	{ "$KILN" build t.pkr.hcl >out 2>&1 & } && pid=$! &&
	# once the multipart upload exists and parts are on their way
	i=0 && while ! tail -n +$((before + 1)) "$S3_LOG" | grep -q "?uploads=* 200" && [ $i -lt 300 ]; do
		sleep 0.1; i=$((i + 1)); done &&
	sleep 0.3 &&
	kill -TERM $pid && { wait $pid; rc=$?; true; } &&
	test "$rc" -ne 0 &&
	test_grep "could not abort the multipart upload [0-9a-f]* of s3://kiln-test/.*MethodNotAllowed" out &&
	test_grep "abort-multipart-upload" out &&
	tail -n +$((before + 1)) "$S3_LOG" | grep "uploadId=" | grep -q " 405 " &&
	! tail -n +$((before + 1)) "$S3_LOG" | grep -q " 403 " &&
	test -z "$(standin_calls)" &&
	aws_audit kiln-test
'

test_expect_success 'Ctrl-C while polling: CancelImportTask is sent, the upload deleted' '
	standin_reset state && standin_config "{\"slow_tasks\": true}" &&
	test_when_finished "standin_config \"{\\\"slow_tasks\\\": false}\"" &&
	disk_ova && template t.pkr.hcl "" &&
	{ AWS_POLL_DELAY_SECONDS=1 "$KILN" build t.pkr.hcl >out 2>&1 & } && pid=$! &&
	i=0 && while ! grep -q "Import task import-ami-.*: active" out && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done &&
	kill -TERM $pid && { wait $pid; rc=$?; true; } &&
	test "$rc" -ne 0 &&
	test_grep "Cancelling import task import-ami-" out &&
	standin_calls | grep -q "^ec2 CancelImportTask us-east-1$" &&
	st regions us-east-1 tasks | grep -q "\"Status\": \"deleting\"" &&
	aws_audit kiln-test
'

test_expect_success 'SSE-KMS upload (signed by kiln: curl 7.88 sorts these headers wrongly)' '
	standin_reset state && disk_ova 9000000 &&
	template t.pkr.hcl "
      s3_encryption     = \"aws:kms\"
      s3_encryption_key = \"alias/kiln\"" &&
	"$KILN" build t.pkr.hcl >out 2>&1 || { cat out; false; } &&
	aws_audit kiln-test
'

test_expect_success 'a part that fails is sent again with backoff (S3 through a proxy that says SlowDown)' '
	standin_reset state && disk_ova 20000000 &&
	standin_config "{\"fail_parts\": {\"2\": 2}}" &&
	template t.pkr.hcl "" &&
	AWS_ENDPOINT_URL_S3=$STANDIN_URL KILN_LOG=1 KILN_LOG_PATH=log "$KILN" build t.pkr.hcl >out 2>&1 || { cat out; false; } &&
	standin_state >state &&
	grep -o "\"query\": \"partNumber=2&[^\"]*\", \"status\": [0-9]*" state | sed "s/.*status\": //" >part2 &&
	printf "503\n503\n200\n" >want && test_cmp want part2 &&
	test_grep "UploadPart 2: attempt 1 failed (503 SlowDown)" log &&
	test_grep "UploadPart 2: attempt 2 failed (503 SlowDown)" log &&
	aws_audit kiln-test
'

test_expect_success 'a part that keeps failing ends the upload after max_retries, and the upload is aborted' '
	standin_reset state && disk_ova 20000000 &&
	standin_config "{\"fail_parts\": {\"1\": 100}}" &&
	test_when_finished "standin_config \"{\\\"fail_parts\\\": {}}\"" &&
	template t.pkr.hcl "      max_retries = 2" &&
	! AWS_ENDPOINT_URL_S3=$STANDIN_URL "$KILN" build t.pkr.hcl >out 2>&1 &&
	test_grep "Failed to upload disk.ova: UploadPart 1: SlowDown: Please reduce your request rate. (HTTP 503)" out &&
	test $(standin_state | grep -o "partNumber=1&[^\"]*\", \"status\": 503" | wc -l) -eq 3 &&
	test_grep "could not abort the multipart upload .*MethodNotAllowed" out &&
	test -z "$(standin_calls | grep "^ec2")" &&
	aws_audit kiln-test
'

test_expect_success 'a bucket in another region: AWS'"'"'s refusal and the hint' '
	standin_reset state && disk_ova &&
	standin_config "{\"bucket_regions\": {\"kiln-test\": \"eu-west-1\"}}" &&
	test_when_finished "standin_config \"{\\\"bucket_regions\\\": {}}\"" &&
	template t.pkr.hcl "" &&
	! "$KILN" build t.pkr.hcl >out 2>&1 &&
	test_grep "InvalidParameter: The given S3 bucket kiln-test is not local to the region us-east-1" out &&
	test_grep "hint: the bucket must be in the import'"'"'s region (us-east-1)" out &&
	aws_audit kiln-test
'

test_expect_success 'a qcow2 with no extension (the qemu builder'"'"'s vm_name) is converted; the manifest records the AMIs' '
	standin_reset state &&
	qemu-img create -q -f qcow2 packer-app 32M &&
	cat >m.pkr.hcl <<-EOF &&
	source "null" "app" {
	  communicator = "none"
	}
	build {
	  sources = ["source.null.app"]
	  post-processors {
	    post-processor "artifice" {
	      files = ["packer-app"]
	    }
	    post-processor "amazon-import" {
	      s3_bucket_name = "kiln-test"
	      region         = "us-east-1"
	      format         = "raw"
	    }
	    post-processor "manifest" {
	      output = "manifest.json"
	    }
	  }
	}
	EOF
	"$KILN" build m.pkr.hcl >out 2>&1 || { cat out; false; } &&
	test_grep "The artifact has no raw file: converting packer-app (qcow2)" out &&
	python3 -c "import json; b = json.load(open(\"manifest.json\"))[\"builds\"][-1]; print(b[\"artifact_id\"], b[\"builder_type\"])" >m &&
	grep -q "^us-east-1:ami-[0-9a-f]* null$" m &&
	! ls -A | grep kiln-amazon-import &&
	aws_audit kiln-test
'

test_expect_success 'kiln validate: Packer'"'"'s rules, located at the key' '
	template v1.pkr.hcl "      format = \"qcow2\"" &&
	! KILN_DIAG_FORMAT=short "$KILN" validate v1.pkr.hcl >out 2>&1 &&
	test_grep "v1.pkr.hcl:1[0-9]:[0-9]*: error: Unsupported value" out &&
	! "$KILN" validate v1.pkr.hcl >out 2>&1 &&
	test_grep "format = \"qcow2\" is not one of: ova, raw, vmdk, vhd, vhdx" out &&
	template v2.pkr.hcl "      boot_mode = \"uefi\"" &&
	! "$KILN" validate v2.pkr.hcl >out 2>&1 &&
	test_grep "must be set for .uefi. image imports" out &&
	template v3.pkr.hcl "
      architecture = \"arm64\"
      format       = \"ova\"" &&
	! "$KILN" validate v3.pkr.hcl >out 2>&1 &&
	test_grep "invalid format \"ova\"" out && test_grep "ImportSnapshot takes a disk" out &&
	template v4.pkr.hcl "      access_key = \"AKID\"" &&
	! "$KILN" validate v4.pkr.hcl >out 2>&1 &&
	test_grep "must both be either set or not set" out &&
	template v5.pkr.hcl "
      vault_aws_engine {
        name = \"x\"
      }" &&
	! "$KILN" validate v5.pkr.hcl >out 2>&1 &&
	test_grep "vault_aws_engine is not supported" out &&
	template v6.pkr.hcl "
      import_method = \"snapshot\"
      ami_name      = \"x\"
      boot_mode     = \"uefi-preferred\"
      aws_polling {
        delay_seconds = 1
        max_attempts  = 3
      }
      assume_role {
        role_arn = \"arn:aws:iam::111122223333:role/import\"
      }" &&
	"$KILN" validate v6.pkr.hcl
'

# required_plugins: the amazon plugin is built in since amazon-import is (src/cli/requirements.c)
test_expect_success 'required_plugins: amazon is satisfied by the built-in amazon-import' '
	template r.pkr.hcl "" &&
	{ cat <<-EOF; cat r.pkr.hcl; } >r1.pkr.hcl &&
	packer {
	  required_plugins {
	    amazon = { source = "github.com/hashicorp/amazon", version = ">= 1.2.0" }
	  }
	}
	EOF
	"$KILN" validate r1.pkr.hcl &&
	"$KILN" init r1.pkr.hcl >out &&
	test_grep "built into kiln as the post-processor \"amazon-import\", standing in for release 1.8.2" out &&
	sed "s/>= 1.2.0/>= 9.0.0/" r1.pkr.hcl >r2.pkr.hcl &&
	! "$KILN" validate r2.pkr.hcl >out 2>&1 &&
	test_grep_text "as its releases 1.0.0 to 1.8.2, and none of them satisfies the constraint" out
'

test_expect_success 'nothing is left behind (bucket, processes, ports, temporary files)' '
	aws_audit kiln-test &&
	audit_test
'

test_done
