"""Find the logrotate rules that rotate a shipped log file with copytruncate.

copytruncate copies the file and then truncates it in place. A log agent follows the
open file: whatever was written after its last read and before the truncate is only in
the copy, which it does not read, so those lines never arrive (a lab trial: 11 to
75 of 2,000 lines per rotation). Rename + create (logrotate's default, with a signal or a
reopening writer) loses nothing. The role fails the play, or only warns when asked to,
when this script finds such a rule.

Reads logrotate's configuration as logrotate does: /etc/logrotate.conf, the files and
directories it includes (in name order, skipping logrotate's taboo extensions), global
directives that apply to the rules after them, and rules (`PATTERN... { ... }`) whose
own copytruncate / nocopytruncate override the global one. Script blocks (postrotate
... endscript and the like) are skipped.

usage: logrotate_copytruncate.py [--config FILE] SHIPPED_FILE...
Prints a JSON list of findings: {"shipped", "rule_file", "line", "pattern",
"inherited_from"} (inherited_from names where a global copytruncate was set, or is
null when the rule says it itself). Exit 0; 2 with a message when a file cannot be read.
Host-side: parses under Python 3.7.
"""

import fnmatch
import glob
import json
import os
import shlex
import sys

DEFAULT_CONFIG = "/etc/logrotate.conf"
SCRIPT_STARTS = {"postrotate", "prerotate", "firstaction", "lastaction", "preremove"}
# logrotate's default tabooext list: files in an included directory ending so are skipped.
TABOO = (",v", ".cfsaved", ".disabled", ".dpkg-bak", ".dpkg-del", ".dpkg-dist", ".dpkg-new",
         ".dpkg-old", ".rhn-cfg-tmp", ".rpmnew", ".rpmorig", ".rpmsave", ".swp", ".ucf-dist",
         ".ucf-new", ".ucf-old", "~")  # fmt: skip


def rules(config_path, read=None, listdir=None):
    """Every rule in logrotate's configuration, in logrotate's order, as dicts:
    patterns, rule_file, line, copytruncate (bool), inherited_from (file:line or None)."""
    read = read or _read
    listdir = listdir or _listdir
    found = []
    # The global copytruncate setting and where it was last set.
    state = {"copytruncate": False, "where": None}
    _parse(config_path, read, listdir, state, found, set())
    return found


def _read(path):
    with open(path, encoding="utf-8", errors="replace") as handle:
        return handle.read()


def _listdir(path):
    return sorted(os.listdir(path)) if os.path.isdir(path) else None


def _parse(path, read, listdir, state, found, seen):
    entries = listdir(path)
    if entries is not None:
        for name in entries:
            if not name.endswith(TABOO) and not name.startswith("."):
                _parse(os.path.join(path, name), read, listdir, state, found, seen)
        return
    if path in seen:
        return
    seen.add(path)
    lines = read(path).splitlines()
    pending = []  # patterns read before their "{"
    pending_line = None
    rule = None
    in_script = False
    for number, raw in enumerate(lines, 1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        if in_script:
            in_script = text.split()[0] != "endscript"
            continue
        if rule is not None:
            if text.startswith("}"):
                found.append(rule)
                rule = None
                continue
            word = text.split()[0].lower()
            if word in SCRIPT_STARTS:
                in_script = True
            elif word == "copytruncate":
                rule["copytruncate"], rule["inherited_from"] = True, None
            elif word == "nocopytruncate":
                rule["copytruncate"], rule["inherited_from"] = False, None
            continue
        if "{" in text:
            before = text.split("{", 1)[0]
            patterns = pending + _words(before)
            rule = {
                "patterns": patterns,
                "rule_file": path,
                "line": pending_line if pending else number,
                "copytruncate": state["copytruncate"],
                "inherited_from": state["where"] if state["copytruncate"] else None,
            }
            pending, pending_line = [], None
            if text.rstrip().endswith("}") and text.index("{") < text.rindex("}"):
                # A one-line rule: "PATTERN { copytruncate }".
                inner = text.split("{", 1)[1].rsplit("}", 1)[0].split()
                for word in inner:
                    if word == "copytruncate":
                        rule["copytruncate"], rule["inherited_from"] = True, None
                    elif word == "nocopytruncate":
                        rule["copytruncate"], rule["inherited_from"] = False, None
                found.append(rule)
                rule = None
            continue
        words = _words(text)
        word = words[0].lower() if words else ""
        if word == "include" and len(words) > 1:
            _parse(words[1], read, listdir, state, found, seen)
        elif word == "copytruncate":
            state["copytruncate"], state["where"] = True, f"{path}:{number}"
        elif word == "nocopytruncate":
            state["copytruncate"], state["where"] = False, None
        elif text.startswith("/") or text.startswith('"') or text.startswith("'"):
            # Patterns on a line of their own, the "{" on a later line.
            pending_line = pending_line or number
            pending.extend(words)
    return


def _words(text):
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def covers(pattern, shipped, existing=None):
    """Whether a rule's pattern rotates the shipped file (either may be a glob)."""
    if fnmatch.fnmatchcase(shipped, pattern) or fnmatch.fnmatchcase(pattern, shipped):
        return True
    return any(fnmatch.fnmatchcase(path, pattern) for path in (existing or []))


def findings(all_rules, shipped_files, expand=None):
    expand = expand or glob.glob
    out = []
    for shipped in shipped_files:
        existing = expand(shipped)
        for rule in all_rules:
            if not rule["copytruncate"]:
                continue
            for pattern in rule["patterns"]:
                if covers(pattern, shipped, existing):
                    out.append({
                        "shipped": shipped,
                        "rule_file": rule["rule_file"],
                        "line": rule["line"],
                        "pattern": pattern,
                        "inherited_from": rule["inherited_from"],
                    })  # fmt: skip
                    break
    return out


def main(argv):
    config = DEFAULT_CONFIG
    if argv[:1] == ["--config"]:
        config, argv = argv[1], argv[2:]
    if not os.path.exists(config):
        print("[]")  # no logrotate here: nothing copytruncates
        return 0
    try:
        all_rules = rules(config)
    except OSError as e:
        print(f"cannot read logrotate's configuration: {e}", file=sys.stderr)
        return 2
    print(json.dumps(findings(all_rules, argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
