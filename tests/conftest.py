"""Fixtures shared by the unit and integration tests.

Integration tests run the collection's real modules with ansible-playbook against a
moto server over HTTP on 127.0.0.1, and read the results back with boto3.
"""

import socket
import sys
import textwrap

import boto3
import pytest
import requests

from tests.harness import PlaybookResult
from tests.harness import run_playbook as harness_run_playbook

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


@pytest.fixture
def run_playbook(moto):
    """Run a playbook (YAML text) on localhost with the collection from this tree.

    The json callback gives each task's full result, so tests assert on what the
    module returned, not on log text.
    """

    def run(playbook: str, extra_env: dict | None = None, check: bool = False) -> PlaybookResult:
        env = {"ANSIBLE_PYTHON_INTERPRETER": sys.executable, "MOTO_URL": moto, **(extra_env or {})}
        return harness_run_playbook(
            textwrap.dedent(playbook), hosts=["localhost"], connection="local", env=env,
            check=check, json_output=True, timeout=600,
        )  # fmt: skip

    return run
