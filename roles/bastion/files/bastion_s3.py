# Managed by Ansible (role ironclad.aws.bastion).
"""What the bastion's S3 jobs share: configuration, logging and a counted S3 client.

Runs on the distribution's Python 3 (3.7 on Amazon Linux 2) with its python3-boto3.
"""

import base64
import hashlib
import json
import logging
import os
import re
import secrets
import sys
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.exceptions import EndpointConnectionError

# Errors that mean "S3 is not reachable right now", as opposed to "this object failed".
UNREACHABLE = (EndpointConnectionError, BotoConnectionError)


# Per-instance settings of golden images (instance_config role): the unit reads
# /etc/ironclad/instance.env, and these variables override the baked configuration.
INSTANCE_SETTINGS = {
    "IRONCLAD_BASTION_S3_BUCKET": "bucket",
    "IRONCLAD_BASTION_S3_REGION": "region",
    "IRONCLAD_BASTION_S3_ENDPOINT_URL": "endpoint_url",
}


def load_config(argv, environ=None):
    environ = os.environ if environ is None else environ
    path = argv[1] if len(argv) > 1 else "/etc/bastion/s3.json"
    with open(path, encoding="utf-8") as handle:
        cfg = json.load(handle)
    for variable, key in INSTANCE_SETTINGS.items():
        if environ.get(variable):
            cfg[key] = environ[variable]
    if not cfg.get("bucket"):
        raise SystemExit(
            "no S3 bucket: set bastion_s3_bucket, or IRONCLAD_BASTION_S3_BUCKET in the instance's user data or tags"
        )
    return cfg


def logger(name):
    # The journal adds time stamps and the unit name; keep lines greppable.
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(message)s")
    return logging.getLogger(name)


class Client:
    """An S3 client that counts the HTTP requests it sends (retries included)."""

    def __init__(self, cfg):
        self.started = time.monotonic()
        self.requests = 0
        config = Config(
            region_name=cfg["region"],
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=5,
            read_timeout=60,
            s3={"addressing_style": cfg.get("addressing_style") or "auto"},
        )
        self.s3 = boto3.client("s3", endpoint_url=cfg.get("endpoint_url") or None, config=config)
        self.s3.meta.events.register("before-send.s3", self._count)

    def _count(self, **_kwargs):
        self.requests += 1

    def elapsed(self):
        return time.monotonic() - self.started


def sse_arguments(cfg):
    """ExtraArgs for uploads: AES256, or aws:kms with its key id."""
    if cfg["sse"] == "aws:kms":
        return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": cfg["kms_key_id"]}
    return {"ServerSideEncryption": cfg["sse"]}


def _if_none_match(params, **_kwargs):
    params["headers"]["If-None-Match"] = "*"


def never_overwrite(s3):
    """Every PutObject of this client carries If-None-Match: * (S3 then refuses a taken key).

    Set as a header: the botocore of older distributions has no IfNoneMatch parameter."""
    s3.meta.events.register("before-call.s3.PutObject", _if_none_match)


def write_json_atomically(path, data):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle, sort_keys=True)
    # Rename is atomic: a crash leaves the old state, never a half-written one.
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def read_json(path, default):
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return default


def file_chunks(path, size=1 << 20):
    with open(path, "rb") as handle:
        yield from iter(lambda: handle.read(size), b"")


def sha256_of(chunks):
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.digest()


def b64(digest):
    """A digest as S3 writes it in x-amz-checksum-* headers."""
    return base64.b64encode(digest).decode("ascii")


# A part of a growing file: the bytes START to END (exclusive) of the file at KEY, shipped
# in GENERATION (UTC time and a random suffix, new whenever the shipper starts the file
# from byte 0: a new host of the same name, a rotated log, a lost state). Fixed width,
# so the parts of a generation list in the order of their bytes.
PART = "{key}.parts/{generation}/{start:012d}-{end:012d}"
GENERATION = re.compile(r"\A\d{8}T\d{6}Z-[0-9a-f]{8}\Z")


def new_generation(when=None):
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() if when is None else when))
    return f"{stamp}-{secrets.token_hex(4)}"


def part_key(key, generation, start, end):
    return PART.format(key=key, generation=generation, start=start, end=end)


def part_span(key, part):
    """(generation, start, end) when PART is a part of KEY's file (part_key), else None."""
    prefix = key + ".parts/"
    if not part.startswith(prefix):
        return None
    generation, slash, span = part[len(prefix) :].partition("/")
    start, dash, end = span.partition("-")
    if not (slash and dash and GENERATION.match(generation)):
        return None
    if not (len(start) == len(end) == 12 and start.isdigit() and end.isdigit()) or int(end) < int(start):
        return None
    return generation, int(start), int(end)


def stitch(key, parts):
    """The part keys of KEY's latest generation that make its file from byte 0 with no gap.

    Returns (keys, bytes covered)."""
    spans = [(part_span(key, p), p) for p in parts]
    spans = [(span, p) for span, p in spans if span]
    if not spans:
        return [], 0
    latest = max(span[0] for span, _p in spans)
    ends = {span[1]: (span[2], p) for span, p in sorted(spans) if span[0] == latest and span[2] > span[1]}
    chosen, reach = [], 0
    while reach in ends:
        reach, part = ends[reach]
        chosen.append(part)
    return chosen, reach
