"""Fixtures shared by the unit and integration tests.

Integration tests run the collection's real modules with ansible-playbook against a
moto server over HTTP on 127.0.0.1, and read the results back with boto3.
"""

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import boto3
import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
REGION = "us-east-1"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def moto_server():
    """A moto server of its own for this test session, on a free loopback port."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def moto(moto_server, monkeypatch):
    """The moto endpoint, emptied before each test, with fake credentials in the environment."""
    requests.post(f"{moto_server}/moto-api/reset", timeout=10).raise_for_status()
    for key, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    return moto_server


@pytest.fixture
def aws(moto):
    """boto3 clients bound to the moto server: aws('ec2').describe_snapshots()."""

    def client(service, **kwargs):
        kwargs.setdefault("region_name", REGION)
        return boto3.client(service, endpoint_url=moto, **kwargs)

    return client


class PlaybookResult:
    def __init__(self, proc: subprocess.CompletedProcess):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.results = self._task_results(proc.stdout)

    @staticmethod
    def _task_results(stdout: str) -> dict:
        """Per-task results of the first host, keyed by task name (json callback)."""
        try:
            data = json.loads(stdout)
        except json.JSONDecodeError:
            return {}
        out = {}
        for play in data.get("plays", []):
            for task in play.get("tasks", []):
                for result in task.get("hosts", {}).values():
                    out[task["task"]["name"]] = result
        return out

    def __getitem__(self, task_name: str) -> dict:
        return self.results[task_name]


@pytest.fixture
def run_playbook(tmp_path, moto):
    """Run a playbook (YAML text) with the collection from this tree; return its results.

    The json callback gives each task's full result, so tests assert on what the
    module returned, not on log text.
    """

    def run(playbook: str, extra_env: dict | None = None, check: bool = False) -> PlaybookResult:
        path = tmp_path / "playbook.yml"
        path.write_text(textwrap.dedent(playbook))
        env = dict(os.environ)
        env.update(
            ANSIBLE_COLLECTIONS_PATH=f"{ROOT}/.state/collections:{Path(sys.prefix)}/lib/python3.11/site-packages",
            ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
            ANSIBLE_LOCALHOST_WARNING="False",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="False",
            ANSIBLE_PYTHON_INTERPRETER=sys.executable,
            MOTO_URL=moto,
        )
        env.update(extra_env or {})
        cmd = [str(Path(sys.prefix) / "bin" / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(path)]
        if check:
            cmd.append("--check")
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, check=False)
        return PlaybookResult(proc)

    return run
