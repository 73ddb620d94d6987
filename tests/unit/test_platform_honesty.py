"""A role claims a platform only where a test runs on it: every platform in a role's
meta/main.yml appears in the README's "Platforms" section, either on the "Tested" line
or on the "Written, not run" line, and only Debian (the one family whose images can be
built here, images/) may be on the "Tested" line."""

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLES = sorted(p.parent.parent for p in ROOT.glob("roles/*/meta/main.yml"))
UNTESTABLE = ("Ubuntu", "Amazon", "EL ", "RedHat", "Fedora")


def platforms_section(role: Path) -> str:
    text = (role / "README.md").read_text()
    match = re.search(r"^## Platforms\n(.*?)(?=^## |^<!-- BEGIN VARIABLES|\Z)", text, re.M | re.S)
    assert match, f"{role.name}/README.md has no '## Platforms' section"
    return match.group(1)


@pytest.mark.parametrize("role", ROLES, ids=[r.name for r in ROLES])
def test_every_claimed_platform_is_marked_tested_or_not_run(role):
    section = " ".join(platforms_section(role).split())
    tested = re.search(r"- Tested \(([^)]*)\): ([^.]*)\.", section)
    assert tested, f"{role.name}: no 'Tested (by what): platforms.' line"
    assert tested.group(1).strip(), f"{role.name}: the Tested line names no test"
    assert not any(name in tested.group(2) + " " for name in UNTESTABLE), f"{role.name}: {tested.group(2)}"
    written = re.search(r"- Written, not run \([^)]*\): ([^.]*)\.", section)
    meta = yaml.safe_load((role / "meta" / "main.yml").read_text())
    for platform in meta["galaxy_info"]["platforms"]:
        for version in platform["versions"]:
            claim = f"{platform['name']} "
            lines = [tested.group(2)] + ([written.group(1)] if written else [])
            assert any(claim in line and str(version) in line for line in lines), (
                f"{role.name}: {platform['name']} {version} is in meta/main.yml but not in the README's Platforms"
            )
