# Managed by Ansible (role ironclad.aws.bastion).
"""Create and remove bastion users from s3://BUCKET/PREFIX/USERNAME.pub.

- Every key of the prefix is read with a paginated ListObjectsV2 (no text parsing).
- A bad name (the rule, too long, nested key, an existing account or group this job
  did not create, the admin user, an unrecorded account, a reserved one) is refused
  with a log line and never fails the run; the other users go on.
- Only users this job created (its state file) are ever removed, and only when their
  key is gone from the listing. A failed listing changes nothing.
- The keys go to KEYS_DIR/USERNAME (root's, 0644), the only AuthorizedKeysFile sshd
  reads for recorded accounts: nothing a user writes in a home is a key.
"""

import base64
import contextlib
import grp
import os
import pwd
import struct
import subprocess
import sys
import time

from bastion_names import SYNC_NAME, SYNC_NAME_RULE
from bastion_s3 import Client, load_config, logger, read_json, write_json_atomically
from botocore.exceptions import BotoCoreError, ClientError

KEY_TYPES = (
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)

log = logger("users")


def changelog(cfg, message):
    stamp = time.strftime("%Y-%m-%d %H-%M-%S")
    with open(cfg["changelog"], "a", encoding="utf-8") as handle:
        handle.write(f"{stamp}: {message}\n")
    log.info("%s", message)


def list_keys(client, cfg):
    paginator = client.s3.get_paginator("list_objects_v2")
    pages = paginator.paginate(
        Bucket=cfg["bucket"], Prefix=cfg["keys_prefix"], PaginationConfig={"PageSize": cfg["page_size"]}
    )
    return [obj["Key"] for page in pages for obj in page.get("Contents", [])]


def refusal(cfg, relative, managed, account_exists=None, group_exists=None):
    """Why the key at PREFIX/relative does not make a user, or None when it does."""
    account_exists = account_exists or _account_exists
    group_exists = group_exists or _group_exists
    if "/" in relative:
        return "nested keys are not read"
    if not relative.endswith(".pub"):
        return "not a .pub file"
    name = relative[: -len(".pub")]
    if not SYNC_NAME.match(name):
        return "the name does not match " + SYNC_NAME_RULE
    if len(name) > cfg["users_max_length"]:
        return "the name is longer than {} characters".format(cfg["users_max_length"])
    if name == cfg["admin_user"]:
        return "the name is reserved (the admin user)"
    if name in cfg.get("unrecorded_users", []):
        return "the name is reserved (an unrecorded account)"
    if name in set(cfg["users_reserved"]) | {"root"}:
        return "the name is reserved"
    if name not in managed and account_exists(name):
        return "an account of that name exists and was not created by this sync"
    if name not in managed and group_exists(name):
        return "a group of that name exists and was not created by this sync"
    return None


def _account_exists(name):
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _group_exists(name):
    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True


def public_keys(body):
    """The valid public key lines of a .pub file, options stripped; None if there are none."""
    keys = []
    for line in body.decode("utf-8", "replace").splitlines():
        fields = line.split()
        if len(fields) < 2 or fields[0] not in KEY_TYPES:
            continue
        try:
            blob = base64.b64decode(fields[1], validate=True)
            (length,) = struct.unpack(">I", blob[:4])
        except (ValueError, struct.error):
            continue
        # The key blob names its own type: a base64 string that is not a key fails here.
        if blob[4 : 4 + length].decode("ascii", "replace") != fields[0]:
            continue
        keys.append(" ".join(fields[:3]))
    return "\n".join(keys) + "\n" if keys else None


def write_keys(keys_dir, name, content):
    """Write KEYS_DIR/NAME (root's, 0644) atomically; True when it changed."""
    path = os.path.join(keys_dir, name)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, encoding="utf-8") as handle:
            current = handle.read()
    except FileNotFoundError:
        current = None
    if current == content:
        return False
    tmp = path + ".new"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(content)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    return True


def remove_keys(keys_dir, name):
    with contextlib.suppress(FileNotFoundError):
        os.unlink(os.path.join(keys_dir, name))


def create(cfg, name):
    subprocess.run(
        [
            "useradd",
            "--create-home",
            "--shell",
            cfg["users_shell"],
            "--comment",
            cfg["users_comment"],
            "--password",
            "*",
            name,
        ],
        check=True,
    )
    # Home folders private whatever useradd's HOME_MODE is on this distribution.
    os.chmod(pwd.getpwnam(name).pw_dir, 0o700)


def main(argv):
    cfg = load_config(argv)
    state_path = os.path.join(cfg["state_dir"], "users.json")
    managed = set(read_json(state_path, []))
    client = Client(cfg)
    counts = {"created": 0, "updated": 0, "removed": 0, "refused": 0, "failed": 0}
    try:
        keys = list_keys(client, cfg)
    except (BotoCoreError, ClientError) as err:
        log.error("cannot list s3://%s/%s (%s): no user changed", cfg["bucket"], cfg["keys_prefix"], err)
        return 1

    present = set()
    for key in keys:
        relative = key[len(cfg["keys_prefix"]) :]
        if not relative:
            continue
        if "/" not in relative and relative.endswith(".pub"):
            present.add(relative[: -len(".pub")])
        reason = refusal(cfg, relative, managed)
        if reason:
            log.warning("refusing key %r: %s", key, reason)
            counts["refused"] += 1
            continue
        name = relative[: -len(".pub")]
        try:
            content = public_keys(client.s3.get_object(Bucket=cfg["bucket"], Key=key)["Body"].read())
            if content is None:
                log.warning("refusing key %r: no valid public key in it", key)
                counts["refused"] += 1
                continue
            if name not in managed:
                create(cfg, name)
                managed.add(name)
                write_json_atomically(state_path, sorted(managed))
                changelog(cfg, f"Creating user account for {name} ({key})")
                counts["created"] += 1
                write_keys(cfg["keys_dir"], name, content)
            elif write_keys(cfg["keys_dir"], name, content):
                changelog(cfg, f"Updating public key of {name} ({key})")
                counts["updated"] += 1
        except (BotoCoreError, ClientError, OSError, subprocess.CalledProcessError) as err:
            log.error("user %s not synced: %s", name, err)
            counts["failed"] += 1

    for name in sorted(managed - present):
        try:
            subprocess.run(["userdel", "--remove", "--force", name], check=True, stderr=subprocess.PIPE)
        except subprocess.CalledProcessError as err:
            # userdel exits 12 when only the mail spool was missing: the account is gone.
            if _account_exists(name):
                log.error("cannot remove %s: %s", name, err.stderr.decode(errors="replace").strip())
                counts["failed"] += 1
                continue
        remove_keys(cfg["keys_dir"], name)
        managed.discard(name)
        write_json_atomically(state_path, sorted(managed))
        changelog(cfg, f"Removing user account for {name}")
        counts["removed"] += 1

    log.info(
        "users: created=%d updated=%d removed=%d refused=%d failed=%d requests=%d seconds=%.2f",
        counts["created"],
        counts["updated"],
        counts["removed"],
        counts["refused"],
        counts["failed"],
        client.requests,
        client.elapsed(),
    )
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
