#!/usr/bin/python3
# aws-standin-selftest.py ENDPOINT S3RVER_URL BUCKET — prove tests/lib/aws-standin.py with botocore as the
# client before any kiln test trusts it: botocore serializes and signs every request (the stand-in must
# accept them all), parses every answer (the stand-in's XML must carry what botocore expects), and the
# stand-in must refuse what AWS refuses (a wrong secret, an unknown or mistyped parameter, an expired
# token, a missing role). Prints TAP-ish "ok"/"FAIL" lines and exits non-zero on the first failure.
import json
import re
import sys
import time
import urllib.request

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from botocore.utils import InstanceMetadataFetcher

endpoint, s3url, bucket = sys.argv[1:4]
session = botocore.session.get_session()
cfg = Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"})
checks = 0


def client(service, region="us-east-1", key="S3RVER", secret="S3RVER", token=None, url=endpoint):
    return session.create_client(service, region_name=region, endpoint_url=url, aws_access_key_id=key,
                                 aws_secret_access_key=secret, aws_session_token=token, config=cfg)


def ok(cond, what):
    global checks
    checks += 1
    if not cond:
        print("FAIL: " + what)
        sys.exit(1)
    print("ok - " + what)


def fails(code, what, fn, *a, **kw):
    try:
        fn(*a, **kw)
    except ClientError as e:
        ok(e.response["Error"]["Code"] == code, "%s: %s (got %s: %s)" % (what, code, e.response["Error"]["Code"],
                                                                        e.response["Error"].get("Message")))
        return
    ok(False, what + ": expected " + code)


def knobs(**kw):
    req = urllib.request.Request(endpoint + "/_config", data=json.dumps(kw).encode(), method="POST")
    urllib.request.urlopen(req).read()


def state():
    return json.load(urllib.request.urlopen(endpoint + "/_state"))


def raw_ec2(params, key="S3RVER", secret="S3RVER", region="us-east-1"):
    """A request botocore would never send: signed by botocore, with the parameters as given."""
    body = "&".join("%s=%s" % (k, urllib.request.quote(v, safe="")) for k, v in params.items())
    req = AWSRequest(method="POST", url=endpoint + "/", data=body.encode(),
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(key, secret), "ec2", region).add_auth(req)
    r = urllib.request.Request(endpoint + "/", data=body.encode(), headers=dict(req.headers.items()), method="POST")
    try:
        return 200, urllib.request.urlopen(r).read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def wait_task(ec2, tid, snapshot=False):
    seen = []
    for _ in range(20):
        if snapshot:
            t = ec2.describe_import_snapshot_tasks(ImportTaskIds=[tid])["ImportSnapshotTasks"][0]["SnapshotTaskDetail"]
        else:
            t = ec2.describe_import_image_tasks(ImportTaskIds=[tid])["ImportImageTasks"][0]
        seen.append((t["Status"], t.get("StatusMessage")))
        if t["Status"] in ("completed", "deleted"):
            return t, seen
    raise SystemExit("FAIL: task %s never ended: %s" % (tid, seen))


# --- S3: an object to import (the stand-in asks s3rver whether it is there) ---
s3 = client("s3", url=s3url)
s3.put_object(Bucket=bucket, Key="disk.raw", Body=b"\0" * 4096)
ok(s3.head_object(Bucket=bucket, Key="disk.raw")["ContentLength"] == 4096, "s3rver holds the test object")

# --- EC2: the image path, as Packer calls it ---
ec2 = client("ec2")
r = ec2.import_image(DiskContainers=[{"Format": "raw", "UserBucket": {"S3Bucket": bucket, "S3Key": "disk.raw"}}],
                     Architecture="x86_64", BootMode="uefi", Platform="linux", RoleName="vmimport", LicenseType="BYOL",
                     Encrypted=False)
ok(re.fullmatch(r"import-ami-[0-9a-f]{17}", r["ImportTaskId"]) is not None, "ImportImage returns a task id")
t, seen = wait_task(ec2, r["ImportTaskId"])
ok(t["Status"] == "completed" and t["ImageId"].startswith("ami-"), "the import task completes with an AMI")
ok(("active", "converting") in seen, "the task goes through AWS's statuses: %s" % seen)
ok(t["SnapshotDetails"][0]["SnapshotId"].startswith("snap-") and t["BootMode"] == "uefi", "SnapshotDetails, BootMode")
img = ec2.describe_images(ImageIds=[t["ImageId"]])["Images"][0]
snap = img["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]
ok(img["State"] == "available" and img["Name"] == r["ImportTaskId"], "the imported AMI is named after the task")

# the rename (CopyImage) into another region, waited for, the intermediate destroyed
west = client("ec2", "eu-west-1")
c = west.copy_image(Name="kiln-copy", SourceImageId=t["ImageId"], SourceRegion="us-east-1", Encrypted=True,
                    KmsKeyId="alias/kiln")
states = [west.describe_images(ImageIds=[c["ImageId"]])["Images"][0]["State"] for _ in range(4)]
ok(states[0] == "pending" and states[-1] == "available", "a copied AMI is pending, then available: %s" % states)
fails("InvalidAMIName.Duplicate", "a second AMI of the same name", west.copy_image, Name="kiln-copy",
      SourceImageId=t["ImageId"], SourceRegion="us-east-1")
fails("InvalidSnapshot.InUse", "a snapshot of a registered AMI cannot go", ec2.delete_snapshot, SnapshotId=snap)
ec2.deregister_image(ImageId=t["ImageId"])
ec2.delete_snapshot(SnapshotId=snap)
fails("InvalidAMIID.NotFound", "a deregistered AMI is gone", ec2.describe_images, ImageIds=[t["ImageId"]])

copied = west.describe_images(ImageIds=[c["ImageId"]])["Images"][0]
west.create_tags(Resources=[c["ImageId"], copied["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]],
                 Tags=[{"Key": "Name", "Value": "kiln & co"}, {"Key": "os", "Value": "debian"}])
tags = {x["Key"]: x["Value"] for x in west.describe_images(ImageIds=[c["ImageId"]])["Images"][0]["Tags"]}
ok(tags == {"Name": "kiln & co", "os": "debian"}, "CreateTags, and the tags come back escaped right")
west.modify_image_attribute(ImageId=c["ImageId"], Description={"Value": "built by kiln"})
west.modify_image_attribute(ImageId=c["ImageId"], LaunchPermission={"Add": [{"UserId": "123456789012"}]},
                            UserIds=["123456789012"])
west.modify_image_attribute(ImageId=c["ImageId"], LaunchPermission={"Add": [{"Group": "all"}]}, UserGroups=["all"])
west.modify_image_attribute(ImageId=c["ImageId"],
                            LaunchPermission={"Add": [{"OrganizationArn": "arn:aws:organizations::1:organization/o-1"}]},
                            OrganizationArns=["arn:aws:organizations::1:organization/o-1"])
st = state()
perms = st["regions"]["eu-west-1"]["images"][c["ImageId"]]["launch_permissions"]
ok({"UserId": "123456789012"} in perms and {"Group": "all"} in perms and len(perms) == 3,
   "ModifyImageAttribute's launch permissions land: %s" % perms)
code, body = raw_ec2({"Action": "ModifyImageAttribute", "Version": "2016-11-15", "ImageId": c["ImageId"],
                      "ImdsSupport.Value": "v2.0"}, region="eu-west-1")
ok(code == 200 and state()["regions"]["eu-west-1"]["images"][c["ImageId"]]["ImdsSupport"] == "v2.0",
   "ModifyImageAttribute's ImdsSupport (newer than this botocore: added to the model): %s" % body[:300])

# --- EC2: the snapshot path ---
r = ec2.import_snapshot(DiskContainer={"Format": "RAW", "UserBucket": {"S3Bucket": bucket, "S3Key": "disk.raw"},
                                       "Description": "kiln"}, RoleName="vmimport")
ok(r["ImportTaskId"].startswith("import-snap-") and r["SnapshotTaskDetail"]["Status"] == "active", "ImportSnapshot")
d, seen = wait_task(ec2, r["ImportTaskId"], snapshot=True)
ok(d["Status"] == "completed" and d["SnapshotId"].startswith("snap-"), "the snapshot task completes: %s" % seen)
reg = ec2.register_image(Name="kiln-arm", Architecture="arm64", RootDeviceName="/dev/xvda", VirtualizationType="hvm",
                         EnaSupport=True, BootMode="uefi", TpmSupport="v2.0", ImdsSupport="v2.0",
                         BlockDeviceMappings=[{"DeviceName": "/dev/xvda",
                                               "Ebs": {"SnapshotId": d["SnapshotId"], "VolumeType": "gp3",
                                                       "DeleteOnTermination": True}}])
img = ec2.describe_images(ImageIds=[reg["ImageId"]])["Images"][0]
ok(img["TpmSupport"] == "v2.0" and img["ImdsSupport"] == "v2.0" and img["Architecture"] == "arm64",
   "RegisterImage with TPM, IMDSv2, arm64")
code, body = raw_ec2({"Action": "RegisterImage", "Version": "2016-11-15", "Name": "kiln-prefer",
                      "Architecture": "x86_64", "RootDeviceName": "/dev/xvda", "VirtualizationType": "hvm",
                      "BootMode": "uefi-preferred", "BlockDeviceMapping.1.DeviceName": "/dev/xvda",
                      "BlockDeviceMapping.1.Ebs.SnapshotId": d["SnapshotId"]})
ok(code == 200, "boot mode uefi-preferred (newer than this botocore: added to the model): %s" % body[:200])

# --- cancelling, failing ---
r = ec2.import_image(DiskContainers=[{"Format": "vmdk", "UserBucket": {"S3Bucket": bucket, "S3Key": "disk.raw"}}])
c = ec2.cancel_import_task(ImportTaskId=r["ImportTaskId"])
ok(c["State"] == "deleting", "CancelImportTask")
t, _ = wait_task(ec2, r["ImportTaskId"])
ok(t["Status"] == "deleted", "a cancelled task ends deleted")
knobs(fail_task="deleted")
r = ec2.import_image(DiskContainers=[{"Format": "ova", "UserBucket": {"S3Bucket": bucket, "S3Key": "disk.raw"}}])
t, seen = wait_task(ec2, r["ImportTaskId"])
ok(t["Status"] == "deleted" and "Unsupported kernel" in t["StatusMessage"], "the fail_task knob: %s" % seen)
knobs(fail_task=None)
r = ec2.import_image(DiskContainers=[{"Format": "ova", "UserBucket": {"S3Bucket": bucket, "S3Key": "not-there"}}])
t, _ = wait_task(ec2, r["ImportTaskId"])
ok(t["Status"] == "deleted" and "Unable to find" in t["StatusMessage"], "an import of a missing S3 object fails")

# --- what AWS refuses ---
fails("SignatureDoesNotMatch", "a wrong secret", client("ec2", secret="wrong").describe_images, ImageIds=["ami-1"])
fails("AuthFailure", "an unknown access key", client("ec2", key="AKIDNOBODY").describe_images, ImageIds=["ami-1"])
fails("AuthFailure", "an unknown session token", client("ec2", token="made-up").describe_images, ImageIds=["ami-1"])
fails("InvalidParameter", "a missing service role", ec2.import_image, RoleName="nobody",
      DiskContainers=[{"Format": "ova", "UserBucket": {"S3Bucket": bucket, "S3Key": "disk.raw"}}])
code, body = raw_ec2({"Action": "ImportImage", "Version": "2016-11-15", "DiskContainer.1.Format": "ova",
                      "DiskContainer.1.Colour": "red"})
ok(code == 400 and "<Code>UnknownParameter</Code>" in body and "DiskContainer.1.Colour" in body,
   "an unknown parameter is refused, named")
code, body = raw_ec2({"Action": "ImportImage", "Version": "2016-11-15", "Encrypted": "yes"})
ok(code == 400 and "<Code>InvalidParameterValue</Code>" in body, "a boolean that is not true/false is refused")
code, body = raw_ec2({"Action": "RegisterImage", "Version": "2016-11-15", "Name": "x", "BootMode": "bios"})
ok(code == 400 and "Valid values" in body, "a value outside an enum is refused")
code, body = raw_ec2({"Action": "DescribeImportImageTasks", "Version": "2016-11-15", "ImportTaskId.2": "x"})
ok(code == 400 and "list indexes" in body, "a list with a hole is refused")
code, body = raw_ec2({"Action": "DeregisterImage", "Version": "2016-11-15"})
ok(code == 400 and "<Code>MissingParameter</Code>" in body, "a missing required parameter is refused")

# --- STS ---
sts = client("sts")
a = sts.assume_role(RoleArn="arn:aws:iam::111122223333:role/kiln", RoleSessionName="selftest", DurationSeconds=900,
                    ExternalId="ext", PolicyArns=[{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}],
                    Tags=[{"Key": "team", "Value": "kiln"}], TransitiveTagKeys=["team"])["Credentials"]
ok(a["SessionToken"].startswith("ar-") and a["Expiration"].tzinfo is not None, "AssumeRole")
ok(client("ec2", key=a["AccessKeyId"], secret=a["SecretAccessKey"], token=a["SessionToken"])
   .describe_import_image_tasks()["ImportImageTasks"] is not None, "the role's credentials work on EC2")
knobs(expire_tokens=[a["SessionToken"]])
fails("RequestExpired", "an expired session token on EC2",
      client("ec2", key=a["AccessKeyId"], secret=a["SecretAccessKey"], token=a["SessionToken"]).describe_images,
      ImageIds=["ami-1"])
fails("ExpiredToken", "an expired session token on STS",
      client("sts", key=a["AccessKeyId"], secret=a["SecretAccessKey"], token=a["SessionToken"]).assume_role,
      RoleArn="arn:aws:iam::111122223333:role/kiln", RoleSessionName="again")
fails("ValidationError", "a malformed role ARN", sts.assume_role, RoleArn="arn:aws:iam::kiln:role/x", RoleSessionName="xy")
knobs(web_identity_tokens=["oidc-token-1"])
w = client("sts", key=None, secret=None)
w.meta.events.register("choose-signer", lambda **kw: botocore.UNSIGNED)
import botocore  # noqa: E402  (for UNSIGNED above)
wi = w.assume_role_with_web_identity(RoleArn="arn:aws:iam::111122223333:role/ci", RoleSessionName="ci",
                                     WebIdentityToken="oidc-token-1")["Credentials"]
ok(wi["SessionToken"].startswith("wi-"), "AssumeRoleWithWebIdentity, unsigned")
fails("InvalidIdentityToken", "a web identity token the provider does not know", w.assume_role_with_web_identity,
      RoleArn="arn:aws:iam::111122223333:role/ci", RoleSessionName="ci", WebIdentityToken="forged")

# --- the instance metadata service, through botocore's own IMDSv2 client ---
f = InstanceMetadataFetcher(timeout=2, num_attempts=1, base_url=endpoint, env={})
m = f.retrieve_iam_role_credentials()
ok(m.get("role_name") == "kiln-import" and m["token"].startswith("imds-"), "IMDSv2 credentials (botocore's fetcher)")
ok(urllib.request.urlopen(urllib.request.Request(endpoint + "/latest/api/token", method="PUT",
                                                 headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"})).status == 200,
   "IMDSv2 token")
try:
    urllib.request.urlopen(endpoint + "/latest/meta-data/iam/security-credentials/")
    ok(False, "IMDSv1 (no token) is refused")
except urllib.error.HTTPError as e:
    ok(e.code == 401, "IMDSv1 (no token) is refused")

st = state()
actions = [c["action"] for c in st["calls"] if c["service"] == "ec2" and "error" not in c]
ok("CopyImage" in actions and "RegisterImage" in actions and "CancelImportTask" in actions, "the call log")
print("1..%d" % checks)
