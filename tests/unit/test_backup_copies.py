"""copy_to decisions without AWS: what to copy where, and what the copy region prunes."""

import datetime

from ansible_collections.ironclad.aws.plugins.module_utils import backup_copies as bc
from ansible_collections.ironclad.aws.plugins.module_utils import backup_plan as bp

NOW = datetime.datetime(2024, 5, 15, tzinfo=datetime.UTC)


def snap(id_, days, volume="vol-a", state="completed", tags=None):
    return {"SnapshotId": id_, "VolumeId": volume, "State": state, "StartTime": NOW - datetime.timedelta(days=days),
            "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()], "Description": "d-" + id_}  # fmt: skip


def copy_of(id_, source, days, volume="vol-a"):
    return snap(id_, days, volume="vol-ffffffff", tags={bc.SOURCE_SNAPSHOT_TAG: source, bc.SOURCE_VOLUME_TAG: volume})


def test_only_completed_uncopied_sources_the_region_would_keep_are_copied():
    sources = [snap("s1", 1), snap("s2", 2), snap("s9", 9), snap("p0", 0, state="pending"), snap("s3", 3)]
    copies = [copy_of("c2", "s2", 2)]
    to_copy = bc.snapshots_to_copy(sources, copies, {"retention_days": 5}, NOW, skip_ids={"s3"})
    assert [s["SnapshotId"] for s in to_copy] == ["s1"]
    by_count = bc.snapshots_to_copy(sources, copies, {"retention_count": 2}, NOW)
    assert [s["SnapshotId"] for s in by_count] == ["s1"]  # s2's copy is the other of the newest two


def test_copies_are_grouped_by_their_source_volume():
    backups = bc.copy_backups([copy_of("c1", "s1", 1, volume="vol-b")], keep_tag=bp.DEFAULT_KEEP_TAG)
    assert backups[0].group == "vol-b"


def test_copy_request_carries_the_tags_and_encryption():
    source = snap("s1", 1, tags={bp.POLICY_TAG: "daily", "aws:backup": "x", "Name": "n"})
    request = bc.copy_request(source, "us-east-1", {"encrypted": True, "kms_key_id": "alias/dr"})
    assert request["SourceRegion"] == "us-east-1" and request["SourceSnapshotId"] == "s1"
    assert request["Encrypted"] is True and request["KmsKeyId"] == "alias/dr"
    tags = {t["Key"]: t["Value"] for t in request["TagSpecifications"][0]["Tags"]}
    assert tags == {bp.POLICY_TAG: "daily", "Name": "n", bc.SOURCE_SNAPSHOT_TAG: "s1",
                    bc.SOURCE_VOLUME_TAG: "vol-a", bc.SOURCE_REGION_TAG: "us-east-1"}  # fmt: skip
    assert "Encrypted" not in bc.copy_request(source, "us-east-1", {})


def test_copy_rules_are_checked_and_named():
    assert bc.copy_rules_problem([{"region": "eu-west-1", "retention_days": 3}], "us-east-1") is None
    assert bc.copy_rules_problem([{"region": "us-east-1"}], "us-east-1").startswith("copy_to[0].region us-east-1")
    assert bc.copy_rules_problem([{"region": "x"}], "us-east-1") == (
        "copy_to[0].region 'x' is not a region name (e.g. eu-west-1)"
    )
    assert bc.copy_rules_problem([{"region": "eu-west-1", "retention_count": 0}], "us-east-1") == (
        "copy_to[0].retention_count must be at least 1 (got 0)"
    )


def image(id_, days, instance="i-a", state="available", tags=None):
    all_tags = {bp.POLICY_TAG: "nightly", bp.KIND_TAG: "ami", bp.INSTANCE_TAG: instance, **(tags or {})}
    created = (NOW - datetime.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {"ImageId": id_, "Name": "n-" + id_, "State": state, "CreationDate": created,
            "Tags": [{"Key": k, "Value": v} for k, v in all_tags.items()]}  # fmt: skip


def test_only_available_uncopied_images_the_region_would_keep_are_copied():
    sources = [image("a1", 1), image("a2", 2), image("a9", 9), image("p0", 0, state="pending"), image("a3", 3)]
    copies = [image("c2", 2, tags={bc.SOURCE_IMAGE_TAG: "a2"})]
    to_copy = bc.images_to_copy(sources, copies, {"retention_days": 5}, NOW, skip_ids={"a3"})
    assert [i["ImageId"] for i in to_copy] == ["a1"]
    by_count = bc.images_to_copy(sources, copies, {"retention_count": 2}, NOW)
    assert [i["ImageId"] for i in by_count] == ["a1"]  # a2's copy is the other of the newest two
    other_instance = bc.images_to_copy([image("b5", 5, instance="i-b")], copies, {"retention_count": 1}, NOW)
    assert [i["ImageId"] for i in other_instance] == ["b5"]  # counted per instance


def test_image_copies_are_the_policys_images_with_a_source_tag():
    copy = image("c1", 1, tags={bc.SOURCE_IMAGE_TAG: "a1"})
    own_backup_there = image("a1", 1)
    other_policy = image("c2", 1, tags={bc.SOURCE_IMAGE_TAG: "a1", bp.POLICY_TAG: "nightly*"})
    assert bc.image_copies([copy, own_backup_there, other_policy], "nightly") == [copy]
