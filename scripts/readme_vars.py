#!/usr/bin/env python3
"""Keeps every table of role variables true. argument_specs are the one source:
README.md gets a summary table per role (first sentence of each description) and each
role's README.md gets its full table (whole description, choices, elements,
suboptions), both between the VARIABLES markers. `--check` fails when any is stale."""

import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- BEGIN VARIABLES (scripts/readme_vars.py) -->", "<!-- END VARIABLES -->"
SHORT_DEFAULT = 60


def cell(text) -> str:
    text = " ".join(str(text).split())
    return text.replace("|", "\\|")


def prose(description) -> str:
    """Ansible's markup (C(), O(), I(), V()) as Markdown code."""
    text = " ".join(description) if isinstance(description, list) else str(description or "")
    return re.sub(r"[CIOV]\(([^)]*)\)", r"`\1`", " ".join(text.split()))


def first_sentence(description) -> str:
    text = prose(description)
    match = re.match(r"(.+?\.)(?=\s+[A-Z]|$)", text)
    return match.group(1) if match else text


def flow(value) -> str:
    rendered = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
    return rendered.removesuffix("\n...").removesuffix("...").strip()


def default_of(spec: dict, limit) -> str:
    """The default as a table cell; longer than `limit` characters points at the role README."""
    if "default" not in spec:
        return "**required**" if spec.get("required") else ""
    value = spec["default"]
    if isinstance(value, str) and "\n" in value:
        return "(multi-line, see `defaults/main.yml`)"
    if isinstance(value, str) and not value:
        return '`""`'
    rendered = value if isinstance(value, str) else flow(value)
    if limit is not None and len(rendered) > limit:
        return "(see role README)"
    return f"`{cell(rendered)}`"


def full_description(spec: dict) -> str:
    parts = [prose(spec.get("description"))]
    if spec.get("choices"):
        parts.append("Choices: " + ", ".join(f"`{cell(flow(c))}`" for c in spec["choices"]) + ".")
    return cell(" ".join(p for p in parts if p))


def type_of(spec: dict) -> str:
    kind = spec.get("type", "str")
    return f"{kind} of {spec['elements']}" if spec.get("elements") else kind


def option_rows(options: dict, prefix: str = "") -> list:
    rows = []
    for name, spec in options.items():
        rows.append(f"| `{prefix}{name}` | {type_of(spec)} | {default_of(spec, None)} | {full_description(spec)} |")
        rows += option_rows(spec.get("options", {}), f"{prefix}{name}.")
    return rows


def load(specs: Path) -> dict:
    return yaml.safe_load(specs.read_text())["argument_specs"]


def render_summary() -> str:
    out = []
    for specs in sorted(ROOT.glob("roles/*/meta/argument_specs.yml")):
        role = specs.parents[1].name
        main = load(specs)["main"]
        out += [f"#### `ironclad.aws.{role}`", "", cell(main.get("short_description", "")), ""]
        out += ["| variable | type | default | what it does |", "|---|---|---|---|"]
        for name, spec in main.get("options", {}).items():
            what = cell(first_sentence(spec.get("description")))
            out.append(f"| `{name}` | {spec.get('type', 'str')} | {default_of(spec, SHORT_DEFAULT)} | {what} |")
        out.append("")
    return "\n".join(out)


def render_role(specs: Path) -> str:
    out = ["Generated from `meta/argument_specs.yml` (Ansible validates these before the role runs).", ""]
    entry_points = load(specs)
    for entry in sorted(entry_points, key=lambda e: (e != "main", e)):
        spec = entry_points[entry]
        if entry != "main":
            out += [f"Entry point `{entry}` (`tasks_from: {entry}`): {cell(spec.get('short_description', ''))}", ""]
        out += ["| variable | type | default | description |", "|---|---|---|---|"]
        out += option_rows(spec.get("options", {}))
        out.append("")
    return "\n".join(out)


def replace_between_markers(path: Path, body: str) -> str | None:
    """The file's text with the block replaced, or None when the markers are missing."""
    text = path.read_text()
    if BEGIN not in text or END not in text:
        return None
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{body}\n{END}{tail}"


def targets():
    yield ROOT / "README.md", render_summary()
    for specs in sorted(ROOT.glob("roles/*/meta/argument_specs.yml")):
        yield specs.parents[1] / "README.md", render_role(specs)


def main() -> int:
    check = "--check" in sys.argv
    problems = []
    for path, body in targets():
        name = path.relative_to(ROOT)
        new = replace_between_markers(path, body) if path.exists() else None
        if new is None:
            problems.append(f"{name} lacks the markers {BEGIN} ... {END} where its variables go")
        elif new != path.read_text():
            if check:
                problems.append(f"{name}: variable table is stale: run scripts/readme_vars.py")
            else:
                path.write_text(new)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
