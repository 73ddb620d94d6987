# Managed by Ansible (role ironclad.aws.bastion).
"""Ship the session recordings to s3://BUCKET/PREFIX with server-side encryption.

- Uploads only what is new or changed since its last successful upload (a local state
  of size and mtime per file), so a run with nothing new sends no request at all.
- Deletes a local recording only when it is older than the retention AND a HEAD
  request shows the object in S3 with the same size and encryption (and MD5 where
  the ETag is one). S3 unreachable: nothing is deleted; the next run catches up.
- Reports what the recorder logged since the last run (sessions refused or ended
  because the recordings folder was low on space) and whether the folder is low now.
"""

import hashlib
import json
import os
import socket
import sys
import time

from bastion_names import free_space, low_space, parse_file_name
from bastion_s3 import UNREACHABLE, Client, load_config, logger, read_json, sse_arguments, write_json_atomically
from boto3.exceptions import S3UploadFailedError
from botocore.exceptions import BotoCoreError, ClientError

log = logger("ship")


def object_key(cfg, name, hostname=None):
    # Recordings have unique names; anything else (the users' changelog) is per host.
    if parse_file_name(name):
        return cfg["logs_prefix"] + name
    return "{}{}/{}".format(cfg["logs_prefix"], hostname or socket.gethostname(), name)


def expiry_candidates(files, state, cutoff_ns):
    """Recordings old enough to delete and shipped as they are now (files: name -> [size, mtime_ns])."""
    return [n for n in sorted(files) if parse_file_name(n) and files[n][1] < cutoff_ns and state.get(n) == files[n]]


def new_events(path, offset):
    """(messages the recorder appended since OFFSET, the new offset); a shorter file starts over."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            if handle.tell() < offset:
                offset = 0
            handle.seek(offset)
            data = handle.read()
    except FileNotFoundError:
        return [], 0
    complete = data[: data.rfind(b"\n") + 1]
    messages = []
    for line in complete.decode("utf-8", "replace").splitlines():
        try:
            messages.append(json.loads(line)["message"])
        except (ValueError, KeyError, TypeError):
            messages.append(line)
    return messages, offset + len(complete)


def report_recorder(cfg):
    """Log the recorder's events since the last run, and the folder's room now."""
    state_path = os.path.join(cfg["state_dir"], "events.json")
    offset = read_json(state_path, {}).get("offset", 0)
    messages, offset = new_events(os.path.join(cfg["state_dir"], "recorder-events.log"), offset)
    for message in messages:
        log.error("recorder: %s", message)
    write_json_atomically(state_path, {"offset": offset})
    if "min_free_bytes" in cfg:
        room = free_space(cfg["log_dir"], os.statvfs)
        reason = low_space(room[0], room[1], cfg["min_free_bytes"], cfg["min_free_inodes"])
        if reason:
            log.error("the recordings folder is low on space (%s): new sessions are refused", reason)
    return len(messages)


def local_files(log_dir):
    files = {}
    with os.scandir(log_dir) as entries:
        for entry in entries:
            if entry.is_file(follow_symlinks=False) and not entry.name.startswith("."):
                stat = entry.stat(follow_symlinks=False)
                files[entry.name] = [stat.st_size, stat.st_mtime_ns]
    return files


def open_paths(log_dir):
    """Recordings a running session still writes to (an idle session's file is old)."""
    paths = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        fd_dir = f"/proc/{pid}/fd"
        try:
            for fd in os.listdir(fd_dir):
                target = os.readlink(os.path.join(fd_dir, fd))
                if target.startswith(log_dir + "/"):
                    paths.add(target)
        except OSError:
            continue
    return paths


def md5_of(path):
    digest = hashlib.md5()  # noqa: S324 - compared with S3's ETag, not a security use
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def confirmed(client, cfg, name, path, size):
    """True when S3 holds this file, whole and encrypted; None when it is missing."""
    try:
        head = client.s3.head_object(Bucket=cfg["bucket"], Key=object_key(cfg, name))
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    etag = head.get("ETag", "").strip('"')
    # Only single-part SSE-S3 objects have the MD5 as ETag (not multipart, not SSE-KMS).
    md5_etag = cfg["sse"] == "AES256" and "-" not in etag
    return (
        head.get("ContentLength") == size
        and head.get("ServerSideEncryption") == cfg["sse"]
        and (not md5_etag or etag == md5_of(path))
    )


def upload(client, cfg, files, state, counts):
    extra = sse_arguments(cfg)
    for name in sorted(files):
        if state.get(name) == files[name]:
            counts["unchanged"] += 1
            continue
        try:
            client.s3.upload_file(
                os.path.join(cfg["log_dir"], name), cfg["bucket"], object_key(cfg, name), ExtraArgs=extra
            )
        except UNREACHABLE:
            raise
        except (BotoCoreError, ClientError, S3UploadFailedError, OSError) as err:
            if isinstance(getattr(err, "last_exception", None), UNREACHABLE):
                raise err.last_exception from err
            log.error("upload of %s failed, will retry next run: %s", name, err)
            counts["failed"] += 1
            continue
        # The size and mtime from before the upload: a file that grew meanwhile differs
        # from this next time and is uploaded again.
        state[name] = files[name]
        counts["uploaded"] += 1


def expire(client, cfg, files, state):
    deleted = 0
    cutoff_ns = int((time.time() - cfg["retention_hours"] * 3600) * 1e9)
    old = expiry_candidates(files, state, cutoff_ns)
    busy = open_paths(cfg["log_dir"]) if old else set()
    for name in old:
        path = os.path.join(cfg["log_dir"], name)
        if path in busy:
            continue
        verdict = confirmed(client, cfg, name, path, files[name][0])
        if verdict is None:
            log.warning("%s is not in S3 any more; it will be uploaded again", name)
            state.pop(name, None)
        elif verdict:
            os.unlink(path)
            state.pop(name, None)
            deleted += 1
        else:
            log.warning("%s differs from its S3 copy; keeping it and uploading it again", name)
            state.pop(name, None)
    return deleted


def main(argv):
    cfg = load_config(argv)
    report_recorder(cfg)
    state_path = os.path.join(cfg["state_dir"], "shipped.json")
    state = read_json(state_path, {})
    files = local_files(cfg["log_dir"])
    # Forget files that are gone, so the state does not grow forever.
    state = {name: sig for name, sig in state.items() if name in files}
    client = Client(cfg)
    counts = {"uploaded": 0, "unchanged": 0, "failed": 0}
    deleted = 0
    status = 0
    try:
        upload(client, cfg, files, state, counts)
        deleted = expire(client, cfg, files, state)
    except UNREACHABLE as err:
        log.error("S3 is unreachable (%s): nothing deleted, the next run catches up", err)
        status = 1
    finally:
        write_json_atomically(state_path, state)
    log.info(
        "shipped: uploaded=%d unchanged=%d failed=%d deleted=%d requests=%d seconds=%.2f",
        counts["uploaded"],
        counts["unchanged"],
        counts["failed"],
        deleted,
        client.requests,
        client.elapsed(),
    )
    return 1 if status or counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
