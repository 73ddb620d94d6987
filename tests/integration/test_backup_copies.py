"""ebs_backup copy_to: cross-region copies on moto over HTTP (CopySnapshot across regions).

Ages are set with backup_helpers.backdate (see there why that is honest), in each region.
"""

from backup_helpers import POLICY_TAG, backdate, failing_tasks, launch, play, seed_snapshot, state

COPY_REGION = "eu-west-1"
SOURCE_TAG = "ironclad:backup-source-snapshot-id"
BACKUP = {"BackupYN": "Y"}


def run_ebs(run_playbook, check=False, **args):
    args.setdefault("policy", "daily")
    result = run_playbook(play("ebs_backup", args), check=check)
    assert "run" in result.results, result.stdout + result.stderr
    return result["run"]


def tags(snapshot):
    return {t["Key"]: t["Value"] for t in snapshot.get("Tags", [])}


def copies(ec2_copy):
    ours = [{"Name": "tag-key", "Values": [POLICY_TAG]}]
    return {s["SnapshotId"]: s for s in ec2_copy.describe_snapshots(OwnerIds=["self"], Filters=ours)["Snapshots"]}


def seed_copy(ec2_copy, source_id, volume_id, instance_id, days, policy="daily"):
    """A copy as an earlier run left it in the copy region, `days` old."""
    copy_id = ec2_copy.copy_snapshot(
        SourceRegion="us-east-1",
        SourceSnapshotId=source_id,
        TagSpecifications=[
            {
                "ResourceType": "snapshot",
                "Tags": [
                    {"Key": POLICY_TAG, "Value": policy},
                    {"Key": "ironclad:backup-kind", "Value": "ebs"},
                    {"Key": "ironclad:backup-instance-id", "Value": instance_id},
                    {"Key": SOURCE_TAG, "Value": source_id},
                    {"Key": "ironclad:backup-source-volume-id", "Value": volume_id},
                ],
            }
        ],
    )["SnapshotId"]
    backdate(copy_id, days=days, region=COPY_REGION)
    return copy_id


def test_copies_carry_the_policy_and_are_pruned_by_their_own_retention(aws, run_playbook):
    ec2, ec2_copy = aws("ec2"), aws("ec2", region_name=COPY_REGION)
    instance, volumes = launch(ec2, BACKUP, data_volumes=0)
    volume = volumes[0]
    recent = seed_snapshot(ec2, volume, instance, days=1)
    already = seed_snapshot(ec2, volume, instance, days=2)
    expired_at_source = seed_snapshot(ec2, volume, instance, days=9)
    copy_of_already = seed_copy(ec2_copy, already, volume, instance, days=2)
    old_copy = seed_copy(ec2_copy, expired_at_source, volume, instance, days=9)
    foreign_copy = seed_copy(ec2_copy, already, volume, instance, days=30, policy="weekly")
    rule = {"region": COPY_REGION, "retention_days": 5}
    before = (state(ec2), state(ec2_copy))

    plan = run_ebs(run_playbook, check=True, retention_days=7, copy_to=[rule], wait=True)

    assert (state(ec2), state(ec2_copy)) == before
    (region_plan,) = plan["copies"]
    assert [c["source_snapshot_id"] for c in region_plan["planned_copies"]] == [recent]
    assert [d["id"] for d in region_plan["planned_deletions"]] == [old_copy]

    out = run_ebs(run_playbook, retention_days=7, copy_to=[rule], wait=True)

    (report,) = out["copies"]
    assert out["deleted_snapshot_ids"] == [expired_at_source]
    assert report["deleted_copy_ids"] == [old_copy]
    made = copies(ec2_copy)
    assert set(report["created_copy_ids"]) <= set(made) and len(report["created_copy_ids"]) == 2  # recent + today's
    sources = {tags(made[c])[SOURCE_TAG] for c in report["created_copy_ids"]}
    assert recent in sources and set(out["created_snapshot_ids"]) <= sources
    for copy_id in report["created_copy_ids"]:
        copy_tags = tags(made[copy_id])
        assert copy_tags[POLICY_TAG] == "daily" and copy_tags["ironclad:backup-source-region"] == "us-east-1"
        assert copy_tags["ironclad:backup-instance-id"] == instance
    assert copy_of_already in made and foreign_copy in made and old_copy not in made

    again = run_ebs(run_playbook, retention_days=7, copy_to=[rule], min_interval_hours=20)
    assert again["changed"] is False
    assert again["copies"][0]["planned_copies"] == [] and again["copies"][0]["created_copy_ids"] == []


def test_without_wait_new_snapshots_are_copied_on_the_next_run_and_count_retention_holds(aws, run_playbook):
    ec2, ec2_copy = aws("ec2"), aws("ec2", region_name=COPY_REGION)
    instance, volumes = launch(ec2, BACKUP, data_volumes=0)
    older = [seed_snapshot(ec2, volumes[0], instance, days=d) for d in (1, 2, 3)]
    rule = {"region": COPY_REGION, "retention_count": 2}

    out = run_ebs(run_playbook, copy_to=[rule])

    # The count keeps the two newest completed sources; the run's own snapshot waits for the next run.
    sources = {tags(c)[SOURCE_TAG] for c in copies(ec2_copy).values()}
    assert sources == {older[0], older[1]}
    assert len(out["copies"][0]["created_copy_ids"]) == 2


BAD = {
    "own region": ({"copy_to": [{"region": "us-east-1"}]}, "copy_to[0].region us-east-1 is the module's own region"),
    "garbled region": ({"copy_to": [{"region": "eu west"}]}, "copy_to[0].region 'eu west' is not a region name"),
    "twice": ({"copy_to": [{"region": "eu-west-1"}, {"region": "eu-west-1"}]}, "copy_to names eu-west-1 twice"),
    "zero days": ({"copy_to": [{"region": "eu-west-1", "retention_days": 0}]}, "copy_to[0].retention_days must be"),
    "key unencrypted": ({"copy_to": [{"region": "eu-west-1", "kms_key_id": "k"}]}, "needs copy_to[0].encrypted=true"),
}


def test_bad_copy_rules_fail_before_any_call(aws, run_playbook):
    ec2 = aws("ec2")
    instance, volumes = launch(ec2, BACKUP, data_volumes=0)
    seed_snapshot(ec2, volumes[0], instance, days=30)
    before = state(ec2)

    result = run_playbook(failing_tasks("ebs_backup", {"policy": "daily", "retention_days": 7}, BAD))

    for case, (_, message) in BAD.items():
        assert result[case].get("failed") is True, case
        assert message in result[case]["msg"], (case, result[case]["msg"])
    assert state(ec2) == before
