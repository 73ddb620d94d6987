"""Run ansible-playbook from Python with the collection from this tree.

Every caller (integration tests, Molecule tests that re-converge or expect a refusal,
the lab report, the benchmarks) goes through `run_playbook`, so the collection path,
the interpreter and the output settings are decided here once.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The ansible-playbook of the interpreter running us: the project's venv.
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"


def ansible_env(extra=None):
    """os.environ plus what every run needs; ANSIBLE_COLLECTIONS_PATH comes from the
    Makefile or the Molecule config when set, else the tree's own collection path."""
    env = dict(os.environ)
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", str(ROOT / ".state" / "collections"))
    env.update(
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="False",
        NO_COLOR="1",
        ANSIBLE_LOCALHOST_WARNING="False",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="False",
        # Each result on one line, whatever callback is configured, so messages can be grepped.
        ANSIBLE_CALLBACK_RESULT_FORMAT="json",
    )
    env.update(extra or {})
    return env


class PlaybookResult:
    """rc, stdout, stderr; with json=True also the per-task results and stats."""

    def __init__(self, proc, parsed):
        self.rc = self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr or ""
        self.data = parsed or {}
        self.results = self._task_results(self.data)

    @staticmethod
    def _task_results(data):
        """Per-task results of the last host that ran each task, keyed by task name."""
        out = {}
        for play in data.get("plays", []):
            for task in play.get("tasks", []):
                for result in task.get("hosts", {}).values():
                    out[task["task"]["name"]] = result
        return out

    def __getitem__(self, task_name):
        return self.results[task_name]

    def all_results(self, key):
        """Concatenation of one list-valued key over every task and host."""
        values = []
        for play in self.data.get("plays", []):
            for task in play.get("tasks", []):
                for result in task.get("hosts", {}).values():
                    values += result.get(key, [])
        return values

    def changed(self, host):
        """Changed tasks of a host, from the json stats or the text recap."""
        if self.data:
            return self.data["stats"][host]["changed"]
        recap = [line for line in self.stdout.splitlines() if line.startswith(host) and "changed=" in line]
        if not recap:
            raise ValueError(f"no recap line for {host} in the output")
        return int(recap[-1].split("changed=")[1].split()[0])

    def tail(self, chars=4000):
        return (self.stdout + self.stderr)[-chars:]


def run_playbook(
    playbook,
    *,
    hosts=None,
    inventory=None,
    connection=None,
    extra_vars=None,
    check=False,
    diff=False,
    json_output=False,
    env=None,
    cwd=None,
    args=(),
    timeout=1800,
    merge_stderr=False,
):
    """Run one playbook and return a PlaybookResult (never raises on a failed play).

    playbook: a pathlib.Path, or the playbook's text (a str, YAML or JSON) written to a
    temporary file.
    hosts: names for an inline inventory (`-i a,b,`); inventory: an inventory file.
    extra_vars: a dict, passed as a JSON file so any value survives quoting.
    json_output: use the ansible.posix.json callback and parse the results.
    """
    with tempfile.TemporaryDirectory(prefix="ironclad-play-") as tmp:
        if isinstance(playbook, str):
            path = Path(tmp) / "play.yml"
            path.write_text(playbook)
        else:
            path = playbook
        cmd = [str(ANSIBLE_PLAYBOOK)]
        if hosts is not None:
            cmd += ["-i", ",".join(hosts) + ","]
        if inventory is not None:
            cmd += ["-i", str(inventory)]
        if connection:
            cmd += ["-c", connection]
        if extra_vars:
            vars_file = Path(tmp) / "vars.json"
            vars_file.write_text(json.dumps(extra_vars))
            cmd += ["-e", f"@{vars_file}"]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        cmd += [*args, str(path)]
        extra_env = dict(env or {})
        if json_output:
            extra_env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.posix.json"
        proc = subprocess.run(
            cmd,
            env=ansible_env(extra_env),
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE,
            text=True,
            timeout=timeout,
            check=False,
        )
    parsed = None
    if json_output:
        try:
            parsed = json.loads(proc.stdout)
        except json.JSONDecodeError:
            parsed = None
    return PlaybookResult(proc, parsed)
