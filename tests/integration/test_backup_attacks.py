"""Attacks on what the backup modules select and prune, run as a user would: real modules
through ansible-playbook against moto over HTTP.

- A policy name is a tag value, but EC2 filter values treat `*` and `?` as wildcards, so a
  policy named `*daily`, `dai?y` or `*` must still prune only its own backups.
- A malformed `tag_filters` selects nothing; the run must fail before any call instead of
  backing up nothing and still pruning.
moto applies EC2's wildcard rules to tag filters, so the first attack is real here.
"""

import pytest
from backup_helpers import backdate, failing_tasks, launch, play, seed_snapshot, snapshot_ids, state

BACKUP = {"BackupYN": "Y"}


def run(run_playbook, module, **args):
    result = run_playbook(play(module, args))
    assert "run" in result.results, result.stdout + result.stderr
    return result["run"]


@pytest.mark.parametrize("policy", ["*daily", "dai?y", "*", "[d]aily", "daily\\"])
def test_no_policy_name_prunes_another_policys_snapshots(aws, run_playbook, policy):
    ec2 = aws("ec2")
    instance, volumes = launch(ec2, BACKUP, data_volumes=0)
    others = {seed_snapshot(ec2, volumes[0], instance, policy=p, days=30) for p in ("daily", "prod-daily", "x")}
    own = seed_snapshot(ec2, volumes[0], instance, policy=policy, days=30)

    out = run(run_playbook, "ebs_backup", policy=policy, retention_days=7)

    assert out["deleted_snapshot_ids"] == [own]
    assert others <= snapshot_ids(ec2)


def test_ami_backup_prunes_only_its_own_policy_too(aws, run_playbook):
    ec2 = aws("ec2")
    instance, _ = launch(ec2, BACKUP, data_volumes=0)
    tags = [{"Key": "ironclad:backup-kind", "Value": "ami"}, {"Key": "ironclad:backup-instance-id", "Value": instance}]
    other = ec2.create_image(
        InstanceId=instance,
        Name="nightly-old",
        TagSpecifications=[
            {"ResourceType": "image", "Tags": tags + [{"Key": "ironclad:backup-policy", "Value": "nightly"}]}
        ],
    )["ImageId"]
    backdate(other, days=30)

    out = run(run_playbook, "ami_backup", policy="*", retention_days=7)

    assert out["deregistered_image_ids"] == []
    assert other in {i["ImageId"] for i in ec2.describe_images(Owners=["self"])["Images"]}


MALFORMED = {
    "null value": ({"tag_filters": {"BackupYN": None}}, "tag_filters.BackupYN"),
    "dict value": ({"tag_filters": {"BackupYN": {"eq": "Y"}}}, "tag_filters.BackupYN"),
    "empty list": ({"tag_filters": {"BackupYN": []}}, "tag_filters.BackupYN"),
    "nested list": ({"tag_filters": {"BackupYN": [["Y"]]}}, "tag_filters.BackupYN"),
    "null in list": ({"tag_filters": {"BackupYN": ["Y", None]}}, "tag_filters.BackupYN"),
    "empty key": ({"tag_filters": {"": "Y"}}, "tag_filters"),
    "yaml boolean": ({"tag_filters": {"BackupYN": True}}, "tag_filters.BackupYN"),
    "bad volume tag": ({"exclude_volume_tags": {"BackupYN": None}}, "exclude_volume_tags.BackupYN"),
    "bad extra tag": ({"tags": {"Team": {"a": 1}}}, "tags.Team"),
}


@pytest.mark.parametrize("module", ["ebs_backup", "ami_backup"])
def test_malformed_tag_filters_fail_before_any_call_naming_the_key(aws, run_playbook, module):
    ec2 = aws("ec2")
    instance, volumes = launch(ec2, BACKUP, data_volumes=0)
    seed_snapshot(ec2, volumes[0], instance, days=30)
    cases = dict(MALFORMED)
    if module == "ami_backup":
        del cases["bad volume tag"]
    before = state(ec2)

    # No credentials at all: a case that reached AWS would fail with a credentials error instead.
    env = {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
           "AWS_CONFIG_FILE": "/nonexistent", "AWS_EC2_METADATA_DISABLED": "true"}  # fmt: skip
    cases = {name: (dict(args, environment=env), message) for name, (args, message) in cases.items()}
    result = run_playbook(failing_tasks(module, {"policy": "daily", "retention_days": 7}, cases))

    for case, (_, message) in cases.items():
        assert result[case].get("failed") is True, case
        assert message in result[case]["msg"], (case, result[case]["msg"])
        assert "credentials" not in result[case]["msg"], (case, result[case]["msg"])
    assert state(ec2) == before


def test_malformed_tag_filters_with_credentials_change_nothing(aws, run_playbook):
    """The issue's run: with working credentials the malformed selection still pruned."""
    ec2 = aws("ec2")
    instance, volumes = launch(ec2, BACKUP, data_volumes=0)
    seed_snapshot(ec2, volumes[0], instance, days=30)
    before = state(ec2)
    cases = {k: v for k, v in MALFORMED.items() if k in ("null value", "dict value", "empty list")}

    result = run_playbook(failing_tasks("ebs_backup", {"policy": "daily", "retention_days": 7}, cases))

    for case, (_, message) in cases.items():
        assert result[case].get("failed") is True, (case, result[case])
        assert message in result[case]["msg"], (case, result[case]["msg"])
    assert state(ec2) == before
