#!/bin/sh
# t0809-aws-standins.sh — the loopback AWS the amazon-import tests use, proved before it is trusted:
# s3rver (the @20minutes fork) checks SigV4 and refuses a wrong secret; the EC2/STS/metadata stand-in
# (tests/lib/aws-standin.py) takes every request botocore sends, answers in XML botocore parses, and
# refuses what AWS refuses. Both are gone when the file ends.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"
. "$KILN_SRCDIR/tests/lib/aws.sh"
aws_test_env
s3rver_start kiln-test || { echo "Bail out! s3rver did not start"; exit 1; }
standin_start || { echo "Bail out! the stand-in did not start"; exit 1; }

test_expect_success 's3rver (the SigV4-checking fork) and the stand-in listen on loopback' '
	case "$S3_URL" in http://127.0.0.1:*) ;; *) false ;; esac &&
	case "$STANDIN_URL" in http://127.0.0.1:*) ;; *) false ;; esac
'

test_expect_success 's3rver refuses a request signed with the wrong secret' '
	AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=wrong /usr/bin/aws --endpoint-url "$S3_URL" --region us-east-1 \
		s3 ls s3://kiln-test/ >out 2>err && false ||
	test_grep SignatureDoesNotMatch err
'

test_expect_success 'botocore as the client: every call of the import paths, and AWS refusals' '
	$AWS_PY "$KILN_SRCDIR/tests/integration/aws-standin-selftest.py" "$STANDIN_URL" "$S3_URL" kiln-test >out 2>&1 ||
		{ cat out; false; } &&
	grep -c "^ok" out >count &&
	test "$(cat count)" -ge 40 &&
	! grep FAIL out
'

test_expect_success 'the stand-in logged each call with its signing region' '
	standin_calls >calls &&
	grep -q "^ec2 CopyImage eu-west-1$" calls &&
	grep -q "^ec2 ImportImage ERROR:UnknownParameter$" calls &&
	grep -q "^sts AssumeRoleWithWebIdentity us-east-1$" calls
'

test_expect_success 'both servers stop when told (what test_atexit does): nothing left listening' '
	kill $S3_PID $STANDIN_PID &&
	i=0 && while { kill -0 $S3_PID || kill -0 $STANDIN_PID; } 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1)); done &&
	! kill -0 $S3_PID 2>/dev/null && ! kill -0 $STANDIN_PID 2>/dev/null &&
	! curl -s --noproxy "*" -m 2 "$STANDIN_URL/_state" >/dev/null &&
	! curl -s --noproxy "*" -m 2 "$S3_URL/" >/dev/null
'

test_done
