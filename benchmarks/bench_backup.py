#!/usr/bin/env python3
"""EBS backup API calls and time: ironclad.aws.ebs_backup vs the hand-made Lambda vs a
loop of amazon.aws.ec2_snapshot tasks (SPEC section 6), and ebs_backup with copy_to one
region (the copy region seeded in the same steady state), whose calls per instance are printed.

Steady state of a daily schedule on a moto server of its own: 200 instances x 3 volumes,
each volume with 10 earlier backups aged 0 to 9 days (plus one hour), retention 7 days, so
a run creates one snapshot per volume and deletes the 3 expired ones (1,800 deletes).
Every algorithm starts from the same freshly seeded moto state and must leave the same
end state. API calls are counted with a botocore `before-call` event hook registered on
every botocore session, so calls made inside the real modules are counted too. Times are
printed, never asserted.

Run from the repository root: benchmarks/bench_backup.py [--instances N]
"""

import argparse
import contextlib
import datetime
import io
import json
import logging
import os
import socket
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

import boto3  # noqa: E402
import botocore.config  # noqa: E402
import botocore.session  # noqa: E402
import requests  # noqa: E402
from ansible.module_utils.testing import patch_module_args  # noqa: E402
from moto.backends import get_backend  # noqa: E402
from moto.core import DEFAULT_ACCOUNT_ID  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402

REGION = "us-east-1"
COPY_REGION = "eu-west-1"
POLICY = "daily"
RETENTION_DAYS = 7
HISTORY_DAYS = 10
DELETES = {"DeleteSnapshot", "DeregisterImage"}
LAMBDA_CALLS = 3801  # SPEC section 6, measured on the real Lambda
LAMBDA_CALLS_BESIDES_DELETES = 2001

CALLS = Counter()
# moto answers a list of thousands of snapshots slowly on a busy machine; AWS would not.
SLOW_SERVER = botocore.config.Config(read_timeout=900, retries={"max_attempts": 1})
MODULE_CONNECTION = {"region": REGION, "aws_config": {"read_timeout": 900}}


def _count(model, **_):
    CALLS[model.name] += 1


def install_call_counter():
    """Register the counter on every botocore session, including those the modules create."""
    original = botocore.session.Session.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.register("before-call", _count)

    botocore.session.Session.__init__ = init


def share_service_models():
    """Load EC2's service model once per process instead of once per module invocation.

    A loop of 2,400 module runs would otherwise spend most of its time parsing the same
    JSON; the API calls made are unchanged, so the call counts stay exact.
    """
    loader = botocore.session.get_session().get_component("data_loader")
    botocore.session.create_loader = lambda *_args, **_kwargs: loader


def index_moto_tags():
    """Give moto's EC2 resources a direct tag lookup.

    moto finds a resource's tags by scanning every tag in the account with regular
    expressions, so a `tag:` filter over thousands of snapshots costs it minutes (it made
    the module time out here) where EC2 answers at once. The replacement returns the same
    list from moto's own tag table by key; the API answers, and so the call counts, are
    unchanged, and the time column then measures the algorithms rather than moto.
    """
    from moto.ec2.models.core import TaggedEC2Resource
    from moto.ec2.utils import EC2_PREFIX_TO_RESOURCE, get_prefix

    def get_tags(self):
        if not self.id:
            return []
        kind = EC2_PREFIX_TO_RESOURCE.get(get_prefix(self.id), "")
        return [
            {"resource_id": self.id, "key": key, "value": value, "resource_type": kind}
            for key, value in self.ec2_backend.tags.get(self.id, {}).items()
        ]

    TaggedEC2Resource.get_tags = get_tags


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def client(endpoint):
    return boto3.client("ec2", endpoint_url=endpoint, region_name=REGION, config=SLOW_SERVER)


def seed(endpoint, instances):
    """Reset moto and build the estate. Instances go through the API; the 10 earlier
    backups per volume are written into moto's backend directly (moto stamps every
    snapshot with the current time and has no API to backdate it)."""
    requests.post(endpoint + "/moto-api/reset", timeout=30).raise_for_status()
    ec2 = client(endpoint)
    mappings = [{"DeviceName": d, "Ebs": {"VolumeSize": 8}} for d in ("/dev/sda1", "/dev/sdb", "/dev/sdc")]
    made = []
    while len(made) < instances:
        batch = min(100, instances - len(made))
        made += ec2.run_instances(
            ImageId="ami-12c6146b",
            MinCount=batch,
            MaxCount=batch,
            BlockDeviceMappings=mappings,
            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "BackupYN", "Value": "Y"}]}],
        )["Instances"]
    for n, instance in enumerate(made):
        ec2.create_tags(Resources=[instance["InstanceId"]], Tags=[{"Key": "Name", "Value": f"app{n:03d}"}])
    backend = get_backend("ec2")[DEFAULT_ACCOUNT_ID][REGION]
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    for n, instance in enumerate(made):
        for mapping in instance["BlockDeviceMappings"]:
            volume_id = mapping["Ebs"]["VolumeId"]
            for age in range(HISTORY_DAYS):
                created = now - datetime.timedelta(days=age, hours=1)
                # What both algorithms recognise as theirs: the Lambda's description prefix
                # and the module's ownership tags.
                description = f"scheduled-app{n:03d}.{volume_id}-{created:%Y%m%d-%H%M%S}"
                snapshot = backend.create_snapshot(volume_id, description)
                snapshot.start_time = created
                for key, value in {
                    "Name": description,
                    "ironclad:backup-policy": POLICY,
                    "ironclad:backup-kind": "ebs",
                    "ironclad:backup-instance-id": instance["InstanceId"],
                }.items():
                    snapshot.add_tag(key, value)
    return [i["InstanceId"] for i in made]


def seed_copies():
    """The copy region in steady state: a copy of every earlier backup but the newest (the
    previous run's, which this run copies), as earlier runs with copy_to left them."""
    source = get_backend("ec2")[DEFAULT_ACCOUNT_ID][REGION]
    target = get_backend("ec2")[DEFAULT_ACCOUNT_ID][COPY_REGION]
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    for snapshot in list(source.snapshots.values()):
        if not snapshot.description.startswith("scheduled-") or now - snapshot.start_time < datetime.timedelta(days=1):
            continue
        copy = target.copy_snapshot(snapshot.id, REGION, snapshot.description, None)
        copy.start_time = snapshot.start_time
        tags = {t["key"]: t["value"] for t in snapshot.get_tags()}
        tags.update(
            {
                "ironclad:backup-source-snapshot-id": snapshot.id,
                "ironclad:backup-source-volume-id": snapshot.volume.id,
                "ironclad:backup-source-region": REGION,
            }
        )
        for key, value in tags.items():
            copy.add_tag(key, value)


def end_state():
    """Snapshots per volume after the run, as {count: volumes}, read from moto's backend
    (listing 6,600 snapshots through the API costs moto more than the runs themselves)."""
    backend = get_backend("ec2")[DEFAULT_ACCOUNT_ID][REGION]
    per_volume = Counter(s.volume.id for s in backend.snapshots.values() if s.description.startswith("scheduled-"))
    return dict(Counter(per_volume.values()))


# --- the three algorithms ------------------------------------------------------------------


def run_module(main, args):
    """A module's main() in this process, as ansible-playbook would run it; returns its result."""
    out = io.StringIO()
    with patch_module_args(args), contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        main()
    result = json.loads(out.getvalue())
    if result.get("failed"):
        raise RuntimeError(result.get("msg"))
    return result


def ours(endpoint):
    from ansible_collections.ironclad.aws.plugins.modules import ebs_backup

    run_module(
        ebs_backup.main,
        dict(MODULE_CONNECTION, policy=POLICY, retention_days=RETENTION_DAYS, endpoint_url=endpoint),
    )


def ours_with_a_copy_region(endpoint):
    """The same run with copy_to one region, whose copies are kept as long as the sources."""
    from ansible_collections.ironclad.aws.plugins.modules import ebs_backup

    seed_copies()
    CALLS.clear()
    run_module(
        ebs_backup.main,
        dict(
            MODULE_CONNECTION,
            policy=POLICY,
            retention_days=RETENTION_DAYS,
            endpoint_url=endpoint,
            copy_to=[{"region": COPY_REGION, "retention_days": RETENTION_DAYS}],
        ),
    )


def hand_made_lambda(endpoint):
    """The Lambda the SPEC describes, call for call: per instance DescribeVolumes, per volume
    CreateSnapshot + CreateTags (Name) + DescribeSnapshots of that volume, then a delete of
    every `scheduled-*` snapshot of the volume older than the retention."""
    ec2 = client(endpoint)
    cutoff = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=RETENTION_DAYS)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d-%H%M%S")
    reservations = ec2.describe_instances(
        Filters=[
            {"Name": "tag:BackupYN", "Values": ["Y"]},
            {"Name": "instance-state-name", "Values": ["running"]},
        ]
    )["Reservations"]
    for reservation in reservations:
        for instance in reservation["Instances"]:
            name = next((t["Value"] for t in instance.get("Tags", []) if t["Key"] == "Name"), instance["InstanceId"])
            volumes = ec2.describe_volumes(
                Filters=[{"Name": "attachment.instance-id", "Values": [instance["InstanceId"]]}]
            )["Volumes"]
            for volume in volumes:
                description = "scheduled-{}.{}-{}".format(name, volume["VolumeId"], stamp)
                snapshot = ec2.create_snapshot(VolumeId=volume["VolumeId"], Description=description)
                ec2.create_tags(Resources=[snapshot["SnapshotId"]], Tags=[{"Key": "Name", "Value": description}])
                snapshots = ec2.describe_snapshots(
                    OwnerIds=["self"],
                    Filters=[
                        {"Name": "volume-id", "Values": [volume["VolumeId"]]},
                        {"Name": "description", "Values": ["scheduled-*"]},
                    ],
                )["Snapshots"]
                for old in snapshots:
                    if old["StartTime"] < cutoff:
                        ec2.delete_snapshot(SnapshotId=old["SnapshotId"])


def ec2_snapshot_loop(endpoint):
    """What a playbook built from amazon.aws modules does: ec2_instance_info, a loop of
    ec2_snapshot over the volumes, ec2_snapshot_info for this policy's snapshots, a loop of
    ec2_snapshot state=absent over the expired ones. The real modules run in-process, one
    invocation per loop item, so the calls are theirs."""
    from ansible_collections.amazon.aws.plugins.modules import ec2_instance_info, ec2_snapshot, ec2_snapshot_info

    conn = dict(MODULE_CONNECTION, endpoint_url=endpoint)
    found = run_module(
        ec2_instance_info.main,
        dict(conn, filters={"tag:BackupYN": "Y", "instance-state-name": "running"}),
    )
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d-%H%M%S")
    for instance in found["instances"]:
        name = instance.get("tags", {}).get("Name", instance["instance_id"])
        for mapping in instance["block_device_mappings"]:
            volume_id = mapping["ebs"]["volume_id"]
            description = f"scheduled-{name}.{volume_id}-{stamp}"
            run_module(
                ec2_snapshot.main,
                dict(
                    conn,
                    volume_id=volume_id,
                    description=description,
                    snapshot_tags={"Name": description, "ironclad:backup-policy": POLICY},
                    wait=False,
                ),
            )
    snapshots = run_module(ec2_snapshot_info.main, dict(conn, filters={"tag:ironclad:backup-policy": POLICY}))[
        "snapshots"
    ]
    cutoff = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=RETENTION_DAYS)
    for snap in snapshots:
        started = datetime.datetime.fromisoformat(snap["start_time"].replace("Z", "+00:00"))
        if started.tzinfo is None:
            started = started.replace(tzinfo=datetime.UTC)
        if started < cutoff:
            run_module(ec2_snapshot.main, dict(conn, snapshot_id=snap["snapshot_id"], state="absent"))


ALGORITHMS = [
    ("hand-made Lambda (baseline)", hand_made_lambda),
    ("loop of amazon.aws.ec2_snapshot", ec2_snapshot_loop),
    ("ironclad.aws.ebs_backup", ours),
    ("ironclad.aws.ebs_backup, copy_to 1 region", ours_with_a_copy_region),
]


def measure(endpoint, instances):
    rows = []
    for label, algorithm in ALGORITHMS:
        seed(endpoint, instances)
        CALLS.clear()
        started = time.perf_counter()
        algorithm(endpoint)
        elapsed = time.perf_counter() - started
        calls = Counter(CALLS)
        rows.append((label, calls, elapsed, end_state()))
        print(f"  {label}: {sum(calls.values())} calls, {elapsed:.1f} s", file=sys.stderr, flush=True)
    return rows


def report(rows, instances):
    print(
        f"\nEBS backup, steady state: {instances} instances x 3 volumes x {HISTORY_DAYS} earlier backups, "
        f"retention {RETENTION_DAYS} days"
    )
    print("| algorithm | API calls | besides deletes | deletes | seconds | end state (snapshots per volume: volumes) |")
    print("|---|---:|---:|---:|---:|---|")
    for label, calls, elapsed, state in rows:
        total = sum(calls.values())
        deletes = sum(n for op, n in calls.items() if op in DELETES)
        print(f"| {label} | {total} | {total - deletes} | {deletes} | {elapsed:.1f} | {state} |")
    print("\nCalls by operation:")
    for label, calls, _, _ in rows:
        print(f"  {label:34} " + ", ".join(f"{op} {n}" for op, n in sorted(calls.items())))

    base_calls, base_time = rows[0][1], rows[0][2]
    loop_calls, loop_time = rows[1][1], rows[1][2]
    mine_calls, mine_time = rows[2][1], rows[2][2]

    def besides(calls):
        return sum(n for op, n in calls.items() if op not in DELETES)

    print("\nRatios (ironclad.aws.ebs_backup / other, lower is better):")
    for name, calls, elapsed, target in (
        ("Lambda", base_calls, base_time, " (target <= 0.200)"),
        ("ec2_snapshot loop", loop_calls, loop_time, ""),
    ):
        print(
            f"  vs {name}: calls {sum(mine_calls.values()) / sum(calls.values()):.3f}, "
            f"calls besides deletes {besides(mine_calls) / besides(calls):.3f}{target}, "
            f"time {mine_time / elapsed:.2f}"
        )
    if instances == 200:
        print(
            f"  the re-implemented Lambda made {sum(base_calls.values())} calls ({besides(base_calls)} besides "
            f"deletes); the SPEC measured {LAMBDA_CALLS} ({LAMBDA_CALLS_BESIDES_DELETES})"
        )
    copy_calls = rows[3][1]
    print(
        f"\nWith copy_to one region ({COPY_REGION}, retention {RETENTION_DAYS} days): "
        f"{sum(copy_calls.values())} calls, {besides(copy_calls)} besides deletes, "
        f"{besides(copy_calls) / instances:.2f} per instance besides deletes "
        f"({sum(copy_calls.values()) / instances:.2f} in all); copies off: "
        f"{besides(mine_calls) / instances:.2f} per instance besides deletes"
    )
    states = {json.dumps(state, sort_keys=True) for _, _, _, state in rows}
    print("  end states %s" % ("identical" if len(states) == 1 else "DIFFER: " + " / ".join(sorted(states))))
    return len(states) == 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=200)
    args = parser.parse_args()
    for key, value in {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}.items():
        os.environ[key] = value
    os.environ.pop("AWS_PROFILE", None)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    install_call_counter()
    share_service_models()
    index_moto_tags()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{server._server.server_port}"
        rows = measure(endpoint, args.instances)
    finally:
        server.stop()
    return 0 if report(rows, args.instances) else 1


if __name__ == "__main__":
    sys.exit(main())
