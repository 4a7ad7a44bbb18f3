#!/bin/sh
# bench/upload.sh — uploading a 1 GiB disk image to S3 on loopback: kiln (`kiln build` with the null
# builder, artifice and amazon-import: the multipart upload on one curl multi handle, bodies signed in
# aws-chunked form as they stream) against the AWS CLI (`aws s3 cp`, Debian's awscli with its defaults:
# 8 MiB parts, 10 in flight), both to the same s3rver (the @20minutes fork, which checks every
# signature), in the same run, taking turns. Each figure is the median over BENCH_ROUNDS of the whole
# command's wall time, so both pay their start-up; kiln's also includes the import calls to the loopback
# EC2 stand-in that follow the upload (a few milliseconds) and deleting its object.
#
#   bench/upload.sh                  (needs ./build/kiln, s3rver from scripts/install-deps, awscli)
#   BENCH_ROUNDS=5 BENCH_MIB=2048 bench/upload.sh
#
# Prints MB/s per tool and kiln's ratio; goal: kiln >= 1.0x the AWS CLI's throughput. The last line,
# "RESULT bench=upload ...", is the same figure for bench/run-all (bench/README.md).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
KILN_SRCDIR=$top
export KILN_SRCDIR
kiln=${KILN:-$top/build/kiln}
rounds=${BENCH_ROUNDS:-3}
mib=${BENCH_MIB:-1024}

[ -x "$kiln" ] || { echo "bench/upload.sh: $kiln is not built (make in ./build)" >&2; exit 1; }
[ -x /usr/bin/aws ] || { echo "bench/upload.sh: /usr/bin/aws is missing (scripts/install-deps installs awscli)" >&2; exit 1; }
for p in node python3 curl; do
	command -v "$p" >/dev/null 2>&1 || { echo "bench/upload.sh: $p is missing (scripts/install-deps)" >&2; exit 1; }
done

TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kiln-bench-upload.XXXXXX")
export TEST_DIR
: >"$TEST_DIR/.atexit"
test_atexit() { printf '%s\n' "$1" >>"$TEST_DIR/.atexit"; }
trap 'set +e; (. "$TEST_DIR/.atexit") >/dev/null 2>&1; rm -rf "$TEST_DIR"' EXIT
trap 'exit 130' INT TERM
. "$top/tests/lib/aws.sh"
aws_test_env
s3rver_start kiln-bench
standin_start
aws_endpoints_env
AWS_ACCESS_KEY_ID=S3RVER
AWS_SECRET_ACCESS_KEY=S3RVER
AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION

cd "$TEST_DIR"
head -c $((mib * 1048576)) /dev/urandom >disk.raw
bytes=$(stat -c %s disk.raw)
cat >upload.pkr.hcl <<'HCL'
source "null" "bench" {
  communicator = "none"
}
build {
  sources = ["source.null.bench"]
  post-processors {
    post-processor "artifice" {
      files = ["disk.raw"]
    }
    post-processor "amazon-import" {
      s3_bucket_name      = "kiln-bench"
      format              = "raw"
      keep_input_artifact = true
    }
  }
}
HCL

now_ns() { date +%s%N; }
time_ms() {
	t0=$(now_ns)
	"$@" >run.log 2>&1 || { echo "bench/upload.sh: failed: $*" >&2; cat run.log >&2; exit 1; }
	echo $((($(now_ns) - t0) / 1000000))
}
median() {
	sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : int((v[NR/2] + v[NR/2+1]) / 2)}'
}
awscli() { /usr/bin/aws --endpoint-url "$S3_URL" --region us-east-1 "$@"; }

: >kiln.ms
: >aws.ms
i=0
while [ $i -lt "$rounds" ]; do
	time_ms "$kiln" build -color=false upload.pkr.hcl >>kiln.ms
	grep -q "Completed upload of disk.raw" run.log || { echo "bench/upload.sh: kiln did not upload" >&2; cat run.log >&2; exit 1; }
	time_ms awscli s3 cp --only-show-errors disk.raw "s3://kiln-bench/aws-$i" >>aws.ms
	awscli s3 rm --only-show-errors "s3://kiln-bench/aws-$i" >/dev/null
	standin_reset state
	i=$((i + 1))
done
[ -z "$(s3_keys kiln-bench)" ] || { echo "bench/upload.sh: objects left in the bucket: $(s3_keys kiln-bench)" >&2; exit 1; }

k=$(median <kiln.ms)
a=$(median <aws.ms)
python3 - "$bytes" "$k" "$a" "$rounds" "$(paste -sd, kiln.ms)" "$(paste -sd, aws.ms)" <<'PY'
import sys
size, k, a, rounds, kall, aall = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
kr, ar = size / 1e6 / (k / 1000.0), size / 1e6 / (a / 1000.0)
ratio = kr / ar
print("bench/upload.sh: %.0f MiB to s3rver, median of %s rounds" % (size / 1048576, rounds))
print("  kiln build (amazon-import): %6.1f MB/s  (%d ms; rounds %s)" % (kr, k, kall))
print("  aws s3 cp:                  %6.1f MB/s  (%d ms; rounds %s)" % (ar, a, aall))
print("  ratio %.2fx (goal >= 1.0x)" % ratio)
print('RESULT bench=upload measure="%d MiB disk to S3 (s3rver): throughput of the whole command" unit=MB/s '
      'kiln=%.1f peer=awscli peer_value=%.1f ratio=%.2f goal=">=1.0x" met=%s rounds=%s'
      % (size // 1048576, kr, ar, ratio, "yes" if ratio >= 1.0 else "no", rounds))
PY
