# Managed by Ansible (role ironclad.aws.bastion).
"""The one definition of the names the bastion's programs share.

The recorder names recordings with `recording_name`; the shipper recognises them with
`parse_file_name`; the user sync checks account names with `SYNC_NAME`. Pure functions
only (no boto3), so the recorder can import this without the S3 libraries. Runs on the
distribution's Python 3 (3.7 on Amazon Linux 2).
"""

import re
import secrets
import string
import time

# Accounts a session can be recorded for (the part of a recording's name after the time).
RECORDED_USER = r"[a-z_][-a-z0-9_]*"
# Names the user sync creates accounts for: \A and \Z, since `$` accepts a trailing newline.
SYNC_NAME = re.compile(r"\A[a-z][-a-z0-9]*\Z")
SYNC_NAME_RULE = "^[a-z][-a-z0-9]*$"

STAMP_FORMAT = "%Y-%m-%d_%H-%M-%S"
SUFFIX_LENGTH = 32
SUFFIX_ALPHABET = string.ascii_letters + string.digits
# NAME.data holds what was typed and shown (util-linux --log-io), NAME.time its timing
# (--log-timing, advanced format): `scriptreplay -T NAME.time -B NAME.data`.
EXTENSIONS = ("data", "time")

RECORDING = re.compile(
    r"\A(?P<stamp>\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d)_(?P<user>" + RECORDED_USER + r")_(?P<suffix>[A-Za-z0-9]{32})\Z"
)
_RECORDED_USER = re.compile(r"\A" + RECORDED_USER + r"\Z")


def recordable_user(name):
    """True when NAME can appear in a recording's name (and so be recorded)."""
    return bool(_RECORDED_USER.match(name))


def new_suffix(choice=secrets.choice):
    return "".join(choice(SUFFIX_ALPHABET) for _position in range(SUFFIX_LENGTH))


def recording_name(user, when=None, suffix=None):
    """YYYY-MM-DD_HH-MM-SS_USER_<32 random [A-Za-z0-9]>: the AUDIT KEY of a session (UTC)."""
    if not recordable_user(user):
        raise ValueError(f"{user!r} is not an account name a recording can carry")
    stamp = time.strftime(STAMP_FORMAT, time.gmtime(time.time() if when is None else when))
    name = f"{stamp}_{user}_{new_suffix() if suffix is None else suffix}"
    if not RECORDING.match(name):
        raise ValueError(f"{name!r} is not a recording name")
    return name


def parse_name(key):
    """The parts (stamp, user, suffix) of an AUDIT KEY, or None when it is not one."""
    match = RECORDING.match(key)
    return match.groupdict() if match else None


def parse_file_name(filename):
    """(AUDIT KEY, extension) of a recording's file name, or None for any other file."""
    key, dot, ext = filename.rpartition(".")
    if not dot or ext not in EXTENSIONS or not RECORDING.match(key):
        return None
    return key, ext


def low_space(free_bytes, free_inodes, min_free_bytes, min_free_inodes):
    """Why a folder with this much room cannot take recordings, or None when it can."""
    if free_bytes < min_free_bytes:
        return f"{free_bytes >> 20} MiB free, below the {min_free_bytes >> 20} MiB threshold"
    if free_inodes < min_free_inodes:
        return f"{free_inodes} inodes free, below the {min_free_inodes} inodes threshold"
    return None


def free_space(path, statvfs):
    """(bytes, inodes) free in PATH's file system, without the blocks reserved for root."""
    st = statvfs(path)
    return st.f_bavail * st.f_frsize, st.f_favail
