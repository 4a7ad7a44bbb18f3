#!/usr/bin/python3
# aws-standin.py — a loopback stand-in for the AWS services amazon-import talks to besides S3: the EC2
# Query API (VM import, images, snapshots, tags), STS (AssumeRole, AssumeRoleWithWebIdentity) and the
# EC2 instance metadata service (IMDSv2). Python's standard library and botocore only.
#
# It is strict where a stand-in is usually lenient:
#   - every signed request's SigV4 signature is recomputed with botocore (SigV4Auth) from what arrived,
#     and the access key, the session token (known, not expired) and the credential scope are checked;
#   - every request is parsed against botocore's service model (ec2 2016-11-15, sts 2011-06-15) with the
#     protocol's own rules: an unknown parameter, a missing required one, a bad integer, boolean or enum
#     value is AWS's error, as the real service answers;
#   - answers are serialized from the model's output shapes, so botocore (and kiln) parse them as AWS's.
# tests/integration/t0809-aws-standins.sh proves it with botocore as the client before any kiln test
# trusts it.
#
# The model is Debian's botocore 1.29.27 with two later additions to EC2 (in MODEL_ADDITIONS below):
# ModifyImageAttribute's ImdsSupport and the boot mode "uefi-preferred".
#
#   aws-standin.py --port-file F [--s3-endpoint URL] [--config JSON]
#
# With --s3-endpoint, requests that are not the Query APIs' (anything but POST /) are passed to s3rver
# unchanged (Host header included, so its signature check sees what the client signed): one endpoint
# for EC2 and S3, as Packer 1.6.6's custom_endpoint_ec2 makes its S3 client use (the Packer
# differential test, t0812).
#
# Test hooks (not AWS): GET /_state (tasks, images, snapshots, tags, every call made), POST /_config
# (merge knobs: see DEFAULT_CONFIG), POST /_reset (forget the calls; with {"state": true} everything but
# the knobs and the valid tokens).
import argparse
import base64
import copy
import datetime
import http.client
import json
import os
import re
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import botocore.loaders
import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

MODEL_ADDITIONS = {
    "ec2": {
        "ModifyImageAttributeRequest": {"ImdsSupport": {"shape": "AttributeValue"}},
        "enum:BootModeValues": ["uefi-preferred"],
    }
}

DEFAULT_CONFIG = {
    "accounts": {"S3RVER": "S3RVER"},     # access key id -> secret (s3rver accepts only S3RVER)
    "roles": ["vmimport"],                # VM Import service roles that exist
    "import_steps": 5,                    # DescribeImport*Tasks calls before a task completes
    "fail_task": None,                    # "deleted": import tasks end deleted with fail_message
    "fail_message": "ClientError: Unsupported kernel version 5.10.0-26-amd64",
    "slow_tasks": False,                  # import tasks never complete (Ctrl-C while polling)
    "copy_steps": 2,                      # DescribeImages calls before a copied AMI is available
    "sts_expire_in": 3600,                # lifetime of STS and metadata credentials, seconds
    "imds_role": "kiln-import",
    "web_identity_tokens": [],            # tokens AssumeRoleWithWebIdentity accepts
    "deny_assume_role": False,
    "expire_tokens": [],                  # session tokens to treat as expired from now on
    "token_uses": 0,                      # >0: an issued token expires after this many EC2 calls
    "bucket_regions": {},                 # bucket -> its region: imports from another region are refused
    "fail_parts": {},                     # S3 passed on: part number -> how many attempts answer 503 SlowDown
}

EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/"
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"


class ApiError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def now_iso(offset=0):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def new_id(prefix, n=17):
    return prefix + secrets.token_hex(16)[:n]


# ------------------------------------------------------------------------------------------------
# The model: parsing requests, serializing answers


class Model:
    def __init__(self, service, version):
        loader = botocore.loaders.Loader()
        self.spec = loader.load_service_model(service, "service-2", version)
        self.protocol = self.spec["metadata"]["protocol"]
        self.shapes = copy.deepcopy(self.spec["shapes"])
        for key, add in MODEL_ADDITIONS.get(service, {}).items():
            if key.startswith("enum:"):
                self.shapes[key[5:]]["enum"].extend(add)
            else:
                self.shapes[key]["members"].update(add)

    def operation(self, name):
        op = self.spec["operations"].get(name)
        if not op:
            raise ApiError(400, "InvalidAction", "The action %s is not valid for this web service." % name)
        return op

    # --- requests ---

    def member_key(self, name, ref):
        if self.protocol == "ec2":
            if "queryName" in ref:
                return ref["queryName"]
            if "locationName" in ref:
                return ref["locationName"][0].upper() + ref["locationName"][1:]
            return name
        return ref.get("locationName", name)

    def parse(self, shape_name, params):
        trie = {}
        for key, value in params.items():
            node = trie
            for part in key.split("."):
                node = node.setdefault("children", {}).setdefault(part, {})
            node["value"] = value
        return self._value(shape_name, trie, "")

    def _value(self, shape_name, node, path):
        shape = self.shapes[shape_name]
        t = shape["type"]
        if t == "structure":
            if "value" in node:
                raise ApiError(400, "InvalidParameterValue", "%s must be a structure, not a value" % path)
            out = {}
            keys = {self.member_key(n, r): (n, r) for n, r in shape["members"].items()}
            for k, child in node.get("children", {}).items():
                if k not in keys:
                    raise ApiError(400, "UnknownParameter", "The parameter %s is not recognized" % (path + k))
                name, ref = keys[k]
                out[name] = self._value(ref["shape"], child, path + k + ".")
            for req in shape.get("required", []):
                if req not in out:
                    raise ApiError(400, "MissingParameter", "The request must contain the parameter %s"
                                   % (path + self.member_key(req, shape["members"][req])))
            return out
        if t == "list":
            if "value" in node:
                raise ApiError(400, "InvalidParameterValue", "%s must be a list" % path.rstrip("."))
            children = node.get("children", {})
            if self.protocol != "ec2" and not shape.get("flattened"):
                children = children.get("member", {}).get("children", {}) if children else {}
                if set(node.get("children", {})) - {"member"}:
                    raise ApiError(400, "UnknownParameter", "The parameter %s is not recognized" % path)
                path += "member."
            items = []
            for i in range(1, len(children) + 1):
                if str(i) not in children:
                    raise ApiError(400, "InvalidParameterValue", "%s: list indexes must be 1..%d" % (path, len(children)))
                items.append(self._value(shape["member"]["shape"], children[str(i)], "%s%d." % (path, i)))
            return items
        if "children" in node:
            raise ApiError(400, "UnknownParameter", "The parameter %s is not recognized" % path)
        v = node.get("value", "")
        name = path.rstrip(".")
        if t in ("integer", "long"):
            if not re.fullmatch(r"-?[0-9]+", v):
                raise ApiError(400, "InvalidParameterValue", "Value (%s) for parameter %s is invalid. Expected an integer." % (v, name))
            return int(v)
        if t == "boolean":
            if v not in ("true", "false"):
                raise ApiError(400, "InvalidParameterValue", "Value (%s) for parameter %s is invalid. Expected a boolean." % (v, name))
            return v == "true"
        if t == "timestamp":
            return v
        if t == "blob":
            return base64.b64decode(v)
        if "enum" in shape and v not in shape["enum"]:
            raise ApiError(400, "InvalidParameterValue", "Value (%s) for parameter %s is invalid. Valid values: %s"
                           % (v, name, ", ".join(shape["enum"])))
        for limit, test in (("min", lambda: len(v) < shape["min"]), ("max", lambda: len(v) > shape["max"])):
            if limit in shape and test():
                raise ApiError(400, "ValidationError", "Value for parameter %s fails the length constraint" % name)
        return v

    # --- answers ---

    def serialize(self, op_name, value, request_id):
        op = self.operation(op_name)
        out_shape = op.get("output", {}).get("shape")
        body = []
        if self.protocol == "ec2":
            body.append('<%sResponse xmlns="%s"><requestId>%s</requestId>' % (op_name, EC2_NS, request_id))
            if out_shape:
                body.append(self._members(out_shape, value))
            body.append("</%sResponse>" % op_name)
        else:
            body.append('<%sResponse xmlns="%s">' % (op_name, STS_NS))
            wrapper = op.get("output", {}).get("resultWrapper")
            if wrapper:
                body.append("<%s>%s</%s>" % (wrapper, self._members(out_shape, value), wrapper))
            body.append("<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>" % (request_id, op_name))
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + "".join(body)

    def _members(self, shape_name, value):
        shape = self.shapes[shape_name]
        parts = []
        for name, ref in shape["members"].items():
            if name not in value or value[name] is None:
                continue
            tag = ref.get("locationName", name)
            parts.append(self._element(tag, ref["shape"], value[name]))
        return "".join(parts)

    def _element(self, tag, shape_name, v):
        shape = self.shapes[shape_name]
        t = shape["type"]
        if t == "structure":
            return "<%s>%s</%s>" % (tag, self._members(shape_name, v), tag)
        if t == "list":
            mtag = shape["member"].get("locationName", "item" if self.protocol == "ec2" else "member")
            inner = "".join(self._element(mtag, shape["member"]["shape"], x) for x in v)
            return "<%s>%s</%s>" % (tag, inner, tag)
        if t == "boolean":
            text = "true" if v else "false"
        else:
            text = str(v)
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return "<%s>%s</%s>" % (tag, text, tag)


# ------------------------------------------------------------------------------------------------
# State


class State:
    def __init__(self, config, s3_endpoint):
        self.lock = threading.RLock()
        self.config = copy.deepcopy(DEFAULT_CONFIG)
        self.config.update(config or {})
        self.s3_endpoint = s3_endpoint
        self.s3 = s3_client(s3_endpoint) if s3_endpoint else None
        self.regions = {}
        self.calls = []
        self.tokens = {}          # session token -> expiry (epoch seconds)
        self.token_uses = {}      # issued session token -> EC2 calls made with it
        self.imds_tokens = {}     # IMDSv2 token -> expiry
        self.serial = 0

    def region(self, name):
        return self.regions.setdefault(name, {"tasks": {}, "images": {}, "snapshots": {}, "tags": {}})

    def issue_credentials(self, prefix):
        self.serial += 1
        token = "%s-%d-%s" % (prefix, self.serial, secrets.token_hex(8))
        expiry = time.time() + self.config["sts_expire_in"]
        self.tokens[token] = expiry
        self.token_uses[token] = 0
        return {"AccessKeyId": "S3RVER", "SecretAccessKey": "S3RVER", "SessionToken": token,
                "Expiration": now_iso(self.config["sts_expire_in"])}

    def dump(self):
        return {"regions": self.regions, "calls": self.calls, "tokens": list(self.tokens), "config": self.config}


def s3_client(endpoint):
    return botocore.session.get_session().create_client(
        "s3", region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id="S3RVER",
        aws_secret_access_key="S3RVER", config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))


def s3_object_size(state, bucket, key):
    """The S3 object's size (via s3rver, signed by botocore), or None when it is not there."""
    if not state.s3_endpoint:
        return 0
    try:
        return state.s3.head_object(Bucket=bucket, Key=key)["ContentLength"]
    except Exception:
        return None


# ------------------------------------------------------------------------------------------------
# EC2


def ec2_action(state, region, action, p):
    r = state.region(region)
    cfg = state.config

    def image_or_fail(image_id, reg=r):
        img = reg["images"].get(image_id)
        if not img or img["State"] == "deregistered":
            raise ApiError(400, "InvalidAMIID.NotFound", "The image id '[%s]' does not exist" % image_id)
        return img

    def check_role(role):
        if role not in cfg["roles"]:
            raise ApiError(400, "InvalidParameter", "The service role %s provided does not exist or does not "
                           "have sufficient permissions" % role)

    def check_bucket(ub):
        where = cfg["bucket_regions"].get(ub.get("S3Bucket", ""))
        if where and where != region:
            raise ApiError(400, "InvalidParameter", "The given S3 bucket %s is not local to the region %s"
                           % (ub.get("S3Bucket"), region))
        size = s3_object_size(state, ub.get("S3Bucket", ""), ub.get("S3Key", ""))
        return size

    if action == "ImportImage":
        check_role(p.get("RoleName", "vmimport"))
        disks = p.get("DiskContainers", [])
        if len(disks) != 1:
            raise ApiError(400, "InvalidParameter", "exactly one disk container is supported here")
        d = disks[0]
        fmt = d.get("Format", "").upper()
        if fmt not in ("OVA", "VMDK", "VHD", "VHDX", "RAW"):
            raise ApiError(400, "InvalidParameter", "Unsupported disk format %s" % d.get("Format"))
        if p.get("KmsKeyId") and not p.get("Encrypted"):
            raise ApiError(400, "InvalidParameter", "KmsKeyId requires Encrypted")
        if p.get("BootMode") == "uefi" and not p.get("Platform"):
            pass  # AWS accepts it; Packer insists on platform, kiln too
        size = check_bucket(d.get("UserBucket", {}))
        tid = new_id("import-ami-")
        task = {"kind": "image", "ImportTaskId": tid, "Status": "active", "StatusMessage": "pending",
                "Progress": "2", "step": 0, "missing": size is None, "request": p, "region": region,
                "Architecture": p.get("Architecture", "x86_64"), "Platform": p.get("Platform"),
                "BootMode": p.get("BootMode"), "LicenseType": p.get("LicenseType", "AWS"),
                "Encrypted": p.get("Encrypted", False), "KmsKeyId": p.get("KmsKeyId"),
                "Format": fmt, "size": size or 0}
        r["tasks"][tid] = task
        return {"ImportTaskId": tid, "Status": "active", "StatusMessage": "pending", "Progress": "2",
                "Architecture": task["Architecture"], "Platform": task["Platform"], "LicenseType": task["LicenseType"],
                "Encrypted": task["Encrypted"]}

    if action == "ImportSnapshot":
        check_role(p.get("RoleName", "vmimport"))
        d = p.get("DiskContainer")
        if not d:
            raise ApiError(400, "MissingParameter", "The request must contain the parameter DiskContainer")
        fmt = d.get("Format", "").upper()
        if fmt not in ("VMDK", "VHD", "VHDX", "RAW"):
            raise ApiError(400, "InvalidParameter", "Unsupported disk format %s for a snapshot" % d.get("Format"))
        size = check_bucket(d.get("UserBucket", {}))
        tid = new_id("import-snap-")
        task = {"kind": "snapshot", "ImportTaskId": tid, "Status": "active", "StatusMessage": "pending",
                "Progress": "3", "step": 0, "missing": size is None, "request": p, "region": region,
                "Format": fmt, "size": size or 0, "Encrypted": p.get("Encrypted", False),
                "Description": d.get("Description")}
        r["tasks"][tid] = task
        return {"ImportTaskId": tid, "Description": p.get("Description"),
                "SnapshotTaskDetail": snapshot_detail(task)}

    if action in ("DescribeImportImageTasks", "DescribeImportSnapshotTasks"):
        kind = "image" if action == "DescribeImportImageTasks" else "snapshot"
        ids = p.get("ImportTaskIds") or [t for t, v in r["tasks"].items() if v["kind"] == kind]
        out = []
        for tid in ids:
            task = r["tasks"].get(tid)
            if not task or task["kind"] != kind:
                raise ApiError(400, "InvalidConversionTaskId.Malformed", "The task ID %s is not valid" % tid)
            advance(state, r, task)
            out.append(image_task(task) if kind == "image" else
                       {"ImportTaskId": tid, "SnapshotTaskDetail": snapshot_detail(task),
                        "Description": task.get("Description")})
        return {"ImportImageTasks": out} if kind == "image" else {"ImportSnapshotTasks": out}

    if action == "CancelImportTask":
        tid = p.get("ImportTaskId")
        task = r["tasks"].get(tid)
        if not task:
            raise ApiError(400, "InvalidConversionTaskId", "The task ID %s does not exist" % tid)
        prev = task["Status"]
        if prev in ("completed", "deleted"):
            raise ApiError(400, "IncorrectState", "The import task %s cannot be cancelled in state %s" % (tid, prev))
        task["Status"], task["StatusMessage"], task["cancelled"] = "deleting", "User initiated task cancellation", True
        return {"ImportTaskId": tid, "PreviousState": prev, "State": "deleting"}

    if action == "RegisterImage":
        name = p.get("Name", "")
        if any(i["Name"] == name and i["State"] != "deregistered" for i in r["images"].values()):
            raise ApiError(400, "InvalidAMIName.Duplicate", "AMI name %s is already in use by an AMI" % name)
        if p.get("ImageLocation"):
            raise ApiError(400, "InvalidParameter", "ImageLocation is for instance-store AMIs")
        root = p.get("RootDeviceName")
        bdms = p.get("BlockDeviceMappings", [])
        if not root or not any(b.get("DeviceName") == root for b in bdms):
            raise ApiError(400, "InvalidBlockDeviceMapping", "The root device %s has no block device mapping" % root)
        for b in bdms:
            sid = b.get("Ebs", {}).get("SnapshotId")
            if sid and (sid not in r["snapshots"] or r["snapshots"][sid]["State"] != "completed"):
                raise ApiError(400, "InvalidSnapshot.NotFound", "The snapshot '%s' does not exist." % sid)
        if p.get("TpmSupport") and p.get("BootMode") not in ("uefi",):
            raise ApiError(400, "InvalidParameterCombination", "TpmSupport needs BootMode uefi")
        if p.get("VirtualizationType", "paravirtual") != "hvm":
            raise ApiError(400, "InvalidParameter", "kiln registers hvm images only; got %s" % p.get("VirtualizationType"))
        iid = new_id("ami-")
        mappings = []
        for b in bdms:
            ebs = b.get("Ebs")
            m = {"DeviceName": b["DeviceName"]}
            if ebs:
                snap = r["snapshots"].get(ebs.get("SnapshotId"), {})
                m["Ebs"] = {"SnapshotId": ebs.get("SnapshotId"), "VolumeSize": ebs.get("VolumeSize", snap.get("VolumeSize", 1)),
                            "VolumeType": ebs.get("VolumeType", "gp2"), "DeleteOnTermination": ebs.get("DeleteOnTermination", True),
                            "Encrypted": snap.get("Encrypted", False)}
            mappings.append(m)
        r["images"][iid] = new_image(iid, name, p.get("Description"), p.get("Architecture", "x86_64"), mappings,
                                     p.get("BootMode"), "pending", 1, extra={
                                         "EnaSupport": p.get("EnaSupport"), "RootDeviceName": root,
                                         "TpmSupport": p.get("TpmSupport"), "ImdsSupport": p.get("ImdsSupport"),
                                         "VirtualizationType": "hvm", "SriovNetSupport": p.get("SriovNetSupport")})
        return {"ImageId": iid}

    if action == "CopyImage":
        src_region = p["SourceRegion"]
        src = image_or_fail(p["SourceImageId"], state.region(src_region))
        if src["State"] != "available":
            raise ApiError(400, "IncorrectState", "The source image %s is not available" % src["ImageId"])
        name = p.get("Name")
        if any(i["Name"] == name and i["State"] != "deregistered" for i in r["images"].values()):
            raise ApiError(400, "InvalidAMIName.Duplicate", "AMI name %s is already in use by an AMI" % name)
        if p.get("KmsKeyId") and not p.get("Encrypted"):
            raise ApiError(400, "InvalidParameter", "KmsKeyId requires Encrypted")
        iid = new_id("ami-")
        mappings = []
        for b in src["BlockDeviceMappings"]:
            b = copy.deepcopy(b)
            if "Ebs" in b:
                sid = new_id("snap-")
                old = state.region(src_region)["snapshots"].get(b["Ebs"]["SnapshotId"], {})
                r["snapshots"][sid] = {"SnapshotId": sid, "State": "completed", "VolumeSize": old.get("VolumeSize", 1),
                                       "Encrypted": bool(p.get("Encrypted")) or old.get("Encrypted", False),
                                       "Description": "Copied for DestinationAmi %s from SourceAmi %s" % (iid, src["ImageId"])}
                b["Ebs"]["SnapshotId"] = sid
                b["Ebs"]["Encrypted"] = r["snapshots"][sid]["Encrypted"]
            mappings.append(b)
        extra = {k: src.get(k) for k in ("EnaSupport", "RootDeviceName", "TpmSupport", "ImdsSupport", "VirtualizationType", "Platform")}
        r["images"][iid] = new_image(iid, name, p.get("Description", src.get("Description")), src["Architecture"], mappings,
                                     src.get("BootMode"), "pending", cfg["copy_steps"], extra=extra)
        r["images"][iid]["copied_from"] = {"region": src_region, "image": src["ImageId"], "encrypted": p.get("Encrypted"),
                                           "kms": p.get("KmsKeyId")}
        return {"ImageId": iid}

    if action == "DescribeImages":
        ids = p.get("ImageIds")
        if not ids:
            raise ApiError(400, "InvalidParameterCombination", "this stand-in answers DescribeImages by ImageId only")
        out = []
        for iid in ids:
            img = r["images"].get(iid)
            if not img or img["State"] == "deregistered":
                raise ApiError(400, "InvalidAMIID.NotFound", "The image id '[%s]' does not exist" % iid)
            if img["State"] == "pending":
                img["pending_left"] -= 1
                if img["pending_left"] < 0:
                    img["State"] = "available"
            out.append(public_image(r, img))
        return {"Images": out}

    if action == "DeregisterImage":
        img = image_or_fail(p["ImageId"])
        img["State"] = "deregistered"
        return {}

    if action == "DeleteSnapshot":
        sid = p["SnapshotId"]
        if sid not in r["snapshots"]:
            raise ApiError(400, "InvalidSnapshot.NotFound", "The snapshot '%s' does not exist." % sid)
        for img in r["images"].values():
            if img["State"] != "deregistered" and any(b.get("Ebs", {}).get("SnapshotId") == sid for b in img["BlockDeviceMappings"]):
                raise ApiError(400, "InvalidSnapshot.InUse", "The snapshot %s is currently in use by %s" % (sid, img["ImageId"]))
        del r["snapshots"][sid]
        return {}

    if action == "CreateTags":
        for res in p["Resources"]:
            known = res in r["images"] and r["images"][res]["State"] != "deregistered" or res in r["snapshots"]
            if not known:
                code = "InvalidAMIID.NotFound" if res.startswith("ami-") else "InvalidSnapshot.NotFound" if res.startswith("snap-") else "InvalidID"
                raise ApiError(400, code, "The resource '%s' does not exist" % res)
            tags = r["tags"].setdefault(res, {})
            for t in p.get("Tags", []):
                tags[t["Key"]] = t.get("Value", "")
        return {}

    if action == "ModifyImageAttribute":
        img = image_or_fail(p["ImageId"])
        perms = img.setdefault("launch_permissions", [])
        lp = p.get("LaunchPermission", {})
        for add in lp.get("Add", []):
            perms.append(add)
        for u in p.get("UserIds", []):
            if {"UserId": u} not in perms:
                perms.append({"UserId": u})
        for g in p.get("UserGroups", []):
            if {"Group": g} not in perms:
                perms.append({"Group": g})
        for a in p.get("OrganizationArns", []):
            if {"OrganizationArn": a} not in perms:
                perms.append({"OrganizationArn": a})
        for a in p.get("OrganizationalUnitArns", []):
            if {"OrganizationalUnitArn": a} not in perms:
                perms.append({"OrganizationalUnitArn": a})
        if "Description" in p:
            img["Description"] = p["Description"].get("Value", "")
        if "ImdsSupport" in p:
            img["ImdsSupport"] = p["ImdsSupport"].get("Value")
        if p.get("Attribute") and p.get("Attribute") not in ("description", "launchPermission", "imdsSupport"):
            raise ApiError(400, "InvalidParameter", "attribute %s is not handled by this stand-in" % p.get("Attribute"))
        return {}

    raise ApiError(400, "InvalidAction", "The stand-in does not implement %s" % action)


def new_image(iid, name, description, arch, mappings, boot_mode, state, pending, extra):
    img = {"ImageId": iid, "Name": name, "Description": description, "Architecture": arch, "State": state,
           "pending_left": pending, "BlockDeviceMappings": mappings, "BootMode": boot_mode,
           "CreationDate": now_iso(), "OwnerId": "111122223333", "ImageType": "machine", "Public": False,
           "RootDeviceType": "ebs", "Hypervisor": "xen"}
    img.update({k: v for k, v in (extra or {}).items() if v is not None})
    return img


def public_image(region, img):
    out = {k: v for k, v in img.items() if k[0].isupper()}
    tags = region["tags"].get(img["ImageId"])
    if tags:
        out["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    return out


IMAGE_STEPS = [("active", "pending", "2"), ("active", "converting", "28"), ("active", "updating", "57"),
               ("active", "booting", "77"), ("active", "preparing ami", "85")]
SNAPSHOT_STEPS = [("active", "pending", "3"), ("active", "downloading/converting", "30"), ("active", "converting", "70")]


def advance(state, region, task):
    cfg = state.config
    if task["Status"] in ("completed", "deleted"):
        return
    if task["Status"] == "deleting":
        task["Status"] = "deleted"
        if task.get("cancelled"):
            task["StatusMessage"] = "User initiated task cancellation"
        return
    task["step"] += 1
    if task["missing"]:
        task["Status"], task["StatusMessage"] = "deleting", "ClientError: Unable to find the disk image in the S3 bucket"
        return
    if cfg["fail_task"] and task["step"] >= 2:
        task["Status"], task["StatusMessage"] = "deleting", cfg["fail_message"]
        return
    steps = IMAGE_STEPS if task["kind"] == "image" else SNAPSHOT_STEPS
    if cfg["slow_tasks"] or task["step"] < cfg["import_steps"]:
        s = steps[min(task["step"], len(steps) - 1)]
        task["Status"], task["StatusMessage"], task["Progress"] = s
        return
    task["Status"], task["StatusMessage"], task["Progress"] = "completed", None, None
    size_gb = max(1, (task["size"] + (1 << 30) - 1) >> 30)
    sid = new_id("snap-")
    region["snapshots"][sid] = {"SnapshotId": sid, "State": "completed", "VolumeSize": size_gb,
                                "Encrypted": task["Encrypted"], "Description": "Created by AWS-VMImport service for %s" % task["ImportTaskId"]}
    task["SnapshotId"] = sid
    if task["kind"] == "image":
        iid = new_id("ami-")
        region["images"][iid] = new_image(
            iid, task["ImportTaskId"], "AWS-VMImport service: Linux", task["Architecture"],
            [{"DeviceName": "/dev/sda1", "Ebs": {"SnapshotId": sid, "VolumeSize": size_gb, "VolumeType": "gp2",
                                                "DeleteOnTermination": True, "Encrypted": task["Encrypted"]}}],
            task["BootMode"], "available", 0, extra={"RootDeviceName": "/dev/sda1", "VirtualizationType": "hvm",
                                                     "Platform": "windows" if task["Platform"] == "windows" else None,
                                                     "EnaSupport": True})
        task["ImageId"] = iid


def image_task(task):
    out = {k: task.get(k) for k in ("ImportTaskId", "Status", "StatusMessage", "Progress", "Architecture", "Platform",
                                    "LicenseType", "Encrypted", "KmsKeyId", "ImageId", "BootMode")}
    if task.get("SnapshotId"):
        out["SnapshotDetails"] = [{"DeviceName": "/dev/sda1", "SnapshotId": task["SnapshotId"], "Status": "completed",
                                   "Format": task["Format"], "DiskImageSize": float(task["size"])}]
    return out


def snapshot_detail(task):
    ub = task["request"]["DiskContainer"].get("UserBucket", {})
    return {"Status": task["Status"], "StatusMessage": task.get("StatusMessage"), "Progress": task.get("Progress"),
            "SnapshotId": task.get("SnapshotId"), "Format": task["Format"], "DiskImageSize": float(task["size"]),
            "Encrypted": task["Encrypted"], "Description": task.get("Description"),
            "UserBucket": {"S3Bucket": ub.get("S3Bucket"), "S3Key": ub.get("S3Key")}}


# ------------------------------------------------------------------------------------------------
# STS


def sts_action(state, action, p, signed):
    cfg = state.config
    if action == "AssumeRole":
        if not signed:
            raise ApiError(403, "MissingAuthenticationToken", "Request is missing Authentication Token")
        if cfg["deny_assume_role"]:
            raise ApiError(403, "AccessDenied", "User is not authorized to perform: sts:AssumeRole on resource: %s" % p["RoleArn"])
        check_arn(p["RoleArn"])
        creds = state.issue_credentials("ar")
        return {"Credentials": creds, "AssumedRoleUser": {"AssumedRoleId": "AROA:" + p["RoleSessionName"],
                                                          "Arn": p["RoleArn"].replace(":role/", ":assumed-role/") + "/" + p["RoleSessionName"]}}
    if action == "AssumeRoleWithWebIdentity":
        check_arn(p["RoleArn"])
        if p["WebIdentityToken"] not in cfg["web_identity_tokens"]:
            raise ApiError(400, "InvalidIdentityToken", "Couldn't retrieve verification key from your identity provider")
        creds = state.issue_credentials("wi")
        return {"Credentials": creds, "SubjectFromWebIdentityToken": "ci",
                "AssumedRoleUser": {"AssumedRoleId": "AROA:" + p["RoleSessionName"], "Arn": p["RoleArn"]}}
    if action == "GetCallerIdentity":
        return {"UserId": "AIDA", "Account": "111122223333", "Arn": "arn:aws:iam::111122223333:user/kiln"}
    raise ApiError(400, "InvalidAction", "The stand-in does not implement %s" % action)


def check_arn(arn):
    if not re.fullmatch(r"arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]+", arn):
        raise ApiError(400, "ValidationError", "%s is not a valid role ARN" % arn)


# ------------------------------------------------------------------------------------------------
# HTTP


AUTH_RE = re.compile(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request,\s*"
                     r"SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "aws-standin"

    def log_message(self, fmt, *args):
        if os.environ.get("AWS_STANDIN_VERBOSE"):
            sys.stderr.write("aws-standin: " + fmt % args + "\n")

    def reply(self, status, body, ctype="text/xml"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def to_s3(self, raw=None):
        """Pass the request to s3rver as it came, and its answer back."""
        st = self.server.state
        if not st.s3_endpoint:
            return self.reply(404, "")
        if raw is None:
            raw = self.body()
        q = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
        with st.lock:
            fails = st.config["fail_parts"]
            part = q.get("partNumber")
            if self.command == "PUT" and part in fails and fails[part] > 0:
                fails[part] -= 1
                st.calls.append({"service": "s3", "action": "PUT %s" % urlsplit(self.path).path,
                                 "query": urlsplit(self.path).query, "status": 503, "time": time.time()})
                return self.reply(503, "<Error><Code>SlowDown</Code><Message>Please reduce your request rate."
                                  "</Message></Error>")
        u = urlsplit(st.s3_endpoint)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("content-length", "transfer-encoding", "expect")}
        headers["Content-Length"] = str(len(raw))
        conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for k, v in headers.items():
            conn.putheader(k, v)
        conn.endheaders(raw)
        resp = conn.getresponse()
        data = resp.read()
        with st.lock:
            st.calls.append({"service": "s3", "action": "%s %s" % (self.command, urlsplit(self.path).path),
                             "query": urlsplit(self.path).query, "status": resp.status, "time": time.time()})
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        conn.close()

    def do_PUT(self):
        if self.path.startswith("/latest/"):
            return self.imds("PUT")
        self.to_s3()

    def do_DELETE(self):
        self.to_s3()

    def do_HEAD(self):
        self.to_s3()

    def do_GET(self):
        st = self.server.state
        if self.path == "/_state":
            with st.lock:
                return self.reply(200, json.dumps(st.dump(), default=str), "application/json")
        if self.path.startswith("/latest/"):
            return self.imds("GET")
        self.to_s3()

    def do_POST(self):
        st = self.server.state
        raw = self.body()
        if urlsplit(self.path).path != "/" and not self.path.startswith("/_"):
            return self.to_s3(raw)
        if self.path == "/_reset":
            with st.lock:
                st.calls = []
                if json.loads(raw or b"{}").get("state"):
                    st.regions = {}
            return self.reply(200, "{}", "application/json")
        if self.path == "/_config":
            with st.lock:
                st.config.update(json.loads(raw or b"{}"))
                for t in st.config.get("expire_tokens", []):
                    st.tokens[t] = 0
            return self.reply(200, "{}", "application/json")
        self.query_api(raw)

    # --- the instance metadata service ---

    def imds(self, method):
        st = self.server.state
        with st.lock:
            if "X-Forwarded-For" in self.headers:
                return self.reply(403, "", "text/plain")
            if method == "PUT":
                if self.path != "/latest/api/token":
                    return self.reply(405, "", "text/plain")
                ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "")
                if not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
                    return self.reply(400, "", "text/plain")
                tok = "imdsv2-" + secrets.token_hex(16)
                st.imds_tokens[tok] = time.time() + int(ttl)
                st.calls.append({"service": "imds", "action": "token", "time": time.time()})
                return self.reply(200, tok, "text/plain")
            tok = self.headers.get("X-aws-ec2-metadata-token")
            if not tok or st.imds_tokens.get(tok, 0) < time.time():
                return self.reply(401, "", "text/plain")
            path = urlsplit(self.path).path
            st.calls.append({"service": "imds", "action": path, "time": time.time()})
            base = "/latest/meta-data/iam/security-credentials/"
            if path == base:
                return self.reply(200, st.config["imds_role"], "text/plain")
            if path == base + st.config["imds_role"]:
                c = st.issue_credentials("imds")
                doc = {"Code": "Success", "LastUpdated": now_iso(), "Type": "AWS-HMAC", "AccessKeyId": c["AccessKeyId"],
                       "SecretAccessKey": c["SecretAccessKey"], "Token": c["SessionToken"], "Expiration": c["Expiration"]}
                return self.reply(200, json.dumps(doc), "text/plain")
            if path == "/latest/meta-data/placement/region":
                return self.reply(200, "eu-west-1", "text/plain")
            return self.reply(404, "", "text/plain")

    # --- EC2 and STS (Query APIs) ---

    def query_api(self, raw):
        st = self.server.state
        ctype = self.headers.get("Content-Type", "")
        params = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
        if raw and ctype.startswith("application/x-www-form-urlencoded"):
            params.update(parse_qsl(raw.decode(), keep_blank_values=True, strict_parsing=False))
        action = params.pop("Action", None)
        version = params.pop("Version", None)
        service = "sts" if version == "2011-06-15" else "ec2"
        request_id = secrets.token_hex(16)
        with st.lock:
            try:
                region, akid, token, signed = self.verify(raw, service, action)
                model = self.server.models[service]
                if not action:
                    raise ApiError(400, "MissingAction", "The request must contain the parameter Action")
                if version != model.spec["metadata"]["apiVersion"]:
                    raise ApiError(400, "InvalidParameterValue", "Version %s is not %s's" % (version, service))
                op = model.operation(action)
                p = model.parse(op["input"]["shape"], params) if "input" in op else {}
                st.calls.append({"service": service, "action": action, "region": region, "params": params,
                                 "token": token, "time": time.time()})
                if service == "ec2":
                    value = ec2_action(st, region, action, p)
                else:
                    value = sts_action(st, action, p, signed)
                self.reply(200, model.serialize(action, value, request_id))
            except ApiError as e:
                st.calls.append({"service": service, "action": action, "error": e.code, "message": e.message,
                                 "params": params, "time": time.time()})
                if service == "ec2":
                    body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>%s</Code>'
                            "<Message>%s</Message></Error></Errors><RequestID>%s</RequestID></Response>"
                            % (e.code, xml_escape(e.message), request_id))
                else:
                    body = ('<ErrorResponse xmlns="%s"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message>'
                            "</Error><RequestId>%s</RequestId></ErrorResponse>" % (STS_NS, e.code, xml_escape(e.message), request_id))
                self.reply(e.status, body)

    def verify(self, raw, service, action):
        """Recompute the signature with botocore. Returns (region, access key, token, signed)."""
        st = self.server.state
        auth = self.headers.get("Authorization")
        if not auth:
            if service == "sts" and action == "AssumeRoleWithWebIdentity":
                return "us-east-1", None, None, False
            if service == "ec2":
                raise ApiError(401, "AuthFailure", "AWS was not able to validate the provided access credentials")
            return "us-east-1", None, None, False
        m = AUTH_RE.match(auth)
        if not m:
            raise ApiError(400, "IncompleteSignature", "Authorization header requires Credential, SignedHeaders and Signature")
        akid, date, region, scope_service, signed_headers, signature = m.groups()
        amz_date = self.headers.get("X-Amz-Date", "")
        if amz_date[:8] != date:
            raise ApiError(403, "SignatureDoesNotMatch", "Credential should be scoped to a valid date: %s" % amz_date)
        if scope_service != service:
            raise ApiError(403, "SignatureDoesNotMatch", "Credential should be scoped to correct service: '%s'" % service)
        try:
            t = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
        except ValueError:
            raise ApiError(400, "IncompleteSignature", "X-Amz-Date is malformed")
        if abs((datetime.datetime.now(datetime.timezone.utc) - t).total_seconds()) > 900:
            raise ApiError(400, "RequestExpired", "Request has expired.")
        secret = st.config["accounts"].get(akid)
        if secret is None:
            if service == "ec2":
                raise ApiError(401, "AuthFailure", "AWS was not able to validate the provided access credentials")
            raise ApiError(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
        token = self.headers.get("X-Amz-Security-Token")
        names = signed_headers.split(";")
        if "host" not in names:
            raise ApiError(403, "SignatureDoesNotMatch", "The host header must be signed")
        if token is not None and "x-amz-security-token" not in names:
            raise ApiError(403, "SignatureDoesNotMatch", "X-Amz-Security-Token must be signed")
        headers = {}
        for n in names:
            v = self.headers.get_all(n)
            if v is None:
                raise ApiError(403, "SignatureDoesNotMatch", "signed header %s is missing" % n)
            headers[n] = ",".join(v)
        req = AWSRequest(method=self.command, url="http://%s%s" % (self.headers["Host"], self.path),
                         headers=headers, data=raw)
        req.context["timestamp"] = amz_date
        signer = SigV4Auth(Credentials(akid, secret, token), service, region)
        canonical = signer.canonical_request(req)
        expected = signer.signature(signer.string_to_sign(req, canonical), req)
        if expected != signature:
            raise ApiError(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the "
                           "signature you provided. Check your AWS Secret Access Key and signing method. Consult the "
                           "service documentation for details.")
        if token is not None:
            expiry = st.tokens.get(token)
            if expiry is None:
                if service == "ec2":
                    raise ApiError(401, "AuthFailure", "AWS was not able to validate the provided access credentials")
                raise ApiError(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
            if service == "ec2" and st.config["token_uses"] and token in st.token_uses:
                st.token_uses[token] += 1
                if st.token_uses[token] > st.config["token_uses"]:
                    st.tokens[token] = expiry = 0
            if expiry < time.time():
                if service == "ec2":
                    raise ApiError(400, "RequestExpired", "Request has expired.")
                raise ApiError(403, "ExpiredToken", "The security token included in the request is expired")
        return region, akid, token, True


def xml_escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True, help="write the chosen port here once listening")
    ap.add_argument("--s3-endpoint", help="s3rver's URL: ImportImage/ImportSnapshot check the object is there")
    ap.add_argument("--config", help="JSON knobs (see DEFAULT_CONFIG)")
    ap.add_argument("--tokens", default="", help="comma-separated session tokens that are valid from the start")
    args = ap.parse_args()
    state = State(json.loads(args.config) if args.config else {}, args.s3_endpoint)
    for t in filter(None, args.tokens.split(",")):
        state.tokens[t] = time.time() + 86400
    for t in state.config.get("expire_tokens", []):
        state.tokens[t] = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.state = state
    server.models = {"ec2": Model("ec2", "2016-11-15"), "sts": Model("sts", "2011-06-15")}
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, args.port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
