#!/bin/sh
# t0812-amazon-import-packer — the differential test against the oracle: Packer 1.6.6's built-in
# amazon-import and kiln's run the same template against the same loopback AWS, and must make the same
# calls, in the same order, with the same parameters (ids and times aside; the ModifyImageAttribute
# calls and the tags as sets, since Packer walks Go maps in random order).
#
# Packer 1.6.6 sends S3 requests to custom_endpoint_ec2 too, so the EC2 stand-in passes them on to
# s3rver; its S3 client addresses a bucket whose name cannot be a host name path-style. Nothing may
# leave loopback: the proxies point at a closed loopback port, skip_credential_validation keeps Packer
# from calling STS, and AWS_EC2_METADATA_DISABLED keeps it from the metadata service.
. "$KILN_SRCDIR/tests/lib/test-lib.sh"
. "$KILN_SRCDIR/tests/lib/aws.sh"
command -v packer >/dev/null 2>&1 || { echo "Bail out! packer (1.6.6) is missing: scripts/install-deps installs it"; exit 1; }
aws_test_env
s3rver_start Kiln_Bucket || { echo "Bail out! s3rver did not start"; exit 1; }
standin_start || { echo "Bail out! the stand-in did not start"; exit 1; }
AWS_ACCESS_KEY_ID=S3RVER
AWS_SECRET_ACCESS_KEY=S3RVER
AWS_REGION=us-east-1
HTTP_PROXY=http://127.0.0.1:9
HTTPS_PROXY=http://127.0.0.1:9
NO_PROXY=127.0.0.1
CHECKPOINT_DISABLE=1
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION HTTP_PROXY HTTPS_PROXY NO_PROXY CHECKPOINT_DISABLE

cat >t.pkr.hcl <<EOF
source "null" "app" {
  communicator = "none"
}
build {
  sources = ["source.null.app"]
  post-processors {
    post-processor "artifice" {
      files = ["disk.ova"]
    }
    post-processor "amazon-import" {
      region                     = "us-east-1"
      custom_endpoint_ec2        = "$STANDIN_URL"
      skip_credential_validation = true
      s3_bucket_name             = "Kiln_Bucket"
      s3_key_name                = "diff.ova"
      role_name                  = "vmimport"
      license_type               = "BYOL"
      ami_name                   = "kiln-diff"
      ami_description            = "from the differential test"
      ami_users                  = ["123456789012", "210987654321"]
      ami_groups                 = ["all"]
      tags = {
        os   = "debian"
        Name = "diff"
      }
    }
  }
}
EOF

# calls.py: the calls of one run, normalized: ids numbered in order of appearance, consecutive repeats
# collapsed, the ModifyImageAttribute calls and the tags sorted (Packer's come in map order)
cat >calls.py <<'EOF'
import json, re, sys
calls = json.load(sys.stdin)["calls"]
ids = {}
def norm(v):
    return re.sub(r"\b(ami|snap|import-ami)-[0-9a-f]+\b",
                  lambda m: ids.setdefault(m.group(0), "%s-%d" % (m.group(1), len(ids) + 1)), v)
out, modify = [], []
for c in calls:
    if c["service"] == "s3":
        line = "s3 %s%s -> %s" % (c["action"], "?" + re.sub(r"=[^&]*", "", c["query"]) if c["query"] else "", c["status"])
    elif "error" in c:
        line = "%s %s ERROR %s" % (c["service"], c["action"], c["error"])
    else:
        p = dict(c["params"])
        p.pop("Action", None)
        p.pop("Version", None)
        if c["action"] == "CreateTags":
            tags = sorted((p.pop("Tag.%d.Key" % i), p.pop("Tag.%d.Value" % i)) for i in range(1, 1 + sum(1 for k in list(p) if k.endswith(".Key"))))
            p["tags"] = str(tags)
        line = "%s %s %s" % (c["service"], c["action"], norm(json.dumps(p, sort_keys=True)))
    if c.get("action") == "ModifyImageAttribute" and "error" not in c:
        modify.append(line)
        continue
    if modify:
        out.extend(sorted(modify))
        modify = []
    if not out or out[-1] != line:
        out.append(line)
out.extend(sorted(modify))
print("\n".join(out))
EOF

run() { # TOOL: build with it, keep its normalized calls in TOOL.calls
	standin_reset state &&
	truncate -s 2000000 disk.ova &&
	"$@" >"$1.out" 2>&1 || { cat "$1.out"; return 1; }
	standin_state | $AWS_PY calls.py >"$(basename "$1").calls"
}

test_expect_success 'Packer 1.6.6 imports through the loopback stand-ins' '
	AWS_POLL_DELAY_SECONDS=0 run packer build t.pkr.hcl &&
	test_grep "Import task import-ami-[0-9a-f]* complete" packer.out &&
	test_grep "us-east-1: ami-" packer.out &&
	grep -q "^ec2 ImportImage" packer.calls
'

test_expect_success 'kiln makes the same calls, in the same order, with the same parameters' '
	AWS_POLL_DELAY_SECONDS=0 run "$KILN" build t.pkr.hcl &&
	test_cmp packer.calls kiln.calls
'

test_expect_success 'both leave the bucket empty' '
	test -z "$(s3_keys Kiln_Bucket)"
'

test_done
