"""A container started from the golden image, beside a fake instance metadata service
at the real IMDS address on their own network, and moto for S3 (on the Docker host)."""

import subprocess
import time
from pathlib import Path

import boto3
import pytest
import testinfra

HERE = Path(__file__).resolve().parent
IMAGE = "ironclad/golden:bastion"
NETWORK = "ironclad-golden"
INSTANCE, IMDS = "ironclad-golden-instance", "ironclad-golden-imds"
BUCKET = "ironclad-golden-test"
MOTO = "http://127.0.0.1:5000"
USER_DATA = (
    "#!/bin/sh\nIRONCLAD_BASTION_S3_BUCKET=ironclad-golden-test\nIRONCLAD_BASTION_S3_ENDPOINT_URL=http://moto:5000\n"
)
SYSTEMD = [
    "--cap-add", "SYS_ADMIN", "--cap-add", "NET_ADMIN", "--security-opt", "seccomp=unconfined",
    "-v", "/sys/fs/cgroup:/sys/fs/cgroup:ro", "--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", "/tmp",
    "--add-host", "moto:host-gateway",
]  # fmt: skip


def docker(*args, check=True):
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check)


def remove():
    docker("rm", "-f", INSTANCE, IMDS, check=False)
    docker("network", "rm", NETWORK, check=False)


@pytest.fixture(scope="session")
def s3():
    client = boto3.client(
        "s3", endpoint_url=MOTO, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture(scope="session")
def instance(s3):
    remove()
    # The link-local subnet lets the stand-in answer on 169.254.169.254 itself.
    docker("network", "create", "--subnet", "169.254.169.0/24", NETWORK)
    docker("run", "-d", "--name", IMDS, "--network", NETWORK, "--ip", "169.254.169.254", "ironclad/debian:12",
           "python3", "-c", (HERE / "fake_imds.py").read_text(), USER_DATA)  # fmt: skip
    docker("run", "-d", "--name", INSTANCE, "--hostname", "golden", "--network", NETWORK, *SYSTEMD, IMAGE)
    host = testinfra.get_host(f"docker://{INSTANCE}")
    for _ in range(60):
        state = host.run("systemctl is-system-running").stdout.strip()
        if state in ("running", "degraded"):
            break
        time.sleep(1)
    else:
        pytest.fail(f"the golden image's systemd did not finish booting within 60 s (state: {state!r})")
    yield host
    remove()
