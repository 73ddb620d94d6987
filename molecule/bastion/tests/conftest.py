"""Fixtures of the bastion scenario: the two bastions, the SSH client and the S3 buckets.

Containers are reached with testinfra's docker backend (one `docker exec` a command);
S3 is the shared moto server on the Docker host. Each bastion's bucket is named like
its container.
"""

import contextlib
import json
import re
import shlex
import sys
import time
from pathlib import Path

import boto3
import pytest
import testinfra

# The recording names' one definition, as the recorder and the shipper read it.
sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "roles/bastion/files"))
from bastion_names import RECORDING  # noqa: E402, F401 - the tests import it from here
from bastion_s3 import stitch  # noqa: E402

BASTIONS = ["ironclad-bastion-debian12", "ironclad-bastion-debian13"]
CLIENT = "ironclad-bastion-client"
MOTO = "http://127.0.0.1:5000"
LOG_DIR = "/var/log/bastion"
# The role's settings per bastion (molecule.yml): Debian 13 ships with a KMS key.
SSE = {
    "ironclad-bastion-debian12": ("AES256", None),
    "ironclad-bastion-debian13": ("aws:kms", "arn:aws:kms:us-east-1:123456789012:key/ironclad-bastion-test"),
}
# Docker's root lacks CAP_SYS_PTRACE, so hidepid hides other users' processes even from
# it; the role's exempt group (gid=) is what lets a checker see them.
SEE_ALL = "setpriv --groups=proc"

# The stand-in metadata service (molecule.yml) and what it serves in place of credentials.
IMDS_VIA = {"ip": "10.215.0.254", "ip -6": "fd00:215::254"}
IMDS_URLS = {
    "ipv4": "http://169.254.169.254/latest/meta-data/iam/security-credentials/bastion-role",
    "ipv6": "http://[fd00:ec2::254]/latest/meta-data/iam/security-credentials/bastion-role",
}
IMDS_SECRET = "STAND-IN-CREDENTIALS"
# GET a URL: the body on stdout, or the error and exit status 1.
FETCH = "python3 -c 'import sys, urllib.request as u; print(u.urlopen(sys.argv[1], timeout=5).read().decode())'"

# Every ssh of the tests: no host key prompts, the key named after the remote user.
CLIENT_SSH_CONFIG = """Host *
  StrictHostKeyChecking no
  UserKnownHostsFile /dev/null
  LogLevel ERROR
  BatchMode yes
  IdentitiesOnly yes
  IdentityFile /root/keys/%r
  ConnectTimeout 10
"""


class Bastion:
    def __init__(self, name):
        self.name = name
        self.host = testinfra.get_host(f"docker://{name}")
        self.bucket = name

    def run(self, command, *args):
        return self.host.run(command, *args)

    def check(self, command, *args):
        result = self.host.run(command, *args)
        assert result.rc == 0, f"{command}: {result.stdout}{result.stderr}"
        return result.stdout

    def job(self, unit):
        """Run a oneshot job now; return (succeeded, the log lines of this run)."""
        since = self.check("date +%s").strip()
        # The tests start the jobs far more often than their timers do: systemd's start
        # rate limit would refuse a start that no host ever makes.
        self.run("systemctl reset-failed %s", unit)
        result = self.run("systemctl start %s", unit)
        time.sleep(0.5)  # let the journal catch up with the last lines
        lines = self.check(f"journalctl -u {unit} -o cat --no-pager --since @{since}")
        return result.rc == 0, lines

    def sync_users(self):
        return self.job("bastion-sync-users.service")

    def ship_logs(self):
        return self.job("bastion-ship-logs.service")

    def ship_folder(self, folder, **settings):
        """The installed shipper on FOLDER alone, with its own state beside it (FOLDER.state).

        The bastion's own folder, state and timer are left alone; SETTINGS override the
        role's configuration (retention_hours, bucket).
        """
        cfg = json.loads(self.check("cat /etc/bastion/s3.json"))
        cfg.update(settings, log_dir=folder, state_dir=folder + ".state")
        self.check("install -d -m 700 %s %s", folder, folder + ".state")
        self.check("printf '%%s' %s > %s", json.dumps(cfg), folder + ".json")
        result = self.run(
            "set -a; . /etc/bastion/aws.env; set +a; python3 -s /usr/local/lib/bastion/ship_logs.py %s 2>&1",
            folder + ".json",
        )
        return result.rc == 0, result.stdout

    def recordings(self, user):
        """Audit keys (file names without extension) of a user's recordings."""
        names = self.check(f"ls {LOG_DIR}").split()
        return sorted({n.rsplit(".", 1)[0] for n in names if f"_{user}_" in n and n.endswith(".data")})

    def route_metadata_to_the_stand_in(self):
        """As EC2's link-local route would: the metadata addresses through the stand-in."""
        self.check("ip route replace 169.254.169.254/32 via %s", IMDS_VIA["ip"])
        self.check("ip -6 route replace fd00:ec2::254/128 via %s", IMDS_VIA["ip -6"])

    def address(self, family):
        """The bastion's own address on the scenario's network (-4 or -6)."""
        return self.check(f"ip -o {family} address show dev eth0 scope global").split()[3].split("/")[0]

    @contextlib.contextmanager
    def s3_unreachable(self):
        """Point the name `moto` at a closed port (Docker bind-mounts /etc/hosts: write in place)."""
        saved = self.check("cat /etc/hosts")
        broken = re.sub(r"^\S+(\s+moto)$", r"127.0.0.9\1", saved, flags=re.M)
        assert broken != saved
        self.check("printf '%%s' %s > /etc/hosts", broken)
        try:
            yield
        finally:
            self.check("printf '%%s' %s > /etc/hosts", saved)


class Client:
    def __init__(self):
        self.host = testinfra.get_host(f"docker://{CLIENT}")
        self.host.check_output("mkdir -p /root/.ssh && printf '%%s' %s > /root/.ssh/config", CLIENT_SSH_CONFIG)

    def run(self, command, *args):
        return self.host.run(command, *args)

    def session(self, bastion, user, commands, options=""):
        """An interactive session with a real pty (ssh -tt), typing the commands."""
        typed = "\n".join([*commands, "exit"])
        # A session that waits for input it will never get fails instead of hanging the run.
        return self.host.run(f"timeout 120 ssh -tt {options} {user}@{bastion.name} <<'TYPED'\n{typed}\nTYPED")

    def paced_session(self, bastion, user, commands, env="", pause=1.5):
        """Like session, but each line typed only after a pause, when the shell waits for it."""
        typed = "; ".join(f"sleep {pause}; printf '%s\\n' {shlex.quote(line)}" for line in [*commands, "exit"])
        return self.host.run(f"{{ sleep {pause}; {typed}; }} | {env} timeout 120 ssh -tt {user}@{bastion.name}")


def shipped_parts(s3, bucket, key):
    """The bytes S3 holds of a growing file at KEY as parts (the shipper's part keys)."""
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key + ".parts/")
    parts, _end = stitch(key, [obj["Key"] for page in pages for obj in page.get("Contents", [])])
    return b"".join(s3.get_object(Bucket=bucket, Key=part)["Body"].read() for part in parts)


def sse(bastion):
    algorithm, kms_key = SSE[bastion.name]
    return {"ServerSideEncryption": algorithm, **({"SSEKMSKeyId": kms_key} if kms_key else {})}


def replace_in_s3(s3, bastion, key, data):
    """What a holder of the shipper's credentials would do: a multipart upload, so the
    ETag is no MD5 of the body and only a checksum of the content tells them apart."""
    upload = s3.create_multipart_upload(Bucket=bastion.bucket, Key=f"logs/{key}", **sse(bastion))
    part = s3.upload_part(
        Bucket=bastion.bucket, Key=f"logs/{key}", UploadId=upload["UploadId"], PartNumber=1, Body=data
    )
    s3.complete_multipart_upload(
        Bucket=bastion.bucket,
        Key=f"logs/{key}",
        UploadId=upload["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )


def audit_key(output):
    match = re.search(r"AUDIT KEY: (\S+)", output)
    assert match, f"no AUDIT KEY in the session's output:\n{output}"
    return match.group(1)


@pytest.fixture(scope="session")
def s3():
    return boto3.client(
        "s3", endpoint_url=MOTO, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )


@pytest.fixture(scope="session")
def client():
    return Client()


@pytest.fixture(scope="session")
def synced():
    """Both bastions with their users synced once, whatever the timers did."""
    bastions = {name: Bastion(name) for name in BASTIONS}
    for bastion in bastions.values():
        ok, lines = bastion.sync_users()
        assert ok, lines
    return bastions


@pytest.fixture(scope="module", params=BASTIONS)
def bastion(request, synced):
    return synced[request.param]


# Numbers the tests measure (no timed assertions beyond the spec's): printed at the end.
MEASURED = []


def pytest_terminal_summary(terminalreporter):
    for line in MEASURED:
        terminalreporter.write_line(f"measured: {line}")


def wait_for(predicate, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return predicate()
