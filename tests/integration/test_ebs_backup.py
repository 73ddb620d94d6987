"""ironclad.aws.ebs_backup: real module runs through ansible-playbook against moto over HTTP.

Snapshot ages are set with backup_helpers.backdate (see there why that is honest).
moto ignores CreateSnapshots' ExcludeDataVolumeIds and CopyTagsFromSource, so exclusion
by volume tag is checked on the module's plan here, and the request it sends is checked
against the real EC2 service model with botocore's Stubber in tests/unit/test_backup_aws.py.
"""

import re
from pathlib import Path

from backup_helpers import (
    INSTANCE_TAG,
    KIND_TAG,
    NO_CREDENTIALS,
    POLICY_TAG,
    ami_backed_snapshot,
    backdate,
    failing_tasks,
    launch,
    play,
    seed_snapshot,
    snapshot_ids,
    state,
)

BACKUP = {"BackupYN": "Y"}
# moto's account also owns the snapshots behind its built-in AMIs; look at tagged ones only.
OURS = [{"Name": "tag-key", "Values": [POLICY_TAG]}]


def run_ebs(run_playbook, check=False, extra_env=None, **args):
    args.setdefault("policy", "daily")
    result = run_playbook(play("ebs_backup", args), check=check, extra_env=extra_env)
    assert "run" in result.results, result.stdout + result.stderr
    return result["run"]


def test_selects_tagged_running_instances_and_tags_snapshots_at_creation(aws, run_playbook):
    ec2 = aws("ec2")
    web, web_volumes = launch(ec2, {"BackupYN": "Y", "Name": "web1", "Team": "blue", "aws-like": "x"})
    stopped, _ = launch(ec2, {"BackupYN": "Y", "Name": "batch"})
    ec2.stop_instances(InstanceIds=[stopped])
    launch(ec2, {"BackupYN": "N", "Name": "scratch"})
    launch(ec2, {"Name": "untagged"})

    out = run_ebs(run_playbook, copy_instance_tags=True, tags={"CostCenter": "42"}, wait=True)

    assert out["changed"] is True
    assert out["instances"] == [web]
    snapshots = ec2.describe_snapshots(OwnerIds=["self"], Filters=OURS)["Snapshots"]
    assert {s["VolumeId"] for s in snapshots} == set(web_volumes)
    assert {s["SnapshotId"] for s in snapshots} == set(out["created_snapshot_ids"])
    assert all(s["state"] == "completed" for s in out["created_snapshots"])
    for snap in snapshots:
        tags = {t["Key"]: t["Value"] for t in snap["Tags"]}
        assert re.fullmatch(rf"scheduled-web1\.{web}-\d{{8}}-\d{{6}}", snap["Description"])
        assert tags["Name"] == snap["Description"]
        assert tags[POLICY_TAG] == "daily"
        assert tags[KIND_TAG] == "ebs"
        assert tags[INSTANCE_TAG] == web
        assert tags["Team"] == "blue"
        assert tags["CostCenter"] == "42"
        assert "BackupYN" in tags  # copied from the instance
    assert out["deleted_snapshot_ids"] == []


def test_states_and_exclusions(aws, run_playbook):
    ec2 = aws("ec2")
    instance, volumes = launch(ec2, BACKUP, data_volumes=2, volume_tags={2: {"BackupYN": "N"}})
    ec2.stop_instances(InstanceIds=[instance])

    plan = run_ebs(
        run_playbook, check=True, states=["stopped"], exclude_boot_volume=True, exclude_volume_tags={"BackupYN": "N"}
    )
    assert plan["planned_snapshots"][0]["volume_ids"] == [volumes[1]]
    assert sorted(plan["planned_snapshots"][0]["excluded_volume_ids"]) == sorted([volumes[0], volumes[2]])

    out = run_ebs(run_playbook, states=["stopped"], exclude_boot_volume=True)
    assert {s["volume_id"] for s in out["created_snapshots"]} == {volumes[1], volumes[2]}
    assert volumes[0] not in {
        s["VolumeId"] for s in ec2.describe_snapshots(OwnerIds=["self"], Filters=OURS)["Snapshots"]
    }


def _estate(ec2):
    """One instance, each volume with backups of this policy aged around the 7-day boundary,
    plus snapshots the module must never delete however old they are."""
    instance, volumes = launch(ec2, BACKUP, data_volumes=1)
    expected_gone, expected_kept = set(), set()
    for volume in volumes:
        expected_kept.add(seed_snapshot(ec2, volume, instance, days=1))
        expected_kept.add(seed_snapshot(ec2, volume, instance, days=6, hours=23))
        expected_gone.add(seed_snapshot(ec2, volume, instance, days=7, hours=1))
        expected_gone.add(seed_snapshot(ec2, volume, instance, days=9))
    root = volumes[0]
    untagged = ec2.create_snapshot(VolumeId=root, Description="scheduled-by-hand")["SnapshotId"]
    backdate(untagged, days=30)
    foreign = {
        untagged,
        seed_snapshot(ec2, root, instance, policy="weekly", days=30),
        seed_snapshot(ec2, root, instance, kind="ami", days=30),
        seed_snapshot(ec2, root, instance, days=30, extra_tags={"ironclad:backup-keep": "legal hold"}),
    }
    foreign.add(ami_backed_snapshot(ec2, instance, days=30))
    return instance, volumes, expected_gone, expected_kept, foreign


def test_retention_by_age_spares_foreign_kept_and_ami_backed_snapshots(aws, run_playbook):
    ec2 = aws("ec2")
    _, volumes, gone, kept, foreign = _estate(ec2)

    out = run_ebs(run_playbook, retention_days=7)

    assert set(out["deleted_snapshot_ids"]) == gone
    remaining = snapshot_ids(ec2)
    assert kept | foreign <= remaining
    assert not gone & remaining
    assert len(out["created_snapshot_ids"]) == len(volumes)
    protected = {p["id"]: p["reason"] for p in out["protected_snapshots"]}
    assert "backs a registered AMI" in protected.values()
    assert "tagged ironclad:backup-keep" in protected.values()


def test_check_mode_plans_exactly_what_a_run_does_and_changes_nothing(aws, run_playbook):
    ec2 = aws("ec2")
    instance, volumes, gone, _, _ = _estate(ec2)
    before = state(ec2)

    plan = run_ebs(run_playbook, check=True, retention_days=7)

    assert state(ec2) == before
    assert plan["changed"] is True
    assert {d["id"] for d in plan["planned_deletions"]} == gone
    assert plan["planned_snapshots"][0]["instance_id"] == instance
    assert plan["planned_snapshots"][0]["volume_ids"] == volumes
    assert plan["created_snapshot_ids"] == [] and plan["deleted_snapshot_ids"] == []

    out = run_ebs(run_playbook, retention_days=7)
    assert set(out["deleted_snapshot_ids"]) == gone


def test_count_and_age_together_and_snapshots_of_deleted_volumes(aws, run_playbook):
    ec2 = aws("ec2")
    stopped, stopped_volumes = launch(ec2, BACKUP, data_volumes=0)
    ec2.stop_instances(InstanceIds=[stopped])
    old = [seed_snapshot(ec2, stopped_volumes[0], stopped, days=d) for d in (10, 11, 12)]
    orphan_volume = ec2.create_volume(Size=1, AvailabilityZone="us-east-1a")["VolumeId"]
    orphans = [seed_snapshot(ec2, orphan_volume, "i-gone", days=d) for d in (10, 11, 12, 13)]
    ec2.delete_volume(VolumeId=orphan_volume)

    out = run_ebs(run_playbook, retention_days=7, retention_count=2)

    # The stopped instance is not backed up (states=running), so age alone would wipe it out;
    # the count keeps its newest two. The deleted volume's snapshots follow the same rules.
    assert set(out["deleted_snapshot_ids"]) == {old[2], orphans[2], orphans[3]}
    assert {old[0], old[1], orphans[0], orphans[1]} <= snapshot_ids(ec2)

    out = run_ebs(run_playbook, retention_count=1)
    assert set(out["deleted_snapshot_ids"]) == {old[1], orphans[1]}


def test_nothing_changes_when_nothing_is_due(aws, run_playbook):
    ec2 = aws("ec2")
    instance, volumes = launch(ec2, BACKUP, data_volumes=1)
    for volume in volumes:
        seed_snapshot(ec2, volume, instance, hours=3)
        seed_snapshot(ec2, volume, instance, days=6)
    before = state(ec2)

    out = run_ebs(run_playbook, retention_days=7, min_interval_hours=20)

    assert out["changed"] is False
    assert out["skipped_instances"] == [{"instance_id": instance, "reason": "backed up less than 20 hours ago"}]
    assert state(ec2) == before


BAD_INPUT = {
    "negative retention": ({"retention_days": -1}, "retention_days must be at least 1 (got -1)"),
    "zero count": ({"retention_count": 0}, "retention_count must be at least 1 (got 0)"),
    "unknown state": ({"states": ["running", "sleeping"]}, "value of states must be one or more of"),
    "empty selection": ({"tag_filters": {}}, "tag_filters must not be empty"),
    "no credentials": ({"retention_days": 7, "environment": NO_CREDENTIALS}, "Unable to locate credentials"),
}


def test_bad_input_fails_clearly_and_changes_nothing(aws, run_playbook):
    ec2 = aws("ec2")
    instance, volumes = launch(ec2, BACKUP, data_volumes=0)
    seed_snapshot(ec2, volumes[0], instance, days=30)
    before = state(ec2)

    result = run_playbook(failing_tasks("ebs_backup", {"policy": "daily"}, BAD_INPUT))

    for case, (_, message) in BAD_INPUT.items():
        assert result[case].get("failed") is True, case
        assert message in result[case]["msg"], (case, result[case]["msg"])
    assert state(ec2) == before


def test_the_backup_playbook_runs_both_modules(aws, run_playbook):
    ec2 = aws("ec2")
    instance, volumes = launch(ec2, BACKUP, data_volumes=1)
    expired = seed_snapshot(ec2, volumes[1], instance, days=8)
    playbook = Path(__file__).resolve().parents[2] / "playbooks" / "backup.yml"

    result = run_playbook(
        f"""
        - name: The collection's backup playbook against moto
          ansible.builtin.import_playbook: {playbook}
          vars:
            backup_region: us-east-1
            backup_endpoint_url: "{{{{ lookup('env', 'MOTO_URL') }}}}"
            backup_ami_enabled: true
        """
    )

    assert result.rc == 0, result.stdout + result.stderr
    ebs = result["Snapshot the EBS volumes of tagged instances and prune expired snapshots"]
    ami = result["Image tagged instances and prune expired images"]
    assert len(ebs["created_snapshot_ids"]) == 2 and ebs["deleted_snapshot_ids"] == [expired]
    assert [i["instance_id"] for i in ami["created_images"]] == [instance]
