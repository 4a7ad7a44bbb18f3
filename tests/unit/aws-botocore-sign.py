#!/usr/bin/python3
# aws-botocore-sign.py [COUNT [SEED]] — generate S3, EC2 and STS requests and sign each with botocore
# (Debian's python3-botocore): one JSON object per line with the request as it would be sent and
# botocore's canonical request, string to sign and signature. tests/unit/test-aws-botocore.c signs the
# same requests with kiln's signer (and with libcurl's, where kiln uses it) and compares byte for byte.
import json
import random
import sys
from urllib.parse import quote

from botocore.auth import S3SigV4Auth, SigV4Auth, _host_from_url
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 20240601)

KEY_CHARS = "abcXYZ019-_.~ +=&!*'()$@:,;/%?#\u00e9\u4e2d"
VALUE_CHARS = "abcXYZ019-_.~ +=/&!*'():\u00e9"
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2", "us-gov-west-1", "cn-north-1"]


def rstr(chars, lo, hi):
    return "".join(rng.choice(chars) for _ in range(rng.randint(lo, hi)))


def aws_quote(s, safe=""):
    return quote(s, safe="-_.~" + safe)


def creds():
    secret = rstr("abcdefghijKLMNOP0123456789/+", 40, 40)
    token = None
    if rng.random() < 0.4:
        token = rstr("abcdefghijKLMNOP0123456789/+=", 20, 120)
    return Credentials("AKID" + rstr("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16, 16), secret, token)


def host_for(service, region):
    return rng.choice([
        "127.0.0.1:%d" % rng.randint(1025, 65000),
        "localhost:%d" % rng.randint(1025, 65000),
        "[::1]:%d" % rng.randint(1025, 65000),
        "%s.%s.amazonaws.com" % (service, region),
        "examplebucket.s3.%s.amazonaws.com" % region if service == "s3" else "%s.amazonaws.com" % service,
    ])


def s3_case():
    region = rng.choice(REGIONS)
    method = rng.choice(["GET", "PUT", "POST", "DELETE", "HEAD"])
    key = rstr(KEY_CHARS, 1, 40)
    if rng.random() < 0.2:
        key = "a/../b/./c//d" + key
    bucket = rng.choice(["kiln-test", "bucket.with.dots", "b"])
    path = "/%s/%s" % (bucket, aws_quote(key, "/"))
    query = []
    kind = rng.random()
    if kind < 0.2:
        query = [("uploads", "")]
    elif kind < 0.5:
        query = [("partNumber", str(rng.randint(1, 10000))), ("uploadId", rstr(VALUE_CHARS, 10, 60))]
    elif kind < 0.6:
        query = [("uploadId", rstr(VALUE_CHARS, 10, 60))]
    elif kind < 0.7:
        query = [("list-type", "2"), ("prefix", rstr(VALUE_CHARS, 0, 20)), ("max-keys", "1000")]
    elif kind < 0.75:
        query = [("location", "")]
    rng.shuffle(query)
    body = b""
    if method in ("PUT", "POST") and rng.random() < 0.7:
        body = rstr("abc<>/\n", 0, 300).encode()
    headers = {}
    r = rng.random()
    if r < 0.25:
        headers["X-Amz-Server-Side-Encryption"] = "AES256"
    elif r < 0.5:
        headers["X-Amz-Server-Side-Encryption"] = "aws:kms"
        headers["X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id"] = rng.choice(
            ["alias/kiln", "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab"])
    if rng.random() < 0.3:
        headers["Content-Type"] = rng.choice(["application/octet-stream", "application/xml"])
    if rng.random() < 0.2:
        headers["X-Amz-Meta-Note"] = "  two  spaces\there  "
    if rng.random() < 0.15:
        headers["X-Amz-Meta"] = "prefix-of-another"
        headers["X-Amz-Meta-A"] = "b"
    return "s3", region, method, host_for("s3", region), path, query, headers, body


def query_case():
    service = rng.choice(["ec2", "sts"])
    region = rng.choice(REGIONS)
    params = [("Action", rng.choice(["ImportImage", "DescribeImages", "AssumeRole", "CopyImage"])),
              ("Version", "2016-11-15" if service == "ec2" else "2011-06-15")]
    for i in range(rng.randint(0, 6)):
        params.append(("Param%d.%d" % (i, rng.randint(1, 3)), rstr(VALUE_CHARS, 0, 30)))
    path = "/"
    if rng.random() < 0.15:
        path = rng.choice(["/a/./b/../c", "//x//", "/with%20space", "/caf%C3%A9/"])
    body = "&".join("%s=%s" % (aws_quote(k), aws_quote(v)) for k, v in params).encode()
    query = []
    method = "POST"
    if rng.random() < 0.2:
        method, body = "GET", b""
        query = params
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"} if method == "POST" else {}
    return service, region, method, host_for(service, region), path, query, headers, body


for n in range(count):
    service, region, method, host, path, query, headers, body = s3_case() if n % 2 == 0 else query_case()
    c = creds()
    qs = "&".join("%s=%s" % (aws_quote(k), aws_quote(v)) for k, v in query)
    url = "http://%s%s%s" % (host, path, "?" + qs if qs else "")
    req = AWSRequest(method=method, url=url, headers=dict(headers), data=body)
    ts = "2024%02d%02dT%02d%02d%02dZ" % (rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23),
                                         rng.randint(0, 59), rng.randint(0, 59))
    req.context["timestamp"] = ts
    auth = (S3SigV4Auth if service == "s3" else SigV4Auth)(c, service, region)
    auth._modify_request_before_signing(req)
    canonical = auth.canonical_request(req)
    sts = auth.string_to_sign(req, canonical)
    sig = auth.signature(sts, req)
    # what botocore signed, as it will be sent (kiln adds Host, X-Amz-Date and the token itself)
    sent = [[k, v] for k, v in req.headers.items()
            if k.lower() not in ("x-amz-date", "x-amz-security-token", "user-agent", "expect")]
    print(json.dumps({
        "service": service, "region": region, "method": method, "url": url,
        "host": _host_from_url(url),
        "path": path, "query": qs, "headers": sent, "body": body.decode(),
        "amz_date": ts, "access_key": c.access_key, "secret_key": c.secret_key, "token": c.token,
        "payload_hash": canonical.rsplit("\n", 1)[1],
        "canonical_request": canonical, "string_to_sign": sts, "signature": sig,
    }))
