"""ironclad.aws.ami_backup: real module runs through ansible-playbook against moto over HTTP.

Image ages are set with backup_helpers.backdate (see there why that is honest).
"""

import re

from backup_helpers import (
    INSTANCE_TAG,
    KIND_TAG,
    NO_CREDENTIALS,
    POLICY_TAG,
    backdate,
    failing_tasks,
    launch,
    play,
    point_image_at_snapshot,
    snapshot_ids,
    state,
)

BACKUP = {"BackupYN": "Y"}


def run_ami(run_playbook, check=False, **args):
    args.setdefault("policy", "nightly")
    result = run_playbook(play("ami_backup", args), check=check)
    assert "run" in result.results, result.stdout + result.stderr
    return result["run"]


def tags_of(resource):
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}


def seed_image(ec2, instance_id, days, policy="nightly", extra_tags=None):
    """An image as an earlier run of the policy left it, `days` old."""
    tags = {POLICY_TAG: policy, KIND_TAG: "ami", INSTANCE_TAG: instance_id}
    tags.update(extra_tags or {})
    image_id = ec2.create_image(
        InstanceId=instance_id,
        Name=f"earlier-{policy}-{instance_id}-{days}",
        TagSpecifications=[{"ResourceType": "image", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}],
    )["ImageId"]
    backdate(image_id, days=days)
    return image_id


def image_snapshots(ec2, image_id):
    image = ec2.describe_images(ImageIds=[image_id])["Images"][0]
    return {m["Ebs"]["SnapshotId"] for m in image["BlockDeviceMappings"] if "Ebs" in m}


def test_images_running_and_stopped_instances_once_a_day_and_tags_their_snapshots(aws, run_playbook):
    ec2 = aws("ec2")
    web, _ = launch(ec2, {"BackupYN": "Y", "Name": "web1"})
    db, _ = launch(ec2, {"BackupYN": "Y", "Name": "db 1"})
    ec2.stop_instances(InstanceIds=[db])
    launch(ec2, {"Name": "untagged"})

    out = run_ami(run_playbook, tags={"CostCenter": "42"}, wait=True)

    assert out["changed"] is True
    assert out["instances"] == sorted([web, db])
    images = ec2.describe_images(ImageIds=out["created_image_ids"])["Images"]
    assert {i["SourceInstanceId"] for i in images} == {web, db}
    for image in images:
        instance = image["SourceInstanceId"]
        assert re.fullmatch(rf"backup-(web1|db 1)-{instance} from \d{{4}}-\d{{2}}-\d{{2}}", image["Name"])
        tags = tags_of(image)
        assert tags[POLICY_TAG] == "nightly" and tags[KIND_TAG] == "ami" and tags[INSTANCE_TAG] == instance
        assert tags["Name"] == image["Name"] and tags["CostCenter"] == "42"
        snapshots = ec2.describe_snapshots(SnapshotIds=list(image_snapshots(ec2, image["ImageId"])))["Snapshots"]
        assert snapshots and all(tags_of(s) == tags for s in snapshots)
    before = state(ec2)

    again = run_ami(run_playbook, tags={"CostCenter": "42"})

    assert again["changed"] is False
    assert {s["instance_id"] for s in again["skipped_instances"]} == {web, db}
    assert state(ec2) == before


def test_retention_check_mode_then_run_deregisters_only_our_expired_images(aws, run_playbook):
    ec2 = aws("ec2")
    instance, _ = launch(ec2, BACKUP, data_volumes=1)
    recent = seed_image(ec2, instance, days=2)
    expired = seed_image(ec2, instance, days=8)
    shared = seed_image(ec2, instance, days=9)
    kept = seed_image(ec2, instance, days=30, extra_tags={"ironclad:backup-keep": "yes"})
    foreign = seed_image(ec2, instance, days=30, policy="weekly")
    untagged = ec2.create_image(InstanceId=instance, Name="by hand")["ImageId"]
    backdate(untagged, days=30)
    # Someone registered another image that uses one of `shared`'s snapshots: that one must stay.
    still_used = sorted(image_snapshots(ec2, shared))[0]
    other = ec2.create_image(InstanceId=instance, Name="uses-shared-snapshot")["ImageId"]
    point_image_at_snapshot(other, still_used)
    before = state(ec2)

    plan = run_ami(run_playbook, check=True, retention_days=7)

    assert state(ec2) == before
    assert {d["id"] for d in plan["planned_deletions"]} == {expired, shared}
    assert len(plan["planned_images"]) == 1
    expected_snapshots = (image_snapshots(ec2, expired) | image_snapshots(ec2, shared)) - {still_used}
    assert set(plan["planned_snapshot_deletions"]) == expected_snapshots

    out = run_ami(run_playbook, retention_days=7)

    assert set(out["deregistered_image_ids"]) == {expired, shared}
    assert set(out["deleted_snapshot_ids"]) == expected_snapshots
    remaining = {i["ImageId"] for i in ec2.describe_images(Owners=["self"])["Images"]}
    assert {recent, kept, foreign, untagged, other} | set(out["created_image_ids"]) == remaining
    assert still_used in snapshot_ids(ec2)
    assert kept in {p["id"] for p in out["protected_images"]}


BAD_INPUT = {
    "negative retention": ({"retention_count": -2}, "retention_count must be at least 1 (got -2)"),
    "unknown state": ({"states": ["hibernating"]}, "value of states must be one or more of"),
    "no credentials": ({"retention_days": 7, "environment": NO_CREDENTIALS}, "Unable to locate credentials"),
}


def test_bad_input_fails_clearly_and_changes_nothing(aws, run_playbook):
    ec2 = aws("ec2")
    instance, _ = launch(ec2, BACKUP, data_volumes=0)
    seed_image(ec2, instance, days=30)
    before = state(ec2)

    result = run_playbook(failing_tasks("ami_backup", {"policy": "nightly"}, BAD_INPUT))

    for case, (_, message) in BAD_INPUT.items():
        assert result[case].get("failed") is True, case
        assert message in result[case]["msg"], (case, result[case]["msg"])
    assert state(ec2) == before
