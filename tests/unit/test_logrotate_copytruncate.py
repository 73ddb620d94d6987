"""roles/awslogs/files/logrotate_copytruncate.py finds the logrotate rules that rotate a
shipped file with copytruncate, the way logrotate reads its configuration: includes in
name order, global directives for the rules after them, per-rule overrides, scripts
skipped. The configuration is an in-memory tree here; the awslogs scenario runs the
script on a host against the real logrotate's files."""

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "roles" / "awslogs" / "files" / "logrotate_copytruncate.py"
spec = importlib.util.spec_from_file_location("logrotate_copytruncate", SCRIPT)
check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check)

APP = "/var/log/app/app.log"


def find(tree, shipped, existing=None):
    """Findings for a configuration given as {path: text} (directories: {path: [names]})."""

    def read(path):
        return tree[path]

    def listdir(path):
        value = tree.get(path)
        return value if isinstance(value, list) else None

    rules = check.rules("/etc/logrotate.conf", read=read, listdir=listdir)
    return check.findings(rules, shipped, expand=lambda pattern: (existing or {}).get(pattern, []))


def test_a_rule_that_copytruncates_a_shipped_file_is_named():
    tree = {
        "/etc/logrotate.conf": "weekly\ninclude /etc/logrotate.d\n",
        "/etc/logrotate.d": ["app", "other"],
        "/etc/logrotate.d/app": "# the app\n/var/log/app/*.log {\n    daily\n    copytruncate\n}\n",
        "/etc/logrotate.d/other": "/var/log/other.log {\n    copytruncate\n}\n",
    }
    assert find(tree, [APP, "/var/log/auth.log"]) == [
        {"shipped": APP, "rule_file": "/etc/logrotate.d/app", "line": 2, "pattern": "/var/log/app/*.log",
         "inherited_from": None},
    ]  # fmt: skip


def test_rename_and_create_rules_are_fine():
    # A script's lines are commands, not directives.
    rule = f"{APP} {{\n    create 0640 root adm\n    postrotate\n        copytruncate\n    endscript\n}}\n"
    tree = {"/etc/logrotate.conf": rule}
    assert find(tree, [APP]) == []


def test_a_global_copytruncate_applies_to_later_rules_unless_they_override_it():
    tree = {
        "/etc/logrotate.conf": "copytruncate\ninclude /etc/logrotate.d\n",
        "/etc/logrotate.d": ["a", "b"],
        "/etc/logrotate.d/a": f"{APP}\n{{\n  rotate 4\n}}\n",
        "/etc/logrotate.d/b": '"/var/log/b.log" { nocopytruncate }\n',
    }
    assert find(tree, [APP, "/var/log/b.log"]) == [
        {"shipped": APP, "rule_file": "/etc/logrotate.d/a", "line": 1, "pattern": APP,
         "inherited_from": "/etc/logrotate.conf:1"},
    ]  # fmt: skip


def test_a_global_copytruncate_after_a_rule_does_not_reach_back():
    tree = {"/etc/logrotate.conf": f"{APP} {{\n  rotate 4\n}}\ncopytruncate\n"}
    assert find(tree, [APP]) == []


def test_taboo_extensions_in_an_included_directory_are_skipped():
    tree = {
        "/etc/logrotate.conf": "include /etc/logrotate.d\n",
        "/etc/logrotate.d": ["app.dpkg-old", "app~"],
        "/etc/logrotate.d/app.dpkg-old": f"{APP} {{ copytruncate }}\n",
        "/etc/logrotate.d/app~": f"{APP} {{ copytruncate }}\n",
    }
    assert find(tree, [APP]) == []


@pytest.mark.parametrize(
    ("pattern", "shipped", "existing"),
    [
        ("/var/log/app/*.log", APP, None),  # the rule's glob covers the shipped file
        (APP, "/var/log/app/*.log", None),  # the shipped glob covers the rule's file
        ("/var/log/app/app.log", "/var/log/app/app.*", {"/var/log/app/app.*": [APP]}),
    ],
)
def test_globs_on_either_side(pattern, shipped, existing):
    tree = {"/etc/logrotate.conf": f"{pattern} {{\n copytruncate\n}}\n"}
    assert [f["pattern"] for f in find(tree, [shipped], existing)] == [pattern]


def test_no_logrotate_means_no_findings(tmp_path, capsys):
    assert check.main(["--config", str(tmp_path / "absent.conf"), APP]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_main_reads_real_files(tmp_path, capsys):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "app").write_text(f"{APP} {{\n copytruncate\n}}\n")
    (tmp_path / "logrotate.conf").write_text(f"include {tmp_path / 'd'}\n")
    assert check.main(["--config", str(tmp_path / "logrotate.conf"), APP]) == 0
    [finding] = json.loads(capsys.readouterr().out)
    assert (finding["rule_file"], finding["line"]) == (str(tmp_path / "d" / "app"), 1)
