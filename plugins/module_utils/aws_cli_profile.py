# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWS CLI profiles as text: which sections to write, and how to put them in a file.

The module owns the sections it names and writes them whole; every other byte of the
file (other profiles, comments and blank lines, also those just above a section it
replaces, CRLF line endings) is kept as it was, which configparser would not do.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

HEADER_COMMENT = "# managed by Ansible (ironclad.aws.assume_role)"


def hop_profile_names(name, hop_count):
    """One profile per hop; the last carries the requested name, earlier ones a suffix.

    The AWS CLI chains roles through source_profile, so a two-hop chain is two profiles.
    """
    return ["{0}-hop{1}".format(name, i + 1) for i in range(hop_count - 1)] + [name]


def role_profile_sections(profile, requests):
    """Config-file sections (name -> ordered items) that make the CLI assume the chain itself.

    No secret goes to disk: the first hop takes its credentials from credential_source
    (instance metadata, environment, ECS) or from an existing source_profile.
    """
    names = hop_profile_names(profile["name"], len(requests))
    sections = {}
    for index, request in enumerate(requests):
        items = [("role_arn", request["RoleArn"])]
        if index == 0:
            if profile.get("credential_source"):
                items.append(("credential_source", profile["credential_source"]))
            else:
                items.append(("source_profile", profile["source_profile"]))
        else:
            items.append(("source_profile", names[index - 1]))
        items.append(("role_session_name", request["RoleSessionName"]))
        for key, parameter in (
            ("external_id", "ExternalId"),
            ("mfa_serial", "SerialNumber"),
            ("duration_seconds", "DurationSeconds"),
        ):
            if request.get(parameter) is not None:
                items.append((key, str(request[parameter])))
        if profile.get("region"):
            items.append(("region", profile["region"]))
        sections[config_section(names[index])] = items
    return sections


def unsupported_in_profile(requests):
    """Parameters the CLI's role profiles cannot express, per hop (for a warning)."""
    lost = []
    for index, request in enumerate(requests):
        missing = [p for p in ("Policy", "PolicyArns", "Tags", "TransitiveTagKeys", "SourceIdentity") if p in request]
        if missing:
            lost.append("hop {0}: {1}".format(index + 1, ", ".join(missing)))
    return lost


def static_credentials_section(credentials, expiration):
    """Credentials-file items for static temporary credentials."""
    return [
        ("aws_access_key_id", credentials["access_key"]),
        ("aws_secret_access_key", credentials["secret_key"]),
        ("aws_session_token", credentials["session_token"]),
        ("# expires", expiration),
    ]


def config_section(name):
    """The config file names profiles '[profile x]', except 'default'."""
    return name if name == "default" else "profile {0}".format(name)


def _is_header(line):
    stripped = line.strip()
    return stripped.startswith("[") and stripped.endswith("]")


def _header_name(line):
    return line.strip()[1:-1].strip()


def _content(line):
    """A line without its line ending (LF or CRLF)."""
    return line.rstrip("\n").rstrip("\r")


def _is_setting(line):
    """A key line or an indented continuation: what a section owns. Comments and blank
    lines at a section's end belong to whatever follows (a note above the next profile)."""
    text = _content(line).strip()
    return bool(text) and not text.startswith(("#", ";"))


def render_section(name, items):
    """A section's lines (no line endings): header, our marker, comments, then settings.

    Comments come before the settings so that a section always ends on a setting, which
    is where set_sections stops owning lines on the next run.
    """
    lines = ["[{0}]".format(name), HEADER_COMMENT]
    lines.extend("{0} {1}".format(k, v) for k, v in items if k.startswith("#"))
    lines.extend("{0} = {1}".format(k, v) for k, v in items if not k.startswith("#"))
    return lines


def set_sections(text, sections):
    """The file text with each named section replaced (or appended) by the given items.

    sections maps a section name to its items, or to None to remove that section. A
    section owns its header and its lines up to its last setting; every other byte of
    the file is kept as it was, line endings included. New lines use the file's line
    ending (CRLF when its first line ends so).
    """
    lines = re.findall(r"[^\n]*\n|[^\n]+\Z", text)
    first_end = re.search(r"\r?\n", text)
    newline = first_end.group(0) if first_end else "\n"
    out, written = [], set()
    index = 0
    while index < len(lines):
        line = _content(lines[index])
        if not (_is_header(line) and _header_name(line) in sections):
            out.append(lines[index])
            index += 1
            continue
        name = _header_name(line)
        end = index + 1
        scan = index + 1
        while scan < len(lines) and not _is_header(_content(lines[scan])):
            if _is_setting(lines[scan]):
                end = scan + 1
            scan += 1
        if sections[name] is not None and name not in written:
            out.extend(line + newline for line in render_section(name, sections[name]))
            written.add(name)
        else:
            # A removed section (or a later duplicate) takes the blank lines after it, its separator.
            while end < scan and not _content(lines[end]).strip():
                end += 1
            if end == len(lines):
                while out and not _content(out[-1]).strip():
                    out.pop()
        index = end
    for name, items in sections.items():
        if items is None or name in written:
            continue
        if out and not out[-1].endswith("\n"):
            out[-1] += newline
        if out and _content(out[-1]).strip():
            out.append(newline)
        out.extend(line + newline for line in render_section(name, items))
    return "".join(out)
