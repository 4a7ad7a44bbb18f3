# aws.sh — loopback AWS for the shell tests (source after test-lib.sh): s3rver (the @20minutes fork,
# which checks SigV4; scripts/install-deps installs it under $KILN_NPM_DIR) and tests/lib/aws-standin.py
# (EC2, STS and the instance metadata service, checked against botocore's models). Both listen on
# 127.0.0.1 on ports they pick, and are stopped when the test file ends — or, should the test's shell die
# without its cleanup (a SIGPIPE, a SIGHUP), with it (setpriv --pdeathsig).
#
#   aws_test_env                 a clean AWS environment: no credentials, no proxies, HOME in TEST_DIR
#   s3rver_start BUCKET          S3_URL, S3_DIR (its data), S3_LOG (one line per request)
#   standin_start [CONFIG_JSON]  STANDIN_URL; the stand-in checks imported objects in s3rver
#   standin_config JSON          change the stand-in's knobs
#   standin_calls                "service action region" per call made (errors as "service action ERROR:code")
#   s3_keys BUCKET               the keys in the bucket, one a line
#   aws_audit BUCKET             nothing left in the bucket (the leak audit of these tests)

: "${KILN_NPM_DIR:=/var/tmp/kiln-npm}"
S3RVER_CLI=$KILN_NPM_DIR/node_modules/@20minutes/s3rver/lib/cli.js
AWS_STANDIN=$KILN_SRCDIR/tests/lib/aws-standin.py
AWS_PY=/usr/bin/python3

aws_test_env() {
	for v in $(env | sed -n 's/^\(AWS_[A-Z0-9_]*\)=.*/\1/p'); do unset "$v"; done
	unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
	HOME=$TEST_DIR/home
	mkdir -p "$HOME"
	export HOME
	# never the real metadata service at 169.254.169.254: tests point it at the stand-in when they want it
	AWS_EC2_METADATA_DISABLED=true
	AWS_POLL_DELAY_SECONDS=0
	export AWS_EC2_METADATA_DISABLED AWS_POLL_DELAY_SECONDS
}

# _wait_for FILE PATTERN SECONDS: until a line of FILE matches
_aws_wait_for() {
	_i=0
	while [ $_i -lt $(($3 * 10)) ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	echo "aws.sh: timed out waiting for '$2' in $1:" >&2
	cat "$1" >&2
	return 1
}

s3rver_start() {
	[ -f "$S3RVER_CLI" ] || { echo "aws.sh: s3rver is not installed in $KILN_NPM_DIR (run scripts/install-deps)" >&2; return 1; }
	S3_DIR=$TEST_DIR/s3rver
	S3_LOG=$TEST_DIR/s3rver.log
	mkdir -p "$S3_DIR"
	setpriv --pdeathsig TERM node -e "require(process.argv[1]).parseAsync(['node', 's3rver'].concat(process.argv.slice(2)))" \
		"$S3RVER_CLI" -d "$S3_DIR" -a 127.0.0.1 -p 0 --configure-bucket "$1" >"$S3_LOG" 2>&1 </dev/null &
	S3_PID=$!
	test_atexit "kill $S3_PID 2>/dev/null; wait $S3_PID 2>/dev/null"
	! command -v audit_ignore_pid >/dev/null 2>&1 || audit_ignore_pid $S3_PID
	_aws_wait_for "$S3_LOG" "S3rver listening on" 20 || return 1
	S3_URL=http://$(sed -n 's/^S3rver listening on \(127\.0\.0\.1:[0-9]*\)$/\1/p' "$S3_LOG")
	export S3_URL S3_DIR S3_LOG S3_PID
}

standin_start() {
	STANDIN_PORT_FILE=$TEST_DIR/standin.port
	STANDIN_LOG=$TEST_DIR/standin.log
	rm -f "$STANDIN_PORT_FILE"
	setpriv --pdeathsig TERM $AWS_PY "$AWS_STANDIN" --port-file "$STANDIN_PORT_FILE" ${S3_URL:+--s3-endpoint "$S3_URL"} \
		${1:+--config "$1"} ${STANDIN_TOKENS:+--tokens "$STANDIN_TOKENS"} >"$STANDIN_LOG" 2>&1 </dev/null &
	STANDIN_PID=$!
	test_atexit "kill $STANDIN_PID 2>/dev/null; wait $STANDIN_PID 2>/dev/null"
	! command -v audit_ignore_pid >/dev/null 2>&1 || audit_ignore_pid $STANDIN_PID
	_i=0
	while [ ! -s "$STANDIN_PORT_FILE" ] && [ $_i -lt 200 ]; do sleep 0.1; _i=$((_i + 1)); done
	[ -s "$STANDIN_PORT_FILE" ] || { echo "aws.sh: the stand-in did not start:" >&2; cat "$STANDIN_LOG" >&2; return 1; }
	STANDIN_URL=http://127.0.0.1:$(cat "$STANDIN_PORT_FILE")
	export STANDIN_URL STANDIN_PID
}

standin_config() {
	curl -sS --noproxy '*' -X POST --data-binary "$1" "$STANDIN_URL/_config" >/dev/null
}

standin_state() {
	curl -sS --noproxy '*' "$STANDIN_URL/_state"
}

standin_calls() {
	standin_state | $AWS_PY -c '
import json, sys
for c in json.load(sys.stdin)["calls"]:
    if "error" in c:
        print(c["service"], c["action"], "ERROR:" + c["error"])
    else:
        print(c["service"], c["action"], c.get("region") or "")'
}

# standin_py 'EXPR': evaluate a Python expression over the state (s) and print it
standin_py() {
	standin_state | $AWS_PY -c "import json, sys; s = json.load(sys.stdin); print($1)"
}

s3_keys() {
	# ListObjectsV2, signed by curl (its SigV4 is right for this request: see sigv4.h) and checked by s3rver
	curl -sS --noproxy '*' --aws-sigv4 "aws:amz:us-east-1:s3" --user S3RVER:S3RVER \
		-H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
		"$S3_URL/$1?list-type=2" >"$TEST_DIR/.s3-list" || return 1
	grep -q "<ListBucketResult" "$TEST_DIR/.s3-list" || { cat "$TEST_DIR/.s3-list" >&2; return 1; }
	sed 's/<Key>/\n<Key>/g' "$TEST_DIR/.s3-list" | sed -n 's/^<Key>\([^<]*\)<\/Key>.*/\1/p'
}

aws_audit() {
	_left=$(s3_keys "$1") || return 1
	if [ -n "$_left" ]; then
		echo "aws_audit: objects left in s3://$1: $_left" >&2
		return 1
	fi
	return 0
}

# standin_reset [state]: forget the calls (and with "state", the AMIs, snapshots and tasks)
standin_reset() {
	_all=false
	[ "${1:-}" = state ] && _all=true
	curl -sS --noproxy '*' -X POST --data-binary "{\"state\": $_all}" "$STANDIN_URL/_reset" >/dev/null
}

# The environment of a kiln build against the loopback AWS (credentials are the tests' business).
aws_endpoints_env() {
	AWS_ENDPOINT_URL_S3=$S3_URL
	AWS_ENDPOINT_URL_EC2=$STANDIN_URL
	AWS_ENDPOINT_URL_STS=$STANDIN_URL
	KILN_AWS_RETRY_BASE_MS=20
	export AWS_ENDPOINT_URL_S3 AWS_ENDPOINT_URL_EC2 AWS_ENDPOINT_URL_STS KILN_AWS_RETRY_BASE_MS
}

# st KEY...: a value of the stand-in's state (JSON), following the keys (list indexes are numbers)
st() {
	standin_state | $AWS_PY -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1:]:
    v = v[int(k)] if isinstance(v, list) else v.get(k) if isinstance(v, dict) else None
print(json.dumps(v, sort_keys=True))' "$@"
}

# call_params ACTION [N]: the parameters of the Nth (default first) successful call of ACTION,
# "key=value" a line, sorted
call_params() {
	standin_state | $AWS_PY -c '
import json, sys
calls = [c for c in json.load(sys.stdin)["calls"] if c.get("action") == sys.argv[1] and "error" not in c]
for k, v in sorted(calls[int(sys.argv[2]) - 1]["params"].items()):
    print("%s=%s" % (k, v))' "$1" "${2:-1}"
}

# live_images REGION: the AMIs of a region that are not deregistered, one a line
live_images() {
	standin_state | $AWS_PY -c '
import json, sys
imgs = json.load(sys.stdin)["regions"].get(sys.argv[1], {}).get("images", {})
for i, v in sorted(imgs.items()):
    if v["State"] != "deregistered":
        print(i)' "$1"
}

# call_token ACTION [N]: the session token the Nth (default first) successful call of ACTION was signed with
call_token() {
	standin_state | $AWS_PY -c '
import json, sys
calls = [c for c in json.load(sys.stdin)["calls"] if c.get("action") == sys.argv[1] and "error" not in c]
print(calls[int(sys.argv[2]) - 1].get("token") or "")' "$1" "${2:-1}"
}
