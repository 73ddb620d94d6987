# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decisions of the assume_role module, as plain functions: no AWS calls here.

Every check that can be made before calling STS is made here, so that a bad chain
fails before the first hop is assumed, and every STS error is turned into a message
that names the hop, the role and the likely cause.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

ROLE_ARN_RE = re.compile(r"^arn:aws(-[a-z]+)*:iam::(\d{12}):role/[\w+=,.@/-]{1,64}$")
POLICY_ARN_RE = re.compile(r"^arn:aws(-[a-z]+)*:iam::(\d{12}|aws):policy/[\w+=,.@/-]+$")
SESSION_NAME_RE = re.compile(r"^[\w+=,.@-]{2,64}$")
SOURCE_IDENTITY_RE = re.compile(r"^[\w+=,.@-]{2,64}$")
MFA_TOKEN_RE = re.compile(r"^\d{6}$")
MFA_SERIAL_RE = re.compile(r"^[\w+=/:,.@-]{9,256}$")

# Limits of the AssumeRole API (IAM User Guide, "IAM and AWS STS quotas").
MIN_DURATION = 900
MAX_DURATION = 43200
CHAINED_MAX_DURATION = 3600
MAX_POLICY_CHARS = 2048
MAX_POLICY_ARNS = 10
MAX_SESSION_TAGS = 50


def role_account(role_arn):
    """The 12-digit account of a role ARN, or None when the ARN is malformed."""
    match = ROLE_ARN_RE.match(role_arn or "")
    return match.group(2) if match else None


def hop_label(index, hop):
    """How messages name a hop: 'hop 2 (arn:aws:iam::...:role/x)'."""
    return "hop {0} ({1})".format(index + 1, hop.get("role_arn"))


def validate_chain(hops):
    """Every problem with the requested chain that is knowable before calling AWS.

    Returns a list of messages; empty when the chain is fine. Hops after the first are
    role chaining: AWS caps those sessions at one hour whatever the role allows.
    """
    problems = []
    if not hops:
        return ["roles must list at least one role to assume"]
    for index, hop in enumerate(hops):
        label = hop_label(index, hop)
        if not role_account(hop.get("role_arn")):
            problems.append(
                "{0}: malformed role ARN; expected arn:aws:iam::<12-digit account>:role/<name>".format(label)
            )
        name = hop.get("role_session_name")
        if name is not None and not SESSION_NAME_RE.match(name):
            problems.append(
                "{0}: role_session_name {1!r} must be 2 to 64 characters of letters, digits and +=,.@_-".format(
                    label, name
                )
            )
        problems.extend(_duration_problems(label, index, hop.get("duration_seconds")))
        problems.extend(_mfa_problems(label, hop))
        problems.extend(_policy_problems(label, hop))
        problems.extend(_tag_problems(label, hop))
        source = hop.get("source_identity")
        if source is not None and not SOURCE_IDENTITY_RE.match(source):
            problems.append(
                "{0}: source_identity must be 2 to 64 characters of letters, digits and +=,.@_-".format(label)
            )
    return problems


def _duration_problems(label, index, duration):
    if duration is None:
        return []
    if duration < MIN_DURATION or duration > MAX_DURATION:
        return [
            "{0}: duration_seconds={1} is outside what AssumeRole accepts ({2} to {3})".format(
                label, duration, MIN_DURATION, MAX_DURATION
            )
        ]
    if index > 0 and duration > CHAINED_MAX_DURATION:
        return [
            "{0}: duration_seconds={1} exceeds {2}: a role assumed with another role's session "
            "(role chaining) is limited to one hour".format(label, duration, CHAINED_MAX_DURATION)
        ]
    return []


def _mfa_problems(label, hop):
    serial, token = hop.get("mfa_serial_number"), hop.get("mfa_token")
    if bool(serial) != bool(token):
        return ["{0}: mfa_serial_number and mfa_token go together; give both or neither".format(label)]
    problems = []
    if serial and not MFA_SERIAL_RE.match(serial):
        problems.append("{0}: mfa_serial_number {1!r} is not an MFA device ARN or serial".format(label, serial))
    if token and not MFA_TOKEN_RE.match(token):
        problems.append("{0}: mfa_token must be the 6 digits the MFA device shows".format(label))
    return problems


def _policy_problems(label, hop):
    problems = []
    policy = hop.get("policy")
    if policy is not None and len(policy) > MAX_POLICY_CHARS:
        problems.append(
            "{0}: the inline session policy has {1} characters; AssumeRole accepts at most {2}".format(
                label, len(policy), MAX_POLICY_CHARS
            )
        )
    arns = hop.get("policy_arns") or []
    if len(arns) > MAX_POLICY_ARNS:
        problems.append("{0}: at most {1} policy_arns per session".format(label, MAX_POLICY_ARNS))
    for arn in arns:
        if not POLICY_ARN_RE.match(arn):
            problems.append("{0}: malformed policy ARN {1!r}".format(label, arn))
    return problems


def _tag_problems(label, hop):
    problems = []
    tags = hop.get("tags") or {}
    if len(tags) > MAX_SESSION_TAGS:
        problems.append("{0}: at most {1} session tags".format(label, MAX_SESSION_TAGS))
    for key, value in tags.items():
        if not 1 <= len(key) <= 128 or len(str(value)) > 256:
            problems.append("{0}: session tag {1!r}: keys are 1-128 characters, values up to 256".format(label, key))
    missing = sorted(set(hop.get("transitive_tag_keys") or []) - set(tags))
    if missing:
        problems.append("{0}: transitive_tag_keys {1} are not among this hop's tags".format(label, ", ".join(missing)))
    return problems


def assume_role_request(index, hop):
    """The AssumeRole parameters for one hop, leaving out what the hop does not set."""
    request = {
        "RoleArn": hop["role_arn"],
        "RoleSessionName": hop.get("role_session_name") or "ansible-hop{0}".format(index + 1),
    }
    optional = (
        ("duration_seconds", "DurationSeconds"),
        ("external_id", "ExternalId"),
        ("mfa_serial_number", "SerialNumber"),
        ("mfa_token", "TokenCode"),
        ("policy", "Policy"),
        ("source_identity", "SourceIdentity"),
    )
    for option, parameter in optional:
        if hop.get(option) is not None:
            request[parameter] = hop[option]
    if hop.get("policy_arns"):
        request["PolicyArns"] = [{"arn": arn} for arn in hop["policy_arns"]]
    if hop.get("tags"):
        request["Tags"] = [{"Key": key, "Value": str(value)} for key, value in sorted(hop["tags"].items())]
    if hop.get("transitive_tag_keys"):
        request["TransitiveTagKeys"] = list(hop["transitive_tag_keys"])
    return request


def explain_error(index, hop, code, message, caller_arn=None):
    """A message for an STS error on one hop: which hop, what AWS said, what to check."""
    label = hop_label(index, hop)
    who = caller_arn or ("the module's credentials" if index == 0 else "the session of hop {0}".format(index))
    text = message or ""
    if code == "AccessDenied" and "MultiFactorAuthentication" in text:
        return (
            "{0}: the MFA code was refused (wrong, already used, or expired: codes last about 30 seconds); "
            "run again with a fresh mfa_token. AWS said: {1}".format(label, text)
        )
    if code == "AccessDenied":
        return (
            "{0} was denied: {1} may not sts:AssumeRole this role. Check that the role's trust policy "
            "names this principal (and the external_id or MFA condition it sets) and that the "
            "principal's own policy allows sts:AssumeRole on it. AWS said: {2}".format(label, who, text)
        )
    if code in ("ExpiredToken", "ExpiredTokenException"):
        return "{0}: the credentials of {1} have expired; refresh them and run again. AWS said: {2}".format(
            label, who, text
        )
    if code == "ValidationError" and "DurationSeconds" in text:
        if "chaining" in text:
            return (
                "{0}: duration_seconds={1} is above the one hour limit of role chaining: the credentials "
                "that assume it are themselves a role session. AWS said: {2}".format(
                    label, hop.get("duration_seconds"), text
                )
            )
        return (
            "{0}: duration_seconds={1} is above the role's maximum session duration (MaxSessionDuration); "
            "ask for less or raise the role's limit. AWS said: {2}".format(label, hop.get("duration_seconds"), text)
        )
    if code == "PackedPolicyTooLarge":
        return "{0}: the session policy and tags pack too large; trim them. AWS said: {1}".format(label, text)
    if code == "RegionDisabledException":
        return "{0}: STS is not activated in this region for the account. AWS said: {1}".format(label, text)
    return "{0}: AssumeRole failed with {1}: {2}".format(label, code, text)


def hop_summary(index, hop, response):
    """What the module reports about one assumed hop: everything except the secrets."""
    user = response.get("AssumedRoleUser", {})
    return {
        "hop": index + 1,
        "role_arn": hop["role_arn"],
        "account_id": role_account(hop["role_arn"]),
        "role_session_name": assume_role_request(index, hop)["RoleSessionName"],
        "assumed_role_arn": user.get("Arn"),
        "assumed_role_id": user.get("AssumedRoleId"),
        "expiration": _iso(response["Credentials"].get("Expiration")),
        "packed_policy_size": response.get("PackedPolicySize"),
        "source_identity": response.get("SourceIdentity"),
    }


def module_credentials(credentials):
    """STS credentials as the options every amazon.aws module takes (module_defaults ready).

    The expiration is returned beside them, not inside: modules refuse unknown options,
    so a dict holding it could not be handed to module_defaults as is.
    """
    return {
        "access_key": credentials["AccessKeyId"],
        "secret_key": credentials["SecretAccessKey"],
        "session_token": credentials["SessionToken"],
    }


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value
