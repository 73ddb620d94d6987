# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Session Manager preferences as plain functions: no AWS calls here.

The preferences of an account and region live in one SSM document of type Session
(C(SSM-SessionManagerRunShell) unless a session names another), schemaVersion 1.0,
sessionType Standard_Stream; its C(inputs) hold the settings. The console writes every
input, with empty strings for the unset ones; so does render(), so a document saved in the
console and one written here compare equal when their settings are the same.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

DEFAULT_DOCUMENT = "SSM-SessionManagerRunShell"
DEFAULT_DESCRIPTION = "Document to hold regional settings for Session Manager"
IDLE_MINUTES = (1, 60)
DURATION_MINUTES = (1, 1440)

_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_KEY_ID = r"(?:%s|mrk-[0-9a-f]{32})" % _UUID
_ALIAS = r"alias/[A-Za-z0-9/_-]{1,250}"
KMS_KEY = re.compile(
    r"^(?:{key}|{alias}|arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{{12}}:(?:key/{key}|{alias}))$".format(
        key=_KEY_ID, alias=_ALIAS
    )
)
S3_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
LOG_GROUP = re.compile(r"^[.\-_/#A-Za-z0-9]{1,512}$")
# What useradd accepts on the common distributions, and what Session Manager can log in as.
OS_USER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,31}$")

# Inputs whose value is a boolean; every other input but shellProfile is a string.
BOOLEAN_INPUTS = ("s3EncryptionEnabled", "cloudWatchEncryptionEnabled", "cloudWatchStreamingEnabled", "runAsEnabled")


def validate(params):
    """Every problem of the options at once, as sentences; an empty list when they are fine."""
    problems = []
    idle = params.get("idle_session_timeout")
    if idle is not None and not IDLE_MINUTES[0] <= idle <= IDLE_MINUTES[1]:
        problems.append("idle_session_timeout must be 1 to 60 minutes (got %s)" % idle)
    duration = params.get("max_session_duration")
    if duration is not None and not DURATION_MINUTES[0] <= duration <= DURATION_MINUTES[1]:
        problems.append("max_session_duration must be 1 to 1440 minutes (got %s)" % duration)
    kms = params.get("kms_key_id")
    if kms and not KMS_KEY.match(kms):
        problems.append(
            "kms_key_id must be a KMS key id (1234abcd-..., mrk-...), a key ARN, an alias (alias/name) "
            "or an alias ARN (got %r)" % kms
        )
    bucket = params.get("s3_bucket_name")
    if bucket and (not S3_BUCKET.match(bucket) or ".." in bucket):
        problems.append("s3_bucket_name %r is not a valid S3 bucket name" % bucket)
    if params.get("s3_key_prefix") and not bucket:
        problems.append("s3_key_prefix is set but s3_bucket_name is not")
    group = params.get("cloudwatch_log_group_name")
    if group and not LOG_GROUP.match(group):
        problems.append("cloudwatch_log_group_name %r is not a valid log group name" % group)
    user = params.get("run_as_default_user")
    if params.get("run_as_enabled") and not user:
        problems.append("run_as_enabled needs run_as_default_user (the OS account sessions start as)")
    if user and not OS_USER.match(user):
        problems.append("run_as_default_user %r is not a valid OS user name" % user)
    return problems


def render(params):
    """The document content for the options, with every input present (as the console writes it)."""
    shell = params.get("shell_profile") or {}

    def text(value):
        return "" if value is None else str(value)

    return {
        "schemaVersion": "1.0",
        "description": params.get("description") or DEFAULT_DESCRIPTION,
        "sessionType": "Standard_Stream",
        "inputs": {
            "s3BucketName": text(params.get("s3_bucket_name")),
            "s3KeyPrefix": text(params.get("s3_key_prefix")),
            "s3EncryptionEnabled": bool(params.get("s3_encryption_enabled")),
            "cloudWatchLogGroupName": text(params.get("cloudwatch_log_group_name")),
            "cloudWatchEncryptionEnabled": bool(params.get("cloudwatch_encryption_enabled")),
            "cloudWatchStreamingEnabled": bool(params.get("cloudwatch_streaming_enabled")),
            "kmsKeyId": text(params.get("kms_key_id")),
            "runAsEnabled": bool(params.get("run_as_enabled")),
            "runAsDefaultUser": text(params.get("run_as_default_user")),
            "idleSessionTimeout": text(params.get("idle_session_timeout")),
            "maxSessionDuration": text(params.get("max_session_duration")),
            "shellProfile": {"linux": text(shell.get("linux")), "windows": text(shell.get("windows"))},
        },
    }


def parse(content):
    """A document's content (JSON text) as a dict; None when it is not JSON (a YAML document)."""
    try:
        value = json.loads(content)
    except (TypeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def normalize(content):
    """The content with the console's spellings made equal: "true" and true, 20 and "20".

    A missing input stays missing, so a document that leaves one out differs from one that
    sets it: which value AWS would assume for it is not ours to guess.
    """
    if not isinstance(content, dict):
        return content
    out = dict(content)
    inputs = dict(content.get("inputs") or {})
    for key, value in list(inputs.items()):
        if key in BOOLEAN_INPUTS:
            inputs[key] = value if isinstance(value, bool) else str(value).strip().lower() == "true"
        elif key == "shellProfile" and isinstance(value, dict):
            inputs[key] = {k: "" if v is None else str(v) for k, v in value.items()}
        elif not isinstance(value, (dict, list)):
            inputs[key] = "" if value is None else str(value)
    out["inputs"] = inputs
    return out


def same(current, wanted):
    return normalize(current) == normalize(wanted)


def dump(content):
    """The one way content is written (to AWS, and in the diff)."""
    return json.dumps(content, indent=2, sort_keys=True) + "\n"
