#!/bin/sh
# t0811-amazon-import-credentials — every source of AWS credentials, in the SDKs' order, against the
# loopback STS and metadata service: the template's keys, the environment, the shared credentials and
# config files (profiles, credential_process, role_arn + source_profile), web identity (CI's OIDC),
# IMDSv2, Packer's assume_role block, refreshing expired temporary credentials, and no credentials at
# all. Each source gives a distinct session token; the stand-in records which one signed each call.
# No secret is ever printed or logged.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"
. "$KILN_SRCDIR/tests/lib/audit.sh"
. "$KILN_SRCDIR/tests/lib/aws.sh"
aws_test_env
s3rver_start kiln-test || { echo "Bail out! s3rver did not start"; exit 1; }
STANDIN_TOKENS=tok-template,tok-env,tok-file,tok-config,tok-process
standin_start '{"web_identity_tokens": ["oidc-abc-123"]}' || { echo "Bail out! the stand-in did not start"; exit 1; }
aws_endpoints_env

cat >t.pkr.hcl <<'EOF'
variable "profile" {
  type    = string
  default = ""
}
source "null" "app" {
  communicator = "none"
}
build {
  sources = ["source.null.app"]
  post-processors {
    post-processor "artifice" {
      files = ["disk.raw"]
    }
    post-processor "amazon-import" {
      s3_bucket_name = "kiln-test"
      format         = "raw"
      profile        = var.profile
    }
  }
}
EOF
# build [ENV...]: a fresh disk, then kiln build with these variables set for it only
build() {
	head -c 100000 /dev/urandom >disk.raw &&
	standin_reset &&
	env "$@" "$KILN" build t.pkr.hcl >out 2>&1 || { cat out; return 1; }
}
mkdir -p "$HOME/.aws"
# s3rver knows one key (S3RVER): every source gives it, each with its own session token
cat >"$HOME/.aws/credentials" <<'EOF'
[ci]
aws_access_key_id = S3RVER
aws_secret_access_key = S3RVER
aws_session_token = tok-file
[base]
aws_access_key_id = S3RVER
aws_secret_access_key = S3RVER
aws_session_token = tok-file
EOF
cat >helper.sh <<'EOF'
#!/bin/sh
[ "$1" = "--for kiln" ] || { echo "unexpected arguments: $*" >&2; exit 2; }
echo '{"Version": 1, "AccessKeyId": "S3RVER", "SecretAccessKey": "S3RVER", "SessionToken": "tok-process"}'
EOF
chmod +x helper.sh
cat >"$HOME/.aws/config" <<EOF
[profile ci]
region = eu-west-1
[profile proc]
region = us-east-1
credential_process = $TEST_DIR/helper.sh '--for kiln'
[profile role]
region = us-east-1
role_arn = arn:aws:iam::111122223333:role/import
source_profile = base
external_id = ext-42
EOF

test_expect_success 'the template'"'"'s keys come first' '
	sed "s/      format         = \"raw\"/&\n      access_key = \"S3RVER\"\n      secret_key = \"S3RVER\"\n      token = \"tok-template\"\n      region = \"us-east-1\"/" t.pkr.hcl >k.pkr.hcl &&
	head -c 100000 /dev/urandom >disk.raw && standin_reset &&
	AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_SESSION_TOKEN=tok-env "$KILN" build k.pkr.hcl >out 2>&1 ||
		{ cat out; false; } &&
	test "$(call_token ImportImage)" = tok-template &&
	test_grep "Using AWS credentials from the template" out
'

test_expect_success 'then AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN' '
	build AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_SESSION_TOKEN=tok-env \
		AWS_PROFILE=ci &&
	test "$(call_token ImportImage)" = tok-env
'

test_expect_success 'then the shared files: AWS_PROFILE, its credentials and its region' '
	build AWS_PROFILE=ci &&
	test "$(call_token ImportImage)" = tok-file &&
	standin_calls | grep -q "^ec2 ImportImage eu-west-1$" &&
	test_grep "shared credentials file .*/.aws/credentials, profile \"ci\"" out
'

test_expect_success 'the profile key, and AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE elsewhere' '
	mkdir -p other && cp "$HOME/.aws/credentials" other/c && cp "$HOME/.aws/config" other/f &&
	sed -i s/tok-file/tok-config/ other/c &&
	build -u AWS_PROFILE AWS_SHARED_CREDENTIALS_FILE=other/c AWS_CONFIG_FILE=other/f \
		PKR_VAR_profile=ci &&
	test "$(call_token ImportImage)" = tok-config
'

test_expect_success 'credential_process: run without a shell, its output read' '
	build AWS_PROFILE=proc &&
	test "$(call_token ImportImage)" = tok-process &&
	test_grep "credential_process of profile \"proc\"" out
'

test_expect_success 'role_arn + source_profile: STS AssumeRole signed with the source profile'"'"'s keys' '
	build AWS_PROFILE=role &&
	tok=$(call_token ImportImage) &&
	case "$tok" in ar-*) ;; *) echo "token $tok"; false ;; esac &&
	test "$(call_token AssumeRole)" = tok-file &&
	call_params AssumeRole >params &&
	test_grep "^RoleArn=arn:aws:iam::111122223333:role/import$" params &&
	test_grep "^ExternalId=ext-42$" params &&
	test_grep "^RoleSessionName=kiln-[0-9]*$" params
'

test_expect_success 'web identity: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN, unsigned AssumeRoleWithWebIdentity' '
	printf "oidc-abc-123\n" >oidc.token &&
	build AWS_REGION=us-east-1 AWS_WEB_IDENTITY_TOKEN_FILE=oidc.token AWS_ROLE_ARN=arn:aws:iam::111122223333:role/ci \
		AWS_ROLE_SESSION_NAME=gha-run-7 &&
	tok=$(call_token ImportImage) &&
	case "$tok" in wi-*) ;; *) echo "token $tok"; false ;; esac &&
	test -z "$(call_token AssumeRoleWithWebIdentity)" &&
	call_params AssumeRoleWithWebIdentity >params &&
	test_grep "^RoleSessionName=gha-run-7$" params &&
	test_grep "^WebIdentityToken=oidc-abc-123$" params
'

test_expect_success 'a web identity token the provider refuses: a clear error, nothing uploaded' '
	printf "forged\n" >bad.token &&
	! build AWS_REGION=us-east-1 AWS_WEB_IDENTITY_TOKEN_FILE=bad.token AWS_ROLE_ARN=arn:aws:iam::111122223333:role/ci &&
	test_grep "InvalidIdentityToken" out &&
	test_grep "web identity token in bad.token" out &&
	aws_audit kiln-test
'

test_expect_success 'the EC2 instance metadata service, with an IMDSv2 session token' '
	build -u AWS_EC2_METADATA_DISABLED AWS_EC2_METADATA_SERVICE_ENDPOINT=$STANDIN_URL AWS_REGION=us-east-1 &&
	tok=$(call_token ImportImage) &&
	case "$tok" in imds-*) ;; *) echo "token $tok"; false ;; esac &&
	standin_calls | grep -q "^imds token" &&
	test_grep "EC2 instance metadata (role kiln-import)" out
'

test_expect_success 'temporary credentials that expire mid-build are refreshed' '
	standin_config "{\"token_uses\": 3}" &&
	test_when_finished "standin_config \"{\\\"token_uses\\\": 0}\"" &&
	build -u AWS_EC2_METADATA_DISABLED AWS_EC2_METADATA_SERVICE_ENDPOINT=$STANDIN_URL AWS_REGION=us-east-1 &&
	standin_calls | grep -q "ERROR:RequestExpired" &&
	standin_state | grep -o "\"token\": \"imds-[^\"]*\"" | sort -u | wc -l >n &&
	test "$(cat n)" -ge 2 &&
	aws_audit kiln-test
'

test_expect_success 'Packer'"'"'s assume_role block on top of whatever was found' '
	sed "s/      format         = \"raw\"/&\n      assume_role {\n        role_arn = \"arn:aws:iam::111122223333:role\/deploy\"\n        session_name = \"kiln-ci\"\n        duration_seconds = 900\n        tags = { team = \"images\" }\n      }/" t.pkr.hcl >a.pkr.hcl &&
	head -c 100000 /dev/urandom >disk.raw && standin_reset &&
	AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_SESSION_TOKEN=tok-env \
		"$KILN" build a.pkr.hcl >out 2>&1 || { cat out; false; } &&
	test "$(call_token AssumeRole)" = tok-env &&
	case "$(call_token ImportImage)" in ar-*) ;; *) false ;; esac &&
	call_params AssumeRole >params &&
	test_grep "^RoleSessionName=kiln-ci$" params &&
	test_grep "^DurationSeconds=900$" params &&
	test_grep "^Tags.member.1.Key=team$" params
'

test_expect_success 'no credentials anywhere: one clear error naming where kiln looked, no request made' '
	! build AWS_REGION=us-east-1 AWS_PROFILE= &&
	test_grep "no AWS credentials found" out &&
	test_grep "hint: set access_key and secret_key" out &&
	test -z "$(standin_calls)" &&
	aws_audit kiln-test
'

test_expect_success 'no secret is printed or logged, from any source (KILN_LOG=1)' '
	head -c 100000 /dev/urandom >disk.raw &&
	KILN_LOG=1 KILN_LOG_PATH=k.log AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_SESSION_TOKEN=tok-env \
		"$KILN" build k.pkr.hcl >k.out 2>&1 &&
	head -c 100000 /dev/urandom >disk.raw &&
	KILN_LOG=1 KILN_LOG_PATH=w.log AWS_REGION=us-east-1 AWS_WEB_IDENTITY_TOKEN_FILE=oidc.token \
		AWS_ROLE_ARN=arn:aws:iam::111122223333:role/ci "$KILN" build t.pkr.hcl >w.out 2>&1 &&
	head -c 100000 /dev/urandom >disk.raw &&
	KILN_LOG=1 KILN_LOG_PATH=i.log AWS_EC2_METADATA_SERVICE_ENDPOINT=$STANDIN_URL AWS_REGION=us-east-1 \
		env -u AWS_EC2_METADATA_DISABLED "$KILN" build t.pkr.hcl >i.out 2>&1 &&
	test -s k.log && test -s w.log && test -s i.log &&
	grep -q "aws: ec2 ImportImage" i.log &&
	! grep -n -e S3RVER -e tok-template -e tok-env -e oidc-abc-123 -e "imds-[0-9]" -e "wi-[0-9]" -e imdsv2- \
		k.log k.out w.log w.out i.log i.out
'

test_expect_success 'nothing is left behind (bucket, processes, ports, temporary files)' '
	aws_audit kiln-test &&
	audit_test
'

test_done
