# Managed by Ansible (role ironclad.aws.bastion).
"""bastion-replay AUDIT-KEY [--from-s3] [--print] [scriptreplay options]: replay a session.

Finds NAME.data and NAME.time in the recordings folder, or downloads them from S3 (the
whole objects; for a session that never closed, its shipped parts in byte order), and
runs util-linux `scriptreplay --log-timing NAME.time --log-io NAME.data` with the options
given: `--maxdelay 0.01` skips the pauses, `--stream in` shows what was typed,
`--summary` the session's header. `--print` prints that command instead (downloaded
files are then kept). Root only: the recordings and the S3 settings are root's.
Runs on the distribution's Python 3 (3.7 on Amazon Linux 2).
"""

import base64
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

from bastion_names import EXTENSIONS, parse_name

USAGE = "usage: bastion-replay AUDIT-KEY [--from-s3] [--print] [scriptreplay options, e.g. --maxdelay 0.01 --stream in]"
OWN_OPTIONS = ("--from-s3", "--print")


class Failed(Exception):
    """Why there is nothing to replay: the message is for the operator."""


def parse_args(args):
    """(AUDIT KEY, from S3 only, print only, the options for scriptreplay)."""
    if not args or args[0] in ("-h", "--help"):
        raise Failed(USAGE)
    key, rest = args[0], args[1:]
    if not parse_name(key):
        raise Failed(f"{key!r} is not an AUDIT KEY (YYYY-MM-DD_HH-MM-SS_USER_ and 32 letters or digits)\n{USAGE}")
    return key, "--from-s3" in rest, "--print" in rest, [a for a in rest if a not in OWN_OPTIONS]


def replay_command(paths, options):
    return ["scriptreplay", "--log-timing", paths["time"], "--log-io", paths["data"]] + list(options)


def local_paths(log_dir, key):
    paths = {ext: os.path.join(log_dir, f"{key}.{ext}") for ext in EXTENSIONS}
    return paths if all(os.path.isfile(p) for p in paths.values()) else None


def unchanged_since_shipping(checksum, digest):
    """Why an object is not as the shipper sent it (None: it is): every PUT of the shipper
    carries the SHA-256 of its bytes, which S3 keeps (CHECKSUM, base64) with the object."""
    if not checksum or "-" in checksum:
        # A multipart or a plain upload (CRC32 or none): someone else's.
        return "it carries no SHA-256 of its bytes, as every upload of the shipper does"
    if checksum != base64.b64encode(digest).decode("ascii"):
        return "its bytes do not match its SHA-256"
    return None


def copy_checked(s3, bucket, obj, handle):
    """Append the object at OBJ to HANDLE; Failed unless it is as the shipper sent it."""
    response = s3.get_object(Bucket=bucket, Key=obj, ChecksumMode="ENABLED")
    digest = hashlib.sha256()
    for chunk in iter(lambda: response["Body"].read(1 << 20), b""):
        digest.update(chunk)
        handle.write(chunk)
    reason = unchanged_since_shipping(response.get("ChecksumSHA256"), digest.digest())
    if reason:
        raise Failed(f"s3://{bucket}/{obj} is not as the shipper sent it: {reason}; not replayed")


def download(s3_config, key, folder):
    """NAME.data and NAME.time from S3 into FOLDER: whole objects, else their parts."""
    # Only here: a bastion that does not ship has no boto3 configuration.
    from bastion_s3 import Client, load_config, stitch
    from botocore.exceptions import BotoCoreError, ClientError
    from ship_logs import object_key

    cfg = load_config([None, s3_config])
    s3 = Client(cfg).s3
    paths = {}
    try:
        for ext in EXTENSIONS:
            name = f"{key}.{ext}"
            obj = object_key(cfg, name)
            paths[ext] = os.path.join(folder, name)
            with open(paths[ext], "wb") as handle:
                try:
                    copy_checked(s3, cfg["bucket"], obj, handle)
                    continue
                except ClientError as err:
                    if err.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
                        raise
                pages = s3.get_paginator("list_objects_v2").paginate(Bucket=cfg["bucket"], Prefix=obj + ".parts/")
                parts, end = stitch(obj, [o["Key"] for page in pages for o in page.get("Contents", [])])
                if not parts:
                    raise Failed(f"s3://{cfg['bucket']}/{obj} does not exist, nor any part of it")
                sys.stderr.write(f"bastion-replay: {name} was never shipped whole: its first {end} bytes, from parts\n")
                for part in parts:
                    copy_checked(s3, cfg["bucket"], part, handle)
    except (BotoCoreError, ClientError) as err:
        raise Failed(f"cannot download {key} from s3://{cfg['bucket']}: {err}") from None
    return paths


def main(argv):
    recorder_config, s3_config, args = argv[1], argv[2], argv[3:]
    folder = None
    try:
        key, from_s3, print_only, options = parse_args(args)
        with open(recorder_config, encoding="utf-8") as handle:
            log_dir = json.load(handle)["log_dir"]
        paths = None if from_s3 else local_paths(log_dir, key)
        if paths is None:
            if not os.path.isfile(s3_config):
                raise Failed(f"{key} is not in {log_dir}, and this bastion does not ship to S3")
            folder = tempfile.mkdtemp(prefix="bastion-replay-")
            paths = download(s3_config, key, folder)
        command = replay_command(paths, options)
        if print_only:
            print(" ".join(shlex.quote(part) for part in command))
            folder = None  # the command needs the files
            return 0
        return subprocess.call(command)  # noqa: S603
    except ImportError:
        sys.stderr.write("bastion-replay: this bastion does not ship recordings to S3\n")
        return 2
    except (Failed, OSError, SystemExit) as err:
        sys.stderr.write(f"bastion-replay: {err}\n")
        return 2
    finally:
        if folder:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
