#!/usr/bin/env python3
"""What a user would check by hand on the lab, done for them: a recorded SSH session
through the bastion, allowed and blocked egress from the private host, host logs in
CloudWatch Logs, and an EBS backup run, all against the lab's containers and moto.

`make lab` prints the report; the lab scenario's tests assert on the same findings.
"""

import json
import os
import re
import secrets
import subprocess
import sys
import time

import boto3

from tests.harness import ROOT, run_playbook

MOTO = os.environ.get("MOTO_URL", "http://127.0.0.1:5000")
BUCKET = "ironclad-lab"
BASTION, APP, CLIENT, PROXY = "ironclad-lab-bastion", "ironclad-lab-app", "ironclad-lab-client", "ironclad-lab-proxy"
AWS = {
    "endpoint_url": MOTO,
    "region_name": "us-east-1",
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
}


def sh(container: str, command: str, stdin: str | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["docker", "exec", "-i", container, "bash", "-c", command],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def recorded_session() -> dict:
    """alice (key from S3) logs in with a pty; her typing is in the recording and in S3."""
    sync = sh(BASTION, "systemctl start bastion-sync-users.service")
    marker = f"lab-marker-{secrets.token_hex(4)}"
    session = sh(CLIENT, "ssh -tt bastion", stdin=f"echo {marker}\nexit\n")
    key = re.search(r"AUDIT KEY: (\S+)", session.stdout)
    audit_key = key.group(1) if key else ""
    data = sh(BASTION, f"cat /var/log/bastion/{audit_key}.data") if audit_key else None
    ship = sh(BASTION, "systemctl start bastion-ship-logs.service")
    refused = sh(CLIENT, "ssh bastion id")
    s3 = boto3.client("s3", **AWS)
    objects = s3.list_objects_v2(Bucket=BUCKET, Prefix="logs/").get("Contents", [])
    shipped = [o["Key"] for o in objects if audit_key and audit_key in o["Key"]]
    sse = {k: s3.head_object(Bucket=BUCKET, Key=k).get("ServerSideEncryption") for k in shipped}
    return {
        "user_synced": sync.returncode == 0,
        "audit_key": audit_key,
        "typed_command_recorded": bool(data and marker in data.stdout),
        "shipped_objects": shipped,
        "sse": sse,
        "ship_ok": ship.returncode == 0,
        "refused_command": "interactive" in "".join(refused.stdout + refused.stderr),
    }


def curl(url: str, extra: str = "") -> dict:
    result = sh(APP, f"curl -sS -m 5 -o /dev/null -w '%{{http_code}} %{{ssl_verify_result}}' {extra} {url}")
    code = result.stdout.split()[0] if result.stdout else "000"
    return {
        "url": url,
        "ok": result.returncode == 0 and code == "200",
        "http_code": code,
        "error": result.stderr.strip(),
    }


def egress() -> dict:
    """From the private host, which has no proxy settings: only the allowlist gets out."""
    issuer = sh(
        APP,
        "openssl s_client -connect www.allowed.test:443 -servername www.allowed.test </dev/null 2>/dev/null"
        " | openssl x509 -noout -issuer",
    ).stdout.strip()
    return {
        "allowed_http": curl("http://www.allowed.test/"),
        "allowed_https": curl("https://www.allowed.test/", "--cacert /etc/origin-allowed.crt"),
        "blocked_http": curl("http://www.blocked.test/"),
        "blocked_https": curl("https://www.blocked.test/", "-k"),
        "allowed_https_certificate_issuer": issuer,
    }


def cloudwatch_logs(expect: str, attempts: int = 30) -> dict:
    """Log groups under /ironclad-lab and whether a line holding `expect` arrived."""
    logs = boto3.client("logs", **AWS)
    found, groups = [], []
    for _ in range(attempts):
        groups = [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix="/ironclad-lab")["logGroups"]]
        for group in groups:
            events = logs.filter_log_events(logGroupName=group, filterPattern=f'"{expect}"').get("events", [])
            found += [{"group": group, "stream": e["logStreamName"], "message": e["message"]} for e in events]
        if found:
            break
        time.sleep(2)
    return {"groups": groups, "matching_events": found[:3]}


def ebs_backup() -> dict:
    """Two tagged instances in moto's EC2, then the collection's backup playbook."""
    ec2 = boto3.client("ec2", **AWS)
    image = ec2.describe_images()["Images"][0]["ImageId"]
    tag = [{"ResourceType": "instance", "Tags": [{"Key": "BackupYN", "Value": "Y"}, {"Key": "Name", "Value": "lab"}]}]
    ec2.run_instances(ImageId=image, MinCount=2, MaxCount=2, InstanceType="t3.micro", TagSpecifications=tag)
    run = run_playbook(
        ROOT / "playbooks/backup.yml",
        extra_vars={"backup_region": "us-east-1", "backup_endpoint_url": MOTO},
        env={"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"},
        json_output=True,
    )
    created = run.all_results("created_snapshot_ids")
    return {"playbook_rc": run.returncode, "created_snapshot_ids": created}


def main() -> int:
    session = recorded_session()
    report = {
        "recorded_session": session,
        "egress": egress(),
        # The user sync writes the changelog on the bastion; the log agent ships it.
        "cloudwatch_logs": cloudwatch_logs("alice"),
        "ebs_backup": ebs_backup(),
    }
    print(json.dumps(report, indent=2) if "--json" in sys.argv else render(report))
    return 0


def mark(ok: bool) -> str:
    return "ok  " if ok else "FAIL"


def render(r: dict) -> str:
    s, e, c, b = r["recorded_session"], r["egress"], r["cloudwatch_logs"], r["ebs_backup"]
    checks = [
        (
            s["typed_command_recorded"],
            f"SSH session of alice through the bastion recorded (audit key {s['audit_key']})",
        ),
        (
            bool(s["shipped_objects"]),
            f"recording shipped to s3://{BUCKET}/logs/ with SSE {sorted(set(s['sse'].values()))}",
        ),
        (s["refused_command"], "a command instead of a session is refused"),
        (e["allowed_http"]["ok"], f"private host -> http://www.allowed.test/ ({e['allowed_http']['http_code']})"),
        (
            e["allowed_https"]["ok"],
            "private host -> https://www.allowed.test/, certificate issued by the origin itself: "
            + e["allowed_https_certificate_issuer"],
        ),
        (
            not e["blocked_http"]["ok"],
            f"private host -> http://www.blocked.test/ refused ({e['blocked_http']['http_code']})",
        ),
        (not e["blocked_https"]["ok"], "private host -> https://www.blocked.test/ refused"),
        (bool(c["matching_events"]), f"host logs in CloudWatch Logs: {', '.join(c['groups']) or 'none'}"),
        (
            b["playbook_rc"] == 0 and bool(b["created_snapshot_ids"]),
            f"ebs_backup: {len(b['created_snapshot_ids'])} snapshots of tagged instances",
        ),
    ]
    lines = ["ironclad.aws lab report", "======================="]
    lines += [f"[{mark(ok)}] {text}" for ok, text in checks]
    lines += [
        "",
        "Look around:",
        "  docker exec -it ironclad-lab-client ssh bastion         # a recorded session as alice",
        "  docker exec -it ironclad-lab-bastion ls -l /var/log/bastion",
        "  docker exec -it ironclad-lab-app curl -v http://www.blocked.test/",
        "  docker exec -it ironclad-lab-proxy tail -f /var/log/squid/access.log",
        f"  aws --endpoint-url {MOTO} s3 ls s3://{BUCKET}/logs/   # moto, keys 'testing'",
        "  make lab-down                                          # remove it all",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
