# Managed by Ansible (role ironclad.aws.bastion).
"""Ship the session recordings to s3://BUCKET/PREFIX with server-side encryption.

- Never replaces an object: every PUT carries `If-None-Match: *`. A closed recording
  goes to PREFIX/NAME.EXT once; what a live session (or the users' changelog) adds
  since the last run goes to PREFIX/NAME.EXT.parts/GENERATION/START-END (bastion_s3.part_key).
- Every PUT carries the SHA-256 of its bytes (`x-amz-checksum-sha256`), which S3 checks
  and keeps. When the key is taken, the object there is compared with the local bytes:
  the same bytes count as shipped; other bytes are logged, kept locally, and the run
  fails (`systemctl --failed`).
- Deletes a local recording only when it is older than the retention, no session
  writes to it, and S3 holds the same bytes (SHA-256), size and encryption. S3
  unreachable: nothing is deleted; the next run catches up.
- Runs when a session ends: the recorder leaves a file in the requests folder, whose path
  unit starts this job while the folder is not empty. The run takes the requests before
  its first look at the folder, so a session that ends later leaves one for the next run
  (a `systemctl start` would be merged into this one). Looks again after each pass too.
- Reports what the recorder logged since the last run (sessions refused or ended
  because the recordings folder was low on space) and whether the folder is low now.
"""

import json
import os
import socket
import sys
import time

from bastion_names import free_space, low_space, parse_file_name
from bastion_s3 import (
    UNREACHABLE,
    Client,
    b64,
    file_chunks,
    load_config,
    logger,
    never_overwrite,
    new_generation,
    part_key,
    read_json,
    sha256_of,
    sse_arguments,
    write_json_atomically,
)
from botocore.exceptions import BotoCoreError, ClientError

log = logger("ship")

# The most bytes one part carries (a live session that printed more is sent in several).
PART_BYTES = 64 << 20
# Passes of one run at most (each ships what sessions closed during the one before).
PASSES = 5
# S3's answers to a PUT with If-None-Match on a taken key (409: a concurrent write).
TAKEN = (409, 412)


def object_key(cfg, name, hostname=None):
    # Recordings have unique names; anything else (the users' changelog) is per host.
    if parse_file_name(name):
        return cfg["logs_prefix"] + name
    return "{}{}/{}".format(cfg["logs_prefix"], hostname or socket.gethostname(), name)


def load_state(path):
    """name -> {"final": [size, mtime_ns] shipped whole, "sent": bytes shipped as parts of "generation"}."""
    state = read_json(path, {})
    # Before parts, a value was the [size, mtime_ns] of the last whole upload.
    return {name: entry if isinstance(entry, dict) else {"final": entry} for name, entry in state.items()}


def expiry_candidates(files, state, cutoff_ns):
    """Recordings old enough to delete and shipped whole as they are now (files: name -> [size, mtime_ns])."""
    return [
        n
        for n in sorted(files)
        if parse_file_name(n) and files[n][1] < cutoff_ns and state.get(n, {}).get("final") == files[n]
    ]


def next_part(size, sent, limit=PART_BYTES):
    """(start, end) of the next part of a growing file, or None when all is sent."""
    if size < sent:  # replaced or truncated (a rotated log): from the start again
        sent = 0
    if size == sent:
        return None
    return sent, min(size, sent + limit)


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


def read_range(path, start, end):
    with open(path, "rb") as handle:
        handle.seek(start)
        return handle.read(end - start)


def holds(client, cfg, key, size, digest):
    """Whether S3's object at KEY has this size and SHA-256 (None: there is none)."""
    try:
        head = client.s3.head_object(Bucket=cfg["bucket"], Key=key, ChecksumMode="ENABLED")
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    if head.get("ContentLength") != size or head.get("ServerSideEncryption") != cfg["sse"]:
        return False
    checksum = head.get("ChecksumSHA256")
    if checksum and "-" not in checksum:
        return checksum == b64(digest)
    # No whole-object SHA-256 (not uploaded by this shipper, or by one before it sent
    # checksums): read the object itself.
    body = client.s3.get_object(Bucket=cfg["bucket"], Key=key)["Body"]
    return sha256_of(iter(lambda: body.read(1 << 20), b"")) == digest


def put_once(client, cfg, key, body, size, digest):
    """PUT KEY unless it exists; True when S3 now holds these bytes there (sent or found)."""
    try:
        client.s3.put_object(
            Bucket=cfg["bucket"],
            Key=key,
            Body=body,
            ChecksumAlgorithm="SHA256",
            ChecksumSHA256=b64(digest),
            **sse_arguments(cfg),
        )
        return True
    except ClientError as err:
        if err.response.get("ResponseMetadata", {}).get("HTTPStatusCode") not in TAKEN:
            raise
    if holds(client, cfg, key, size, digest):
        return True
    log.error("s3://%s/%s already holds other bytes: not overwritten; the local copy is kept", cfg["bucket"], key)
    return False


def ship_file(client, cfg, name, path, signature, entry, whole):
    """Ship what is new of one file (WHOLE: as one final object); 'uploaded', 'unchanged' or 'failed'."""
    size = signature[0]
    if whole:
        if entry.get("final") == signature:
            return "unchanged"
        digest = sha256_of(file_chunks(path))
        with open(path, "rb") as handle:
            if not put_once(client, cfg, object_key(cfg, name), handle, size, digest):
                return "failed"
        entry["final"] = signature
        return "uploaded"
    span = next_part(size, entry.get("sent", 0))
    if span is None:
        return "unchanged"
    if span[0] == 0 or "generation" not in entry:
        entry["generation"] = new_generation()
    data = read_range(path, span[0], span[1])
    digest = sha256_of([data])
    key = part_key(object_key(cfg, name), entry["generation"], span[0], span[0] + len(data))
    if not put_once(client, cfg, key, data, len(data), digest):
        return "failed"
    entry["sent"] = span[0] + len(data)
    return "uploaded"


def ship(client, cfg, files, busy, state, counts, first=True):
    """One pass over the folder; the number of objects it sent. Passes after the FIRST
    ship only the recordings closed since (growing files wait for the next run)."""
    sent = 0
    for name in sorted(files):
        if name in counts["failed_names"]:
            continue  # tried in an earlier pass of this run
        path = os.path.join(cfg["log_dir"], name)
        entry = state.setdefault(name, {})
        # A closed recording is shipped whole; a live one, and any other file, in parts.
        whole = bool(parse_file_name(name)) and path not in busy
        if not (whole or first):
            continue
        try:
            outcome = ship_file(client, cfg, name, path, files[name], entry, whole)
        except UNREACHABLE:
            raise
        except (BotoCoreError, ClientError, OSError) as err:
            if isinstance(getattr(err, "last_exception", None), UNREACHABLE):
                raise err.last_exception from err
            log.error("upload of %s failed, will retry next run: %s", name, err)
            outcome = "failed"
        if outcome == "unchanged" and not first:
            continue  # counted by the first pass
        counts[outcome] += 1
        if outcome == "failed":
            counts["failed_names"].add(name)
        sent += outcome == "uploaded"
    return sent


def expire(client, cfg, files, busy, state, counts):
    deleted = 0
    cutoff_ns = int((time.time() - cfg["retention_hours"] * 3600) * 1e9)
    for name in expiry_candidates(files, state, cutoff_ns):
        path = os.path.join(cfg["log_dir"], name)
        if path in busy:
            continue
        verdict = holds(client, cfg, object_key(cfg, name), files[name][0], sha256_of(file_chunks(path)))
        if verdict is None:
            log.warning("%s is not in S3 any more; it will be uploaded again", name)
            state[name].pop("final", None)
        elif verdict:
            os.unlink(path)
            state.pop(name, None)
            deleted += 1
        else:
            log.error("%s differs from its S3 copy (SHA-256, size or encryption); the local copy is kept", name)
            if name not in counts["failed_names"]:
                counts["failed"] += 1
                counts["failed_names"].add(name)
    return deleted


def take_requests(request_dir):
    """Remove the shipping requests that are there now; the number taken. Whatever they ask
    for is closed on disk already: the recorder writes its request after the session."""
    if not request_dir:
        return 0
    try:
        names = os.listdir(request_dir)
    except FileNotFoundError:
        return 0
    for name in names:
        try:
            os.unlink(os.path.join(request_dir, name))
        except FileNotFoundError:
            pass
        except OSError as err:  # left there, it would start this job again and again
            log.error("cannot take the shipping request %s: %s", name, err)
    return len(names)


def main(argv):
    cfg = load_config(argv)
    take_requests(cfg.get("ship_requests"))
    report_recorder(cfg)
    state_path = os.path.join(cfg["state_dir"], "shipped.json")
    state = load_state(state_path)
    client = Client(cfg)
    never_overwrite(client.s3)
    counts = {"uploaded": 0, "unchanged": 0, "failed": 0, "failed_names": set()}
    deleted = 0
    status = 0
    try:
        for number in range(PASSES):
            files = local_files(cfg["log_dir"])
            # Forget files that are gone, so the state does not grow forever.
            state = {name: entry for name, entry in state.items() if name in files}
            busy = open_paths(cfg["log_dir"])
            sent = ship(client, cfg, files, busy, state, counts, first=number == 0)
            deleted += expire(client, cfg, files, busy, state, counts)
            write_json_atomically(state_path, state)
            if not sent:
                break
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
