"""ami_backup copy_to: cross-region image copies on moto over HTTP (CopyImage across regions).

Ages are set with backup_helpers.backdate, in each region; CopyImage's tags at creation
with backup_helpers.copy_image_tags_at_creation (see both for why that is honest).
"""

import pytest
from backup_helpers import (
    INSTANCE_TAG,
    KIND_TAG,
    POLICY_TAG,
    backdate,
    copy_image_tags_at_creation,
    failing_tasks,
    launch,
    play,
    state,
)

COPY_REGION = "eu-west-1"
SOURCE_TAG = "ironclad:backup-source-image-id"
BACKUP = {"BackupYN": "Y"}


@pytest.fixture(autouse=True)
def _copy_image_tags(monkeypatch):
    copy_image_tags_at_creation(monkeypatch)


def run_ami(run_playbook, check=False, **args):
    args.setdefault("policy", "nightly")
    result = run_playbook(play("ami_backup", args), check=check)
    assert "run" in result.results, result.stdout + result.stderr
    return result["run"]


def tags(resource):
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}


def policy_tags(instance_id, policy="nightly"):
    return {POLICY_TAG: policy, KIND_TAG: "ami", INSTANCE_TAG: instance_id}


def seed_image(ec2, instance_id, days, policy="nightly"):
    """An image as an earlier run of the policy left it, `days` old."""
    tag_list = [{"Key": k, "Value": v} for k, v in policy_tags(instance_id, policy).items()]
    image_id = ec2.create_image(
        InstanceId=instance_id,
        Name=f"earlier-{policy}-{instance_id}-{days}",
        TagSpecifications=[{"ResourceType": "image", "Tags": tag_list}],
    )["ImageId"]
    backdate(image_id, days=days)
    return image_id


def seed_copy(ec2_copy, source_id, instance_id, days, policy="nightly", extra_tags=None):
    """A copy as an earlier run left it in the copy region, `days` old (tagged by hand here)."""
    copy_id = ec2_copy.copy_image(SourceRegion="us-east-1", SourceImageId=source_id, Name=f"copy-{source_id}-{days}")[
        "ImageId"
    ]
    copy_tags = dict(policy_tags(instance_id, policy), **{SOURCE_TAG: source_id}, **(extra_tags or {}))
    ec2_copy.create_tags(Resources=[copy_id], Tags=[{"Key": k, "Value": v} for k, v in copy_tags.items()])
    backdate(copy_id, days=days, region=COPY_REGION)
    return copy_id


def images(ec2_copy):
    return {i["ImageId"]: i for i in ec2_copy.describe_images(Owners=["self"])["Images"]}


def snapshots_of(image):
    return [m["Ebs"]["SnapshotId"] for m in image["BlockDeviceMappings"] if "Ebs" in m]


def test_image_copies_carry_the_policy_and_are_pruned_by_their_own_retention(aws, run_playbook):
    ec2, ec2_copy = aws("ec2"), aws("ec2", region_name=COPY_REGION)
    instance, _ = launch(ec2, BACKUP, data_volumes=0)
    recent = seed_image(ec2, instance, days=1)
    already = seed_image(ec2, instance, days=2)
    expired_at_source = seed_image(ec2, instance, days=9)
    copy_of_already = seed_copy(ec2_copy, already, instance, days=2)
    old_copy = seed_copy(ec2_copy, expired_at_source, instance, days=9)
    old_copy_snapshots = snapshots_of(images(ec2_copy)[old_copy])
    foreign_copy = seed_copy(ec2_copy, already, instance, days=30, policy="weekly")
    kept_copy = seed_copy(ec2_copy, already, instance, days=30, extra_tags={"ironclad:backup-keep": "hold"})
    rule = {"region": COPY_REGION, "retention_days": 5}
    before = (state(ec2), state(ec2_copy))

    plan = run_ami(run_playbook, check=True, retention_days=7, copy_to=[rule], wait=True)

    assert (state(ec2), state(ec2_copy)) == before
    assert plan["changed"] is True
    (region_plan,) = plan["copies"]
    assert [c["source_image_id"] for c in region_plan["planned_copies"]] == [recent]
    assert region_plan["planned_copies"][0]["instance_id"] == instance
    assert [d["id"] for d in region_plan["planned_deletions"]] == [old_copy]
    assert region_plan["planned_snapshot_deletions"] == old_copy_snapshots
    assert kept_copy in {p["id"] for p in region_plan["protected_copies"]}

    out = run_ami(run_playbook, retention_days=7, copy_to=[rule], wait=True)

    (report,) = out["copies"]
    assert out["deregistered_image_ids"] == [expired_at_source]
    assert report["deregistered_copy_ids"] == [old_copy]
    assert report["deleted_snapshot_ids"] == old_copy_snapshots
    made = images(ec2_copy)
    assert len(report["created_copy_ids"]) == 2 and set(report["created_copy_ids"]) <= set(made)  # recent + today's
    sources = {tags(made[c])[SOURCE_TAG]: c for c in report["created_copy_ids"]}
    assert set(sources) == {recent, out["created_image_ids"][0]}
    for source_id, copy_id in sources.items():
        copy_tags = tags(made[copy_id])
        source = ec2.describe_images(ImageIds=[source_id])["Images"][0]
        assert copy_tags[POLICY_TAG] == "nightly" and copy_tags[KIND_TAG] == "ami"
        assert copy_tags[INSTANCE_TAG] == instance and copy_tags["ironclad:backup-source-region"] == "us-east-1"
        assert made[copy_id]["Name"] == source["Name"]
        snapshot_tags = tags(ec2_copy.describe_snapshots(SnapshotIds=snapshots_of(made[copy_id]))["Snapshots"][0])
        assert snapshot_tags == copy_tags
    assert {copy_of_already, foreign_copy, kept_copy} <= set(made) and old_copy not in made
    assert not set(old_copy_snapshots) & {
        s["SnapshotId"] for s in ec2_copy.describe_snapshots(OwnerIds=["self"])["Snapshots"]
    }

    again = run_ami(run_playbook, retention_days=7, copy_to=[rule])
    assert again["changed"] is False
    assert again["copies"][0]["planned_copies"] == [] and again["copies"][0]["created_copy_ids"] == []


def test_without_wait_new_images_are_copied_on_the_next_run_and_count_retention_holds(aws, run_playbook):
    ec2, ec2_copy = aws("ec2"), aws("ec2", region_name=COPY_REGION)
    instance, _ = launch(ec2, BACKUP, data_volumes=0)
    older = [seed_image(ec2, instance, days=d) for d in (1, 2, 3)]
    rule = {"region": COPY_REGION, "retention_count": 2}

    out = run_ami(run_playbook, copy_to=[rule])

    # The count keeps the two newest available sources; the run's own image waits for the next run.
    copied = {tags(i).get(SOURCE_TAG) for i in images(ec2_copy).values()} - {None}
    assert copied == {older[0], older[1]}
    assert len(out["copies"][0]["created_copy_ids"]) == 2

    # As if those copies had been made when their sources were (a daily schedule's steady state).
    for copy_id, image in images(ec2_copy).items():
        if tags(image).get(SOURCE_TAG) in older:
            backdate(copy_id, days=1 + older.index(tags(image)[SOURCE_TAG]), region=COPY_REGION)

    nxt = run_ami(run_playbook, name_prefix="next", copy_to=[rule])

    # Now the first run's image is the newest source; the oldest copy goes, the count holds at 2.
    (report,) = nxt["copies"]
    assert [c["source_image_id"] for c in report["planned_copies"]] == out["created_image_ids"]
    assert len(report["deregistered_copy_ids"]) == 1
    copied = {tags(i).get(SOURCE_TAG) for i in images(ec2_copy).values()} - {None}
    assert copied == {out["created_image_ids"][0], older[0]}


BAD = {
    "own region": ({"copy_to": [{"region": "us-east-1"}]}, "copy_to[0].region us-east-1 is the module's own region"),
    "garbled region": ({"copy_to": [{"region": "eu west"}]}, "copy_to[0].region 'eu west' is not a region name"),
    "twice": ({"copy_to": [{"region": "eu-west-1"}, {"region": "eu-west-1"}]}, "copy_to names eu-west-1 twice"),
    "zero count": ({"copy_to": [{"region": "eu-west-1", "retention_count": 0}]}, "copy_to[0].retention_count must"),
    "key unencrypted": ({"copy_to": [{"region": "eu-west-1", "kms_key_id": "k"}]}, "needs copy_to[0].encrypted=true"),
}


def test_bad_copy_rules_fail_before_any_call(aws, run_playbook):
    ec2, ec2_copy = aws("ec2"), aws("ec2", region_name=COPY_REGION)
    instance, _ = launch(ec2, BACKUP, data_volumes=0)
    seed_image(ec2, instance, days=30)
    before = (state(ec2), state(ec2_copy))

    result = run_playbook(failing_tasks("ami_backup", {"policy": "nightly", "retention_days": 7}, BAD))

    for case, (_, message) in BAD.items():
        assert result[case].get("failed") is True, case
        assert message in result[case]["msg"], (case, result[case]["msg"])
    assert (state(ec2), state(ec2_copy)) == before
