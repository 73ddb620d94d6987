"""The audit log's way off the host (issue 17 H1): site.yml's `audit` stream ships
/var/log/audit/audit.log to `<prefix>/audit`. auditd cannot run in a container (the
kernel's audit netlink is the Docker host's), so the test writes the lines auditd would
write for a user's command (the role's `user-commands` rule: SYSCALL, EXECVE,
PROCTITLE) and finds them in moto's CloudWatch Logs, in the stream named after the host,
on each host whose agent really ships (the classic agent; the private host's FIXTURE
CloudWatch agent ships nothing, see test_lab.py)."""

import secrets
import sys
import time
from pathlib import Path

import boto3
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import report  # noqa: E402

AUDIT_LOG = "/var/log/audit/audit.log"
GROUP = f"{report.LOG_PREFIX}/audit"


def audit_event(token: str) -> list[str]:
    """One execve of uid 1001 as auditd logs it (three records, one serial)."""
    stamp = f"{time.time():.3f}:{secrets.randbelow(10**6)}"
    return [
        f"type=SYSCALL msg=audit({stamp}): arch=c000003e syscall=59 success=yes exit=0 a0=55d0 a1=55d1 a2=55d2 a3=0"
        " items=2 ppid=812 pid=813 auid=1001 uid=1001 gid=1001 euid=1001 suid=1001 fsuid=1001 egid=1001 sgid=1001"
        ' fsgid=1001 tty=pts0 ses=3 comm="id" exe="/usr/bin/id" key="user-commands"',
        f'type=EXECVE msg=audit({stamp}): argc=2 a0="id" a1="{token}"',
        f"type=PROCTITLE msg=audit({stamp}): proctitle=6964",
    ]


@pytest.mark.parametrize("container", [report.BASTION, report.PROXY])
def test_audit_records_reach_the_audit_log_group(container):
    token = f"ironclad-audit-{secrets.token_hex(6)}"
    lines = audit_event(token)
    # One small write (cat copies it in one), as auditd flushes an event; the agent reads
    # a new file once it holds three lines.
    wrote = report.sh(
        container, f"mkdir -p {Path(AUDIT_LOG).parent} && cat >> {AUDIT_LOG}", stdin="\n".join(lines) + "\n"
    )
    assert wrote.returncode == 0, wrote.stderr
    hostname = report.sh(container, "hostname").stdout.strip()
    logs = boto3.client("logs", **report.AWS)
    messages = []
    for _ in range(60):
        try:
            events = logs.get_log_events(logGroupName=GROUP, logStreamName=hostname, startFromHead=True)["events"]
        except logs.exceptions.ResourceNotFoundException:
            events = []
        messages = [e["message"] for e in events]
        if all(line in messages for line in lines):
            break
        time.sleep(2)
    assert all(line in messages for line in lines), (GROUP, hostname, messages[-5:])
