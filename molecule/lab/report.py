#!/usr/bin/env python3
"""What a user would check by hand on the lab, done for them: a recorded SSH session
through the bastion, allowed and blocked egress from the private host, host logs in
CloudWatch Logs (per host: did its stream arrive), and an EBS backup run, all against the
lab's containers and moto.

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
# The hosts that run a log agent (site.yml's awslogs play).
LOG_HOSTS = (BASTION, PROXY, APP)
LOG_PREFIX = "/ironclad-lab"
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


def stream_findings(hosts: dict, streams: dict) -> dict:
    """Per host: did a stream named after it arrive, in which groups; "n/a" for a host
    whose agent is the FIXTURE CloudWatch agent, which ships nothing (its daemon is
    `sleep infinity`), so that another host's streams can never stand in for it.
    hosts: container -> {"hostname", "agent", "fixture"}; streams: group -> stream names.
    With no metadata service in the lab, {instance_id} falls back to the hostname."""
    out = {}
    for container, info in hosts.items():
        groups = sorted(group for group, names in streams.items() if info["hostname"] in names)
        status = "n/a" if info["fixture"] else "ok" if groups else "FAIL"
        out[container] = dict(info, groups=groups, status=status)
    return out


def log_streams(attempts: int = 30) -> dict:
    """stream_findings for the lab's log hosts, waiting until every real agent's stream is in."""
    logs = boto3.client("logs", **AWS)
    hosts = {}
    for container in LOG_HOSTS:
        cwagent = sh(container, "dpkg-query --show --showformat='${Version}' amazon-cloudwatch-agent").stdout.strip()
        hosts[container] = {
            "hostname": sh(container, "hostname").stdout.strip(),
            "agent": "cloudwatch-agent" if cwagent else "awslogs",
            "fixture": "fixture" in cwagent,
        }
    for _ in range(attempts):
        streams = {}
        for page in logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=LOG_PREFIX):
            for group in page["logGroups"]:
                name = group["logGroupName"]
                pages = logs.get_paginator("describe_log_streams").paginate(logGroupName=name)
                streams[name] = [s["logStreamName"] for p in pages for s in p["logStreams"]]
        found = stream_findings(hosts, streams)
        if all(f["status"] != "FAIL" for f in found.values()):
            break
        time.sleep(2)
    return found


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
        "log_streams": log_streams(),
        "ebs_backup": ebs_backup(),
    }
    print(json.dumps(report, indent=2) if "--json" in sys.argv else render(report))
    return 0


def mark(ok) -> str:
    if ok == "n/a":
        return "n/a "
    return "ok  " if ok else "FAIL"


def stream_lines(found: dict) -> list:
    """One check per log host (status, text) for render."""
    lines = []
    for info in found.values():
        who = f"logs of {info['hostname']}"
        if info["status"] == "n/a":
            text = (
                f"{who}: n/a, it runs the FIXTURE CloudWatch agent, which ships nothing (no real agent"
                f" can be downloaded here); streams found for it: {', '.join(info['groups']) or 'none'}"
            )
            lines.append(("n/a", text))
        else:
            where = ", ".join(info["groups"]) or "no stream arrived"
            lines.append((info["status"] == "ok", f"{who} ({info['agent']}): stream '{info['hostname']}' in {where}"))
    return lines


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
        (
            bool(c["matching_events"]),
            "bastion's user changelog (alice) in CloudWatch Logs: "
            + (", ".join(sorted({e["group"] for e in c["matching_events"]})) or "none"),
        ),
        *stream_lines(r["log_streams"]),
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
