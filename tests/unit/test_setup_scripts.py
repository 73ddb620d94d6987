"""The setup scripts' decisions that a fresh machine depends on."""

import importlib.metadata
import importlib.util
import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def mirror_for(tmp_path, files: dict[str, str], env_mirror: str | None = None):
    """Run lib.sh's debian_mirror against fake apt source files."""
    etc = tmp_path / "etc/apt"
    (etc / "sources.list.d").mkdir(parents=True)
    for name, text in files.items():
        (etc / name).write_text(text)
    script = (ROOT / "scripts/lib.sh").read_text().replace("/etc/apt/", f"{etc}/")
    (tmp_path / "lib.sh").write_text(script)
    env = {k: v for k, v in os.environ.items() if k != "DEBIAN_MIRROR"}
    if env_mirror:
        env["DEBIAN_MIRROR"] = env_mirror
    return subprocess.run(
        ["bash", "-c", f"source {tmp_path}/lib.sh; debian_mirror"], capture_output=True, text=True, env=env, check=False
    )


def test_mirror_from_deb822_sources(tmp_path):
    sources = (
        "Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\n\n"
        "Types: deb\nURIs: http://mirror.example/debian/\nSuites: bookworm\n"
    )
    result = mirror_for(tmp_path, {"sources.list.d/debian.sources": sources})
    assert result.stdout.strip() == "http://mirror.example/debian"


def test_mirror_from_one_line_sources_with_options(tmp_path):
    sources = "# comment\ndeb [signed-by=/k.gpg] http://mirror.example/debian bookworm main\n"
    result = mirror_for(tmp_path, {"sources.list": sources})
    assert result.stdout.strip() == "http://mirror.example/debian"


def test_mirror_override_wins(tmp_path):
    result = mirror_for(
        tmp_path, {"sources.list": "deb http://a.example/debian bookworm main\n"}, "http://b.example/debian"
    )
    assert result.stdout.strip() == "http://b.example/debian"


def test_no_mirror_is_a_clear_error(tmp_path):
    result = mirror_for(tmp_path, {"sources.list": "deb https://other.example/apt stable main\n"})
    assert result.returncode != 0
    assert "no Debian mirror found" in result.stderr and "DEBIAN_MIRROR" in result.stderr


def test_ansible_test_bootstrap_stand_in_is_valid_python(tmp_path):
    body = (ROOT / "scripts/ansible-test-bootstrap.sh").read_text()
    python = body.split("<<'PY'\n")[-1].split("\nPY\n")[0]
    compile(python, "get_pip.py", "exec")
    assert "ensurepip" in python


def test_ansible_test_pip_pin_matches_the_installed_ansible_test():
    """The bootstrap file must carry the name ansible-test looks for: read (not import)
    the pip version ansible-test pins in its source, and compare with our pin."""
    core = importlib.metadata.version("ansible-core")
    body = (ROOT / "scripts/ansible-test-bootstrap.sh").read_text()
    pins = dict(re.findall(r"\[(\d+\.\d+)\]=([\d.]+)", body.split("PIP_OF_ANSIBLE_CORE=(")[1].split(")")[0]))
    source = Path(importlib.util.find_spec("ansible_test").origin).parent / "_internal/python_requirements.py"
    wanted = re.search(r"pip='([\d.]+)'", source.read_text()).group(1)
    assert pins.get(core.rsplit(".", 1)[0]) == wanted
