"""The scenario's client-side tools (molecule/egress_proxy/files), copied into a client,
and a second source address on it, so that one container can act as two clients."""

import contextlib
import subprocess
import time
from pathlib import Path

FILES = Path(__file__).resolve().parents[1] / "files"


def push(host, *names):
    for name in names:
        subprocess.run(
            ["docker", "cp", str(FILES / name), f"{host.backend.name}:/usr/local/bin/{name}"],
            check=True,
            capture_output=True,
        )


def address(host):
    """The client's own address and its interface."""
    fields = host.run("ip -o -4 addr show scope global").stdout.split()
    return fields[fields.index("inet") + 1].split("/")[0], fields[1]


@contextlib.contextmanager
def second_address(host):
    """Another address in the client's subnet (the proxy sees another client)."""
    own, device = address(host)
    other = own.rsplit(".", 1)[0] + "." + str(int(own.rsplit(".", 1)[1]) + 1)
    assert host.run(f"ip addr replace {other}/24 dev {device}").rc == 0
    try:
        yield other
    finally:
        host.run(f"ip addr del {other}/24 dev {device}")


def wait_for(check, seconds, step=0.5):
    """Polls check() until it is true or seconds have passed; returns its last value."""
    deadline = time.monotonic() + seconds
    while not (result := check()) and time.monotonic() < deadline:
        time.sleep(step)
    return result
