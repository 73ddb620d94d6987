"""Host-side Python runs on the hosts' own interpreter, the oldest of which is Amazon
Linux 2's Python 3.7: every script a role installs must parse under its grammar
(walrus operators, positional-only parameters, match statements and the like fail here).
Modules are excluded: Ansible ships them to a host only after checking its Python.
ast checks grammar only, not library calls newer than 3.7 (those need a 3.7 run)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOST_SCRIPTS = sorted(p for p in ROOT.glob("roles/*/files/**/*.py"))


def test_there_are_host_scripts_to_check():
    # An empty list would make the check below pass vacuously.
    assert len(HOST_SCRIPTS) >= 5


@pytest.mark.parametrize("path", HOST_SCRIPTS, ids=[str(p.relative_to(ROOT)) for p in HOST_SCRIPTS])
def test_host_script_parses_under_python_3_7(path):
    ast.parse(path.read_text(), filename=str(path), feature_version=(3, 7))


def test_the_check_rejects_newer_grammar():
    """The check itself can fail: a walrus (3.8) and a match statement (3.10) are refused."""
    for source in ("if (n := 1):\n    pass\n", "match x:\n    case 1:\n        pass\n"):
        with pytest.raises(SyntaxError):
            ast.parse(source, feature_version=(3, 7))
