#!/usr/bin/env python3
"""Keeps README.md's table of role variables true: rendered from each role's
meta/argument_specs.yml between the VARIABLES markers. `--check` fails when stale."""

import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- BEGIN VARIABLES (scripts/readme_vars.py) -->", "<!-- END VARIABLES -->"


def cell(text) -> str:
    text = " ".join(str(text).split())
    return text.replace("|", "\\|")


def first_sentence(description) -> str:
    text = " ".join(description) if isinstance(description, list) else str(description or "")
    text = re.sub(r"[CIV]\(([^)]*)\)", r"`\1`", " ".join(text.split()))
    match = re.match(r"(.+?\.)(?=\s+[A-Z]|$)", text)
    return match.group(1) if match else text


def default_of(spec: dict) -> str:
    if "default" not in spec:
        return "**required**" if spec.get("required") else ""
    value = spec["default"]
    if isinstance(value, str) and "\n" in value:
        return "(multi-line)"
    if isinstance(value, str):
        return f"`{cell(value)}`" if value and len(value) <= 60 else ('`""`' if not value else "(see role README)")
    rendered = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
    rendered = rendered.removesuffix("\n...").removesuffix("...").strip()
    return f"`{cell(rendered)}`" if len(rendered) <= 60 else "(see role README)"


def render() -> str:
    out = []
    for specs in sorted(ROOT.glob("roles/*/meta/argument_specs.yml")):
        role = specs.parents[1].name
        main = yaml.safe_load(specs.read_text())["argument_specs"]["main"]
        out += [f"#### `ironclad.aws.{role}`", "", cell(main.get("short_description", "")), ""]
        out += ["| variable | type | default | what it does |", "|---|---|---|---|"]
        for name, spec in main.get("options", {}).items():
            what = cell(first_sentence(spec.get("description")))
            out.append(f"| `{name}` | {spec.get('type', 'str')} | {default_of(spec)} | {what} |")
        out.append("")
    return "\n".join(out)


def main() -> int:
    readme = ROOT / "README.md"
    text = readme.read_text()
    if BEGIN not in text or END not in text:
        print(f"README.md lacks the markers {BEGIN} ... {END}", file=sys.stderr)
        return 1
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    new = f"{head}{BEGIN}\n{render()}\n{END}{tail}"
    if "--check" in sys.argv:
        if new != text:
            print("README.md's variable tables are stale: run scripts/readme_vars.py", file=sys.stderr)
            return 1
        return 0
    readme.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
