# Managed by Ansible (role ironclad.aws.bastion).
"""What the bastion's S3 jobs share: configuration, logging and a counted S3 client.

Runs on the distribution's Python 3 (3.7 on Amazon Linux 2) with its python3-boto3.
"""

import json
import logging
import os
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
